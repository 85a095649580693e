"""Reference data shared by the import/export tests: Zhejiang → Wenzhou → Ruian and Lucheng, a second
province with a district of the same name as one in Wenzhou, an industry chain, technical fields, and an
operator of Wenzhou, an operator of the other province and a superuser."""

import csv
import io
from dataclasses import dataclass

from kechuang.accounts.factories import OperatorMandateFactory, UserFactory
from kechuang.core.models import IndustryChain, Region, TechField
from kechuang.directory.factories import make_credit_code
from kechuang.directory.transfer.readers import Sheet


@dataclass
class World:
    zhejiang: Region
    wenzhou: Region
    ruian: Region
    lucheng: Region
    jiangsu: Region
    operator: object
    outsider: object
    superuser: object
    chain: IndustryChain
    field: TechField


def build_world() -> World:
    zhejiang = Region.objects.create(code="330000", name="浙江省", level=Region.Level.PROVINCE)
    wenzhou = Region.objects.create(
        code="330300", name="温州市", level=Region.Level.CITY, parent=zhejiang
    )
    ruian = Region.objects.create(
        code="330381", name="瑞安市", level=Region.Level.DISTRICT, parent=wenzhou
    )
    lucheng = Region.objects.create(
        code="330302", name="鹿城区", level=Region.Level.DISTRICT, parent=wenzhou
    )
    Region.objects.create(code="330301", name="市辖区", level=Region.Level.DISTRICT, parent=wenzhou)
    jiangsu = Region.objects.create(code="320000", name="江苏省", level=Region.Level.PROVINCE)
    Region.objects.create(code="320101", name="市辖区", level=Region.Level.DISTRICT, parent=jiangsu)
    # No password: hashing one is slow, and the page tests log in with force_login.
    operator = OperatorMandateFactory(
        region=wenzhou, user__username="wz-operator", user__password=None
    ).user
    outsider = OperatorMandateFactory(
        region=jiangsu, user__username="js-operator", user__password=None
    ).user
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True, password=None)
    chain = IndustryChain.objects.create(name="汽车零部件", slug="auto-parts")
    engineering = TechField.objects.create(name="工学")
    field = TechField.objects.create(name="机械工程", parent=engineering)
    return World(
        zhejiang, wenzhou, ruian, lucheng, jiangsu, operator, outsider, superuser, chain, field
    )


def code(n: int) -> str:
    """A valid credit code (Ruian) for test organisation ``n``."""
    return make_credit_code(n)


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def sheet(rows: list[list[str]]) -> list[Sheet]:
    return [Sheet(name="CSV", rows=rows)]
