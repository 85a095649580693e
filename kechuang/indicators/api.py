"""Indicators API (``/api/indicators/``), for operators (others: 403).

Reads: ``GET /sources`` (the registered formulas), ``GET /boards/{region}?year=`` (each unit's figure,
target, completion and rank, every figure with its ``lineage`` URL), ``GET /{id}/lineage?region=&year=
&month=&page=`` (the records behind a figure, with links; a manual figure's entries with evidence, author
and approver), ``GET /signings`` and ``GET /plans?region=&track=``. Writes go through the services, as on
the pages: ``POST /`` defines an indicator, ``PUT /{id}/targets`` sets a year's target, ``POST /{id}/values``
enters a manual value, ``POST /values/{id}/approve`` and ``/reject`` review it (never one's own: 409),
``POST /signings``, ``POST /signings/{id}/projects``, ``POST /projects/{id}/advance``, ``POST /plans``,
``POST /plans/{id}/visits``, ``POST /plans/{id}/tier``. Refusals answer 409 with the reason.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from kechuang.accounts.permissions import is_operator, operates
from kechuang.core.models import Region
from kechuang.directory.models import Organization
from kechuang.indicators import queries, registry, services
from kechuang.indicators.models import (
    CultivationPlan,
    Indicator,
    ManualValue,
    SignedProject,
    SigningEvent,
    Track,
)

router = Router(tags=["indicators"], auth=django_auth)


def _operator(request) -> None:
    if not is_operator(request.auth):
        raise PermissionDenied


def _region(request, region_id: int) -> Region:
    region = get_object_or_404(Region, pk=region_id)
    if not operates(request.auth, region):
        raise PermissionDenied
    return region


class SourceOut(Schema):
    key: str
    label: str
    owner: str
    money: bool


class IndicatorOut(Schema):
    id: int
    code: str
    name: str
    unit: str
    money: bool
    direction: str
    is_core: bool
    source: str
    aggregation: str


class CellOut(Schema):
    indicator: int
    region: int
    actual: Decimal
    target: Decimal | None
    percent: int | None
    met: bool
    behind: bool
    months: list[Decimal | None]
    lineage: str


class UnitOut(Schema):
    rank: int
    region: int
    name: str
    score: Decimal
    met: int
    with_target: int
    core_exceeded: int
    behind: int


class BoardOut(Schema):
    region: int
    year: int
    completed_months: int
    indicators: list[IndicatorOut]
    units: list[UnitOut]
    cells: list[CellOut]


class LineageRowOut(Schema):
    title: str
    url: str
    on: datetime.date | None
    region: str
    amount: Decimal | None
    quantity: Decimal | None = None
    note: str


class ManualOut(Schema):
    id: int
    region: str
    year: int
    month: int
    value: Decimal
    evidence: str
    evidence_url: str
    status: str
    counted: bool
    entered_by: str
    entered_at: datetime.datetime
    approved_by: str | None
    approved_at: datetime.datetime | None
    review_note: str


class LineageOut(Schema):
    indicator: int
    region: int
    year: int
    month: int | None
    value: Decimal
    source: str
    count: int
    page: int
    pages: int
    records: list[LineageRowOut]
    manual: list[ManualOut]


class IndicatorIn(Schema):
    region: int
    code: str = Field(..., max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., max_length=100)
    unit: str = Field(..., max_length=10)
    source: str = Field("", max_length=60)
    direction: str = "up"
    is_core: bool = False
    money: bool = False
    aggregation: str = "sum"
    description: str = Field("", max_length=300)
    position: int = Field(0, ge=0, le=999)


class TargetIn(Schema):
    region: int
    year: int = Field(..., ge=2000, le=2100)
    value: Decimal = Field(..., ge=0, max_digits=18, decimal_places=2)


class TargetOut(Schema):
    indicator: int
    region: int
    year: int
    value: Decimal


class ValueIn(Schema):
    region: int
    year: int = Field(..., ge=2000, le=2100)
    month: int = Field(..., ge=1, le=12)
    value: Decimal = Field(..., ge=0, max_digits=18, decimal_places=2)
    evidence: str = Field(..., max_length=2000)
    evidence_url: str = Field("", max_length=200)


class RejectIn(Schema):
    reason: str = Field(..., max_length=300)


class EventIn(Schema):
    region: int
    name: str = Field(..., max_length=150)
    held_on: datetime.date
    venue: str = Field("", max_length=150)
    description: str = Field("", max_length=2000)


class ProjectIn(Schema):
    name: str = Field(..., max_length=150)
    kind: str
    parties: str = Field(..., max_length=300)
    region: int
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)


class ProjectOut(Schema):
    id: int
    event: int
    name: str
    kind: str
    parties: str
    amount: Decimal | None
    region: str
    status: str
    started_on: datetime.date | None
    landed_on: datetime.date | None
    stalled_reason: str
    next: list[str]


class EventOut(Schema):
    id: int
    name: str
    region: str
    held_on: datetime.date
    projects: list[ProjectOut]


class AdvanceIn(Schema):
    status: str
    on: datetime.date | None = None
    reason: str = Field("", max_length=300)


class PlanIn(Schema):
    organization: int
    goals: str = Field(..., max_length=2000)
    target_year: int = Field(..., ge=2000, le=2100)
    officer: int | None = None


class PlanOut(Schema):
    id: int
    organization: int
    organization_name: str
    tier: str
    track: str
    goals: str
    target_year: int
    officer: str | None
    visits: int


class VisitIn(Schema):
    visited_on: datetime.date
    notes: str = Field(..., max_length=2000)


class TierIn(Schema):
    tier: str
    recognized_on: datetime.date


def _indicator_out(i: Indicator) -> dict:
    return {
        f: getattr(i, f)
        for f in ("code", "name", "unit", "money", "direction", "is_core", "source", "aggregation")
    } | {"id": i.pk}


@router.get("/sources", response=list[SourceOut])
def sources(request):
    _operator(request)
    return [
        {"key": s.key, "label": str(s.label), "owner": s.owner, "money": s.money}
        for s in registry.all_sources()
    ]


@router.post("/", response={201: IndicatorOut})
def define(request, payload: IndicatorIn):
    _operator(request)
    region = _region(request, payload.region)
    data = payload.dict(exclude={"region"})
    indicator = services.define_indicator(request.auth, region, **data)
    return Status(201, _indicator_out(indicator))


@router.get("/boards/{region_id}", response=BoardOut)
def board(request, region_id: int, year: int | None = None):
    _operator(request)
    region = _region(request, region_id)
    year = year if year and 2000 <= year <= 2100 else timezone.localdate().year
    b = queries.board(region, year)
    from kechuang.indicators.views import lineage_url

    return {
        "region": region.pk,
        "year": year,
        "completed_months": b.completed,
        "indicators": [_indicator_out(i) for i in b.indicators],
        "units": [
            {
                "rank": u.rank,
                "region": u.region.pk,
                "name": u.region.name,
                "score": u.score,
                "met": u.met,
                "with_target": len(u.with_target),
                "core_exceeded": u.core_exceeded,
                "behind": u.behind,
            }
            for u in b.units
        ],
        "cells": [
            {
                "indicator": c.indicator.pk,
                "region": c.region.pk,
                "actual": c.actual,
                "target": c.target,
                "percent": c.percent,
                "met": c.met,
                "behind": c.behind,
                "months": c.months,
                "lineage": request.build_absolute_uri(
                    lineage_url(c.indicator.pk, c.region.pk, year)
                ),
            }
            for cells in b.by_indicator.values()
            for c in cells
        ],
    }


def _manual_out(entry: ManualValue, counted: set[int]) -> dict:
    return {
        "id": entry.pk,
        "region": entry.region.name,
        "year": entry.year,
        "month": entry.month,
        "value": entry.value,
        "evidence": entry.evidence,
        "evidence_url": entry.evidence_url,
        "status": entry.status,
        "counted": entry.pk in counted,
        "entered_by": str(entry.entered_by),
        "entered_at": entry.entered_at,
        "approved_by": str(entry.approved_by) if entry.approved_by else None,
        "approved_at": entry.approved_at,
        "review_note": entry.review_note,
    }


@router.get("/{indicator_id}/lineage", response=LineageOut)
def lineage(
    request, indicator_id: int, region: int, year: int, month: int | None = None, page: int = 1
):
    _operator(request)
    indicator = get_object_or_404(Indicator, pk=indicator_id)
    place = _region(request, region)
    if not 2000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
        from django.core.exceptions import ValidationError

        raise ValidationError("年份须在 2000–2100 之间，月份须在 1–12 之间")
    found = queries.lineage(indicator, place, year, month)
    records, count, pages, number = [], 0, 1, 1
    if found.records is not None:
        paginator = Paginator(found.records, 100)
        current = paginator.get_page(page)
        records = [row.__dict__ for row in found.rows(current.object_list)]
        count, pages, number = paginator.count, paginator.num_pages, current.number
    counted = {e.pk for e in found.manual}
    return {
        "indicator": indicator.pk,
        "region": place.pk,
        "year": year,
        "month": month,
        "value": found.value,
        "source": indicator.source,
        "count": count or len(found.manual),
        "page": number,
        "pages": pages,
        "records": records,
        "manual": [_manual_out(e, counted) for e in found.history],
    }


@router.put("/{indicator_id}/targets", response=TargetOut)
def set_target(request, indicator_id: int, payload: TargetIn):
    _operator(request)
    indicator = get_object_or_404(Indicator, pk=indicator_id)
    target = services.set_target(
        request.auth, indicator, _region(request, payload.region), payload.year, payload.value
    )
    return {
        "indicator": indicator.pk,
        "region": target.region_id,
        "year": target.year,
        "value": target.value,
    }


@router.post("/{indicator_id}/values", response={201: ManualOut})
def enter_value(request, indicator_id: int, payload: ValueIn):
    _operator(request)
    indicator = get_object_or_404(Indicator, pk=indicator_id)
    entry = services.enter_value(
        request.auth,
        indicator,
        _region(request, payload.region),
        year=payload.year,
        month=payload.month,
        value=payload.value,
        evidence=payload.evidence,
        evidence_url=payload.evidence_url,
    )
    return Status(201, _manual_out(entry, set()))


@router.post("/values/{value_id}/approve", response=ManualOut)
def approve(request, value_id: int):
    _operator(request)
    entry = services.approve_value_safely(request.auth, get_object_or_404(ManualValue, pk=value_id))
    return _manual_out(entry, {entry.pk})


@router.post("/values/{value_id}/reject", response=ManualOut)
def reject(request, value_id: int, payload: RejectIn):
    _operator(request)
    entry = services.reject_value(
        request.auth, get_object_or_404(ManualValue, pk=value_id), payload.reason
    )
    return _manual_out(entry, set())


def _project_out(p: SignedProject) -> dict:
    return {
        "id": p.pk,
        "event": p.event_id,
        "name": p.name,
        "kind": p.kind,
        "parties": p.parties,
        "amount": p.amount,
        "region": p.region.name,
        "status": p.status,
        "started_on": p.started_on,
        "landed_on": p.landed_on,
        "stalled_reason": p.stalled_reason,
        "next": services.next_statuses(p),
    }


@router.get("/signings", response=list[EventOut])
def signings(request):
    _operator(request)
    from kechuang.accounts.permissions import managed_regions

    events = (
        SigningEvent.objects.filter(region__in=managed_regions(request.auth))
        .select_related("region")
        .prefetch_related("projects__region")
    )
    return [
        {
            "id": e.pk,
            "name": e.name,
            "region": e.region.name,
            "held_on": e.held_on,
            "projects": [_project_out(p) for p in e.projects.all()],
        }
        for e in events
    ]


@router.post("/signings", response={201: EventOut})
def create_signing(request, payload: EventIn):
    _operator(request)
    event = services.create_event(
        request.auth,
        _region(request, payload.region),
        name=payload.name,
        held_on=payload.held_on,
        venue=payload.venue,
        description=payload.description,
    )
    return Status(
        201,
        {
            "id": event.pk,
            "name": event.name,
            "region": event.region.name,
            "held_on": event.held_on,
            "projects": [],
        },
    )


@router.post("/signings/{event_id}/projects", response={201: ProjectOut})
def add_project(request, event_id: int, payload: ProjectIn):
    _operator(request)
    event = get_object_or_404(SigningEvent, pk=event_id)
    region = get_object_or_404(Region, pk=payload.region)
    project = services.add_project(
        request.auth,
        event,
        name=payload.name,
        kind=payload.kind,
        parties=payload.parties,
        region=region,
        amount=payload.amount,
    )
    return Status(201, _project_out(project))


@router.post("/projects/{project_id}/advance", response=ProjectOut)
def advance(request, project_id: int, payload: AdvanceIn):
    _operator(request)
    project = get_object_or_404(SignedProject.objects.select_related("region"), pk=project_id)
    project = services.advance_project(
        request.auth, project, payload.status, on=payload.on, reason=payload.reason
    )
    return _project_out(project)


def _plan_out(plan: CultivationPlan) -> dict:
    return {
        "id": plan.pk,
        "organization": plan.organization_id,
        "organization_name": plan.organization.name,
        "tier": plan.organization.tier,
        "track": plan.track,
        "goals": plan.goals,
        "target_year": plan.target_year,
        "officer": str(plan.officer) if plan.officer else None,
        "visits": plan.visits.count(),
    }


@router.get("/plans", response=list[PlanOut])
def plans(request, region: int, track: str | None = None):
    _operator(request)
    place = _region(request, region)
    items = CultivationPlan.objects.filter(
        organization__region__path__startswith=place.path
    ).select_related("organization", "officer")
    if track in Track.values:
        items = items.filter(track=track)
    return [_plan_out(p) for p in items[:500]]


@router.post("/plans", response={201: PlanOut})
def open_plan(request, payload: PlanIn):
    _operator(request)
    from django.contrib.auth import get_user_model

    organization = get_object_or_404(
        Organization.objects.select_related("region"), pk=payload.organization
    )
    officer = get_object_or_404(get_user_model(), pk=payload.officer) if payload.officer else None
    plan = services.open_plan(
        request.auth,
        organization,
        goals=payload.goals,
        target_year=payload.target_year,
        officer=officer,
    )
    return Status(201, _plan_out(plan))


@router.post("/plans/{plan_id}/visits", response={201: PlanOut})
def record_visit(request, plan_id: int, payload: VisitIn):
    _operator(request)
    plan = get_object_or_404(
        CultivationPlan.objects.select_related("organization__region"), pk=plan_id
    )
    services.record_visit(request.auth, plan, visited_on=payload.visited_on, notes=payload.notes)
    return Status(201, _plan_out(plan))


@router.post("/plans/{plan_id}/tier", response=PlanOut)
def tier_step(request, plan_id: int, payload: TierIn):
    _operator(request)
    plan = get_object_or_404(
        CultivationPlan.objects.select_related("organization__region"), pk=plan_id
    )
    services.record_tier_step(
        request.auth, plan.organization, payload.tier, recognized_on=payload.recognized_on
    )
    plan.refresh_from_db()
    plan.organization.refresh_from_db()
    return _plan_out(plan)
