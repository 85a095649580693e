"""Service orders paid partly by voucher, redemptions (兑付申请) with evidence, their decision by the
issuing region, and the monthly settlement batches that pay providers.

Money: an order holds the voucher share (:mod:`kechuang.vouchers.payments`); delivery settles it
(held → spent); an approved redemption moves it to the provider's payable account and, when the provider
is in another region of the federation, records what the issuing region owes the provider's region
(owes.B → due.A); a paid batch moves each provider's payable to settled.
"""

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Case, F, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kechuang.accounts.permissions import acts_for, operates, operators_of, users_of
from kechuang.core import audit
from kechuang.core.actions import Refused
from kechuang.core.uploads import check_attachment
from kechuang.directory.models import ServiceItem, Status
from kechuang.ledger import services as ledger
from kechuang.notifications.services import localized, notify, notify_many
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


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _held_open_batch(region, now: datetime) -> SettlementBatch:
    """This month's open batch of ``region`` (the next month's if it was already paid), held against
    :func:`mark_batch_paid` until this transaction ends.

    On PostgreSQL the batch row is read ``FOR KEY SHARE`` with its status: approvals share the lock (it
    is the lock their foreign key takes anyway), while paying the batch takes ``FOR UPDATE`` first and so
    waits for every approval that holds it, then reads them all. An approval that waits for a payment
    re-reads the row when it commits, finds it paid, and goes to the next month. (SQLite's IMMEDIATE
    transactions already serialise the two.) Without the lock an approval could read the batch as open,
    the payment commit without it, and the approval land in a paid batch that never pays it."""
    table = SettlementBatch._meta.db_table
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    month = month_of(now)
    while True:
        found = list(
            SettlementBatch.objects.raw(
                f"SELECT * FROM {table} WHERE region_id = %s AND month = %s AND status = %s{lock}",
                [region.pk, month, SettlementBatch.Status.OPEN],
            )
        )
        if found:
            return found[0]
        batch, created = SettlementBatch.objects.get_or_create(region=region, month=month)
        if created:
            return batch  # our uncommitted row: nobody pays it before we commit
        if batch.status == SettlementBatch.Status.PAID:
            month = _next_month(month)


@dataclass
class Approvals:
    """What a batch approval did: the approved redemptions, and why each other one was refused."""

    approved: list[Redemption] = field(default_factory=list)
    refused: dict[int, Refused] = field(default_factory=dict)


def approve_redemptions(
    actor, redemptions: list[Redemption], *, overrides: dict | None = None, now: datetime
) -> Approvals:
    """批量审核: an operator of the issuing region approves many submitted redemptions at once (the review
    page's selection, or the API). Each approved one gets its own balanced ledger entry (spent → the
    provider's payable, and across regions owes.B → due.A), its audit row and the provider's
    notification, and goes into its paying region's open batch, exactly as one approval does; a row that
    cannot be approved (another region's, flagged without a written override in ``overrides`` — ``{id:
    text}`` —, already decided, or its voucher's spent balance short) is refused with its reason and left
    untouched, and the others go ahead.

    Locks are taken in one fixed order — the paying regions' open batches (by region), the redemption
    rows (by id), the vouchers' spent accounts (by id) — so batches and single approvals at once never
    deadlock, and a batch payment never misses an approval. The whole batch costs about ten statements
    and one commit; one task e-mails all the notifications after it."""
    overrides = {int(pk): str(text).strip() for pk, text in (overrides or {}).items()}
    result = Approvals()
    candidates = []
    allowed: dict[int, bool] = {}  # issuing region id → whether the actor operates it (asked once)
    for redemption in sorted({r.pk: r for r in redemptions}.values(), key=lambda r: r.pk):
        region = redemption.issuing_region
        if region.pk not in allowed:
            allowed[region.pk] = operates(actor, region)
        if not allowed[region.pk]:
            result.refused[redemption.pk] = Refused(
                _("只有发券区域的科协可以审核兑付。"), "forbidden"
            )
        elif redemption.flags and not overrides.get(redemption.pk):
            result.refused[redemption.pk] = Refused(
                _("该兑付申请存在关联方风险，批准前须填写人工复核意见。"), "flagged"
            )
        else:
            candidates.append(redemption)
    if not candidates:
        return result
    with transaction.atomic():
        regions = {r.provider_region_id: r.provider_region for r in candidates}
        batches = {pk: _held_open_batch(regions[pk], now) for pk in sorted(regions)}
        submitted = set(
            Redemption.objects.filter(
                pk__in=[r.pk for r in candidates], status=Redemption.Status.SUBMITTED
            )
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        decided = Refused(_("这份兑付申请已经审核过。"), "decided")
        for redemption in candidates:
            if redemption.pk not in submitted:
                result.refused[redemption.pk] = decided
        candidates = [r for r in candidates if r.pk in submitted]
        if not candidates:
            return result
        wanted = []
        for redemption in candidates:
            wanted += [
                (redemption.hold.voucher, accounts.SPENT),
                (redemption.provider, accounts.PAYABLE),
            ]
            if redemption.is_cross_region:
                issuing, paying = redemption.issuing_region, redemption.provider_region
                wanted += [(issuing, f"owes.{paying.code}"), (paying, f"due.{issuing.code}")]
        found = iter(accounts.accounts_of(wanted))
        postings = []
        for redemption in candidates:
            amount = redemption.amount
            lines = [(next(found), -amount), (next(found), amount)]
            if redemption.is_cross_region:
                lines += [(next(found), -amount), (next(found), amount)]
            postings.append(
                ledger.Posting(
                    lines,
                    event="vouchers.redemption.approved",
                    target=redemption,
                    memo=f"{redemption.hold.voucher.code} {redemption.hold.reference}",
                    idempotency_key=f"redemption:{redemption.pk}:approved",
                )
            )
        # the redemption rows are locked: their approval keys cannot have been posted yet
        posted = ledger.post_many(postings, actor=actor, scope=accounts.SCOPE, new_keys=True)
        approved = []
        for redemption, outcome in zip(candidates, posted, strict=True):
            if isinstance(outcome, Refused):
                result.refused[redemption.pk] = outcome
            else:
                approved.append(redemption)
        if not approved:
            return result
        texts = {r.pk: overrides.get(r.pk, "") for r in approved}
        Redemption.objects.filter(pk__in=[r.pk for r in approved]).update(
            status=Redemption.Status.APPROVED,
            reason="",
            override=Case(
                *(When(pk=pk, then=Value(text)) for pk, text in texts.items() if text),
                default=Value(""),
            ),
            decided_by=actor,
            decided_at=now,
            batch_id=Case(
                *(When(provider_region_id=pk, then=Value(b.pk)) for pk, b in batches.items()),
                output_field=models.BigIntegerField(),
            ),
        )
        for redemption in approved:  # what the UPDATE wrote, without reading the rows again
            redemption.status, redemption.reason = Redemption.Status.APPROVED, ""
            redemption.override = texts[redemption.pk]
            redemption.decided_by, redemption.decided_at = actor, now
            redemption.batch = batches[redemption.provider_region_id]
        audit.record_many(
            actor,
            "vouchers.redemption.approved",
            [(r, r.override, {"override": r.override}) for r in approved],
        )
        members = defaultdict(list)
        for user in (
            get_user_model()
            .objects.filter(
                memberships__organization_id__in={r.provider_id for r in approved}, is_active=True
            )
            .annotate(organization_id=F("memberships__organization_id"))
        ):
            members[user.organization_id].append(user)
        title = localized(
            gettext_noop("兑付申请结果：%(status)s"), status=Redemption.Status.APPROVED.label
        )
        notify_many(
            {
                "recipients": members[r.provider_id],
                "event": "vouchers.redemption.decided",
                "title": title,
                "url": r.get_absolute_url(),
            }
            for r in approved
        )
    result.approved = approved
    return result


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
    across regions, records the debt between the regions) and puts it in the paying region's batch: it
    is :func:`approve_redemptions` of one."""
    reason, override = reason.strip(), override.strip()
    if approve:  # approve_redemptions asks the same questions, in the same order
        done = approve_redemptions(
            actor, [redemption], overrides={redemption.pk: override}, now=now
        )
        if redemption.pk in done.refused:
            raise done.refused[redemption.pk]
        return done.approved[0]
    require(
        operates(actor, redemption.issuing_region),
        _("只有发券区域的科协可以审核兑付。"),
        "forbidden",
    )
    require(reason, _("驳回时请写明理由。"), "no_reason")
    with transaction.atomic():
        status = Redemption.Status.REJECTED
        moved = Redemption.objects.filter(
            pk=redemption.pk, status=Redemption.Status.SUBMITTED
        ).update(status=status, reason=reason[:300], decided_by=actor, decided_at=now)
        require(moved == 1, _("这份兑付申请已经审核过。"), "decided")
        audit.record(actor, "vouchers.redemption.rejected", redemption, reason, override="")
        notify(
            users_of(redemption.provider_id),
            "vouchers.redemption.decided",
            localized(gettext_noop("兑付申请结果：%(status)s"), status=status.label),
            reason,
            url=redemption.get_absolute_url(),
        )
    # what the conditional UPDATE wrote, without reading the row again
    redemption.status, redemption.reason = status, reason[:300]
    redemption.override = ""
    redemption.decided_by, redemption.decided_at, redemption.batch = actor, now, None
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
        # FOR UPDATE waits for every approval holding the batch (FOR KEY SHARE, see
        # _held_open_batch) to commit, so the redemptions read below are all of the batch's
        locked = list(
            SettlementBatch.objects.select_for_update()
            .filter(pk=batch.pk, status=SettlementBatch.Status.OPEN)
            .values_list("pk", flat=True)
        )
        require(bool(locked), _("该批次已经支付。"), "paid")
        moved = SettlementBatch.objects.filter(
            pk=batch.pk, status=SettlementBatch.Status.OPEN
        ).update(
            status=SettlementBatch.Status.PAID,
            payment_reference=reference[:60],
            paid_by=actor,
            paid_at=now,
        )
        require(moved == 1, _("该批次已经支付。"), "paid")
        # the batch's redemptions by id before the providers' accounts: the order approvals and
        # clearing runs lock them in, so none of the three can wait for another in a circle
        redemptions = list(
            batch.redemptions.filter(status=Redemption.Status.APPROVED)
            .select_related("provider")
            .order_by("pk")
            .select_for_update(of=("self",))
        )
        by_provider: dict = defaultdict(Decimal)
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
        Redemption.objects.filter(pk__in=[r.pk for r in redemptions]).update(
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
