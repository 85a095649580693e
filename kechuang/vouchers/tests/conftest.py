"""A small three-region federation (嘉定区, 苏州市, 温州市) with a programme in 嘉定区 that honours 苏州市,
an enterprise of 嘉定区 holding 20,000 yuan of vouchers, and active providers in each region."""

import datetime
from dataclasses import dataclass

import pytest

from kechuang.core.factories import RegionFactory
from kechuang.core.models import Federation, Region
from kechuang.directory.factories import OrganizationFactory
from kechuang.directory.models import Organization
from kechuang.vouchers.factories import active_provider, issued_vouchers, member, programme_in

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2018, 12, 3, 10, 0, tzinfo=SHANGHAI)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    jiading: Region
    suzhou: Region
    wenzhou: Region
    federation: Federation
    programme: object
    enterprise: Organization
    owner: object  # the enterprise's user
    provider: Organization  # 嘉定区 testing centre
    suzhou_provider: Organization
    wenzhou_provider: Organization
    vouchers: list


def make_world(now=NOW) -> World:
    jiading = RegionFactory(code="310114", name="嘉定区")
    suzhou = RegionFactory(code="320500", name="苏州市", level=Region.Level.CITY)
    wenzhou = RegionFactory(code="330300", name="温州市", level=Region.Level.CITY)
    federation = Federation.objects.create(name="沪苏温双创券")
    federation.members.set([jiading, suzhou, wenzhou])
    programme = programme_in(jiading, now=now, partner_regions=[suzhou], federation=federation)
    enterprise = OrganizationFactory(name="上海嘉定精密机械有限公司", region=jiading)
    providers = [
        active_provider(
            OrganizationFactory(name=name, region=region, kind=Organization.Kind.TESTING),
            now=now,
            phone=f"021-6{n:07d}",
            legal_representative=f"法人{n}",
        )
        for n, (name, region) in enumerate(
            [
                ("上海嘉定检测技术中心", jiading),
                ("苏州工业园区检测研究院", suzhou),
                ("温州市质量技术检测研究院", wenzhou),
            ]
        )
    ]
    vouchers = issued_vouchers(enterprise, programme, "20000", now=now)
    return World(
        jiading,
        suzhou,
        wenzhou,
        federation,
        programme,
        enterprise,
        member(enterprise),
        *providers,
        vouchers,
    )


@pytest.fixture
def world(db) -> World:
    return make_world()
