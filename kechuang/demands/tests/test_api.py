"""The whole journey through the JSON API, and its refusals' status codes."""

import pytest

from kechuang.demands.models import Demand, Engagement

DEMAND = {
    "title": "新能源汽车永磁同步电机无传感器控制",
    "description": "需要永磁同步电机无传感器控制方案。",
    "budget_min": "100000.00",
    "budget_max": "200000.00",
    "cooperation_modes": ["development"],
    "visibility": "public",
    "contact_phone": "0577-65559999",
}


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_journey_through_the_api(world, client, reindex):
    client.force_login(world.owner)
    response = post(client, "/api/demands/", {**DEMAND, "organization_id": world.enterprise.pk})
    assert response.status_code == 201, response.content
    demand_id = response.json()["id"]
    assert response.json()["budget_max"] == "200000.00"
    assert "contact_phone" not in response.json()
    assert post(client, f"/api/demands/{demand_id}/submit").json()["status"] == "pending"
    assert post(client, f"/api/demands/{demand_id}/approve").status_code == 403

    client.force_login(world.operator)
    assert post(client, f"/api/demands/{demand_id}/approve").json()["status"] == "published"
    reindex()

    client.force_login(world.owner)
    matches = client.get(f"/api/demands/{demand_id}/matches?scope=own&type=expert").json()
    assert [m["id"] for m in matches] == [world.expert.pk]
    assert "<mark>" in matches[0]["evidence"][0]["snippet"]
    response = post(
        client,
        f"/api/demands/{demand_id}/engagements",
        {"match_type": "expert", "match_id": world.expert.pk, "message": "您好"},
    )
    assert response.status_code == 201
    engagement = response.json()
    assert engagement["supplier_contact"] is None and engagement["pushed"] is False

    client.force_login(world.expert_user)
    url = f"/api/demands/engagements/{engagement['id']}"
    accepted = post(client, f"{url}/accept").json()
    assert accepted["status"] == "accepted"
    assert accepted["enterprise_contact"]["phone"] == "0577-65559999"
    assert post(client, f"{url}/accept").status_code == 409
    scheduled = post(client, f"{url}/schedule", {"at": "2026-12-01T10:00:00", "place": "瑞安"})
    assert scheduled.json()["meeting_at"].startswith("2026-12-01T02:00:00")  # 10:00 Shanghai in UTC

    client.force_login(world.owner)
    assert (
        post(client, f"{url}/held", {"minutes": "确定方案", "attendees": "王工"}).json()["status"]
        == "met"
    )
    agreed = post(client, f"{url}/agree", {"cooperation_mode": "development", "amount": "180000.5"})
    assert agreed.json()["status"] == "agreed" and agreed.json()["amount"] == "180000.50"
    timeline = client.get(url).json()["timeline"]
    assert [t["status"] for t in timeline] == [
        "requested",
        "accepted",
        "scheduled",
        "met",
        "agreed",
    ]
    assert Engagement.objects.get().amount == Demand.objects.get().engagements.get().amount


@pytest.mark.parametrize("who", ["outsider", "expert_user"])
def test_api_refuses_non_members(world, client, who):
    client.force_login(getattr(world, who))
    response = post(client, "/api/demands/", {**DEMAND, "organization_id": world.enterprise.pk})
    assert response.status_code == 403
    assert Demand.objects.count() == 0


def test_api_needs_a_login_to_write(world, client):
    assert (
        post(
            client, "/api/demands/", {**DEMAND, "organization_id": world.enterprise.pk}
        ).status_code
        == 401
    )
    assert client.get("/api/demands/engagements").status_code == 401


def test_operator_pushes_through_the_api(world, published_demand, client):
    client.force_login(world.operator)
    response = post(
        client,
        f"/api/demands/{published_demand.pk}/engagements",
        {"match_type": "expert", "match_id": world.expert.pk},
    )
    assert response.status_code == 201 and response.json()["pushed"] is True
    assert response.json()["supplier_contact"]["phone"] == "13900000001"  # operators see contacts


def test_api_errors_share_one_body(world, published_demand, client):
    client.force_login(world.owner)
    refused = post(client, f"/api/demands/{published_demand.pk}/submit")
    assert refused.status_code == 409
    body = refused.json()
    assert (body["code"], body["errors"]) == ("refused", [])
    assert body["detail"] == "需求当前状态为“已发布”，不能执行此操作"
    published_demand.refresh_from_db()
    assert published_demand.status == "published"

    client.force_login(world.outsider)
    forbidden = post(client, f"/api/demands/{published_demand.pk}/close", {"reason": "不需要了"})
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden" and forbidden.json()["errors"] == []
    published_demand.refresh_from_db()
    assert published_demand.status == "published"

    client.force_login(world.owner)
    invalid = post(client, "/api/demands/", {**DEMAND, "budget_max": "很多"})
    assert invalid.status_code == 422
    body = invalid.json()
    assert body["code"] == "invalid"
    assert {tuple(error["loc"]) for error in body["errors"]} == {
        ("body", "payload", "budget_max"),
        ("body", "payload", "organization_id"),
    }
    assert Demand.objects.count() == 1
