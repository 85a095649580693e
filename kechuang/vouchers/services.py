"""Voucher programmes, enterprises' applications, the operator's decision that issues vouchers, and
expiry and cancellation that return unspent value to the programme's budget.

Every function takes the actor first and ``now=`` where time matters, runs in one transaction, writes an
audit row and tells those concerned after commit; refusals raise :class:`~kechuang.core.actions.Refused`
and change nothing. Money moves only through the ledger (:mod:`kechuang.vouchers.accounts`).
"""

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kechuang.accounts.permissions import acts_for, operates, operators_of, users_of
from kechuang.core import audit
from kechuang.core.actions import Refused
from kechuang.core.money import to_yuan
from kechuang.directory.models import Organization
from kechuang.ledger import services as ledger
from kechuang.ledger.models import Account
from kechuang.notifications.services import localized, notify
from kechuang.vouchers import accounts
from kechuang.vouchers.models import Voucher, VoucherApplication, VoucherProgramme

TIER_ORDER = [t.value for t in Organization.Tier]  # "", tech_sme, high_tech, leader


def require(condition, message: str, code: str = "refused") -> None:
    """Refuse with ``message`` (and ``code``) unless ``condition`` holds."""
    if not condition:
        raise Refused(message, code)


def _money(value, label: str) -> Decimal:
    try:
        amount = Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        raise Refused(_("%(label)s必须是金额。") % {"label": label}, "invalid_amount") from None
    require(
        amount.is_finite()
        and amount > 0
        and amount == to_yuan(amount)
        and amount < Decimal("1e12"),
        _("%(label)s必须大于零，最多精确到分。") % {"label": label},
        "invalid_amount",
    )
    return amount


# --- programmes -----------------------------------------------------------------------------------------


def may_define_programme(user, region) -> bool:
    return operates(user, region)


def define_programme(
    actor,
    *,
    region,
    year: int,
    name: str,
    issuer: str,
    budget,
    annual_cap,
    copay_percent,
    face_values: list,
    validity_days: int,
    applications_open: date,
    applications_close: date,
    service_categories: list | None = None,
    instrument_categories: list | None = None,
    partner_regions=(),
    federation=None,
    eligible_kinds: list | None = None,
    minimum_tier: str = "",
    max_employees: int | None = None,
    pair_norm: int = 6,
    description: str = "",
    open_now: bool = True,
    now: datetime,
) -> VoucherProgramme:
    """Define a region's programme for a year and appropriate its budget in the ledger (budget →
    unissued). One programme per region and year."""
    require(
        may_define_programme(actor, region), _("只有本区域的科协可以制定券种方案。"), "forbidden"
    )
    budget = _money(budget, _("总预算"))
    annual_cap = _money(annual_cap, _("企业年度上限"))
    require(annual_cap <= budget, _("企业年度上限不能超过总预算。"), "cap_above_budget")
    try:
        percent = Decimal(copay_percent)
    except (ArithmeticError, TypeError, ValueError):
        raise Refused(_("支付比例必须是 1 到 100 之间的数。"), "invalid_percent") from None
    require(
        percent.is_finite() and 0 < percent <= 100 and percent == percent.quantize(Decimal("0.01")),
        _("支付比例必须是 1 到 100 之间的数。"),
        "invalid_percent",
    )
    faces = sorted({_money(v, _("面额")) for v in face_values}, reverse=True)
    require(faces, _("至少设置一种面额。"), "no_face_values")
    require(all(f <= annual_cap for f in faces), _("面额不能超过企业年度上限。"), "face_above_cap")
    require(1 <= int(validity_days) <= 3 * 366, _("有效期应在 1 到 1098 天之间。"), "validity")
    require(
        applications_open <= applications_close,
        _("申请截止日期不能早于开始日期。"),
        "window",
    )
    require(
        not VoucherProgramme.objects.filter(region=region, year=year).exists(),
        _("%(region)s %(year)s 年度已有券种方案。") % {"region": region.name, "year": year},
        "duplicate",
    )
    with transaction.atomic():
        programme = VoucherProgramme.objects.create(
            region=region,
            year=year,
            name=name.strip()[:100],
            issuer=issuer.strip()[:100],
            description=description,
            budget=budget,
            annual_cap=annual_cap,
            copay_percent=percent,
            face_values=[str(f) for f in faces],
            validity_days=int(validity_days),
            applications_open=applications_open,
            applications_close=applications_close,
            service_categories=list(service_categories or []),
            instrument_categories=list(instrument_categories or []),
            federation=federation,
            eligible_kinds=list(eligible_kinds or [Organization.Kind.ENTERPRISE]),
            minimum_tier=minimum_tier,
            max_employees=max_employees,
            pair_norm=pair_norm,
            status=VoucherProgramme.Status.OPEN if open_now else VoucherProgramme.Status.DRAFT,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        programme.partner_regions.set(partner_regions)
        ledger.transfer(
            accounts.account(programme, accounts.BUDGET),
            accounts.account(programme, accounts.UNISSUED),
            budget,
            actor=actor,
            event="vouchers.programme.funded",
            target=programme,
            memo=programme.name,
            scope=accounts.SCOPE,
            idempotency_key=f"programme:{programme.pk}:funded",
        )
        audit.record(
            actor, "vouchers.programme.defined", programme, programme.name, budget=str(budget)
        )
    return programme


# --- applications ---------------------------------------------------------------------------------------


def eligibility_problem(programme: VoucherProgramme, organization: Organization, now) -> str:
    """Why ``organization`` may not apply to ``programme`` now (empty when it may)."""
    today = timezone.localdate(now)
    if programme.status != VoucherProgramme.Status.OPEN:
        return _("该方案目前不受理申请。")
    if not programme.applications_open <= today <= programme.applications_close:
        return _("不在申请期内（%(start)s 至 %(end)s）。") % {
            "start": programme.applications_open.isoformat(),
            "end": programme.applications_close.isoformat(),
        }
    if organization.kind not in programme.eligible_kinds:
        return _("%(kind)s不在本方案的申请范围内。") % {"kind": organization.get_kind_display()}
    if not organization.region_id or not organization.region.path.startswith(programme.region.path):
        return _("只有%(region)s的企业可以申请本方案。") % {"region": programme.region.name}
    if programme.minimum_tier and TIER_ORDER.index(organization.tier) < TIER_ORDER.index(
        programme.minimum_tier
    ):
        return _("本方案要求企业至少为%(tier)s。") % {
            "tier": Organization.Tier(programme.minimum_tier).label
        }
    if programme.max_employees and (organization.employees or 0) > programme.max_employees:
        return _("本方案只面向职工人数不超过 %(n)d 人的企业。") % {"n": programme.max_employees}
    return ""


def apply_for_vouchers(
    actor,
    programme: VoucherProgramme,
    *,
    organization: Organization,
    plan: str,
    estimated_fee,
    requested,
    legal_representative: str = "",
    now: datetime,
) -> VoucherApplication:
    """An enterprise applies for vouchers: its plan, the estimated fees and the amount asked (at most the
    programme's cap less what it was already granted). One open application per enterprise and programme."""
    require(acts_for(actor, organization.pk), _("只能以本单位的名义申请。"), "forbidden")
    problem = eligibility_problem(programme, organization, now)
    require(not problem, problem, "not_eligible")
    estimated_fee = _money(estimated_fee, _("预计费用"))
    requested = _money(requested, _("申请金额"))
    require(plan.strip(), _("请写明使用计划。"), "no_plan")
    require(requested <= estimated_fee, _("申请金额不能超过预计费用。"), "above_fee")
    left = programme.annual_cap - granted_total(programme, organization)
    require(
        requested <= left,
        _("申请金额超过本年度剩余额度 %(left)s 元。") % {"left": f"{left:,.2f}"},
        "cap_reached",
    )
    with transaction.atomic():
        require(
            not VoucherApplication.objects.filter(
                programme=programme,
                organization=organization,
                status=VoucherApplication.Status.SUBMITTED,
            ).exists(),
            _("已有一份申请在审核中。"),
            "pending",
        )
        application = VoucherApplication.objects.create(
            programme=programme,
            organization=organization,
            plan=plan.strip(),
            estimated_fee=estimated_fee,
            requested=requested,
            legal_representative=legal_representative.strip()[:50],
            submitted_by=actor,
            submitted_at=now,
        )
        audit.record(actor, "vouchers.application.submitted", application, str(application))
        notify(
            operators_of(programme.region),
            "vouchers.application.submitted",
            localized(gettext_noop("新的创新券申请：%(name)s"), name=organization.name),
            url="/vouchers/manage/",
        )
    return application


def granted_total(programme: VoucherProgramme, organization: Organization) -> Decimal:
    """Face value issued to the enterprise under the programme (what counts against its annual cap)."""
    total = Voucher.objects.filter(programme=programme, holder=organization).aggregate(
        s=Sum("face_value")
    )["s"]
    return to_yuan(total or 0)


def split_into_faces(amount: Decimal, faces: list[Decimal]) -> list[Decimal]:
    """``amount`` as vouchers of the programme's face values, largest first; refused if it does not add
    up exactly."""
    pieces, left = [], amount
    for face in sorted(faces, reverse=True):
        while left >= face:
            pieces.append(face)
            left -= face
    require(
        left == 0,
        _("批准金额须由面额（%(faces)s 元）组成。")
        % {"faces": "、".join(f"{f:,.0f}" for f in sorted(faces))},
        "not_faces",
    )
    return pieces


def _code(programme: VoucherProgramme) -> str:
    return f"CXQ{programme.region.code}{programme.year % 100:02d}{secrets.token_hex(4).upper()}"


def decide_application(
    actor, application: VoucherApplication, *, granted, reason: str = "", now: datetime
) -> VoucherApplication:
    """The operator's decision: ``granted`` equal to the amount asked approves, less approves partly (a
    reason is required), zero refuses (a reason is required). Approved amounts are issued at once as
    vouchers of the programme's face values, reserving the budget (unissued → voucher); refused if the
    budget or the enterprise's cap does not allow it."""
    programme = application.programme
    require(operates(actor, programme.region), _("只有发券区域的科协可以审核。"), "forbidden")
    try:
        granted = Decimal(granted)
        granted = (
            to_yuan(granted) if granted.is_finite() and abs(granted) < Decimal("1e12") else None
        )
    except (ArithmeticError, TypeError, ValueError):
        raise Refused(_("批准金额必须是金额。"), "invalid_amount") from None
    require(
        granted is not None and 0 <= granted <= application.requested,
        _("批准金额应在 0 与申请金额之间。"),
        "invalid_amount",
    )
    reason = reason.strip()
    require(
        granted == application.requested or reason,
        _("部分批准或不批准时请写明理由。"),
        "no_reason",
    )
    faces = [Decimal(f) for f in programme.face_values]
    pieces = split_into_faces(granted, faces) if granted else []
    status = (
        VoucherApplication.Status.REFUSED
        if granted == 0
        else VoucherApplication.Status.APPROVED
        if granted == application.requested
        else VoucherApplication.Status.PARTLY
    )
    with transaction.atomic():
        # One decision at a time per programme: the cap and the budget are read and spent under this lock.
        programme = VoucherProgramme.objects.select_for_update().get(pk=programme.pk)
        left = programme.annual_cap - granted_total(programme, application.organization)
        require(
            granted <= left,
            _("超过企业本年度剩余额度 %(left)s 元。") % {"left": f"{left:,.2f}"},
            "cap_reached",
        )
        moved = VoucherApplication.objects.filter(
            pk=application.pk, status=VoucherApplication.Status.SUBMITTED
        ).update(
            status=status, granted=granted, reason=reason[:300], decided_by=actor, decided_at=now
        )
        require(moved == 1, _("这份申请已经审核过。"), "decided")
        unissued = accounts.account(programme, accounts.UNISSUED)
        for face in pieces:
            issue_voucher(
                actor, programme, application=application, face_value=face, source=unissued, now=now
            )
        audit.record(
            actor,
            "vouchers.application.decided",
            application,
            str(application),
            granted=str(granted),
            status=status,
        )
        notify(
            users_of(application.organization_id),
            "vouchers.application.decided",
            localized(
                gettext_noop("创新券申请结果：%(status)s"),
                status=VoucherApplication.Status(status).label,
            ),
            reason,
            url="/vouchers/wallet/",
        )
    application.refresh_from_db()
    return application


def issue_voucher(actor, programme, *, application, face_value: Decimal, source, now) -> Voucher:
    """Issue one voucher (inside the caller's transaction): its unspent account receives the face value
    from the programme's unissued budget; refused when the budget cannot cover it."""
    voucher = Voucher(
        code=_code(programme),
        programme=programme,
        application=application,
        holder_id=application.organization_id,
        face_value=face_value,
        issued_at=now,
        expires_at=now + timedelta(days=programme.validity_days),
    )
    with transaction.atomic():
        voucher.save()
        voucher.account = accounts.account(voucher, accounts.UNSPENT)
        voucher.save(update_fields=["account"])
        try:
            ledger.transfer(
                source,
                voucher.account,
                face_value,
                actor=actor,
                event="vouchers.voucher.issued",
                target=voucher,
                memo=voucher.code,
                scope=accounts.SCOPE,
                idempotency_key=f"voucher:{voucher.pk}:issued",
            )
        except Refused as refused:
            if refused.code == "insufficient":
                raise Refused(_("方案预算不足，无法发放。"), "budget_exhausted") from None
            raise
    return voucher


# --- expiry and cancellation ------------------------------------------------------------------------------


def _return_unspent(actor, voucher: Voucher, *, status: str, event: str, now) -> Decimal:
    """Close ``voucher`` as ``status`` (once) and return its unspent value to the programme's budget.
    Held amounts stay held; what a later settle or release gives back also returns to the budget."""
    with transaction.atomic():
        locked = (
            Voucher.objects.select_for_update(of=("self",))
            .select_related("programme")
            .get(pk=voucher.pk)
        )
        # the balance read by its own statement, after the lock (see payments._locked_voucher)
        locked.account = Account.objects.get(pk=locked.account_id)
        moved = Voucher.objects.filter(pk=voucher.pk, status=Voucher.Status.ACTIVE).update(
            status=status
        )
        require(
            moved == 1, _("创新券 %(code)s 已不是有效状态。") % {"code": locked.code}, "inactive"
        )
        amount = locked.account.balance
        if amount > 0:
            ledger.transfer(
                locked.account,
                accounts.account(locked.programme, accounts.UNISSUED),
                amount,
                actor=actor,
                event=event,
                target=locked,
                memo=locked.code,
                scope=accounts.SCOPE,
                idempotency_key=f"{event}:{locked.pk}",
            )
            Voucher.objects.filter(pk=locked.pk).update(returned=locked.returned + amount)
        audit.record(actor, event, locked, locked.code, returned=str(amount))
    return amount


def cancel_voucher(actor, voucher: Voucher, *, reason: str, now: datetime) -> Decimal:
    """An operator of the issuing region cancels a voucher (a reason is required); its unspent value
    returns to the budget. Returns the amount returned."""
    require(
        operates(actor, voucher.programme.region),
        _("只有发券区域的科协可以作废创新券。"),
        "forbidden",
    )
    require(reason.strip(), _("请写明作废理由。"), "no_reason")
    amount = _return_unspent(
        actor, voucher, status=Voucher.Status.CANCELLED, event="vouchers.voucher.cancelled", now=now
    )
    notify(
        users_of(voucher.holder_id),
        "vouchers.voucher.cancelled",
        localized(gettext_noop("创新券 %(code)s 已作废"), code=voucher.code),
        reason.strip(),
        url="/vouchers/wallet/",
    )
    return amount


def expire_vouchers(now: datetime | None = None) -> str:
    """The clock's job: every active voucher past its expiry is closed and its unspent value returned to
    the budget. Idempotent (each voucher is closed by a conditional UPDATE); returns a summary."""
    now = now or timezone.now()
    count, total = 0, Decimal(0)
    for voucher in Voucher.objects.filter(
        status=Voucher.Status.ACTIVE, expires_at__lte=now
    ).order_by("pk"):
        try:
            total += _return_unspent(
                None,
                voucher,
                status=Voucher.Status.EXPIRED,
                event="vouchers.voucher.expired",
                now=now,
            )
        except Refused:  # closed meanwhile by another clock or an operator
            continue
        count += 1
    return f"{count} vouchers expired, {total} yuan returned"
