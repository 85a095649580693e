"""JSON API of demands and engagements (mounted at ``/api/demands/``). Each write endpoint parses its input,
calls one service and returns the result; refusals come back as 409, missing rights as 403, invalid input
as 422. Contact details appear only through :func:`kechuang.demands.disclosure.contact_for`."""

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from kechuang.accounts.permissions import acts_for
from kechuang.core.params import PlatformDate, PlatformDateTime, RecordId
from kechuang.core.schemas import Input
from kechuang.demands import services
from kechuang.demands.disclosure import Contact, contact_for
from kechuang.demands.models import CooperationMode, Demand, Engagement, MatchType
from kechuang.demands.queries import SCOPES, demand_matches, expert_inbox
from kechuang.directory.models import Expert, Organization

router = Router(tags=["demands"])


class DemandIn(Input):
    organization_id: RecordId
    # the service refuses a blank title or description: the schema says so (a non-blank character)
    title: str = Field(max_length=200, pattern=r"\S")
    description: str = Field(max_length=20000, pattern=r"\S")
    industry_chain_id: RecordId | None = None
    field_id: RecordId | None = None
    budget_min: Decimal | None = Field(None, ge=0, lt=Decimal("1e12"), decimal_places=2)
    budget_max: Decimal | None = Field(None, ge=0, lt=Decimal("1e12"), decimal_places=2)
    deadline: PlatformDate | None = None
    cooperation_modes: list[CooperationMode] = []
    visibility: Demand.Visibility = Demand.Visibility.PUBLIC
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)
    contact_email: str = Field("", max_length=254)


class DemandOut(Schema):
    id: int
    title: str
    description: str
    organization_id: int
    organization: str
    region_code: str
    industry_chain_id: int | None
    field_id: int | None
    budget_min: Decimal | None
    budget_max: Decimal | None
    deadline: date | None
    cooperation_modes: list[str]
    visibility: str
    status: str
    review_note: str
    published_at: datetime | None

    @staticmethod
    def resolve_organization(obj: Demand) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_region_code(obj: Demand) -> str:
        return obj.region.code


class DemandDetailOut(DemandOut):
    """One demand with what the requesting user may do to it now (``submit``, ``approve``, ``return``,
    ``close``): the same checks the services run, so a client shows exactly the buttons that will work."""

    actions: list[str]

    @staticmethod
    def resolve_actions(obj: Demand, context) -> list[str]:
        return services.allowed_demand_actions(context["request"].user, obj)


class ReasonIn(Input):
    reason: str = Field(min_length=1, max_length=300)


class EvidenceOut(Schema):
    field: str
    terms: list[str]
    snippet: str


class MatchOut(Schema):
    type: str
    id: int
    name: str
    region: str
    score: float
    semantic: float | None
    strength: str = Field(description="strong | good | fair | weak (强 / 较强 / 一般 / 较弱)")
    evidence: list[EvidenceOut]
    open_engagement_id: int | None


class EngagementIn(Input):
    match_type: MatchType
    match_id: int = Field(ge=1, le=2**62)
    message: str = Field("", max_length=2000)


class ContactOut(Schema):
    name: str
    phone: str
    email: str


class EngagementOut(Schema):
    id: int
    demand_id: int
    demand_title: str
    enterprise: str
    supplier: str
    match_type: str
    match_id: int
    status: str
    pushed: bool
    requested_at: datetime
    meeting_at: datetime | None
    meeting_place: str
    meeting_link: str
    minutes: str
    cooperation_mode: str
    amount: Decimal | None
    enterprise_contact: ContactOut | None = None
    supplier_contact: ContactOut | None = None


class EventOut(Schema):
    at: datetime
    kind: str
    status: str
    actor: str
    note: str


class EngagementDetailOut(EngagementOut):
    """One engagement with its timeline and what the requesting user may do to it now (``accept``,
    ``decline``, ``schedule``, ``held``, ``agree``, ``close``, ``message``: the services' own checks)."""

    timeline: list[EventOut]
    actions: list[str]


class MeetingIn(Input):
    at: PlatformDateTime
    place: str = Field("", max_length=200)
    link: str = Field("", max_length=200)


class MinutesIn(Input):
    minutes: str = Field(min_length=1, max_length=20000)
    attendees: str = Field("", max_length=300)


class AgreementIn(Input):
    cooperation_mode: CooperationMode
    amount: Decimal = Field(ge=0, lt=Decimal("1e12"), decimal_places=2)


class MessageIn(Input):
    body: str = Field(min_length=1, max_length=2000)


class InboxOut(Schema):
    demand: DemandOut
    score: float
    strength: str = Field(description="strong | good | fair | weak (强 / 较强 / 一般 / 较弱)")
    evidence: list[EvidenceOut]


def _demand(request, demand_id: int) -> Demand:
    return get_object_or_404(
        Demand.objects.visible_to(request.user).select_related("organization", "region"),
        pk=demand_id,
    )


def _engagement(request, engagement_id: int) -> Engagement:
    return get_object_or_404(
        Engagement.objects.visible_to(request.user).select_related(
            "demand__organization", "demand__region", "expert__user", "provider"
        ),
        pk=engagement_id,
    )


def _contact(contact: Contact | None) -> dict | None:
    return (
        None
        if contact is None
        else {"name": contact.name, "phone": contact.phone, "email": contact.email}
    )


def _engagement_out(request, e: Engagement, timeline: bool = False) -> dict:
    data = {
        "id": e.pk,
        "demand_id": e.demand_id,
        "demand_title": e.demand.title,
        "enterprise": e.demand.organization.name,
        "supplier": e.supplier_name,
        "match_type": e.match_type,
        "match_id": e.match_id,
        "status": e.status,
        "pushed": e.pushed_by_id is not None,
        "requested_at": e.requested_at,
        "meeting_at": e.meeting_at,
        "meeting_place": e.meeting_place,
        "meeting_link": e.meeting_link,
        "minutes": e.minutes,
        "cooperation_mode": e.cooperation_mode,
        "amount": e.amount,
        "enterprise_contact": _contact(contact_for(request.user, e, "enterprise")),
        "supplier_contact": _contact(contact_for(request.user, e, "supplier")),
    }
    if timeline:
        data["timeline"] = [
            {
                "at": ev.at,
                "kind": ev.kind,
                "status": ev.status,
                "actor": str(ev.actor or ""),
                "note": ev.note,
            }
            for ev in e.events.select_related("actor")
        ]
        data["actions"] = services.allowed_engagement_actions(request.user, e)
    return data


def _evidence(hit) -> list[dict]:
    return [{"field": ev.field, "terms": ev.terms, "snippet": ev.snippet} for ev in hit.evidence]


# --- engagements (declared before /{demand_id} routes) ------------------------------------------------


@router.get("/engagements", response=list[EngagementOut], auth=django_auth)
def list_engagements(request, status: Engagement.Status | None = None):
    rows = Engagement.objects.visible_to(request.user).select_related(
        "demand__organization", "demand__region", "expert__user", "provider"
    )
    if status:
        rows = rows.filter(status=status)
    return [_engagement_out(request, e) for e in rows[:200]]


@router.get("/engagements/{int:engagement_id}", response=EngagementDetailOut, auth=django_auth)
def get_engagement(request, engagement_id: int):
    return _engagement_out(request, _engagement(request, engagement_id), timeline=True)


@router.post("/engagements/{int:engagement_id}/accept", response=EngagementOut, auth=django_auth)
def accept(request, engagement_id: int):
    e = services.accept_engagement(request.user, _engagement(request, engagement_id))
    return _engagement_out(request, e)


@router.post("/engagements/{int:engagement_id}/decline", response=EngagementOut, auth=django_auth)
def decline(request, engagement_id: int, payload: ReasonIn):
    e = services.decline_engagement(
        request.user, _engagement(request, engagement_id), payload.reason
    )
    return _engagement_out(request, e)


@router.post("/engagements/{int:engagement_id}/schedule", response=EngagementOut, auth=django_auth)
def schedule(request, engagement_id: int, payload: MeetingIn):
    at = payload.at
    if timezone.is_naive(at):
        at = timezone.make_aware(at)  # naive times are read as Asia/Shanghai
    e = services.schedule_meeting(
        request.user,
        _engagement(request, engagement_id),
        at,
        payload.place,
        payload.link,
    )
    return _engagement_out(request, e)


@router.post("/engagements/{int:engagement_id}/held", response=EngagementOut, auth=django_auth)
def held(request, engagement_id: int, payload: MinutesIn):
    e = services.record_meeting(
        request.user,
        _engagement(request, engagement_id),
        payload.minutes,
        payload.attendees,
    )
    return _engagement_out(request, e)


@router.post("/engagements/{int:engagement_id}/agree", response=EngagementOut, auth=django_auth)
def agree(request, engagement_id: int, payload: AgreementIn):
    e = services.agree_cooperation(
        request.user,
        _engagement(request, engagement_id),
        payload.cooperation_mode,
        payload.amount,
    )
    return _engagement_out(request, e)


@router.post("/engagements/{int:engagement_id}/close", response=EngagementOut, auth=django_auth)
def close(request, engagement_id: int, payload: ReasonIn):
    e = services.close_engagement(request.user, _engagement(request, engagement_id), payload.reason)
    return _engagement_out(request, e)


@router.post(
    "/engagements/{int:engagement_id}/messages", response={201: EventOut}, auth=django_auth
)
def message(request, engagement_id: int, payload: MessageIn):
    ev = services.post_message(request.user, _engagement(request, engagement_id), payload.body)
    return Status(
        201,
        {
            "at": ev.at,
            "kind": ev.kind,
            "status": ev.status,
            "actor": str(ev.actor),
            "note": ev.note,
        },
    )


@router.get("/inbox", response=list[InboxOut], auth=django_auth)
def inbox(request):
    """Published demands matching the signed-in expert, ranked, with evidence."""
    expert = Expert.objects.filter(user=request.user).first()
    if expert is None:
        return []
    return [
        {
            "demand": item.demand,
            "score": item.hit.score,
            "strength": item.band,
            "evidence": _evidence(item.hit),
        }
        for item in expert_inbox(expert, request.user)
    ]


# --- demands ------------------------------------------------------------------------------------------


@router.get("/", response=list[DemandOut])
def list_demands(
    request,
    status: Demand.Status | None = None,
    limit: int = Query(20, ge=1, le=200),
    offset: int = Query(0, ge=0, le=100000),
):
    rows = Demand.objects.visible_to(request.user).select_related("organization", "region")
    if status:
        rows = rows.filter(status=status)
    return list(rows[offset : offset + limit])


def _input(payload: DemandIn) -> services.DemandInput:
    return services.DemandInput(
        **payload.dict(exclude={"organization_id", "cooperation_modes", "visibility"}),
        cooperation_modes=[str(m) for m in payload.cooperation_modes],
        visibility=str(payload.visibility),
    )


@router.post("/", response={201: DemandDetailOut}, auth=django_auth)
def create_demand(request, payload: DemandIn):
    organization = Organization.objects.filter(pk=payload.organization_id).first()
    if organization is None or not acts_for(request.user, organization.pk):
        raise HttpError(403, "您不是该企业的成员")
    return Status(201, services.save_demand(request.user, organization, _input(payload)))


@router.get("/{int:demand_id}", response=DemandDetailOut)
def get_demand(request, demand_id: int):
    return _demand(request, demand_id)


@router.put("/{int:demand_id}", response=DemandDetailOut, auth=django_auth)
def update_demand(request, demand_id: int, payload: DemandIn):
    demand = _demand(request, demand_id)
    if payload.organization_id != demand.organization_id:
        raise HttpError(422, "organization_id cannot change")
    return services.save_demand(request.user, demand.organization, _input(payload), demand)


@router.post("/{int:demand_id}/submit", response=DemandDetailOut, auth=django_auth)
def submit(request, demand_id: int):
    return services.submit_demand(request.user, _demand(request, demand_id))


@router.post("/{int:demand_id}/approve", response=DemandDetailOut, auth=django_auth)
def approve(request, demand_id: int):
    return services.approve_demand(request.user, _demand(request, demand_id))


@router.post("/{int:demand_id}/return", response=DemandDetailOut, auth=django_auth)
def return_(request, demand_id: int, payload: ReasonIn):
    return services.return_demand(request.user, _demand(request, demand_id), payload.reason)


@router.post("/{int:demand_id}/close", response=DemandDetailOut, auth=django_auth)
def close_demand(request, demand_id: int, payload: ReasonIn):
    return services.close_demand(request.user, _demand(request, demand_id), payload.reason)


@router.get("/{int:demand_id}/matches", response=list[MatchOut], auth=django_auth)
def matches(
    request,
    demand_id: int,
    scope: str = "own",
    type: MatchType | None = None,
    k: int = Query(5, ge=1, le=50),
):
    """Ranked matches with evidence, for the demand's enterprise and its region's operators."""
    demand = _demand(request, demand_id)
    from kechuang.accounts.permissions import operates

    if not (
        acts_for(request.user, demand.organization_id) or operates(request.user, demand.region)
    ):
        raise HttpError(403, "仅需求企业与区域运营方可查看匹配")
    if demand.status != Demand.Status.PUBLISHED:
        raise HttpError(409, "需求尚未发布")
    if scope not in SCOPES:
        raise HttpError(422, f"scope must be one of {', '.join(SCOPES)}")
    groups = demand_matches(demand, scope, [str(type)] if type else None, k=k)
    return [
        {
            "type": m.type,
            "id": m.obj.pk,
            "name": str(m.obj),
            "region": m.obj.region.code,
            "score": m.hit.score,
            "semantic": m.hit.semantic,
            "strength": m.band,
            "evidence": _evidence(m.hit),
            "open_engagement_id": m.open_engagement.pk if m.open_engagement else None,
        }
        for g in groups
        for m in g.matches
    ]


@router.post("/{int:demand_id}/engagements", response={201: EngagementOut}, auth=django_auth)
def engage(request, demand_id: int, payload: EngagementIn):
    """The enterprise requests the match; an operator of the region pushes it to both sides."""
    demand = _demand(request, demand_id)
    service = (
        services.request_engagement
        if acts_for(request.user, demand.organization_id)
        else services.push_match
    )
    e = service(request.user, demand, str(payload.match_type), payload.match_id, payload.message)
    return Status(201, _engagement_out(request, e))
