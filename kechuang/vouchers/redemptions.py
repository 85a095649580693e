"""Service orders paid partly by voucher, redemptions (兑付申请) with evidence, their decision by the
issuing region, and the monthly settlement batches that pay providers.

Money: an order holds the voucher share (:mod:`kechuang.vouchers.payments`); delivery settles it
(held → spent); an approved redemption moves it to the provider's payable account and, when the provider
is in another region of the federation, records what the issuing region owes the provider's region
(owes.B → due.A); a paid batch moves each provider's payable to settled.
"""

import zoneinfo
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kechuang.accounts.permissions import acts_for, operates, operators_of, users_of
from kechuang.core import audit
from kechuang.core.actions import Refused
from kechuang.core.uploads import check_attachment
from kechuang.directory.models import ServiceItem, Status
from kechuang.ledger import services as ledger
from kechuang.notifications.services import localized, notify
from kechuang.vouchers import accounts, payments, screening
from kechuang.vouchers.models import (
    ItemKind,
    Redemption,
    RedemptionEvidence,
    ServiceOrder,
    SettlementBatch,
    Voucher,
    VoucherHold,
)
from kechuang.vouchers.services import require

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
REQUIRED_EVIDENCE = [k.value for k in RedemptionEvidence.Kind]


# --- service orders ---------------------------------------------------------------------------------------


def place_order(
    actor,
    *,
    service_item: ServiceItem,
    voucher: Voucher,
    fee,
    note: str = "",
    idempotency_key: str,
    now: datetime,
) -> ServiceOrder:
    """An enterprise orders a published service item at the agreed fee, paying the voucher share with
    ``voucher`` (held at once). The same key returns the first order."""
    first = ServiceOrder.objects.filter(hold__idempotency_key=f"order:{idempotency_key}").first()
    if first:
        return first
    require(service_item.status == Status.PUBLISHED, _("该服务项目未发布。"), "not_published")
    require(service_item.accepts_vouchers, _("该服务项目不支持创新券。"), "no_vouchers")
    require(acts_for(actor, voucher.holder_id), _("只有持券企业的成员可以下单。"), "not_holder")
    try:
        return _place(actor, service_item, voucher, fee, note, idempotency_key, now)
    except Refused as refused:  # a request with the same key won the race: answer with its order
        if refused.code == "duplicate":
            return ServiceOrder.objects.get(hold__idempotency_key=f"order:{idempotency_key}")
        raise


def _place(actor, service_item, voucher, fee, note, idempotency_key, now) -> ServiceOrder:
    with transaction.atomic():
        order = ServiceOrder.objects.create(
            service_item=service_item,
            enterprise_id=voucher.holder_id,
            provider_id=service_item.provider_id,
            fee=payments._fee(fee),
            note=note.strip()[:300],
            ordered_by=actor,
            ordered_at=now,
        )
        hold = payments.hold_payment(
            actor,
            voucher=voucher,
            provider=service_item.provider,
            item_kind=ItemKind.SERVICE,
            category=service_item.category,
            fee=order.fee,
            reference=f"服务订单 {order.pk}",
            idempotency_key=f"order:{idempotency_key}",
            now=now,
        )
        require(not ServiceOrder.objects.filter(hold=hold).exists(), "", "duplicate")
        ServiceOrder.objects.filter(pk=order.pk).update(hold=hold)
        audit.record(actor, "vouchers.order.placed", order, str(order), fee=str(order.fee))
        notify(
            users_of(service_item.provider_id),
            "vouchers.order.placed",
            localized(gettext_noop("新的创新券服务订单：%(title)s"), title=service_item.title),
            url="/vouchers/provider/",
        )
    order.refresh_from_db()
    return order


def deliver_order(actor, order: ServiceOrder, *, actual_fee=None, now: datetime) -> ServiceOrder:
    """The provider records delivery at the actual fee (default: the agreed fee): the hold settles and
    the order becomes redeemable."""
    require(acts_for(actor, order.provider_id), _("只有服务机构可以确认交付。"), "forbidden")
    with transaction.atomic():
        moved = ServiceOrder.objects.filter(pk=order.pk, status=ServiceOrder.Status.PLACED).update(
            status=ServiceOrder.Status.DELIVERED, delivered_at=now
        )
        require(moved == 1, _("订单已交付或已取消。"), "closed")
        payments.settle_payment(
            actor,
            hold=order.hold,
            actual_fee=order.fee if actual_fee is None else actual_fee,
            now=now,
        )
        audit.record(actor, "vouchers.order.delivered", order, str(order))
    order.refresh_from_db()
    return order


def cancel_order(actor, order: ServiceOrder, *, now: datetime) -> ServiceOrder:
    """Either party cancels an order not yet delivered; the hold returns to the voucher."""
    require(
        acts_for(actor, order.provider_id) or acts_for(actor, order.enterprise_id),
        _("只有订单双方可以取消。"),
        "forbidden",
    )
    with transaction.atomic():
        moved = ServiceOrder.objects.filter(pk=order.pk, status=ServiceOrder.Status.PLACED).update(
            status=ServiceOrder.Status.CANCELLED
        )
        require(moved == 1, _("订单已交付或已取消。"), "closed")
        payments.release_payment(actor, hold=order.hold, now=now)
        audit.record(actor, "vouchers.order.cancelled", order, str(order))
    order.refresh_from_db()
    return order


# --- redemptions ------------------------------------------------------------------------------------------


def member_region(programme, region):
    """The federation member (or the programme's own region) that ``region`` lies in: the region that
    pays its providers and clears with the others."""
    candidates = [programme.region]
    if programme.federation_id:
        candidates += list(programme.federation.members.all())
    inside = [r for r in candidates if region.path.startswith(r.path)]
    return max(inside, key=lambda r: len(r.path)) if inside else region


def check_evidence(files: dict) -> dict:
    """``{kind: uploaded file}`` checked by content like demand attachments; every kind is required.
    Returns ``{kind: content type}`` or raises ``ValidationError`` naming the kind."""
    types = {}
    for kind in REQUIRED_EVIDENCE:
        uploaded = files.get(kind)
        label = RedemptionEvidence.Kind(kind).label
        if uploaded is None:
            raise ValidationError({kind: _("请上传%(label)s。") % {"label": label}})
        try:
            types[kind] = check_attachment(uploaded)
        except ValidationError as error:
            raise ValidationError({kind: f"{label}：{'；'.join(error.messages)}"}) from None
    return types


def submit_redemption(actor, hold: VoucherHold, *, files: dict, now: datetime) -> Redemption:
    """The provider claims the settled voucher share of ``hold`` with its evidence (contract, invoice,
    receipt of the enterprise's share, service report). Screened for related parties at once. One
    redemption per hold."""
    require(acts_for(actor, hold.provider_id), _("只有服务机构可以申请兑付。"), "forbidden")
    require(
        hold.status == VoucherHold.Status.SETTLED and (hold.settled_amount or 0) > 0,
        _("只有已结算的创新券使用可以申请兑付。"),
        "not_settled",
    )
    types = check_evidence(files)
    programme = hold.voucher.programme
    with transaction.atomic():
        require(
            not Redemption.objects.filter(hold=hold).exists(),
            _("这笔创新券使用已经申请过兑付。"),
            "duplicate",
        )
        redemption = Redemption.objects.create(
            hold=hold,
            provider_id=hold.provider_id,
            issuing_region=programme.region,
            provider_region=member_region(programme, hold.provider.region),
            amount=hold.settled_amount,
            flags=screening.screen(hold),
            submitted_by=actor,
            submitted_at=now,
        )
        for kind in REQUIRED_EVIDENCE:
            uploaded = files[kind]
            RedemptionEvidence.objects.create(
                redemption=redemption,
                kind=kind,
                file=uploaded,
                name=uploaded.name[:200],
                content_type=types[kind],
                size=uploaded.size,
                uploaded_at=now,
            )
        audit.record(
            actor,
            "vouchers.redemption.submitted",
            redemption,
            str(redemption),
            amount=str(redemption.amount),
            flags=[f["rule"] for f in redemption.flags],
        )
        notify(
            operators_of(programme.region),
            "vouchers.redemption.submitted",
            localized(gettext_noop("新的兑付申请：%(name)s"), name=hold.provider.name),
            url=redemption.get_absolute_url(),
        )
    return redemption


def month_of(now: datetime) -> date:
    local = now.astimezone(SHANGHAI)
    return date(local.year, local.month, 1)


def _open_batch(region, now: datetime) -> SettlementBatch:
    """This month's open batch of ``region``; if it was already paid, the next month's."""
    month = month_of(now)
    while True:
        batch, _created = SettlementBatch.objects.get_or_create(region=region, month=month)
        if batch.status == SettlementBatch.Status.OPEN:
            return batch
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)


def decide_redemption(
    actor,
    redemption: Redemption,
    *,
    approve: bool,
    reason: str = "",
    override: str = "",
    now: datetime,
) -> Redemption:
    """An operator of the ISSUING region approves or rejects (with a reason). A flagged redemption needs
    a written override to be approved. Approval moves the amount to the provider's payable account (and,
    across regions, records the debt between the regions) and puts it in the paying region's batch."""
    require(
        operates(actor, redemption.issuing_region),
        _("只有发券区域的科协可以审核兑付。"),
        "forbidden",
    )
    reason, override = reason.strip(), override.strip()
    require(approve or reason, _("驳回时请写明理由。"), "no_reason")
    require(
        not (approve and redemption.flags and not override),
        _("该兑付申请存在关联方风险，批准前须填写人工复核意见。"),
        "flagged",
    )
    with transaction.atomic():
        status = Redemption.Status.APPROVED if approve else Redemption.Status.REJECTED
        batch = _open_batch(redemption.provider_region, now) if approve else None
        moved = Redemption.objects.filter(
            pk=redemption.pk, status=Redemption.Status.SUBMITTED
        ).update(
            status=status,
            reason=reason[:300],
            override=override if approve else "",
            decided_by=actor,
            decided_at=now,
            batch=batch,
        )
        require(moved == 1, _("这份兑付申请已经审核过。"), "decided")
        if approve:
            voucher = redemption.hold.voucher
            wanted = [(voucher, accounts.SPENT), (redemption.provider, accounts.PAYABLE)]
            if redemption.is_cross_region:
                issuing, paying = redemption.issuing_region, redemption.provider_region
                wanted += [
                    (issuing, f"owes.{paying.code}"),
                    (paying, f"due.{issuing.code}"),
                ]
            # one query for the accounts; only the voucher's spent account is locked: payable, owes
            # and due are derived accounts, so approvals at once never queue on a shared row
            found = accounts.accounts_of(wanted)
            signs = [-1, 1, -1, 1]
            lines = [(a, sign * redemption.amount) for a, sign in zip(found, signs, strict=False)]
            ledger.post(
                lines,
                actor=actor,
                event="vouchers.redemption.approved",
                target=redemption,
                memo=f"{voucher.code} {redemption.hold.reference}",
                scope=accounts.SCOPE,
                idempotency_key=f"redemption:{redemption.pk}:approved",
            )
        audit.record(
            actor,
            f"vouchers.redemption.{'approved' if approve else 'rejected'}",
            redemption,
            reason or override,
            override=override,
        )
        notify(
            users_of(redemption.provider_id),
            "vouchers.redemption.decided",
            localized(gettext_noop("兑付申请结果：%(status)s"), status=status.label),
            reason,
            url=redemption.get_absolute_url(),
        )
    # what the conditional UPDATE wrote, without reading the row again
    redemption.status, redemption.reason = status, reason[:300]
    redemption.override = override if approve else ""
    redemption.decided_by, redemption.decided_at, redemption.batch = actor, now, batch
    return redemption


def mark_batch_paid(
    actor, batch: SettlementBatch, *, reference: str, now: datetime
) -> SettlementBatch:
    """The paying region marks its month's batch paid with the payment reference: each provider's payable
    for the batch moves to settled, and the batch's redemptions are paid. A paid batch never reopens;
    later approvals go into the next month's batch."""
    require(operates(actor, batch.region), _("只有本区域的科协可以支付兑付批次。"), "forbidden")
    reference = reference.strip()
    require(reference, _("请填写支付流水号。"), "no_reference")
    with transaction.atomic():
        moved = SettlementBatch.objects.filter(
            pk=batch.pk, status=SettlementBatch.Status.OPEN
        ).update(
            status=SettlementBatch.Status.PAID,
            payment_reference=reference[:60],
            paid_by=actor,
            paid_at=now,
        )
        require(moved == 1, _("该批次已经支付。"), "paid")
        by_provider: dict = defaultdict(Decimal)
        redemptions = list(
            batch.redemptions.filter(status=Redemption.Status.APPROVED).select_related("provider")
        )
        for redemption in redemptions:
            by_provider[redemption.provider] += redemption.amount
        for provider, amount in sorted(by_provider.items(), key=lambda item: item[0].pk):
            ledger.transfer(
                accounts.account(provider, accounts.PAYABLE),
                accounts.account(provider, accounts.SETTLED),
                amount,
                actor=actor,
                event="vouchers.batch.paid",
                target=batch,
                memo=f"{batch} {reference}",
                scope=accounts.SCOPE,
                idempotency_key=f"batch:{batch.pk}:provider:{provider.pk}",
            )
        batch.redemptions.filter(status=Redemption.Status.APPROVED).update(
            status=Redemption.Status.PAID
        )
        audit.record(
            actor, "vouchers.batch.paid", batch, reference, total=str(sum(by_provider.values()))
        )
        notify(
            users_of(*[p.pk for p in by_provider]),
            "vouchers.batch.paid",
            localized(gettext_noop("创新券兑付款已支付：%(batch)s"), batch=str(batch)),
            url="/vouchers/provider/",
        )
    batch.refresh_from_db()
    return batch
