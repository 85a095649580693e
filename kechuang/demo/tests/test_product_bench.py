"""The product benchmark on a small demo and a few demands, so it cannot rot; and its judge on records
whose plan is known."""

import pytest

from kechuang.demo.generator import DemoCounts, DemoPlan, load_demo
from kechuang.demo.product_bench import (
    DEMANDS_FILE,
    TYPES,
    Judge,
    ProductDemand,
    evaluate_product,
    load_product_demands,
)
from kechuang.demo.specialties import SPECIALTY
from kechuang.directory.models import Achievement, Expert, Instrument, Organization, ServiceItem
from kechuang.matching.bench import graded_ndcg as ndcg

SMALL = DemoCounts(
    enterprises=24,
    experts=40,
    achievements=16,
    platforms=4,
    shared_institutions=12,
    instruments=30,
    services=14,
)


def test_the_demands_are_labelled_with_known_specialties_instruments_and_services():
    from kechuang.demo import vocabulary as v

    sets = {path.name: load_product_demands(path) for path in DEMANDS_FILE.parent.glob("*.jsonl")}
    assert {name: len(demands) for name, demands in sets.items()} == {
        "demands.jsonl": 106,
        "heldout.jsonl": 20,
        "blind.jsonl": 30,
        "blind2.jsonl": 30,
        "blind3.jsonl": 30,
        "blind4.jsonl": 30,
        "blind5.jsonl": 30,
    }
    demands = [d for file in sets.values() for d in file]
    assert len({d.id for d in demands}) == len(demands)
    keys = set(SPECIALTY)
    instruments = {entry[0] for entry in [*v.INSTRUMENTS, *v.SPECIAL_INSTRUMENTS]}
    services = {entry[0] for entry in v.SERVICES}
    for demand in demands:
        assert set(demand.specialties) <= keys, demand.id
        assert set(demand.instruments) <= instruments, demand.id
        assert set(demand.services) <= services, demand.id
        # every demand names something that answers it
        assert demand.directions or demand.services, demand.id


def test_ndcg_is_one_for_the_ideal_order_and_less_otherwise():
    assert ndcg([2, 1, 0], [0, 1, 2]) == 1.0
    assert round(ndcg([0, 2], [2, 0]), 3) == round(3 / 1.585 / 3, 3)
    assert ndcg([1], [0, 0]) == 0.0


PUMP = ProductDemand(
    id="t1",
    chain="pump-valve",
    title="离心泵效率低",
    description="",
    specialties=("pump-valve",),
    related=("forming",),
    instruments=("泵性能试验台",),
    services=("泵阀性能与密封试验",),
)


def test_the_judge_grades_from_the_generator_plan_not_the_text():
    plan = DemoPlan(
        expert_specialty={1: "pump-valve", 2: "lv-electrical", 3: "forming", 4: None},
        achievement_specialty={5: "tanning"},
        organization_directions={6: ("electrical",), 7: ("fashion",)},
    )
    judge = Judge(plan, services_of={7: {"泵阀性能与密封试验"}})
    grades = [judge.grade(PUMP, "expert", Expert(pk=pk)) for pk in (1, 2, 3, 4, 9)]
    # the solving specialty; its direction (电气与泵阀); a related specialty; a scholar; unknown
    assert grades == [2, 1, 1, 0, 0]
    assert judge.grade(PUMP, "achievement", Achievement(pk=5)) == 0
    assert judge.grade(PUMP, "organization", Organization(pk=6)) == 2
    assert judge.grade(PUMP, "organization", Organization(pk=7)) == 2  # offers the service
    assert judge.grade(PUMP, "organization", Organization(pk=8)) == 0  # an enterprise
    assert judge.grade(PUMP, "instrument", Instrument(name="泵性能试验台")) == 2
    assert judge.grade(PUMP, "instrument", Instrument(name="阀门综合性能试验台")) == 1
    assert judge.grade(PUMP, "instrument", Instrument(name="生物发酵罐")) == 0
    assert judge.grade(PUMP, "service", ServiceItem(title="低压电器性能与寿命试验")) == 1
    assert judge.grade(PUMP, "service", ServiceItem(title="专利导航与高价值专利培育")) == 0


@pytest.mark.django_db
def test_the_product_benchmark_runs_on_a_small_demo():
    from kechuang.search.indexing import rebuild_all

    result = load_demo(counts=SMALL)
    plan = result.plan
    experts = Expert.objects.count()
    assert set(plan.expert_specialty) == set(Expert.objects.values_list("pk", flat=True))
    assert len(plan.expert_specialty) == experts
    assert set(plan.achievement_specialty) == set(Achievement.objects.values_list("pk", flat=True))
    assert set(plan.organization_directions) == set(
        Organization.objects.filter(is_shared=True).values_list("pk", flat=True)
    )
    rebuild_all()
    demands = [d for d in load_product_demands() if d.id in {"p001", "p009", "p052", "p084"}]
    report = evaluate_product(demands, plan, spot_check=2)
    assert report["demands"] == 4
    for name in ("engine", "engine+more", "bm25"):
        assert set(report[name]) == set(TYPES)
        for figures in report[name].values():
            assert 0.0 <= figures["p@5"] <= 1.0 and 0.0 <= figures["ndcg@10"] <= 1.0
            assert figures["shown@5"] <= 5
    assert report["unavailable_experts"]["above_available"] == 0
    assert [s["id"] for s in report["spot_check"]] == ["p001", "p009"]
