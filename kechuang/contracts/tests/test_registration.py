"""Entering, submitting and reviewing contracts: every transition, the forbidden ones changing nothing."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict

from kechuang.contracts import services
from kechuang.contracts.models import TechContract
from kechuang.contracts.tests.conftest import pdf, registered, submitted
from kechuang.core.actions import Refused
from kechuang.core.models import AuditEntry
from kechuang.notifications.models import Notification

S = TechContract.Status
pytestmark = pytest.mark.django_db


def state(contract):
    contract.refresh_from_db()
    return (
        model_to_dict(contract),
        list(contract.payments.values_list("order", "amount")),
        contract.attachments.count(),
    )


def test_enter_attach_submit_register(world):
    contract = services.enter_contract(world.seller_user, world.data())
    assert contract.status == S.DRAFT and contract.number is None
    assert list(contract.payments.values_list("amount", flat=True)) == [
        Decimal("600000.00"),
        Decimal("600000.00"),
    ]
    with pytest.raises(Refused) as refusal:
        services.submit_contract(world.seller_user, contract)
    assert refusal.value.code == "no_attachment"
    services.attach_file(world.seller_user, contract, pdf())
    contract = services.submit_contract(world.seller_user, contract)
    assert contract.status == S.SUBMITTED
    assert Notification.objects.filter(recipient=world.wenzhou_operator).count() == 1
    with pytest.raises(Refused) as refusal:
        services.register_contract(world.wenzhou_operator, contract)
    assert refusal.value.code == "attachments_unchecked"
    when = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
    contract = services.register_contract(
        world.wenzhou_operator, contract, attachments_checked=True, now=when
    )
    assert contract.status == S.REGISTERED
    assert contract.number == "2026330300000001"
    assert contract.registered_at == when and contract.reviewed_by == world.wenzhou_operator
    actions = set(
        AuditEntry.objects.filter(
            target_id=str(contract.pk), target_type="contracts.techcontract"
        ).values_list("action", flat=True)
    )
    assert actions == {
        "contracts.contract.enter",
        "contracts.contract.attach",
        "contracts.contract.submit",
        "contracts.contract.register",
    }
    assert Notification.objects.filter(recipient=world.seller_user).exists()


def test_numbers_count_up_per_region_and_year(world):
    first = registered(world, now=datetime(2026, 3, 1, tzinfo=UTC))
    second = registered(world, now=datetime(2026, 4, 1, tzinfo=UTC))
    next_year = registered(world, now=datetime(2027, 1, 5, tzinfo=UTC))
    assert [first.number, second.number, next_year.number] == [
        "2026330300000001",
        "2026330300000002",
        "2027330300000001",
    ]


def test_returned_contract_is_corrected_and_resubmitted(world):
    contract = submitted(world)
    contract = services.return_contract(
        world.wenzhou_operator, contract, "技术交易额含设备费，请拆分"
    )
    assert contract.status == S.RETURNED and contract.review_note == "技术交易额含设备费，请拆分"
    contract = services.update_contract(
        world.seller_user, contract, world.data(tech_amount=Decimal("900000"), payments=[])
    )
    assert contract.tech_amount == Decimal("900000.00") and not contract.payments.exists()
    contract = services.submit_contract(world.seller_user, contract)
    assert contract.status == S.SUBMITTED and contract.review_note == ""


def test_refused_contract_is_final(world):
    contract = services.refuse_contract(world.wenzhou_operator, submitted(world), "非技术合同")
    assert contract.status == S.REFUSED
    before = state(contract)
    for attempt in (
        lambda: services.submit_contract(world.seller_user, contract),
        lambda: services.update_contract(world.seller_user, contract, world.data()),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    for attempt in (
        lambda: services.register_contract(world.wenzhou_operator, contract),
        lambda: services.return_contract(world.wenzhou_operator, contract, "再看看"),
    ):
        with pytest.raises(Refused):
            attempt()
    assert state(contract) == before


def test_registered_contract_cannot_be_reviewed_again(world):
    contract = registered(world)
    before = state(contract)
    with pytest.raises(Refused) as refusal:
        services.register_contract(world.wenzhou_operator, contract, attachments_checked=True)
    assert refusal.value.code == "state"
    with pytest.raises(Refused):
        services.refuse_contract(world.wenzhou_operator, contract, "重复")
    assert state(contract) == before


def test_only_operators_of_the_seller_region_review(world):
    contract = submitted(world)
    before = state(contract)
    for user in (world.jiading_operator, world.buyer_user, world.seller_user, world.outsider):
        with pytest.raises(PermissionDenied):
            services.register_contract(user, contract, attachments_checked=True)
        with pytest.raises(PermissionDenied):
            services.return_contract(user, contract, "原因")
    assert state(contract) == before


def test_outsiders_may_neither_enter_nor_edit(world):
    with pytest.raises(PermissionDenied):
        services.enter_contract(world.outsider, world.data())
    contract = services.enter_contract(world.buyer_user, world.data())
    with pytest.raises(PermissionDenied):
        services.update_contract(world.outsider, contract, world.data(title="改名"))
    assert TechContract.objects.get().title == "电控气源装置降噪技术开发"


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"title": "  "}, "title"),
        ({"kind": "equity"}, "kind"),
        ({"tech_amount": Decimal("1300000")}, "tech_over_total"),
        ({"tech_amount": Decimal("0")}, "invalid_amount"),
        ({"total_amount": Decimal("-5")}, "invalid_amount"),
        ({"buyer_name": "", "buyer": None}, "parties"),
        ({"seller_region": None}, "regions"),
        (
            {"starts_on": datetime(2026, 5, 1).date(), "ends_on": datetime(2026, 4, 1).date()},
            "term",
        ),
        (
            {"payments": [{"due_on": datetime(2026, 5, 1).date(), "amount": Decimal("1300000")}]},
            "payments_over_total",
        ),
        ({"payments": [{"due_on": None, "amount": Decimal("100")}]}, "payment_date"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(world, overrides, code):
    with pytest.raises(Refused) as refusal:
        services.enter_contract(world.seller_user, world.data(**overrides))
    assert refusal.value.code == code
    assert not TechContract.objects.exists()


def test_an_executable_is_refused_as_attachment(world):
    contract = services.enter_contract(world.seller_user, world.data())
    program = SimpleUploadedFile("合同.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(Refused) as refusal:
        services.attach_file(world.seller_user, contract, program)
    assert refusal.value.code == "attachment"
    assert not contract.attachments.exists()


def test_a_new_attachment_must_be_checked_again(world):
    contract = submitted(world)
    services.attach_file(world.wenzhou_operator, contract, pdf("发票.pdf"))
    with pytest.raises(Refused) as refusal:
        services.register_contract(world.wenzhou_operator, contract)
    assert refusal.value.code == "attachments_unchecked"
