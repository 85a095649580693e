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

The rest of the cycle calls the same services as the pages' buttons: ``POST /members/{id}/confirm`` (an
invited consortium member confirms), ``POST /applications/{id}/formal-check`` (operators), ``POST
/lists/{id}/{action}`` (operators: ``publish``, ``close``, ``start-review``, ``announce``, ``conclude``),
``GET /seats`` (an expert's panel seats with their rubric), ``POST /seats/{id}/scores`` and ``POST
/seats/{id}/recuse`` (the seat's expert), ``POST /applications/{id}/objections`` (anyone signed in, during
公示), ``POST /objections/{id}/resolve`` (operators), ``POST /milestones/{id}/evidence`` (the lead
organisation) and ``POST /milestones/{id}/review`` (operators). Someone who may not act gets 403, an action
the record's state does not allow 409 with the reason; nothing changes then.

And the operator's other buttons, with the same services: ``POST /tasks`` (propose; members of the proposing
organisation, or an operator for a department), ``POST /tasks/{id}/accept`` and ``/reject``, ``POST
/rounds/{id}/panel``, ``/unseal`` and ``/final``, ``POST /applications/{id}/select`` and ``/agreement``
(sign the task book), ``GET /agreements/{id}``, ``POST /milestones/{id}/extend``, ``POST
/agreements/{id}/tranches`` and ``/final-acceptance``. Answers are schemas read from the records (their
``resolve_*`` methods give foreign keys as ids).
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from kechuang.accounts.permissions import acts_for, operates
from kechuang.challenges import queries, services
from kechuang.challenges.models import (
    Agreement,
    Application,
    Challenge,
    ChallengeList,
    ConsortiumMember,
    Indicator,
    IndicatorResult,
    Milestone,
    Objection,
    PanelSeat,
    ReviewRound,
    Score,
    Tranche,
)
from kechuang.core.actions import Refused
from kechuang.core.models import Region, TechField
from kechuang.core.params import PlatformDate, RecordId
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


# --- the rest of the cycle, as on the pages: each operation calls the service the page's button calls ---


class MemberStateOut(Schema):
    id: int
    application: int
    organization: int
    confirmed_at: datetime | None


@router.post("/members/{member_id}/confirm", response=MemberStateOut, auth=django_auth)
def confirm_member(request, member_id: int):
    """A member of an invited organisation confirms it takes part in the consortium on the shown terms."""
    member = get_object_or_404(ConsortiumMember, pk=member_id)
    member = services.confirm_participation(request.auth, member)
    return {
        "id": member.pk,
        "application": member.application_id,
        "organization": member.organization_id,
        "confirmed_at": member.confirmed_at,
    }


class FormalCheckIn(Schema):
    passed: bool
    note: str = Field("", max_length=300, pattern=r"^[^\x00]*$")


class FormalStateOut(Schema):
    id: int
    status: str
    formal_note: str


@router.post(
    "/applications/{application_id}/formal-check", response=FormalStateOut, auth=django_auth
)
def formal_check(request, application_id: int, payload: FormalCheckIn):
    """The list's operator passes or fails a submitted application after the window (a failure needs a
    ``note``)."""
    application = get_object_or_404(Application, pk=application_id)
    application = services.formal_check(
        request.auth, application, passed=payload.passed, note=payload.note
    )
    return {
        "id": application.pk,
        "status": application.status,
        "formal_note": application.formal_note,
    }


class ListAction(StrEnum):
    PUBLISH = "publish"
    CLOSE = "close"
    START_REVIEW = "start-review"
    ANNOUNCE = "announce"
    CONCLUDE = "conclude"


LIST_ACTIONS = {
    ListAction.PUBLISH: services.publish_list,
    ListAction.CLOSE: services.close_list,
    ListAction.START_REVIEW: services.start_review,
    ListAction.ANNOUNCE: services.announce_list,
    ListAction.CONCLUDE: services.conclude_list,
}


class ListStateOut(Schema):
    id: int
    status: str
    actions: list[str]


@router.post("/lists/{list_id}/{action}", response=ListStateOut, auth=django_auth)
def list_action(request, list_id: int, action: ListAction):
    """The operator moves a list on: ``publish`` (draft → open), ``close`` (after the window),
    ``start-review`` (once every application is formally checked), ``announce`` (公示 the selected
    applications) and ``conclude``. ``actions`` lists what the caller may do next."""
    challenge_list = get_object_or_404(ChallengeList, pk=list_id)
    challenge_list = LIST_ACTIONS[action](request.auth, challenge_list)
    challenge_list.refresh_from_db()
    return {
        "id": challenge_list.pk,
        "status": challenge_list.status,
        "actions": services.allowed_list_actions(request.auth, challenge_list),
    }


class SeatOut(Schema):
    id: int
    round: int
    challenge: int
    challenge_title: str
    status: str
    round_status: str
    applications: list[int]
    criteria: dict[str, str]


@router.get("/seats", response=list[SeatOut], auth=django_auth)
def my_seats(request):
    """The signed-in expert's panel seats, with the applications to score and the rubric (criterion id →
    name)."""
    seats = (
        PanelSeat.objects.filter(expert__user=request.auth)
        .select_related("round__challenge__challenge_list")
        .prefetch_related("round__applications", "round__challenge__challenge_list__criteria")
        .order_by("-pk")
    )
    return [
        {
            "id": seat.pk,
            "round": seat.round_id,
            "challenge": seat.round.challenge_id,
            "challenge_title": seat.round.challenge.title,
            "status": seat.status,
            "round_status": seat.round.status,
            "applications": sorted(a.pk for a in seat.round.applications.all()),
            "criteria": {
                str(c.pk): c.name for c in seat.round.challenge.challenge_list.criteria.all()
            },
        }
        for seat in seats
    ]


class MarkIn(Schema):
    criterion: RecordId
    mark: Decimal = Field(..., ge=0, le=100, max_digits=5, decimal_places=2)


class ScoreIn(Schema):
    application: RecordId
    marks: list[MarkIn] = Field(..., max_length=50)
    comment: str = Field("", max_length=2000, pattern=r"^[^\x00]*$")


class ScoreSavedOut(Schema):
    id: int
    application: int
    total: Decimal


@router.post("/seats/{seat_id}/scores", response={201: ScoreSavedOut}, auth=django_auth)
def submit_score(request, seat_id: int, payload: ScoreIn):
    """The reviewer holding the seat scores an application of the round once: ``marks`` gives 0–100 for
    every criterion of the rubric (``{"criterion": id, "mark": 85}``). Scores stay sealed until the operator unseals the round."""
    seat = get_object_or_404(PanelSeat.objects.select_related("round", "expert"), pk=seat_id)
    application = get_object_or_404(Application, pk=payload.application)
    score = services.submit_score(
        request.auth,
        seat,
        application,
        marks={m.criterion: m.mark for m in payload.marks},
        comment=payload.comment,
    )
    return Status(201, {"id": score.pk, "application": application.pk, "total": score.total})


class RecuseIn(Schema):
    detail: str = Field(..., max_length=300, pattern=r"^[^\x00]*$")


class SeatStateOut(Schema):
    id: int
    status: str


@router.post("/seats/{seat_id}/recuse", response=SeatStateOut, auth=django_auth)
def recuse(request, seat_id: int, payload: RecuseIn):
    """The reviewer declares a conflict of interest and steps down before scoring."""
    seat = get_object_or_404(PanelSeat.objects.select_related("round", "expert"), pk=seat_id)
    seat = services.declare_conflict(request.auth, seat, detail=payload.detail)
    return {"id": seat.pk, "status": seat.status}


class ObjectionIn(Schema):
    text: str = Field(..., max_length=2000, pattern=r"^[^\x00]*$")


class ObjectionOut(Schema):
    id: int
    application: int
    status: str
    resolution: str

    @staticmethod
    def resolve_application(objection: Objection) -> int:
        return objection.application_id


@router.post(
    "/applications/{application_id}/objections", response={201: ObjectionOut}, auth=django_auth
)
def file_objection(request, application_id: int, payload: ObjectionIn):
    """Anyone signed in objects to an application announced as selected (公示), within the period."""
    application = get_object_or_404(Application, pk=application_id)
    objection = services.file_objection(request.auth, application, text=payload.text)
    return Status(201, objection)


class ResolveIn(Schema):
    upheld: bool
    resolution: str = Field(..., max_length=2000, pattern=r"^[^\x00]*$")


@router.post("/objections/{objection_id}/resolve", response=ObjectionOut, auth=django_auth)
def resolve_objection(request, objection_id: int, payload: ResolveIn):
    """The list's operator upholds (the selection is revoked) or dismisses an objection."""
    objection = get_object_or_404(Objection, pk=objection_id)
    objection = services.resolve_objection(
        request.auth, objection, upheld=payload.upheld, resolution=payload.resolution
    )
    return objection


class EvidenceIn(Schema):
    evidence: str = Field(..., max_length=5000, pattern=r"^[^\x00]*$")


class MilestoneReviewIn(Schema):
    accepted: bool
    note: str = Field("", max_length=300, pattern=r"^[^\x00]*$")


class MilestoneOut(Schema):
    id: int
    agreement: int
    title: str
    due_on: date
    extended_from: date | None
    status: str
    evidence: str
    review_note: str

    @staticmethod
    def resolve_agreement(milestone: Milestone) -> int:
        return milestone.agreement_id


@router.post("/milestones/{milestone_id}/evidence", response=MilestoneOut, auth=django_auth)
def submit_milestone(request, milestone_id: int, payload: EvidenceIn):
    """The lead organisation reports a milestone of its agreement with its evidence."""
    milestone = get_object_or_404(Milestone, pk=milestone_id)
    milestone = services.submit_milestone(request.auth, milestone, evidence=payload.evidence)
    return milestone


@router.post("/milestones/{milestone_id}/review", response=MilestoneOut, auth=django_auth)
def review_milestone(request, milestone_id: int, payload: MilestoneReviewIn):
    """The operator accepts a reported milestone or returns it (with a ``note``)."""
    milestone = get_object_or_404(Milestone, pk=milestone_id)
    milestone = services.review_milestone(
        request.auth, milestone, accepted=payload.accepted, note=payload.note
    )
    return milestone


# --- proposing tasks, the panel, selection and the task book: the rest of the pages' buttons ---------

NON_BLANK = r"\S"  # at least one character that is not white space (the services refuse blank text)
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]


class IndicatorIn(Schema):
    name: str = Field(..., max_length=200, pattern=NON_BLANK)
    comparator: Indicator.Comparator = Indicator.Comparator.AT_LEAST
    target: Decimal = Field(..., max_digits=16, decimal_places=4)
    unit: str = Field(..., max_length=30, pattern=NON_BLANK)


class ProposalIn(Schema):
    proposer: RecordId
    title: str = Field(..., max_length=200, pattern=NON_BLANK)
    problem: str = Field(..., max_length=20000, pattern=NON_BLANK)
    bounty: PositiveMoney
    issuer_share: Money
    government_share: Money
    completion_deadline: PlatformDate
    indicators: list[IndicatorIn] = Field(..., min_length=1, max_length=50)
    eligible_kinds: list[Organization.Kind] = Field([], max_length=20)
    eligible_region: str | None = Field(None, pattern=r"^[0-9]{6}$")
    credit_code_required: bool = False
    min_tier: Organization.Tier = Organization.Tier.NONE
    qualifications: str = Field("", max_length=2000, pattern=r"^[^\x00]*$")
    ip_terms: str = Field("", max_length=2000, pattern=r"^[^\x00]*$")
    fields: list[RecordId] = Field([], max_length=20)


class TaskStateOut(Schema):
    id: int
    title: str
    status: str
    bounty: Decimal
    challenge_list: int | None
    review_note: str

    @staticmethod
    def resolve_challenge_list(challenge: Challenge) -> int | None:
        return challenge.challenge_list_id


@router.post("/tasks", response={201: TaskStateOut}, auth=django_auth)
def propose(request, payload: ProposalIn):
    """A member of the proposing organisation (or an operator, for a department of their region tree)
    proposes a task in the proposer's region; the bounty is the issuer's share plus the government's. It
    waits (``proposed``) for an operator to accept it onto a draft list."""
    proposer = get_object_or_404(Organization, pk=payload.proposer)
    eligible_region = (
        get_object_or_404(Region, code=payload.eligible_region) if payload.eligible_region else None
    )
    fields = list(TechField.objects.filter(pk__in=payload.fields))
    if len(fields) != len(set(payload.fields)):
        raise Http404("no such technical field")
    data = payload.dict(exclude={"proposer", "eligible_region", "fields", "indicators"})
    challenge = services.propose_challenge(
        request.auth,
        region=proposer.region,
        proposer=proposer,
        eligible_region=eligible_region,
        fields=fields,
        indicators=[i.dict() for i in payload.indicators],
        **data,
    )
    return Status(201, challenge)


class AcceptTaskIn(Schema):
    challenge_list: RecordId


class RejectTaskIn(Schema):
    note: str = Field(..., max_length=300, pattern=NON_BLANK)


@router.post("/tasks/{challenge_id}/accept", response=TaskStateOut, auth=django_auth)
def accept_task(request, challenge_id: int, payload: AcceptTaskIn):
    """The region's operator puts a proposed task on a draft list of their region."""
    challenge = get_object_or_404(Challenge, pk=challenge_id)
    challenge_list = get_object_or_404(ChallengeList, pk=payload.challenge_list)
    return services.accept_challenge(request.auth, challenge, challenge_list)


@router.post("/tasks/{challenge_id}/reject", response=TaskStateOut, auth=django_auth)
def reject_task(request, challenge_id: int, payload: RejectTaskIn):
    """The region's operator declines a proposed task, with the reason."""
    challenge = get_object_or_404(Challenge, pk=challenge_id)
    return services.reject_challenge(request.auth, challenge, note=payload.note)


class RoundOut(Schema):
    id: int
    challenge: int
    number: int
    status: str
    applications: list[int]
    seats: list[int]

    @staticmethod
    def resolve_challenge(review_round: ReviewRound) -> int:
        return review_round.challenge_id

    @staticmethod
    def resolve_applications(review_round: ReviewRound) -> list[int]:
        return sorted(review_round.applications.values_list("pk", flat=True))

    @staticmethod
    def resolve_seats(review_round: ReviewRound) -> list[int]:
        return sorted(review_round.seats.values_list("pk", flat=True))


class PanelIn(Schema):
    size: int = Field(5, ge=1, le=50)
    fields: list[RecordId] | None = Field(None, max_length=20)


def _round(round_id: int) -> ReviewRound:
    return get_object_or_404(
        ReviewRound.objects.select_related("challenge__challenge_list"), pk=round_id
    )


@router.post("/rounds/{round_id}/panel", response={201: RoundOut}, auth=django_auth)
def draw_panel(request, round_id: int, payload: PanelIn):
    """The operator draws up to ``size`` reviewers at random from the experts of the task's fields (or of
    ``fields``), leaving out those in conflict with an applicant; ``seats`` lists the panel."""
    review_round = _round(round_id)
    services.draw_panel(request.auth, review_round, size=payload.size, field_ids=payload.fields)
    return Status(201, review_round)


@router.post("/rounds/{round_id}/unseal", response=RoundOut, auth=django_auth)
def unseal_round(request, round_id: int):
    """The operator unseals a round once every active reviewer has scored every application in it."""
    review_round = _round(round_id)
    return services.unseal_round(request.auth, review_round)


class FinalRoundIn(Schema):
    applications: list[RecordId] = Field(..., min_length=1, max_length=100)


@router.post("/rounds/{round_id}/final", response={201: RoundOut}, auth=django_auth)
def final_round(request, round_id: int, payload: FinalRoundIn):
    """After an unsealed first round, the operator shortlists some of its applications for a final round
    (终评); the answer is the new round."""
    review_round = _round(round_id)
    applications = list(Application.objects.filter(pk__in=payload.applications))
    if len(applications) != len(set(payload.applications)):
        raise Http404("no such application")
    return Status(201, services.start_final_round(request.auth, review_round, applications))


class ApplicationStatusOut(Schema):
    id: int
    status: str


@router.post(
    "/applications/{application_id}/select", response=ApplicationStatusOut, auth=django_auth
)
def select_application(request, application_id: int):
    """The operator picks the task's winner from its last, unsealed round (one per task)."""
    application = get_object_or_404(Application, pk=application_id)
    return services.select_application(request.auth, application)


class MilestonePlanIn(Schema):
    title: str = Field(..., max_length=200, pattern=NON_BLANK)
    due_on: PlatformDate
    amount: PositiveMoney | None = None


class SignIn(Schema):
    first_tranche: PositiveMoney
    milestones: list[MilestonePlanIn] = Field(..., min_length=1, max_length=50)


class AgreementTrancheOut(Schema):
    id: int
    milestone: int | None
    amount: Decimal
    status: str

    @staticmethod
    def resolve_milestone(tranche: Tranche) -> int | None:
        return tranche.milestone_id


class IndicatorResultOut(Schema):
    indicator: int
    measured: Decimal
    met: bool

    @staticmethod
    def resolve_indicator(result: IndicatorResult) -> int:
        return result.indicator_id


class AgreementOut(Schema):
    id: int
    application: int
    status: str
    bounty: Decimal
    committed_total: Decimal
    released_total: Decimal
    extension_used: bool
    milestones: list[MilestoneOut]
    tranches: list[AgreementTrancheOut]
    results: list[IndicatorResultOut]

    @staticmethod
    def resolve_application(agreement: Agreement) -> int:
        return agreement.application_id

    @staticmethod
    def resolve_milestones(agreement: Agreement) -> list[Milestone]:
        return list(agreement.milestones.order_by("order", "pk"))

    @staticmethod
    def resolve_tranches(agreement: Agreement) -> list[Tranche]:
        return list(agreement.tranches.order_by("pk"))

    @staticmethod
    def resolve_results(agreement: Agreement) -> list[IndicatorResult]:
        return list(agreement.indicator_results.all())


@router.post(
    "/applications/{application_id}/agreement", response={201: AgreementOut}, auth=django_auth
)
def sign_agreement(request, application_id: int, payload: SignIn):
    """After the objection period, with every objection resolved, the operator signs the task book with the
    selected application: its milestones (each ``{"title", "due_on", "amount"}``; a milestone without an
    amount gets its tranche later) and the first tranche, paid on signing and at least the list's minimum
    share of the bounty. The tranches never exceed the bounty."""
    application = get_object_or_404(Application, pk=application_id)
    agreement = services.sign_agreement(
        request.auth,
        application,
        first_tranche=payload.first_tranche,
        milestones=[m.dict() for m in payload.milestones],
    )
    return Status(201, agreement)


@router.get("/agreements/{agreement_id}", response=AgreementOut, auth=django_auth)
def agreement_detail(request, agreement_id: int):
    """A task book, for the list's operators and the lead organisation's members (as its page)."""
    agreement = get_object_or_404(
        Agreement.objects.select_related("application", "challenge__challenge_list"),
        pk=agreement_id,
    )
    if not (
        operates(request.auth, agreement.challenge.challenge_list.region)
        or acts_for(request.auth, agreement.application.lead_id)
    ):
        raise HttpError(403, "forbidden")
    return agreement


class ExtendIn(Schema):
    due_on: PlatformDate


@router.post("/milestones/{milestone_id}/extend", response=MilestoneOut, auth=django_auth)
def extend_milestone(request, milestone_id: int, payload: ExtendIn):
    """The operator moves an unfinished milestone's due date later; a task book allows this once."""
    milestone = get_object_or_404(Milestone, pk=milestone_id)
    return services.extend_milestone(request.auth, milestone, due_on=payload.due_on)


class TrancheIn(Schema):
    milestone: RecordId
    amount: PositiveMoney


@router.post(
    "/agreements/{agreement_id}/tranches", response={201: AgreementTrancheOut}, auth=django_auth
)
def add_tranche(request, agreement_id: int, payload: TrancheIn):
    """The operator ties a further tranche to a milestone of the task book that has none, within what the
    bounty leaves."""
    agreement = get_object_or_404(Agreement, pk=agreement_id)
    milestone = get_object_or_404(Milestone, pk=payload.milestone)
    return Status(201, services.add_tranche(request.auth, agreement, milestone, payload.amount))


class MeasuredIn(Schema):
    indicator: RecordId
    measured: Decimal = Field(..., max_digits=16, decimal_places=4)


class FinalAcceptanceIn(Schema):
    results: list[MeasuredIn] = Field(..., min_length=1, max_length=50)


@router.post("/agreements/{agreement_id}/final-acceptance", response=AgreementOut, auth=django_auth)
def final_acceptance(request, agreement_id: int, payload: FinalAcceptanceIn):
    """Final acceptance (验收) once every milestone is accepted: the value measured for every indicator of
    the task (each once); the task book ends ``accepted`` when all meet their targets, else ``failed``."""
    agreement = get_object_or_404(Agreement, pk=agreement_id)
    measured = {r.indicator: r.measured for r in payload.results}
    if len(measured) != len(payload.results):
        raise Refused(_("每项指标只能填写一次实测值"), code="refused")
    return services.accept_final(request.auth, agreement, measured=measured)
