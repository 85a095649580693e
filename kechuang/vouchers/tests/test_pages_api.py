"""Pages and API as each role uses them: nothing answers 500, refusals say why and change nothing, money-
moving API calls are idempotent."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from kechuang.accounts.factories import UserFactory
from kechuang.core.factories import RegionFactory
from kechuang.core.models import AuditEntry
from kechuang.directory.factories import ServiceItemFactory
from kechuang.ledger.models import Entry
from kechuang.vouchers import clearing, redemptions
from kechuang.vouchers.factories import member, operator_of
from kechuang.vouchers.models import Redemption, ServiceOrder, VoucherApplication, VoucherHold
from kechuang.vouchers.tests.conftest import NOW, make_world
from kechuang.vouchers.tests.test_redemptions import delivered, evidence


@pytest.fixture
def world(db):
    """The pages use the real clock: vouchers issued now, valid for a year."""
    from django.utils import timezone

    return make_world(timezone.now())


def auditor():
    user = UserFactory(username="auditor-test")
    group, _ = Group.objects.get_or_create(name="审计")
    group.permissions.add(Permission.objects.get(codename="audit_ledger"))
    user.groups.add(group)
    return user


def test_public_pages(client, world):
    assert client.get(reverse("vouchers:index")).status_code == 200
    page = client.get(reverse("vouchers:programme", args=[world.programme.pk]))
    assert page.status_code == 200
    assert "创新券最多支付合格费用的 50%" in page.content.decode()
    assert client.get(reverse("vouchers:wallet")).status_code == 302  # to log in


def test_service_page_shows_vouchers_usable_for_active_providers(client, world):
    item = ServiceItemFactory(provider=world.provider)
    client.force_login(world.owner)
    text = client.get(item.get_absolute_url()).content.decode()
    assert "可使用创新券" in text and reverse("vouchers:order", args=[item.pk]) in text


def test_enterprise_orders_with_a_quote_then_confirms(client, world):
    item = ServiceItemFactory(provider=world.provider, price=4000)
    client.force_login(world.owner)
    url = reverse("vouchers:order", args=[item.pk])
    voucher = world.vouchers[0]
    quoted = client.post(url, {"voucher": voucher.pk, "fee": "4000", "key": "abc"})
    assert "企业自付 2,000.00 元" in quoted.content.decode()
    assert not ServiceOrder.objects.exists()
    done = client.post(url, {"voucher": voucher.pk, "fee": "4000", "key": "abc", "confirm": "1"})
    assert done.status_code == 302
    again = client.post(url, {"voucher": voucher.pk, "fee": "4000", "key": "abc", "confirm": "1"})
    assert again.status_code == 302 and ServiceOrder.objects.count() == 1
    wallet = client.get(reverse("vouchers:wallet")).content.decode()
    assert voucher.code in wallet


def test_bad_order_input_says_what_is_wrong(client, world):
    item = ServiceItemFactory(provider=world.provider)
    client.force_login(world.owner)
    page = client.post(reverse("vouchers:order", args=[item.pk]), {"voucher": "x", "fee": "-1"})
    assert page.status_code == 200 and "field-error" in page.content.decode()


def test_operator_decides_an_application_on_the_desk(client, world):
    application = VoucherApplication.objects.create(
        programme=world.programme,
        organization=world.enterprise,
        plan="检测",
        estimated_fee=Decimal("20000"),
        requested=Decimal("10000"),
        submitted_by=world.owner,
        submitted_at=NOW,
    )
    op = operator_of(world.jiading)
    client.force_login(op)
    assert client.get(reverse("vouchers:manage")).status_code == 200
    url = reverse("vouchers:decide_application", args=[application.pk])
    page = client.post(url, {"granted": "5000", "reason": ""}, follow=True)
    assert "部分批准或不批准时请写明理由" in page.content.decode()
    application.refresh_from_db()
    assert application.status == VoucherApplication.Status.SUBMITTED
    client.post(url, {"granted": "5000", "reason": "预算有限，先批一半"})
    application.refresh_from_db()
    assert application.status == VoucherApplication.Status.PARTLY
    assert application.vouchers.count() == 1


def test_provider_redeems_and_operator_approves(client, world):
    order = delivered(world, world.provider)
    client.force_login(member(world.provider))
    assert client.get(reverse("vouchers:provider")).status_code == 200
    response = client.post(reverse("vouchers:redeem", args=[order.hold.pk]), evidence())
    assert response.status_code == 302
    redemption = order.hold.redemption
    client.force_login(operator_of(world.jiading))
    response = client.post(redemption.get_absolute_url(), {"approve": "1", "reason": ""})
    redemption.refresh_from_db()
    assert redemption.status == "approved"
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(redemption.get_absolute_url()).status_code == 403


def test_api_redemption_evidence_is_a_file_of_at_least_one_byte(client, world):
    """The document says each evidence part is a file of at least one byte, and an empty one is a 422
    naming the part before the hold is read. (The schema allowed an empty part: schemathesis sent one as
    headers with no blank line after them, which Django's parser drops — "Field required" to a request
    the document called valid.)"""
    schema = client.get("/api/openapi.json").json()["paths"][
        "/api/vouchers/holds/{hold_id}/redemptions"
    ]
    form = schema["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["contract", "invoice", "receipt", "report"]
    assert form["properties"] == {
        name: {"type": "string", "format": "binary", "minLength": 1, "title": name.title()}
        for name in form["required"]
    }
    order = delivered(world, world.provider)
    client.force_login(member(world.provider))
    audited = AuditEntry.objects.count()
    empty = SimpleUploadedFile("contract.pdf", b"", content_type="application/pdf")
    for hold_id in (order.hold.pk, 999999):
        response = client.post(
            f"/api/vouchers/holds/{hold_id}/redemptions", evidence(contract=empty)
        )
        assert response.status_code == 422
        assert response.json() == {
            "code": "invalid",
            "detail": "Value error, 文件为空",
            "errors": [
                {"loc": ["file", "contract"], "msg": "Value error, 文件为空", "type": "value_error"}
            ],
        }
    assert not Redemption.objects.exists() and AuditEntry.objects.count() == audited
    accepted = client.post(f"/api/vouchers/holds/{order.hold.pk}/redemptions", evidence())
    assert accepted.status_code == 200 and Redemption.objects.get().hold == order.hold


def test_the_operator_of_the_holders_district_reads_its_redemptions(client, world):
    """The pilot indicators count spent vouchers by the holder's district and link each to its redemption:
    that district's operator reads it (not decides it); an operator elsewhere still may not."""
    town = RegionFactory(code="310191", name="嘉定工业区", level="district", parent=world.jiading)
    world.enterprise.region = town
    world.enterprise.save(update_fields=["region"])
    order = delivered(world, world.provider)
    redemption = redemptions.submit_redemption(
        member(world.provider), order.hold, files=evidence(), now=NOW
    )
    client.force_login(operator_of(town))
    page = client.get(redemption.get_absolute_url())
    assert page.status_code == 200 and 'name="approve"' not in page.text
    client.force_login(operator_of(world.suzhou))
    assert client.get(redemption.get_absolute_url()).status_code == 403


def test_clearing_page_and_statement_xlsx(client, world):
    order = delivered(world, world.suzhou_provider)
    redemption = redemptions.submit_redemption(
        member(world.suzhou_provider), order.hold, files=evidence(), now=NOW
    )
    redemptions.decide_redemption(operator_of(world.jiading), redemption, approve=True, now=NOW)
    op = operator_of(world.jiading)
    import datetime

    run = clearing.open_run(
        op,
        world.federation,
        period_start=datetime.date(2018, 12, 1),
        period_end=datetime.date(2018, 12, 31),
        now=NOW,
    )
    client.force_login(op)
    page = client.get(run.get_absolute_url())
    assert page.status_code == 200 and "苏州市" in page.content.decode()
    xlsx = client.get(reverse("vouchers:clearing_statement", args=[run.pk, "320500"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "嘉定区" in values and Decimal("3000.00") in [
        Decimal(str(v)) for v in values if isinstance(v, int | float)
    ]


def test_auditor_sees_a_zero_trial_balance_and_exports(client, world):
    delivered(world, world.provider)
    client.force_login(auditor())
    page = client.get(reverse("vouchers:audit"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="trial-total">0' in text and 'id="invariants-ok"' in text
    export = client.get(reverse("vouchers:audit_entries"))
    body = b"".join(export.streaming_content).decode()
    assert "vouchers.hold.settled" in body
    client.force_login(world.owner)
    assert client.get(reverse("vouchers:audit")).status_code == 403


def test_workbench_shows_voucher_queues(client, world):
    client.force_login(world.owner)
    page = client.get(reverse("manage:dashboard")).content.decode()
    assert "可用的创新券" in page
    client.force_login(auditor())
    page = client.get(reverse("manage:dashboard")).content.decode()
    assert "创新券账务审计" in page


def test_api_hold_needs_a_key_and_repeats_the_first_answer(client, world):
    client.force_login(world.owner)
    body = {
        "voucher": world.vouchers[0].pk,
        "provider": world.provider.pk,
        "item_kind": "instrument",
        "category": "analytical",
        "fee": "1000.00",
        "reference": "booking:1",
    }
    url = "/api/vouchers/holds"
    assert client.post(url, body, content_type="application/json").status_code == 422
    first = client.post(
        url, body, content_type="application/json", headers={"Idempotency-Key": "k1"}
    )
    assert first.status_code == 200 and first.json()["amount"] == "500.00"
    entries = Entry.objects.count()
    again = client.post(
        url, body, content_type="application/json", headers={"Idempotency-Key": "k1"}
    )
    assert again.json() == first.json() and Entry.objects.count() == entries
    hold_id = first.json()["id"]
    settled = client.post(
        f"/api/vouchers/holds/{hold_id}/settle",
        {"actual_fee": "800"},
        content_type="application/json",
        headers={"Idempotency-Key": "s1"},
    )
    assert settled.json()["settled_amount"] == "400.00"
    repeat = client.post(
        f"/api/vouchers/holds/{hold_id}/settle",
        {"actual_fee": "800"},
        content_type="application/json",
        headers={"Idempotency-Key": "s1"},
    )
    assert repeat.status_code == 200 and repeat.json() == settled.json()
    refused = client.post(
        f"/api/vouchers/holds/{hold_id}/release", headers={"Idempotency-Key": "r1"}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "hold_closed"
    assert VoucherHold.objects.get(pk=hold_id).status == "settled"


@pytest.mark.parametrize("fee", ["abc", "-1", "1e30", "0.001"])
def test_api_quote_bad_input_is_422_or_409(client, world, fee):
    client.force_login(world.owner)
    response = client.post(
        "/api/vouchers/quote",
        {
            "voucher": world.vouchers[0].pk,
            "provider": world.provider.pk,
            "item_kind": "service",
            "category": "testing",
            "fee": fee,
        },
        content_type="application/json",
    )
    assert response.status_code in (409, 422)


def test_api_programmes_public(client, world):
    rows = client.get("/api/vouchers/programmes").json()
    assert rows[0]["copay_percent"] == "50.00"


def _two_submitted(world):
    made = []
    for provider, key in ((world.provider, "p1"), (world.suzhou_provider, "p2")):
        order = delivered(world, provider, fee="2000", key=key)
        made.append(
            redemptions.submit_redemption(member(provider), order.hold, files=evidence(), now=NOW)
        )
    return made


def test_operator_approves_a_selection_on_the_desk(client, world):
    """批量审核 on the review desk: the ticked rows are approved at once; a flagged row needs its override
    typed on its row; the page says what was refused and why."""
    from kechuang.vouchers.models import Redemption

    here, there = _two_submitted(world)
    Redemption.objects.filter(pk=there.pk).update(flags=[{"rule": "phone", "label": "同一电话"}])
    client.force_login(operator_of(world.jiading))
    desk = client.get(reverse("vouchers:manage")).content.decode()
    assert f'name="ids" value="{here.pk}"' in desk and f'name="override_{there.pk}"' in desk
    url = reverse("vouchers:approve_redemptions")
    page = client.post(url, {"ids": [here.pk, there.pk]}, follow=True)
    text = page.content.decode()
    assert page.status_code == 200
    assert "已批准 1 份兑付申请。" in text and "未批准：该兑付申请存在关联方风险" in text
    assert dict(Redemption.objects.values_list("pk", "status")) == {
        here.pk: "approved",
        there.pk: "submitted",
    }
    client.post(url, {"ids": [there.pk], f"override_{there.pk}": "经核查非关联交易"})
    assert Redemption.objects.get(pk=there.pk).status == "approved"
    assert "请先勾选" in client.post(url, {}, follow=True).content.decode()


def test_batch_approval_is_refused_to_others(client, world):
    from kechuang.vouchers.models import Redemption

    here, _there = _two_submitted(world)
    url = reverse("vouchers:approve_redemptions")
    client.force_login(member(world.provider))
    assert client.post(url, {"ids": [here.pk]}).status_code == 403
    client.force_login(operator_of(world.suzhou))  # an operator, but not of the issuing region
    text = client.post(url, {"ids": [here.pk]}, follow=True).content.decode()
    assert "不存在或不归您审核" in text
    assert Redemption.objects.get(pk=here.pk).status == "submitted"


def test_api_batch_approval_is_idempotent(client, world):
    here, there = _two_submitted(world)
    client.force_login(operator_of(world.jiading))
    url = "/api/vouchers/redemptions/approvals"
    body = {"ids": [here.pk, there.pk, 999999]}
    entries = Entry.objects.count()
    # keys and overrides outside what the schema says are refused before anything moves
    for key in (" ", "", "键", "k" * 81):
        bad = client.post(
            url, body, content_type="application/json", headers={"Idempotency-Key": key}
        )
        assert bad.status_code == 422, key
    odd = client.post(url, {**body, "overrides": {"x": ""}}, content_type="application/json")
    assert odd.status_code == 422
    assert Entry.objects.count() == entries
    assert here.__class__.objects.filter(status="approved").count() == 0
    first = client.post(
        url, body, content_type="application/json", headers={"Idempotency-Key": "batch-1"}
    )
    assert first.status_code == 200
    answer = first.json()
    assert sorted(r["id"] for r in answer["approved"]) == [here.pk, there.pk]
    assert answer["refused"] == [{"id": 999999, "code": "not_found", "message": "兑付申请不存在。"}]
    entries = Entry.objects.count()
    again = client.post(
        url, body, content_type="application/json", headers={"Idempotency-Key": "batch-1"}
    )
    assert again.json() == answer and Entry.objects.count() == entries
    other_key = client.post(
        url, body, content_type="application/json", headers={"Idempotency-Key": "batch-2"}
    ).json()
    assert other_key["approved"] == [] and [r["code"] for r in other_key["refused"]] == [
        "decided",
        "decided",
        "not_found",
    ]
    assert Entry.objects.count() == entries
    assert client.post(url, {"ids": []}, content_type="application/json").status_code == 422
