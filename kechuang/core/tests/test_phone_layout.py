"""Phones (390 px) in Chromium: the main list pages never scroll sideways, their tables stack into
labelled cards, amounts read in 万元, and an empty chart says 暂无数据. Screenshots go to test-artifacts/."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kechuang.accounts.factories import MembershipFactory, UserFactory
from kechuang.challenges.factories import ChallengeFactory, ChallengeListFactory
from kechuang.challenges.models import Challenge, ChallengeList
from kechuang.core.factories import RegionFactory
from kechuang.demands.factories import DemandFactory, EngagementFactory
from kechuang.directory.factories import ExpertFactory, OrganizationFactory

PASSWORD = "kechuang-test-pw"
PHONE = {"width": 390, "height": 844}
LONG_TITLE = "面向新能源商用车的电控空气处理单元干燥再生控制策略优化与低温工况可靠性验证及产线下线检测装备开发"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    province = RegionFactory(code="330000", name="浙江省", level="province")
    city = RegionFactory(code="330300", name="温州市", level="city", parent=province)
    district = RegionFactory(code="330381", name="瑞安市", level="district", parent=city)
    enterprise = OrganizationFactory(
        name="瑞安市凯通汽车部件股份有限公司（集团）研发中心", region=district
    )
    owner = UserFactory(username="owner")
    MembershipFactory(user=owner, organization=enterprise)
    for n in range(6):
        demand = DemandFactory(
            organization=enterprise,
            title=f"{LONG_TITLE}{n}",
            budget_min=Decimal("500000"),
            budget_max=Decimal("44600000"),
        )
        EngagementFactory(demand=demand, expert=ExpertFactory(name=f"陈{n}", region=district))
    challenge_list = ChallengeListFactory(
        region=district,
        title="2026年度瑞安市汽车关键零部件“揭榜挂帅”关键核心技术攻关榜单（第一批）",
        status=ChallengeList.Status.PUBLISHED,
        opens_on=timezone.localdate() - datetime.timedelta(days=1),
        closes_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    ChallengeFactory(
        challenge_list=challenge_list, title=LONG_TITLE, status=Challenge.Status.ACCEPTED
    )
    return {"owner": owner, "challenge_list": challenge_list}


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_list_pages_fit_a_phone(page, live_server, world, artifacts_dir):
    page.set_viewport_size(PHONE)
    login(page, live_server.url, "owner")
    pages = {
        "demands": "/demands/",
        "engagements": "/demands/engagements/",
        "organizations": "/organizations/",
        "experts": "/experts/",
        "challenges": "/challenges/",
        "challenge-list": world["challenge_list"].get_absolute_url(),
    }
    widths = {}
    for name, path in pages.items():
        page.goto(live_server.url + path)
        widths[name] = scroll_width(page)
        page.screenshot(path=artifacts_dir / f"phone-{name}.png", full_page=True)
    assert widths == {name: 390 for name in pages}

    # The demands table is a stack of cards: a cell is a block with its column's label beside it.
    page.goto(live_server.url + "/demands/")
    cell = page.locator("table.table td[data-label='预算']").first
    assert cell.evaluate("td => getComputedStyle(td).display") == "block"
    assert cell.evaluate("td => getComputedStyle(td, '::before').content") == '"预算"'
    assert cell.inner_text() == "50万元–4,460万元"
    assert cell.locator(".money").last.get_attribute("title") == "¥44,600,000.00"
    # the long title wraps inside the card instead of one character per line
    title = page.locator("table.table td[data-label='需求名称']").first
    assert title.evaluate("td => td.getBoundingClientRect().width") > 150


def test_wide_screen_keeps_tables(page, live_server, world):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + "/demands/")
    assert scroll_width(page) == 1366
    cell = page.locator("table.table td[data-label='预算']").first
    assert cell.evaluate("td => getComputedStyle(td).display") == "table-cell"


def test_an_empty_chart_says_there_is_no_data(page, live_server, world, artifacts_dir):
    page.set_viewport_size(PHONE)
    report = f"{live_server.url}/challenges/lists/{world['challenge_list'].pk}/report/"
    page.goto(report)
    # While the window is open the applicants are not shown at all (issue 17).
    assert page.locator("#applicants-hidden").count() == 1
    assert page.locator("#kind-chart").count() == 0
    closed = timezone.localdate() - datetime.timedelta(days=1)
    ChallengeList.objects.filter(pk=world["challenge_list"].pk).update(
        opens_on=closed - datetime.timedelta(days=30), closes_on=closed
    )
    page.goto(report)
    for chart in ("#kind-chart", "#region-chart"):
        assert page.locator(chart).inner_text().split() == [
            page.locator(chart).get_attribute("data-title"),
            "暂无数据",
        ]
    # the money chart has a bounty to draw: ECharts draws it on a canvas
    assert page.locator("#money-chart canvas").count() == 1
    assert scroll_width(page) == 390
    page.screenshot(path=artifacts_dir / "phone-challenge-report.png", full_page=True)
