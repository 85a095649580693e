"""Admin for the resource directory, scoped to the operator's regions (see ``RegionScopedAdmin``).

Saving and the review actions (提交审核, 批准发布, 退回, 归档) go through :mod:`kechuang.directory.services`,
so the admin enforces the same permissions and state machine and writes the same audit rows as the
management pages. The status is never edited directly.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.admin import RegionScopedAdmin, ScopedInline
from kechuang.core.admin_actions import apply_service
from kechuang.directory import services
from kechuang.directory.forms import KeywordsField
from kechuang.directory.models import (
    Achievement,
    Expert,
    ExpertWork,
    InnovationPlatform,
    Instrument,
    Organization,
    ServiceItem,
    TierRecord,
)


class ReturnReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("退回理由"),
        max_length=services.RETURN_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class KeywordsAsText:
    """Keyword lists (JSON in the database) edited as one line, ``电机、控制器``, not as raw JSON."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "keywords":
            return KeywordsField(
                label=db_field.verbose_name, widget=forms.TextInput(attrs={"size": 40})
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ListingAdmin(KeywordsAsText, RegionScopedAdmin):
    """What every directory record's admin shares: scoping, read-only status, saving and review actions
    through the services."""

    list_filter = ["status", ("region", admin.RelatedOnlyFieldListFilter)]
    readonly_fields = ["status", "review_note", "created_at", "updated_at"]
    filter_horizontal = ["industry_chains", "fields"]
    actions = ["submit_selected", "approve_selected", "return_selected", "archive_selected"]

    def save_model(self, request, obj, form, change):
        services.save_record(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A record has a history (audit rows, demands and engagements point at it): archive it instead.
        return False

    def _apply(self, request, queryset, service, done_text: str) -> None:
        apply_service(self, request, queryset, service, done_text)

    @admin.action(description=gettext_lazy("提交审核"))
    def submit_selected(self, request, queryset):
        self._apply(request, queryset, services.submit, _("已提交审核 %(n)d 条记录"))

    @admin.action(description=gettext_lazy("批准发布"))
    def approve_selected(self, request, queryset):
        self._apply(request, queryset, services.approve, _("已批准发布 %(n)d 条记录"))

    @admin.action(description=gettext_lazy("退回"))
    def return_selected(self, request, queryset):
        """Asks for the reason on an intermediate page, then returns every selected record with it."""
        form = ReturnReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._apply(
                request,
                queryset,
                lambda user, record: services.return_for_revision(user, record, reason),
                _("已退回 %(n)d 条记录"),
            )
            return None
        return TemplateResponse(
            request,
            "directory/manage/admin_return.html",
            {
                **self.admin_site.each_context(request),
                "title": _("退回"),
                "opts": self.model._meta,
                "queryset": queryset,
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=gettext_lazy("归档"))
    def archive_selected(self, request, queryset):
        self._apply(request, queryset, services.archive, _("已归档 %(n)d 条记录"))


class TierRecordInline(ScopedInline):
    """A firm's cultivation steps (梯次培育), shown read-only: a step is recorded on the firm's plan in the
    cultivation ladder (``/indicators/ladder/``) through ``indicators.services.record_tier_step``, which
    checks it is upward and not in the future, moves the firm's tier and plan, and audits it."""

    model = TierRecord
    verbose_name_plural = gettext_lazy("梯次培育记录（在“梯次培育”页面登记）")
    fields = ["tier", "recognized_on", "plan", "recorded_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(ListingAdmin):
    list_display = ["name", "kind", "tier", "region", "status", "is_shared", "updated_at"]
    list_filter = [
        "status",
        "kind",
        "tier",
        "is_shared",
        ("region", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]
    inlines = [TierRecordInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ExpertWorkInline(KeywordsAsText, ScopedInline):
    model = ExpertWork
    fields = ["kind", "title", "year", "reference", "abstract", "keywords"]


@admin.register(Expert)
class ExpertAdmin(ListingAdmin):
    list_display = ["name", "title", "affiliation", "talent", "availability", "region", "status"]
    list_filter = [
        "status",
        "talent",
        "availability",
        "is_part_time_engineer",
        ("region", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "title"]
    autocomplete_fields = ["region", "affiliation"]
    raw_id_fields = ["user"]
    list_select_related = ["region", "affiliation"]
    inlines = [ExpertWorkInline]

    def get_readonly_fields(self, request, obj=None):
        # Linking a sign-in account to a profile hands that person the profile: superusers only.
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else [*fields, "user"]


@admin.register(Achievement)
class AchievementAdmin(ListingAdmin):
    list_display = ["title", "kind", "patent_number", "owner", "maturity", "region", "status"]
    list_filter = [
        "status",
        "kind",
        "maturity",
        ("region", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "patent_number"]
    autocomplete_fields = ["region", "owner", "inventors"]
    list_select_related = ["region", "owner"]


@admin.register(Instrument)
class InstrumentAdmin(ListingAdmin):
    list_display = ["name", "asset_code", "category", "owner", "state", "region", "status"]
    list_filter = [
        "status",
        "category",
        "state",
        "accepts_vouchers",
        ("region", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "asset_code", "model_number"]
    autocomplete_fields = ["region", "owner"]
    list_select_related = ["region", "owner"]


@admin.register(ServiceItem)
class ServiceItemAdmin(ListingAdmin):
    list_display = ["title", "category", "provider", "price", "region", "status"]
    list_filter = [
        "status",
        "category",
        "accepts_vouchers",
        ("region", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title"]
    autocomplete_fields = ["region", "provider"]
    list_select_related = ["region", "provider"]


@admin.register(InnovationPlatform)
class InnovationPlatformAdmin(ListingAdmin):
    list_display = ["name", "kind", "level", "host", "region", "status"]
    list_filter = ["status", "kind", "level", ("region", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    autocomplete_fields = ["region", "host"]
    list_select_related = ["region", "host"]
