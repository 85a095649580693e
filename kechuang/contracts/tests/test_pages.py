"""The register, the form, the review and the statistics as their users see them, and the API."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kechuang.contracts.models import TechContract
from kechuang.contracts.tests.conftest import pdf, registered, submitted

pytestmark = pytest.mark.django_db


def form_data(world, **overrides):
    data = {
        "title": "制动阀检测技术服务",
        "kind": "service",
        "seller_name": "",
        "seller_region": "",
        "buyer_name": "瑞安汽车电机有限公司",
        "buyer_region": str(world.ruian.pk),
        "our_organization": str(world.university.pk),
        "our_side": "seller",
        "total_amount": "80000",
        "tech_amount": "80000",
        "signed_on": "2026-06-01",
        "payments-due_on": ["2026-06-10", ""],
        "payments-amount": ["80000", ""],
        "payments-condition": ["签约后十日内", ""],
    }
    data.update(overrides)
    return data


def test_member_enters_a_contract_with_its_signed_text(client, world):
    client.force_login(world.seller_user)
    assert client.get(reverse("contracts:create")).status_code == 200
    response = client.post(reverse("contracts:create"), {**form_data(world), "attachment": pdf()})
    contract = TechContract.objects.get()
    assert response.status_code == 302 and response.url == contract.get_absolute_url()
    assert (contract.seller, contract.seller_region) == (world.university, world.wenzhou)
    assert contract.attachments.count() == 1 and contract.payments.count() == 1
    response = client.post(reverse("contracts:submit", args=[contract.pk]))
    contract.refresh_from_db()
    assert contract.status == TechContract.Status.SUBMITTED


def test_form_says_what_is_wrong_in_chinese_and_writes_nothing(client, world):
    client.force_login(world.seller_user)
    response = client.post(
        reverse("contracts:create"),
        form_data(world, tech_amount="90000", **{"payments-amount": ["abc", ""]}),
    )
    assert response.status_code == 200
    assert "“金额（元）”应为数字" in response.text
    response = client.post(reverse("contracts:create"), form_data(world, tech_amount="90000"))
    assert "技术交易额不能超过合同成交额" in response.text
    assert not TechContract.objects.exists()


def test_operator_registers_from_the_queue(client, world):
    contract = submitted(world)
    client.force_login(world.wenzhou_operator)
    response = client.get(reverse("contracts:register") + "?queue=1")
    assert contract.title in response.text
    page = client.get(contract.get_absolute_url())
    assert 'id="review-form"' in page.text
    client.post(reverse("contracts:review", args=[contract.pk]), {"decision": "register"})
    contract.refresh_from_db()
    assert contract.status == TechContract.Status.SUBMITTED  # attachments not confirmed
    client.post(
        reverse("contracts:review", args=[contract.pk]),
        {"decision": "register", "attachments_checked": "on"},
    )
    contract.refresh_from_db()
    assert contract.status == TechContract.Status.REGISTERED and contract.number


def test_returning_without_a_reason_is_refused(client, world):
    contract = submitted(world)
    client.force_login(world.wenzhou_operator)
    response = client.post(
        reverse("contracts:review", args=[contract.pk]), {"decision": "return"}, follow=True
    )
    assert "请填写原因" in response.text
    contract.refresh_from_db()
    assert contract.status == TechContract.Status.SUBMITTED


def test_strangers_cannot_read_or_review(client, world):
    contract = submitted(world)
    for user in (world.outsider, world.jiading_operator):
        client.force_login(user)
        assert client.get(contract.get_absolute_url()).status_code == 403
        response = client.post(
            reverse("contracts:review", args=[contract.pk]), {"decision": "refuse", "reason": "x"}
        )
        assert response.status_code == 403
    client.logout()
    assert client.get(reverse("contracts:register")).status_code == 302
    contract.refresh_from_db()
    assert contract.status == TechContract.Status.SUBMITTED


def test_attachment_downloads_only_for_readers(client, world):
    contract = submitted(world)
    attachment = contract.attachments.get()
    client.force_login(world.buyer_user)
    response = client.get(reverse("contracts:attachment", args=[attachment.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(world.outsider)
    assert client.get(reverse("contracts:attachment", args=[attachment.pk])).status_code == 403


def test_public_statistics_and_bad_parameters(client, world, django_assert_max_num_queries):
    registered(world, now=datetime(2026, 3, 1, 4, tzinfo=UTC))
    with django_assert_max_num_queries(15):
        response = client.get(reverse("contracts:statistics") + "?year=2026")
    assert response.status_code == 200
    assert response.context["stats"].count == 1
    assert json.loads(
        response.content.split(b'id="by-kind" type="application/json">')[1].split(b"</script>")[0]
    ) == [["技术开发", "1000000.00"]]
    for query in ("?year=abc", "?start=2026-13-01", "?region=999999", "?year=all&region=330300"):
        assert client.get(reverse("contracts:statistics") + query).status_code == 200


def test_register_list_queries_stay_bounded(client, world, django_assert_max_num_queries):
    for _ in range(5):
        submitted(world)
    client.force_login(world.wenzhou_operator)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("contracts:register"))
    assert response.status_code == 200 and len(response.context["page"].object_list) == 5


def test_export_is_an_xlsx_of_readable_contracts(client, world):
    registered(world)
    client.force_login(world.outsider)
    sheet = load_workbook(io.BytesIO(client.get(reverse("contracts:export")).content)).active
    assert sheet.max_row == 1
    client.force_login(world.wenzhou_operator)
    sheet = load_workbook(io.BytesIO(client.get(reverse("contracts:export")).content)).active
    assert sheet.max_row == 2


def test_api_turnover_enter_and_errors(client, world):
    registered(world, now=datetime(2026, 3, 1, 4, tzinfo=UTC))
    body = client.get("/api/contracts/turnover?region=330300&start=2026-01-01").json()
    assert body == {
        "region": "330300",
        "start": "2026-01-01",
        "end": None,
        "turnover": "1000000.00",
        "contracts": 1,
    }
    assert client.get("/api/contracts/turnover?region=999999").status_code == 404
    client.force_login(world.seller_user)
    payload = {
        "title": "接口登记的合同",
        "kind": "consulting",
        "buyer_name": "瑞安汽车电机有限公司",
        "buyer_region": "330381",
        "seller_name": "温州大学",
        "seller_region": "330300",
        "total_amount": "50000",
        "tech_amount": "50000",
        "signed_on": "2026-05-01",
    }
    response = client.post("/api/contracts/", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()["id"]
    response = client.post(f"/api/contracts/{created}/submit")
    assert response.status_code == 409 and response.json()["code"] == "no_attachment"
    response = client.post(
        "/api/contracts/", {**payload, "tech_amount": "60000"}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "tech_over_total"
    response = client.post(
        "/api/contracts/", {**payload, "kind": "equity"}, content_type="application/json"
    )
    assert response.status_code == 422
    response = client.post(
        f"/api/contracts/{created}/register", {}, content_type="application/json"
    )
    assert response.status_code == 403
    assert TechContract.objects.get(pk=created).status == TechContract.Status.DRAFT
