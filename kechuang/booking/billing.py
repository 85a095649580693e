"""What a booking costs and who pays it: the rates, the fee of actual use, and the payment seam.

:func:`usage_fee` prices use by the booking's snapshot of the rules (yuan per hour, by the minute, or per
sample). The payment functions are the one place the booking app meets the voucher app: a booking paid
partly by a voucher has its voucher share held when it is confirmed, settled on the actual fee when use is
recorded, and released when it is cancelled, rejected or not used. Without a voucher the voucher share is
0 and the payer pays all. The payer's share is posted to the ledger here, payer → provider, once per
booking and fee kind (idempotency key ``booking:<pk>:<kind>``).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from kechuang.core.money import to_yuan
from kechuang.directory.models import Instrument, Organization
from kechuang.ledger import services as ledger

PAYABLE = "booking.payable"  # what a user organisation owes for instrument use (negative by design)
INCOME = "booking.income"  # what an instrument's owner has earned from it


@dataclass(frozen=True)
class Invoice:
    """A fee split between the voucher and the payer; ``fee == voucher_share + payer_share``."""

    fee: Decimal
    voucher_share: Decimal
    payer_share: Decimal
    explanation: str = ""


def usage_fee(unit: str, rate: Decimal, *, minutes: float = 0, samples: int = 0) -> Decimal:
    """The fee of ``minutes`` of machine time or ``samples`` samples at ``rate`` yuan per hour/sample."""
    if unit == Instrument.Unit.SAMPLE:
        return to_yuan(rate * samples)
    return to_yuan(rate * Decimal(round(minutes)) / Decimal(60))


def estimated_fee(booking) -> Decimal:
    minutes = (booking.ends_at - booking.starts_at).total_seconds() / 60
    return usage_fee(booking.unit, booking.rate, minutes=minutes, samples=booking.samples)


def actual_fee(booking) -> Decimal:
    minutes = (booking.actual_end - booking.actual_start).total_seconds() / 60
    return usage_fee(
        booking.unit, booking.rate, minutes=minutes, samples=booking.actual_samples or 0
    )


# --- the payment seam ----------------------------------------------------------------------------------


def quote(booking, fee: Decimal, *, now: datetime) -> Invoice:
    """How ``fee`` for ``booking`` would be split. Without a voucher the payer pays all."""
    fee = to_yuan(fee)
    return Invoice(fee, Decimal("0.00"), fee, _("未使用创新券，全部自付。"))


def usable_vouchers(organizations, instrument, *, now: datetime) -> list:
    """The vouchers the user's organisations could pay ``instrument`` with (none until vouchers are
    connected)."""
    return []


def attach_voucher(actor, booking, voucher, *, now: datetime) -> None:
    """Pay part of ``booking`` with ``voucher`` (refused until the voucher app is connected)."""
    from kechuang.core.actions import Refused

    raise Refused(_("创新券支付尚未开通。"), "vouchers_unavailable")


def hold(actor, booking, *, now: datetime) -> None:
    """Hold the voucher share of ``booking``'s estimated fee (nothing without a voucher)."""


def release(actor, booking, *, now: datetime) -> None:
    """Release what :func:`hold` held (nothing without a voucher)."""


def settle(actor, booking, fee: Decimal, *, now: datetime) -> Invoice:
    """Bill ``fee``: settle the voucher share, post the payer's share to the ledger; the split."""
    invoice = quote(booking, fee, now=now)
    post_payer_share(actor, booking, invoice.payer_share, kind=booking.fee_kind)
    return invoice


def post_payer_share(actor, booking, amount: Decimal, *, kind: str) -> None:
    """Post the payer's share: the paying organisation owes it, the instrument's owner earns it."""
    if amount <= 0:
        return
    payer = ledger.open_account(booking.organization, PAYABLE, may_go_negative=True)
    owner = Organization(pk=booking.instrument.owner_id)
    income = ledger.open_account(owner, INCOME)
    ledger.transfer(
        payer,
        income,
        amount,
        actor=actor,
        event=f"booking.{kind}.billed",
        target=booking,
        memo=str(booking)[:300],
        scope="booking",
        idempotency_key=f"booking:{booking.pk}:{kind}",
    )
