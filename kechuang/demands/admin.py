"""Admin views for inspection. Status fields are read-only here: states change only through the services
(pages, API), which keep the audit log and notifications."""

from django.contrib import admin

from kechuang.demands.models import (
    AnswerLink,
    Demand,
    DemandAttachment,
    Engagement,
    EngagementEvent,
    EngineerPool,
    PoolMember,
    ServiceTeam,
    ServiceVisit,
)


class DemandAttachmentInline(admin.TabularInline):
    model = DemandAttachment
    extra = 0
    readonly_fields = ["name", "content_type", "size", "uploaded_by", "uploaded_at"]
    fields = readonly_fields


@admin.register(Demand)
class DemandAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "region", "status", "visibility", "published_at"]
    list_filter = ["status", "visibility", "industry_chain"]
    search_fields = ["title", "organization__name"]
    raw_id_fields = ["organization", "author", "region", "invited_experts", "source_visit"]
    readonly_fields = ["status", "submitted_at", "published_at", "closed_at", "match_count"]
    inlines = [DemandAttachmentInline]


class EngagementEventInline(admin.TabularInline):
    model = EngagementEvent
    extra = 0
    readonly_fields = ["at", "actor", "kind", "status", "note"]
    fields = readonly_fields
    can_delete = False


class AnswerLinkInline(admin.TabularInline):
    """Links e-mailed to an expert without a login: where they went and whether they were used (the
    token itself is never stored)."""

    model = AnswerLink
    extra = 0
    readonly_fields = ["email", "created_at", "expires_at", "used_at"]
    fields = readonly_fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["demand", "match_type", "match_label", "status", "requested_at", "amount"]
    list_filter = ["status", "match_type"]
    search_fields = ["demand__title", "match_label"]
    raw_id_fields = ["demand", "expert", "provider", "requested_by", "pushed_by"]
    readonly_fields = [
        "status",
        "requested_at",
        "responded_at",
        "accepted_at",
        "met_at",
        "agreed_at",
        "closed_at",
    ]
    inlines = [EngagementEventInline, AnswerLinkInline]


class PoolMemberInline(admin.TabularInline):
    model = PoolMember
    extra = 0
    raw_id_fields = ["expert", "enrolled_by"]


@admin.register(EngineerPool)
class EngineerPoolAdmin(admin.ModelAdmin):
    list_display = ["name", "industry_chain", "region"]
    raw_id_fields = ["region", "created_by"]
    inlines = [PoolMemberInline]


class ServiceVisitInline(admin.TabularInline):
    model = ServiceVisit
    extra = 0
    raw_id_fields = ["enterprise", "created_by"]
    readonly_fields = ["status"]


@admin.register(ServiceTeam)
class ServiceTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "society", "created_at"]
    raw_id_fields = ["society", "members", "created_by"]
    inlines = [ServiceVisitInline]
