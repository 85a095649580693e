from django.contrib import admin

from kechuang.privacy.models import PersonalDataRequest


@admin.register(PersonalDataRequest)
class PersonalDataRequestAdmin(admin.ModelAdmin):
    """Read-only: requests are written by the privacy services alone."""

    list_display = ["requested_at", "kind", "pseudonym", "completed_at"]
    list_filter = ["kind"]
    search_fields = ["pseudonym"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
