"""Each role's landing (工作台) and menus in Chromium, at 1366 px and on a 390 px phone whose header folds
the menus behind a button. Screenshots go to ``test-artifacts/``."""

import pytest
from playwright.sync_api import expect

from kechuang.accounts.models import OperatorMandate, User
from kechuang.accounts.tests.scenario import PASSWORD, build_world, person
from kechuang.demands.factories import DemandFactory, EngagementFactory
from kechuang.demands.models import Demand
from kechuang.directory.factories import ExpertFactory, InstrumentFactory, OrganizationFactory
from kechuang.directory.models import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def login(page, base, user: User) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def people():
    world = build_world()
    OperatorMandate.objects.filter(user=world.ruian_operator).update(office="瑞安市科协")
    expert_user = person("expert_li", display_name="李教授")
    expert = ExpertFactory(user=expert_user, name="李教授", affiliation=world.org_b)
    OrganizationFactory(region=world.ruian, status=Status.PENDING)
    DemandFactory(organization=world.org_a, status=Demand.Status.PENDING, published_at=None)
    EngagementFactory(demand=DemandFactory(organization=world.org_a), expert=expert)
    InstrumentFactory(owner=world.org_b)
    return {
        "operator": world.ruian_operator,
        "enterprise": world.member_a,
        "institution": world.member_b,
        "expert": expert_user,
        "superuser": person("root", is_superuser=True, is_staff=True),
    }


ROLE_MENUS = {
    "operator": [
        "审核队列",
        "精准对接",
        "揭榜管理",
        "考核指标",
        "工程师对接云",
        "拍卖管理",
        "我的对接",
        "技术合同",
    ],
    "enterprise": ["发布需求", "我的对接", "技术合同"],
    "institution": ["发布需求", "我的对接", "技术合同"],
    "expert": ["需求收件箱", "评审任务", "我的对接"],
    "superuser": [
        "审核队列",
        "精准对接",
        "揭榜管理",
        "考核指标",
        "工程师对接云",
        "拍卖管理",
        "我的对接",
        "技术合同",
    ],
}
SECTIONS = {
    "operator": "区域运营",
    "enterprise": "企业：需求与对接",
    "institution": "我的机构",
    "expert": "专家",
    "superuser": "区域运营",
}


@pytest.mark.parametrize("role", list(ROLE_MENUS))
def test_each_role_lands_on_its_workbench_with_its_menus(
    page, live_server, people, artifacts_dir, role
):
    base = live_server.url
    page.set_viewport_size(DESKTOP)
    login(page, base, people[role])
    page.goto(f"{base}/manage/")
    expect(page.locator("main h2").first).to_contain_text(SECTIONS[role])
    expect(page.locator("main")).not_to_contain_text("您还不是任何机构的成员")
    menu = page.locator(".role-nav a")
    expect(menu).to_have_text(ROLE_MENUS[role])
    expect(page.locator(".nav-toggle")).to_be_hidden()
    page.screenshot(path=artifacts_dir / f"workbench-{role}-1366.png", full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    toggle = page.get_by_role("button", name="菜单")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu.first).to_be_hidden()
    page.screenshot(path=artifacts_dir / f"workbench-{role}-390.png", full_page=True)
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_have_text(ROLE_MENUS[role])
    expect(menu.first).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    page.screenshot(path=artifacts_dir / f"menu-{role}-390.png")
    page.keyboard.press("Escape")
    expect(menu.first).to_be_hidden()
    # the page is not wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_anonymous_phone_menu_and_resource_action(page, live_server, people, artifacts_dir):
    base = live_server.url
    page.set_viewport_size(PHONE)
    expert = ExpertFactory(name="王研究员")
    page.goto(f"{base}{expert.get_absolute_url()}")
    expect(page.locator(".main-nav a").first).to_be_hidden()
    expect(page.locator(".role-nav")).to_have_count(0)
    page.get_by_role("button", name="菜单").click()
    expect(page.locator(".main-nav a", has_text="技术需求")).to_be_visible()
    expect(page.locator(".header-tools a", has_text="登录")).to_be_visible()
    page.screenshot(path=artifacts_dir / "menu-anonymous-390.png")
    page.get_by_role("button", name="菜单").click()
    action = page.locator("[data-resource-action=login]")
    expect(action).to_contain_text("登录后发起")
    page.screenshot(path=artifacts_dir / "expert-detail-anonymous-390.png", full_page=True)


def test_enterprise_consults_an_instrument_and_meets_a_styled_403(
    page, live_server, people, artifacts_dir
):
    base = live_server.url
    page.set_viewport_size(DESKTOP)
    enterprise = people["enterprise"]
    demand = DemandFactory(
        organization=enterprise.memberships.get().organization, title="高精度零件表面形貌检测"
    )
    instrument = InstrumentFactory(name="三维表面形貌仪")
    login(page, base, enterprise)
    page.goto(f"{base}{instrument.get_absolute_url()}")
    page.screenshot(path=artifacts_dir / "instrument-detail-enterprise-1366.png", full_page=True)
    page.fill("#resource-action-message", "想测几批样品的表面粗糙度。")
    choice = page.get_by_role("listitem").filter(has_text="高精度零件表面形貌检测")
    choice.get_by_role("button", name="咨询", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("对接请求已发送")
    assert demand.engagements.get().match_id == instrument.pk

    page.goto(f"{base}/demands/console/")
    expect(page.locator("h1")).to_have_text("没有访问权限")
    expect(page.locator(".error-reason")).to_have_text("运营控制台仅供区域运营方使用")
    expect(page.locator("main")).to_contain_text("瑞安市科协")
    page.screenshot(path=artifacts_dir / "error-403-enterprise-1366.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/demands/{demand.pk}/engage/")
    expect(page.locator("h1")).to_have_text("请通过页面上的按钮操作")
    page.screenshot(path=artifacts_dir / "error-405-390.png", full_page=True)
