"""The admin shows auctions read-only: sessions, lots, bids and deposits change only through the services."""

from django.contrib import admin

from kechuang.auctions.models import AuctionSession, Bid, Lot, Registration


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuctionSession)
class AuctionSessionAdmin(ReadOnly):
    list_display = ("title", "organizer", "mode", "starts_at", "status")
    list_filter = ("status", "mode")


@admin.register(Lot)
class LotAdmin(ReadOnly):
    list_display = (
        "session",
        "number",
        "title",
        "starting_price",
        "current_price",
        "hammer_price",
        "status",
    )
    list_filter = ("status",)


@admin.register(Registration)
class RegistrationAdmin(ReadOnly):
    list_display = ("session", "paddle", "organization", "deposit_held")


@admin.register(Bid)
class BidAdmin(ReadOnly):
    list_display = ("lot", "registration", "amount", "kind", "placed_at")
