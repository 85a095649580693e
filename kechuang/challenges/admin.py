"""Admin: read-only views of the challenge cycle. States, bounties, shares, scores, agreements, milestones
and tranches change only through :mod:`kechuang.challenges.services` (they check, lock, audit and notify);
the admin actions here call those services. Nothing is deleted: lists, applications and agreements are
the record of public money."""

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.challenges import models, services
from kechuang.core.admin_actions import (
    ReadOnlyInline,
    ServiceOnlyAdmin,
    apply_service,
    reason_action,
)


class IndicatorInline(ReadOnlyInline):
    model = models.Indicator
    fields = ["name", "comparator", "target", "unit", "order"]
    readonly_fields = fields


class RubricInline(ReadOnlyInline):
    model = models.RubricCriterion
    fields = ["name", "weight", "order"]
    readonly_fields = fields


@admin.register(models.ChallengeList)
class ChallengeListAdmin(ServiceOnlyAdmin):
    list_display = ["title", "region", "status", "opens_on", "closes_on"]
    list_filter = ["status"]
    search_fields = ["title", "issuer"]
    inlines = [RubricInline]
    actions = ["publish_selected", "close_selected", "start_review_selected", "conclude_selected"]

    @admin.action(description=gettext_lazy("发布榜单"))
    def publish_selected(self, request, queryset):
        apply_service(self, request, queryset, services.publish_list, _("已发布 %(n)d 个榜单"))

    @admin.action(description=gettext_lazy("截止揭榜"))
    def close_selected(self, request, queryset):
        apply_service(self, request, queryset, services.close_list, _("已截止 %(n)d 个榜单"))

    @admin.action(description=gettext_lazy("开始评审"))
    def start_review_selected(self, request, queryset):
        apply_service(self, request, queryset, services.start_review, _("已开始评审 %(n)d 个榜单"))

    @admin.action(description=gettext_lazy("办结榜单"))
    def conclude_selected(self, request, queryset):
        apply_service(self, request, queryset, services.conclude_list, _("已办结 %(n)d 个榜单"))


@admin.register(models.Challenge)
class ChallengeAdmin(ServiceOnlyAdmin):
    list_display = ["title", "challenge_list", "bounty", "status"]
    list_filter = ["status"]
    search_fields = ["title"]
    inlines = [IndicatorInline]
    actions = ["reject_selected"]

    @admin.action(description=gettext_lazy("不予入榜"))
    def reject_selected(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset,
            action="reject_selected",
            title=_("不予入榜"),
            call=lambda user, challenge, reason: services.reject_challenge(
                user, challenge, note=reason
            ),
            done_text=_("已处理 %(n)d 项任务"),
        )


class MemberInline(ReadOnlyInline):
    model = models.ConsortiumMember
    fields = ["organization", "role", "work_share", "budget_share", "confirmed_at", "withdrawn"]
    readonly_fields = fields


@admin.register(models.Application)
class ApplicationAdmin(ServiceOnlyAdmin):
    list_display = ["lead", "challenge", "mode", "status", "submitted_at"]
    list_filter = ["status", "mode"]
    inlines = [MemberInline]


class MilestoneInline(ReadOnlyInline):
    model = models.Milestone
    fields = ["order", "title", "due_on", "extended_from", "status", "accepted_at"]
    readonly_fields = fields


class TrancheInline(ReadOnlyInline):
    model = models.Tranche
    fields = ["milestone", "amount", "status", "released_at", "released_by"]
    readonly_fields = fields


@admin.register(models.Agreement)
class AgreementAdmin(ServiceOnlyAdmin):
    list_display = [
        "challenge",
        "application",
        "bounty",
        "committed_total",
        "released_total",
        "status",
    ]
    inlines = [MilestoneInline, TrancheInline]


@admin.register(models.Objection)
class ObjectionAdmin(ServiceOnlyAdmin):
    list_display = ["application", "status", "filed_at"]
