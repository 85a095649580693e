"""Voucher API (``/api/vouchers/``): the same services as the pages.

Public reads: ``GET /programmes``, ``GET /programmes/{id}`` (rules and budget figures). Enterprises:
``POST /programmes/{id}/applications``, ``GET /wallet``, ``POST /quote``, ``POST /orders``,
``POST /orders/{id}/cancel``. Providers: ``POST /enrolments``, ``POST /orders/{id}/deliver``,
``POST /holds/{id}/redemptions`` (multipart: ``contract``, ``invoice``, ``receipt``, ``report``).
Payment interface (bookings and other callers): ``POST /holds``, ``POST /holds/{id}/settle``,
``POST /holds/{id}/release``. Operators: ``POST /applications/{id}/decision``,
``POST /enrolments/{id}/check``, ``POST /redemptions/{id}/decision``, ``POST /redemptions/approvals``
(批量审核: many at once, each approved or refused on its own), ``POST /batches/{id}/paid``,
``GET /clearing/{id}``, ``POST /clearing/{id}/close``. Auditors: ``GET /audit/trial-balance``.

Every call that moves money takes an ``Idempotency-Key`` header (required on ``/holds`` and ``/orders``):
repeating it returns the first answer and moves nothing. Refusals answer 409 with the reason.
"""

import re
from datetime import date, datetime
from decimal import Decimal
from functools import wraps

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, File, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from kechuang.core.actions import Refused
from kechuang.core.params import RecordId
from kechuang.core.uploads import Attachment
from kechuang.directory.models import Organization, ServiceItem
from kechuang.vouchers import clearing, exports, payments, providers, queries, redemptions, services
from kechuang.vouchers.models import (
    ClearingRun,
    IdempotentRequest,
    ProviderEnrolment,
    Redemption,
    ServiceOrder,
    SettlementBatch,
    Voucher,
    VoucherApplication,
    VoucherHold,
    VoucherProgramme,
)
from kechuang.vouchers.views import may_audit

router = Router(tags=["vouchers"])


class ProgrammeOut(Schema):
    id: int
    name: str
    region: str
    year: int
    status: str
    budget: Decimal
    annual_cap: Decimal
    copay_percent: Decimal
    face_values: list[Decimal]
    validity_days: int
    service_categories: list[str]
    instrument_categories: list[str]
    partner_regions: list[str]
    applications_open: date
    applications_close: date


class ProgrammeDetailOut(ProgrammeOut):
    figures: dict[str, Decimal]


class ApplicationIn(Schema):
    organization: int
    plan: str
    estimated_fee: Decimal
    requested: Decimal
    legal_representative: str = ""


class ApplicationOut(Schema):
    id: int
    programme: int
    organization: int
    status: str
    requested: Decimal
    granted: Decimal
    reason: str
    vouchers: list[str]


class DecisionIn(Schema):
    granted: Decimal
    reason: str = ""


class VoucherOut(Schema):
    id: int
    code: str
    programme: int
    holder: int
    face_value: Decimal
    unspent: Decimal
    held: Decimal
    spent: Decimal
    expires_at: datetime
    status: str


class QuoteIn(Schema):
    voucher: int
    provider: int
    item_kind: str
    category: str
    fee: Decimal


class QuoteOut(Schema):
    voucher_share: Decimal
    payer_share: Decimal
    explanation: str


class HoldIn(QuoteIn):
    reference: str


class HoldOut(Schema):
    id: int
    voucher: str
    provider: int
    fee: Decimal
    amount: Decimal
    settled_amount: Decimal | None
    status: str
    reference: str


class SettleIn(Schema):
    actual_fee: Decimal


class OrderIn(Schema):
    service_item: int
    voucher: int
    fee: Decimal
    note: str = ""


class OrderOut(Schema):
    id: int
    service_item: int
    status: str
    fee: Decimal
    hold: HoldOut


class DeliverIn(Schema):
    actual_fee: Decimal | None = None


class EnrolmentIn(Schema):
    organization: int
    self_assessment: str
    qualifications: str
    legal_representative: str
    phone: str


class EnrolmentOut(Schema):
    id: int
    organization: int
    status: str
    notice_ends_at: datetime | None


class CheckIn(Schema):
    passed: bool
    note: str = ""


class RedemptionOut(Schema):
    id: int
    hold: int
    amount: Decimal
    status: str
    flags: list[dict]
    issuing_region: str
    provider_region: str
    batch: int | None


class RedemptionDecisionIn(Schema):
    approve: bool
    reason: str = ""
    override: str = ""


class BatchApprovalIn(Schema):
    ids: list[RecordId] = Field(min_length=1, max_length=200)
    # JSON object keys are strings: the ids of flagged rows, with the operator's written review
    overrides: dict[RecordId, str] = Field(
        {}, json_schema_extra={"propertyNames": {"pattern": "^[1-9][0-9]{0,17}$"}}
    )


class RefusalOut(Schema):
    id: int
    code: str
    message: str


class BatchApprovalOut(Schema):
    approved: list[RedemptionOut]
    refused: list[RefusalOut]


class PaidIn(Schema):
    reference: str


class BatchOut(Schema):
    id: int
    region: str
    month: date
    status: str
    payment_reference: str


class TransferOut(Schema):
    payer: str
    payee: str
    amount: Decimal


class BilateralOut(Schema):
    debtor: str
    creditor: str
    amount: Decimal


class ClearingOut(Schema):
    id: int
    federation: str
    period_start: date
    period_end: date
    status: str
    bilateral: list[BilateralOut]
    positions: dict[str, Decimal]
    plan: list[TransferOut]


class TrialRowOut(Schema):
    owner_type: str
    purpose: str
    accounts: int
    balance: Decimal


class TrialBalanceOut(Schema):
    rows: list[TrialRowOut]
    total: Decimal
    problems: list[str]


# --- idempotency ------------------------------------------------------------------------------------------


KEY_PATTERN = re.compile(r"^[!-~]{1,80}$")  # an Idempotency-Key: visible ASCII, 1 to 80 characters


def idempotency_header(required: bool) -> dict:
    """The ``Idempotency-Key`` header in the OpenAPI document (what :func:`idempotent` reads)."""
    return {
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": required,
                "schema": {"type": "string", "maxLength": 80, "pattern": KEY_PATTERN.pattern},
            }
        ]
    }


def idempotent(operation: str, *, required: bool = False):
    """Answer a repeated ``Idempotency-Key`` (same user, same operation and object) with the first answer;
    the service's own state checks keep a racing duplicate from moving money twice."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            key = request.headers.get("Idempotency-Key")
            if key is None:
                if required:
                    raise HttpError(422, "缺少 Idempotency-Key 请求头。")
                request.idempotency_key = ""
                return view(request, *args, **kwargs)
            if not KEY_PATTERN.fullmatch(key):  # what the OpenAPI says (idempotency_header)
                raise HttpError(422, "Idempotency-Key 须为 1 至 80 个可见 ASCII 字符。")
            name = f"{operation}:{':'.join(str(v) for v in kwargs.values() if isinstance(v, int | str))}"
            first = IdempotentRequest.objects.filter(
                user=request.auth, key=key, operation=name
            ).first()
            if first:
                return first.response
            request.idempotency_key = key
            try:
                result = view(request, *args, **kwargs)
            except Refused:
                first = IdempotentRequest.objects.filter(
                    user=request.auth, key=key, operation=name
                ).first()
                if first:  # a racing duplicate did it first
                    return first.response
                raise
            body = _jsonable(result)
            try:
                with transaction.atomic():
                    IdempotentRequest.objects.create(
                        user=request.auth, key=key, operation=name, response=body
                    )
            except IntegrityError:
                return IdempotentRequest.objects.get(
                    user=request.auth, key=key, operation=name
                ).response
            return body

        return wrapped

    return decorator


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --- shapes -----------------------------------------------------------------------------------------------


def _programme(p: VoucherProgramme) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "region": p.region.name,
        "year": p.year,
        "status": p.status,
        "budget": p.budget,
        "annual_cap": p.annual_cap,
        "copay_percent": p.copay_percent,
        "face_values": [Decimal(v) for v in p.face_values],
        "validity_days": p.validity_days,
        "service_categories": p.service_categories,
        "instrument_categories": p.instrument_categories,
        "partner_regions": [r.name for r in p.partner_regions.all()],
        "applications_open": p.applications_open,
        "applications_close": p.applications_close,
    }


def _application(a: VoucherApplication) -> dict:
    return {
        "id": a.pk,
        "programme": a.programme_id,
        "organization": a.organization_id,
        "status": a.status,
        "requested": a.requested,
        "granted": a.granted,
        "reason": a.reason,
        "vouchers": list(a.vouchers.order_by("pk").values_list("code", flat=True)),
    }


def _hold(h: VoucherHold) -> dict:
    return {
        "id": h.pk,
        "voucher": h.voucher.code,
        "provider": h.provider_id,
        "fee": h.fee,
        "amount": h.amount,
        "settled_amount": h.settled_amount,
        "status": h.status,
        "reference": h.reference,
    }


def _order(o: ServiceOrder) -> dict:
    return {
        "id": o.pk,
        "service_item": o.service_item_id,
        "status": o.status,
        "fee": o.fee,
        "hold": _hold(o.hold),
    }


def _redemption(r: Redemption) -> dict:
    return {
        "id": r.pk,
        "hold": r.hold_id,
        "amount": r.amount,
        "status": r.status,
        "flags": r.flags,
        "issuing_region": r.issuing_region.code,
        "provider_region": r.provider_region.code,
        "batch": r.batch_id,
    }


# --- programmes and applications --------------------------------------------------------------------------


@router.get("/programmes", response=list[ProgrammeOut])
def programmes(request):
    rows = (
        VoucherProgramme.objects.public()
        .select_related("region")
        .prefetch_related("partner_regions")
    )
    return [_programme(p) for p in rows]


@router.get("/programmes/{programme_id}", response=ProgrammeDetailOut)
def programme(request, programme_id: int):
    p = get_object_or_404(
        VoucherProgramme.objects.public().select_related("region"), pk=programme_id
    )
    return {**_programme(p), "figures": queries.programme_figures(p)}


@router.post("/programmes/{programme_id}/applications", response=ApplicationOut, auth=django_auth)
def apply(request, programme_id: int, payload: ApplicationIn):
    p = get_object_or_404(VoucherProgramme.objects.public(), pk=programme_id)
    organization = get_object_or_404(Organization, pk=payload.organization)
    application = services.apply_for_vouchers(
        request.auth,
        p,
        organization=organization,
        plan=payload.plan,
        estimated_fee=payload.estimated_fee,
        requested=payload.requested,
        legal_representative=payload.legal_representative,
        now=timezone.now(),
    )
    return _application(application)


@router.post(
    "/applications/{application_id}/decision",
    response=ApplicationOut,
    auth=django_auth,
    openapi_extra=idempotency_header(False),
)
@idempotent("applications.decision")
def decide(request, application_id: int, payload: DecisionIn):
    application = get_object_or_404(VoucherApplication, pk=application_id)
    application = services.decide_application(
        request.auth,
        application,
        granted=payload.granted,
        reason=payload.reason,
        now=timezone.now(),
    )
    return _application(application)


@router.get("/wallet", response=list[VoucherOut], auth=django_auth)
def wallet(request):
    from kechuang.accounts.permissions import roles_of

    ids = [o.pk for o in roles_of(request.auth).enterprises]
    vouchers = list(Voucher.objects.filter(holder_id__in=ids).order_by("expires_at", "pk"))
    balances = queries.voucher_balances([v.pk for v in vouchers])
    return [
        {
            "id": v.pk,
            "code": v.code,
            "programme": v.programme_id,
            "holder": v.holder_id,
            "face_value": v.face_value,
            "unspent": balances[v.pk]["unspent"],
            "held": balances[v.pk]["held"],
            "spent": balances[v.pk]["spent"],
            "expires_at": v.expires_at,
            "status": v.status,
        }
        for v in vouchers
    ]


# --- the payment interface --------------------------------------------------------------------------------


def _voucher_for(request, voucher_id: int) -> Voucher:
    from kechuang.accounts.permissions import acts_for

    voucher = get_object_or_404(
        Voucher.objects.select_related("programme__region", "account"), pk=voucher_id
    )
    if not acts_for(request.auth, voucher.holder_id) and not request.auth.is_superuser:
        raise HttpError(404, "not found")
    return voucher


@router.post("/quote", response=QuoteOut, auth=django_auth)
def quote(request, payload: QuoteIn):
    quoted = payments.quote_payment(
        voucher=_voucher_for(request, payload.voucher),
        provider=get_object_or_404(Organization, pk=payload.provider),
        item_kind=payload.item_kind,
        category=payload.category,
        fee=payload.fee,
        now=timezone.now(),
    )
    return quoted.__dict__


@router.post("/holds", response=HoldOut, auth=django_auth, openapi_extra=idempotency_header(True))
@idempotent("holds", required=True)
def hold(request, payload: HoldIn):
    made = payments.hold_payment(
        request.auth,
        voucher=_voucher_for(request, payload.voucher),
        provider=get_object_or_404(Organization, pk=payload.provider),
        item_kind=payload.item_kind,
        category=payload.category,
        fee=payload.fee,
        reference=payload.reference,
        idempotency_key=f"api:{request.auth.pk}:{request.idempotency_key}",
        now=timezone.now(),
    )
    return _hold(made)


@router.post(
    "/holds/{hold_id}/settle",
    response=HoldOut,
    auth=django_auth,
    openapi_extra=idempotency_header(False),
)
@idempotent("holds.settle")
def settle(request, hold_id: int, payload: SettleIn):
    h = get_object_or_404(VoucherHold.objects.select_related("voucher__programme"), pk=hold_id)
    return _hold(
        payments.settle_payment(
            request.auth, hold=h, actual_fee=payload.actual_fee, now=timezone.now()
        )
    )


@router.post(
    "/holds/{hold_id}/release",
    response=HoldOut,
    auth=django_auth,
    openapi_extra=idempotency_header(False),
)
@idempotent("holds.release")
def release(request, hold_id: int):
    h = get_object_or_404(VoucherHold.objects.select_related("voucher__programme"), pk=hold_id)
    return _hold(payments.release_payment(request.auth, hold=h, now=timezone.now()))


# --- orders -----------------------------------------------------------------------------------------------


@router.post("/orders", response=OrderOut, auth=django_auth, openapi_extra=idempotency_header(True))
@idempotent("orders", required=True)
def order(request, payload: OrderIn):
    placed = redemptions.place_order(
        request.auth,
        service_item=get_object_or_404(
            ServiceItem.objects.select_related("provider"), pk=payload.service_item
        ),
        voucher=_voucher_for(request, payload.voucher),
        fee=payload.fee,
        note=payload.note,
        idempotency_key=f"api:{request.auth.pk}:{request.idempotency_key}",
        now=timezone.now(),
    )
    return _order(placed)


@router.post(
    "/orders/{order_id}/deliver",
    response=OrderOut,
    auth=django_auth,
    openapi_extra=idempotency_header(False),
)
@idempotent("orders.deliver")
def deliver(request, order_id: int, payload: DeliverIn):
    o = get_object_or_404(ServiceOrder.objects.select_related("hold"), pk=order_id)
    return _order(
        redemptions.deliver_order(
            request.auth, o, actual_fee=payload.actual_fee, now=timezone.now()
        )
    )


@router.post(
    "/orders/{order_id}/cancel",
    response=OrderOut,
    auth=django_auth,
    openapi_extra=idempotency_header(False),
)
@idempotent("orders.cancel")
def cancel(request, order_id: int):
    o = get_object_or_404(ServiceOrder.objects.select_related("hold"), pk=order_id)
    return _order(redemptions.cancel_order(request.auth, o, now=timezone.now()))


# --- providers and redemptions ----------------------------------------------------------------------------


@router.post("/enrolments", response=EnrolmentOut, auth=django_auth)
def enrol(request, payload: EnrolmentIn):
    enrolment = providers.request_enrolment(
        request.auth,
        get_object_or_404(Organization, pk=payload.organization),
        self_assessment=payload.self_assessment,
        qualifications=payload.qualifications,
        legal_representative=payload.legal_representative,
        phone=payload.phone,
        now=timezone.now(),
    )
    return {
        "id": enrolment.pk,
        "organization": enrolment.organization_id,
        "status": enrolment.status,
        "notice_ends_at": enrolment.notice_ends_at,
    }


@router.post("/enrolments/{enrolment_id}/check", response=EnrolmentOut, auth=django_auth)
def check(request, enrolment_id: int, payload: CheckIn):
    enrolment = get_object_or_404(
        ProviderEnrolment.objects.select_related("organization__region"), pk=enrolment_id
    )
    enrolment = providers.check_enrolment(
        request.auth, enrolment, passed=payload.passed, note=payload.note, now=timezone.now()
    )
    return {
        "id": enrolment.pk,
        "organization": enrolment.organization_id,
        "status": enrolment.status,
        "notice_ends_at": enrolment.notice_ends_at,
    }


@router.post("/holds/{hold_id}/redemptions", response=RedemptionOut, auth=django_auth)
def redeem(
    request,
    hold_id: int,
    contract: File[Attachment],
    invoice: File[Attachment],
    receipt: File[Attachment],
    report: File[Attachment],
):
    h = get_object_or_404(
        VoucherHold.objects.select_related("voucher__programme", "provider", "payer"), pk=hold_id
    )
    files = {"contract": contract, "invoice": invoice, "receipt": receipt, "report": report}
    return _redemption(
        redemptions.submit_redemption(request.auth, h, files=files, now=timezone.now())
    )


@router.post(
    "/redemptions/{redemption_id}/decision",
    response=RedemptionOut,
    auth=django_auth,
    openapi_extra=idempotency_header(False),
)
@idempotent("redemptions.decision")
def decide_redemption(request, redemption_id: int, payload: RedemptionDecisionIn):
    r = get_object_or_404(
        Redemption.objects.select_related(
            "hold__voucher", "provider", "issuing_region", "provider_region"
        ),
        pk=redemption_id,
    )
    r = redemptions.decide_redemption(
        request.auth,
        r,
        approve=payload.approve,
        reason=payload.reason,
        override=payload.override,
        now=timezone.now(),
    )
    return _redemption(r)


@router.post(
    "/redemptions/approvals",
    response=BatchApprovalOut,
    auth=django_auth,
    openapi_extra=idempotency_header(False),
)
@idempotent("redemptions.approvals")
def approve_redemptions(request, payload: BatchApprovalIn):
    """批量审核: approve up to 200 submitted redemptions at once; each is approved or refused on its own
    (``refused`` says why: ``forbidden``, ``flagged``, ``decided``, ``insufficient``, ``not_found``)."""
    ids = sorted(set(payload.ids))  # 1 to 200 of them: the schema says so
    chosen = list(
        Redemption.objects.select_related(
            "hold__voucher", "provider", "issuing_region", "provider_region"
        ).filter(pk__in=ids)
    )
    done = redemptions.approve_redemptions(
        request.auth, chosen, overrides=payload.overrides, now=timezone.now()
    )
    found = {r.pk for r in chosen}
    refused = [
        {"id": pk, "code": r.code, "message": r.message} for pk, r in sorted(done.refused.items())
    ]
    refused += [
        {"id": pk, "code": "not_found", "message": "兑付申请不存在。"}
        for pk in ids
        if pk not in found
    ]
    return {
        "approved": [_redemption(r) for r in done.approved],
        "refused": sorted(refused, key=lambda row: row["id"]),
    }


@router.post(
    "/batches/{batch_id}/paid",
    response=BatchOut,
    auth=django_auth,
    openapi_extra=idempotency_header(False),
)
@idempotent("batches.paid")
def pay(request, batch_id: int, payload: PaidIn):
    batch = get_object_or_404(SettlementBatch.objects.select_related("region"), pk=batch_id)
    batch = redemptions.mark_batch_paid(
        request.auth, batch, reference=payload.reference, now=timezone.now()
    )
    return {
        "id": batch.pk,
        "region": batch.region.code,
        "month": batch.month,
        "status": batch.status,
        "payment_reference": batch.payment_reference,
    }


# --- clearing and audit -----------------------------------------------------------------------------------


def _clearing(run: ClearingRun) -> dict:
    data = clearing.figures(run)
    return {
        "id": run.pk,
        "federation": str(run.federation),
        "period_start": run.period_start,
        "period_end": run.period_end,
        "status": run.status,
        "bilateral": [
            {"debtor": d, "creditor": c, "amount": a}
            for (d, c), a in sorted(data["bilateral"].items())
        ],
        "positions": data["positions"],
        "plan": [{"payer": p, "payee": q, "amount": a} for p, q, a in data["plan"]],
    }


def _run_for(request, run_id: int) -> ClearingRun:
    run = get_object_or_404(ClearingRun.objects.select_related("federation"), pk=run_id)
    if not (clearing.may_run(request.auth, run.federation) or may_audit(request.auth)):
        raise HttpError(403, "只有联盟成员区域的科协与审计人员可以查看此清算。")
    return run


@router.get("/clearing/{run_id}", response=ClearingOut, auth=django_auth)
def clearing_run(request, run_id: int):
    return _clearing(_run_for(request, run_id))


@router.post(
    "/clearing/{run_id}/close",
    response=ClearingOut,
    auth=django_auth,
    openapi_extra=idempotency_header(False),
)
@idempotent("clearing.close")
def close(request, run_id: int):
    run = clearing.close_run(request.auth, _run_for(request, run_id), now=timezone.now())
    return _clearing(run)


@router.get("/audit/trial-balance", response=TrialBalanceOut, auth=django_auth)
def trial_balance(request):
    if not may_audit(request.auth):
        raise HttpError(403, "只有审计人员可以查看账务。")
    from kechuang.ledger.queries import violations

    rows = exports.trial_balance()
    return {
        "rows": rows,
        "total": sum((r["balance"] for r in rows), Decimal(0)),
        "problems": violations() + queries.voucher_violations(),
    }
