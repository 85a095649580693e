"""The indicators API: the board and lineage as JSON, writes through the services (409 on refusal,
403 for others, 422 for invalid input), nothing changed by a refusal."""

import datetime
import json

import pytest

from kechuang.directory.factories import OrganizationFactory
from kechuang.directory.models import TierRecord
from kechuang.indicators import services
from kechuang.indicators.models import ManualValue, SignedProject

YEAR = datetime.date.today().year


def call(client, method, url, body=None):
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    )
    return getattr(client, method)(f"/api/indicators{url}", **kwargs)


@pytest.fixture
def sme(city):
    indicator = services.define_indicator(
        city.operator,
        city.city,
        code="sme",
        name="新增省科技型中小企业",
        unit="家",
        source="directory.new_tech_sme",
    )
    organization = OrganizationFactory(region=city.ruian, name="瑞安接口测试有限公司")
    TierRecord.objects.create(
        organization=organization, tier="tech_sme", recognized_on=datetime.date(YEAR, 1, 3)
    )
    return indicator


def test_board_and_lineage(client, city, sme):
    client.force_login(city.operator)
    assert (
        call(
            client,
            "put",
            f"/{sme.pk}/targets",
            {"region": city.ruian.pk, "year": YEAR, "value": "2"},
        ).status_code
        == 200
    )
    board = call(client, "get", f"/boards/{city.city.pk}?year={YEAR}").json()
    cell = next(c for c in board["cells"] if c["region"] == city.ruian.pk)
    assert (cell["actual"], cell["target"], cell["percent"]) == ("1", "2.00", 50)
    assert cell["lineage"].endswith(
        f"/indicators/{sme.pk}/lineage/?region={city.ruian.pk}&year={YEAR}"
    )
    found = call(client, "get", f"/{sme.pk}/lineage?region={city.ruian.pk}&year={YEAR}").json()
    assert found["value"] == "1" and found["records"][0]["title"] == "瑞安接口测试有限公司"
    assert "directory.new_tech_sme" in [s["key"] for s in call(client, "get", "/sources").json()]


def test_four_eyes_over_the_api(client, city):
    client.force_login(city.operator)
    made = call(
        client,
        "post",
        "/",
        {
            "region": city.city.pk,
            "code": "venture",
            "name": "创投机构投资",
            "unit": "亿元",
            "money": True,
        },
    )
    assert made.status_code == 201
    indicator = made.json()["id"]
    entry = call(
        client,
        "post",
        f"/{indicator}/values",
        {"region": city.ruian.pk, "year": YEAR, "month": 1, "value": "5", "evidence": "统计快报"},
    )
    assert entry.status_code == 201
    refused = call(client, "post", f"/values/{entry.json()['id']}/approve")
    assert refused.status_code == 409 and refused.json()["code"] == "four_eyes"
    assert ManualValue.objects.get().status == "pending"
    client.force_login(city.second)
    assert call(client, "post", f"/values/{entry.json()['id']}/approve").json()["counted"] is True


def test_invalid_and_forbidden_calls(client, city, sme):
    assert call(client, "get", f"/boards/{city.city.pk}").status_code in (401, 403)
    client.force_login(city.outsider)
    assert call(client, "get", f"/boards/{city.city.pk}").status_code == 403
    client.force_login(city.operator)
    assert (
        call(client, "get", f"/{sme.pk}/lineage?region={city.ruian.pk}&year=1&month=13").status_code
        == 422
    )
    assert (
        call(
            client,
            "put",
            f"/{sme.pk}/targets",
            {"region": city.ruian.pk, "year": YEAR, "value": "-1"},
        ).status_code
        == 422
    )


def test_signed_projects_over_the_api(client, city):
    client.force_login(city.operator)
    event = call(
        client,
        "post",
        "/signings",
        {"region": city.city.pk, "name": "温州市科技创新大会", "held_on": f"{YEAR}-01-02"},
    ).json()
    project = call(
        client,
        "post",
        f"/signings/{event['id']}/projects",
        {
            "name": "播思5G总部基地",
            "kind": "industrial",
            "parties": "温州市人民政府、播思通讯",
            "region": city.longwan.pk,
            "amount": "800000000",
        },
    )
    assert project.status_code == 201 and project.json()["next"] == ["started", "stalled"]
    refused = call(
        client, "post", f"/projects/{project.json()['id']}/advance", {"status": "producing"}
    )
    assert refused.status_code == 409
    assert SignedProject.objects.get().status == "signed"
    moved = call(
        client,
        "post",
        f"/projects/{project.json()['id']}/advance",
        {"status": "stalled", "reason": "用地未落实"},
    )
    assert moved.json()["status"] == "stalled"
