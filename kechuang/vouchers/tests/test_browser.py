"""The voucher journeys in Chromium, at phone width: an enterprise orders a service with a voucher (quote,
then confirm); the provider delivers it and redeems with evidence; the issuing region's operator approves
the redemption and pays the month's batch; the auditor sees a zero trial balance."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kechuang.directory.factories import ServiceItemFactory
from kechuang.vouchers.factories import member, operator_of
from kechuang.vouchers.models import Redemption, ServiceOrder
from kechuang.vouchers.tests.conftest import PDF_BYTES, make_world
from kechuang.vouchers.tests.test_pages_api import auditor

PASSWORD = "kechuang-test-pw"


def login(page, base, user):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_order_deliver_redeem_approve_pay_audit(page, live_server, tmp_path):
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    world = make_world(timezone.now())
    item = ServiceItemFactory(provider=world.provider, price=6000, title="材料成分检测")

    # the enterprise: the service page offers the voucher, the quote explains the split
    login(page, base, world.owner)
    page.goto(f"{base}{item.get_absolute_url()}")
    expect(page.get_by_text("可使用创新券")).to_be_visible()
    page.get_by_role("link", name="用创新券下单").click()
    page.get_by_role("button", name="计算创新券支付金额").click()
    expect(page.locator("#quote")).to_contain_text("企业自付 3,000.00 元")
    page.get_by_role("button", name="确认下单").click()
    expect(page.get_by_text("订单已提交")).to_be_visible()
    order = ServiceOrder.objects.get()

    # the provider delivers and redeems with its four documents
    login(page, base, member(world.provider))
    page.goto(f"{base}/vouchers/provider/")
    page.get_by_role("button", name="已交付").click()
    expect(page.get_by_text("已确认交付")).to_be_visible()
    page.get_by_role("link", name="申请兑付").click()
    for field in ("contract", "invoice", "receipt", "report"):
        path = tmp_path / f"{field}.pdf"
        path.write_bytes(PDF_BYTES)
        page.set_input_files(f"input[name={field}]", str(path))
    page.get_by_role("button", name="提交兑付申请").click()
    expect(page.get_by_text("兑付申请已提交")).to_be_visible()

    # the issuing region approves, then pays its batch
    login(page, base, operator_of(world.jiading))
    redemption = Redemption.objects.get(hold=order.hold)
    page.goto(f"{base}{redemption.get_absolute_url()}")
    page.get_by_label("批准兑付").check()
    page.get_by_role("button", name="提交审核结果").click()
    expect(page.get_by_text("已审核。")).to_be_visible()
    page.goto(f"{base}/vouchers/manage/")
    page.get_by_placeholder("支付流水号").fill("JD-TEST-0001")
    page.get_by_role("button", name="标记已支付").click()
    expect(page.get_by_text("批次已标记为已支付")).to_be_visible()
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.PAID

    # the auditor
    login(page, base, auditor())
    page.goto(f"{base}/vouchers/audit/")
    expect(page.locator("#trial-total")).to_have_text("0.00")
    expect(page.locator("#invariants-ok")).to_be_visible()
