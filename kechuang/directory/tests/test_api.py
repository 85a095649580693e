"""The directory JSON API: published records only, typed schemas without private fields, filters, search."""

import pytest

from kechuang.accounts.tests.scenario import build_world
from kechuang.core.factories import IndustryChainFactory, TechFieldFactory
from kechuang.directory.factories import (
    AchievementFactory,
    ExpertFactory,
    ExpertWorkFactory,
    InstrumentFactory,
    OrganizationFactory,
    ServiceItemFactory,
)
from kechuang.directory.models import Instrument, Organization, Status
from kechuang.search.indexing import rebuild_all

API = "/api/directory"


@pytest.fixture
def world(db):
    return build_world()


def test_list_returns_published_records_only(client, world):
    InstrumentFactory(owner=world.org_a, name="扫描电镜", status=Status.PUBLISHED)
    InstrumentFactory(owner=world.org_a, name="草稿仪器", status=Status.DRAFT)
    InstrumentFactory(owner=world.org_a, name="待审仪器", status=Status.PENDING)
    response = client.get(f"{API}/instrument/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [item["name"] for item in body["results"]] == ["扫描电镜"]


def test_detail_of_an_unpublished_record_is_404(client, world):
    draft = InstrumentFactory(owner=world.org_a, status=Status.DRAFT)
    assert client.get(f"{API}/instrument/{draft.pk}").status_code == 404
    assert client.get(f"{API}/instrument/999999").status_code == 404


def test_private_fields_are_never_exposed(client, world):
    org = world.org_a
    org.contact_name, org.contact_phone, org.contact_email = "王经理", "0577-65800000", "wang@ra.cn"
    org.save()
    expert = ExpertFactory(affiliation=org, region=world.ruian, phone="13900000001")
    texts = [
        client.get(f"{API}/organization/").text,
        client.get(f"{API}/organization/{org.pk}").text,
        client.get(f"{API}/expert/").text,
        client.get(f"{API}/expert/{expert.pk}").text,
    ]
    for text in texts:
        for private in ("王经理", "0577-65800000", "wang@ra.cn", "13900000001", expert.email):
            assert private not in text
        for key in ('"contact_', '"phone"', '"email"'):
            assert key not in text
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]
    for name in ("OrganizationOut", "OrganizationHit", "ExpertHit", "ExpertDetailOut"):
        properties = schema[name]["properties"]
        assert not {"phone", "email", "contact_name", "contact_phone", "contact_email"} & set(
            properties
        )


def test_expert_detail_has_works_and_affiliation(client, world):
    expert = ExpertFactory(affiliation=world.org_a, region=world.ruian, name="李明")
    ExpertWorkFactory(expert=expert, title="永磁同步电机无传感器控制", year=2021)
    body = client.get(f"{API}/expert/{expert.pk}").json()
    assert body["name"] == "李明"
    assert body["affiliation"] == {"id": world.org_a.pk, "name": "瑞安汽配有限公司"}
    assert body["region"] == {"code": "330381", "name": "瑞安市"}
    assert [work["title"] for work in body["works"]] == ["永磁同步电机无传感器控制"]


def test_money_is_decimal_yuan_as_a_string(client, world):
    ServiceItemFactory(provider=world.org_a, price="1234.5")
    ServiceItemFactory(provider=world.org_a, price=None, title="面议服务")
    results = client.get(f"{API}/service/").json()["results"]
    assert sorted((item["price"] or "面议") for item in results) == ["1234.50", "面议"]


def test_region_filter_includes_the_regions_below(client, world):
    InstrumentFactory(owner=world.org_a, name="瑞安的仪器")
    InstrumentFactory(owner=world.org_b, name="嘉定的仪器")
    by_city = client.get(f"{API}/instrument/", {"region": "330300"}).json()
    assert [item["name"] for item in by_city["results"]] == ["瑞安的仪器"]
    by_district = client.get(f"{API}/instrument/", {"region": "310114"}).json()
    assert [item["name"] for item in by_district["results"]] == ["嘉定的仪器"]


def test_kind_chain_and_field_filters(client, world):
    chain = IndustryChainFactory(name="汽车零部件", slug="auto-parts")
    category = TechFieldFactory(name="工学")
    discipline = TechFieldFactory(name="机械工程", parent=category)
    sem = InstrumentFactory(owner=world.org_a, name="电镜", category=Instrument.Category.ANALYTICAL)
    cmm = InstrumentFactory(
        owner=world.org_a, name="三坐标", category=Instrument.Category.METROLOGY
    )
    cmm.industry_chains.add(chain)
    cmm.fields.add(discipline)

    def names(**params):
        body = client.get(f"{API}/instrument/", params).json()
        return sorted(item["name"] for item in body["results"])

    assert names(kind="analytical") == [sem.name]
    assert names(chain="auto-parts") == [cmm.name]
    assert names(field=category.pk) == [cmm.name]  # a category finds its disciplines' records
    assert names(chain="no-such-chain") == []
    body = client.get(f"{API}/instrument/{cmm.pk}").json()
    assert body["industry_chains"] == [{"slug": "auto-parts", "name": "汽车零部件"}]
    assert body["fields"] == [{"id": discipline.pk, "name": "机械工程"}]


def test_unknown_kind_and_bad_parameters_are_422(client, world):
    response = client.get(f"{API}/organization/", {"kind": "spaceship"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "enterprise" in response.json()["detail"]
    assert [error["loc"] for error in response.json()["errors"]] == [["query", "kind"]]
    # the OpenAPI document lists each type's kinds, so a client can only send a listed one
    spec = client.get("/api/openapi.json").json()
    parameters = spec["paths"][f"{API}/organization/"]["get"]["parameters"]
    kind = next(p for p in parameters if p["name"] == "kind")
    assert kind["schema"]["anyOf"][0]["enum"] == [value for value, _ in Organization.Kind.choices]
    # an unknown region code names nothing, like an unknown chain: an empty page
    response = client.get(f"{API}/organization/", {"region": "999999"})
    assert response.status_code == 200
    assert (response.json()["count"], response.json()["results"]) == (0, [])
    response = client.get(f"{API}/organization/", {"page_size": 101})
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert [error["loc"] for error in response.json()["errors"]] == [["query", "page_size"]]
    assert client.get(f"{API}/organization/", {"field": "abc"}).status_code == 422
    assert client.get(f"{API}/organization/", {"page": 0}).status_code == 422
    assert client.get(f"{API}/organization/", {"page": 10**30}).status_code == 422
    assert client.get(f"{API}/organization/", {"chain": "a\x00b"}).status_code == 422
    assert client.get(f"{API}/voucher/").status_code == 404


def test_pagination(client, world, django_assert_max_num_queries):
    OrganizationFactory.create_batch(5, region=world.ruian)
    with django_assert_max_num_queries(6):
        body = client.get(f"{API}/organization/", {"page": 2, "page_size": 3}).json()
    assert body["count"] == 7  # the five plus the world's two organisations
    assert (body["page"], body["page_size"], len(body["results"])) == (2, 3, 3)
    last = client.get(f"{API}/organization/", {"page": 3, "page_size": 3}).json()
    assert len(last["results"]) == 1
    beyond = client.get(f"{API}/organization/", {"page": 9, "page_size": 3}).json()
    assert beyond["results"] == []


def test_keyword_search_ranks_with_evidence(client, world):
    AchievementFactory(
        owner=world.org_a,
        region=world.ruian,
        title="新能源车用集成式电控气源装置",
        description="将空压机与电控阀集成,适用于新能源商用车。",
    )
    AchievementFactory(
        owner=world.org_b,
        region=world.jiading,
        title="高分子材料注塑工艺",
        description="改性聚丙烯的注塑成型工艺。",
    )
    AchievementFactory(
        owner=world.org_a,
        region=world.ruian,
        title="电控气源装置的草稿",
        status=Status.DRAFT,
    )
    rebuild_all()
    body = client.get(f"{API}/achievement/", {"q": "电控气源"}).json()
    assert [item["title"] for item in body["results"]] == ["新能源车用集成式电控气源装置"]
    hit = body["results"][0]
    assert hit["score"] > 0
    assert any("<mark>" in evidence["snippet"] for evidence in hit["evidence"])
    in_jiading = client.get(f"{API}/achievement/", {"q": "电控气源", "region": "310114"}).json()
    assert in_jiading["results"] == []


def test_search_leaves_out_records_unpublished_since_indexing(client, world):
    achievement = AchievementFactory(owner=world.org_a, region=world.ruian, title="电控气源装置")
    rebuild_all()
    type(achievement).objects.filter(pk=achievement.pk).update(status=Status.ARCHIVED)
    body = client.get(f"{API}/achievement/", {"q": "电控气源"}).json()
    assert body["results"] == []


def test_openapi_documents_every_type(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    for name in ("organization", "expert", "achievement", "instrument", "service", "platform"):
        assert f"{API}/{name}/" in paths
        assert f"{API}/{name}/{{id}}" in paths


def test_mine_lists_what_the_user_may_edit_in_any_status(client, world):
    ServiceItemFactory(provider=world.org_a, title="草稿服务", status=Status.DRAFT)
    ServiceItemFactory(
        provider=world.org_a, title="退回服务", status=Status.RETURNED, review_note="缺少价格"
    )
    ServiceItemFactory(provider=world.org_b, title="别家的服务", status=Status.DRAFT)
    assert client.get(f"{API}/mine/service/").status_code == 401
    client.force_login(world.member_a)
    body = client.get(f"{API}/mine/service/").json()
    assert body["count"] == 2
    assert sorted((r["title"], r["status"], r["review_note"]) for r in body["results"]) == [
        ("草稿服务", "draft", ""),
        ("退回服务", "returned", "缺少价格"),
    ]
    client.force_login(world.jiading_operator)
    body = client.get(f"{API}/mine/service/").json()
    assert [r["title"] for r in body["results"]] == ["别家的服务"]
