"""In Chromium, at a desktop and a phone width: an enterprise posts a demand through the form (picking its
technical field by typing), sees what happens next, an operator opens it from the review queue's 技术需求 tab
and approves it there, and the enterprise then sees its matches. Screenshots go to ``test-artifacts/``."""

import re

import pytest
from playwright.sync_api import expect

from kechuang.core.factories import TechFieldFactory
from kechuang.demands.models import Demand

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "新能源汽车永磁同步电机无传感器控制"


def login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "kechuang-test-pw")
    page.click("form button[type=submit]:has-text('登录')")
    page.wait_for_load_state()


def no_sideways_scroll(page) -> None:
    """Nothing of the page's own content is wider than the window."""
    wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
              .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
              .map(el => el.tagName + '.' + el.className)"""
    )
    assert wide == []


@pytest.mark.parametrize("width", [1366, 390])
def test_enterprise_posts_sees_next_steps_and_operator_approves_from_the_queue(
    world, reindex, page, live_server, artifacts_dir, width
):
    engineering = TechFieldFactory(name="工学")
    TechFieldFactory(name="机械工程", parent=engineering)
    motors = TechFieldFactory(name="电气工程", parent=engineering)
    reindex()
    page.set_viewport_size({"width": width, "height": 900})

    # the enterprise fills in the form: the field is found by typing, the example is one click away
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}/demands/new/")
    expect(page.locator("#demand-form legend")).to_have_text(
        ["要解决的问题", "所属领域", "预算、期限与合作方式", "联系方式与公开范围"]
    )
    page.click("summary:has-text('看一个写得好的需求')")
    expect(page.locator(".good-demand")).to_contain_text("200 万次循环无泄漏")
    page.fill("#id_title", TITLE)
    page.fill(
        "#id_description",
        "1. 问题:电驱动系统低速时转矩脉动大。\n2. 现状:有霍尔传感器方案。\n"
        "3. 目标:取消位置传感器,低速转矩脉动小于 5%。",
    )
    page.fill("input.picker-search", "电气")
    expect(page.locator("#id_field option:not([hidden])")).to_have_text(
        ["请选择技术领域（选填）", "电气工程"]
    )
    page.select_option("#id_field", str(motors.pk))
    page.fill("#id_budget_min", "300000")
    page.fill("#id_budget_max", "600000")
    page.check("input[name=cooperation_modes][value=development]")
    page.fill("#id_contact_phone", "0577-65551234")
    no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / f"demand-form-{width}.png"), full_page=True)
    page.click("button[name=submit][value='1']")

    # the demand page says it was submitted and what happens next
    expect(page.locator("#demand-status")).to_have_text("待审核")
    expect(page.locator(".messages")).to_contain_text("需求已提交，等待科协审核。")
    expect(page.locator("[aria-current=step]")).to_contain_text("科协审核")
    expect(page.locator("#progress-note")).to_contain_text("瑞安市科协正在审核")
    no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / f"demand-submitted-{width}.png"), full_page=True)
    demand = Demand.objects.get()
    assert (demand.status, demand.field_id) == ("pending", motors.pk)

    # the operator finds it on the queue's demand tab, opens it, comes back and approves it there
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/manage/review/")
    tab = page.locator("a[data-type=demand]")
    expect(tab).to_have_attribute("aria-current", "page")
    expect(tab.locator(".count")).to_have_text("1")
    row = page.locator(f"#review-demand-{demand.pk}")
    expect(row).to_contain_text("瑞安汽车电机有限公司")
    no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / f"review-queue-demands-{width}.png"), full_page=True)
    row.locator("a.record-link").click()
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(page.locator("#description, .description")).to_contain_text("转矩脉动")
    page.go_back()
    page.locator(f"#review-demand-{demand.pk} button:has-text('批准发布')").click()
    expect(page.locator(f"#review-demand-{demand.pk} .badge")).to_have_text("已发布")
    demand.refresh_from_db()
    assert demand.status == "published"

    # the enterprise sees the next step and a preview of its matches
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}{demand.get_absolute_url()}")
    expect(page.locator("[aria-current=step]")).to_contain_text("发布并匹配")
    expect(page.locator(".match-preview")).to_contain_text("专家 1")
    expect(page.locator(f"li.match[data-type=expert][data-id='{world.expert.pk}']")).to_be_visible()
    no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / f"demand-published-{width}.png"), full_page=True)
    assert re.search(r"匹配预览：专家 1", page.content())
