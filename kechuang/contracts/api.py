"""Contract API (``/api/contracts/``).

Public: ``GET /turnover?region=330381&start=2026-01-01&end=2026-12-31`` — the technology turnover (技术交易额)
of the registered contracts whose seller is in the region, and their number. Signed in: ``GET /`` (the
contracts the caller may read), ``GET /{id}``, ``POST /`` (enter one by hand, a draft), ``POST /{id}/submit``,
and for an operator of the seller's region ``POST /{id}/register`` / ``/return`` / ``/refuse``. Refusals
answer 409 with the reason, other people's contracts 403.
"""

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from kechuang.contracts import queries, services
from kechuang.contracts.models import ContractKind, TechContract
from kechuang.core.models import IndustryChain, Region
from kechuang.core.params import PlatformDate

router = Router(tags=["contracts"])


class TurnoverOut(Schema):
    region: str | None
    start: date | None
    end: date | None
    turnover: Decimal
    contracts: int


class PaymentIn(Schema):
    due_on: PlatformDate
    amount: Decimal = Field(ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)
    condition: str = ""


class ContractIn(Schema):
    title: str = Field(max_length=200, pattern=r"\S")
    kind: ContractKind
    buyer_name: str = Field(max_length=100, pattern=r"\S")
    buyer_region: str = Field(
        pattern=r"^[0-9]{6}$", description="买方所在区域的行政区划代码，如 330381"
    )
    seller_name: str = Field(max_length=100, pattern=r"\S")
    seller_region: str = Field(pattern=r"^[0-9]{6}$")
    total_amount: Decimal = Field(ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)
    tech_amount: Decimal = Field(ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)
    signed_on: PlatformDate
    starts_on: PlatformDate | None = None
    ends_on: PlatformDate | None = None
    industry_chain: str | None = Field(None, description="产业链代号（slug）")
    summary: str = ""
    payments: list[PaymentIn] = []


class ContractOut(Schema):
    id: int
    number: str | None
    title: str
    kind: str
    status: str
    source: str
    buyer_name: str
    buyer_region: str
    seller_name: str
    seller_region: str
    total_amount: Decimal
    tech_amount: Decimal
    signed_on: date
    registered_at: datetime | None
    review_note: str


class ReasonIn(Schema):
    reason: str = Field(max_length=300)


class RegisterIn(Schema):
    attachments_checked: bool = False


def _out(contract: TechContract) -> dict:
    return {
        **{
            name: getattr(contract, name)
            for name in (
                "id",
                "number",
                "title",
                "kind",
                "status",
                "source",
                "buyer_name",
                "seller_name",
                "total_amount",
                "tech_amount",
                "signed_on",
                "registered_at",
                "review_note",
            )
        },
        "buyer_region": contract.buyer_region.code,
        "seller_region": contract.seller_region.code,
    }


def _region(code: str | None) -> Region | None:
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise HttpError(404, f"未知的区域代码：{code}")
    return region


@router.get("/turnover", response=TurnoverOut)
def turnover(
    request,
    region: str | None = None,
    start: PlatformDate | None = None,
    end: PlatformDate | None = None,
):
    place = _region(region)
    return {
        "region": place.code if place else None,
        "start": start,
        "end": end,
        "turnover": queries.turnover(place, start, end),
        "contracts": queries.turnover_contracts(place, start, end).count(),
    }


@router.get("/", response=list[ContractOut], auth=django_auth)
def contracts(request):
    rows = (
        TechContract.objects.visible_to(request.auth)
        .select_related("buyer_region", "seller_region")
        .order_by("-pk")[:500]
    )
    return [_out(c) for c in rows]


def _readable(request, contract_id: int) -> TechContract:
    contract = get_object_or_404(TechContract, pk=contract_id)
    if not TechContract.objects.visible_to(request.auth).filter(pk=contract_id).exists():
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("您无权查看这份合同")
    return contract


@router.get("/{contract_id}", response=ContractOut, auth=django_auth)
def contract(request, contract_id: int):
    return _out(_readable(request, contract_id))


@router.post("/", response={201: ContractOut}, auth=django_auth)
def enter(request, payload: ContractIn):
    chain = None
    if payload.industry_chain:
        chain = IndustryChain.objects.filter(slug=payload.industry_chain).first()
        if chain is None:
            raise HttpError(404, f"未知的产业链：{payload.industry_chain}")
    data = services.ContractInput(
        title=payload.title,
        kind=payload.kind.value,
        buyer_name=payload.buyer_name,
        buyer_region=_region(payload.buyer_region),
        seller_name=payload.seller_name,
        seller_region=_region(payload.seller_region),
        total_amount=payload.total_amount,
        tech_amount=payload.tech_amount,
        signed_on=payload.signed_on,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        industry_chain=chain,
        summary=payload.summary,
        payments=[p.dict() for p in payload.payments],
    )
    return Status(201, _out(services.enter_contract(request.auth, data)))


@router.post("/{contract_id}/submit", response=ContractOut, auth=django_auth)
def submit(request, contract_id: int):
    return _out(services.submit_contract(request.auth, _readable(request, contract_id)))


@router.post("/{contract_id}/register", response=ContractOut, auth=django_auth)
def register(request, contract_id: int, payload: RegisterIn):
    contract = _readable(request, contract_id)
    return _out(
        services.register_contract(
            request.auth, contract, attachments_checked=payload.attachments_checked
        )
    )


@router.post("/{contract_id}/return", response=ContractOut, auth=django_auth)
def return_(request, contract_id: int, payload: ReasonIn):
    return _out(
        services.return_contract(request.auth, _readable(request, contract_id), payload.reason)
    )


@router.post("/{contract_id}/refuse", response=ContractOut, auth=django_auth)
def refuse(request, contract_id: int, payload: ReasonIn):
    return _out(
        services.refuse_contract(request.auth, _readable(request, contract_id), payload.reason)
    )
