"""A small two-region world for permission tests: Ruian (under Wenzhou, Zhejiang) and Jiading (Shanghai),
one organisation with a member in each, operators of Ruian, Wenzhou (the city above Ruian) and Jiading."""

from dataclasses import dataclass
from functools import cache

import factory
from django.contrib.auth.hashers import make_password

from kechuang.accounts.factories import MembershipFactory, OperatorMandateFactory, UserFactory
from kechuang.accounts.models import User
from kechuang.core.factories import RegionFactory
from kechuang.core.models import Region
from kechuang.directory.factories import OrganizationFactory
from kechuang.directory.models import Organization

PASSWORD = "kechuang-test-pw"


@dataclass
class World:
    wenzhou: Region
    ruian: Region
    jiading: Region
    org_a: Organization  # in Ruian
    org_b: Organization  # in Jiading
    member_a: User
    member_b: User
    ruian_operator: User
    wenzhou_operator: User
    jiading_operator: User
    outsider: User  # signed in, no membership, no mandate


@cache
def password_hash() -> str:
    """The factories' password, hashed once per test run (hashing costs ~1 s per user on a busy machine)."""
    return make_password(PASSWORD)


def person(username: str, **fields) -> User:
    """A user who can sign in with ``PASSWORD``."""
    return UserFactory(
        username=username, password=factory.Transformer.Force(password_hash()), **fields
    )


def operator(username: str, region: Region) -> User:
    user = person(username, is_staff=True)
    OperatorMandateFactory(user=user, region=region)
    return user


def build_world() -> World:
    zhejiang = RegionFactory(code="330000", name="浙江省", level=Region.Level.PROVINCE)
    wenzhou = RegionFactory(code="330300", name="温州市", level=Region.Level.CITY, parent=zhejiang)
    ruian = RegionFactory(code="330381", name="瑞安市", parent=wenzhou)
    shanghai = RegionFactory(code="310000", name="上海市", level=Region.Level.PROVINCE)
    jiading = RegionFactory(code="310114", name="嘉定区", parent=shanghai)
    org_a = OrganizationFactory(name="瑞安汽配有限公司", region=ruian)
    org_b = OrganizationFactory(name="嘉定检测中心", region=jiading, kind=Organization.Kind.TESTING)
    member_a = person("member_a")
    member_b = person("member_b")
    MembershipFactory(user=member_a, organization=org_a)
    MembershipFactory(user=member_b, organization=org_b)
    return World(
        wenzhou=wenzhou,
        ruian=ruian,
        jiading=jiading,
        org_a=org_a,
        org_b=org_b,
        member_a=member_a,
        member_b=member_b,
        ruian_operator=operator("ruian_op", ruian),
        wenzhou_operator=operator("wenzhou_op", wenzhou),
        jiading_operator=operator("jiading_op", jiading),
        outsider=person("outsider"),
    )
