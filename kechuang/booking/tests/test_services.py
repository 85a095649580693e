"""Booking services: every rule refuses with its code and changes nothing; the states move only as the
rules say; fees follow actual use and post the payer's share to the ledger."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from kechuang.booking import billing, services
from kechuang.booking.models import Booking, Closure, PriceGroup
from kechuang.booking.tests.conftest import NOW, at
from kechuang.core.actions import Refused
from kechuang.core.models import AuditEntry
from kechuang.directory.models import Instrument
from kechuang.ledger.models import Account, Entry
from kechuang.ledger.queries import violations
from kechuang.notifications.models import Notification

S = Booking.Status


def request(world, start, end, **extra):
    values = {"instrument": world.instrument, "organization": world.enterprise}
    values.update(extra)
    return services.Request(starts_at=start, ends_at=end, **values)


def snapshot():
    return (
        list(Booking.objects.order_by("pk").values_list("pk", "status", "fee")),
        Entry.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    )


def refused(call) -> str:
    before = snapshot()
    with pytest.raises(Refused) as refusal:
        call()
    assert snapshot() == before, "a refused action changed something"
    return refusal.value.code


def test_an_instant_booking_is_confirmed_at_the_external_rate_and_estimated(world):
    booking = services.book(world.user, request(world, at(9, 10), at(9, 12)), now=NOW)
    assert booking.status == S.CONFIRMED
    assert (booking.price_group, booking.rate, booking.estimated_fee) == (
        PriceGroup.EXTERNAL,
        Decimal("400.00"),
        Decimal("800.00"),
    )
    assert AuditEntry.objects.filter(action="booking.booked").count() == 1
    assert Notification.objects.filter(recipient=world.manager, event="booking.booked").exists()


def test_price_groups_internal_partner_external(world):
    assert services.price_group(world.instrument, world.lab) == PriceGroup.INTERNAL
    assert services.price_group(world.instrument, world.partner_enterprise) == PriceGroup.PARTNER
    assert services.price_group(world.instrument, world.enterprise) == PriceGroup.EXTERNAL
    partner = services.book(
        world.partner_user,
        request(world, at(9, 10), at(9, 11), organization=world.partner_enterprise),
        now=NOW,
    )
    assert (partner.price_group, partner.rate) == (PriceGroup.PARTNER, Decimal("300.00"))


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (at(9, 12), at(9, 10), "bad_range"),
        (at(9, 10), at(9, 10, 15), "too_short"),
        (at(9, 8), at(9, 17), "too_long"),
        (at(9, 7), at(9, 9), "closed_hours"),
        (at(9, 19), at(9, 21), "closed_hours"),
        (at(7, 10), at(7, 11), "lead_time"),
        (at(7, 9, 30), at(7, 10, 30), "lead_time"),
    ],
)
def test_a_slot_against_the_rules_is_refused(world, start, end, code):
    assert refused(lambda: services.book(world.user, request(world, start, end), now=NOW)) == code


def test_the_horizon_the_mode_the_samples_and_a_disabled_instrument(world):
    rules = world.rules
    far = NOW + timedelta(days=rules.horizon_days + 1)
    far = far.replace(hour=10)
    assert (
        refused(
            lambda: services.book(
                world.user, request(world, far, far + timedelta(hours=1)), now=NOW
            )
        )
        == "horizon"
    )
    rules.mode = rules.Mode.OPERATED
    rules.save()
    assert refused(
        lambda: services.book(world.user, request(world, at(9, 10), at(9, 11)), now=NOW)
    ) == ("operated_only")
    sample = request(world, at(9, 10), at(9, 11), kind=Booking.Kind.SAMPLE, samples=0)
    assert refused(lambda: services.book(world.user, sample, now=NOW)) == "no_samples"
    rules.enabled = False
    rules.save()
    sample.samples = 3
    assert refused(lambda: services.book(world.user, sample, now=NOW)) == "not_bookable"
    rules.enabled = True
    rules.save()
    Instrument.objects.filter(pk=world.instrument.pk).update(state=Instrument.State.MAINTENANCE)
    world.instrument.refresh_from_db()
    assert (
        refused(
            lambda: services.book(
                world.user, request(world, at(9, 10), at(9, 11), kind="sample", samples=3), now=NOW
            )
        )
        == "not_bookable"
    )


def test_a_sample_request_on_an_operated_instrument_is_priced_per_sample(world):
    services.save_rules(
        world.manager,
        world.instrument,
        mode="operated",
        unit="sample",
        external_rate="150",
        needs_approval=True,
    )
    booking = services.book(
        world.user,
        request(
            world,
            at(9, 10),
            at(9, 11),
            kind=Booking.Kind.SAMPLE,
            samples=4,
            purpose="铝合金断口形貌",
        ),
        now=NOW,
    )
    assert (booking.status, booking.estimated_fee) == (S.PENDING, Decimal("600.00"))
    services.approve(world.manager, booking, now=NOW)
    services.record_use(world.manager, booking, samples=5, now=at(9, 12))
    booking.refresh_from_db()
    assert (booking.status, booking.fee, booking.payer_share, booking.voucher_share) == (
        S.COMPLETED,
        Decimal("750.00"),
        Decimal("750.00"),
        Decimal("0.00"),
    )


def test_training_is_required_until_recorded_and_lapses(world):
    services.save_rules(world.manager, world.instrument, training_required=True)
    slot = request(world, at(9, 10), at(9, 11))
    assert refused(lambda: services.book(world.user, slot, now=NOW)) == "not_trained"
    services.record_training(
        world.manager,
        world.instrument,
        world.user,
        trained_on=date(2026, 1, 5),
        lapses_on=date(2026, 12, 8),
    )
    assert (
        refused(lambda: services.book(world.user, slot, now=NOW)) == "not_trained"
    )  # lapsed on the 9th
    services.record_training(
        world.manager,
        world.instrument,
        world.user,
        trained_on=date(2026, 1, 5),
        lapses_on=date(2027, 12, 8),
    )
    assert services.book(world.user, slot, now=NOW).status == S.CONFIRMED


def test_the_weekly_quota_counts_the_users_hours_in_the_week(world):
    services.save_rules(world.manager, world.instrument, weekly_quota_hours=4)
    services.book(world.user, request(world, at(9, 10), at(9, 13)), now=NOW)
    assert (
        refused(lambda: services.book(world.user, request(world, at(10, 10), at(10, 12)), now=NOW))
        == "quota"
    )
    services.book(world.user, request(world, at(10, 10), at(10, 11)), now=NOW)
    # the next week is a new quota
    services.book(world.user, request(world, at(14, 10), at(14, 14)), now=NOW)


def test_a_closure_refuses_bookings_and_cancels_the_ones_it_covers(world):
    kept = services.book(world.user, request(world, at(9, 8), at(9, 10)), now=NOW)
    hit = services.book(world.user, request(world, at(10, 10), at(10, 12)), now=NOW)
    services.add_closure(
        world.manager,
        world.instrument,
        starts_at=at(10, 0),
        ends_at=at(11, 0),
        reason="更换电子枪灯丝",
        now=NOW,
    )
    hit.refresh_from_db()
    kept.refresh_from_db()
    assert (hit.status, hit.fee, kept.status) == (S.CANCELLED, None, S.CONFIRMED)
    assert Notification.objects.filter(
        recipient=world.user, event="booking.cancelled_by_closure"
    ).exists()
    assert (
        refused(lambda: services.book(world.user, request(world, at(10, 14), at(10, 15)), now=NOW))
        == "closed"
    )
    with pytest.raises(PermissionDenied):
        services.add_closure(
            world.user,
            world.instrument,
            starts_at=at(12, 0),
            ends_at=at(12, 5),
            reason="x",
            now=NOW,
        )
    assert Closure.objects.count() == 1


def test_no_double_booking_in_the_service_and_in_the_database(world):
    first = services.book(world.user, request(world, at(9, 10), at(9, 12)), now=NOW)
    assert (
        refused(
            lambda: services.book(
                world.partner_user,
                request(world, at(9, 11), at(9, 13), organization=world.partner_enterprise),
                now=NOW,
            )
        )
        == "taken"
    )
    # back to back is fine
    services.book(world.user, request(world, at(9, 12), at(9, 13)), now=NOW)
    # the database refuses an overlapping occupying row whatever code writes it
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            instrument=world.instrument,
            user=world.user,
            organization=world.enterprise,
            status=S.PENDING,
            starts_at=at(9, 11),
            ends_at=at(9, 11, 30),
            price_group="external",
            unit="hour",
            rate=1,
        )
    # …and an update that would make one overlap
    other = services.book(world.user, request(world, at(9, 14), at(9, 15)), now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=other.pk).update(starts_at=at(9, 11))
    # a cancelled booking frees its slot
    services.cancel(world.user, first, now=NOW)
    services.book(
        world.partner_user,
        request(world, at(9, 10), at(9, 12), organization=world.partner_enterprise),
        now=NOW,
    )


def test_a_pending_booking_holds_its_slot_until_rejected(world):
    services.save_rules(world.manager, world.instrument, needs_approval=True)
    pending = services.book(world.user, request(world, at(9, 10), at(9, 12)), now=NOW)
    assert pending.status == S.PENDING
    assert (
        refused(
            lambda: services.book(
                world.partner_user,
                request(world, at(9, 10), at(9, 11), organization=world.partner_enterprise),
                now=NOW,
            )
        )
        == "taken"
    )
    with pytest.raises(PermissionDenied):
        services.approve(world.user, pending, now=NOW)
    with pytest.raises(ValidationError):
        services.reject(world.manager, pending, note=" ", now=NOW)
    services.reject(world.manager, pending, note="该时段安排校内课程实验", now=NOW)
    assert refused(lambda: services.approve(world.manager, pending, now=NOW)) == "bad_state"
    services.book(
        world.partner_user,
        request(world, at(9, 10), at(9, 11), organization=world.partner_enterprise),
        now=NOW,
    )
    assert Notification.objects.filter(recipient=world.user, event="booking.rejected").exists()


def test_forbidden_transitions_are_refused(world):
    booking = services.book(world.user, request(world, at(9, 10), at(9, 12)), now=NOW)
    assert refused(lambda: services.approve(world.manager, booking, now=NOW)) == "bad_state"
    assert refused(lambda: services.mark_no_show(world.manager, booking, now=NOW)) == "not_due"
    assert refused(lambda: services.record_use(world.manager, booking, now=NOW)) == "future_use"
    services.cancel(world.user, booking, now=NOW)
    for call in (
        lambda: services.cancel(world.user, booking, now=NOW),
        lambda: services.record_use(world.manager, booking, now=at(9, 13)),
        lambda: services.check_in(world.user, booking, now=at(9, 10)),
    ):
        assert refused(call) == "bad_state"


def test_cancelling_inside_the_window_bills_the_late_fee_once_to_the_ledger(world):
    early = services.book(world.user, request(world, at(10, 10), at(10, 12)), now=NOW)
    late = services.book(world.user, request(world, at(8, 8), at(8, 10)), now=NOW)
    services.cancel(world.user, early, now=NOW)
    services.cancel(world.user, late, now=NOW)
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.fee, late.fee, late.fee_kind, late.payer_share) == (
        None,
        Decimal("100.00"),
        "late_cancel",
        Decimal("100.00"),
    )
    income = Account.objects.get(purpose=billing.INCOME)
    assert income.balance == Decimal("100.00")
    assert violations() == []
    with pytest.raises(PermissionDenied):
        services.cancel(
            world.outsider,
            services.book(world.user, request(world, at(11, 10), at(11, 12)), now=NOW),
            now=NOW,
        )


def test_the_owner_cancels_without_fee(world):
    booking = services.book(world.user, request(world, at(8, 10), at(8, 12)), now=NOW)
    services.cancel(world.manager, booking, now=NOW, reason="设备临时故障")
    booking.refresh_from_db()
    assert (booking.status, booking.fee) == (S.CANCELLED, None)
    assert Notification.objects.filter(recipient=world.user, event="booking.cancelled").exists()


def test_recorded_use_bills_actual_time_by_the_minute(world):
    booking = services.book(world.user, request(world, at(9, 10), at(9, 12)), now=NOW)
    services.check_in(world.user, booking, now=at(9, 10, 5))
    services.record_use(world.manager, booking, actual_end=at(9, 11, 35), now=at(9, 12))
    booking.refresh_from_db()
    # 10:05–11:35 is 90 minutes at 400/h
    assert (booking.status, booking.fee_kind, booking.fee) == (
        S.COMPLETED,
        "usage",
        Decimal("600.00"),
    )
    assert Account.objects.get(purpose=billing.PAYABLE).balance == Decimal("-600.00")
    assert violations() == []
    with pytest.raises(PermissionDenied):
        services.record_use(world.user, booking, now=at(9, 13))


def test_the_clock_releases_no_shows_after_the_rules_minutes_and_bills_them(world):
    from kechuang.core import clock

    booking = services.book(world.user, request(world, at(9, 10), at(9, 12)), now=NOW)
    checked = services.book(world.user, request(world, at(9, 14), at(9, 15)), now=NOW)
    services.check_in(world.user, checked, now=at(9, 14))
    assert services.release_no_shows(at(9, 10, 29)) == "released 0"
    assert services.release_no_shows(at(9, 10, 30)) == "released 1"
    assert services.release_no_shows(at(9, 10, 31)) == "released 0"
    assert services.release_no_shows(at(9, 15, 0)) == "released 0"
    booking.refresh_from_db()
    assert (booking.status, booking.fee, booking.fee_kind) == (
        S.NO_SHOW,
        Decimal("150.00"),
        "no_show",
    )
    # the rest of the slot is free again
    services.book(
        world.partner_user,
        request(world, at(9, 11), at(9, 12), organization=world.partner_enterprise),
        now=at(9, 8),
    )
    assert {job.name for job in clock.JOBS} >= {"booking.release", "booking.remind"}


def test_reminders_are_sent_once(world):
    booking = services.book(world.user, request(world, at(8, 10), at(8, 12)), now=NOW)
    assert services.send_reminders(NOW) == "reminded 0"
    assert services.send_reminders(at(7, 11)) == "reminded 1"
    assert services.send_reminders(at(7, 12)) == "reminded 0"
    assert Notification.objects.filter(recipient=world.user, event="booking.reminder").count() == 1
    booking.refresh_from_db()
    assert booking.reminded_at is not None


def test_a_repeated_idempotency_key_returns_the_first_booking(world):
    first = services.book(
        world.user, request(world, at(9, 10), at(9, 12), idempotency_key="k-1"), now=NOW
    )
    again = services.book(
        world.user, request(world, at(9, 10), at(9, 12), idempotency_key="k-1"), now=NOW
    )
    assert again.pk == first.pk
    assert Booking.objects.count() == 1


def test_rules_are_validated_and_only_managers_change_them(world):
    with pytest.raises(ValidationError):
        services.save_rules(world.manager, world.instrument, min_minutes=600, max_minutes=60)
    with pytest.raises(ValidationError):
        services.save_rules(world.manager, world.instrument, opens_at=time(20), closes_at=time(8))
    with pytest.raises(ValidationError):
        services.save_rules(world.manager, world.instrument, external_rate="-1")
    with pytest.raises(PermissionDenied):
        services.save_rules(world.user, world.instrument, external_rate="1")
    services.save_rules(world.operator, world.instrument, external_rate="380.5")
    world.rules.refresh_from_db()
    assert world.rules.external_rate == Decimal("380.50")


def test_a_non_member_cannot_book_for_an_organisation(world):
    with pytest.raises(PermissionDenied):
        services.book(world.outsider, request(world, at(9, 10), at(9, 12)), now=NOW)
    assert Booking.objects.count() == 0
