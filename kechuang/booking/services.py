"""Every state change of instrument booking, one function each, with a ``check_*`` beside the actions that
pages and the API show or hide.

Each service checks permission (``PermissionDenied``) and the instrument's rules (:class:`Refused`, with a
Chinese message and a stable code), runs in one transaction, writes an audit row and its notifications
(delivered after commit). Writes that touch an instrument's calendar first lock its :class:`BookingRules`
row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions hold the write lock from
``BEGIN``), so the quota, closure and overlap checks see every committed booking; the database's own
overlap guard (migration ``0002``) backs them, and a write it refuses is answered with the same refusal.
Status changes are conditional ``UPDATE … WHERE status IN (…)``, so two racing transitions (an approval and
a cancellation, a check-in and the clock's no-show release) cannot both succeed.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kechuang.accounts.permissions import acts_for, operates, users_of
from kechuang.booking import billing
from kechuang.booking.models import (
    Booking,
    BookingRules,
    Closure,
    PriceGroup,
    Training,
)
from kechuang.core.actions import Refused
from kechuang.core.audit import record
from kechuang.core.models import Federation
from kechuang.core.money import to_yuan
from kechuang.directory.models import Instrument, Organization, Status
from kechuang.notifications.services import localized, notify

S = Booking.Status


# --- who may do what -----------------------------------------------------------------------------------


def may_manage(user, instrument: Instrument) -> bool:
    """The instrument's owner (a member of its organisation) and the region's operators manage its
    rules, trainings, closures and bookings."""
    return acts_for(user, instrument.owner_id) or operates(user, instrument.region)


def _require_manager(user, instrument: Instrument) -> None:
    if not may_manage(user, instrument):
        raise PermissionDenied(_("只有仪器所属单位或本区域运营人员可以管理该仪器的预约"))


def may_cancel(user, booking: Booking, now: datetime) -> bool:
    return (
        booking.status in (S.PENDING, S.CONFIRMED)
        and booking.actual_start is None
        and (
            booking.user_id == getattr(user, "pk", None)
            or acts_for(user, booking.organization_id)
            or may_manage(user, booking.instrument)
        )
    )


# --- price groups --------------------------------------------------------------------------------------


def _federation_member(region_path: str, members: dict[str, int]) -> str | None:
    """The code of the federation member region that the region at ``region_path`` lies in (itself or
    above it)."""
    for code in reversed([c for c in region_path.split("/") if c]):
        if code in members:
            return code
    return None


def federations() -> list[dict[str, int]]:
    """Each federation's member regions (code → federation), read once for many price groups."""
    return [
        {region.code: federation.pk for region in federation.members.all()}
        for federation in Federation.objects.prefetch_related("members")
    ]


def group_of(
    owner_id: int, region_path: str, organization: Organization, federation_members
) -> str:
    """Internal for the owner's own members; partner-region for an organisation of another member region
    of a federation the instrument's region belongs to (通用通兑); external otherwise."""
    if organization.pk == owner_id:
        return PriceGroup.INTERNAL
    for members in federation_members:
        mine = _federation_member(region_path, members)
        theirs = _federation_member(organization.region.path, members)
        if mine and theirs and mine != theirs:
            return PriceGroup.PARTNER
    return PriceGroup.EXTERNAL


def price_group(instrument: Instrument, organization: Organization) -> str:
    """The price group ``organization`` books ``instrument`` in (see :func:`group_of`)."""
    return group_of(instrument.owner_id, instrument.region.path, organization, federations())


# --- rules, trainings and closures ---------------------------------------------------------------------


RULE_FIELDS = [
    "enabled",
    "mode",
    "training_required",
    "needs_approval",
    "min_minutes",
    "max_minutes",
    "lead_hours",
    "horizon_days",
    "opens_at",
    "closes_at",
    "cancel_window_hours",
    "late_cancel_fee",
    "no_show_minutes",
    "no_show_fee",
    "weekly_quota_hours",
    "unit",
    "internal_rate",
    "external_rate",
    "partner_rate",
]


def default_rules(instrument: Instrument) -> BookingRules:
    """Unsaved rules that start from what the directory says of the instrument (unit and rates)."""
    return BookingRules(
        instrument=instrument,
        unit=instrument.unit,
        internal_rate=instrument.internal_rate,
        external_rate=instrument.external_rate,
        partner_rate=instrument.internal_rate,
        mode=BookingRules.Mode.OPERATED
        if instrument.unit == Instrument.Unit.SAMPLE
        else BookingRules.Mode.SELF_SERVICE,
    )


def _clean_rules(values: dict) -> dict:
    errors: dict[str, str] = {}
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({name: _("未知字段") for name in sorted(unknown)})
    for name in (
        "late_cancel_fee",
        "no_show_fee",
        "internal_rate",
        "external_rate",
        "partner_rate",
    ):
        if name in values:
            if isinstance(values[name], float):
                values[name] = str(values[name])
            values[name] = to_yuan(values[name])
            if values[name] < 0:
                errors[name] = _("金额不能为负数")
    if values.get("min_minutes", 1) <= 0:
        errors["min_minutes"] = _("最短时段须大于零")
    if "mode" in values and values["mode"] not in BookingRules.Mode.values:
        errors["mode"] = _("使用方式无效")
    if "unit" in values and values["unit"] not in Instrument.Unit.values:
        errors["unit"] = _("计费单位无效")
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def save_rules(
    actor, instrument: Instrument, *, now: datetime | None = None, **values
) -> BookingRules:
    """Create or change ``instrument``'s booking rules. Bookings already made keep the rate they were
    made at; the new rules apply to bookings made from now on."""
    _require_manager(actor, instrument)
    values = _clean_rules(dict(values))
    rules = BookingRules.objects.select_for_update().filter(instrument=instrument).first()
    if rules is None:
        rules = default_rules(instrument)
    for name, value in values.items():
        setattr(rules, name, value)
    errors = {}
    if rules.min_minutes > rules.max_minutes:
        errors["max_minutes"] = _("最长时段不能短于最短时段")
    if rules.opens_at >= rules.closes_at:
        errors["closes_at"] = _("关闭时间须晚于开放时间")
    if errors:
        raise ValidationError(errors)
    rules.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    rules.save()
    record(
        actor,
        "booking.rules.saved",
        instrument,
        str(instrument),
        **{k: str(v) for k, v in values.items()},
    )
    return rules


def rules_of(instrument: Instrument) -> BookingRules | None:
    return BookingRules.objects.filter(instrument=instrument).first()


@transaction.atomic
def record_training(
    actor, instrument: Instrument, user, *, trained_on: date, lapses_on: date | None = None
) -> Training:
    """Record that ``user`` was trained on ``instrument`` (again: the dates are replaced)."""
    _require_manager(actor, instrument)
    if lapses_on is not None and lapses_on < trained_on:
        raise ValidationError({"lapses_on": _("有效期不能早于培训日期")})
    training, _created = Training.objects.update_or_create(
        instrument=instrument,
        user=user,
        defaults={"trained_on": trained_on, "lapses_on": lapses_on, "recorded_by": actor},
    )
    record(actor, "booking.training.recorded", instrument, str(user), user=user.pk)
    return training


def is_trained(user, instrument: Instrument, on: date) -> bool:
    return Training.objects.filter(
        Q(lapses_on__isnull=True) | Q(lapses_on__gte=on),
        instrument=instrument,
        user=user,
        trained_on__lte=on,
    ).exists()


@transaction.atomic
def add_closure(
    actor,
    instrument: Instrument,
    *,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    now: datetime,
) -> Closure:
    """Close ``instrument`` for maintenance. Pending and confirmed bookings that overlap the closure are
    cancelled without fee (their voucher holds released) and their users told."""
    _require_manager(actor, instrument)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("结束时间须晚于开始时间")})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写停机原因")})
    _lock(instrument)
    closure = Closure.objects.create(
        instrument=instrument,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip()[:200],
        created_by=actor,
    )
    hit = list(
        Booking.objects.filter(instrument=instrument, status__in=(S.PENDING, S.CONFIRMED))
        .overlapping(starts_at, ends_at)
        .select_related("instrument", "user")
    )
    for booking in hit:
        _transition(
            booking,
            (S.PENDING, S.CONFIRMED),
            S.CANCELLED,
            cancelled_at=now,
            note=_("仪器维护停机：%(r)s") % {"r": closure.reason},
        )
        billing.release(actor, booking, now=now)
        notify(
            [booking.user],
            "booking.cancelled_by_closure",
            localized(gettext_noop("您的仪器预约因维护停机已取消：%(name)s"), name=str(instrument)),
            closure.reason,
            url=booking.get_absolute_url(),
        )
    record(actor, "booking.closure.added", instrument, closure.reason, cancelled=len(hit))
    return closure


# --- booking -------------------------------------------------------------------------------------------


def _lock(instrument: Instrument) -> BookingRules:
    """Lock the instrument's calendar (its rules row) for the rest of the transaction."""
    rules = BookingRules.objects.select_for_update().filter(instrument_id=instrument.pk).first()
    if rules is None:
        raise Refused(_("该仪器尚未开放在线预约。"), "not_bookable")
    return rules


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 (Asia/Shanghai) of the week ``moment`` falls in."""
    local = _local(moment)
    return (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


@dataclass
class Request:
    """What a user asks for: a slot (machine time) or a sample-testing request, paid by ``organization``."""

    instrument: Instrument
    organization: Organization
    starts_at: datetime
    ends_at: datetime
    kind: str = Booking.Kind.SLOT
    samples: int = 0
    purpose: str = ""
    voucher: object = None
    idempotency_key: str = ""


def check_book(
    actor, request: Request, *, now: datetime, rules: BookingRules | None = None
) -> BookingRules:
    """Refuse (with the rule that forbids it) a booking ``actor`` may not make; the rules that apply."""
    instrument = request.instrument
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请先登录"))
    if not acts_for(actor, request.organization.pk):
        raise PermissionDenied(_("您不是付费单位的成员"))
    rules = rules or rules_of(instrument)
    if (
        rules is None
        or not rules.enabled
        or instrument.status != Status.PUBLISHED
        or instrument.state != Instrument.State.AVAILABLE
    ):
        raise Refused(_("该仪器暂不开放在线预约。"), "not_bookable")
    starts_at, ends_at = request.starts_at, request.ends_at
    if ends_at <= starts_at:
        raise Refused(_("结束时间须晚于开始时间。"), "bad_range")
    minutes = (ends_at - starts_at).total_seconds() / 60
    operated = rules.mode == BookingRules.Mode.OPERATED
    if request.kind == Booking.Kind.SLOT and operated:
        raise Refused(_("该仪器由机组人员代测，请提交送样检测申请。"), "operated_only")
    if request.kind == Booking.Kind.SAMPLE and request.samples < 1:
        raise Refused(_("送样检测须至少一个样品。"), "no_samples")
    if request.kind not in Booking.Kind.values:
        raise Refused(_("预约类型无效。"), "bad_kind")
    if minutes < rules.min_minutes:
        raise Refused(_("预约时段不能短于 %(n)d 分钟。") % {"n": rules.min_minutes}, "too_short")
    if minutes > rules.max_minutes:
        raise Refused(_("预约时段不能长于 %(n)d 分钟。") % {"n": rules.max_minutes}, "too_long")
    local_start, local_end = _local(starts_at), _local(ends_at)
    if (
        local_start.date() != local_end.date()
        or local_start.time() < rules.opens_at
        or local_end.time() > rules.closes_at
    ):
        raise Refused(
            _("请在开放时间 %(a)s–%(b)s 内预约。")
            % {"a": rules.opens_at.strftime("%H:%M"), "b": rules.closes_at.strftime("%H:%M")},
            "closed_hours",
        )
    if starts_at < now:
        raise Refused(_("该时段已经开始或已经过去，请选择之后的时段。"), "past")
    if starts_at < now + timedelta(hours=rules.lead_hours):
        raise Refused(_("须至少提前 %(n)d 小时预约。") % {"n": rules.lead_hours}, "lead_time")
    if starts_at > now + timedelta(days=rules.horizon_days):
        raise Refused(_("只能预约 %(n)d 天以内的时段。") % {"n": rules.horizon_days}, "horizon")
    if (
        not operated
        and rules.training_required
        and not is_trained(actor, instrument, local_start.date())
    ):
        raise Refused(_("自主上机须先参加该仪器的上机培训（或培训已过期）。"), "not_trained")
    if Closure.objects.filter(
        instrument=instrument, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists():
        raise Refused(_("该时段仪器维护停机，不能预约。"), "closed")
    if rules.weekly_quota_hours:
        start = week_start(starts_at)
        taken = sum(
            (b.ends_at - b.starts_at).total_seconds() / 3600
            for b in Booking.objects.occupying().filter(
                instrument=instrument,
                user=actor,
                starts_at__gte=start,
                starts_at__lt=start + timedelta(days=7),
            )
        )
        if taken + minutes / 60 > rules.weekly_quota_hours + 1e-9:
            raise Refused(
                _("超出每人每周 %(n)d 小时的限额（本周已预约 %(t)s 小时）。")
                % {"n": rules.weekly_quota_hours, "t": f"{taken:g}"},
                "quota",
            )
    if (
        Booking.objects.occupying()
        .filter(instrument=instrument)
        .overlapping(starts_at, ends_at)
        .exists()
    ):
        raise Refused(_("该时段已被预约，请选择其他时间。"), "taken")
    return rules


def book(actor, request: Request, *, now: datetime) -> Booking:
    """Book a slot or submit a sample-testing request.

    Instant instruments confirm at once; others hold the slot as ``pending`` until the owner decides. A
    repeated ``idempotency_key`` of the same user returns the first booking. Never two occupying bookings
    of one instrument overlap, whatever the concurrency."""
    if request.idempotency_key and (
        first := Booking.objects.filter(user=actor, idempotency_key=request.idempotency_key).first()
    ):
        return first
    try:
        with transaction.atomic():
            rules = _lock(request.instrument)
            check_book(actor, request, now=now, rules=rules)
            group = price_group(request.instrument, request.organization)
            booking = Booking(
                instrument=request.instrument,
                user=actor,
                organization=request.organization,
                kind=request.kind,
                status=S.PENDING if rules.needs_approval else S.CONFIRMED,
                starts_at=request.starts_at,
                ends_at=request.ends_at,
                samples=request.samples if request.kind == Booking.Kind.SAMPLE else 0,
                purpose=request.purpose.strip()[:300],
                price_group=group,
                unit=rules.unit,
                rate=rules.rate_for(group),
                idempotency_key=request.idempotency_key,
            )
            booking.estimated_fee = billing.estimated_fee(booking)
            booking.save()
            if request.voucher is not None:
                billing.attach_voucher(actor, booking, request.voucher, now=now)
            if booking.status == S.CONFIRMED:
                billing.hold(actor, booking, now=now)
            record(actor, "booking.booked", booking, str(booking), status=booking.status)
            _tell_managers(booking)
    except IntegrityError as error:
        if request.idempotency_key and (
            first := Booking.objects.filter(
                user=actor, idempotency_key=request.idempotency_key
            ).first()
        ):
            return first
        if "booking_no_overlap" in str(error):
            raise Refused(_("该时段已被预约，请选择其他时间。"), "taken") from error
        raise
    return booking


def _tell_managers(booking: Booking) -> None:
    title = (
        gettext_noop("新的仪器预约待审批：%(name)s")
        if booking.status == S.PENDING
        else gettext_noop("新的仪器预约：%(name)s")
    )
    notify(
        users_of(booking.instrument.owner_id),
        "booking.booked",
        localized(title, name=str(booking.instrument)),
        f"{_local(booking.starts_at):%Y-%m-%d %H:%M}–{_local(booking.ends_at):%H:%M}",
        url=booking.get_absolute_url(),
    )


def _transition(booking: Booking, expected, to: str, **changes) -> None:
    """Move ``booking`` from one of ``expected`` states to ``to`` by conditional UPDATE, or refuse."""
    moved = Booking.objects.filter(pk=booking.pk, status__in=expected).update(status=to, **changes)
    if moved != 1:
        booking.refresh_from_db(fields=["status"])
        raise Refused(
            _("该预约当前状态为“%(s)s”，不能执行此操作。") % {"s": booking.get_status_display()},
            "bad_state",
        )
    booking.status = to
    for name, value in changes.items():
        setattr(booking, name, value)


@transaction.atomic
def approve(actor, booking: Booking, *, now: datetime) -> Booking:
    """Confirm a pending booking; its voucher share (if any) is held now."""
    _require_manager(actor, booking.instrument)
    _transition(booking, (S.PENDING,), S.CONFIRMED, decided_by=actor, decided_at=now)
    billing.hold(actor, booking, now=now)
    record(actor, "booking.approved", booking, str(booking))
    notify(
        [booking.user],
        "booking.approved",
        localized(gettext_noop("您的仪器预约已确认：%(name)s"), name=str(booking.instrument)),
        f"{_local(booking.starts_at):%Y-%m-%d %H:%M}–{_local(booking.ends_at):%H:%M}",
        url=booking.get_absolute_url(),
    )
    return booking


@transaction.atomic
def reject(actor, booking: Booking, *, note: str, now: datetime) -> Booking:
    """Turn a pending booking down (the slot is freed); the user is told why."""
    _require_manager(actor, booking.instrument)
    if not note.strip():
        raise ValidationError({"note": _("请填写不予通过的原因")})
    _transition(
        booking, (S.PENDING,), S.REJECTED, decided_by=actor, decided_at=now, note=note.strip()[:300]
    )
    billing.release(actor, booking, now=now)
    record(actor, "booking.rejected", booking, note)
    notify(
        [booking.user],
        "booking.rejected",
        localized(gettext_noop("您的仪器预约未通过：%(name)s"), name=str(booking.instrument)),
        note.strip(),
        url=booking.get_absolute_url(),
    )
    return booking


def is_late_cancellation(booking: Booking, now: datetime) -> bool:
    rules = rules_of(booking.instrument)
    window = timedelta(hours=rules.cancel_window_hours if rules else 0)
    return booking.status == S.CONFIRMED and now > booking.starts_at - window


@transaction.atomic
def cancel(actor, booking: Booking, *, now: datetime, reason: str = "") -> Booking:
    """Cancel a pending or confirmed booking before use. The user's cancellation of a confirmed booking
    inside the rules' cancellation window is billed the late-cancellation fee; the owner's is not."""
    if booking.actual_start is not None:
        raise Refused(_("仪器已开始使用，不能取消。"), "in_use")
    if not (
        booking.user_id == getattr(actor, "pk", None)
        or acts_for(actor, booking.organization_id)
        or may_manage(actor, booking.instrument)
    ):
        raise PermissionDenied(_("您不能取消这个预约"))
    if now >= booking.starts_at and booking.status == S.CONFIRMED:
        raise Refused(_("预约时段已开始，不能取消；如未到场将按爽约处理。"), "started")
    by_manager = may_manage(actor, booking.instrument) and booking.user_id != actor.pk
    late = not by_manager and is_late_cancellation(booking, now)
    _transition(
        booking,
        (S.PENDING, S.CONFIRMED),
        S.CANCELLED,
        cancelled_at=now,
        note=reason.strip()[:300],
        actual_start=None,
    )
    rules = rules_of(booking.instrument)
    if late and rules and rules.late_cancel_fee > 0:
        _bill(actor, booking, Booking.FeeKind.LATE_CANCEL, rules.late_cancel_fee, now=now)
    else:
        billing.release(actor, booking, now=now)
    record(actor, "booking.cancelled", booking, reason, late=late)
    recipients = [booking.user] if by_manager else list(users_of(booking.instrument.owner_id))
    notify(
        recipients,
        "booking.cancelled",
        localized(gettext_noop("仪器预约已取消：%(name)s"), name=str(booking.instrument)),
        f"{_local(booking.starts_at):%Y-%m-%d %H:%M}",
        url=booking.get_absolute_url(),
    )
    return booking


@transaction.atomic
def check_in(actor, booking: Booking, *, now: datetime) -> Booking:
    """The user arrived (上机签到): the booking is no longer released as a no-show."""
    if not (booking.user_id == actor.pk or may_manage(actor, booking.instrument)):
        raise PermissionDenied(_("只有预约人或仪器管理员可以签到"))
    if now < booking.starts_at - timedelta(minutes=30):
        raise Refused(_("预约开始前 30 分钟内才能签到。"), "too_early")
    moved = Booking.objects.filter(
        pk=booking.pk, status=S.CONFIRMED, actual_start__isnull=True
    ).update(actual_start=max(now, booking.starts_at))
    if moved != 1:
        raise Refused(_("该预约不能签到（未确认、已签到或已释放）。"), "bad_state")
    booking.refresh_from_db()
    record(actor, "booking.checked_in", booking, str(booking))
    return booking


@transaction.atomic
def record_use(
    actor,
    booking: Booking,
    *,
    actual_start: datetime | None = None,
    actual_end: datetime | None = None,
    samples: int | None = None,
    now: datetime,
) -> Booking:
    """Record actual use (start and end, or samples tested) and bill it by the booking's rate: the fee
    follows actual use, the voucher share is settled and the payer's share posted to the ledger."""
    _require_manager(actor, booking.instrument)
    booking = Booking.objects.select_related("instrument", "organization").get(pk=booking.pk)
    if booking.status != S.CONFIRMED:
        raise Refused(
            _("该预约当前状态为“%(s)s”，不能登记使用。") % {"s": booking.get_status_display()},
            "bad_state",
        )
    start = actual_start or booking.actual_start or booking.starts_at
    end = actual_end or booking.ends_at
    if end <= start:
        raise ValidationError({"actual_end": _("结束时间须晚于开始时间")})
    if end > now:
        raise Refused(_("不能登记尚未结束的使用。"), "future_use")
    if start - booking.starts_at > timedelta(days=1) or booking.starts_at - start > timedelta(
        days=1
    ):
        raise ValidationError({"actual_start": _("实际开始时间与预约时段相差过大")})
    if booking.unit == Instrument.Unit.SAMPLE:
        samples = booking.samples if samples is None else samples
        if samples < 0:
            raise ValidationError({"samples": _("样品数不能为负数")})
    _transition(
        booking,
        (S.CONFIRMED,),
        S.COMPLETED,
        actual_start=start,
        actual_end=end,
        actual_samples=samples,
    )
    fee = billing.actual_fee(booking)
    _bill(actor, booking, Booking.FeeKind.USAGE, fee, now=now)
    record(actor, "booking.used", booking, str(booking), fee=str(fee))
    notify(
        [booking.user],
        "booking.billed",
        localized(
            gettext_noop("仪器使用已登记：%(name)s，费用 %(fee)s 元"),
            name=str(booking.instrument),
            fee=str(booking.fee),
        ),
        url=booking.get_absolute_url(),
    )
    return booking


def _bill(actor, booking: Booking, kind: str, fee: Decimal, *, now: datetime) -> None:
    booking.fee_kind = kind
    invoice = billing.settle(actor, booking, to_yuan(fee), now=now)
    Booking.objects.filter(pk=booking.pk, billed_at__isnull=True).update(
        fee_kind=kind,
        fee=invoice.fee,
        voucher_share=invoice.voucher_share,
        payer_share=invoice.payer_share,
        billed_at=now,
    )
    booking.fee, booking.voucher_share, booking.payer_share, booking.billed_at = (
        invoice.fee,
        invoice.voucher_share,
        invoice.payer_share,
        now,
    )


def no_show_due(booking: Booking, rules: BookingRules, now: datetime) -> bool:
    return (
        booking.status == S.CONFIRMED
        and booking.actual_start is None
        and now >= booking.starts_at + timedelta(minutes=rules.no_show_minutes)
    )


@transaction.atomic
def mark_no_show(actor, booking: Booking, *, now: datetime) -> Booking:
    """Release a confirmed booking whose user did not check in within the rules' minutes (爽约): the rest
    of the slot is free for others, the no-show fee (if any) billed, the voucher hold released."""
    if actor is not None:
        _require_manager(actor, booking.instrument)
    rules = rules_of(booking.instrument)
    if rules is None or not no_show_due(booking, rules, now):
        raise Refused(
            _("预约开始 %(n)d 分钟后仍未签到才能按爽约处理。")
            % {"n": rules.no_show_minutes if rules else 30},
            "not_due",
        )
    moved = Booking.objects.filter(
        pk=booking.pk, status=S.CONFIRMED, actual_start__isnull=True
    ).update(status=S.NO_SHOW)
    if moved != 1:
        raise Refused(_("该预约已签到或已处理。"), "bad_state")
    booking.status = S.NO_SHOW
    if rules.no_show_fee > 0:
        _bill(actor, booking, Booking.FeeKind.NO_SHOW, rules.no_show_fee, now=now)
    else:
        billing.release(actor, booking, now=now)
    record(actor, "booking.no_show", booking, str(booking))
    notify(
        [booking.user],
        "booking.no_show",
        localized(gettext_noop("您未按时上机，预约已释放：%(name)s"), name=str(booking.instrument)),
        url=booking.get_absolute_url(),
    )
    return booking


def release_no_shows(now: datetime | None = None) -> str:
    """The clock's job: release every confirmed booking not checked in within its rules' minutes.
    Idempotent — each release is a conditional UPDATE, so a booking is released once."""
    now = now or timezone.now()
    released = 0
    candidates = Booking.objects.filter(
        status=S.CONFIRMED,
        actual_start__isnull=True,
        starts_at__lte=now,
        starts_at__gte=now - timedelta(days=7),
    ).select_related("instrument__booking_rules", "instrument", "user")
    for booking in candidates:
        if not no_show_due(booking, booking.instrument.booking_rules, now):
            continue
        try:
            mark_no_show(None, booking, now=now)
        except Refused:
            continue  # checked in or released meanwhile
        released += 1
    return f"released {released}"


def send_reminders(now: datetime | None = None) -> str:
    """The clock's job: remind each user of a confirmed booking that starts within 24 hours, once."""
    now = now or timezone.now()
    sent = 0
    due = Booking.objects.filter(
        status=S.CONFIRMED,
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(hours=24),
    ).select_related("instrument", "user")
    for booking in due:
        with transaction.atomic():
            if not Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            notify(
                [booking.user],
                "booking.reminder",
                localized(
                    gettext_noop("预约提醒：%(name)s 将于 %(when)s 开始"),
                    name=str(booking.instrument),
                    when=f"{_local(booking.starts_at):%Y-%m-%d %H:%M}",
                ),
                booking.instrument.location,
                url=booking.get_absolute_url(),
                key=f"booking.reminder:{booking.pk}",
            )
            sent += 1
    return f"reminded {sent}"
