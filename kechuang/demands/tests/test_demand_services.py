"""Demand lifecycle: draft → pending → published / returned; published → closed; every forbidden move."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.accounts.factories import OperatorMandateFactory, UserFactory
from kechuang.core.factories import RegionFactory
from kechuang.core.models import AuditEntry
from kechuang.demands import services
from kechuang.demands.factories import DemandFactory
from kechuang.demands.models import Demand
from kechuang.demands.queries import demand_matches
from kechuang.notifications.models import Notification

S = Demand.Status


def draft_input(**changes) -> services.DemandInput:
    values = {
        "title": "高分子材料注塑件翘曲变形控制",
        "description": "注塑件出现翘曲变形,需要改进模具冷却与工艺参数。",
        "budget_min": Decimal("100000"),
        "budget_max": Decimal("300000.50"),
        "cooperation_modes": ["development", "consulting"],
    }
    values.update(changes)
    return services.DemandInput(**values)


def test_member_saves_a_draft_in_the_organisations_region(world):
    demand = services.save_demand(world.owner, world.enterprise, draft_input())

    assert demand.status == S.DRAFT
    assert demand.region == world.district
    assert demand.budget_max == Decimal("300000.50")
    assert demand.cooperation_modes == ["development", "consulting"]
    assert (
        AuditEntry.objects.filter(action="demands.demand.create", target_id=str(demand.pk)).count()
        == 1
    )


def test_outsider_cannot_save_a_demand_for_an_enterprise(world):
    with pytest.raises(PermissionDenied):
        services.save_demand(world.outsider, world.enterprise, draft_input())
    assert Demand.objects.count() == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "  "},
        {"budget_min": Decimal("5"), "budget_max": Decimal("1")},
        {"budget_min": Decimal("-1")},
        {"cooperation_modes": ["barter"]},
        {"visibility": "secret"},
    ],
)
def test_invalid_demand_input_is_refused(world, changes):
    with pytest.raises(ValidationError):
        services.save_demand(world.owner, world.enterprise, draft_input(**changes))
    assert Demand.objects.count() == 0


def test_submit_approve_publishes_and_notifies(world, reindex, django_capture_on_commit_callbacks):
    reindex()
    text = "永磁同步电机无传感器控制"
    demand = services.save_demand(
        world.owner, world.enterprise, draft_input(title=text, description=text + "方案")
    )
    with django_capture_on_commit_callbacks(execute=True):
        demand = services.submit_demand(world.owner, demand)
    assert demand.status == S.PENDING and demand.submitted_at is not None
    assert (
        Notification.objects.filter(
            recipient=world.operator, event="demands.demand.pending"
        ).count()
        == 1
    )

    with django_capture_on_commit_callbacks(execute=True):
        demand = services.approve_demand(world.operator, demand)
    assert demand.status == S.PUBLISHED and demand.published_at is not None
    assert (
        Notification.objects.filter(recipient=world.owner, event="demands.demand.published").count()
        == 1
    )
    demand.refresh_from_db()
    # counted by the task after commit: the expert and the expert's university match, the
    # enterprise's own record does not count
    matches = demand_matches(demand, "all", k=10)
    assert demand.match_count == sum(len(g.matches) for g in matches) >= 1
    assert world.expert in [m.obj for g in matches for m in g.matches]


def test_return_needs_a_reason_then_resubmission_works(world):
    demand = DemandFactory(organization=world.enterprise, status=S.PENDING, published_at=None)
    with pytest.raises(services.Refused):
        services.return_demand(world.operator, demand, "  ")
    assert Demand.objects.get(pk=demand.pk).status == S.PENDING

    demand = services.return_demand(world.operator, demand, "请补充预算")
    assert demand.status == S.RETURNED and demand.review_note == "请补充预算"
    demand = services.save_demand(world.owner, world.enterprise, draft_input(), demand)
    demand = services.submit_demand(world.owner, demand)
    assert demand.status == S.PENDING and demand.review_note == ""


def test_only_an_operator_of_the_region_approves(world):
    demand = DemandFactory(organization=world.enterprise, status=S.PENDING, published_at=None)
    elsewhere = OperatorMandateFactory(region=RegionFactory(code="440300", level="city")).user
    for user in (world.owner, world.expert_user, elsewhere):
        with pytest.raises(PermissionDenied):
            services.approve_demand(user, demand)
    assert Demand.objects.get(pk=demand.pk).status == S.PENDING


FORBIDDEN = [
    (S.DRAFT, "approve"),
    (S.DRAFT, "return"),
    (S.DRAFT, "close"),
    (S.PENDING, "submit"),
    (S.PENDING, "close"),
    (S.PUBLISHED, "submit"),
    (S.PUBLISHED, "approve"),
    (S.PUBLISHED, "return"),
    (S.RETURNED, "approve"),
    (S.RETURNED, "close"),
    (S.CLOSED, "submit"),
    (S.CLOSED, "approve"),
    (S.CLOSED, "return"),
    (S.CLOSED, "close"),
]


@pytest.mark.parametrize(("status", "action"), FORBIDDEN)
def test_forbidden_demand_transitions_change_nothing(world, status, action):
    demand = DemandFactory(organization=world.enterprise, status=status)
    before = Demand.objects.filter(pk=demand.pk).values().get()
    call = {
        "submit": lambda: services.submit_demand(world.owner, demand),
        "approve": lambda: services.approve_demand(world.operator, demand),
        "return": lambda: services.return_demand(world.operator, demand, "理由"),
        "close": lambda: services.close_demand(world.owner, demand, "理由"),
    }[action]
    with pytest.raises(services.Refused):
        call()
    assert Demand.objects.filter(pk=demand.pk).values().get() == before
    assert not AuditEntry.objects.filter(target_id=str(demand.pk)).exists()


def test_published_demand_cannot_be_edited(world, published_demand):
    with pytest.raises(services.Refused):
        services.save_demand(world.owner, world.enterprise, draft_input(), published_demand)
    assert Demand.objects.get(pk=published_demand.pk).title == published_demand.title


def test_close_by_enterprise_or_operator(world, published_demand):
    with pytest.raises(PermissionDenied):
        services.close_demand(world.outsider, published_demand, "不再需要")
    demand = services.close_demand(world.operator, published_demand, "企业已自行解决")
    assert demand.status == S.CLOSED and demand.close_reason == "企业已自行解决"


def test_visibility_of_demands(world, published_demand):
    restricted = DemandFactory(organization=world.enterprise, visibility="restricted")
    draft = DemandFactory(organization=world.enterprise, status=S.DRAFT, published_at=None)
    anonymous = AnonymousUser()

    def visible(user):
        return set(Demand.objects.visible_to(user).values_list("pk", flat=True))

    assert visible(anonymous) == {published_demand.pk}
    assert visible(world.outsider) == {published_demand.pk}
    assert visible(world.expert_user) == {published_demand.pk}
    assert visible(world.owner) == {published_demand.pk, restricted.pk, draft.pk}
    assert visible(world.operator) == {published_demand.pk, restricted.pk, draft.pk}

    restricted.invited_experts.add(world.expert)
    assert visible(world.expert_user) == {published_demand.pk, restricted.pk}
    other_operator = OperatorMandateFactory(region=world.partner, user=UserFactory()).user
    assert visible(other_operator) == {published_demand.pk}
