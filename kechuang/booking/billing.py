"""What a booking costs and who pays it: the rates, the fee of actual use, and the voucher payment.

:func:`usage_fee` prices use by the booking's snapshot of the rules (yuan per hour, by the minute, or per
sample). The payment functions below are the one place the booking app meets the voucher app
(:mod:`kechuang.vouchers.payments`, which enforces the co-pay ratio, the voucher's balance, the annual cap,
the provider's enrolment and the partner regions it honours):

- :func:`attach_voucher` — the user chose a voucher when booking: it must be their paying organisation's
  and usable at this instrument's owner (quoted on the estimated fee), or the booking is refused;
- :func:`hold` — when the booking is confirmed (at once for instant instruments, at approval otherwise)
  the voucher share of the estimated fee is held on the voucher;
- :func:`settle` — when use is recorded, the hold is settled on the actual fee (never more than held; the
  rest returns to the voucher) and the invoice shows the voucher share and the payer's share;
- :func:`release` — a cancellation, rejection, closure or no-show returns the whole hold to the voucher;
  late-cancellation and no-show fees are not instrument use and are billed to the payer alone.

Without a voucher the voucher share is 0 and the payer pays all. The payer's share is posted to the
ledger here, payer → provider, once per booking and fee kind (idempotency key ``booking:<pk>:<kind>``);
the voucher's movements are posted by the voucher app.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from kechuang.accounts.permissions import acts_for
from kechuang.core.actions import Refused
from kechuang.core.money import to_yuan
from kechuang.directory.models import Instrument, Organization
from kechuang.ledger import services as ledger
from kechuang.vouchers import payments
from kechuang.vouchers.models import ItemKind, VoucherHold

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


# --- vouchers ---------------------------------------------------------------------------------------------


def _terms(booking) -> dict:
    instrument = booking.instrument
    return {
        "provider": Organization.objects.get(pk=instrument.owner_id),
        "item_kind": ItemKind.INSTRUMENT,
        "category": instrument.category,
    }


def _party(actor, booking):
    """The actor as the voucher app sees them: a party of the payment (the payer's or the provider's
    member, or a superuser) — or ``None``, the system acting for the booking (an operator who manages the
    instrument, the clock), whose right the booking service has already checked."""
    if actor is None:
        return None
    if getattr(actor, "is_superuser", False) or acts_for(actor, booking.organization_id):
        return actor
    if acts_for(actor, booking.instrument.owner_id):
        return actor
    return None


def usable_vouchers(organizations, instrument: Instrument, *, now: datetime) -> list:
    """The vouchers the user's organisations may pay ``instrument`` with, soonest to expire first."""
    if not instrument.accepts_vouchers:
        return []
    provider = Organization.objects.get(pk=instrument.owner_id)
    found = []
    for organization in organizations:
        found += list(
            payments.usable_vouchers(
                payer_organization=organization,
                provider=provider,
                item_kind=ItemKind.INSTRUMENT,
                category=instrument.category,
                now=now,
            )
        )
    return found


def quote(booking, fee: Decimal, *, now: datetime) -> Invoice:
    """How ``fee`` for ``booking`` would be split now. Without a voucher the payer pays all."""
    fee = to_yuan(fee)
    if booking.voucher_id is None or fee <= 0:
        return Invoice(fee, Decimal("0.00"), fee, _("未使用创新券，全部自付。"))
    result = payments.quote_payment(voucher=booking.voucher, fee=fee, now=now, **_terms(booking))
    return Invoice(fee, result.voucher_share, result.payer_share, result.explanation)


def attach_voucher(actor, booking, voucher, *, now: datetime) -> None:
    """Pay part of ``booking`` with ``voucher``: refused unless it is the paying organisation's and usable
    here for the estimated fee."""
    if voucher.holder_id != booking.organization_id:
        raise Refused(_("所选创新券不属于付费单位。"), "voucher_not_payer")
    if booking.estimated_fee <= 0:
        raise Refused(_("该预约不产生费用，无需使用创新券。"), "voucher_no_fee")
    booking.voucher = voucher
    quote(booking, booking.estimated_fee, now=now)  # refuses when the voucher cannot pay here
    booking.voucher_label = voucher.code[:100]
    booking.save(update_fields=["voucher", "voucher_label"])


def hold(actor, booking, *, now: datetime) -> None:
    """Hold the voucher share of ``booking``'s estimated fee on its voucher (nothing without one). Made
    by the booker (an instant booking), a refusal refuses the booking; made at the owner's approval, a
    voucher that can no longer pay is dropped and the payer pays all (the approval stands)."""
    if booking.voucher_id is None or booking.voucher_hold_id is not None:
        return
    by_booker = actor is not None and actor.pk == booking.user_id
    try:
        made = payments.hold_payment(
            booking.user if by_booker else None,
            voucher=booking.voucher,
            fee=booking.estimated_fee,
            reference=f"仪器预约 #{booking.pk}",
            idempotency_key=f"booking:{booking.pk}:hold",
            now=now,
            **_terms(booking),
        )
    except Refused as refused:
        if by_booker:
            raise
        booking.note = (_("创新券未能冻结（%(r)s），费用全部自付。") % {"r": refused.message})[:300]
        booking.voucher = None
        booking.voucher_label = ""
        booking.save(update_fields=["note", "voucher", "voucher_label"])
        return
    booking.voucher_hold = made
    booking.save(update_fields=["voucher_hold"])


def _open_hold(booking) -> VoucherHold | None:
    if booking.voucher_hold_id is None:
        return None
    held = VoucherHold.objects.select_related("voucher__programme__region").get(
        pk=booking.voucher_hold_id
    )
    return held if held.status == VoucherHold.Status.HELD else None


def release(actor, booking, *, now: datetime) -> None:
    """Return ``booking``'s voucher hold (if any) whole to the voucher."""
    if (held := _open_hold(booking)) is not None:
        payments.release_payment(_party(actor, booking), hold=held, now=now)


def settle(actor, booking, fee: Decimal, *, now: datetime) -> Invoice:
    """Bill ``fee``: for use, settle the voucher hold on it; for a late cancellation or a no-show, release
    the hold (those fees are the payer's alone). Posts the payer's share to the ledger; the split."""
    fee = to_yuan(fee)
    held = _open_hold(booking)
    voucher_share = Decimal("0.00")
    explanation = _("未使用创新券，全部自付。")
    if held is not None:
        if booking.fee_kind == "usage" and fee > 0:
            settled = payments.settle_payment(
                _party(actor, booking), hold=held, actual_fee=fee, now=now
            )
            voucher_share = to_yuan(settled.settled_amount or 0)
            explanation = _("创新券 %(code)s 支付 %(v)s 元，自付 %(p)s 元。") % {
                "code": booking.voucher_label,
                "v": f"{voucher_share:,.2f}",
                "p": f"{fee - voucher_share:,.2f}",
            }
        else:
            payments.release_payment(_party(actor, booking), hold=held, now=now)
    invoice = Invoice(fee, voucher_share, fee - voucher_share, explanation)
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
