"""Booking pages: parse input, call a service, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from kechuang.booking import services
from kechuang.booking.models import Booking


@login_required
def my_bookings(request):
    bookings = Booking.objects.of_user(request.user).select_related("instrument", "organization")
    return render(request, "booking/mine.html", {"bookings": bookings.order_by("-starts_at")[:200]})


@login_required
def detail(request, pk: int):
    booking = get_object_or_404(
        Booking.objects.select_related("instrument__owner", "organization", "user"), pk=pk
    )
    if booking.user_id != request.user.pk and not services.may_manage(
        request.user, booking.instrument
    ):
        raise PermissionDenied
    return render(request, "booking/detail.html", {"booking": booking})
