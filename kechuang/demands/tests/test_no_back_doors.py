"""No back doors in demands: the admin only reads and acts through the services, the page and the API show
the buttons the services' checks allow, and races on unique rows answer with a refusal."""

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.urls import reverse

from kechuang.accounts.factories import UserFactory
from kechuang.core.factories import IndustryChainFactory
from kechuang.core.models import AuditEntry
from kechuang.core.tests.racing import race
from kechuang.demands import services
from kechuang.demands.factories import DemandFactory
from kechuang.demands.models import Demand, EngineerPool, PoolMember


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def stored(demand):
    return model_to_dict(Demand.objects.get(pk=demand.pk)), AuditEntry.objects.count()


def test_the_admin_neither_edits_nor_deletes_a_demand(client, world, root):
    demand = DemandFactory(organization=world.enterprise, region=world.district)
    client.force_login(root)
    before = stored(demand)
    edit = client.post(
        reverse("admin:demands_demand_change", args=[demand.pk]),
        {"title": "改过的标题", "status": "closed", "budget_max": "1"},
    )
    delete = client.post(reverse("admin:demands_demand_delete", args=[demand.pk]), {"post": "yes"})
    assert (edit.status_code, delete.status_code) == (403, 403)
    assert stored(demand) == before


def test_the_admin_approves_through_the_service(
    client, world, root, django_capture_on_commit_callbacks
):
    demand = DemandFactory(
        organization=world.enterprise, region=world.district, status=Demand.Status.PENDING
    )
    draft = DemandFactory(organization=world.enterprise, region=world.district, status="draft")
    client.force_login(root)
    url = reverse("admin:demands_demand_changelist")
    before = stored(draft)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"action": "approve_selected", "_selected_action": [demand.pk, draft.pk]},
            follow=True,
        )
    demand.refresh_from_db()
    assert demand.status == Demand.Status.PUBLISHED
    entry = AuditEntry.objects.get(action="demands.demand.approve")
    assert (entry.actor, entry.target_id) == (root, str(demand.pk))
    assert world.owner.notifications.filter(event="demands.demand.published").count() == 1
    # the draft was refused by the service, and the admin says why
    assert "不能执行此操作" in response.content.decode()
    assert model_to_dict(Demand.objects.get(pk=draft.pk)) == before[0]


def test_the_admin_returns_with_the_reason_it_asks_for(client, world, root):
    demand = DemandFactory(
        organization=world.enterprise, region=world.district, status=Demand.Status.PENDING
    )
    client.force_login(root)
    url = reverse("admin:demands_demand_changelist")
    asked = client.post(url, {"action": "return_selected", "_selected_action": [demand.pk]})
    assert asked.status_code == 200 and "请填写理由" in asked.content.decode()
    client.post(
        url,
        {
            "action": "return_selected",
            "_selected_action": [demand.pk],
            "apply": "1",
            "reason": "请补充预算依据",
        },
    )
    demand.refresh_from_db()
    assert (demand.status, demand.review_note) == (Demand.Status.RETURNED, "请补充预算依据")


def test_the_page_and_the_api_show_the_actions_the_checks_allow(client, world):
    demand = DemandFactory(
        organization=world.enterprise, region=world.district, status=Demand.Status.PENDING
    )
    client.force_login(world.operator)
    page = client.get(demand.get_absolute_url()).content.decode()
    assert 'id="approve"' in page and "关闭需求" not in page
    assert client.get(f"/api/demands/{demand.pk}").json()["actions"] == ["approve", "return"]
    client.force_login(world.owner)
    page = client.get(demand.get_absolute_url()).content.decode()
    assert 'id="approve"' not in page
    assert client.get(f"/api/demands/{demand.pk}").json()["actions"] == []
    services.return_demand(world.operator, demand, "请补充")
    assert client.get(f"/api/demands/{demand.pk}").json()["actions"] == ["submit"]


# --- races on unique rows, on real PostgreSQL connections ------------------------------------------------


@pytest.fixture
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("racing connections needs PostgreSQL")


@pytest.mark.postgres_race
@pytest.mark.django_db(transaction=True)
def test_operators_opening_the_same_pool_at_once_get_one_pool(on_postgresql, world):
    chain = IndustryChainFactory(name="智能汽车零部件", slug="auto-parts")
    outcomes = race(
        *[
            lambda: services.create_pool(world.operator, chain, world.city, "温州汽配工程师池")
            for _ in range(4)
        ]
    )
    assert outcomes.count("ok") == 1 and set(outcomes) <= {"ok", "exists", "refused"}, outcomes
    assert EngineerPool.objects.filter(industry_chain=chain, region=world.city).count() == 1
    assert AuditEntry.objects.filter(action="demands.pool.create").count() == 1


@pytest.mark.postgres_race
@pytest.mark.django_db(transaction=True)
def test_enrolling_the_same_engineer_at_once_enrols_once(on_postgresql, world):
    chain = IndustryChainFactory(name="智能汽车零部件", slug="auto-parts")
    pool = services.create_pool(world.operator, chain, world.city, "温州汽配工程师池")
    outcomes = race(
        *[
            lambda: services.enrol_engineer(world.operator, pool, world.expert, "电控")
            for _ in range(4)
        ]
    )
    assert outcomes.count("ok") == 1 and set(outcomes) <= {"ok", "exists", "refused"}, outcomes
    assert PoolMember.objects.filter(pool=pool, expert=world.expert).count() == 1


def test_the_engagement_page_and_api_offer_what_the_checks_allow(client, world, published_demand):
    engagement = services.request_engagement(
        world.owner, published_demand, "expert", world.expert.pk, "请联系"
    )
    client.force_login(world.expert_user)
    url = f"/api/demands/engagements/{engagement.pk}"
    assert client.get(url).json()["actions"] == ["accept", "decline", "message"]
    assert 'id="accept"' in client.get(engagement.get_absolute_url()).content.decode()
    client.force_login(world.owner)  # the enterprise waits for the answer
    assert client.get(url).json()["actions"] == ["message"]
    assert 'id="accept"' not in client.get(engagement.get_absolute_url()).content.decode()
    services.accept_engagement(world.expert_user, engagement)
    assert client.get(url).json()["actions"] == ["schedule", "close", "message"]
