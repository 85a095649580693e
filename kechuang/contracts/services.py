"""Registering technology contracts: entering, submitting and reviewing them (认定登记), and the contracts
that platform agreements create.

Every function here runs in one transaction, checks who may act, refuses with
:class:`~kechuang.core.actions.Refused` (changing nothing) and writes an audit row. Status changes are
conditional UPDATEs on the expected states, so of two reviewers acting at once only one succeeds. A platform
source (an engagement, a task book, an auction lot) makes at most one contract: calling its ``contract_from_*``
again returns the first (the unique ``(source, source_id)`` constraint holds under races too).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kechuang.accounts.permissions import acts_for, operates, operators_of, roles_of, users_of
from kechuang.contracts.models import (
    ContractAttachment,
    ContractKind,
    PaymentTerm,
    RegistrationCounter,
    TechContract,
)
from kechuang.core.actions import Refused
from kechuang.core.audit import record
from kechuang.core.models import IndustryChain, Region
from kechuang.core.money import to_yuan
from kechuang.core.uploads import check_attachment
from kechuang.notifications.services import localized, notify

S = TechContract.Status
MAX_AMOUNT = Decimal("1e12")


@dataclass
class ContractInput:
    """What a person types for a contract entered by hand. ``payments`` are ``{"due_on", "amount",
    "condition"}`` rows."""

    title: str
    kind: str
    buyer_name: str
    buyer_region: Region
    seller_name: str
    seller_region: Region
    total_amount: Decimal
    tech_amount: Decimal
    signed_on: date
    starts_on: date | None = None
    ends_on: date | None = None
    industry_chain: IndustryChain | None = None
    summary: str = ""
    buyer: object | None = None  # Organization
    seller: object | None = None
    payments: Sequence[dict] = field(default_factory=list)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _money(value, label: str) -> Decimal:
    try:
        amount = to_yuan(value)
    except (TypeError, ArithmeticError, ValueError):
        raise Refused(_("%(label)s无效") % {"label": label}, "invalid_amount") from None
    if amount <= 0 or amount >= MAX_AMOUNT:
        raise Refused(_("%(label)s必须大于零") % {"label": label}, "invalid_amount")
    return amount


def _clean(data: ContractInput) -> dict:
    """The contract's fields from ``data``, or a refusal saying what is wrong."""
    title = (data.title or "").strip()
    if not title:
        raise Refused(_("请填写合同名称"), "title")
    if data.kind not in ContractKind.values:
        raise Refused(_("请选择合同类型"), "kind")
    buyer_name = (data.buyer_name or "").strip() or (str(data.buyer) if data.buyer else "")
    seller_name = (data.seller_name or "").strip() or (str(data.seller) if data.seller else "")
    if not buyer_name or not seller_name:
        raise Refused(_("请填写买卖双方名称"), "parties")
    if data.buyer_region is None or data.seller_region is None:
        raise Refused(_("请选择买卖双方所在区域"), "regions")
    total = _money(data.total_amount, _("合同成交额"))
    tech = _money(data.tech_amount, _("技术交易额"))
    if tech > total:
        raise Refused(_("技术交易额不能超过合同成交额"), "tech_over_total")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise Refused(_("履行截止日期不能早于开始日期"), "term")
    payments = []
    for number, row in enumerate(data.payments, start=1):
        amount = _money(row.get("amount"), _("第 %(n)d 期付款金额") % {"n": number})
        if not row.get("due_on"):
            raise Refused(_("请填写第 %(n)d 期付款的应付日期") % {"n": number}, "payment_date")
        payments.append(
            PaymentTerm(
                order=number,
                due_on=row["due_on"],
                amount=amount,
                condition=(row.get("condition") or "").strip()[:200],
            )
        )
    if sum((p.amount for p in payments), Decimal(0)) > total:
        raise Refused(_("支付计划合计不能超过合同成交额"), "payments_over_total")
    return {
        "fields": {
            "title": title[:200],
            "kind": data.kind,
            "buyer": data.buyer,
            "buyer_name": buyer_name[:100],
            "buyer_region": data.buyer_region,
            "seller": data.seller,
            "seller_name": seller_name[:100],
            "seller_region": data.seller_region,
            "industry_chain": data.industry_chain,
            "total_amount": total,
            "tech_amount": tech,
            "signed_on": data.signed_on,
            "starts_on": data.starts_on,
            "ends_on": data.ends_on,
            "summary": (data.summary or "").strip(),
        },
        "payments": payments,
    }


# --- who may do what (pages and the API ask these too) ------------------------------------------------


def may_enter(user) -> bool:
    """Members of any organisation and operators may enter contracts by hand."""
    return roles_of(user).may_enter_contracts


def may_edit(user, contract: TechContract) -> bool:
    """A draft or returned contract is edited by who entered it, a member of either party or an operator
    of the seller's region."""
    if not getattr(user, "is_authenticated", False) or not contract.is_editable:
        return False
    return (
        contract.created_by_id == user.pk
        or acts_for(user, contract.buyer_id)
        or acts_for(user, contract.seller_id)
        or operates(user, contract.seller_region)
    )


def may_review(user, contract: TechContract) -> bool:
    """A submitted contract is reviewed by an operator of the seller's region."""
    return contract.status == S.SUBMITTED and operates(user, contract.seller_region)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("您无权处理这份合同"))


# --- entering by hand --------------------------------------------------------------------------------


@transaction.atomic
def enter_contract(actor, data: ContractInput, *, now: datetime | None = None) -> TechContract:
    """A contract entered by hand, saved as a draft (submit it with its signed text attached)."""
    _require(may_enter(actor))
    cleaned = _clean(data)
    contract = TechContract.objects.create(
        **cleaned["fields"], source=TechContract.Source.MANUAL, status=S.DRAFT, created_by=actor
    )
    _save_payments(contract, cleaned["payments"])
    record(actor, "contracts.contract.enter", contract, contract.title)
    return contract


@transaction.atomic
def update_contract(actor, contract: TechContract, data: ContractInput) -> TechContract:
    """Change a draft or returned contract; its payment plan is replaced by ``data.payments``."""
    contract = TechContract.objects.select_for_update().get(pk=contract.pk)
    _require(may_edit(actor, contract))
    cleaned = _clean(data)
    fields = cleaned["fields"]
    if contract.source != TechContract.Source.MANUAL:
        # The parties of a platform agreement are the platform's record; only the terms are corrected.
        for name in (
            "buyer",
            "buyer_name",
            "buyer_region",
            "seller",
            "seller_name",
            "seller_region",
        ):
            fields.pop(name)
    updated = TechContract.objects.filter(pk=contract.pk, status__in=TechContract.EDITABLE).update(
        **fields
    )
    if not updated:
        raise Refused(_("合同已提交审核，不能修改"), "not_editable")
    contract.payments.all().delete()
    _save_payments(contract, cleaned["payments"])
    record(actor, "contracts.contract.update", contract, contract.title)
    contract.refresh_from_db()
    return contract


def _save_payments(contract: TechContract, payments: list[PaymentTerm]) -> None:
    for payment in payments:
        payment.contract = contract
    PaymentTerm.objects.bulk_create(payments)


@transaction.atomic
def attach_file(actor, contract: TechContract, uploaded) -> ContractAttachment:
    """Attach a file (checked by content: PDF, images, Office) to a contract that may still change."""
    _require(may_edit(actor, contract) or may_review(actor, contract))
    try:
        content_type = check_attachment(uploaded)
    except ValidationError as error:
        raise Refused(error.messages[0], "attachment") from None
    attachment = ContractAttachment.objects.create(
        contract=contract,
        file=uploaded,
        name=uploaded.name[:200],
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=actor,
    )
    # A new file must be checked again before registration.
    TechContract.objects.filter(pk=contract.pk).update(attachments_checked=False)
    record(actor, "contracts.contract.attach", contract, attachment.name)
    return attachment


def _transition(actor, contract, allowed: tuple, target: str, action: str, note="", **values):
    """Move ``contract`` from one of ``allowed`` to ``target`` by one conditional UPDATE; refuse, changing
    nothing, when it is no longer in an allowed state."""
    updated = TechContract.objects.filter(pk=contract.pk, status__in=allowed).update(
        status=target, **values
    )
    current = TechContract.objects.select_related("seller_region", "buyer_region").get(
        pk=contract.pk
    )
    if not updated:
        raise Refused(
            _("合同当前状态为“%(s)s”，不能执行此操作") % {"s": current.get_status_display()},
            "state",
        )
    record(actor, action, current, note or current.title)
    return current


@transaction.atomic
def submit_contract(actor, contract: TechContract, *, now: datetime | None = None) -> TechContract:
    """draft | returned → submitted, for the seller region's operators to register. A contract entered
    by hand needs its signed text attached."""
    _require(may_edit(actor, contract))
    if contract.source == TechContract.Source.MANUAL and not contract.attachments.exists():
        raise Refused(_("请先上传已签订的合同文本"), "no_attachment")
    contract = _transition(
        actor,
        contract,
        TechContract.EDITABLE,
        S.SUBMITTED,
        "contracts.contract.submit",
        submitted_at=_now(now),
        review_note="",
    )
    _tell_operators(contract)
    return contract


def _tell_operators(contract: TechContract) -> None:
    notify(
        operators_of(contract.seller_region),
        "contracts.contract.submitted",
        localized(gettext_noop("技术合同待认定登记：%(t)s"), t=contract.title),
        f"{contract.seller_name} → {contract.buyer_name}",
        contract.get_absolute_url(),
    )


def _tell_parties(contract: TechContract, title) -> None:
    recipients = list(users_of(contract.buyer_id, contract.seller_id))
    if contract.created_by_id:
        recipients.append(contract.created_by)
    notify(
        recipients,
        "contracts.contract.reviewed",
        title,
        contract.review_note,
        contract.get_absolute_url(),
    )


def _next_number(region: Region, year: int) -> str:
    """The next registration number of ``region`` in ``year``: the counter row is created once and moved
    by a conditional UPDATE (row-locked on PostgreSQL), so two registrations never share a serial."""
    counter, _created = RegistrationCounter.objects.get_or_create(region=region, year=year)
    counter = RegistrationCounter.objects.select_for_update().get(pk=counter.pk)
    RegistrationCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db()
    return f"{year}{region.code}{counter.last:06d}"


@transaction.atomic
def register_contract(
    actor, contract: TechContract, *, attachments_checked: bool = False, now: datetime | None = None
) -> TechContract:
    """submitted → registered (认定登记) by an operator of the seller's region, who confirms having
    checked the attachments if there are any. The contract gets its registration number and its
    technology portion counts toward the region's turnover from now on."""
    now = _now(now)
    contract = (
        TechContract.objects.select_for_update().select_related("seller_region").get(pk=contract.pk)
    )
    _require(operates(actor, contract.seller_region))
    if contract.attachments.exists() and not attachments_checked:
        raise Refused(_("请先核验合同附件"), "attachments_unchecked")
    if contract.status != S.SUBMITTED:
        raise Refused(
            _("合同当前状态为“%(s)s”，不能执行此操作") % {"s": contract.get_status_display()},
            "state",
        )
    number = _next_number(contract.seller_region, timezone.localdate(now).year)
    contract = _transition(
        actor,
        contract,
        (S.SUBMITTED,),
        S.REGISTERED,
        "contracts.contract.register",
        number,
        number=number,
        registered_at=now,
        reviewed_at=now,
        reviewed_by=actor,
        attachments_checked=attachments_checked,
    )
    _tell_parties(
        contract,
        localized(gettext_noop("技术合同已登记：%(t)s（%(n)s）"), t=contract.title, n=number),
    )
    return contract


def _decide(actor, contract, target: str, action: str, reason: str, now, title: str):
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("请填写原因"), "reason")
    _require(operates(actor, contract.seller_region))
    contract = _transition(
        actor,
        contract,
        (S.SUBMITTED,),
        target,
        action,
        reason,
        review_note=reason[:300],
        reviewed_at=_now(now),
        reviewed_by=actor,
    )
    _tell_parties(contract, localized(title, t=contract.title))
    return contract


@transaction.atomic
def return_contract(actor, contract, reason: str, *, now: datetime | None = None) -> TechContract:
    """submitted → returned: the parties correct what ``reason`` says and submit again."""
    return _decide(
        actor,
        contract,
        S.RETURNED,
        "contracts.contract.return",
        reason,
        now,
        gettext_noop("技术合同退回补正：%(t)s"),
    )


@transaction.atomic
def refuse_contract(actor, contract, reason: str, *, now: datetime | None = None) -> TechContract:
    """submitted → refused (不予登记, e.g. not a technology contract); final."""
    return _decide(
        actor,
        contract,
        S.REFUSED,
        "contracts.contract.refuse",
        reason,
        now,
        gettext_noop("技术合同不予登记：%(t)s"),
    )


# --- contracts the platform's agreements create --------------------------------------------------------


def _from_source(actor, source: str, source_id: int, fields: dict, payments=()) -> TechContract:
    """The contract of a platform source, created submitted the first time and returned as it is after."""
    existing = TechContract.objects.filter(source=source, source_id=source_id).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            contract = TechContract.objects.create(
                **fields,
                source=source,
                source_id=source_id,
                status=S.SUBMITTED,
                submitted_at=timezone.now(),
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            _save_payments(contract, list(payments))
    except IntegrityError:
        return TechContract.objects.get(source=source, source_id=source_id)
    record(actor, "contracts.contract.create", contract, contract.title, source=source)
    _tell_operators(contract)
    return contract


def _first_chain(organization):
    return organization.industry_chains.order_by("pk").first() if organization else None


def contract_from_engagement(
    actor, engagement, *, now: datetime | None = None
) -> TechContract | None:
    """The contract of an engagement agreed on the platform in one of the five contract kinds (a jointly
    built platform is no technology contract, nor is an agreement without an amount: ``None``). The demand's
    enterprise buys; the supplier — the providing organisation, or the expert through their employer —
    sells."""
    if engagement.cooperation_mode not in ContractKind.values or not engagement.amount:
        return None
    demand = engagement.demand
    if engagement.provider_id:
        seller, seller_name, seller_region = (
            engagement.provider,
            engagement.provider.name,
            engagement.provider.region,
        )
    else:
        expert = engagement.expert
        seller = expert.affiliation
        seller_name = str(seller) if seller else expert.name
        seller_region = seller.region if seller else expert.region
    signed = timezone.localdate(engagement.agreed_at or _now(now))
    return _from_source(
        actor,
        TechContract.Source.ENGAGEMENT,
        engagement.pk,
        {
            "title": demand.title[:200],
            "kind": engagement.cooperation_mode,
            "buyer": demand.organization,
            "buyer_name": demand.organization.name,
            "buyer_region": demand.region,
            "seller": seller,
            "seller_name": seller_name[:100],
            "seller_region": seller_region,
            "industry_chain": demand.industry_chain or _first_chain(demand.organization),
            "total_amount": engagement.amount,
            "tech_amount": engagement.amount,
            "signed_on": signed,
            "summary": demand.description[:2000],
        },
    )


def contract_from_challenge(actor, agreement, *, now: datetime | None = None) -> TechContract:
    """The technology-development contract of a signed 揭榜挂帅 task book: the proposing organisation (or
    the issuing department) buys, the lead applicant sells, for the bounty, paid by the tranches."""
    challenge, application = agreement.challenge, agreement.application
    challenge_list = challenge.challenge_list
    proposer = challenge.proposer
    lead = application.lead
    signed = timezone.localdate(agreement.signed_at)
    payments = []
    for order, tranche in enumerate(
        agreement.tranches.select_related("milestone").order_by("pk"), start=1
    ):
        milestone = tranche.milestone
        payments.append(
            PaymentTerm(
                order=order,
                due_on=milestone.due_on if milestone else signed,
                amount=tranche.amount,
                condition=(
                    _("验收：%(m)s") % {"m": milestone.title} if milestone else _("签约首期")
                )[:200],
            )
        )
    deadline = challenge.completion_deadline
    return _from_source(
        actor,
        TechContract.Source.CHALLENGE,
        agreement.pk,
        {
            "title": challenge.title[:200],
            "kind": ContractKind.DEVELOPMENT,
            "buyer": proposer,
            "buyer_name": (proposer.name if proposer else challenge_list.issuer)[:100],
            "buyer_region": proposer.region if proposer else challenge.region,
            "seller": lead,
            "seller_name": lead.name,
            "seller_region": lead.region,
            "industry_chain": _first_chain(proposer) or _first_chain(lead),
            "total_amount": agreement.bounty,
            "tech_amount": agreement.bounty,
            "signed_on": signed,
            "starts_on": signed,
            "ends_on": deadline if deadline and deadline >= signed else None,
            "summary": challenge.problem[:2000],
        },
        payments,
    )


def contract_from_lot(
    actor, lot, *, buyer, price: Decimal, deposit: Decimal, now: datetime | None = None
) -> TechContract:
    """The patent-transfer contract of a sold auction lot: the winning bidder buys from the lot's owner at
    the hammer price; the deposit already paid is the first payment, the rest due within 30 days."""
    signed = timezone.localdate(_now(now))
    payments = []
    if deposit > 0:
        payments.append(
            PaymentTerm(
                order=1, due_on=signed, amount=min(deposit, price), condition=_("保证金转价款")
            )
        )
    if price > deposit:
        payments.append(
            PaymentTerm(
                order=len(payments) + 1,
                due_on=signed + timedelta(days=30),
                amount=price - deposit,
                condition=_("成交后 30 日内付清余款"),
            )
        )
    owner = lot.owner
    return _from_source(
        actor,
        TechContract.Source.AUCTION,
        lot.pk,
        {
            "title": (_("专利转让：%(t)s") % {"t": lot.title})[:200],
            "kind": ContractKind.TRANSFER,
            "buyer": buyer,
            "buyer_name": buyer.name,
            "buyer_region": buyer.region,
            "seller": owner,
            "seller_name": owner.name,
            "seller_region": owner.region,
            "industry_chain": _first_chain(buyer) or _first_chain(owner),
            "total_amount": price,
            "tech_amount": price,
            "signed_on": signed,
            "summary": lot.description[:2000],
        },
        payments,
    )
