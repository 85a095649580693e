"""The admin shows contracts read-only: registration and its changes go through the services."""

from django.contrib import admin

from kechuang.contracts.models import ContractAttachment, PaymentTerm, TechContract


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = PaymentTerm
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TechContract)
class TechContractAdmin(ReadOnly):
    list_display = ("title", "number", "kind", "seller_name", "buyer_name", "tech_amount", "status")
    list_filter = ("status", "kind", "source")
    search_fields = ("title", "number", "seller_name", "buyer_name")
    inlines = [PaymentInline]


@admin.register(ContractAttachment)
class ContractAttachmentAdmin(ReadOnly):
    list_display = ("name", "contract", "uploaded_at")
