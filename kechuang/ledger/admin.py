"""The ledger in the admin: read-only. Nobody adds, changes or deletes a posted row here."""

from django.contrib import admin

from kechuang.ledger.models import Account, Entry, Line


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["pk", "owner_type", "owner_id", "purpose", "balance", "may_go_negative"]
    list_filter = ["owner_type", "purpose"]
    search_fields = ["owner_id"]


class LineInline(admin.TabularInline):
    model = Line
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["pk", "posted_at", "event", "target_type", "target_id", "actor", "memo"]
    list_filter = ["event"]
    search_fields = ["target_id", "idempotency_key", "memo"]
    inlines = [LineInline]
