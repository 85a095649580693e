"""Admin for users, organisation memberships and operator mandates: superusers only (operators hold no model
permissions, so Django's permission checks keep them out).

Memberships and mandates are permission grants: the admin writes them only through
:mod:`kechuang.accounts.services` (granted, changed and revoked with an audit row), never by saving or
deleting the rows itself. Who a grant is for, and for which organisation or region, is fixed once granted:
revoke and grant again.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from kechuang.accounts import services
from kechuang.accounts.models import Membership, OperatorMandate, User
from kechuang.core.actions import Refused


def _grant_or_change(request, obj) -> None:
    """Write one membership or mandate from the admin through its service (the saved row's key is copied
    back so the admin can show it)."""
    if isinstance(obj, Membership):
        if obj.pk is None:
            obj.pk = services.grant_membership(
                request.user, obj.user, obj.organization, role=obj.role
            ).pk
        else:
            services.change_membership_role(request.user, obj, obj.role)
    elif obj.pk is None:
        obj.pk = services.grant_mandate(request.user, obj.user, obj.region, office=obj.office).pk
    else:
        services.change_mandate_office(request.user, obj, obj.office)


def _revoke(request, obj) -> None:
    if isinstance(obj, Membership):
        services.revoke_membership(request.user, obj)
    else:
        services.revoke_mandate(request.user, obj)


class GrantAdmin(admin.ModelAdmin):
    """Saves and deletes through the services; the grantee and what they were granted are read-only
    once saved."""

    fixed_fields: list[str] = []

    def get_readonly_fields(self, request, obj=None):
        return [*self.fixed_fields, "created_at"] if obj else ["created_at"]

    def save_model(self, request, obj, form, change):
        _grant_or_change(request, obj)

    def delete_model(self, request, obj):
        _revoke(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            try:
                _revoke(request, obj)
            except (Refused, PermissionDenied) as error:
                self.message_user(request, f"{obj}：{error}", messages.ERROR)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


class OperatorMandateInline(admin.TabularInline):
    model = OperatorMandate
    extra = 0
    autocomplete_fields = ["region"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("平台资料"), {"fields": ["display_name", "phone", "language"]}),
    )
    list_display = ["username", "display_name", "email", "is_staff", "is_superuser", "is_active"]
    search_fields = ["username", "display_name", "email", "phone"]
    inlines = [MembershipInline, OperatorMandateInline]

    def save_formset(self, request, form, formset, change):
        """Memberships and mandates edited on the user's page go through the services too."""
        if formset.model not in (Membership, OperatorMandate):
            return super().save_formset(request, form, formset, change)
        for obj in formset.save(commit=False):  # the new and changed rows, not yet saved
            fixed = "organization_id" if isinstance(obj, Membership) else "region_id"
            if obj.pk is not None:
                stored = type(obj).objects.get(pk=obj.pk)
                if getattr(stored, fixed) != getattr(obj, fixed):
                    # another organisation or region is another grant: revoke this one, grant that one
                    _revoke(request, stored)
                    obj.pk = None
            _grant_or_change(request, obj)
        for obj in formset.deleted_objects:
            _revoke(request, obj)


@admin.register(Membership)
class MembershipAdmin(GrantAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__display_name", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]
    fixed_fields = ["user", "organization"]


@admin.register(OperatorMandate)
class OperatorMandateAdmin(GrantAdmin):
    list_display = ["user", "region", "office", "created_at"]
    search_fields = ["user__username", "user__display_name", "region__name", "office"]
    autocomplete_fields = ["user", "region"]
    list_select_related = ["user", "region"]
    fixed_fields = ["user", "region"]
