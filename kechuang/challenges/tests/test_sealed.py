"""Sealed scores: before the round is unsealed nobody but a score's author reads it — not another
reviewer, not an applicant, not the public, not even the operator — on the page, the API and the export."""

import pytest

from kechuang.challenges import services
from kechuang.challenges.models import Score
from kechuang.challenges.tests.conftest import AFTER, all_score, first_round, under_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(world):
    """Three reviewers scored both applications (consortium 90, the other 70); the round is sealed."""
    under_review(world)
    review_round = first_round(world)
    services.draw_panel(world.operator, review_round, size=3, seed=1, now=AFTER)
    all_score(
        world,
        review_round,
        {world.applications["consortium"].pk: 90, world.applications["rnd"].pk: 70},
    )
    world.round = review_round
    world.seats = list(review_round.seats.order_by("pk"))
    return world


def _readers(world):
    return {
        "reviewer": world.seats[0].expert.user,
        "applicant": world.users["university"],
        "operator": world.operator,
    }


def test_query_layer_sealed_then_unsealed(scored):
    world = scored
    reviewer = world.seats[0].expert.user
    assert set(Score.objects.visible_to(reviewer)) == set(Score.objects.filter(seat=world.seats[0]))
    assert not Score.objects.visible_to(world.users["university"]).exists()
    assert not Score.objects.visible_to(world.operator).exists()
    from django.contrib.auth.models import AnonymousUser

    assert not Score.objects.visible_to(AnonymousUser()).exists()
    services.unseal_round(world.operator, world.round)
    assert Score.objects.visible_to(world.operator).count() == 6
    assert Score.objects.visible_to(reviewer).count() == 6
    consortium = world.applications["consortium"]
    assert set(Score.objects.visible_to(world.users["university"])) == set(
        Score.objects.filter(application=consortium)
    )
    # The competitor's members never read the consortium's scores.
    assert set(
        Score.objects.visible_to(world.users["rnd"]).values_list("application", flat=True)
    ) == {world.applications["rnd"].pk}


def test_api_sealed_then_unsealed(scored, client):
    world = scored
    url = f"/api/challenges/rounds/{world.round.pk}/scores"
    assert client.get(url).status_code == 401
    for who, user in _readers(world).items():
        client.force_login(user)
        body = client.get(url).json()
        expected = 2 if who == "reviewer" else 0
        assert len(body) == expected, who
        assert {row["reviewer"] for row in body} <= {world.seats[0].expert.name}
    services.unseal_round(world.operator, world.round)
    client.force_login(world.operator)
    assert sorted(row["total"] for row in client.get(url).json()) == ["70.00"] * 3 + ["90.00"] * 3
    client.force_login(world.users["university"])
    assert [row["total"] for row in client.get(url).json()] == ["90.00"] * 3


def test_export_sealed_then_unsealed(scored, client):
    world = scored
    url = f"/challenges/rounds/{world.round.pk}/scores.csv"
    client.force_login(world.operator)
    sealed = client.get(url).content.decode()
    assert sealed.strip().splitlines()[1:] == []
    client.force_login(world.seats[1].expert.user)
    own = client.get(url).content.decode().strip().splitlines()[1:]
    assert len(own) == 2 and all(world.seats[1].expert.name in line for line in own)
    services.unseal_round(world.operator, world.round)
    client.force_login(world.operator)
    assert len(client.get(url).content.decode().strip().splitlines()[1:]) == 6


def test_pages_sealed_then_unsealed(scored, client):
    world = scored
    consortium = world.applications["consortium"]
    client.force_login(world.operator)
    page = client.get(f"/challenges/manage/lists/{world.challenge_list.pk}/").content.decode()
    assert "90.00" not in page and "尚缺 0 份评分" in page
    client.force_login(world.users["university"])
    page = client.get(consortium.get_absolute_url()).content.decode()
    assert "90.00" not in page
    client.force_login(world.seats[0].expert.user)
    page = client.get("/challenges/review/").content.decode()
    assert page.count("90.00") == 1  # their own score only
    assert "本轮全部评分" not in page
    services.unseal_round(world.operator, world.round)
    page = client.get("/challenges/review/").content.decode()
    assert "本轮全部评分" in page
    client.force_login(world.users["university"])
    page = client.get(consortium.get_absolute_url()).content.decode()
    assert page.count("90.00") == 3 and "70.00" not in page
    client.force_login(world.operator)
    page = client.get(f"/challenges/manage/lists/{world.challenge_list.pk}/").content.decode()
    assert "90.00" in page and "70.00" in page
