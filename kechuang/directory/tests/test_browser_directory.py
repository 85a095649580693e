"""A newcomer finds an expert in Chromium: home page → Chinese search → the experts list → filter by
region (htmx swaps the results and updates the URL) → the expert's page, without their private contacts →
the same page in English."""

import re

import pytest
from playwright.sync_api import expect

from kechuang.core.factories import RegionFactory
from kechuang.core.models import Region
from kechuang.directory.factories import ExpertFactory
from kechuang.search.indexing import rebuild_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_newcomer_searches_filters_and_opens_an_expert(page, live_server, artifacts_dir):
    wenzhou = RegionFactory(code="330300", name="温州市", level=Region.Level.CITY)
    ruian = RegionFactory(code="330381", name="瑞安市", parent=wenzhou)
    lucheng = RegionFactory(code="330302", name="鹿城区", parent=wenzhou)
    chen = ExpertFactory(
        name="陈教授",
        keywords=["电机控制", "永磁同步电机"],
        region=ruian,
        affiliation__region=ruian,
        phone="13900001111",
    )
    ExpertFactory(name="刘教授", keywords=["电机控制"], region=lucheng, affiliation__region=lucheng)
    rebuild_all()

    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("让科学家找到企业家")
    page.screenshot(path=artifacts_dir / "home.png", full_page=True)
    page.get_by_role("searchbox", name="搜索资源库").fill("电机控制")
    page.get_by_role("button", name="搜索", exact=True).click()

    expect(page.get_by_role("link", name="陈教授")).to_be_visible()
    expect(page.get_by_role("link", name="刘教授")).to_be_visible()
    page.get_by_role("link", name=re.compile("查看全部专家结果")).click()

    expect(page).to_have_url(re.compile(r"/experts/\?q="))
    page.locator("#id_region").select_option("330381")
    expect(page).to_have_url(re.compile(r"region=330381"))  # htmx pushed the filtered URL
    expect(page.get_by_role("link", name="刘教授")).to_have_count(0)
    expect(page.locator("#results mark").first).to_be_visible()  # the evidence under the hit
    page.screenshot(path=artifacts_dir / "directory-experts-filtered.png", full_page=True)

    page.get_by_role("link", name="陈教授").click()
    expect(page).to_have_url(live_server.url + chen.get_absolute_url())
    page.screenshot(path=artifacts_dir / "directory-expert-detail-en.png", full_page=True)
    expect(page.get_by_role("heading", level=1)).to_contain_text("陈教授")
    expect(page.locator("main")).to_contain_text("对接成功后可见")
    expect(page.locator("main")).not_to_contain_text("13900001111")
    expect(page.locator("main")).to_contain_text("温州市瑞安市")

    page.get_by_role("button", name="English").click()  # the switch posts to set_language with CSRF
    navigation = page.get_by_role("navigation", name="Main navigation")
    expect(navigation.get_by_role("link", name="Experts", exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Visible after a successful engagement")
    expect(page).to_have_url(live_server.url + chen.get_absolute_url())
    page.screenshot(path=artifacts_dir / "directory-expert-detail-en.png", full_page=True)
