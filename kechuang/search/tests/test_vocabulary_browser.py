"""An operator maintains the search vocabulary in headless Chromium: from the workbench to the vocabulary
page, adds a synonym group, sees it listed with the finished index rebuild, and tries a text (试分词)."""

import pytest

from kechuang.accounts.tests.scenario import PASSWORD, build_world
from kechuang.search import indexing
from kechuang.search.models import IndexRebuild, VocabularyEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_index(settings, tmp_path):
    settings.MATCHING = {**settings.MATCHING, "INDEX_DIR": tmp_path / "index", "ENCODER": "none"}
    indexing.reset_backend()
    yield
    indexing.reset_backend()


def test_operator_adds_a_synonym_group_and_tries_it(page, live_server, artifacts_dir):
    build_world()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "ruian_op")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]:has-text('登录')")
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/manage/")
    page.click("a:has-text('检索词表')")
    page.click("nav.tabs a:has-text('同义词组')")
    page.fill("#entry-form input[name=text]", "塗裝、噴塗")
    page.fill("#entry-form input[name=note]", "表面处理")
    page.click("#entry-form button[type=submit]")

    page.wait_for_selector(".message-success:has-text('已添加同义词组:涂装,喷涂')")
    assert page.inner_text("#entry-list .entry-text") == "涂装、喷涂"
    page.wait_for_selector("#rebuild-status:has-text('重建完成')")
    assert VocabularyEntry.objects.get().created_by.username == "ruian_op"
    assert IndexRebuild.objects.get().status == IndexRebuild.Status.DONE

    page.fill("#analyze-form textarea[name=text]", "汽车涂装生产线")
    page.click("#analyze-form button[type=submit]")
    page.wait_for_selector("#analysis-expansions:has-text('涂装 → 喷涂')")
    assert "涂装" in page.inner_text("#analysis-tokens")
    assert page.url.endswith("/manage/vocabulary/?kind=synonym")  # htmx swapped the result in place
    page.screenshot(path=artifacts_dir / "vocabulary.png", full_page=True)
