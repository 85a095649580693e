"""A keyword typed into a list's filter form ranks by relevance, and the sort selector says so, with htmx
swapping only the results (the selector comes along out of band) and without JavaScript alike."""

import pytest
from playwright.sync_api import expect

from kechuang.core.factories import RegionFactory
from kechuang.directory.factories import ExpertFactory
from kechuang.search.indexing import rebuild_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_keyword_in_the_filter_form_ranks_by_relevance(page, live_server, artifacts_dir, width):
    ruian = RegionFactory(code="330381", name="瑞安市")
    ExpertFactory(
        name="熔覆专家",
        keywords=["激光熔覆", "熔覆层"],
        profile="激光熔覆工艺与熔覆层性能研究,激光熔覆修复。",
        affiliation=None,
        region=ruian,
    )
    ExpertFactory(  # updated later: first by 最近更新
        name="焊接专家",
        keywords=["焊接"],
        profile="焊接工艺、焊接机器人与焊缝检测,兼做少量激光熔覆。",
        affiliation=None,
        region=ruian,
    )
    rebuild_all()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/experts/")
    names = page.locator("#results .result h3 a")
    expect(names).to_have_text(["焊接专家", "熔覆专家"])
    expect(page.locator("#id_sort option:checked")).to_have_text("最近更新")

    page.locator("#filters input[name=q]").fill("激光熔覆")
    page.locator("#filters button[type=submit]").click()
    expect(names).to_have_text(["熔覆专家", "焊接专家"])
    expect(page.locator("#id_sort option:checked")).to_have_text("相关度")
    page.screenshot(path=artifacts_dir / f"directory-keyword-relevance-{width}.png", full_page=True)

    page.locator("#id_sort").select_option("newest")  # another order is still one choice away
    expect(names).to_have_text(["焊接专家", "熔覆专家"])
    expect(page.locator("#id_sort option:checked")).to_have_text("最近更新")
