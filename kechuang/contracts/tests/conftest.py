"""The federation of the contract tests: 瑞安市 under 温州市 under 浙江省, and 嘉定区 under 上海市; an operator of
each side, an enterprise in 瑞安 and a university in 温州 with one member each."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kechuang.accounts.factories import MembershipFactory, OperatorMandateFactory, UserFactory
from kechuang.contracts import services
from kechuang.core.factories import IndustryChainFactory, RegionFactory
from kechuang.directory.factories import OrganizationFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="合同.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@dataclass
class World:
    zhejiang: object
    wenzhou: object
    ruian: object
    jiading: object
    chain: object
    enterprise: object
    university: object
    buyer_user: object
    seller_user: object
    wenzhou_operator: object
    jiading_operator: object
    outsider: object

    def data(self, **overrides) -> services.ContractInput:
        values = {
            "title": "电控气源装置降噪技术开发",
            "kind": "development",
            "buyer": self.enterprise,
            "buyer_name": self.enterprise.name,
            "buyer_region": self.ruian,
            "seller": self.university,
            "seller_name": self.university.name,
            "seller_region": self.wenzhou,
            "total_amount": Decimal("1200000"),
            "tech_amount": Decimal("1000000"),
            "signed_on": date(2026, 3, 1),
            "industry_chain": self.chain,
            "payments": [
                {"due_on": date(2026, 3, 15), "amount": Decimal("600000"), "condition": "签约"},
                {"due_on": date(2026, 9, 30), "amount": Decimal("600000"), "condition": "验收"},
            ],
        }
        values.update(overrides)
        return services.ContractInput(**values)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(db) -> World:
    return make_world()


def make_world() -> World:
    zhejiang = RegionFactory(code="330000", name="浙江省", level="province")
    wenzhou = RegionFactory(
        code="330300", name="温州市", level="city", parent=zhejiang, is_pilot=True
    )
    ruian = RegionFactory(
        code="330381", name="瑞安市", level="district", parent=wenzhou, is_pilot=True
    )
    shanghai = RegionFactory(code="310000", name="上海市", level="province")
    jiading = RegionFactory(
        code="310114", name="嘉定区", level="district", parent=shanghai, is_pilot=True
    )
    chain = IndustryChainFactory(name="汽车零部件", slug="auto-parts")
    enterprise = OrganizationFactory(name="瑞安汽车电机有限公司", region=ruian)
    university = OrganizationFactory(name="温州大学", kind="university", region=wenzhou)
    buyer_user, seller_user = UserFactory(), UserFactory()
    MembershipFactory(user=buyer_user, organization=enterprise)
    MembershipFactory(user=seller_user, organization=university)
    wenzhou_operator, jiading_operator = UserFactory(), UserFactory()
    OperatorMandateFactory(user=wenzhou_operator, region=wenzhou, office="温州市科协")
    OperatorMandateFactory(user=jiading_operator, region=jiading, office="嘉定区科协")
    return World(
        zhejiang,
        wenzhou,
        ruian,
        jiading,
        chain,
        enterprise,
        university,
        buyer_user,
        seller_user,
        wenzhou_operator,
        jiading_operator,
        UserFactory(),
    )


def submitted(world, **overrides):
    contract = services.enter_contract(world.seller_user, world.data(**overrides))
    services.attach_file(world.seller_user, contract, pdf())
    return services.submit_contract(world.seller_user, contract)


def registered(world, now=None, **overrides):
    contract = submitted(world, **overrides)
    return services.register_contract(
        world.wenzhou_operator, contract, attachments_checked=True, now=now
    )
