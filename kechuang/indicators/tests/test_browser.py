"""The operators' journey in Chromium: a city operator enters a manual figure with evidence, a second
operator approves it from the review queue, the board ranks the districts and a click on a figure opens
its lineage; at phone width the board's table becomes cards."""

import datetime

import pytest
from playwright.sync_api import expect

from kechuang.accounts.factories import OperatorMandateFactory, UserFactory
from kechuang.core.factories import RegionFactory
from kechuang.core.models import Region
from kechuang.directory.factories import OrganizationFactory
from kechuang.directory.models import TierRecord
from kechuang.indicators import services
from kechuang.indicators.models import ManualValue

PASSWORD = "kechuang-test-pw"
YEAR = datetime.date.today().year


def login(page, base, user):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_enter_approve_rank_and_trace(page, live_server, artifacts_dir):
    base = live_server.url
    page.set_default_timeout(
        30000
    )  # a busy 2-core machine: the live server's first pages load slowly
    city = RegionFactory(code="330300", name="温州市", level=Region.Level.CITY)
    ruian = RegionFactory(code="330381", name="瑞安市", parent=city)
    longwan = RegionFactory(code="330303", name="龙湾区", parent=city)
    author = OperatorMandateFactory(
        region=city, user=UserFactory(username="wz1", display_name="市科协专员")
    ).user
    approver = OperatorMandateFactory(
        region=city, user=UserFactory(username="wz2", display_name="市科技局统计员")
    ).user
    sme = services.define_indicator(
        author,
        city,
        code="sme",
        name="新增省科技型中小企业",
        unit="家",
        source="directory.new_tech_sme",
        is_core=True,
    )
    venture = services.define_indicator(
        author, city, code="venture", name="创投机构投资", unit="亿元", money=True
    )
    firm = OrganizationFactory(region=longwan, name="温州龙湾光电科技有限公司")
    TierRecord.objects.create(
        organization=firm, tier="tech_sme", recognized_on=datetime.date(YEAR, 1, 5)
    )
    services.set_target(author, sme, longwan, YEAR, 1)
    services.set_target(author, sme, ruian, YEAR, 3)

    login(page, base, author)
    page.goto(f"{base}/indicators/{venture.pk}/?region={city.pk}&year={YEAR}")
    form = page.locator("form", has=page.get_by_role("heading", name="填报数值"))
    form.locator("select[name=region]").select_option(label="龙湾区")
    form.locator("input[name=month]").fill("1")
    form.locator("input[name=value]").fill("115000000")
    form.locator("textarea[name=evidence]").fill("龙湾区金融办一季度创投机构投资统计快报")
    form.get_by_role("button", name="提交审核").click()
    expect(page.locator(".messages")).to_contain_text("待另一位工作人员审核")
    page.goto(f"{base}/indicators/review/")
    expect(page.get_by_text("填报人不能审核自己填报的数值")).to_be_visible()

    login(page, base, approver)
    page.goto(f"{base}/indicators/review/")
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator(".messages")).to_contain_text("已审核通过")
    assert ManualValue.objects.get().approved_by == approver

    page.get_by_role("link", name="考核指标").first.click()
    ranking = page.get_by_test_id("ranking")
    expect(ranking.locator("tbody tr").first).to_contain_text("龙湾区")
    page.screenshot(path=str(artifacts_dir / "indicators-board.png"), full_page=True)
    matrix = page.get_by_test_id("matrix")
    matrix.locator("tr", has_text="新增省科技型中小企业").locator(
        "td[data-label='龙湾区'] a"
    ).click()
    expect(page.get_by_test_id("lineage-value")).to_have_text("1")
    page.get_by_role("link", name="温州龙湾光电科技有限公司").click()
    expect(page.locator("h1")).to_contain_text("温州龙湾光电科技有限公司")

    page.goto(f"{base}/indicators/{venture.pk}/lineage/?region={longwan.pk}&year={YEAR}")
    manual = page.get_by_test_id("lineage-manual")
    expect(manual).to_contain_text("龙湾区金融办一季度创投机构投资统计快报")
    expect(manual).to_contain_text("市科协专员")
    expect(manual).to_contain_text("市科技局统计员")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/indicators/?region={city.pk}&year={YEAR}")
    expect(page.get_by_test_id("ranking")).to_contain_text("龙湾区")
    thead = page.get_by_test_id("ranking").locator("thead")
    assert (
        thead.bounding_box()["width"] <= 1
    )  # the table became cards: its header only for screen readers
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "indicators-board-390.png"), full_page=True)
