"""iCalendar (RFC 5545) feeds: an instrument's occupied slots (no names: who booked is private) and a
user's own bookings. A user's feed is reached by a signed token in its address, so a calendar program can
subscribe without a session; the token names the user and nothing else."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core import signing
from django.utils import timezone
from icalendar import Calendar, Event

from kechuang.booking.models import OCCUPYING, Booking

SALT = "kechuang.booking.feed"
PAST = timedelta(days=30)


def user_token(user) -> str:
    return signing.dumps(user.pk, salt=SALT, compress=True)


def user_for(token: str):
    try:
        pk = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return get_user_model().objects.filter(pk=pk, is_active=True).first()


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Kechuang//Instrument booking//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    return calendar


def _event(booking: Booking, summary: str, description: str = "") -> Event:
    event = Event()
    event.add("uid", f"booking-{booking.pk}@kechuang")
    event.add("dtstamp", booking.created_at)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if booking.instrument.location:
        event.add("location", booking.instrument.location)
    event.add("status", "TENTATIVE" if booking.status == Booking.Status.PENDING else "CONFIRMED")
    return event


def instrument_calendar(instrument) -> bytes:
    calendar = _calendar(str(instrument))
    since = timezone.now() - PAST
    for booking in Booking.objects.filter(
        instrument=instrument, status__in=OCCUPYING, ends_at__gte=since
    ).select_related("instrument")[:2000]:
        calendar.add_component(
            _event(booking, f"{instrument.name}：{booking.get_status_display()}")
        )
    return calendar.to_ical()


def user_calendar(user) -> bytes:
    calendar = _calendar("我的仪器预约")
    since = timezone.now() - PAST
    for booking in Booking.objects.filter(
        user=user,
        status__in=(Booking.Status.PENDING, Booking.Status.CONFIRMED, Booking.Status.COMPLETED),
        ends_at__gte=since,
    ).select_related("instrument__owner")[:2000]:
        calendar.add_component(
            _event(
                booking,
                f"{booking.instrument.name}（{booking.get_status_display()}）",
                f"{booking.instrument.owner.name} · {booking.purpose}",
            )
        )
    return calendar.to_ical()
