"""A city (温州市) with two districts (瑞安市, 龙湾区), a city operator and two district operators, so that
four-eyes rules and the ranking have someone to act and something to rank."""

import datetime
from dataclasses import dataclass

import pytest

from kechuang.accounts.factories import OperatorMandateFactory, UserFactory
from kechuang.core.factories import RegionFactory
from kechuang.core.models import Region

NOW = datetime.datetime(2026, 7, 10, 10, 0, tzinfo=datetime.UTC)  # July: six months have passed
TODAY = datetime.date(2026, 7, 10)


@dataclass
class City:
    city: Region
    ruian: Region
    longwan: Region
    operator: object  # 温州市
    second: object  # another operator of 温州市
    ruian_operator: object
    outsider: object  # an operator of another city


@pytest.fixture
def city(db) -> City:
    province = RegionFactory(code="330000", name="浙江省", level=Region.Level.PROVINCE)
    wenzhou = RegionFactory(code="330300", name="温州市", level=Region.Level.CITY, parent=province)
    ruian = RegionFactory(code="330381", name="瑞安市", parent=wenzhou)
    longwan = RegionFactory(code="330303", name="龙湾区", parent=wenzhou)
    other = RegionFactory(code="330200", name="宁波市", level=Region.Level.CITY, parent=province)

    def operator(region, name):
        return OperatorMandateFactory(region=region, user=UserFactory(username=name)).user

    return City(
        wenzhou,
        ruian,
        longwan,
        operator(wenzhou, "wz1"),
        operator(wenzhou, "wz2"),
        operator(ruian, "ra1"),
        operator(other, "nb1"),
    )
