"""Contact disclosure: before acceptance neither side reads the other's phone or e-mail — not on the page,
not through the API, not in the export; after acceptance both do; operators always do."""

import pytest

from kechuang.demands import services
from kechuang.demands.disclosure import contact_for

EXPERT_PHONE, EXPERT_EMAIL = "13900000001", "chen@wzu.example.cn"
ENTERPRISE_PHONE, ENTERPRISE_EMAIL = "0577-65551234", "wang@motor.example.cn"


@pytest.fixture
def engagement(world, published_demand):
    return services.request_engagement(
        world.owner, published_demand, "expert", world.expert.pk, "您好"
    )


def channels(client, engagement) -> str:
    """Everything a signed-in user can fetch about the engagement: page, API detail, API list, export."""
    page = client.get(f"/demands/engagements/{engagement.pk}/").content.decode()
    detail = client.get(f"/api/demands/engagements/{engagement.pk}").content.decode()
    listing = client.get("/api/demands/engagements").content.decode()
    export = client.get("/demands/engagements/export.csv").content.decode("utf-8-sig")
    demand_page = client.get(f"/demands/{engagement.demand_id}/").content.decode()
    demand_api = client.get(f"/api/demands/{engagement.demand_id}").content.decode()
    return "\n".join([page, detail, listing, export, demand_page, demand_api])


def test_before_acceptance_the_other_side_is_hidden_everywhere(world, engagement, client):
    client.force_login(world.expert_user)
    seen = channels(client, engagement)
    assert ENTERPRISE_PHONE not in seen and ENTERPRISE_EMAIL not in seen
    assert EXPERT_PHONE in seen  # their own contact

    client.force_login(world.owner)
    seen = channels(client, engagement)
    assert EXPERT_PHONE not in seen and EXPERT_EMAIL not in seen
    assert ENTERPRISE_PHONE in seen


def test_after_acceptance_both_sides_see_each_other(world, engagement, client):
    services.accept_engagement(world.expert_user, engagement)
    client.force_login(world.expert_user)
    seen = channels(client, engagement)
    assert ENTERPRISE_PHONE in seen and ENTERPRISE_EMAIL in seen
    client.force_login(world.owner)
    seen = channels(client, engagement)
    assert EXPERT_PHONE in seen and EXPERT_EMAIL in seen


@pytest.mark.parametrize("outcome", ["declined", "expired"])
def test_an_unaccepted_outcome_never_discloses(world, engagement, outcome, client):
    if outcome == "declined":
        services.decline_engagement(world.expert_user, engagement, "没时间")
    else:
        type(engagement).objects.filter(pk=engagement.pk).update(status="expired")
    client.force_login(world.owner)
    seen = channels(client, engagement)
    assert EXPERT_PHONE not in seen and EXPERT_EMAIL not in seen


def test_operator_sees_both_and_outsider_nothing(world, engagement, client):
    engagement.refresh_from_db()
    assert contact_for(world.operator, engagement, "supplier").phone == EXPERT_PHONE
    assert contact_for(world.operator, engagement, "enterprise").email == ENTERPRISE_EMAIL
    assert contact_for(world.outsider, engagement, "supplier") is None
    client.force_login(world.outsider)
    assert client.get(f"/demands/engagements/{engagement.pk}/").status_code == 404
    assert client.get(f"/api/demands/engagements/{engagement.pk}").status_code == 404
    export = client.get("/demands/engagements/export.csv").content.decode("utf-8-sig")
    assert EXPERT_PHONE not in export and ENTERPRISE_PHONE not in export
