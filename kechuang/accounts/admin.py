"""Admin for users, organisation memberships and operator mandates: superusers only (operators hold no model
permissions, so Django's permission checks keep them out)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.models import Membership, OperatorMandate, User


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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__display_name", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]


@admin.register(OperatorMandate)
class OperatorMandateAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "office", "created_at"]
    search_fields = ["user__username", "user__display_name", "region__name", "office"]
    autocomplete_fields = ["user", "region"]
    list_select_related = ["user", "region"]
