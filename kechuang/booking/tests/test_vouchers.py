"""Paying a booking partly by voucher: held when confirmed, settled on actual use, released on
cancellation; the invoice shows the voucher share and the payer's share; a voucher that cannot pay here
refuses the booking and changes nothing."""

from decimal import Decimal

import pytest

from kechuang.booking import services
from kechuang.booking.models import Booking
from kechuang.booking.tests.conftest import NOW, at
from kechuang.core.actions import Refused
from kechuang.ledger.queries import violations
from kechuang.vouchers.factories import active_provider, issued_vouchers, programme_in
from kechuang.vouchers.models import Voucher, VoucherHold

S = Booking.Status


@pytest.fixture
def paid(world):
    """A Wenzhou programme (50 % co-pay) whose 10,000-yuan voucher the Ruian enterprise holds; the lab is
    an active provider."""
    programme = programme_in(world.instrument.region, now=NOW)
    active_provider(world.lab, now=NOW)
    voucher = issued_vouchers(world.enterprise, programme, "10000", now=NOW)[0]
    return voucher


def balance(voucher) -> Decimal:
    return Voucher.objects.select_related("account").get(pk=voucher.pk).account.balance


def request(world, start, end, voucher, **extra):
    return services.Request(
        world.instrument, world.enterprise, start, end, voucher=voucher, **extra
    )


def test_an_instant_booking_holds_then_settles_on_actual_use(world, paid):
    before = balance(paid)
    booking = services.book(world.user, request(world, at(9, 10), at(9, 12), paid), now=NOW)
    hold = VoucherHold.objects.get(pk=booking.voucher_hold_id)
    # 2 h at 400 = 800 estimated; the voucher holds half
    assert (hold.status, hold.amount, balance(paid)) == ("held", Decimal("400.00"), before - 400)
    services.record_use(
        world.manager, booking, actual_start=at(9, 10), actual_end=at(9, 11, 30), now=at(9, 12)
    )
    booking.refresh_from_db()
    hold.refresh_from_db()
    # 90 minutes = 600; the voucher pays 300, the enterprise 300, the rest of the hold returns
    assert (booking.fee, booking.voucher_share, booking.payer_share) == (
        Decimal("600.00"),
        Decimal("300.00"),
        Decimal("300.00"),
    )
    assert (hold.status, hold.settled_amount, balance(paid)) == (
        "settled",
        Decimal("300.00"),
        before - 300,
    )
    assert violations() == []


def test_an_approval_holds_and_a_cancellation_releases(world, paid):
    services.save_rules(world.manager, world.instrument, needs_approval=True)
    before = balance(paid)
    booking = services.book(world.user, request(world, at(10, 10), at(10, 11), paid), now=NOW)
    assert booking.voucher_hold_id is None and balance(paid) == before  # held only when approved
    services.approve(world.manager, booking, now=NOW)
    booking.refresh_from_db()
    assert balance(paid) == before - 200
    services.cancel(world.user, booking, now=NOW)
    booking.refresh_from_db()
    assert booking.voucher_hold.status == VoucherHold.Status.RELEASED
    assert (booking.status, booking.fee, balance(paid)) == (S.CANCELLED, None, before)
    assert violations() == []


def test_a_late_cancellation_fee_is_the_payers_alone(world, paid):
    before = balance(paid)
    booking = services.book(world.user, request(world, at(8, 8), at(8, 10), paid), now=NOW)
    services.cancel(world.user, booking, now=NOW)
    booking.refresh_from_db()
    assert (booking.fee_kind, booking.fee, booking.voucher_share, booking.payer_share) == (
        "late_cancel",
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("100.00"),
    )
    assert balance(paid) == before


def test_a_no_show_releases_the_hold(world, paid):
    before = balance(paid)
    booking = services.book(world.user, request(world, at(9, 10), at(9, 12), paid), now=NOW)
    services.release_no_shows(at(9, 10, 45))
    booking.refresh_from_db()
    assert (booking.status, booking.voucher_share, booking.payer_share) == (
        S.NO_SHOW,
        Decimal("0.00"),
        Decimal("150.00"),
    )
    assert balance(paid) == before


def test_a_voucher_that_cannot_pay_here_refuses_the_booking(world, paid):
    from kechuang.directory.factories import OrganizationFactory

    neighbour = OrganizationFactory(name="瑞安精密铸造有限公司", region=world.enterprise.region)
    other = issued_vouchers(neighbour, paid.programme, "1000", now=NOW)
    for voucher, code in ((other[0], "voucher_not_payer"),):
        before = (Booking.objects.count(), VoucherHold.objects.count(), balance(paid))
        with pytest.raises(Refused) as refused:
            services.book(world.user, request(world, at(9, 10), at(9, 12), voucher), now=NOW)
        assert refused.value.code == code
        assert (Booking.objects.count(), VoucherHold.objects.count(), balance(paid)) == before
    # the lab's own member cannot pay the lab with a voucher at an inactive provider either
    from kechuang.vouchers import providers

    providers.ProviderEnrolment.objects.filter(organization=world.lab).update(status="rejected")
    with pytest.raises(Refused) as refused:
        services.book(world.user, request(world, at(9, 10), at(9, 12), paid), now=NOW)
    assert refused.value.code == "provider_not_active"
    assert Booking.objects.count() == 0


def test_the_booking_form_offers_usable_vouchers(client, world, paid):
    client.force_login(world.user)
    page = client.get(f"/booking/instruments/{world.instrument.pk}/book/")
    assert paid.code in page.text
    response = client.post(
        f"/booking/instruments/{world.instrument.pk}/book/",
        {
            "organization": world.enterprise.pk,
            "day": "2026-12-21",
            "start": "10:00",
            "end": "11:00",
            "voucher": paid.pk,
            "idempotency_key": "form-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    booking = Booking.objects.get()
    assert booking.voucher_id == paid.pk and booking.voucher_hold_id is not None
