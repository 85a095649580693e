"""An engagement agreed in one of the five contract kinds becomes a technology contract."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kechuang.contracts.models import TechContract
from kechuang.demands import services

MEETING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _met(world, demand):
    e = services.request_engagement(world.owner, demand, "expert", world.expert.pk)
    e = services.accept_engagement(world.expert_user, e)
    e = services.schedule_meeting(world.owner, e, MEETING, place="瑞安市科技大厦 3 楼")
    return services.record_meeting(world.operator, e, "双方确认技术路线")


@pytest.mark.django_db
def test_agreement_creates_a_contract_with_the_expert_employer_as_seller(world, published_demand):
    e = services.agree_cooperation(world.owner, _met(world, published_demand), "license", "350000")
    contract = TechContract.objects.get(source="engagement", source_id=e.pk)
    assert contract.kind == "license"
    assert (contract.buyer_id, contract.buyer_region_id) == (world.enterprise.pk, world.district.pk)
    assert contract.seller == world.expert.affiliation
    assert contract.seller_region == world.expert.affiliation.region
    assert contract.tech_amount == Decimal("350000.00")
    assert contract.status == TechContract.Status.SUBMITTED


@pytest.mark.django_db
def test_a_jointly_built_platform_is_no_technology_contract(world, published_demand):
    services.agree_cooperation(world.owner, _met(world, published_demand), "joint_platform", "1000")
    assert not TechContract.objects.exists()
