"""A small Ruian world: 浙江省 → 温州市 → 瑞安市 (and 嘉定区 federated with 温州), an enterprise with a member,
a university expert with a login, and the city's operator."""

from dataclasses import dataclass

import pytest

from kechuang.accounts.factories import MembershipFactory, OperatorMandateFactory, UserFactory
from kechuang.core import indexing
from kechuang.core.factories import RegionFactory
from kechuang.core.models import Federation, Region
from kechuang.demands.factories import DemandFactory
from kechuang.directory.factories import (
    ExpertFactory,
    ExpertWorkFactory,
    OrganizationFactory,
)
from kechuang.directory.models import Organization


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are made in every test here; the production hasher would dominate their run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    province: Region
    city: Region
    district: Region
    partner: Region
    enterprise: Organization
    owner: object  # enterprise member
    operator: object  # operator of 温州市
    expert: object  # Expert
    expert_user: object
    outsider: object


@pytest.fixture
def world(db) -> World:
    province = RegionFactory(code="330000", name="浙江省", level="province")
    city = RegionFactory(code="330300", name="温州市", level="city", parent=province)
    district = RegionFactory(code="330381", name="瑞安市", level="district", parent=city)
    shanghai = RegionFactory(code="310000", name="上海市", level="province")
    partner = RegionFactory(code="310114", name="嘉定区", level="district", parent=shanghai)
    delta = Federation.objects.create(name="长三角")
    delta.members.add(city, partner)
    enterprise = OrganizationFactory(
        name="瑞安汽车电机有限公司",
        region=district,
        contact_phone="0577-65550000",
        contact_email="contact@motor.example.cn",
    )
    owner = UserFactory(username="owner", display_name="企业王工")
    MembershipFactory(user=owner, organization=enterprise)
    operator = UserFactory(username="operator", display_name="温州科协李")
    OperatorMandateFactory(user=operator, region=city, office="温州市科协")
    expert_user = UserFactory(username="expert", display_name="陈教授")
    expert = ExpertFactory(
        name="陈教授",
        user=expert_user,
        affiliation=OrganizationFactory(name="温州大学", kind="university", region=city),
        region=district,
        keywords=["永磁同步电机", "无传感器控制", "新能源汽车"],
        phone="13900000001",
        email="chen@wzu.example.cn",
    )
    ExpertWorkFactory(
        expert=expert,
        title="永磁同步电机无位置传感器控制研究",
        abstract="提出了一种基于滑模观测器的永磁同步电机无位置传感器控制方法,用于新能源汽车电驱动系统。",
    )
    outsider = UserFactory(username="outsider")
    return World(
        province,
        city,
        district,
        partner,
        enterprise,
        owner,
        operator,
        expert,
        expert_user,
        outsider,
    )


@pytest.fixture
def published_demand(world):
    return DemandFactory(
        organization=world.enterprise,
        region=world.district,
        title="新能源汽车永磁同步电机无传感器控制技术需求",
        description="我公司需要永磁同步电机无传感器控制方案,用于新能源汽车电驱动系统,提升低速运行性能。",
        contact_name="王工",
        contact_phone="0577-65551234",
        contact_email="wang@motor.example.cn",
    )


@pytest.fixture
def reindex():
    """Rebuild the search index from this test's database (the index outlives each test's rollback)."""

    def rebuild() -> int:
        indexing.reset_backend()
        return indexing.rebuild_all()

    return rebuild
