"""Admin views of demands, engagements, engineer pools and service teams: read-only. Their states, amounts
and timelines change only through :mod:`kechuang.demands.services` — here through the admin actions, which
call the same services as the pages and the API (permission, state, audit row, notifications). Nothing is
deleted here: a demand or an engagement is history."""

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.admin_actions import (
    ReadOnlyInline,
    ServiceOnlyAdmin,
    apply_service,
    reason_action,
)
from kechuang.demands import services
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


class DemandAttachmentInline(ReadOnlyInline):
    model = DemandAttachment
    fields = ["name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


@admin.register(Demand)
class DemandAdmin(ServiceOnlyAdmin):
    list_display = ["title", "organization", "region", "status", "visibility", "published_at"]
    list_filter = ["status", "visibility", "industry_chain"]
    search_fields = ["title", "organization__name"]
    list_select_related = ["organization", "region"]
    inlines = [DemandAttachmentInline]
    actions = ["approve_selected", "return_selected", "close_selected"]

    @admin.action(description=gettext_lazy("审核通过并发布"))
    def approve_selected(self, request, queryset):
        apply_service(self, request, queryset, services.approve_demand, _("已发布 %(n)d 项需求"))

    @admin.action(description=gettext_lazy("退回"))
    def return_selected(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset,
            action="return_selected",
            title=_("退回"),
            call=services.return_demand,
            done_text=_("已退回 %(n)d 项需求"),
        )

    @admin.action(description=gettext_lazy("关闭需求"))
    def close_selected(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset,
            action="close_selected",
            title=_("关闭"),
            call=services.close_demand,
            done_text=_("已关闭 %(n)d 项需求"),
        )


class EngagementEventInline(ReadOnlyInline):
    model = EngagementEvent
    fields = ["at", "actor", "kind", "status", "note"]
    readonly_fields = fields


class AnswerLinkInline(ReadOnlyInline):
    """Links e-mailed to an expert without a login: where they went and whether they were used (the
    token itself is never stored)."""

    model = AnswerLink
    fields = ["email", "created_at", "expires_at", "used_at"]
    readonly_fields = fields


@admin.register(Engagement)
class EngagementAdmin(ServiceOnlyAdmin):
    list_display = ["demand", "match_type", "match_label", "status", "requested_at", "amount"]
    list_filter = ["status", "match_type"]
    search_fields = ["demand__title", "match_label"]
    list_select_related = ["demand"]
    inlines = [EngagementEventInline, AnswerLinkInline]
    actions = ["close_selected"]

    @admin.action(description=gettext_lazy("结束对接"))
    def close_selected(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset,
            action="close_selected",
            title=_("结束"),
            call=services.close_engagement,
            done_text=_("已结束 %(n)d 项对接"),
        )


class PoolMemberInline(ReadOnlyInline):
    model = PoolMember
    fields = ["expert", "specialities", "enrolled_by"]
    readonly_fields = fields


@admin.register(EngineerPool)
class EngineerPoolAdmin(ServiceOnlyAdmin):
    """Pools are opened and engineers enrolled or removed on the pool pages (services.create_pool,
    enrol_engineer, remove_engineer)."""

    list_display = ["name", "industry_chain", "region"]
    inlines = [PoolMemberInline]


class ServiceVisitInline(ReadOnlyInline):
    model = ServiceVisit
    fields = ["enterprise", "planned_on", "status", "visited_on", "created_by"]
    readonly_fields = fields


@admin.register(ServiceTeam)
class ServiceTeamAdmin(ServiceOnlyAdmin):
    list_display = ["name", "society", "created_at"]
    inlines = [ServiceVisitInline]
