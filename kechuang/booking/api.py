"""JSON API of instrument booking (mounted at ``/api/booking/``): rules, calendar, free search, bookings
and every transition, trainings, closures, statements and the operators' figures. Each write calls one
service of :mod:`kechuang.booking.services`; refusals answer 409 with the rule's code (``taken``,
``lead_time``, ``quota``…), missing rights 403, invalid input 422. ``POST /bookings`` takes an
idempotency key: the same key of the same user returns the first booking."""

from datetime import date, datetime, time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth

from kechuang.accounts.permissions import acts_for, is_operator, managed_regions, operates
from kechuang.booking import queries, services
from kechuang.booking.models import Booking, BookingRules, Closure, Training
from kechuang.core.params import PlatformDateTime
from kechuang.core.schemas import Input
from kechuang.directory.models import Instrument, Organization
from kechuang.vouchers.models import Voucher

router = Router(tags=["booking"])
MONEY = {"ge": 0, "lt": Decimal("1e12"), "decimal_places": 2}


class RulesIn(Input):
    enabled: bool = True
    mode: BookingRules.Mode = BookingRules.Mode.SELF_SERVICE
    training_required: bool = False
    needs_approval: bool = True
    min_minutes: int = Field(30, ge=1, le=1440)
    max_minutes: int = Field(480, ge=1, le=1440)
    lead_hours: int = Field(2, ge=0, le=24 * 60)
    horizon_days: int = Field(60, ge=1, le=730)
    opens_at: time = time(8)
    closes_at: time = time(20)
    cancel_window_hours: int = Field(24, ge=0, le=24 * 60)
    late_cancel_fee: Decimal = Field(Decimal(0), **MONEY)
    no_show_minutes: int = Field(30, ge=1, le=1440)
    no_show_fee: Decimal = Field(Decimal(0), **MONEY)
    weekly_quota_hours: int = Field(0, ge=0, le=168)
    unit: Instrument.Unit = Instrument.Unit.HOUR
    internal_rate: Decimal = Field(Decimal(0), **MONEY)
    external_rate: Decimal = Field(Decimal(0), **MONEY)
    partner_rate: Decimal = Field(Decimal(0), **MONEY)


class RulesOut(Schema):
    instrument_id: int
    enabled: bool
    mode: str
    training_required: bool
    needs_approval: bool
    min_minutes: int
    max_minutes: int
    lead_hours: int
    horizon_days: int
    opens_at: time
    closes_at: time
    cancel_window_hours: int
    late_cancel_fee: Decimal
    no_show_minutes: int
    no_show_fee: Decimal
    weekly_quota_hours: int
    unit: str
    internal_rate: Decimal
    external_rate: Decimal
    partner_rate: Decimal


class BookingIn(Input):
    instrument_id: int
    organization_id: int = Field(description="the paying organisation; the user must be its member")
    starts_at: PlatformDateTime
    ends_at: PlatformDateTime
    kind: Booking.Kind = Booking.Kind.SLOT
    samples: int = Field(0, ge=0, le=1000)
    purpose: str = Field("", max_length=300)
    voucher_id: int | None = None
    idempotency_key: str = Field("", max_length=120)


class BookingOut(Schema):
    id: int
    instrument_id: int
    instrument: str
    organization_id: int
    organization: str
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime
    samples: int
    purpose: str
    price_group: str
    unit: str
    rate: Decimal
    estimated_fee: Decimal
    voucher: str
    actual_start: datetime | None
    actual_end: datetime | None
    actual_samples: int | None
    fee_kind: str
    fee: Decimal | None
    voucher_share: Decimal
    payer_share: Decimal
    note: str

    @staticmethod
    def resolve_instrument(obj: Booking) -> str:
        return obj.instrument.name

    @staticmethod
    def resolve_organization(obj: Booking) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_voucher(obj: Booking) -> str:
        return obj.voucher_label


class BlockOut(Schema):
    kind: str = Field(description="booking, closure or free")
    starts_at: datetime
    ends_at: datetime
    status: str = ""
    booking_id: int | None = None
    organization: str = Field(
        "", description="only for the booking's parties and the instrument's managers"
    )


class DayOut(Schema):
    day: date
    blocks: list[BlockOut]


class InstrumentOut(Schema):
    id: int
    name: str
    owner: str
    region: str
    unit: str
    external_rate: Decimal

    @staticmethod
    def resolve_owner(obj: Instrument) -> str:
        return obj.owner.name

    @staticmethod
    def resolve_region(obj: Instrument) -> str:
        return obj.region.name

    @staticmethod
    def resolve_unit(obj: Instrument) -> str:
        return obj.booking_rules.unit

    @staticmethod
    def resolve_external_rate(obj: Instrument) -> Decimal:
        return obj.booking_rules.external_rate


class FreeQuery(Input):
    starts_at: PlatformDateTime
    ends_at: PlatformDateTime
    q: str = Field("", max_length=50)
    limit: int = Field(50, ge=1, le=200)


class NoteIn(Input):
    note: str = Field(min_length=1, max_length=300)


class CancelIn(Input):
    reason: str = Field("", max_length=300)


class UseIn(Input):
    actual_start: PlatformDateTime | None = None
    actual_end: PlatformDateTime | None = None
    samples: int | None = Field(None, ge=0, le=1000)


class TrainingIn(Input):
    username: str = Field(max_length=150)
    trained_on: date
    lapses_on: date | None = None


class TrainingOut(Schema):
    username: str
    trained_on: date
    lapses_on: date | None

    @staticmethod
    def resolve_username(obj: Training) -> str:
        return obj.user.username


class ClosureIn(Input):
    starts_at: PlatformDateTime
    ends_at: PlatformDateTime
    reason: str = Field(min_length=1, max_length=200)


class ClosureOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    reason: str


class StatementOut(Schema):
    organization_id: int
    month: date
    fee: Decimal
    voucher_share: Decimal
    payer_share: Decimal
    bookings: list[BookingOut]


class MonthOut(Schema):
    month: str
    hours_booked: float
    hours_used: float


class FiguresOut(Schema):
    instruments: int
    bookable: int
    bookings: int
    hours_booked: float
    hours_used: float
    external_users: int
    partner_users: int
    income: Decimal
    voucher_income: Decimal
    by_month: list[MonthOut]


def _instrument(pk: int) -> Instrument:
    return get_object_or_404(Instrument.objects.select_related("owner", "region"), pk=pk)


def _booking(request, pk: int) -> Booking:
    booking = get_object_or_404(
        Booking.objects.select_related("instrument__region", "organization", "user"), pk=pk
    )
    user = request.user
    if not (
        booking.user_id == user.pk
        or acts_for(user, booking.organization_id)
        or services.may_manage(user, booking.instrument)
    ):
        raise PermissionDenied("您无权查看这个预约")
    return booking


def _rules(instrument: Instrument) -> BookingRules:
    rules = services.rules_of(instrument)
    if rules is None:
        raise Http404("该仪器尚未设置预约规则")
    return rules


@router.get("/instruments/{int:instrument_id}/rules", response=RulesOut)
def get_rules(request, instrument_id: int):
    return _rules(_instrument(instrument_id))


@router.put("/instruments/{int:instrument_id}/rules", response=RulesOut, auth=django_auth)
def put_rules(request, instrument_id: int, payload: RulesIn):
    return services.save_rules(request.user, _instrument(instrument_id), **payload.dict())


@router.get("/instruments/{int:instrument_id}/calendar", response=list[DayOut])
def get_calendar(
    request, instrument_id: int, start: date | None = None, days: int = Query(7, ge=1, le=31)
):
    """The days from ``start`` (default today): bookings, closures and bookable free gaps."""
    instrument = _instrument(instrument_id)
    rules = services.rules_of(instrument)
    manager = services.may_manage(request.user, instrument)
    result = []
    for day in queries.calendar(
        instrument, rules, start or timezone.localdate(), days, now=timezone.now()
    ):
        blocks = []
        for block in day.blocks:
            b = block.booking
            mine = b is not None and (manager or b.user_id == request.user.pk)
            blocks.append(
                {
                    "kind": block.kind,
                    "starts_at": block.starts_at,
                    "ends_at": block.ends_at,
                    "status": b.status if b else "",
                    "booking_id": b.pk if mine else None,
                    "organization": b.organization.name if mine else "",
                }
            )
        result.append({"day": day.day, "blocks": blocks})
    return result


@router.get("/free", response=list[InstrumentOut])
def free(request, filters: Query[FreeQuery]):
    """Bookable instruments free for the whole of ``starts_at``–``ends_at``."""
    if filters.ends_at <= filters.starts_at:
        return []  # an empty or reversed interval: no instrument is free "for the whole of" nothing
    instruments = queries.free_between(
        queries.bookable_instruments(), filters.starts_at, filters.ends_at
    )
    if filters.q:
        instruments = instruments.filter(name__contains=filters.q)
    return instruments.select_related("owner", "region", "booking_rules").order_by("name", "pk")[
        : filters.limit
    ]


@router.get("/bookings", response=list[BookingOut], auth=django_auth)
def list_bookings(
    request,
    managed: bool = False,
    status: Booking.Status | None = None,
    page: int = Query(1, ge=1, le=10000),
):
    """The user's bookings, newest first — or, with ``managed``, the bookings of instruments they manage."""
    rows = (
        Booking.objects.managed_by(request.user)
        if managed
        else Booking.objects.of_user(request.user)
    )
    if status:
        rows = rows.filter(status=status)
    rows = rows.select_related("instrument", "organization").order_by("-starts_at", "-pk")
    return rows[(page - 1) * 50 : page * 50]


@router.post("/bookings", response={201: BookingOut}, auth=django_auth)
def create_booking(request, payload: BookingIn):
    instrument = _instrument(payload.instrument_id)
    organization = get_object_or_404(Organization, pk=payload.organization_id)
    voucher = None
    if payload.voucher_id is not None:
        voucher = get_object_or_404(Voucher, pk=payload.voucher_id)
    booking = services.book(
        request.user,
        services.Request(
            instrument,
            organization,
            payload.starts_at,
            payload.ends_at,
            kind=payload.kind,
            samples=payload.samples,
            purpose=payload.purpose,
            voucher=voucher,
            idempotency_key=payload.idempotency_key,
        ),
        now=timezone.now(),
    )
    return Status(201, booking)


@router.get("/bookings/{int:booking_id}", response=BookingOut, auth=django_auth)
def get_booking(request, booking_id: int):
    return _booking(request, booking_id)


@router.post("/bookings/{int:booking_id}/approve", response=BookingOut, auth=django_auth)
def approve(request, booking_id: int):
    return services.approve(request.user, _booking(request, booking_id), now=timezone.now())


@router.post("/bookings/{int:booking_id}/reject", response=BookingOut, auth=django_auth)
def reject(request, booking_id: int, payload: NoteIn):
    return services.reject(
        request.user, _booking(request, booking_id), note=payload.note, now=timezone.now()
    )


@router.post("/bookings/{int:booking_id}/cancel", response=BookingOut, auth=django_auth)
def cancel(request, booking_id: int, payload: CancelIn):
    return services.cancel(
        request.user, _booking(request, booking_id), reason=payload.reason, now=timezone.now()
    )


@router.post("/bookings/{int:booking_id}/check-in", response=BookingOut, auth=django_auth)
def check_in(request, booking_id: int):
    return services.check_in(request.user, _booking(request, booking_id), now=timezone.now())


@router.post("/bookings/{int:booking_id}/use", response=BookingOut, auth=django_auth)
def record_use(request, booking_id: int, payload: UseIn):
    booking = services.record_use(
        request.user, _booking(request, booking_id), now=timezone.now(), **payload.dict()
    )
    booking.refresh_from_db()
    return booking


@router.post("/bookings/{int:booking_id}/no-show", response=BookingOut, auth=django_auth)
def no_show(request, booking_id: int):
    return services.mark_no_show(request.user, _booking(request, booking_id), now=timezone.now())


@router.get(
    "/instruments/{int:instrument_id}/trainings", response=list[TrainingOut], auth=django_auth
)
def trainings(request, instrument_id: int):
    instrument = _instrument(instrument_id)
    if not services.may_manage(request.user, instrument):
        raise PermissionDenied("只有仪器管理员可以查看培训记录")
    return Training.objects.filter(instrument=instrument).select_related("user").order_by("pk")


@router.post(
    "/instruments/{int:instrument_id}/trainings", response={201: TrainingOut}, auth=django_auth
)
def add_training(request, instrument_id: int, payload: TrainingIn):
    user = get_object_or_404(get_user_model(), username=payload.username)
    training = services.record_training(
        request.user,
        _instrument(instrument_id),
        user,
        trained_on=payload.trained_on,
        lapses_on=payload.lapses_on,
    )
    return Status(201, training)


@router.get("/instruments/{int:instrument_id}/closures", response=list[ClosureOut])
def closures(request, instrument_id: int):
    return Closure.objects.filter(instrument_id=instrument_id, ends_at__gt=timezone.now()).order_by(
        "starts_at"
    )


@router.post(
    "/instruments/{int:instrument_id}/closures", response={201: ClosureOut}, auth=django_auth
)
def add_closure(request, instrument_id: int, payload: ClosureIn):
    closure = services.add_closure(
        request.user, _instrument(instrument_id), now=timezone.now(), **payload.dict()
    )
    return Status(201, closure)


@router.get("/statements", response=StatementOut, auth=django_auth)
def statement(request, organization_id: int, month: str = Query(..., pattern=r"^\d{4}-\d{2}$")):
    """The monthly statement (``month`` as YYYY-MM) of a paying organisation."""
    organization = get_object_or_404(
        Organization.objects.select_related("region"), pk=organization_id
    )
    if not (acts_for(request.user, organization.pk) or operates(request.user, organization.region)):
        raise PermissionDenied("您无权查看该单位的结算单")
    year, number = (int(part) for part in month.split("-"))
    if not 1 <= number <= 12 or not 2000 <= year <= 2100:
        raise ValidationError({"month": "月份无效"})
    result = queries.statement(organization, date(year, number, 1))
    return {
        "organization_id": organization.pk,
        "month": result.month,
        "fee": result.fee,
        "voucher_share": result.voucher_share,
        "payer_share": result.payer_share,
        "bookings": result.bookings,
    }


@router.get("/figures", response=FiguresOut, auth=django_auth)
def figures(request, year: int = Query(..., ge=2000, le=2100)):
    """The sharing figures of the operator's regions for one year."""
    if not is_operator(request.user):
        raise PermissionDenied("共享统计只对运营人员开放")
    result = queries.figures(
        managed_regions(request.user),
        queries.local_midnight(date(year, 1, 1)),
        queries.local_midnight(date(year + 1, 1, 1)),
    )
    return {
        **{k: getattr(result, k) for k in FiguresOut.model_fields if k != "by_month"},
        "by_month": [
            {"month": m, "hours_booked": b, "hours_used": u} for m, b, u in result.by_month
        ],
    }
