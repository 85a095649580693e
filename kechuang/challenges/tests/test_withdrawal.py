"""Withdrawing an application (撤回): by the lead until the expert review starts, with the organisations
freed, the consortium told, and every other case refused with nothing changed."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kechuang.challenges import queries, services
from kechuang.challenges.models import Application, ConsortiumMember
from kechuang.challenges.tests.conftest import (
    AFTER,
    DURING,
    announced,
    assert_refused,
    complete_consortium,
    contracted,
    publish,
    two_submitted,
    under_review,
)
from kechuang.core.models import AuditEntry
from kechuang.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_lead_withdraws_a_submitted_consortium_application(
    world, django_capture_on_commit_callbacks
):
    two_submitted(world)
    consortium = world.applications["consortium"]
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_application(
            world.users["university"], consortium, reason="合作方案调整", now=DURING
        )
    consortium.refresh_from_db()
    assert (consortium.status, consortium.withdrawn_at, consortium.withdrawal_reason) == (
        "withdrawn",
        DURING,
        "合作方案调整",
    )
    assert set(consortium.members.values_list("withdrawn", flat=True)) == {True}
    entry = AuditEntry.objects.filter(action="challenges.application.withdraw").get()
    assert entry.target_id == str(consortium.pk)
    # The other consortium members and the list's operator are told; the lead and the competitor not.
    told = {
        n.recipient: n.url
        for n in Notification.objects.filter(event="challenges.application.withdrawn")
    }
    assert told == {
        world.users["institute"]: consortium.get_absolute_url(),
        world.users["enterprise"]: consortium.get_absolute_url(),
        world.operator: f"/challenges/manage/lists/{world.challenge_list.pk}/",
    }
    # It no longer counts as taking the task.
    assert queries.list_tasks(world.challenge_list).get().applicant_count == 1


def test_withdrawing_a_draft_tells_the_members_but_not_the_operators(
    world, django_capture_on_commit_callbacks
):
    publish(world)
    draft = complete_consortium(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_application(world.users["university"], draft, now=DURING)
    assert set(
        Notification.objects.filter(event="challenges.application.withdrawn").values_list(
            "recipient", flat=True
        )
    ) == {world.users["institute"].pk, world.users["enterprise"].pk}


def test_withdrawn_organisations_may_apply_again_within_the_window(world):
    two_submitted(world)
    consortium = world.applications["consortium"]
    services.withdraw_application(world.users["university"], consortium, now=DURING)
    again = services.start_application(
        world.users["university"], world.challenge, world.orgs["university"], now=DURING
    )
    alone = services.start_application(
        world.users["institute"], world.challenge, world.orgs["institute"], now=DURING
    )
    assert {again.status, alone.status} == {"draft"}
    live = ConsortiumMember.objects.filter(challenge=world.challenge, withdrawn=False)
    assert sorted(live.values_list("organization__name", flat=True)) == [
        "瑞安institute单位",
        "瑞安university单位",
        "瑞安新型研发机构",
    ]


def test_withdrawal_after_the_deadline_until_the_review_starts(world):
    two_submitted(world)
    services.close_list(world.operator, world.challenge_list, now=AFTER)
    rnd = world.applications["rnd"]
    services.formal_check(world.operator, rnd, passed=True)
    services.withdraw_application(world.users["rnd"], rnd, now=AFTER)
    rnd.refresh_from_db()
    assert rnd.status == "withdrawn"
    # A withdrawn application is not checked, and the review starts without it.
    services.formal_check(world.operator, world.applications["consortium"], passed=True)
    services.start_review(world.operator, world.challenge_list)
    assert list(world.challenge.rounds.get().applications.all()) == [
        world.applications["consortium"]
    ]


def test_forbidden_withdrawals(world):
    two_submitted(world)
    consortium, rnd = world.applications["consortium"], world.applications["rnd"]
    # Only the lead organisation withdraws: not a member, not the competitor, not the operator.
    for outsider in (world.users["institute"], world.users["rnd"], world.operator):
        assert_refused(
            lambda by=outsider: services.withdraw_application(by, consortium, now=DURING),
            consortium,
            error=PermissionDenied,
        )
    services.withdraw_application(world.users["rnd"], rnd, now=DURING)
    with pytest.raises(services.Refused, match="申请当前状态为“已撤回”，不能撤回"):
        services.withdraw_application(world.users["rnd"], rnd, now=DURING)
    # A formally failed application is already out.
    services.close_list(world.operator, world.challenge_list, now=AFTER)
    services.formal_check(world.operator, consortium, passed=False, note="预算不符")
    with pytest.raises(services.Refused, match="形式审查未通过"):
        services.withdraw_application(world.users["university"], consortium, now=AFTER)
    consortium.refresh_from_db()
    assert consortium.status == "formal_failed"


@pytest.mark.parametrize(
    "stage, key",
    [
        (under_review, "consortium"),
        (announced, "consortium"),  # selected
        (announced, "rnd"),  # not selected
        (contracted, "consortium"),
    ],
)
def test_withdrawal_refused_once_the_review_started(world, stage, key):
    stage(world)
    application = Application.objects.get(pk=world.applications[key].pk)
    assert_refused(
        lambda: services.withdraw_application(application.created_by, application, now=AFTER),
        application,
        *application.members.all(),
    )
    with pytest.raises(services.Refused, match="专家评审已开始，申请不能再撤回"):
        services.withdraw_application(application.created_by, application, now=AFTER)


def test_withdraw_through_the_page_and_the_api(world, client):
    two_submitted(world)
    consortium, rnd = world.applications["consortium"], world.applications["rnd"]
    client.force_login(world.users["institute"])
    assert 'id="withdraw-form"' not in client.get(consortium.get_absolute_url()).content.decode()
    assert client.post(f"/challenges/applications/{consortium.pk}/withdraw/").status_code == 403
    client.force_login(world.users["university"])
    page = client.get(consortium.get_absolute_url()).content.decode()
    assert 'id="withdraw-form"' in page
    response = client.post(
        f"/challenges/applications/{consortium.pk}/withdraw/", {"reason": "方案调整"}, follow=True
    )
    page = response.content.decode()
    assert '<span class="badge" id="application-status">已撤回</span>' in page
    assert "方案调整" in page and 'id="withdraw-form"' not in page

    url = f"/api/challenges/applications/{rnd.pk}/withdraw"
    forbidden = client.post(url, {}, content_type="application/json")
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden" and forbidden.json()["errors"] == []
    client.force_login(world.users["rnd"])
    for bad in ({"reason": "\x00"}, {"reason": "字" * 301}, {"reason": 5}):
        invalid = client.post(url, bad, content_type="application/json")
        assert invalid.status_code == 422 and invalid.json()["code"] == "invalid"
        assert [error["loc"] for error in invalid.json()["errors"]] == [
            ["body", "payload", "reason"]
        ]
    rnd.refresh_from_db()
    assert rnd.status == "submitted"
    first = client.post(url, {"reason": "另有安排"}, content_type="application/json")
    assert first.status_code == 200
    assert first.json()["status"] == "withdrawn" and first.json()["withdrawn_at"]
    again = client.post(url, {}, content_type="application/json")
    assert again.status_code == 409 and "不能撤回" in again.json()["detail"]
    assert again.json()["errors"] == []
    rnd.refresh_from_db()
    assert (rnd.status, rnd.withdrawal_reason) == ("withdrawn", "另有安排")
    assert Decimal(rnd.budget_total) == Decimal("4000000")
    assert Application.objects.filter(status="withdrawn").count() == 2
