"""Dates at the ends of the calendar (year 1, year 9999) and record ids beyond the database's range, sent
to demands, meetings and the console: refused with a Chinese message, never a 500, nothing saved."""

import pytest
from django.test import Client

from kechuang.demands.forms import MeetingForm
from kechuang.demands.models import Demand
from kechuang.demands.tests.test_api import DEMAND, post


@pytest.mark.parametrize("at", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_meeting_at_the_ends_of_the_calendar_is_refused(at):
    form = MeetingForm({"at": at, "place": "瑞安市科协"})
    assert not form.is_valid()
    assert "日期须在 2000年1月1日 至 2099年12月31日 之间" in form.errors["at"]


@pytest.mark.parametrize("deadline", ["0001-01-01", "9999-12-31"])
def test_a_demand_deadline_at_the_ends_of_the_calendar_is_refused(world, client, deadline):
    client.force_login(world.owner)
    body = {**DEMAND, "organization_id": world.enterprise.pk, "deadline": deadline}
    response = post(client, "/api/demands/", body)
    assert response.status_code == 422
    assert "日期须在" in response.json()["detail"]
    assert not Demand.objects.exists()


@pytest.mark.parametrize(
    "name, value", [("industry_chain_id", 10**25), ("field_id", -1), ("organization_id", 0)]
)
def test_demand_ids_out_of_range_are_422(world, client, name, value):
    client.force_login(world.owner)
    body = {**DEMAND, "organization_id": world.enterprise.pk, name: value}
    response = post(client, "/api/demands/", body)
    assert response.status_code == 422 and response.json()["detail"]
    assert not Demand.objects.exists()


@pytest.mark.parametrize("end", ["9999-12-31", "0001-01-01", "abc"])
def test_the_consoles_period_at_the_ends_of_the_calendar_never_fails(world, end):
    client = Client(raise_request_exception=False)
    client.force_login(world.operator)
    response = client.get("/demands/console/", {"start": "0001-01-01", "end": end})
    assert response.status_code == 200


def test_a_huge_engagement_id_is_404_on_page_and_api(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.owner)
    huge = "99999999999999999999999"
    assert client.get(f"/demands/engagements/{huge}/answer/token/").status_code == 404
    api = client.get(f"/api/demands/engagements/{huge}")
    assert api.status_code == 404 and api.json()["code"] == "not_found"
