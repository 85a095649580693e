"""Challenge API (``/api/challenges/``).

Public reads: ``GET /lists`` (published lists), ``GET /lists/{id}`` (its tasks, bounties, total and, once the
window is over, the number of applicants per task). Signed-in reads: ``GET /rounds/{id}/scores`` returns
only the scores ``Score.objects.visible_to`` lets the caller read (sealed rounds: their own). Writes go
through the services: ``POST /tranches/{id}/release`` (operators; a released tranche is never paid twice,
so repeating the request is safe and answers 409) and ``POST /applications/{id}/withdraw`` (members of the
lead organisation, until the expert review starts; a refusal answers 409 with the reason).
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from kechuang.challenges import queries, services
from kechuang.challenges.models import (
    Agreement,
    Application,
    ChallengeList,
    ReviewRound,
    Score,
    Tranche,
)

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
    return [
        {
            "application": s.application_id,
            "reviewer": s.seat.expert.name,
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
    try:
        tranche = services.release_tranche(tranche, by=request.auth)
    except PermissionDenied:
        raise HttpError(403, "forbidden") from None
    except services.ChallengeError as error:
        raise HttpError(409, str(error)) from None
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
    try:
        application = services.withdraw_application(
            application, by=request.auth, reason=payload.reason
        )
    except PermissionDenied:
        raise HttpError(403, "forbidden") from None
    except services.ChallengeError as error:
        raise HttpError(409, str(error)) from None
    return {
        "id": application.pk,
        "status": application.status,
        "withdrawn_at": application.withdrawn_at,
    }
