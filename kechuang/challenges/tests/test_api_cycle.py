"""The challenge cycle through the API: each action calls the page's service; the role it belongs to
succeeds, anyone else gets 403 (or 409 for a state the action does not allow) and nothing changes.
Callers use API tokens with the ``challenges:write`` scope, as an integrator would."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from kechuang.accounts.services import create_api_token
from kechuang.challenges import services
from kechuang.challenges.models import (
    Application,
    ChallengeList,
    ConsortiumMember,
    Milestone,
    Objection,
    PanelSeat,
    Score,
)
from kechuang.challenges.tests.conftest import (
    AFTER,
    DURING,
    announced,
    contracted,
    first_round,
    publish,
    two_submitted,
    under_review,
)
from kechuang.challenges.tests.conftest import snapshot as stored
from kechuang.core.models import AuditEntry

API = "/api/challenges"


SECRETS: dict[int, str] = {}


def snapshot(*objs):
    """The stored rows and the audit log's length, leaving out the callers' token creations."""
    rows, _count = stored(*objs)
    return rows, AuditEntry.objects.exclude(action__startswith="accounts.token.").count()


@pytest.fixture(autouse=True)
def _fresh_tokens():
    SECRETS.clear()


def call(user, url, body=None):
    """POST as ``user`` through their API token (made once per test, before any snapshot is compared:
    creating a token writes an audit row)."""
    if user.pk not in SECRETS:
        SECRETS[user.pk] = create_api_token(user, name="test", scopes=["challenges:write"])[1]
    secret = SECRETS[user.pk]
    return Client().post(
        url,
        body or {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def refused(response, status, *objs_before):
    assert response.status_code == status, response.content
    assert set(response.json()) == {"code", "detail", "errors"}


def test_consortium_member_confirms_through_the_api(world):
    publish(world)
    lead_user, lead = world.users["university"], world.orgs["university"]
    application = services.start_application(
        lead_user, world.challenge, lead, mode=Application.Mode.CONSORTIUM, now=DURING
    )
    services.save_member(
        lead_user,
        application,
        world.orgs["institute"],
        work_share=Decimal("30"),
        budget_share=Decimal("1000000"),
        now=DURING,
    )
    member = ConsortiumMember.objects.get(
        application=application, organization=world.orgs["institute"]
    )
    for outsider in (world.users["enterprise"], lead_user, world.operator):
        before = snapshot(member)
        response = call(outsider, f"{API}/members/{member.pk}/confirm")
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "forbidden"
        assert snapshot(member) == before
    response = call(world.users["institute"], f"{API}/members/{member.pk}/confirm")
    assert response.status_code == 200, response.content
    assert response.json()["application"] == application.pk
    member.refresh_from_db()
    assert member.confirmed_by == world.users["institute"]
    # twice: 409, nothing changed
    before = snapshot(member)
    response = call(world.users["institute"], f"{API}/members/{member.pk}/confirm")
    assert (response.status_code, response.json()["code"]) == (409, "refused")
    assert snapshot(member) == before


def test_list_actions_and_formal_check(world):
    two_submitted(world)
    # only the region's operator closes the list; the window (March 2026) is over by now
    url = f"{API}/lists/{world.challenge_list.pk}/close"
    before = snapshot(world.challenge_list)
    assert call(world.users["enterprise"], url).status_code == 403
    assert snapshot(world.challenge_list) == before
    response = call(world.operator, url)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == ChallengeList.Status.CLOSED
    # start-review is refused while applications wait for the formal check
    before = snapshot(world.challenge_list)
    response = call(world.operator, f"{API}/lists/{world.challenge_list.pk}/start-review")
    assert response.status_code == 409
    assert snapshot(world.challenge_list) == before

    consortium, rnd = world.applications["consortium"], world.applications["rnd"]
    before = snapshot(consortium)
    response = call(
        world.users["university"],
        f"{API}/applications/{consortium.pk}/formal-check",
        {"passed": True},
    )
    assert response.status_code == 403
    assert snapshot(consortium) == before
    # a failure needs a reason (409), then passes with one
    response = call(world.operator, f"{API}/applications/{rnd.pk}/formal-check", {"passed": False})
    assert response.status_code == 409
    response = call(
        world.operator,
        f"{API}/applications/{rnd.pk}/formal-check",
        {"passed": False, "note": "缺少资质证明"},
    )
    assert response.json() == {
        "id": rnd.pk,
        "status": Application.Status.FORMAL_FAILED,
        "formal_note": "缺少资质证明",
    }
    response = call(
        world.operator, f"{API}/applications/{consortium.pk}/formal-check", {"passed": True}
    )
    assert response.json()["status"] == Application.Status.FORMAL_PASSED
    response = call(world.operator, f"{API}/lists/{world.challenge_list.pk}/start-review")
    assert response.json()["status"] == ChallengeList.Status.REVIEWING
    # an unknown action is a 422 naming the choices
    response = call(world.operator, f"{API}/lists/{world.challenge_list.pk}/explode")
    assert response.status_code == 422


def test_reviewers_score_and_recuse_through_the_api(world):
    under_review(world)
    review_round = first_round(world)
    services.draw_panel(world.operator, review_round, size=3, seed=1, now=AFTER)
    seats = list(review_round.seats.filter(status=PanelSeat.Status.ACTIVE).select_related("expert"))
    criteria = list(world.challenge_list.criteria.all())
    application = world.applications["consortium"]
    marks = [{"criterion": c.pk, "mark": "85"} for c in criteria]
    body = {"application": application.pk, "marks": marks, "comment": "路线可行"}

    first, second = seats[0], seats[1]
    token_client_seats = Client()
    _t, secret = create_api_token(first.expert.user, name="t", scopes=["challenges:read"])
    listed = token_client_seats.get(f"{API}/seats", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert [s["id"] for s in listed] == [first.pk]
    assert listed[0]["criteria"] == {str(c.pk): c.name for c in criteria}

    # another reviewer, the applicant and the operator may not score this seat
    for other in (second.expert.user, world.users["university"], world.operator):
        response = call(other, f"{API}/seats/{first.pk}/scores", body)
        assert response.status_code == 403, response.content
    assert Score.objects.count() == 0
    response = call(first.expert.user, f"{API}/seats/{first.pk}/scores", body)
    assert response.status_code == 201, response.content
    assert Decimal(response.json()["total"]) == Decimal("85.00")
    # once only
    response = call(first.expert.user, f"{API}/seats/{first.pk}/scores", body)
    assert response.status_code == 409
    assert Score.objects.count() == 1

    # recusal: the seat's expert only, with a reason
    before = snapshot(second)
    response = call(first.expert.user, f"{API}/seats/{second.pk}/recuse", {"detail": "同事"})
    assert response.status_code == 403
    assert snapshot(second) == before
    response = call(second.expert.user, f"{API}/seats/{second.pk}/recuse", {"detail": "曾合作"})
    assert response.json() == {"id": second.pk, "status": PanelSeat.Status.RECUSED}


def test_objections_during_the_announcement(world):
    announced(world)
    consortium = world.applications["consortium"]
    # the 公示 of the shared world ended in April 2026; keep it open for this test
    ChallengeList.objects.filter(pk=world.challenge_list.pk).update(
        objection_ends_at=timezone.now() + datetime.timedelta(days=3)
    )
    anonymous = Client().post(
        f"{API}/applications/{consortium.pk}/objections",
        {"text": "业绩不实"},
        content_type="application/json",
    )
    assert anonymous.status_code == 401
    response = call(
        world.users["enterprise"],
        f"{API}/applications/{consortium.pk}/objections",
        {"text": "业绩不实"},
    )
    assert response.status_code == 201, response.content
    objection = Objection.objects.get(pk=response.json()["id"])
    assert (objection.filed_by, objection.status) == (world.users["enterprise"], "open")

    url = f"{API}/objections/{objection.pk}/resolve"
    body = {"upheld": False, "resolution": "经核实，业绩属实"}
    for other in (world.users["enterprise"], world.users["university"], world.reviewers[0].user):
        before = snapshot(objection, consortium)
        assert call(other, url, body).status_code == 403
        assert snapshot(objection, consortium) == before
    response = call(world.operator, url, body)
    assert response.json()["status"] == Objection.Status.DISMISSED
    consortium.refresh_from_db()
    assert consortium.status == Application.Status.SELECTED
    assert call(world.operator, url, body).status_code == 409


def test_milestones_through_the_api(world):
    agreement = contracted(world)
    milestone = agreement.milestones.order_by("pk").first()
    url = f"{API}/milestones/{milestone.pk}/evidence"
    body = {"evidence": "台架试验报告编号 T-2027-01"}
    for other in (world.users["enterprise"], world.operator):  # the enterprise is only a member
        before = snapshot(milestone)
        assert call(other, url, body).status_code == 403
        assert snapshot(milestone) == before
    response = call(world.users["university"], url, body)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Milestone.Status.SUBMITTED

    review = f"{API}/milestones/{milestone.pk}/review"
    before = snapshot(milestone)
    assert call(world.users["university"], review, {"accepted": True}).status_code == 403
    assert call(world.operator, review, {"accepted": False}).status_code == 409  # no reason
    assert snapshot(milestone) == before
    response = call(world.operator, review, {"accepted": True})
    assert response.json()["status"] == Milestone.Status.ACCEPTED
    assert AuditEntry.objects.filter(action="challenges.milestone.review").count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/members/1/confirm",
        "/applications/1/formal-check",
        "/lists/1/close",
        "/seats/1/scores",
        "/seats/1/recuse",
        "/applications/1/objections",
        "/objections/1/resolve",
        "/milestones/1/evidence",
        "/milestones/1/review",
    ],
)
def test_a_read_token_writes_nothing(world, path):
    _t, secret = create_api_token(world.operator, name="r", scopes=["challenges:read"])
    response = Client().post(
        API + path, {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
