"""The pages and reports as an operator uses them: the board ranks and links every figure to its lineage,
manual values go through a second person, bad input answers in Chinese, exports are safe."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from kechuang.directory.factories import OrganizationFactory
from kechuang.directory.models import TierRecord
from kechuang.indicators import services
from kechuang.indicators.models import ManualValue, Target
from kechuang.indicators.tests.conftest import NOW

YEAR = datetime.date.today().year


@pytest.fixture
def world(city):
    sme = services.define_indicator(
        city.operator,
        city.city,
        code="sme",
        name="新增省科技型中小企业",
        unit="家",
        source="directory.new_tech_sme",
        is_core=True,
    )
    venture = services.define_indicator(
        city.operator,
        city.city,
        code="venture",
        name='=HYPERLINK("x")创投',
        unit="亿元",
        money=True,
    )
    for n, region in enumerate([city.ruian, city.ruian, city.longwan]):
        organization = OrganizationFactory(region=region, name=f"温州测试科技{n}有限公司")
        TierRecord.objects.create(
            organization=organization, tier="tech_sme", recognized_on=datetime.date(YEAR, 1, 2)
        )
    services.set_target(city.operator, sme, city.ruian, YEAR, 10)
    services.set_target(city.operator, sme, city.longwan, YEAR, 1)
    entry = services.enter_value(
        city.operator,
        venture,
        city.longwan,
        year=YEAR,
        month=1,
        value="115000000",
        evidence="+统计快报",
        now=NOW.replace(year=YEAR),
    )
    services.approve_value(city.second, entry, now=NOW.replace(year=YEAR))
    return city, sme, venture


def login(client, user):
    client.force_login(user)
    return client


def test_the_board_ranks_districts_and_links_each_figure_to_its_lineage(
    client, world, django_assert_max_num_queries
):
    city, sme, _venture = world
    login(client, city.operator)
    with django_assert_max_num_queries(20):
        response = client.get(f"/indicators/?region={city.city.pk}&year={YEAR}")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("龙湾区") < body.index("瑞安市")  # 100 % ranks above 20 %
    assert f"/indicators/{sme.pk}/lineage/?region={city.ruian.pk}&amp;year={YEAR}" in body
    assert "ind-behind" in body


def test_the_lineage_page_lists_the_records_with_links(client, world):
    city, sme, venture = world
    login(client, city.operator)
    response = client.get(f"/indicators/{sme.pk}/lineage/?region={city.ruian.pk}&year={YEAR}")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("温州测试科技") == 2 and "/organizations/" in body
    manual = client.get(
        f"/indicators/{venture.pk}/lineage/?region={city.longwan.pk}&year={YEAR}"
    ).content.decode()
    assert "+统计快报" in manual
    assert str(city.operator) in manual and str(city.second) in manual  # who entered, who approved


@pytest.mark.parametrize(
    "query", ["", "?region=abc", "?region=999999&year=2026", "?region=1&year=x&month=99"]
)
def test_lineage_with_bad_input_never_fails(client, world, query):
    city, sme, _venture = world
    login(client, city.operator)
    assert client.get(f"/indicators/{sme.pk}/lineage/{query}").status_code in (200, 403)


def test_others_may_not_read_indicators(client, world):
    city, sme, _venture = world
    assert client.get("/indicators/").status_code == 302
    login(client, city.outsider)
    assert (
        client.get(f"/indicators/{sme.pk}/lineage/?region={city.ruian.pk}&year={YEAR}").status_code
        == 403
    )
    assert client.get(f"/indicators/report.xlsx?region={city.ruian.pk}").status_code == 403


def test_entering_and_approving_on_the_page_needs_two_people(client, world):
    city, _sme, venture = world
    login(client, city.operator)
    url = f"/indicators/{venture.pk}/?region={city.city.pk}&year={YEAR}"
    client.post(
        url,
        {
            "action": "enter",
            "region": city.ruian.pk,
            "year": YEAR,
            "month": 1,
            "value": "200",
            "evidence": "区统计快报",
        },
    )
    entry = ManualValue.objects.get(region=city.ruian)
    response = client.post(
        "/indicators/review/", {"action": "approve", "entry": entry.pk}, follow=True
    )
    assert "填报人不能审核自己填报的数值" in response.content.decode()
    assert ManualValue.objects.get(pk=entry.pk).status == "pending"
    login(client, city.second)
    client.post("/indicators/review/", {"action": "approve", "entry": entry.pk})
    assert ManualValue.objects.get(pk=entry.pk).status == "approved"


def test_bad_form_input_answers_in_chinese_and_changes_nothing(client, world):
    city, sme, venture = world
    login(client, city.operator)
    response = client.post(
        f"/indicators/{sme.pk}/",
        {"action": "target", "region": city.ruian.pk, "year": YEAR, "value": "-5"},
        follow=True,
    )
    assert "请填写有效的目标值" in response.content.decode()
    assert Target.objects.get(indicator=sme, region=city.ruian).value == 10
    response = client.post(
        f"/indicators/{venture.pk}/",
        {
            "action": "enter",
            "region": city.ruian.pk,
            "year": YEAR,
            "month": 13,
            "value": "x",
            "evidence": "",
        },
        follow=True,
    )
    assert (
        response.status_code == 200 and ManualValue.objects.filter(region=city.ruian).count() == 0
    )


def test_the_xlsx_report_links_figures_and_never_holds_a_formula(client, world):
    city, _sme, _venture = world
    login(client, city.operator)
    response = client.get(f"/indicators/report.xlsx?region={city.city.pk}&year={YEAR}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    texts = [str(c.value) for c in cells]
    assert '\'=HYPERLINK("x")创投' in texts
    assert any(c.hyperlink and "/lineage/" in c.hyperlink.target for c in cells)
    assert (
        sum("温州测试科技" in t for t in texts) == 3
    )  # the records sheet lists each record behind a figure


def test_the_pdf_report_renders_with_chinese_text(client, world):
    city, _sme, _venture = world
    login(client, city.operator)
    response = client.get(f"/indicators/report.pdf?region={city.city.pk}&year={YEAR}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert b"STSong-Light" in response.content


def test_signings_and_ladder_pages(client, world):
    city, _sme, _venture = world
    login(client, city.operator)
    response = client.post(
        "/indicators/signings/",
        {"region": city.city.pk, "name": "温州市科技创新大会", "held_on": f"{YEAR}-01-02"},
        follow=True,
    )
    assert response.status_code == 200 and "温州市科技创新大会" in response.content.decode()
    firm = OrganizationFactory(region=city.ruian, name="瑞安梯次测试有限公司")
    response = client.post(
        "/indicators/ladder/",
        {
            "region": city.ruian.pk,
            "organization": "瑞安梯次测试有限公司",
            "goals": "一企一策",
            "target_year": YEAR + 1,
        },
        follow=True,
    )
    assert response.status_code == 200 and firm.cultivation_plan.track == "micro"
    response = client.post(
        "/indicators/ladder/",
        {
            "region": city.ruian.pk,
            "organization": "不存在的公司",
            "goals": "一企一策",
            "target_year": YEAR + 1,
        },
        follow=True,
    )
    assert "本区域没有名为" in response.content.decode()
    assert client.get(f"/indicators/ladder/?region={city.ruian.pk}").status_code == 200


def test_the_workbench_counts_values_awaiting_a_second_person(client, world):
    city, _sme, venture = world
    services.enter_value(
        city.operator,
        venture,
        city.ruian,
        year=YEAR,
        month=1,
        value="1",
        evidence="统计快报",
        now=NOW.replace(year=YEAR),
    )
    login(client, city.second)
    body = client.get("/manage/").content.decode()
    assert "待审核的指标填报" in body and "/indicators/review/" in body
