"""The payment interface: quotes under the co-pay rule, balance and cap; holds, settles and releases with
their ledger movements; idempotency; refusals that change nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest

from kechuang.core.actions import Refused
from kechuang.ledger.models import Entry
from kechuang.ledger.queries import violations
from kechuang.vouchers import accounts
from kechuang.vouchers.payments import (
    hold_payment,
    quote_payment,
    release_payment,
    settle_payment,
    usable_vouchers,
)
from kechuang.vouchers.queries import voucher_violations
from kechuang.vouchers.tests.conftest import NOW


def balances(voucher):
    voucher.refresh_from_db()
    return (
        voucher.account.balance,
        accounts.account(voucher, accounts.HELD).balance,
        accounts.account(voucher, accounts.SPENT).balance,
    )


def test_vouchers_are_issued_in_face_values_and_reserve_the_budget(world):
    assert sorted(v.face_value for v in world.vouchers) == [Decimal("10000"), Decimal("10000")]
    unissued = accounts.account(world.programme, accounts.UNISSUED)
    assert unissued.balance == Decimal("980000.00")
    assert all(v.code.startswith("CXQ31011418") for v in world.vouchers)


def test_quote_applies_the_copay_ratio(world):
    quote = quote_payment(
        voucher=world.vouchers[0],
        provider=world.provider,
        item_kind="service",
        category="testing",
        fee=Decimal("3000.00"),
        now=NOW,
    )
    assert (quote.voucher_share, quote.payer_share) == (Decimal("1500.00"), Decimal("1500.00"))
    assert "50%" in quote.explanation and "企业自付 1,500.00 元" in quote.explanation


def test_quote_is_limited_by_the_balance(world):
    quote = quote_payment(
        voucher=world.vouchers[0],
        provider=world.provider,
        item_kind="instrument",
        category="analytical",
        fee=Decimal("30000.01"),
        now=NOW,
    )
    assert quote.voucher_share == Decimal("10000.00")
    assert quote.payer_share == Decimal("20000.01")
    assert "余额" in quote.explanation


def test_partner_region_honoured_other_region_refused(world):
    quote = quote_payment(
        voucher=world.vouchers[0],
        provider=world.suzhou_provider,
        item_kind="service",
        category="testing",
        fee=Decimal("100"),
        now=NOW,
    )
    assert quote.voucher_share == Decimal("50.00")
    with pytest.raises(Refused) as refused:
        quote_payment(
            voucher=world.vouchers[0],
            provider=world.wenzhou_provider,
            item_kind="service",
            category="testing",
            fee=Decimal("100"),
            now=NOW,
        )
    assert refused.value.code == "region_not_honoured"


@pytest.mark.parametrize(
    ("fee", "code"),
    [("0", "invalid_fee"), ("-5", "invalid_fee"), ("1.001", "invalid_fee"), ("abc", "invalid_fee")],
)
def test_bad_fees_are_refused(world, fee, code):
    with pytest.raises(Refused) as refused:
        quote_payment(
            voucher=world.vouchers[0],
            provider=world.provider,
            item_kind="service",
            category="testing",
            fee=fee,
            now=NOW,
        )
    assert refused.value.code == code


def test_hold_settle_moves_the_share_and_returns_the_rest(world):
    voucher = world.vouchers[0]
    hold = hold_payment(
        world.owner,
        voucher=voucher,
        provider=world.provider,
        item_kind="service",
        category="testing",
        fee=Decimal("4000"),
        reference="order:1",
        idempotency_key="k-1",
        now=NOW,
    )
    assert hold.amount == Decimal("2000.00")
    assert balances(voucher) == (Decimal("8000.00"), Decimal("2000.00"), Decimal("0.00"))
    settled = settle_payment(world.owner, hold=hold, actual_fee=Decimal("3000"), now=NOW)
    assert settled.settled_amount == Decimal("1500.00")
    assert balances(voucher) == (Decimal("8500.00"), Decimal("0.00"), Decimal("1500.00"))
    # never above what was held, even if the actual fee grew
    hold2 = hold_payment(
        world.owner,
        voucher=voucher,
        provider=world.provider,
        item_kind="service",
        category="testing",
        fee=Decimal("1000"),
        reference="order:2",
        idempotency_key="k-2",
        now=NOW,
    )
    settled2 = settle_payment(world.owner, hold=hold2, actual_fee=Decimal("9000"), now=NOW)
    assert settled2.settled_amount == Decimal("500.00")
    assert violations() == [] and voucher_violations() == []


def test_repeated_key_returns_the_first_hold_and_moves_nothing(world):
    args = dict(
        voucher=world.vouchers[0],
        provider=world.provider,
        item_kind="service",
        category="testing",
        fee=Decimal("1000"),
        reference="booking:7",
        idempotency_key="same",
        now=NOW,
    )
    first = hold_payment(world.owner, **args)
    entries = Entry.objects.count()
    again = hold_payment(world.owner, **{**args, "fee": Decimal("5000")})
    assert again.pk == first.pk and again.amount == Decimal("500.00")
    assert Entry.objects.count() == entries


def test_release_returns_everything_and_cannot_be_repeated(world):
    voucher = world.vouchers[0]
    hold = hold_payment(
        world.owner,
        voucher=voucher,
        provider=world.provider,
        item_kind="service",
        category="testing",
        fee=Decimal("1000"),
        reference="order:3",
        idempotency_key="k-3",
        now=NOW,
    )
    release_payment(world.owner, hold=hold, now=NOW)
    assert balances(voucher) == (Decimal("10000.00"), Decimal("0.00"), Decimal("0.00"))
    entries = Entry.objects.count()
    for call in (
        lambda: release_payment(world.owner, hold=hold, now=NOW),
        lambda: settle_payment(world.owner, hold=hold, actual_fee=Decimal("10"), now=NOW),
    ):
        with pytest.raises(Refused) as refused:
            call()
        assert refused.value.code == "hold_closed"
    assert Entry.objects.count() == entries


def test_stranger_cannot_hold_and_nothing_changes(world):
    from kechuang.accounts.factories import UserFactory

    entries = Entry.objects.count()
    with pytest.raises(Refused):
        hold_payment(
            UserFactory(),
            voucher=world.vouchers[0],
            provider=world.provider,
            item_kind="service",
            category="testing",
            fee=Decimal("1000"),
            reference="x",
            idempotency_key="k-x",
            now=NOW,
        )
    assert Entry.objects.count() == entries
    assert balances(world.vouchers[0])[0] == Decimal("10000.00")


def test_expired_voucher_is_refused(world):
    with pytest.raises(Refused) as refused:
        quote_payment(
            voucher=world.vouchers[0],
            provider=world.provider,
            item_kind="service",
            category="testing",
            fee=Decimal("100"),
            now=NOW + timedelta(days=366),
        )
    assert refused.value.code == "voucher_expired"


def test_usable_vouchers_for_a_picker(world):
    found = usable_vouchers(
        payer_organization=world.enterprise,
        provider=world.suzhou_provider,
        item_kind="instrument",
        category="analytical",
        now=NOW,
    )
    assert {v.pk for v in found} == {v.pk for v in world.vouchers}
    assert not usable_vouchers(
        payer_organization=world.enterprise,
        provider=world.wenzhou_provider,
        item_kind="instrument",
        category="analytical",
        now=NOW,
    ).exists()
