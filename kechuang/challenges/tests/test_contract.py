"""Signing a task book registers its technology-development contract for the seller region's review."""

from decimal import Decimal

import pytest

from kechuang.challenges.tests.conftest import contracted
from kechuang.contracts.models import TechContract


@pytest.mark.django_db
def test_signing_a_task_book_creates_its_development_contract_once(world):
    agreement = contracted(world)
    contract = TechContract.objects.get(source="challenge", source_id=agreement.pk)
    assert contract.kind == "development"
    assert contract.status == TechContract.Status.SUBMITTED
    assert contract.total_amount == contract.tech_amount == agreement.bounty
    assert contract.seller_id == agreement.application.lead_id
    assert contract.seller_region_id == agreement.application.lead.region_id
    plan = list(contract.payments.values_list("amount", flat=True))
    assert sum(plan, Decimal(0)) == agreement.committed_total
    assert plan == list(agreement.tranches.order_by("pk").values_list("amount", flat=True))
