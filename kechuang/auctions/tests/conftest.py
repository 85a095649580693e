"""An online session of the Shanghai region with two lots (a single patent with a reserve, a portfolio
without), an owner institute, three bidder enterprises registered with their deposits, and an operator.
Bidding runs from 2026-12-01 10:00 to 2026-12-01 12:00 (Shanghai), extending 5 minutes up to 30."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kechuang.accounts.factories import MembershipFactory, OperatorMandateFactory, UserFactory
from kechuang.auctions import services
from kechuang.core.factories import RegionFactory
from kechuang.directory.factories import OrganizationFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
STARTS = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
CLOSES = datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)
DURING = datetime(2026, 12, 1, 11, 0, tzinfo=SHANGHAI)
BEFORE = STARTS - timedelta(days=3)
PATENT_A = "ZL201910123456.X"


def valid_number(year: int, serial: int) -> str:
    from kechuang.directory.validators import patent_check_digit

    digits = f"{year}1{serial:07d}"
    return f"ZL{digits}.{patent_check_digit(digits)}"


@dataclass
class World:
    region: object
    operator: object
    owner: object
    session: object
    single: object
    portfolio: object
    bidders: list = field(default_factory=list)  # (user, organization, registration)

    def user(self, n):
        return self.bidders[n][0]

    def registration(self, n):
        registration = self.bidders[n][2]
        registration.refresh_from_db()
        return registration


@pytest.fixture(autouse=True)
def fast_password_hashing(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def empty_live_cache():
    """Lot ids come round again once a test's transaction rolls back: no test sees another's cached
    live blocks (see kechuang.auctions.live)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def make_world(*, mode="online", bidders=3, deposit=Decimal("50000")) -> World:
    shanghai = RegionFactory(code="310000", name="上海市", level="province")
    region = RegionFactory(code="310114", name="嘉定区", level="district", parent=shanghai)
    operator = UserFactory()
    OperatorMandateFactory(user=operator, region=region, office="嘉定区科协")
    owner = OrganizationFactory(
        name="中国科学院上海光学精密机械研究所", kind="institute", region=region
    )
    session = services.create_session(
        operator,
        region=region,
        title="中国科学院专利竞价（拍卖）会",
        organizer="上海技术交易所",
        terms="一、竞买人应具备完全民事行为能力。\n二、资料室文件仅供评估使用，不得外传。",
        starts_at=STARTS,
        closes_at=CLOSES,
        mode=mode,
    )
    single = services.add_lot(
        operator,
        session,
        title="一种高功率光纤激光器",
        owner=owner,
        patents=[{"number": PATENT_A, "title": "一种高功率光纤激光器", "ipc": "H01S 3/067"}],
        starting_price="100000",
        increment="10000",
        reserve_price="150000",
        deposit=deposit,
    )
    portfolio = services.add_lot(
        operator,
        session,
        title="激光加工专利组合",
        owner=owner,
        patents=[
            {
                "number": valid_number(2018, 1000001 + n),
                "title": f"激光加工方法{n}",
                "ipc": "B23K 26/00",
            }
            for n in range(3)
        ],
        starting_price="300000",
        increment="20000",
        deposit=deposit,
    )
    services.submit_session(operator, session)
    session = services.publish_session(operator, session, now=BEFORE)
    world = World(region, operator, owner, session, single, portfolio)
    for n in range(bidders):
        user = UserFactory()
        organization = OrganizationFactory(name=f"竞买企业{n}", region=region)
        MembershipFactory(user=user, organization=organization)
        registration = services.register_bidder(
            user, session, organization, accept_terms=True, now=BEFORE
        )
        services.record_deposit(
            operator, registration, deposit, idempotency_key=f"bank-{n}", now=BEFORE
        )
        world.bidders.append((user, organization, registration))
    world.single.refresh_from_db()
    world.portfolio.refresh_from_db()
    return world


@pytest.fixture
def world(db) -> World:
    return make_world()
