"""Who is told about each event of the cycle: exactly the people it concerns, with a link each of them
can open, and nobody when the change is rolled back.

Every step runs inside ``django_capture_on_commit_callbacks(execute=True)``: notifications are delivered
after commit, which the test transaction otherwise never reaches.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from kechuang.challenges import services
from kechuang.challenges.factories import member_of, operator_for, organization_in
from kechuang.challenges.models import Challenge
from kechuang.challenges.tests.conftest import (
    AFTER,
    ANNOUNCED,
    DURING,
    OBJECTIONS_OVER,
    all_score,
    announced,
    complete_alone,
    contracted,
    first_round,
    publish,
    two_submitted,
    under_review,
)
from kechuang.core.factories import RegionFactory
from kechuang.directory.models import Organization
from kechuang.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(world):
    """The world with a proposing department (出题单位) for the task and, to prove they are left out,
    an operator of another region."""
    department = organization_in(world.region, kind=Organization.Kind.ENTERPRISE, name="瑞立集团")
    Challenge.objects.filter(pk=world.challenge.pk).update(proposer=department)
    world.users["department"] = member_of(department)
    world.users["stranger_operator"] = operator_for(RegionFactory(code="310114", name="嘉定区"))
    return world.refresh()


def told(event: str) -> dict:
    """recipient → url of the notifications of ``event``."""
    return {n.recipient: n.url for n in Notification.objects.filter(event=event)}


def users(world, *keys) -> set:
    return {world.users[k] for k in keys}


CONSORTIUM = ("university", "institute", "enterprise")


def test_submission_tells_the_applicants_and_the_list_operators(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        two_submitted(cast)
    received = told("challenges.application.received")
    assert set(received) == users(cast, *CONSORTIUM, "rnd") | {cast.operator}
    consortium = cast.applications["consortium"]
    assert received[cast.users["institute"]] == consortium.get_absolute_url()
    assert received[cast.operator] == f"/challenges/manage/lists/{cast.challenge_list.pk}/"
    # Each applicant is told once; the operator once per application.
    assert Notification.objects.filter(recipient=cast.operator).count() == 2


def test_formal_failure_returns_only_that_application(cast, django_capture_on_commit_callbacks):
    two_submitted(cast)
    services.close_list(cast.operator, cast.challenge_list, now=AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        services.formal_check(cast.operator, cast.applications["consortium"], passed=True)
        services.formal_check(
            cast.operator, cast.applications["rnd"], passed=False, note="缺少承诺书盖章"
        )
    returned = Notification.objects.get(event="challenges.application.returned")
    assert returned.recipient == cast.users["rnd"]
    assert (returned.body, returned.url) == (
        "缺少承诺书盖章",
        cast.applications["rnd"].get_absolute_url(),
    )


def test_review_assigned_sealed_and_opened(cast, django_capture_on_commit_callbacks):
    under_review(cast)
    review_round = first_round(cast)
    with django_capture_on_commit_callbacks(execute=True):
        seats = services.draw_panel(cast.operator, review_round, size=2, seed=1, now=AFTER)
    drawn = {seat.expert.user for seat in seats}
    assert set(told("challenges.review.assigned")) == drawn
    assert set(told("challenges.review.assigned").values()) == {"/challenges/review/"}

    first_seat, last_seat = seats
    criteria = list(cast.challenge_list.criteria.all())
    marks = {c.pk: Decimal(80) for c in criteria}
    with django_capture_on_commit_callbacks(execute=True):
        for seat in (first_seat, last_seat):
            for application in review_round.applications.all():
                if (seat, application) != (last_seat, cast.applications["rnd"]):
                    services.submit_score(seat.expert.user, seat, application, marks=marks)
    assert told("challenges.scores.sealed") == {}  # one score still missing
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_score(
            last_seat.expert.user, last_seat, cast.applications["rnd"], marks=marks
        )
    assert told("challenges.scores.sealed") == {
        cast.operator: f"/challenges/manage/lists/{cast.challenge_list.pk}/#round-{review_round.pk}"
    }

    with django_capture_on_commit_callbacks(execute=True):
        services.unseal_round(cast.operator, review_round, now=AFTER)
    opened = told("challenges.scores.opened")
    assert set(opened) == drawn | users(cast, *CONSORTIUM, "rnd")
    assert opened[cast.users["rnd"]] == cast.applications["rnd"].get_absolute_url()
    assert opened[last_seat.expert.user] == "/challenges/review/"


def test_last_reviewer_recusing_completes_the_round(cast, django_capture_on_commit_callbacks):
    under_review(cast)
    review_round = first_round(cast)
    scorer, recuser = services.draw_panel(cast.operator, review_round, size=2, seed=1, now=AFTER)
    criteria = list(cast.challenge_list.criteria.all())
    for application in review_round.applications.all():
        services.submit_score(
            scorer.expert.user,
            scorer,
            application,
            marks={c.pk: Decimal(70) for c in criteria},
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.declare_conflict(recuser.expert.user, recuser, detail="曾指导申请单位学生")
    assert set(told("challenges.scores.sealed")) == {cast.operator}


def test_shortlist_then_announcement_winner_loser_and_department(
    cast, django_capture_on_commit_callbacks
):
    under_review(cast)
    review_round = first_round(cast)
    services.draw_panel(cast.operator, review_round, size=3, seed=1, now=AFTER)
    all_score(cast, review_round)
    services.unseal_round(cast.operator, review_round, now=AFTER)
    consortium = cast.applications["consortium"]
    with django_capture_on_commit_callbacks(execute=True):
        final = services.start_final_round(cast.operator, review_round, [consortium])
    assert set(told("challenges.application.shortlisted")) == users(cast, *CONSORTIUM)

    services.draw_panel(cast.operator, final, size=3, seed=2, now=AFTER)
    all_score(cast, final)
    services.unseal_round(cast.operator, final, now=AFTER)
    services.select_application(cast.operator, consortium)
    with django_capture_on_commit_callbacks(execute=True):
        services.announce_list(cast.operator, cast.challenge_list, now=ANNOUNCED)
    announced_to = told("challenges.list.announced")
    assert set(announced_to) == users(cast, *CONSORTIUM, "department")
    assert announced_to[cast.users["department"]] == cast.challenge_list.get_absolute_url()
    assert announced_to[cast.users["university"]] == consortium.get_absolute_url()
    assert set(told("challenges.application.rejected")) == users(cast, "rnd")
    body = Notification.objects.get(
        event="challenges.list.announced", recipient=cast.users["department"]
    ).body
    assert "2026-04-27 10:00" in body  # the objection period's end, in Beijing time


def test_objection_filed_and_resolved(cast, django_capture_on_commit_callbacks):
    announced(cast)
    consortium = cast.applications["consortium"]
    objector = member_of(organization_in(cast.region, kind=Organization.Kind.ENTERPRISE))
    with django_capture_on_commit_callbacks(execute=True):
        objection = services.file_objection(
            objector, consortium, text="团队成员资质存疑", now=ANNOUNCED
        )
    assert set(told("challenges.objection.filed")) == users(cast, *CONSORTIUM) | {cast.operator}
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve_objection(
            cast.operator, objection, upheld=True, resolution="经核实资质不符"
        )
    assert told("challenges.objection.resolved") == {
        objector: cast.challenge_list.get_absolute_url()
    }
    revoked = told("challenges.application.rejected")
    assert set(revoked) == users(cast, *CONSORTIUM)
    assert Notification.objects.filter(body="经核实资质不符\n入选资格已撤销。").count() == 3


def test_tranches_released_on_signing_and_by_milestone(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agreement = contracted(cast)
    released = told("challenges.tranche.released")
    consortium = cast.applications["consortium"]
    assert released == {
        cast.users["university"]: agreement.get_absolute_url(),
        cast.users["institute"]: consortium.get_absolute_url(),
        cast.users["enterprise"]: consortium.get_absolute_url(),
        cast.users["department"]: cast.challenge.get_absolute_url(),
    }
    milestone = agreement.milestones.get(order=1)
    services.submit_milestone(cast.users["university"], milestone, evidence="台架试验报告")
    services.review_milestone(cast.operator, milestone, accepted=True)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.release_tranche(cast.operator, milestone.tranche, now=OBJECTIONS_OVER)
    assert set(told("challenges.tranche.released")) == set(released)
    note = Notification.objects.get(recipient=cast.users["department"])
    assert "本次拨付 1000000.00 元，累计已拨付 4000000.00 元" in note.body


def test_every_link_opens_for_its_recipient(cast, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agreement = contracted(cast)
        milestone = agreement.milestones.get(order=1)
        services.submit_milestone(cast.users["university"], milestone, evidence="报告")
        services.review_milestone(cast.operator, milestone, accepted=True)
        services.release_tranche(cast.operator, milestone.tranche, now=OBJECTIONS_OVER)
    events = set(Notification.objects.values_list("event", flat=True))
    assert events == {
        "challenges.application.received",
        "challenges.review.assigned",
        "challenges.scores.sealed",
        "challenges.scores.opened",
        "challenges.list.announced",
        "challenges.application.rejected",
        "challenges.tranche.released",
        "contracts.contract.submitted",  # the task book's contract awaits registration
    }
    for note in Notification.objects.select_related("recipient"):
        client.force_login(note.recipient)
        assert client.get(note.url.partition("#")[0]).status_code == 200, (note.event, note.url)


def test_nothing_is_sent_for_a_rolled_back_or_refused_change(
    cast, django_capture_on_commit_callbacks
):
    publish(cast)
    application = complete_alone(cast, "enterprise")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.submit_application(cast.users["enterprise"], application, now=DURING)
            raise RuntimeError("the surrounding change fails")
        late = datetime.datetime(2026, 4, 1, 0, 0, tzinfo=DURING.tzinfo)
        with pytest.raises(services.Refused):
            services.submit_application(cast.users["enterprise"], application, now=late)
    application.refresh_from_db()
    assert application.status == "draft"
    assert Notification.objects.count() == 0
