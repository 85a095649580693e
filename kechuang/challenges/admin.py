"""Admin: read-mostly views of the cycle. Status fields are read-only here because transitions belong to
the services (they check, lock and audit); the admin is for looking things up and fixing text."""

from django.contrib import admin

from kechuang.challenges import models


class IndicatorInline(admin.TabularInline):
    model = models.Indicator
    extra = 0


class RubricInline(admin.TabularInline):
    model = models.RubricCriterion
    extra = 0


@admin.register(models.ChallengeList)
class ChallengeListAdmin(admin.ModelAdmin):
    list_display = ["title", "region", "status", "opens_on", "closes_on"]
    list_filter = ["status"]
    search_fields = ["title", "issuer"]
    readonly_fields = ["status", "published_at", "announced_at", "objection_ends_at"]
    inlines = [RubricInline]


@admin.register(models.Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ["title", "challenge_list", "bounty", "status"]
    list_filter = ["status"]
    search_fields = ["title"]
    readonly_fields = ["status", "challenge_list", "bounty", "issuer_share", "government_share"]
    inlines = [IndicatorInline]


class MemberInline(admin.TabularInline):
    model = models.ConsortiumMember
    extra = 0
    readonly_fields = [
        "organization",
        "role",
        "work_share",
        "budget_share",
        "confirmed_at",
        "withdrawn",
    ]


@admin.register(models.Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["lead", "challenge", "mode", "status", "submitted_at"]
    list_filter = ["status", "mode"]
    readonly_fields = ["status", "submitted_at", "withdrawn_at", "lead", "challenge"]
    inlines = [MemberInline]


@admin.register(models.Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = [
        "challenge",
        "application",
        "bounty",
        "committed_total",
        "released_total",
        "status",
    ]
    readonly_fields = ["bounty", "committed_total", "released_total", "status", "extension_used"]


@admin.register(models.Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ["application", "status", "filed_at"]
    readonly_fields = ["status", "resolved_at"]
