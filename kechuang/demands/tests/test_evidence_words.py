"""What a match page names as evidence, on the demo's own demands against the demo's catalogue: whole
technical phrases only — never a lone character, a number, a unit or a generic word of requests and
profiles (运动 of 运动鞋底, 出口 of 出口客户, 小批量试制) — and the shoe-sole demand finds the abrasion
tester its DIN abrasion target needs first, above an extruder matched on 填充、配方."""

import re

from kechuang.demands.demo import DEMANDS
from kechuang.demands.factories import DemandFactory
from kechuang.demands.queries import demand_matches
from kechuang.demo import vocabulary as v
from kechuang.directory.factories import InstrumentFactory, OrganizationFactory, ServiceItemFactory
from kechuang.matching.evidence import GENERIC_WORDS, PROPERTY_WORDS
from kechuang.matching.text import normalize

NUMBER_OR_UNIT = re.compile(
    r"^[\d.]+[a-zμ℃°%‰]*$|^[a-zμ]{1,3}[23]$|^[a-z]{1,2}$|^(min|rpm|mpa|kpa|kwh|khz|mhz|mah)$"
)
SHOE_SOLE = next(spec for spec in DEMANDS if spec.key == "shoe-sole-wear")


def _catalogue(world):
    """One record of every instrument kind and service item of the demo catalogue, each at a testing
    body of its own (the demo's texts: specification and samples, scope)."""
    records = {}
    for name, category, models, _value, _unit, _rates, functions, _dirs in (
        *v.INSTRUMENTS,
        *v.SPECIAL_INSTRUMENTS,
    ):
        owner = OrganizationFactory(kind="testing", region=world.district, name=f"{name}检测中心")
        records[name] = InstrumentFactory(
            name=name,
            category=category,
            model_number=models[0][0],
            manufacturer=models[0][1],
            region=world.district,
            owner=owner,
            description=f"{functions}开放共享：工作日预约使用，可申请长三角科技创新券抵扣。",
        )
    for title, category, description, _price, _unit, _kinds, _dirs in v.SERVICES:
        provider = OrganizationFactory(kind="testing", region=world.district, name=f"{title}服务站")
        records[title] = ServiceItemFactory(
            provider=provider,
            region=world.district,
            title=title,
            category=category,
            description=f"{description}服务机构：{provider.name}。",
        )
    return records


def _posted(world, title: str, description: str):
    return DemandFactory(
        organization=world.enterprise, region=world.district, title=title, description=description
    )


def _demand(world, spec):
    return _posted(world, spec.title, spec.description)


def test_evidence_names_only_whole_technical_phrases_on_the_demo_demands(world, reindex):
    _catalogue(world)
    demands = [_demand(world, spec) for spec in DEMANDS]
    reindex()
    named = set()
    for demand in demands:
        for group in demand_matches(demand, "own", ["instrument", "service", "organization"]):
            for match in group.matches + group.more:
                for evidence in match.hit.evidence:
                    named.update(normalize(term) for term in evidence.terms)
    assert len(named) > 100  # the demands do find their instruments and services
    assert sorted(t for t in named if len(t) < 2) == []
    assert sorted(t for t in named if NUMBER_OR_UNIT.match(t)) == []
    assert sorted(named & GENERIC_WORDS) == []
    for word in ("运动", "体系", "出口", "小批量", "完成", "mm3"):
        assert word not in named


def test_the_shoe_sole_demand_finds_the_abrasion_tester_first(world, reindex):
    records = _catalogue(world)
    demand = _demand(world, SHOE_SOLE)
    reindex()
    [instruments] = demand_matches(demand, "own", ["instrument"])
    shown = [m.obj.name for m in instruments.matches]
    assert shown[0] == "橡胶与鞋底耐磨试验机"
    assert "鞋类耐折试验机" in shown
    # the compounding extruder answers the filler system (填充、配方) only: below both shoe testers,
    # never 强, and never through 小批量
    extruder = next(m for m in instruments.matches if m.obj.name == "双螺杆挤出造粒机组")
    assert shown.index("双螺杆挤出造粒机组") > shown.index("鞋类耐折试验机")
    assert extruder.strength_label == "一般"
    assert extruder.terms == ["填充", "配方"]
    first = instruments.matches[0]
    assert first.obj.pk == records["橡胶与鞋底耐磨试验机"].pk
    terms = {t for evidence in first.hit.evidence for t in evidence.terms}
    assert {"磨耗", "鞋底"} <= terms
    # the sentence that answers DIN 磨耗, marked, is what a reader checks
    assert any(
        "<mark>磨耗</mark>" in e.snippet or "<mark>DIN磨耗</mark>" in e.snippet
        for e in first.hit.evidence
    )


def test_an_organisation_is_found_for_its_items_not_its_instruments_and_quotes_each_once(
    world, reindex
):
    lab = OrganizationFactory(kind="testing", region=world.district, name="瑞安鞋材检测站")
    # two copies of the abrasion tester, and one item listed twice (per sample, per batch)
    for model, unit in (("GT-7012-D", "样"), ("GT-7012-A", "批")):
        InstrumentFactory(
            name="橡胶与鞋底耐磨试验机",
            model_number=model,
            region=world.district,
            owner=lab,
            description="DIN辊筒式磨耗试验；样品：橡胶大底、EVA发泡鞋底。测定磨耗体积与耐磨指数。",
        )
        ServiceItemFactory(
            title="鞋底耐磨性能检测",
            provider=lab,
            region=world.district,
            price_unit=unit,
            description="DIN辊筒式磨耗与阿克隆磨耗试验，出具鞋底耐磨检测报告。",
        )
    demand = _demand(world, SHOE_SOLE)
    reindex()
    [organizations] = demand_matches(demand, "own", ["organization"])
    [match] = [m for m in organizations.matches + organizations.more if m.obj.pk == lab.pk]
    quoted = [e.snippet.split("：")[0] for e in match.hit.evidence if e.field.startswith("member_")]
    # what the lab offers to do, once; its tester is listed with it among the instruments instead
    assert quoted == ["鞋底耐磨性能检测"]


def _against_catalogue(world, reindex, kind: str, title: str, description: str):
    """One type's matches of a demand posted against the demo catalogue."""
    _catalogue(world)
    demand = _posted(world, title, description)
    reindex()
    [group] = demand_matches(demand, "own", [kind])
    return group


def test_a_quantity_alone_brings_no_service_to_an_overheating_controller(world, reindex):
    services = _against_catalogue(
        world,
        reindex,
        "service",
        "电机控制器高温降额",
        "电机控制器夏季满载运行时IGBT温度过高，频繁降额，希望改进散热设计。",
    )
    assert services.matches[0].obj.title == "驱动电机与控制器性能测试"
    # the chip laboratory follows, through the 高温 of its high-temperature reverse-bias test (the
    # power modules' reliability tests fit an IGBT that overheats); nothing is shown on a quantity alone
    assert [(m.obj.title, m.terms) for m in services.matches[1:]] == [
        ("芯片失效分析与可靠性测试", ["温度", "高温"])
    ]
    # 温度 of a tanning service's 收缩温度 is a quantity every device has, not the controller's
    # problem: still named as evidence, folded with no strength (as is any record found by it alone)
    assert [
        (m.obj.title, m.terms, m.hit.strength)
        for m in services.more
        if set(m.terms) <= PROPERTY_WORDS
    ] == [("无铬鞣与制革清洁生产技术服务", ["温度"], 0.0)]


def test_an_instrument_whose_use_statement_the_demand_asks_for_is_shown(world, reindex):
    """The UV-visible spectrophotometer's name says nothing of leather; its description's 用于 clause
    (用于皮革六价铬…测定) says what it is for, and that is what the demand asks: it counts like its name."""
    instruments = _against_catalogue(
        world,
        reindex,
        "instrument",
        "皮革六价铬超标被退货",
        "公司出口皮鞋因皮革六价铬超标被欧盟退货。需要六价铬检测与成因分析，制定工艺控制方案。",
    )
    shown = [m.obj.name for m in instruments.matches]
    # first; the chromium analysers the title's 六价铬 calls for follow, then the leather tester whose
    # name says 皮革 and nothing of chromium; no molecular mass spectrometer (GC-MS, LC-MS): an element
    # is measured by ICP
    assert shown[0] == "紫外可见分光光度计"
    assert set(shown[1:3]) == {"原子吸收分光光度计", "电感耦合等离子体发射光谱仪"}
    assert shown[3:] == ["皮革物理性能测试系统", "电感耦合等离子体质谱仪"]
    uv = instruments.matches[0]
    assert {"皮革", "六价铬"} <= set(uv.terms)
    assert any("用于<mark>皮革六价铬</mark>" in e.snippet for e in uv.hit.evidence)


def test_a_service_named_by_a_word_of_the_phrases_kind_is_shown(world, reindex):
    """注塑模 is one word to the segmenter: the thin-wall moulding demand's 注塑 finds the mould-flow
    service by it, and the service's name is what the demand asks for."""
    services = _against_catalogue(
        world,
        reindex,
        "service",
        "薄壁件注塑短射与熔接痕",
        "我厂注塑电器外壳薄壁件，短射和熔接痕明显影响外观。需要浇口布置与工艺窗口优化。",
    )
    first = services.matches[0]
    assert first.obj.title == "注塑模流分析与工艺优化"
    # its name by 注塑, and its scope by the gate, weld-line and process-window work the demand asks
    assert first.terms == ["注塑", "浇口", "熔接", "窗口"]
    assert first.band == "strong"
    assert "<mark>注塑模</mark>流分析与工艺优化" in [e.snippet for e in first.hit.evidence]
