"""Challenge API (``/api/challenges/``).

Public reads: ``GET /lists`` (published lists), ``GET /lists/{id}`` (its tasks, bounties, total and, once the
window is over, the number of applicants per task). Signed-in reads: ``GET /rounds/{id}/scores`` returns
only the scores ``Score.objects.visible_to`` lets the caller read (sealed rounds: their own). Writes go
through the services: ``POST /tranches/{id}/release`` (operators; a released tranche is never paid twice,
so repeating the request is safe and answers 409) and ``POST /applications/{id}/withdraw`` (members of the
lead organisation, until the expert review starts; a refusal answers 409 with the reason).

Applying, as on the pages: ``POST /tasks/{id}/applications`` opens a draft (``mode`` ``alone`` by
default: the lead is then the sole member and carries the whole budget, no member step), ``PUT
/applications/{id}`` saves its content with the team and plan as lists, ``POST /applications/{id}/members``
adds a consortium member or changes its shares, ``POST /applications/{id}/submit`` submits it, and ``GET
/applications/{id}`` reads it with what still keeps it from being submitted. Refusals answer 409 with the
reason, other people's drafts 403.
"""

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from kechuang.challenges import queries, services
from kechuang.challenges.models import (
    Agreement,
    Application,
    Challenge,
    ChallengeList,
    ReviewRound,
    Score,
    Tranche,
)
from kechuang.core.params import RecordId
from kechuang.directory.models import Organization

router = Router(tags=["challenges"])


class IndicatorOut(Schema):
    name: str
    comparator: str
    target: Decimal
    unit: str


class TaskOut(Schema):
    id: int
    title: str
    bounty: Decimal
    issuer_share: Decimal
    government_share: Decimal
    completion_deadline: date
    indicators: list[IndicatorOut]
    applicants: int | None


class ListOut(Schema):
    id: int
    title: str
    issuer: str
    region: str
    status: str
    opens_on: date
    closes_on: date
    window_closes_at: datetime


class ListDetailOut(ListOut):
    total_bounty: Decimal
    tasks: list[TaskOut]


class ScoreOut(Schema):
    application: int
    reviewer: str
    total: Decimal
    marks: dict[str, str]
    comment: str


class TrancheOut(Schema):
    id: int
    amount: Decimal
    status: str
    agreement_released_total: Decimal


class WithdrawIn(Schema):
    reason: str = Field("", max_length=300, pattern=r"^[^\x00]*$")


class ApplicationStateOut(Schema):
    id: int
    status: str
    withdrawn_at: datetime | None


def _list_out(challenge_list: ChallengeList) -> dict:
    return {
        "id": challenge_list.pk,
        "title": challenge_list.title,
        "issuer": challenge_list.issuer,
        "region": challenge_list.region.code,
        "status": challenge_list.status,
        "opens_on": challenge_list.opens_on,
        "closes_on": challenge_list.closes_on,
        "window_closes_at": challenge_list.window_closes_at,
    }


@router.get("/lists", response=list[ListOut])
def lists(request):
    return [_list_out(c) for c in ChallengeList.objects.public().select_related("region")]


@router.get("/lists/{list_id}", response=ListDetailOut)
def list_detail(request, list_id: int):
    challenge_list = get_object_or_404(
        ChallengeList.objects.public().select_related("region"), pk=list_id
    )
    window_over = timezone.now() >= challenge_list.window_closes_at
    tasks = [
        {
            "id": t.pk,
            "title": t.title,
            "bounty": t.bounty,
            "issuer_share": t.issuer_share,
            "government_share": t.government_share,
            "completion_deadline": t.completion_deadline,
            "indicators": list(t.indicators.all()),
            "applicants": t.applicant_count if window_over else None,
        }
        for t in queries.list_tasks(challenge_list)
    ]
    return {
        **_list_out(challenge_list),
        "total_bounty": queries.list_bounty(challenge_list),
        "tasks": tasks,
    }


@router.get("/rounds/{round_id}/scores", response=list[ScoreOut], auth=django_auth)
def round_scores(request, round_id: int):
    review_round = get_object_or_404(ReviewRound, pk=round_id)
    reviewers = queries.reviewer_labels(request.auth, review_round)
    return [
        {
            "application": s.application_id,
            "reviewer": reviewers[s.seat_id],
            "total": s.total,
            "marks": s.marks,
            "comment": s.comment,
        }
        for s in Score.objects.visible_to(request.auth)
        .filter(round=review_round)
        .select_related("seat__expert")
    ]


@router.post("/tranches/{tranche_id}/release", response=TrancheOut, auth=django_auth)
def release_tranche(request, tranche_id: int):
    tranche = get_object_or_404(Tranche, pk=tranche_id)
    tranche = services.release_tranche(request.auth, tranche)
    return {
        "id": tranche.pk,
        "amount": tranche.amount,
        "status": tranche.status,
        "agreement_released_total": Agreement.objects.get(pk=tranche.agreement_id).released_total,
    }


@router.post(
    "/applications/{application_id}/withdraw", response=ApplicationStateOut, auth=django_auth
)
def withdraw_application(request, application_id: int, payload: WithdrawIn):
    application = get_object_or_404(Application, pk=application_id)
    application = services.withdraw_application(request.auth, application, reason=payload.reason)
    return {
        "id": application.pk,
        "status": application.status,
        "withdrawn_at": application.withdrawn_at,
    }


class StartIn(Schema):
    lead: RecordId
    mode: Application.Mode = Application.Mode.ALONE


class TeamMemberIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    title: str = Field("", max_length=50)
    affiliation: str = Field("", max_length=100)
    duty: str = Field("", max_length=200)


class PlanMilestoneIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    months: int = Field(..., ge=1, le=600)
    deliverable: str = Field("", max_length=300)


class ApplicationIn(Schema):
    technical_route: str = Field(..., max_length=20000)
    budget_total: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    declaration_accepted: bool = False
    mode: Application.Mode | None = None
    team: list[TeamMemberIn] | None = None
    plan: list[PlanMilestoneIn] | None = None


class MemberIn(Schema):
    organization: RecordId
    work_share: Decimal = Field(..., ge=0, le=100, max_digits=5, decimal_places=2)
    budget_share: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    responsibility: str = Field("", max_length=200)


class MemberOut(Schema):
    organization: int
    name: str
    role: str
    work_share: Decimal
    budget_share: Decimal
    confirmed: bool


class ApplicationOut(Schema):
    id: int
    challenge: int
    lead: int
    mode: str
    status: str
    budget_total: Decimal
    members: list[MemberOut]
    problems: list[str]


def _application_out(application: Application) -> dict:
    application.refresh_from_db()
    members = application.members.select_related("organization")
    return {
        "id": application.pk,
        "challenge": application.challenge_id,
        "lead": application.lead_id,
        "mode": application.mode,
        "status": application.status,
        "budget_total": application.budget_total,
        "members": [
            {
                "organization": m.organization_id,
                "name": m.organization.name,
                "role": m.role,
                "work_share": m.work_share,
                "budget_share": m.budget_share,
                "confirmed": m.confirmed_at is not None,
            }
            for m in members
        ],
        "problems": services.submission_problems(application)
        if application.status == Application.Status.DRAFT
        else [],
    }


def _readable(request, application_id: int) -> Application:
    application = get_object_or_404(
        Application.objects.select_related("challenge__challenge_list"), pk=application_id
    )
    if not queries.application_readable_by(request.auth, application):
        raise HttpError(403, "forbidden")
    return application


@router.post("/tasks/{challenge_id}/applications", response={201: ApplicationOut}, auth=django_auth)
def start_application(request, challenge_id: int, payload: StartIn):
    challenge = get_object_or_404(Challenge, pk=challenge_id)
    lead = get_object_or_404(Organization, pk=payload.lead)
    application = services.start_application(request.auth, challenge, lead, mode=payload.mode)
    return Status(201, _application_out(application))


@router.get("/applications/{application_id}", response=ApplicationOut, auth=django_auth)
def application_detail(request, application_id: int):
    return _application_out(_readable(request, application_id))


@router.put("/applications/{application_id}", response=ApplicationOut, auth=django_auth)
def save_application(request, application_id: int, payload: ApplicationIn):
    application = _readable(request, application_id)
    data = payload.dict()
    for key in ("team", "plan"):
        if data[key] is None:
            del data[key]
    if data["mode"] is None:
        del data["mode"]
    services.save_application(request.auth, application, **data)
    return _application_out(application)


@router.post("/applications/{application_id}/members", response=ApplicationOut, auth=django_auth)
def save_member(request, application_id: int, payload: MemberIn):
    application = _readable(request, application_id)
    organization = get_object_or_404(Organization.objects.published(), pk=payload.organization)
    services.save_member(
        request.auth,
        application,
        organization,
        work_share=payload.work_share,
        budget_share=payload.budget_share,
        responsibility=payload.responsibility,
    )
    return _application_out(application)


@router.post("/applications/{application_id}/submit", response=ApplicationOut, auth=django_auth)
def submit_application(request, application_id: int):
    application = _readable(request, application_id)
    services.submit_application(request.auth, application)
    return _application_out(application)
