"""What leaves the platform with a round's scores: no formula runs when the CSV is opened in a spreadsheet,
and the panel's names never reach applicants (page, API and CSV alike); the list report keeps who applies
to itself while the window is still open."""

import csv
import io

import pytest

from kechuang.challenges import queries, services
from kechuang.challenges.models import Score
from kechuang.challenges.tests.conftest import AFTER, DURING, all_score, first_round, under_review

pytestmark = pytest.mark.django_db

PAYLOAD = "=cmd|' /C calc'!A0"


@pytest.fixture
def unsealed(world):
    under_review(world)
    review_round = first_round(world)
    services.draw_panel(world.operator, review_round, size=3, seed=1, now=AFTER)
    all_score(world, review_round)
    Score.objects.filter(round=review_round).update(comment=PAYLOAD)  # as a reviewer typed it
    services.unseal_round(world.operator, review_round, now=AFTER)
    world.round = review_round
    world.names = {seat.expert.name for seat in review_round.seats.all()}
    return world


def _csv_rows(client, world) -> list[list[str]]:
    body = client.get(f"/challenges/rounds/{world.round.pk}/scores.csv").content.decode("utf-8")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))[1:]


def test_scores_csv_writes_formula_like_comments_as_text(unsealed, client):
    client.force_login(unsealed.operator)
    rows = _csv_rows(client, unsealed)
    assert len(rows) == 6
    assert {row[3] for row in rows} == {"'" + PAYLOAD}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_applicants_never_read_the_reviewers_names(unsealed, client):
    world = unsealed
    client.force_login(world.users["university"])
    api = client.get(f"/api/challenges/rounds/{world.round.pk}/scores").json()
    assert len(api) == 3
    assert {row["reviewer"] for row in api} == {"评审专家 1", "评审专家 2", "评审专家 3"}
    rows = _csv_rows(client, world)
    assert len(rows) == 3 and {row[1] for row in rows} == {"评审专家 1", "评审专家 2", "评审专家 3"}
    page = client.get(world.applications["consortium"].get_absolute_url()).content.decode()
    assert not any(name in page for name in world.names)
    seen = str(api) + str(rows)
    assert not any(name in seen for name in world.names)


def test_operators_and_reviewers_read_the_names(unsealed, client):
    world = unsealed
    for user in (world.operator, world.round.seats.first().expert.user):
        client.force_login(user)
        api = client.get(f"/api/challenges/rounds/{world.round.pk}/scores").json()
        assert {row["reviewer"] for row in api} == world.names
        assert {row[1] for row in _csv_rows(client, world)} == world.names


def test_report_hides_applicants_until_the_window_closes(world, client):
    under_review(world)
    during = queries.list_report(world.challenge_list, now=DURING)
    assert during["applicants_by_kind"] == [] and during["applicants_by_region"] == []
    after = queries.list_report(world.challenge_list, now=AFTER)
    assert after["applicants_by_region"] == [("瑞安市", 4)]


def test_report_page_during_the_window_shows_no_applicants(world, client):
    import datetime

    from django.utils import timezone

    under_review(world)
    today = timezone.localdate()
    type(world.challenge_list).objects.filter(pk=world.challenge_list.pk).update(
        opens_on=today - datetime.timedelta(days=3), closes_on=today + datetime.timedelta(days=10)
    )
    page = client.get(f"/challenges/lists/{world.challenge_list.pk}/report/").content.decode()
    assert 'id="applicants-hidden"' in page
    assert 'id="by-kind"' not in page and "瑞安市" not in page
