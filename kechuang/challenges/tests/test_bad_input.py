"""The inputs that once answered 500 (issue 17), each sent as a person or program would: a 4xx or the form
again, with a Chinese message saying what is wrong, and nothing changed."""

from decimal import Decimal

import pytest
from django.http import QueryDict
from django.test import Client

from kechuang.challenges.forms import ListForm, SignForm
from kechuang.challenges.models import Application, ChallengeList
from kechuang.challenges.tests.conftest import publish, under_review
from kechuang.core.rows import Column
from kechuang.notifications.models import Notification

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_a_huge_field_id_in_the_directory_api_is_a_422_with_a_message():
    response = Client(raise_request_exception=False).get(f"/api/directory/expert/?field={HUGE}")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid" and response.json()["detail"]
    zero = Client().get("/api/directory/expert/?field=0")
    assert zero.status_code == 422  # the schema says minimum 1, and so does the answer


@pytest.mark.parametrize("lead", ["abc", HUGE, "²", ""])
def test_a_garbage_lead_starts_no_application(world, lead):
    publish(world)
    before = Application.objects.count()
    response = client_for(world.users["university"]).post(
        f"/challenges/tasks/{world.challenge.pk}/apply/", {"lead": lead}
    )
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    assert Application.objects.count() == before


@pytest.mark.parametrize("seat", ["abc", HUGE, "-1"])
def test_a_garbage_seat_scores_nothing(world, seat):
    under_review(world)
    reviewer = world.reviewers[0].user  # an expert with a seat in the open round
    response = client_for(reviewer).post("/challenges/review/", {"seat": seat, "application": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize("value", ["²", HUGE, "abc"])
def test_garbage_notification_ids_mark_nothing(world, value):
    user = world.users["university"]
    Notification.objects.create(recipient=user, event="test", key="test-1", title="测试")
    response = client_for(user).post("/notifications/read/", {"id": value})
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 1


def list_data(**changes) -> dict:
    data = {
        "title": "2027年瑞安市揭榜挂帅榜单",
        "opens_on": "2027-03-01",
        "closes_on": "2027-03-31",
        "first_tranche_min_percent": "60",
        "objection_days": "7",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"objection_days": "10000000000"}, "objection_days", "90"),
        ({"opens_on": "0001-01-01"}, "opens_on", "日期须在 2000年1月1日 至 2099年12月31日 之间"),
        ({"closes_on": "9999-12-31"}, "closes_on", "日期须在"),
    ],
)
def test_absurd_list_values_are_refused_in_chinese(world, changes, field, message):
    query = QueryDict(mutable=True)
    query.update(list_data(**changes))
    form = ListForm(query)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])
    before = ChallengeList.objects.count()
    response = client_for(world.operator).post(
        "/challenges/manage/", {**list_data(**changes), "region": world.region.pk}
    )
    assert response.status_code < 500
    assert message in response.content.decode()
    assert ChallengeList.objects.count() == before


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN", "1e400"])
def test_non_finite_tranche_amounts_are_refused(amount):
    query = QueryDict(mutable=True)
    query.update({"first_tranche": amount})
    form = SignForm(query)
    assert not form.is_valid()
    assert form.errors["first_tranche"]
    column = Column("amount", "拨付金额（元）", kind="decimal", min_value=Decimal(0))
    with pytest.raises(ValueError, match="拨付金额"):
        column.parse(amount)
