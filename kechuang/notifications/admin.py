from django.contrib import admin

from kechuang.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "recipient",
        "event",
        "subject",
        "read_at",
        "delivered_at",
        "emailed",
    ]
    list_filter = ["event", "emailed"]
    search_fields = ["title", "recipient__username"]
    raw_id_fields = ["recipient"]
