"""A small Yangtze-delta world for booking: a Wenzhou university's lab with a scanning electron microscope,
a Ruian enterprise and a Jiading (partner region) enterprise that book it, and the city's operator.
"Now" is Monday 2026-12-07 09:00 in Shanghai."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kechuang.accounts.factories import MembershipFactory, OperatorMandateFactory, UserFactory
from kechuang.booking.factories import BookingRulesFactory
from kechuang.core.factories import RegionFactory
from kechuang.core.models import Federation

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026 in Shanghai."""
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    lab: object  # the university owning the instrument
    instrument: object
    rules: object
    manager: object  # lab member
    enterprise: object
    user: object  # enterprise member
    partner_enterprise: object
    partner_user: object
    operator: object
    outsider: object


@pytest.fixture
def world(db) -> World:
    from kechuang.directory.factories import InstrumentFactory, OrganizationFactory
    from kechuang.directory.models import Organization

    province = RegionFactory(code="330000", name="浙江省", level="province")
    city = RegionFactory(code="330300", name="温州市", level="city", parent=province)
    district = RegionFactory(code="330381", name="瑞安市", level="district", parent=city)
    shanghai = RegionFactory(code="310000", name="上海市", level="province")
    jiading = RegionFactory(code="310114", name="嘉定区", level="district", parent=shanghai)
    Federation.objects.create(name="长三角").members.add(city, jiading)
    lab = OrganizationFactory(name="温州大学", kind=Organization.Kind.UNIVERSITY, region=city)
    instrument = InstrumentFactory(name="场发射扫描电子显微镜", owner=lab, region=city)
    rules = BookingRulesFactory(instrument=instrument)
    manager = UserFactory(username="lab", display_name="实验室张老师")
    MembershipFactory(user=manager, organization=lab)
    enterprise = OrganizationFactory(name="瑞安汽车电机有限公司", region=district)
    user = UserFactory(username="engineer", display_name="企业王工")
    MembershipFactory(user=user, organization=enterprise)
    partner_enterprise = OrganizationFactory(name="嘉定新材料有限公司", region=jiading)
    partner_user = UserFactory(username="jiading", display_name="嘉定陈工")
    MembershipFactory(user=partner_user, organization=partner_enterprise)
    operator = UserFactory(username="operator", display_name="温州科协李")
    OperatorMandateFactory(user=operator, region=city, office="温州市科协")
    outsider = UserFactory(username="outsider")
    return World(
        lab,
        instrument,
        rules,
        manager,
        enterprise,
        user,
        partner_enterprise,
        partner_user,
        operator,
        outsider,
    )
