"""Paying part of a fee with a voucher: the interface service orders and instrument bookings call.

- :func:`quote_payment` says how much of a fee a voucher would pay (the co-pay ratio, the voucher's
  balance, the enterprise's annual cap) and refuses when the voucher cannot be used at that provider for
  that kind of item;
- :func:`hold_payment` holds that share on the voucher (unspent → held) under an idempotency key: asking
  again with the same key returns the first hold and moves nothing;
- :func:`settle_payment` fixes the hold to the actual use — never more than was held — and returns the
  rest to the voucher; the settled hold is then redeemable by the provider (see
  :func:`kechuang.vouchers.services.submit_redemption`);
- :func:`release_payment` cancels a hold: all of it returns to the voucher;
- :func:`usable_vouchers` lists the payer's vouchers that a quote would accept, for a picker.

A voucher that expired or was cancelled while a hold was open gets nothing back: what a settle or release
returns goes to the programme's budget instead (and counts in ``Voucher.returned``).

Each write locks the voucher row first (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers),
so two holds on one voucher never both spend its last yuan, and the ledger refuses any overdraft anyway.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, Sum
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import acts_for, operates
from kechuang.core import audit
from kechuang.core.actions import Refused
from kechuang.core.money import FEN, to_yuan
from kechuang.directory.models import Organization
from kechuang.ledger import services as ledger
from kechuang.ledger.models import Account
from kechuang.vouchers import accounts
from kechuang.vouchers.models import (
    ItemKind,
    ProviderEnrolment,
    Voucher,
    VoucherHold,
    VoucherProgramme,
)


@dataclass(frozen=True)
class Quote:
    """What a voucher pays of a fee and what the enterprise pays itself, with the reason in Chinese."""

    voucher_share: Decimal
    payer_share: Decimal
    explanation: str


def is_active_provider(organization: Organization) -> bool:
    """Whether the organisation finished onboarding (check and 公示) and accepts vouchers."""
    return ProviderEnrolment.objects.filter(
        organization=organization, status=ProviderEnrolment.Status.ACTIVE
    ).exists()


def honours_region(programme: VoucherProgramme, region) -> bool:
    """Whether the programme's vouchers may be spent at a provider in ``region``: the programme's own
    region or a partner region, or any region below one of them."""
    if region is None:
        return False
    paths = [programme.region.path, *(r.path for r in programme.partner_regions.all())]
    return any(region.path.startswith(path) for path in paths)


def covers_category(programme: VoucherProgramme, item_kind: str, category: str) -> bool:
    """Whether the programme pays for this kind of item in this category (an empty list: every one)."""
    if item_kind == ItemKind.SERVICE:
        eligible = programme.service_categories
    elif item_kind == ItemKind.INSTRUMENT:
        eligible = programme.instrument_categories
    else:
        return False
    return not eligible or category in eligible


def cap_left(programme: VoucherProgramme, holder_id: int) -> Decimal:
    """What the enterprise may still use of the programme's annual cap: the cap less what its vouchers of
    the programme have held, spent or had redeemed (face value less unspent less returned)."""
    totals = Voucher.objects.filter(programme=programme, holder_id=holder_id).aggregate(
        face=Sum("face_value"), unspent=Sum("account__balance"), returned=Sum("returned")
    )
    used = to_yuan(totals["face"] or 0) - to_yuan(totals["unspent"] or 0)
    used -= to_yuan(totals["returned"] or 0)
    return max(programme.annual_cap - used, Decimal(0))


def _ratio_share(programme: VoucherProgramme, fee: Decimal) -> Decimal:
    """The co-pay rule: at most ``copay_percent`` % of the fee, rounded down to the fen."""
    return (fee * programme.ratio).quantize(FEN, rounding=ROUND_DOWN)


def _fee(value) -> Decimal:
    try:
        fee = Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        raise Refused(_("费用必须是金额。"), "invalid_fee") from None
    if not fee.is_finite() or fee <= 0 or fee >= Decimal("1e12") or fee != to_yuan(fee):
        raise Refused(_("费用必须大于零，最多精确到分。"), "invalid_fee")
    return fee


def check_usable(
    voucher: Voucher, provider: Organization, item_kind: str, category: str, now: datetime
) -> None:
    """Refuse when the voucher cannot pay at this provider for this item (reason in Chinese)."""
    programme = voucher.programme
    if voucher.status != Voucher.Status.ACTIVE:
        raise Refused(
            _("创新券 %(code)s %(status)s，不能使用。")
            % {"code": voucher.code, "status": voucher.get_status_display()},
            "voucher_inactive",
        )
    if voucher.expires_at <= now:
        raise Refused(_("创新券 %(code)s 已过有效期。") % {"code": voucher.code}, "voucher_expired")
    if provider.pk == voucher.holder_id:
        raise Refused(_("企业不能在本单位使用自己的创新券。"), "own_provider")
    if not is_active_provider(provider):
        raise Refused(
            _("%(provider)s 不是已入库的创新券服务机构。") % {"provider": provider.name},
            "provider_not_active",
        )
    if not honours_region(programme, provider.region):
        raise Refused(
            _("%(programme)s 不能在 %(region)s 的服务机构使用。")
            % {
                "programme": programme.name,
                "region": provider.region.name if provider.region_id else _("未知区域"),
            },
            "region_not_honoured",
        )
    if not covers_category(programme, item_kind, category):
        raise Refused(
            _("%(programme)s 不支持此类别的服务或仪器。") % {"programme": programme.name},
            "category_not_eligible",
        )


def quote_payment(
    *,
    voucher: Voucher,
    provider: Organization,
    item_kind: str,
    category: str,
    fee: Decimal,
    now: datetime,
) -> Quote:
    """The voucher share of ``fee``: the least of the co-pay share, the voucher's unspent balance and what
    is left of the enterprise's annual cap; the enterprise pays the rest. Refused when the voucher cannot be
    used here or would pay nothing."""
    fee = _fee(fee)
    check_usable(voucher, provider, item_kind, category, now)
    programme = voucher.programme
    by_ratio = _ratio_share(programme, fee)
    balance = voucher.account.balance
    left = cap_left(programme, voucher.holder_id)
    share = min(by_ratio, balance, left)
    if share <= 0:
        if left <= 0:
            raise Refused(_("企业已用满本年度创新券上限。"), "cap_reached")
        raise Refused(_("创新券 %(code)s 余额不足。") % {"code": voucher.code}, "no_balance")
    percent = f"{programme.copay_percent.normalize():f}"
    reasons = [
        _("按%(programme)s，创新券最多支付费用的 %(percent)s%%，即 %(by_ratio)s 元")
        % {"programme": programme.name, "percent": percent, "by_ratio": f"{by_ratio:,.2f}"}
    ]
    if share == balance and balance < by_ratio:
        reasons.append(_("受券面余额 %(balance)s 元限制") % {"balance": f"{balance:,.2f}"})
    elif share == left and left < by_ratio:
        reasons.append(_("受企业年度上限剩余 %(left)s 元限制") % {"left": f"{left:,.2f}"})
    reasons.append(
        _("创新券支付 %(share)s 元，企业自付 %(rest)s 元。")
        % {"share": f"{share:,.2f}", "rest": f"{fee - share:,.2f}"}
    )
    return Quote(voucher_share=share, payer_share=fee - share, explanation="；".join(reasons))


def _may_pay(actor, voucher: Voucher) -> None:
    if actor is None:  # the system (a task or the clock) acting for a booking
        return
    if acts_for(actor, voucher.holder_id) or getattr(actor, "is_superuser", False):
        return
    raise Refused(_("只有持券企业的成员可以使用此创新券。"), "not_holder")


def _may_close(actor, hold: VoucherHold) -> None:
    if actor is None or getattr(actor, "is_superuser", False):
        return
    if acts_for(actor, hold.payer_id) or acts_for(actor, hold.provider_id):
        return
    if operates(actor, hold.voucher.programme.region):
        return
    raise Refused(_("只有订单双方或发券区域的科协可以结算此创新券。"), "not_party")


def _locked_voucher(voucher: Voucher) -> Voucher:
    """The voucher row locked for this transaction, with its balance read *after* the lock: a row joined
    into the locking query would keep the value it had before the wait (PostgreSQL re-reads only the
    locked row), so the balance is fetched by its own statement."""
    locked = (
        Voucher.objects.select_for_update(of=("self",))
        .select_related("programme__region")
        .get(pk=voucher.pk)
    )
    locked.account = Account.objects.get(pk=locked.account_id)
    return locked


def hold_payment(
    actor,
    *,
    voucher: Voucher,
    provider: Organization,
    item_kind: str,
    category: str,
    fee: Decimal,
    reference: str,
    idempotency_key: str,
    now: datetime,
) -> VoucherHold:
    """Hold the quoted voucher share of ``fee`` on ``voucher`` for ``reference`` (an order or a booking).

    The same ``idempotency_key`` returns the first hold and moves nothing, also when two requests race.
    Refused (nothing changed) when the voucher cannot be used here, pays nothing, or ``actor`` does not
    act for its holder."""
    if not idempotency_key or len(idempotency_key) > 120:
        raise Refused(_("缺少幂等键，或幂等键超过 120 个字符。"), "idempotency_key")
    if first := VoucherHold.objects.filter(idempotency_key=idempotency_key).first():
        return first
    _may_pay(actor, voucher)
    try:
        with transaction.atomic():
            voucher = _locked_voucher(voucher)
            if first := VoucherHold.objects.filter(idempotency_key=idempotency_key).first():
                return first
            quote = quote_payment(
                voucher=voucher,
                provider=provider,
                item_kind=item_kind,
                category=category,
                fee=fee,
                now=now,
            )
            hold = VoucherHold.objects.create(
                voucher=voucher,
                payer_id=voucher.holder_id,
                provider=provider,
                item_kind=item_kind,
                category=category,
                fee=_fee(fee),
                amount=quote.voucher_share,
                reference=reference[:80],
                idempotency_key=idempotency_key,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                created_at=now,
            )
            ledger.transfer(
                voucher.account,
                accounts.account(voucher, accounts.HELD),
                quote.voucher_share,
                actor=actor,
                event="vouchers.hold.created",
                target=hold,
                memo=f"{voucher.code} {reference}",
                scope=accounts.SCOPE,
                idempotency_key=f"hold:{hold.pk}",
            )
            audit.record(
                actor,
                "vouchers.hold.created",
                hold,
                f"{voucher.code} {reference}",
                amount=str(quote.voucher_share),
                fee=str(hold.fee),
            )
    except IntegrityError:
        if first := VoucherHold.objects.filter(idempotency_key=idempotency_key).first():
            return first
        raise
    return hold


def _give_back(voucher: Voucher, amount: Decimal) -> list:
    """Ledger lines returning ``amount`` to the voucher — or, if it no longer is active, to its programme's
    budget (recorded in ``returned``)."""
    if amount <= 0:
        return []
    if voucher.status == Voucher.Status.ACTIVE:
        return [(voucher.account, amount)]
    Voucher.objects.filter(pk=voucher.pk).update(returned=F("returned") + amount)
    return [(accounts.account(voucher.programme, accounts.UNISSUED), amount)]


def _close(actor, hold: VoucherHold, *, status: str, used: Decimal, actual_fee, now, event: str):
    """Move a held hold to ``status`` (once: a conditional UPDATE on ``held``) and post its money."""
    with transaction.atomic():
        voucher = _locked_voucher(hold.voucher)
        moved = VoucherHold.objects.filter(pk=hold.pk, status=VoucherHold.Status.HELD).update(
            status=status,
            actual_fee=actual_fee,
            settled_amount=used if status == VoucherHold.Status.SETTLED else None,
            closed_at=now,
        )
        if moved != 1:
            raise Refused(_("这笔创新券冻结已经结算或释放。"), "hold_closed")
        lines = [(accounts.account(voucher, accounts.HELD), -hold.amount)]
        if used > 0:
            lines.append((accounts.account(voucher, accounts.SPENT), used))
        lines += _give_back(voucher, hold.amount - used)
        ledger.post(
            lines,
            actor=actor,
            event=event,
            target=hold,
            memo=f"{voucher.code} {hold.reference}",
            scope=accounts.SCOPE,
            idempotency_key=f"{event}:{hold.pk}",
        )
        audit.record(actor, event, hold, f"{voucher.code} {hold.reference}", amount=str(used))
    hold.refresh_from_db()
    return hold


def settle_payment(actor, *, hold: VoucherHold, actual_fee: Decimal, now: datetime) -> VoucherHold:
    """Fix ``hold`` to the actual use: the co-pay share of ``actual_fee``, never more than was held; the
    rest returns to the voucher. Refused if the hold was already settled or released."""
    actual_fee = _fee(actual_fee)
    _may_close(actor, hold)
    used = min(_ratio_share(hold.voucher.programme, actual_fee), hold.amount)
    return _close(
        actor,
        hold,
        status=VoucherHold.Status.SETTLED,
        used=used,
        actual_fee=actual_fee,
        now=now,
        event="vouchers.hold.settled",
    )


def release_payment(actor, *, hold: VoucherHold, now: datetime) -> VoucherHold:
    """Cancel ``hold``: the whole amount returns to the voucher. Refused if it was settled or released."""
    _may_close(actor, hold)
    return _close(
        actor,
        hold,
        status=VoucherHold.Status.RELEASED,
        used=Decimal(0),
        actual_fee=None,
        now=now,
        event="vouchers.hold.released",
    )


def usable_vouchers(
    *,
    payer_organization: Organization,
    provider: Organization,
    item_kind: str,
    category: str,
    now: datetime,
) -> QuerySet[Voucher]:
    """The payer's active vouchers with a balance that may pay at ``provider`` for this item, soonest to
    expire first (spend those first)."""
    candidates = Voucher.objects.usable(now).filter(holder=payer_organization)
    if provider.pk == payer_organization.pk or not is_active_provider(provider):
        return candidates.none()
    programmes = VoucherProgramme.objects.filter(
        pk__in=candidates.values("programme")
    ).prefetch_related("partner_regions")
    eligible = [
        p.pk
        for p in programmes.select_related("region")
        if honours_region(p, provider.region) and covers_category(p, item_kind, category)
    ]
    return (
        candidates.filter(programme_id__in=eligible)
        .select_related("programme", "account")
        .order_by("expires_at", "pk")
    )
