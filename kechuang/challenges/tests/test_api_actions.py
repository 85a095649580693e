"""The challenge actions that were only on the pages, now also in the API: proposing a task, accepting or
rejecting it into a list, drawing a panel, unsealing a round, a final round, selecting, signing the task
book, extending a milestone, adding a tranche and final acceptance. Each calls the page's service; the role
it belongs to succeeds, anyone else gets 403 (a state the action does not allow 409, input outside the
schema 422) and nothing changes."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kechuang.challenges import services
from kechuang.challenges.models import (
    Agreement,
    Application,
    Challenge,
    Milestone,
    PanelSeat,
    ReviewRound,
    Tranche,
)
from kechuang.challenges.tests.conftest import all_score, announced, first_round, under_review
from kechuang.challenges.tests.test_api_cycle import API, SECRETS, call, snapshot
from kechuang.core.models import AuditEntry


@pytest.fixture(autouse=True)
def _fresh_tokens():
    SECRETS.clear()


def _proposal(org, **changes) -> dict:
    body = {
        "proposer": org.pk,
        "title": "高效永磁同步电机控制器",
        "problem": "现有控制器效率低、温升高，需攻克宽调速范围的高效控制。",
        "bounty": "3000000",
        "issuer_share": "1000000.00",
        "government_share": 2000000,
        "completion_deadline": (timezone.localdate() + datetime.timedelta(days=400)).isoformat(),
        "indicators": [{"name": "系统效率", "comparator": "gte", "target": "95.5", "unit": "%"}],
        "eligible_kinds": ["enterprise", "university"],
    }
    return {**body, **changes}


def test_propose_then_accept_or_reject_through_the_api(world):
    enterprise, org = world.users["enterprise"], world.orgs["enterprise"]
    count = Challenge.objects.count()
    audit = AuditEntry.objects.count()
    # not a member of the proposing organisation: 403; shares that do not add up: 409; nothing created
    assert call(world.users["university"], f"{API}/tasks", _proposal(org)).status_code == 403
    response = call(enterprise, f"{API}/tasks", _proposal(org, government_share="1"))
    assert (response.status_code, response.json()["code"]) == (409, "refused")
    # a blank title or no indicator is outside the schema
    for body in (_proposal(org, title="  "), _proposal(org, indicators=[])):
        assert call(enterprise, f"{API}/tasks", body).status_code == 422
    assert Challenge.objects.count() == count
    assert AuditEntry.objects.exclude(action__startswith="accounts.token.").count() == audit

    response = call(enterprise, f"{API}/tasks", _proposal(org))
    assert response.status_code == 201, response.content
    task = Challenge.objects.get(pk=response.json()["id"])
    assert response.json() == {
        "id": task.pk,
        "title": "高效永磁同步电机控制器",
        "status": "proposed",
        "bounty": "3000000.00",
        "challenge_list": None,
        "review_note": "",
    }
    assert (task.proposer, task.region, task.proposed_by) == (org, org.region, enterprise)
    assert [(i.name, i.target, i.unit) for i in task.indicators.all()] == [
        ("系统效率", Decimal("95.5"), "%")
    ]
    assert task.eligible_kinds == ["enterprise", "university"]
    assert AuditEntry.objects.filter(action="challenges.challenge.propose").count() == 1

    accept = f"{API}/tasks/{task.pk}/accept"
    body = {"challenge_list": world.challenge_list.pk}
    before = snapshot(task)
    assert call(enterprise, accept, body).status_code == 403
    assert snapshot(task) == before
    response = call(world.operator, accept, body)
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["challenge_list"]) == (
        "accepted",
        world.challenge_list.pk,
    )
    before = snapshot(task)
    assert call(world.operator, accept, body).status_code == 409  # not proposed any more
    assert (
        call(world.operator, f"{API}/tasks/{task.pk}/reject", {"note": "重复"}).status_code == 409
    )
    assert snapshot(task) == before

    # a second proposal is declined, with the reason
    other = Challenge.objects.get(pk=call(enterprise, f"{API}/tasks", _proposal(org)).json()["id"])
    reject = f"{API}/tasks/{other.pk}/reject"
    before = snapshot(other)
    assert call(enterprise, reject, {"note": "不属于本榜单方向"}).status_code == 403
    assert call(world.operator, reject, {"note": " "}).status_code == 422
    assert snapshot(other) == before
    response = call(world.operator, reject, {"note": "不属于本榜单方向"})
    assert response.json()["status"] == "rejected"
    assert response.json()["review_note"] == "不属于本榜单方向"


def test_panel_unseal_final_round_and_select_through_the_api(world):
    under_review(world)
    review_round = first_round(world)
    consortium, rnd = world.applications["consortium"], world.applications["rnd"]
    panel = f"{API}/rounds/{review_round.pk}/panel"
    before = snapshot(review_round)
    assert call(world.users["university"], panel, {"size": 3}).status_code == 403
    assert call(world.operator, panel, {"size": 0}).status_code == 422
    assert snapshot(review_round) == before and not review_round.seats.exists()
    response = call(world.operator, panel, {"size": 3})
    assert response.status_code == 201, response.content
    seats = sorted(review_round.seats.values_list("pk", flat=True))
    assert len(seats) == 3 and response.json()["seats"] == seats
    assert response.json()["applications"] == sorted([consortium.pk, rnd.pk])
    assert call(world.operator, panel, {"size": 3}).status_code == 409  # drawn once
    assert review_round.seats.count() == 3

    unseal = f"{API}/rounds/{review_round.pk}/unseal"
    before = snapshot(review_round)
    assert call(world.operator, unseal).status_code == 409  # nobody has scored yet
    assert snapshot(review_round) == before
    all_score(world, review_round, {consortium.pk: 90, rnd.pk: 70})
    before = snapshot(review_round)
    assert call(world.users["university"], unseal).status_code == 403
    assert snapshot(review_round) == before
    assert call(world.operator, unseal).json()["status"] == ReviewRound.Status.UNSEALED

    final = f"{API}/rounds/{review_round.pk}/final"
    body = {"applications": [consortium.pk]}
    assert call(world.users["university"], final, body).status_code == 403
    assert call(world.operator, final, {"applications": [2**40]}).status_code == 404
    assert not ReviewRound.objects.filter(number=2).exists()
    response = call(world.operator, final, body)
    assert response.status_code == 201, response.content
    final_round = ReviewRound.objects.get(pk=response.json()["id"])
    assert (final_round.number, response.json()["applications"]) == (2, [consortium.pk])
    consortium.refresh_from_db()
    assert consortium.status == Application.Status.SHORTLISTED

    # the winner comes from the last round, once it is unsealed
    select = f"{API}/applications/{consortium.pk}/select"
    before = snapshot(consortium, rnd)
    assert call(world.operator, select).status_code == 409  # the final round is still sealed
    services.draw_panel(world.operator, final_round, size=2, seed=1)
    all_score(world, final_round)
    services.unseal_round(world.operator, final_round)
    before = snapshot(consortium, rnd)
    assert call(world.users["university"], select).status_code == 403
    assert call(world.operator, f"{API}/applications/{rnd.pk}/select").status_code == 409
    assert snapshot(consortium, rnd) == before
    response = call(world.operator, select)
    assert response.json() == {"id": consortium.pk, "status": Application.Status.SELECTED}


def _sign_body(first="3000000", **changes):
    return {
        "first_tranche": first,
        "milestones": [
            {"title": "样机通过台架试验", "due_on": "2027-06-30", "amount": "1000000"},
            {"title": "装车验证", "due_on": "2028-06-30"},
        ],
        **changes,
    }


def test_signing_and_the_task_book_through_the_api(world):
    announced(world)  # the objection period ended in April 2026
    consortium = world.applications["consortium"]
    sign = f"{API}/applications/{consortium.pk}/agreement"
    before = snapshot(consortium)
    assert call(world.users["university"], sign, _sign_body()).status_code == 403
    response = call(world.operator, sign, _sign_body(first="100"))  # below 60 % of the bounty
    assert (response.status_code, response.json()["code"]) == (409, "refused")
    assert call(world.operator, sign, _sign_body(milestones=[])).status_code == 422
    assert call(world.operator, sign, _sign_body(first=1.5)).status_code == 422  # a binary fraction
    assert snapshot(consortium) == before and not Agreement.objects.exists()
    response = call(world.operator, sign, _sign_body())
    assert response.status_code == 201, response.content
    agreement = Agreement.objects.get(pk=response.json()["id"])
    data = response.json()
    assert (data["status"], data["committed_total"], data["released_total"]) == (
        "active",
        "4000000.00",
        "3000000.00",
    )
    first, second = agreement.milestones.order_by("order")
    assert [m["id"] for m in data["milestones"]] == [first.pk, second.pk]
    assert [(t["milestone"], t["amount"], t["status"]) for t in data["tranches"]] == [
        (None, "3000000.00", "released"),
        (first.pk, "1000000.00", "planned"),
    ]
    assert call(world.operator, sign, _sign_body()).status_code == 409  # signed once

    # the lead reads it; a consortium member that does not lead does not
    read = f"{API}/agreements/{agreement.pk}"
    assert read_as(world.users["university"], read).status_code == 200
    assert read_as(world.users["enterprise"], read).status_code == 403

    # a further tranche for the second milestone, within what the bounty leaves
    tranches = f"{API}/agreements/{agreement.pk}/tranches"
    before = snapshot(agreement)
    assert (
        call(world.users["university"], tranches, {"milestone": second.pk, "amount": "1000000"})
    ).status_code == 403
    assert (
        call(world.operator, tranches, {"milestone": second.pk, "amount": "2000000"})
    ).status_code == 409  # beyond the bounty
    assert (
        call(world.operator, tranches, {"milestone": first.pk, "amount": "100"})
    ).status_code == 409  # it has one
    assert snapshot(agreement) == before and agreement.tranches.count() == 2
    response = call(world.operator, tranches, {"milestone": second.pk, "amount": "1000000"})
    assert response.status_code == 201, response.content
    assert Tranche.objects.get(pk=response.json()["id"]).milestone == second

    # one extension per task book, to a later date
    extend = f"{API}/milestones/{second.pk}/extend"
    before = snapshot(second, agreement)
    assert call(world.users["university"], extend, {"due_on": "2028-12-31"}).status_code == 403
    assert call(world.operator, extend, {"due_on": "2028-01-01"}).status_code == 409
    assert call(world.operator, extend, {"due_on": "0001-01-01"}).status_code == 422
    assert snapshot(second, agreement) == before
    response = call(world.operator, extend, {"due_on": "2028-12-31"})
    assert (response.json()["due_on"], response.json()["extended_from"]) == (
        "2028-12-31",
        "2028-06-30",
    )
    before = snapshot(first, agreement)
    assert (
        call(
            world.operator, f"{API}/milestones/{first.pk}/extend", {"due_on": "2027-12-31"}
        ).status_code
        == 409
    )
    assert snapshot(first, agreement) == before

    # final acceptance: every milestone accepted first, every indicator measured once
    indicator = world.challenge.indicators.get()
    final = f"{API}/agreements/{agreement.pk}/final-acceptance"
    body = {"results": [{"indicator": indicator.pk, "measured": "320"}]}
    before = snapshot(agreement)
    assert call(world.operator, final, body).status_code == 409  # milestones outstanding
    for milestone in (first, second):
        services.submit_milestone(world.users["university"], milestone, evidence="试验报告")
        services.review_milestone(world.operator, milestone, accepted=True)
    before = snapshot(agreement)
    assert call(world.users["university"], final, body).status_code == 403
    twice = {"results": body["results"] * 2}
    assert call(world.operator, final, twice).status_code == 409
    assert snapshot(agreement) == before
    response = call(world.operator, final, body)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Agreement.Status.ACCEPTED
    assert response.json()["results"] == [
        {"indicator": indicator.pk, "measured": "320.0000", "met": True}
    ]
    assert AuditEntry.objects.filter(action="challenges.agreement.accept").count() == 1
    assert Milestone.objects.filter(agreement=agreement, status="accepted").count() == 2
    assert PanelSeat.objects.exists()


def read_as(user, url):
    from django.test import Client

    from kechuang.accounts.services import create_api_token

    _t, secret = create_api_token(user, name="read", scopes=["challenges:read"])
    return Client().get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
