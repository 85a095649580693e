"""Reading the booking calendar: an instrument's days with their bookings, closures and free gaps; the
instruments free for a time; monthly statements; the region's sharing figures."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F
from django.utils import timezone

from kechuang.booking.models import OCCUPYING, Booking, BookingRules, Closure, PriceGroup
from kechuang.core.money import to_yuan
from kechuang.directory.models import Instrument, Status

DAY = timedelta(days=1)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_default_timezone())


def local_moment(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_default_timezone())


@dataclass
class Block:
    """One stretch of a calendar day: a booking, a closure or a free gap."""

    kind: str  # "booking", "closure" or "free"
    starts_at: datetime
    ends_at: datetime
    booking: Booking | None = None
    label: str = ""

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@dataclass
class Day:
    day: date
    blocks: list[Block] = field(default_factory=list)
    past: bool = False

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5


def closures_from(instrument: Instrument, first: date, *, now: datetime) -> list[Closure]:
    """The instrument's closures that end after ``first`` (a Shanghai date) or after ``now``, whichever
    is earlier: one query that serves both a calendar from ``first`` and the notice of coming closures
    (closures are few — a handful a year per instrument)."""
    since = min(local_midnight(first), now)
    return list(
        Closure.objects.filter(instrument=instrument, ends_at__gt=since).order_by("starts_at", "pk")
    )


def calendar(
    instrument: Instrument,
    rules: BookingRules | None,
    first: date,
    days: int,
    *,
    now: datetime,
    closures: list[Closure] | None = None,
) -> list[Day]:
    """``days`` days from ``first`` (Shanghai dates): each day's occupying bookings, closures and the free
    gaps within opening hours that are still bookable (after the lead time). Two queries, or one when
    ``closures`` (at least those overlapping the days, e.g. :func:`closures_from`) are given."""
    start, end = local_midnight(first), local_midnight(first + timedelta(days=days))
    bookings = list(
        Booking.objects.filter(
            instrument=instrument,
            status__in=OCCUPYING,
            starts_at__lt=end,
            starts_at__gte=start - DAY,
            ends_at__gt=start,
        )
        .select_related("organization")
        .order_by("starts_at")
    )
    if closures is None:
        closures = list(
            Closure.objects.filter(
                instrument=instrument, starts_at__lt=end, ends_at__gt=start
            ).order_by("starts_at")
        )
    else:
        closures = [c for c in closures if c.starts_at < end and c.ends_at > start]
    earliest = now + timedelta(hours=rules.lead_hours) if rules else None
    if earliest is not None:  # free gaps start on the half hour, never before the lead time
        rounded = earliest.replace(second=0, microsecond=0)
        rounded += timedelta(minutes=(-rounded.minute) % 30)
        earliest = rounded if rounded >= earliest else rounded + timedelta(minutes=30)
    horizon = now + timedelta(days=rules.horizon_days) if rules else None
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        day_start, day_end = local_midnight(day), local_midnight(day + DAY)
        taken = [
            Block("booking", b.starts_at, b.ends_at, booking=b)
            for b in bookings
            if b.starts_at < day_end and b.ends_at > day_start
        ] + [
            Block("closure", max(c.starts_at, day_start), min(c.ends_at, day_end), label=c.reason)
            for c in closures
            if c.starts_at < day_end and c.ends_at > day_start
        ]
        taken.sort(key=lambda block: block.starts_at)
        blocks = list(taken)
        if rules and rules.enabled:
            cursor = max(local_moment(day, rules.opens_at), earliest)
            closing = local_moment(day, rules.closes_at)
            if horizon and closing > horizon:
                closing = horizon
            for block in taken:
                if block.starts_at > cursor and block.starts_at <= closing:
                    gap_end = min(block.starts_at, closing)
                    if (gap_end - cursor) >= timedelta(minutes=rules.min_minutes):
                        blocks.append(Block("free", cursor, gap_end))
                cursor = max(cursor, block.ends_at)
            if closing - cursor >= timedelta(minutes=rules.min_minutes):
                blocks.append(Block("free", cursor, closing))
        blocks.sort(key=lambda block: block.starts_at)
        result.append(Day(day, blocks, past=day_end <= now))
    return result


def bookable_instruments():
    """Published, in-service instruments whose owners take bookings online (可预约)."""
    return Instrument.objects.filter(
        status=Status.PUBLISHED,
        state=Instrument.State.AVAILABLE,
        booking_rules__enabled=True,
    )


def free_between(instruments, starts_at: datetime, ends_at: datetime):
    """Those of ``instruments`` open for the whole of ``starts_at``–``ends_at`` (one Shanghai day, within
    opening hours), with no occupying booking and no closure overlapping it. One query: the instruments
    taken in the window are one index range over (status, start) — a booking lies within one day, so it
    starts at most a day before the window — read once into a hashed set, not probed per instrument
    (``NOT IN`` of a subquery; a correlated ``NOT EXISTS`` was rescanned per instrument on PostgreSQL)."""
    local_start, local_end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    minutes = (ends_at - starts_at).total_seconds() / 60
    taken = Booking.objects.filter(
        status__in=OCCUPYING,
        starts_at__lt=ends_at,
        starts_at__gte=starts_at - DAY,
        ends_at__gt=starts_at,
    ).values("instrument_id")
    closed = Closure.objects.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).values(
        "instrument_id"
    )
    return (
        instruments.filter(
            booking_rules__enabled=True,
            booking_rules__opens_at__lte=local_start.time(),
            booking_rules__closes_at__gte=local_end.time(),
            booking_rules__min_minutes__lte=minutes,
            booking_rules__max_minutes__gte=minutes,
        )
        .exclude(pk__in=taken)
        .exclude(pk__in=closed)
    )


# --- statements ------------------------------------------------------------------------------------------


@dataclass
class Statement:
    """What one organisation was billed for instrument use in one month."""

    organization: object
    month: date
    bookings: list
    fee: Decimal
    voucher_share: Decimal
    payer_share: Decimal


def month_range(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return local_midnight(first), local_midnight(following)


def statement(organization, month: date) -> Statement:
    start, end = month_range(month)
    bookings = list(
        Booking.objects.filter(organization=organization, billed_at__gte=start, billed_at__lt=end)
        .select_related("instrument__owner", "user")
        .order_by("billed_at", "pk")
    )

    def total(name):
        return to_yuan(sum((getattr(b, name) or Decimal(0) for b in bookings), Decimal(0)))

    return Statement(
        organization,
        month.replace(day=1),
        bookings,
        total("fee"),
        total("voucher_share"),
        total("payer_share"),
    )


# --- the operators' sharing figures ----------------------------------------------------------------------


@dataclass
class Figures:
    instruments: int
    bookable: int
    bookings: int
    hours_booked: float
    hours_used: float
    external_users: int  # organisations served other than the instruments' owners
    partner_users: int
    income: Decimal
    voucher_income: Decimal
    by_month: list  # [(YYYY-MM, booked hours, used hours)]
    by_instrument: list  # top instruments by used hours: (name, owner, used, utilisation %)
    by_institution: list  # (owner, instruments, used hours, income)
    by_group: list  # (price group label, count)


def figures(regions, start: datetime, end: datetime, now: datetime | None = None) -> Figures:
    """The sharing figures of instruments in ``regions`` for bookings starting in ``start``–``end``.
    Hours are summed in Python over a narrow values list (SQLite has no interval arithmetic)."""
    instruments = Instrument.objects.filter(region__in=regions, status=Status.PUBLISHED)
    rows = list(
        Booking.objects.filter(
            instrument__region__in=regions, starts_at__gte=start, starts_at__lt=end
        ).values_list(
            "instrument_id",
            "instrument__owner_id",
            "organization_id",
            "status",
            "starts_at",
            "ends_at",
            "actual_start",
            "actual_end",
            "fee",
            "voucher_share",
            "price_group",
        )
    )
    booked = used = 0.0
    months: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    per_instrument: dict[int, float] = defaultdict(float)
    per_owner: dict[int, list] = defaultdict(lambda: [set(), 0.0, Decimal(0)])
    served, partners = set(), set()
    income = voucher_income = Decimal(0)
    groups: dict[str, int] = defaultdict(int)
    for instrument_id, owner_id, payer_id, status, s, e, a_s, a_e, fee, voucher, group in rows:
        month = timezone.localtime(s).strftime("%Y-%m")
        if status in OCCUPYING:
            hours = (e - s).total_seconds() / 3600
            booked += hours
            months[month][0] += hours
            groups[group] += 1
        if a_s and a_e:
            hours = (a_e - a_s).total_seconds() / 3600
            used += hours
            months[month][1] += hours
            per_instrument[instrument_id] += hours
            per_owner[owner_id][1] += hours
        per_owner[owner_id][0].add(instrument_id)
        if fee:
            income += fee
            voucher_income += voucher or 0
            per_owner[owner_id][2] += fee
        if payer_id != owner_id and status in (Booking.Status.COMPLETED, Booking.Status.CONFIRMED):
            served.add(payer_id)
            if group == PriceGroup.PARTNER:
                partners.add(payer_id)
    # utilisation: hours used over the opening hours that have passed (a year in progress counts to today)
    days = max(1, (min(end, now or timezone.now()) - start).days)
    hours_of = {
        pk: (opens, closes)
        for pk, opens, closes in BookingRules.objects.filter(
            instrument_id__in=list(per_instrument)
        ).values_list("instrument_id", "opens_at", "closes_at")
    }
    top = sorted(per_instrument.items(), key=lambda item: -item[1])[:15]
    names = {
        i.pk: i
        for i in Instrument.objects.filter(pk__in=[pk for pk, _h in top]).select_related("owner")
    }

    def open_hours(pk):
        o, c = hours_of.get(pk, (time(8), time(20)))
        return (c.hour * 60 + c.minute - o.hour * 60 - o.minute) / 60 * days * 5 / 7

    from kechuang.directory.models import Organization

    owners = {o.pk: o for o in Organization.objects.filter(pk__in=list(per_owner))}
    return Figures(
        instruments=instruments.count(),
        bookable=instruments.filter(booking_rules__enabled=True).count(),
        bookings=sum(1 for r in rows if r[3] in OCCUPYING),
        hours_booked=round(booked, 1),
        hours_used=round(used, 1),
        external_users=len(served),
        partner_users=len(partners),
        income=to_yuan(income),
        voucher_income=to_yuan(voucher_income),
        by_month=sorted((m, round(b, 1), round(u, 1)) for m, (b, u) in months.items()),
        by_instrument=[
            (names[pk], round(hours, 1), round(100 * hours / open_hours(pk), 1))
            for pk, hours in top
            if pk in names
        ],
        by_institution=sorted(
            (
                (owners[pk], len(ids), round(hours, 1), to_yuan(money))
                for pk, (ids, hours, money) in per_owner.items()
                if pk in owners
            ),
            key=lambda row: -row[2],
        )[:15],
        by_group=[(PriceGroup(g).label, n) for g, n in sorted(groups.items())],
    )


# --- what the pilot indicators read ----------------------------------------------------------------------


def used_bookings(*, external_only: bool = False):
    """Instrument hours shared (仪器共享机时): the completed bookings whose use was recorded, placed in
    time by the actual start and in space by the instrument's region; ``external_only`` keeps those paid
    by an organisation other than the instrument's owner (shared outside the owner). The pilot indicators
    sum :func:`used_duration` over these (``booking.hours_used``, ``booking.hours_used_external``)."""
    bookings = Booking.objects.filter(
        status=Booking.Status.COMPLETED, actual_start__isnull=False, actual_end__isnull=False
    )
    if external_only:
        bookings = bookings.exclude(organization=F("instrument__owner"))
    return bookings.select_related("instrument__region", "instrument__owner", "organization")


def used_duration():
    """The time a booking was actually used (actual end − actual start), summed by the database: an
    interval on PostgreSQL, microseconds on SQLite — Django returns a ``timedelta`` either way."""
    return ExpressionWrapper(F("actual_end") - F("actual_start"), output_field=DurationField())


MICROSECONDS_AN_HOUR = Decimal(3_600_000_000)


def hours(duration: timedelta) -> Decimal:
    """A duration in hours (to 28 significant digits; whole minutes give the exact figure, 1.5 h)."""
    return Decimal(duration // timedelta(microseconds=1)) / MICROSECONDS_AN_HOUR


def pending_for(user):
    """Bookings waiting for ``user``'s decision (the approval queue)."""
    return Booking.objects.managed_by(user).awaiting_decision()


def awaiting_use(user, now: datetime):
    """Confirmed bookings of ``user``'s instruments that have ended and whose use is not recorded."""
    return Booking.objects.managed_by(user).filter(
        status=Booking.Status.CONFIRMED, ends_at__lte=now
    )


def counts_by_status(queryset) -> dict[str, int]:
    return dict(queryset.values_list("status").annotate(n=Count("pk")))
