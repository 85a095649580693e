"""No back doors in the challenge cycle: the admin only reads and acts through the services, agreements
keep their history, the service holds the proposal form's rules, and races on unique rows answer with a
refusal."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse

from kechuang.accounts.factories import UserFactory
from kechuang.challenges import services
from kechuang.challenges.models import Agreement, Application, Challenge, ChallengeList, Milestone
from kechuang.challenges.tests.conftest import (
    AFTER,
    DURING,
    all_score,
    contracted,
    first_round,
    make_world,
    publish,
    snapshot,
    under_review,
)
from kechuang.core.models import AuditEntry
from kechuang.core.tests.racing import race


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_the_admin_changes_and_deletes_nothing_directly(client, world, root):
    agreement = contracted(world)
    client.force_login(root)
    before = snapshot(agreement, world.challenge_list, world.challenge)
    edit = client.post(
        reverse("admin:challenges_agreement_change", args=[agreement.pk]),
        {"bounty": "1", "status": "accepted"},
    )
    delete = client.post(
        reverse("admin:challenges_challengelist_delete", args=[world.challenge_list.pk]),
        {"post": "yes"},
    )
    assert (edit.status_code, delete.status_code) == (403, 403)
    assert snapshot(agreement, world.challenge_list, world.challenge) == before
    # the change page still shows the agreement, read-only, with its milestones and tranches
    page = client.get(reverse("admin:challenges_agreement_change", args=[agreement.pk]))
    assert page.status_code == 200 and "样机通过台架试验" in page.content.decode()


def test_an_admin_action_runs_the_service_with_its_checks_and_audit_row(client, world, root):
    publish(world)  # its window (March 2026) is over by now
    client.force_login(root)
    url = reverse("admin:challenges_challengelist_changelist")
    client.post(url, {"action": "close_selected", "_selected_action": [world.challenge_list.pk]})
    world.challenge_list.refresh_from_db()
    assert world.challenge_list.status == ChallengeList.Status.CLOSED
    entry = AuditEntry.objects.get(action="challenges.list.close")
    assert (entry.actor, entry.target_id) == (root, str(world.challenge_list.pk))
    # refused by the service (already closed): reported, nothing changed
    before = snapshot(world.challenge_list)
    response = client.post(
        url,
        {"action": "close_selected", "_selected_action": [world.challenge_list.pk]},
        follow=True,
    )
    assert "榜单不在征集中" in response.content.decode()
    assert snapshot(world.challenge_list) == before


def test_an_agreement_with_milestones_and_tranches_cannot_be_deleted(world):
    agreement = contracted(world)
    before = snapshot(agreement, *agreement.milestones.all(), *agreement.tranches.all())
    with pytest.raises(ProtectedError), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Challenge.objects.filter(pk=world.challenge.pk).delete()
    assert snapshot(agreement, *agreement.milestones.all(), *agreement.tranches.all()) == before
    assert Milestone.objects.filter(agreement=agreement).count() == 2


def test_the_service_refuses_a_completion_deadline_that_is_not_after_today(world):
    today = datetime.date(2026, 3, 15)
    count = Challenge.objects.count()
    for deadline in (today, today - datetime.timedelta(days=1)):
        with pytest.raises(services.Refused, match="完成期限必须晚于今天"):
            services.propose_challenge(
                world.operator,
                region=world.region,
                title="高效电驱动系统",
                problem="提升电驱动系统效率",
                bounty=Decimal(100),
                issuer_share=Decimal(50),
                government_share=Decimal(50),
                completion_deadline=deadline,
                indicators=[{"name": "效率", "target": 95, "unit": "%"}],
                now=DURING,
            )
    assert Challenge.objects.count() == count


# --- races on unique rows, on real PostgreSQL connections ------------------------------------------------


@pytest.fixture
def racing_world(transactional_db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("racing connections needs PostgreSQL")
    return make_world()


@pytest.mark.postgres_race
@pytest.mark.django_db(transaction=True)
def test_two_operators_selecting_different_winners_at_once_get_one_winner_and_one_refusal(
    racing_world,
):
    world = under_review(racing_world)
    review_round = first_round(world)
    services.draw_panel(world.operator, review_round, size=3, seed=1, now=AFTER)
    all_score(world, review_round)
    services.unseal_round(world.operator, review_round, now=AFTER)
    consortium, rnd = world.applications["consortium"], world.applications["rnd"]
    outcomes = race(
        lambda: services.select_application(world.operator, consortium),
        lambda: services.select_application(world.operator, rnd),
    )
    assert outcomes.count("ok") == 1 and set(outcomes) <= {"ok", "exists", "refused"}, outcomes
    assert Application.objects.filter(status=Application.Status.SELECTED).count() == 1
    assert AuditEntry.objects.filter(action="challenges.application.select").count() == 1


@pytest.mark.postgres_race
@pytest.mark.django_db(transaction=True)
def test_one_organisation_starting_two_applications_at_once_gets_one(racing_world):
    world = publish(racing_world)
    user, lead = world.users["enterprise"], world.orgs["enterprise"]
    outcomes = race(
        *[
            lambda: services.start_application(user, world.challenge, lead, now=DURING)
            for _ in range(4)
        ]
    )
    assert outcomes.count("ok") == 1 and set(outcomes) <= {"ok", "exists", "refused"}, outcomes
    assert Application.objects.filter(challenge=world.challenge, lead=lead).count() == 1
