"""A small Ruian world: 浙江省 → 温州市 → 瑞安市 (and 嘉定区 federated with 温州), an enterprise with a member,
a university expert with a login, and the city's operator."""

from dataclasses import dataclass

import pytest

from kechuang.accounts.factories import MembershipFactory, OperatorMandateFactory, UserFactory
from kechuang.core.factories import IndustryChainFactory, RegionFactory
from kechuang.core.models import Federation, Region
from kechuang.demands.factories import DemandFactory
from kechuang.directory.factories import (
    ExpertFactory,
    ExpertWorkFactory,
    InstrumentFactory,
    OrganizationFactory,
)
from kechuang.directory.models import Instrument, Organization
from kechuang.search import indexing


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


NOISE = "电控气源装置噪声与能耗优化"


@pytest.fixture
def noise_world(world):
    """A demand on an air-supply unit's noise, experts of varying strength and availability, three
    copies of one instrument model plus a retired one, and organisations of every role."""
    chain = IndustryChainFactory(name="汽车零部件", slug="auto-parts-noise")
    world.enterprise.industry_chains.add(chain)
    demand = DemandFactory(
        organization=world.enterprise,
        region=world.district,
        industry_chain=chain,
        title=NOISE,
        description="空气压缩机工作噪声偏高，需降低噪声并优化能耗，要求噪声低于80 dB。",
    )
    lab = OrganizationFactory(name="温州声学研究所", kind="institute", region=world.district)
    busy = ExpertFactory(
        name="孙研究员",
        region=world.district,
        affiliation=lab,
        availability="unavailable",
        keywords=["空气压缩机", "噪声", "能耗"],
        profile="长期研究空气压缩机的噪声与能耗。",
    )
    free = ExpertFactory(
        name="钱工",
        region=world.district,
        affiliation=lab,
        availability="available",
        keywords=["空气压缩机", "噪声"],
        profile="从事空气压缩机噪声控制。",
    )
    ExpertWorkFactory(
        expert=free,
        kind="patent",
        title="一种空气压缩机的降噪结构",
        abstract="",
        reference="ZL201980123456.7",
    )
    ExpertFactory(  # shares only generic words (装置、优化、结构) with the demand: never listed
        name="吴工",
        region=world.district,
        keywords=["装置结构优化"],
        profile="专注于装置的结构优化。",
    )
    for n in range(3):
        InstrumentFactory(
            name="噪声振动分析仪",
            model_number="LMS SCADAS",
            region=world.district,
            owner=OrganizationFactory(kind="testing", region=world.district, name=f"检测站{n}"),
            description="用于空气压缩机噪声测量",
        )
    retired = InstrumentFactory(
        name="消声室噪声测试系统",
        model_number="AC-1",
        region=world.district,
        state=Instrument.State.RETIRED,
        description="空气压缩机噪声测量",
    )
    peer = OrganizationFactory(
        name="瑞安气源装置有限公司",
        kind="enterprise",
        region=world.district,
        main_products="电控气源装置 空气压缩机",
        description="生产空气压缩机，关注噪声与能耗。",
    )
    peer.industry_chains.add(chain)
    testing = OrganizationFactory(
        name="温州噪声检测中心",
        kind="testing",
        region=world.district,
        main_products="噪声检测 空气压缩机能耗测试",
        description="噪声与能耗检测。",
    )
    return demand, busy, free, retired, peer, testing
