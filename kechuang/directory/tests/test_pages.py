"""The public pages of the resource directory: home, search, lists with filters, sorts and pages, details,
private fields, language switch and query-count guards."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from kechuang.core.factories import IndustryChainFactory, RegionFactory, TechFieldFactory
from kechuang.core.models import Federation, Region
from kechuang.directory.factories import (
    AchievementFactory,
    ExpertFactory,
    ExpertWorkFactory,
    InnovationPlatformFactory,
    InstrumentFactory,
    OrganizationFactory,
    ServiceItemFactory,
)
from kechuang.directory.models import Expert, Organization, Status
from kechuang.directory.queries import PAGE_SIZE, TYPES
from kechuang.search.indexing import rebuild_all

pytestmark = pytest.mark.django_db

FACTORIES = {
    "organization": OrganizationFactory,
    "expert": ExpertFactory,
    "achievement": AchievementFactory,
    "instrument": InstrumentFactory,
    "service": ServiceItemFactory,
    "platform": InnovationPlatformFactory,
}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # list totals and home counts are cached between requests


@pytest.fixture
def regions():
    """浙江省 → 温州市 → 瑞安市 / 鹿城区, and 天津市 elsewhere."""
    zhejiang = RegionFactory(code="330000", name="浙江省", level=Region.Level.PROVINCE)
    wenzhou = RegionFactory(
        code="330300", name="温州市", level=Region.Level.CITY, parent=zhejiang, is_pilot=True
    )
    ruian = RegionFactory(code="330381", name="瑞安市", parent=wenzhou, is_pilot=True)
    lucheng = RegionFactory(code="330302", name="鹿城区", parent=wenzhou)
    tianjin = RegionFactory(code="120000", name="天津市", level=Region.Level.PROVINCE)
    return {"wenzhou": wenzhou, "ruian": ruian, "lucheng": lucheng, "tianjin": tianjin}


def index_now():
    """Rebuild the search index from the database: tests roll their rows back, so another test's rows
    with the same primary keys must not linger in the index."""
    rebuild_all()


def body(response) -> str:
    return response.content.decode()


def listed_names(response) -> list[str]:
    """The titles of the result rows, in page order."""
    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', body(response))


# --- home and the language switch ---------------------------------------------------------------


def test_home_shows_counts_pilots_and_federations(client, regions, django_assert_max_num_queries):
    ExpertFactory.create_batch(3, region=regions["ruian"])
    ExpertFactory(status=Status.DRAFT, region=regions["ruian"])
    federation = Federation.objects.create(name="长三角科技资源共享联盟")
    federation.members.add(regions["wenzhou"], regions["tianjin"])

    with django_assert_max_num_queries(10):
        response = client.get(reverse("directory:home"))

    assert response.status_code == 200
    html = body(response)
    assert "让科学家找到企业家" in html
    expert_card = re.search(r'href="/experts/">\s*<span class="number">(\d+)</span>', html)
    assert expert_card.group(1) == "3"  # the draft is not counted
    assert "长三角科技资源共享联盟" in html
    assert "瑞安市" in html and f"?region={regions['ruian'].code}" in html
    assert 'href="/organizations/"' in html and 'href="/platforms/"' in html


def test_home_is_resolvable_as_login_redirect(settings):
    assert reverse(settings.LOGIN_REDIRECT_URL) == "/"


def test_language_switch_shows_english_navigation(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("directory:expert_list")}
    )
    assert response.status_code == 302 and response["Location"] == "/experts/"

    html = body(client.get(reverse("directory:expert_list")))

    assert '<html lang="en">' in html
    assert ">Experts</a>" in html and ">Achievements</a>" in html
    assert ">专家</a>" not in html
    assert (
        "Visible after a successful engagement" not in html
    )  # a list page shows no contacts at all

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert ">专家</a>" in body(client.get(reverse("directory:expert_list")))


def test_navigation_offers_manage_only_to_signed_in_users(client, regions):
    from kechuang.accounts.factories import UserFactory

    assert 'href="/manage/"' not in body(client.get("/"))
    client.force_login(UserFactory())
    assert 'href="/manage/"' in body(client.get("/"))


def test_error_pages_render(client):
    from django.template import loader

    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "返回首页" in body(missing) and 'class="site-header"' in body(missing)
    # Django renders 500.html without a request context, so it must stand on its own
    assert "服务器出错了" in loader.get_template("500.html").render()


# --- list pages without a keyword ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(TYPES))
def test_list_page_under_query_guard(client, regions, name, django_assert_max_num_queries):
    chain = IndustryChainFactory(name="汽车零部件", slug="auto-parts")
    records = FACTORIES[name].create_batch(PAGE_SIZE + 5, region=regions["ruian"])
    for record in records:
        record.industry_chains.add(chain)
    url = reverse(TYPES[name].list_url_name)

    with django_assert_max_num_queries(9):
        plain = client.get(url)
    with django_assert_max_num_queries(10):
        filtered = client.get(url, {"region": "330300", "chain": "auto-parts", "sort": "name"})

    assert plain.status_code == filtered.status_code == 200
    assert len(listed_names(plain)) == PAGE_SIZE
    assert len(listed_names(filtered)) == PAGE_SIZE
    assert f"共 {PAGE_SIZE + 5} 条" in body(filtered)


def test_region_filter_takes_the_region_and_everything_below_it(client, regions):
    ExpertFactory(name="瑞安专家", region=regions["ruian"])
    ExpertFactory(name="鹿城专家", region=regions["lucheng"])
    ExpertFactory(name="天津专家", region=regions["tianjin"])
    url = reverse("directory:expert_list")

    assert sorted(listed_names(client.get(url, {"region": "330300"}))) == ["瑞安专家", "鹿城专家"]
    assert listed_names(client.get(url, {"region": "330381"})) == ["瑞安专家"]
    assert listed_names(client.get(url, {"region": "120000"})) == ["天津专家"]


def test_kind_availability_and_field_filters(client, regions):
    engineering = TechFieldFactory(name="工学")
    mechanical = TechFieldFactory(name="机械工程", parent=engineering)
    medicine = TechFieldFactory(name="医学")
    engineer = ExpertFactory(
        name="兼职工程师甲", talent=Expert.Talent.ENGINEER, region=regions["ruian"]
    )
    engineer.fields.add(mechanical)
    busy = ExpertFactory(
        name="院士乙",
        talent=Expert.Talent.ACADEMICIAN,
        availability=Expert.Availability.BUSY,
        region=regions["ruian"],
    )
    busy.fields.add(medicine)
    url = reverse("directory:expert_list")

    assert listed_names(client.get(url, {"kind": "engineer"})) == ["兼职工程师甲"]
    assert listed_names(client.get(url, {"availability": "busy"})) == ["院士乙"]
    # a category finds the records filed under its disciplines
    assert listed_names(client.get(url, {"field": str(engineering.pk)})) == ["兼职工程师甲"]
    assert listed_names(client.get(url, {"field": str(medicine.pk)})) == ["院士乙"]
    # the filter offers a category whose one discipline bears its name once, by that discipline
    philosophy = TechFieldFactory(name="哲学")
    ethics = TechFieldFactory(name="哲学", parent=philosophy)
    html = client.get(url).content.decode()
    group = re.search(r'<optgroup label="哲学">(.*?)</optgroup>', html, re.S).group(1)
    assert re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', group) == [
        (str(ethics.pk), "哲学")
    ]
    assert f'<option value="{engineering.pk}">工学（全部）</option>' in html


def test_tier_and_voucher_filters(client, regions):
    OrganizationFactory(name="高新企业", tier=Organization.Tier.HIGH_TECH, region=regions["ruian"])
    OrganizationFactory(name="普通企业", region=regions["ruian"])
    InstrumentFactory(name="收券仪器", region=regions["ruian"])
    InstrumentFactory(name="不收券仪器", accepts_vouchers=False, region=regions["ruian"])

    orgs = client.get(reverse("directory:organization_list"), {"tier": "high_tech"})
    instruments = client.get(reverse("directory:instrument_list"), {"vouchers": "on"})

    assert listed_names(orgs) == ["高新企业"]
    assert listed_names(instruments) == ["收券仪器"]


def test_sorts_and_pages(client, regions):
    for rate, name in [(300, "乙仪器"), (100, "甲仪器"), (200, "丙仪器")]:
        InstrumentFactory(name=name, external_rate=rate, region=regions["ruian"])
    url = reverse("directory:instrument_list")

    assert listed_names(client.get(url, {"sort": "rate"})) == ["甲仪器", "丙仪器", "乙仪器"]
    assert listed_names(client.get(url)) == ["丙仪器", "甲仪器", "乙仪器"]  # newest first
    assert listed_names(client.get(url, {"sort": "name"})) == sorted(["乙仪器", "甲仪器", "丙仪器"])

    InstrumentFactory.create_batch(PAGE_SIZE, region=regions["ruian"], external_rate=400)
    page1 = client.get(url, {"sort": "rate"})
    page2 = client.get(url, {"sort": "rate", "page": "2"})
    assert listed_names(page1)[:3] == ["甲仪器", "丙仪器", "乙仪器"]
    assert len(listed_names(page1)) == PAGE_SIZE
    assert 'href="?sort=rate&amp;page=2"' in body(page1)  # the next page keeps the sort
    assert len(listed_names(page2)) == 3
    assert not {"甲仪器", "丙仪器", "乙仪器"} & set(listed_names(page2))


def test_invalid_filter_values_are_ignored(client, regions):
    ExpertFactory(name="某专家", region=regions["ruian"])
    response = client.get(
        reverse("directory:expert_list"),
        {"region": "999999", "kind": "nonsense", "page": "abc", "field": "x"},
    )
    assert response.status_code == 200
    assert listed_names(response) == ["某专家"]


def test_unpublished_records_are_not_public(client, regions):
    ExpertFactory(name="已发布专家", region=regions["ruian"])
    draft = ExpertFactory(name="草稿专家", status=Status.DRAFT, region=regions["ruian"])

    assert listed_names(client.get(reverse("directory:expert_list"))) == ["已发布专家"]
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_htmx_request_gets_the_results_fragment_and_history_restore_the_page(client, regions):
    ExpertFactory(name="某专家", region=regions["ruian"])
    url = reverse("directory:expert_list")

    fragment = client.get(url, {"region": "330300"}, headers={"HX-Request": "true"})
    restore = client.get(
        url,
        {"region": "330300"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert "<html" not in body(fragment) and listed_names(fragment) == ["某专家"]
    assert "<html" in body(restore) and 'id="filters"' in body(restore)


# --- keyword search -----------------------------------------------------------------------------


def test_traditional_characters_find_simplified_records(client, regions):
    # no affiliation and no shared words, so nothing but the keyword can connect the query to 李工
    ExpertFactory(
        name="王工",
        keywords=["电动汽车"],
        profile="整车控制器开发",
        affiliation=None,
        region=regions["ruian"],
    )
    ExpertFactory(
        name="李工",
        keywords=["纺织印染"],
        profile="服装面料研究",
        affiliation=None,
        region=regions["ruian"],
    )
    index_now()

    response = client.get(reverse("directory:expert_list"), {"q": "電動汽車"})

    assert response.status_code == 200
    assert listed_names(response) == ["王工"]
    assert "<mark>电动汽车</mark>" in body(response)  # the evidence marks the simplified words


@pytest.mark.parametrize("name", list(TYPES))
def test_keyword_list_page_under_query_guard(client, regions, name, django_assert_max_num_queries):
    FACTORIES[name].create_batch(PAGE_SIZE + 3, region=regions["ruian"])
    index_now()
    listing = TYPES[name]
    sample = listing.model.objects.first()
    keyword = getattr(sample, listing.name_field)[:4]
    url = reverse(listing.list_url_name)

    with django_assert_max_num_queries(9):
        ranked = client.get(url, {"q": keyword})
    with django_assert_max_num_queries(11):
        sorted_and_filtered = client.get(url, {"q": keyword, "region": "330300", "sort": "name"})

    assert ranked.status_code == sorted_and_filtered.status_code == 200
    assert len(listed_names(ranked)) == PAGE_SIZE
    assert len(listed_names(sorted_and_filtered)) == PAGE_SIZE


def test_keyword_pages_ask_the_engine_for_a_window_of_pages(client, regions, monkeypatch):
    monkeypatch.setattr("kechuang.directory.queries.SEARCH_PAGES_AHEAD", 1)
    ExpertFactory.create_batch(2 * PAGE_SIZE + 5, keywords=["激光熔覆"], region=regions["ruian"])
    index_now()
    url = reverse("directory:expert_list")

    first = client.get(url, {"q": "激光熔覆"})
    third = client.get(url, {"q": "激光熔覆", "page": "3"})

    assert f"最相关的 {2 * PAGE_SIZE} 条" in body(first)  # pages 1 and 2 asked for
    assert "第 1 / 2 页" in body(first)
    assert f"共 {2 * PAGE_SIZE + 5} 条" in body(third)
    assert len(listed_names(third)) == 5


def test_keyword_search_applies_filters_the_engine_does_not_know(client, regions):
    OrganizationFactory(
        name="瑞安汽车零部件甲公司", tier=Organization.Tier.HIGH_TECH, region=regions["ruian"]
    )
    OrganizationFactory(name="瑞安汽车零部件乙公司", region=regions["ruian"])
    OrganizationFactory(name="天津汽车零部件丙公司", region=regions["tianjin"])
    index_now()
    url = reverse("directory:organization_list")

    everywhere = client.get(url, {"q": "汽车零部件"})
    in_wenzhou = client.get(url, {"q": "汽车零部件", "region": "330300"})
    high_tech = client.get(url, {"q": "汽车零部件", "tier": "high_tech"})

    assert len(listed_names(everywhere)) == 3
    assert sorted(listed_names(in_wenzhou)) == ["瑞安汽车零部件乙公司", "瑞安汽车零部件甲公司"]
    assert listed_names(high_tech) == ["瑞安汽车零部件甲公司"]


def test_search_across_types_groups_the_hits(client, regions, django_assert_max_num_queries):
    ExpertFactory(name="张教授", keywords=["激光焊接"], region=regions["ruian"])
    AchievementFactory(title="一种激光焊接装置", region=regions["ruian"])
    ServiceItemFactory(title="焊缝无损检测", region=regions["ruian"])
    index_now()

    with django_assert_max_num_queries(14):
        response = client.get(reverse("directory:search"), {"q": "激光焊接"})

    html = body(response)
    assert "张教授" in html and "一种激光焊接装置" in html
    assert "焊缝无损检测" not in html
    assert 'href="/experts/?q=%E6%BF%80%E5%85%89%E7%84%8A%E6%8E%A5"' in html


# --- detail pages and private fields -------------------------------------------------------------


@pytest.fixture
def catalogue(regions):
    """One record of every type around a university and an expert, with private contacts filled in."""
    chain = IndustryChainFactory(name="汽车零部件", slug="auto-parts")
    discipline = TechFieldFactory(name="电气工程", parent=TechFieldFactory(name="工学"))
    university = OrganizationFactory(
        name="温州大学",
        kind=Organization.Kind.UNIVERSITY,
        region=regions["ruian"],
        contact_name="赵联系",
        contact_phone="0577-88880000",
        contact_email="contact@wzu.example.cn",
    )
    university.industry_chains.add(chain)
    university.fields.add(discipline)
    expert = ExpertFactory(
        name="陈教授",
        affiliation=university,
        region=regions["ruian"],
        phone="13912345678",
        email="chen@wzu.example.cn",
    )
    expert.fields.add(discipline)
    expert.industry_chains.add(chain)
    ExpertWorkFactory.create_batch(3, expert=expert)
    achievement = AchievementFactory(owner=university, region=regions["ruian"])
    achievement.inventors.add(expert)
    return {
        "organization": university,
        "expert": expert,
        "achievement": achievement,
        "instrument": InstrumentFactory(owner=university, region=regions["ruian"]),
        "service": ServiceItemFactory(provider=university, region=regions["ruian"]),
        "platform": InnovationPlatformFactory(host=university, region=regions["ruian"]),
    }


PRIVATE_VALUES = [
    "13912345678",
    "chen@wzu.example.cn",
    "赵联系",
    "0577-88880000",
    "contact@wzu.example.cn",
]


@pytest.mark.parametrize("name", list(TYPES))
def test_detail_page_under_query_guard(client, catalogue, name, django_assert_max_num_queries):
    record = catalogue[name]

    with django_assert_max_num_queries(12):
        response = client.get(record.get_absolute_url())

    assert response.status_code == 200
    html = body(response)
    assert str(record) in html
    assert "浙江省温州市瑞安市" in html  # the region with its parents


def test_expert_detail_lists_works_and_achievements(client, catalogue):
    html = body(client.get(catalogue["expert"].get_absolute_url()))
    for work in catalogue["expert"].works.all():
        assert work.title in html
    assert catalogue["achievement"].title in html
    assert catalogue["organization"].get_absolute_url() in html


def test_organization_detail_lists_its_resources(client, catalogue):
    html = body(client.get(catalogue["organization"].get_absolute_url()))
    for name in ("expert", "achievement", "instrument", "service", "platform"):
        assert catalogue[name].get_absolute_url() in html


def test_private_fields_never_appear_on_public_pages(client, catalogue):
    index_now()
    pages = [record.get_absolute_url() for record in catalogue.values()]
    pages += [reverse(t.list_url_name) for t in TYPES.values()]
    pages += [
        reverse("directory:expert_list") + "?q=陈教授",
        reverse("directory:search") + "?q=温州大学",
        reverse("directory:home"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = body(response)
        for value in PRIVATE_VALUES:
            assert value not in html, (url, value)

    for name in ("organization", "expert"):
        assert "对接成功后可见" in body(client.get(catalogue[name].get_absolute_url()))


# --- template filters ---------------------------------------------------------------------------


def render(template: str, **context) -> str:
    request = RequestFactory().get("/experts/", {"q": "电机", "page": "3"})
    return Template("{% load kechuang %}" + template).render(
        Context({"request": request, **context})
    )


def test_yuan_filter():
    assert render("{{ v|yuan }}", v=Decimal("1234.5")) == "¥1,234.50"
    assert render("{{ v|yuan }}", v=Decimal("-0.005")) == "-¥0.01"
    assert render("{{ v|yuan }}", v=None) == "面议"
    with pytest.raises(TypeError):
        render("{{ v|yuan }}", v=1.5)


def test_local_time_filter_shows_shanghai_time():
    moment = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)
    assert render("{{ t|local_time }}", t=moment) == "2026-11-23 00:30"
    assert render('{{ t|local_time:"Y-m-d" }}', t=moment) == "2026-11-23"


def test_query_string_tag_keeps_the_other_parameters():
    assert render("{% query_string page=4 %}") == "?q=%E7%94%B5%E6%9C%BA&amp;page=4"
    assert render("{% query_string page=None %}") == "?q=%E7%94%B5%E6%9C%BA"


def test_the_shared_pager_keeps_the_other_parameters():
    from django.core.paginator import Paginator

    page = Paginator(list(range(45)), 20).get_page(2)
    html = render('{% include "_pager.html" %}', page=page)
    assert 'href="?q=%E7%94%B5%E6%9C%BA&amp;page=1" rel="prev"' in html
    assert 'href="?q=%E7%94%B5%E6%9C%BA&amp;page=3" rel="next"' in html
    assert render('{% include "_pager.html" %}', page=Paginator([1], 20).get_page(1)).strip() == ""


def test_organization_detail_links_to_all_of_its_records(client, regions):
    lab = OrganizationFactory(
        name="检测中心", kind=Organization.Kind.TESTING, region=regions["ruian"]
    )
    InstrumentFactory.create_batch(11, owner=lab, region=regions["ruian"])
    InstrumentFactory(name="别家的仪器", region=regions["ruian"])

    detail = body(client.get(lab.get_absolute_url()))
    assert f'href="/instruments/?org={lab.pk}"' in detail

    listed = client.get(reverse("directory:instrument_list"), {"org": lab.pk})
    assert len(listed_names(listed)) == 11
    assert "别家的仪器" not in listed_names(listed)
    assert "仅显示同一机构的记录。" in body(listed)


def sort_options(response) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of the sort selector's options."""
    select = re.search(r'<select name="sort".*?</select>', body(response), re.S).group(0)
    return [
        (value, label, " selected" in attrs)
        for value, attrs, label in re.findall(
            r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select
        )
    ]


def test_a_keyword_from_the_filter_form_ranks_by_relevance_and_the_selector_says_so(
    client, regions
):
    """The filter form always sends its sort selector; left alone it is the default order, so typing a
    keyword ranks by relevance (not by 最近更新) and the selector shows 相关度."""
    best = ExpertFactory(
        name="熔覆专家",
        keywords=["激光熔覆", "熔覆层"],
        profile="激光熔覆工艺与熔覆层性能研究,激光熔覆修复。",
        affiliation=None,
        region=regions["ruian"],
    )
    newer = ExpertFactory(
        name="焊接专家",
        keywords=["焊接"],
        profile="焊接工艺、焊接机器人与焊缝检测,兼做少量激光熔覆。",
        affiliation=None,
        region=regions["ruian"],
    )
    assert newer.updated_at > best.updated_at
    index_now()
    url = reverse("directory:expert_list")

    plain = client.get(url)
    assert sort_options(plain) == [("", "最近更新", True), ("name", "名称", False)]
    assert listed_names(plain) == ["焊接专家", "熔覆专家"]

    searched = client.get(url, {"q": "激光熔覆", "region": "", "sort": ""})  # as the form sends it
    assert listed_names(searched) == ["熔覆专家", "焊接专家"]
    assert sort_options(searched) == [
        ("", "相关度", True),
        ("newest", "最近更新", False),
        ("name", "名称", False),
    ]
    # the search box's own link carries no sort at all; an old "relevance" link means the same
    for params in ({"q": "激光熔覆"}, {"q": "激光熔覆", "sort": "relevance"}):
        assert listed_names(client.get(url, params)) == ["熔覆专家", "焊接专家"]
    # choosing another order still works
    by_date = client.get(url, {"q": "激光熔覆", "sort": "newest"})
    assert listed_names(by_date) == ["焊接专家", "熔覆专家"]
    assert ("newest", "最近更新", True) in sort_options(by_date)


def test_htmx_results_bring_the_sort_selector_along(client, regions):
    ExpertFactory(name="熔覆专家", keywords=["激光熔覆"], region=regions["ruian"])
    index_now()
    url = reverse("directory:expert_list")
    fragment = body(client.get(url, {"q": "激光熔覆", "sort": ""}, headers={"HX-Request": "true"}))
    assert '<div id="sort-field" hx-swap-oob="true">' in fragment
    assert '<option value="" selected>相关度</option>' in fragment
    page = body(client.get(url, {"q": "激光熔覆"}))
    assert page.count('id="sort-field"') == 1 and "hx-swap-oob" not in page
