"""Each conflict-of-interest reason excludes a reviewer from the panel, with the reason recorded."""

import datetime

import pytest

from kechuang.accounts.factories import UserFactory
from kechuang.challenges import conflicts, services
from kechuang.challenges.models import ConflictRecord, PanelSeat
from kechuang.challenges.tests.conftest import AFTER, first_round, under_review
from kechuang.directory.factories import (
    AchievementFactory,
    ExpertFactory,
    ExpertWorkFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db


def _reasons(review_round, expert):
    return sorted(
        ConflictRecord.objects.filter(round=review_round, expert=expert).values_list(
            "reason", flat=True
        )
    )


def _draw(world):
    review_round = first_round(world)
    services.draw_panel(world.operator, review_round, size=10, seed=1, now=AFTER)
    return review_round


def _reviewer(world, **kwargs):
    """A fourth expert in the task's field (by default at an unrelated university)."""
    kwargs.setdefault("affiliation", OrganizationFactory(region=world.region, kind="university"))
    expert = ExpertFactory(region=world.region, user=UserFactory(), **kwargs)
    expert.fields.add(world.field)
    return expert


def test_same_affiliation_excluded(world):
    under_review(world)
    insider = _reviewer(world, affiliation=world.orgs["institute"])
    review_round = _draw(world)
    assert _reasons(review_round, insider) == ["affiliation"]
    assert not PanelSeat.objects.filter(round=review_round, expert=insider).exists()
    assert PanelSeat.objects.filter(round=review_round).count() == 3


def test_shared_recent_paper_excluded_old_paper_not(world):
    under_review(world)
    colleague = ExpertFactory(affiliation=world.orgs["rnd"], region=world.region)
    coauthor = _reviewer(world)
    ExpertWorkFactory(expert=colleague, title="电控气源系统能效优化", year=2024)
    ExpertWorkFactory(expert=coauthor, title="电控气源系统能效优化", year=2024)
    old = _reviewer(world)
    ExpertWorkFactory(expert=colleague, title="早年合作论文", year=2015)
    ExpertWorkFactory(expert=old, title="早年合作论文", year=2015)
    review_round = _draw(world)
    assert _reasons(review_round, coauthor) == ["paper"]
    assert _reasons(review_round, old) == []
    assert PanelSeat.objects.filter(round=review_round, expert=old).exists()


def test_shared_patent_excluded_by_work_and_by_inventorship(world):
    under_review(world)
    colleague = ExpertFactory(affiliation=world.orgs["university"], region=world.region)
    by_work = _reviewer(world)
    ExpertWorkFactory(
        expert=colleague,
        kind="patent",
        title="一种气源装置",
        reference="ZL202310000001.X",
        year=2023,
    )
    ExpertWorkFactory(
        expert=by_work,
        kind="patent",
        title="一种气源装置(共同发明)",
        reference="ZL202310000001.X",
        year=2023,
    )
    inventor = _reviewer(world)
    patent = AchievementFactory(owner=world.orgs["enterprise"], region=world.region)
    patent.inventors.add(inventor)
    review_round = _draw(world)
    assert _reasons(review_round, by_work) == ["patent"]
    assert _reasons(review_round, inventor) == ["patent"]
    record = ConflictRecord.objects.get(round=review_round, expert=inventor)
    assert (record.organization, record.detail) == (world.orgs["enterprise"], patent.title)


def test_recent_engagement_excluded(world, monkeypatch):
    from django.apps import apps

    if not apps.is_installed("kechuang.demands"):
        pytest.skip("the demands app is not installed")
    try:
        from kechuang.demands.factories import DemandFactory
    except ImportError:
        pytest.skip("demands factories are not available yet")
    under_review(world)
    partner = _reviewer(world)
    engagement_model = apps.get_model("demands", "Engagement")
    demand = DemandFactory(organization=world.orgs["rnd"], region=world.region)
    engagement_model.objects.create(
        demand=demand,
        match_type="expert",
        match_id=partner.pk,
        match_label=partner.name,
        expert=partner,
        status="accepted",
        requested_at=AFTER - datetime.timedelta(days=400),
        accepted_at=AFTER - datetime.timedelta(days=399),
    )
    long_ago = _reviewer(world)
    engagement_model.objects.create(
        demand=DemandFactory(organization=world.orgs["rnd"], region=world.region),
        match_type="expert",
        match_id=long_ago.pk,
        match_label=long_ago.name,
        expert=long_ago,
        status="accepted",
        requested_at=AFTER - datetime.timedelta(days=1200),
        accepted_at=AFTER - datetime.timedelta(days=1199),
    )
    review_round = _draw(world)
    assert _reasons(review_round, partner) == ["engagement"]
    assert _reasons(review_round, long_ago) == []
    # Without the demands app the rule has nothing to look at.
    since = AFTER - datetime.timedelta(days=3 * 365)
    assert conflicts.recent_engagement_exists(partner, world.orgs["rnd"], since)
    monkeypatch.setattr(conflicts.apps, "is_installed", lambda name: False)
    assert not conflicts.recent_engagement_exists(partner, world.orgs["rnd"], since)


def test_declared_conflict_recuses_and_unseal_waits_only_for_active_seats(world):
    under_review(world)
    review_round = _draw(world)
    seat = review_round.seats.first()
    other = review_round.seats.exclude(pk=seat.pk).first()
    with pytest.raises(services.PermissionDenied):
        services.declare_conflict(other.expert.user, seat, detail="x")
    services.declare_conflict(seat.expert.user, seat, detail="与申报单位负责人为师生关系")
    seat.refresh_from_db()
    assert seat.status == PanelSeat.Status.RECUSED
    assert _reasons(review_round, seat.expert) == ["declared"]
    criteria = list(world.challenge_list.criteria.all())
    application = review_round.applications.first()
    with pytest.raises(services.Refused):
        services.submit_score(
            seat.expert.user, seat, application, marks={c.pk: 50 for c in criteria}
        )
    for active in review_round.seats.filter(status="active"):
        for app in review_round.applications.all():
            services.submit_score(
                active.expert.user, active, app, marks={c.pk: 60 for c in criteria}
            )
    services.unseal_round(world.operator, review_round)
    review_round.refresh_from_db()
    assert review_round.status == "unsealed"


def test_no_panel_when_every_candidate_conflicts(world):
    under_review(world)
    for expert in world.reviewers:
        expert.affiliation = world.orgs["rnd"]
        expert.save()
    review_round = first_round(world)
    with pytest.raises(services.Refused):
        services.draw_panel(world.operator, review_round, size=3, now=AFTER)
    assert not review_round.seats.exists()
    assert not ConflictRecord.objects.exists()
