"""Admin for the shared reference data, and :class:`RegionScopedAdmin`, the base of every admin whose rows
belong to a region.

Operators (staff users with ``OperatorMandate`` s) hold no Django model permissions: what they may see and
change in the admin follows from their mandates alone. Superusers see everything.
"""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from kechuang.core.access import is_operator, managed_regions, operates
from kechuang.core.models import AuditEntry, Federation, Region, TechField

admin.site.site_header = _("科创平台管理")
admin.site.site_title = _("科创平台管理")
admin.site.index_title = _("资源与运营管理")


def request_is_operator(request) -> bool:
    """``is_operator`` for the request's user, asked once per request (the admin asks it many times)."""
    if not hasattr(request, "_kechuang_is_operator"):
        request._kechuang_is_operator = is_operator(request.user)
    return request._kechuang_is_operator


class RegionScopedAdmin(admin.ModelAdmin):
    """A model admin that operators use within their regions.

    Guarantees for a non-superuser: the change list, change form, autocomplete and every action see only
    rows whose ``region_field`` lies in ``managed_regions(user)``; region choices are limited to those
    regions and choices of other region-scoped models (those whose queryset has ``managed_by``) to the rows
    the user manages; a row outside them cannot be viewed or changed; nothing can be deleted (operators
    archive instead). Users without a mandate see nothing of it.
    """

    region_field = "region"
    show_full_result_count = False  # the directory has 100k-row tables: skip the second COUNT(*)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.region_field}__in": managed_regions(request.user)})

    def _operates_on(self, request, obj) -> bool:
        if request.user.is_superuser:
            return True
        if not request_is_operator(request):
            return False
        return obj is None or operates(request.user, getattr(obj, self.region_field))

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser or request_is_operator(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._operates_on(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._operates_on(request, obj)

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser or request_is_operator(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            scoped = self._scoped_choices(db_field, request)
            if scoped is not None:
                kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            scoped = self._scoped_choices(db_field, request)
            if scoped is not None:
                kwargs["queryset"] = scoped
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _scoped_choices(self, db_field, request) -> models.QuerySet | None:
        related = db_field.remote_field.model
        if related is Region:
            return managed_regions(request.user)
        if hasattr(related._default_manager.get_queryset(), "managed_by"):
            return related._default_manager.managed_by(request.user)
        return None


class ScopedInline(admin.TabularInline):
    """An inline that whoever may change the parent row may edit (operators hold no model permissions)."""

    extra = 0

    def _parent_allowed(self, request, obj) -> bool:
        if request.user.is_superuser:
            return True
        if not request_is_operator(request):
            return False
        return obj is None or operates(request.user, obj.region)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._parent_allowed(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._parent_allowed(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._parent_allowed(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._parent_allowed(request, obj)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Regions: superusers maintain them; operators may look up (and autocomplete) the regions they run."""

    list_display = ["code", "name", "level", "parent", "is_pilot"]
    list_filter = ["level", "is_pilot"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    ordering = ["code"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("parent")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=managed_regions(request.user))

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        return request_is_operator(request) and (obj is None or operates(request.user, obj))


@admin.register(Federation)
class FederationAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["members"]


@admin.register(TechField)
class TechFieldAdmin(admin.ModelAdmin):
    list_display = ["name", "parent"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    list_select_related = ["parent"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only: rows are written by the services alone."""

    list_display = ["at", "actor", "action", "target_type", "target_id", "summary"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_id", "summary", "actor__username"]
    list_select_related = ["actor"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
