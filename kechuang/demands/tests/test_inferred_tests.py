"""A demand that says what goes wrong, not which test it needs, still finds the instruments and service
items that test it (kechuang.matching.testmap), says which of its words led there, and never ranks an
inferred record above one the demand names. One kind of instrument is one line naming its other
holders, nearest first."""

from kechuang.core.factories import IndustryChainFactory
from kechuang.demands.factories import DemandFactory
from kechuang.demands.queries import demand_matches, inferred_hits
from kechuang.directory.factories import InstrumentFactory, OrganizationFactory, ServiceItemFactory

RUBBER = "制动气室橡胶膜片冬季开裂"
RUBBER_TEXT = "北方用户反映零下40℃时膜片开裂漏气，夏季使用一年后膜片发硬。希望改进胶料配方。"


def _instrument(world, name, description, region=None, model="M1", owner_name=None):
    region = region or world.district
    return InstrumentFactory(
        name=name,
        model_number=model,
        region=region,
        owner=OrganizationFactory(kind="testing", region=region, name=owner_name or f"{name}中心"),
        description=description,
    )


def _service(world, provider, title: str, description: str):
    return ServiceItemFactory(
        provider=provider, region=world.district, title=title, description=description
    )


def _posted(world, title: str, description: str, chain=None):
    return DemandFactory(
        organization=world.enterprise,
        region=world.district,
        industry_chain=chain,
        title=title,
        description=description,
    )


def test_a_demand_that_names_no_test_finds_the_tests_its_problem_needs(world, reindex):
    demand = _posted(world, RUBBER, RUBBER_TEXT)
    dsc = _instrument(world, "差示扫描量热仪", "测定塑料、橡胶的玻璃化转变温度与熔点。")
    ageing = _instrument(world, "热老化试验箱", "依据GB/T 3512开展橡胶热空气加速老化试验。")
    _instrument(world, "电子天平", "称量范围220 g，读数0.1 mg。")  # no test the problem needs
    _instrument(world, "液相色谱仪", "用于药物含量测定。")
    reindex()
    [instruments] = demand_matches(demand, "own", ["instrument"])
    shown = instruments.matches + instruments.more
    assert {m.obj.pk for m in shown} == {dsc.pk, ageing.pk}
    by_pk = {m.obj.pk: m for m in shown}

    # beside the record's own sentences, the reason: the demand's words that led to the test family,
    # and the family's tests the record names
    def note(pk):
        return next(e for e in by_pk[pk].hit.evidence if e.field == "inferred")

    assert note(ageing.pk).terms == ["发硬"]
    assert note(ageing.pk).snippet.startswith("老化与耐候（老化")
    assert note(dsc.pk).terms == ["零下", "发硬"]
    assert note(dsc.pk).snippet == "低温与热转变（量热仪、玻璃化、熔点）"
    # an inference is never 强: it answers no phrase of the demand itself
    assert all(m.strength_label in {"较强", "一般", "较弱"} for m in shown)


def test_a_named_test_stays_above_an_inferred_one(world, reindex):
    demand = _posted(world, "橡胶膜片盐雾试验后开裂", "膜片金属骨架经盐雾试验后锈蚀，橡胶开裂。")
    salt = _instrument(world, "盐雾试验箱", "中性盐雾试验，工作室容积850 L。")
    ageing = _instrument(world, "热老化试验箱", "橡胶热空气加速老化试验。")
    reindex()
    [instruments] = demand_matches(demand, "own", ["instrument"])
    order = [m.obj.pk for m in instruments.matches + instruments.more]
    assert order == [salt.pk, ageing.pk]


def test_services_are_expanded_too_and_experts_never(world, reindex):
    demand = _posted(
        world,
        "凉拌菜出厂抽检偶发致病菌阳性",
        "现用传统培养法，结果出来时产品已上架，希望当天出结果。",
    )
    provider = OrganizationFactory(kind="testing", region=world.district, name="瑞安食品检测站")
    qpcr = _service(world, provider, "食品qPCR快速检测", "荧光定量PCR，适用于凉拌菜等即食食品")
    _service(world, provider, "专利导航", "专利布局分析")
    reindex()
    services, experts = demand_matches(demand, "own", ["service", "expert"])
    assert [m.obj.pk for m in services.matches + services.more] == [qpcr.pk]
    # its own sentence answers 凉拌菜; the inference says why a PCR test answers the rest
    evidence = services.matches[0].hit.evidence
    assert [(e.field, e.terms) for e in evidence] == [
        ("description", ["凉拌菜"]),
        ("inferred", ["致病菌", "阳性"]),
    ]
    assert experts.matches == [] and experts.more == []  # 陈教授 (motors) is not a food tester


def test_one_model_one_line_the_nearest_copy_naming_the_others(world, reindex):
    demand = _posted(world, "空压机噪声测试", "需要测量空气压缩机噪声。")
    far = _instrument(
        world, "噪声振动分析仪", "空气压缩机噪声测量", world.partner, "A1", "嘉定检测所"
    )
    # another make of the same kind of instrument reads as the same line twice: one line too
    city = _instrument(
        world, "噪声振动分析仪", "空气压缩机噪声测量", world.city, "B2", "温州检测所"
    )
    near = _instrument(world, "噪声振动分析仪", "空气压缩机噪声测量", None, "A1", "瑞安检测所")
    reindex()
    [instruments] = demand_matches(demand, "all", ["instrument"])
    shown = instruments.matches + instruments.more
    assert [m.obj.pk for m in shown] == [near.pk]
    line = shown[0]
    assert [o.pk for o in line.also] == [city.pk, far.pk]
    assert line.also_holders == ["温州检测所（温州市）", "嘉定检测所（嘉定区）"]


def test_the_line_is_the_nearest_copy_of_the_strongest_band(world, reindex):
    """A near copy whose own text says less does not stand for a farther one whose text answers the
    demand: the line shows the copy of the strongest band, then the nearest."""
    demand = _posted(world, "空压机噪声测试", "需要测量空气压缩机噪声与振动，评价异响。")
    far = _instrument(
        world, "多通道分析仪", "空气压缩机噪声、振动与异响测量", world.partner, "A1", "嘉定检测所"
    )
    near = _instrument(world, "多通道分析仪", "通用振动测量", None, "A1", "瑞安检测所")
    reindex()
    [instruments] = demand_matches(demand, "all", ["instrument"])
    [line] = instruments.matches + instruments.more
    assert line.obj.pk == far.pk
    assert [o.pk for o in line.also] == [near.pk]


def test_copies_of_one_kind_leave_room_for_another_the_tests_call_for(world, reindex):
    """Fifty-five qPCR instruments answer the microbial tests of a pathogen demand better than the one
    microbial identifier does; the list shows the qPCR kind once, so the identifier must still be in
    the pool the list is read from (kechuang.demands.queries.capability_search)."""
    demand = _posted(world, "凉拌菜出厂抽检偶发致病菌阳性", "抽检偶发致病菌阳性，需要查明来源。")
    for number in range(55):
        _instrument(
            world,
            "实时荧光定量PCR仪",
            "qPCR检测食品致病菌与微生物，替代培养法快速鉴定。",
            model=f"Q{number}",
            owner_name=f"第{number}检测站",
        )
    identifier = _instrument(
        world, "微生物鉴定系统", "可对培养后的细菌进行鉴定与药敏分析，配套试剂卡与数据库。"
    )
    reindex()
    [instruments] = demand_matches(demand, "own", ["instrument"], k=10)
    shown = instruments.matches + instruments.more
    assert [m.obj.name for m in shown] == ["实时荧光定量PCR仪", "微生物鉴定系统"]
    assert shown[1].obj.pk == identifier.pk


def test_a_service_for_another_trade_answers_no_inferred_test(world, reindex):
    """A service item's scope is a trade's: a chip burn-in service runs an ageing test, but not on a
    rubber membrane — the inference gives it nothing, while an instrument of another trade's samples
    keeps half (its test serves any sample)."""
    demand = _posted(world, RUBBER, RUBBER_TEXT)
    provider = OrganizationFactory(kind="testing", region=world.district, name="瑞安综合检测站")
    rubber = _service(world, provider, "橡胶老化试验", "橡胶热空气老化试验")
    chip = _service(world, provider, "芯片可靠性试验", "芯片高温老化试验")
    oven = _instrument(world, "老化试验箱", "芯片与电子元件高温老化试验。")
    reindex()
    services, instruments = demand_matches(demand, "own", ["service", "instrument"])
    assert [m.obj.pk for m in services.matches] == [rubber.pk]
    assert [(m.obj.pk, m.hit.strength) for m in services.more] == [(chip.pk, 0.0)]
    [line] = instruments.matches + instruments.more
    assert line.obj.pk == oven.pk and line.raw_strength > 0


def test_the_demand_s_industry_chain_is_its_trade(world, reindex):
    """球阀 is no word of 泵阀老化与寿命试验, but a pump-valve maker's demand is in that service's trade:
    the keywords of the demand's industry chain count as its context. Without the chain the same
    service answers no inferred test. An instrument names its samples itself: the chain does not
    move it."""
    chain = IndustryChainFactory(name="泵阀", slug="pump-valve", keywords="泵阀\n阀门")
    provider = OrganizationFactory(kind="testing", region=world.district, name="瑞安泵阀检测站")
    valves = _service(world, provider, "泵阀老化与寿命试验", "泵阀产品热空气加速老化试验。")
    oven = _instrument(world, "老化试验箱", "样品：泵阀产品。开展热空气加速老化试验。")
    title, text = "球阀胶圈冬季开裂", "零下40℃时胶圈开裂漏气，夏季使用一年后胶圈发硬。"
    in_chain = _posted(world, title, text, chain)
    reindex()
    services, instruments = demand_matches(in_chain, "own", ["service", "instrument"])
    [line] = services.matches
    [held] = instruments.matches + instruments.more
    assert held.obj.pk == oven.pk
    assert line.obj.pk == valves.pk and line.strength_label == "一般"
    assert line.hit.evidence[0].field == "inferred" and line.hit.evidence[0].terms == ["发硬"]

    in_chain.industry_chain = None
    in_chain.save()
    services, instruments = demand_matches(in_chain, "own", ["service", "instrument"])
    assert services.matches == []
    assert [(m.obj.pk, m.hit.strength) for m in services.more] == [(valves.pk, 0.0)]
    assert [(m.obj.pk, m.raw_strength) for m in instruments.matches + instruments.more] == [
        (oven.pk, held.raw_strength)
    ]


def test_only_a_testing_or_development_service_carries_an_inferred_test(world, reindex):
    """An innovation-diagnosis offer whose text lists an ageing test among its topics is no ageing
    test: a consulting item answers no inferred test, even in the demand's trade; the same text
    offered as a test does."""
    demand = _posted(world, RUBBER, RUBBER_TEXT)
    provider = OrganizationFactory(kind="service", region=world.district, name="瑞安科技咨询中心")
    item = ServiceItemFactory(
        provider=provider,
        region=world.district,
        category="consulting",
        title="企业技术诊断",
        description="为橡胶制品企业梳理老化试验方向。",
    )
    reindex()

    def line():
        [services] = demand_matches(demand, "own", ["service"])
        return {m.obj.pk: m for m in services.matches + services.more}[item.pk]

    assert line().hit.strength == 0.0
    item.category = "testing"
    item.save()
    offered = line()
    assert offered.hit.strength > 0.1
    assert [(e.field, e.terms) for e in offered.hit.evidence] == [("inferred", ["发硬"])]


def test_a_problem_the_title_names_weighs_as_the_title_s_share(world, reindex):
    """A title states what the demand is about: 空化 in 调节阀空化 is half its title, however many
    other phrases the description adds (the cue's share of the description alone, one in eight, kept
    the pump-valve test under 更多). A title that names no cue leaves the description's share."""
    chain = IndustryChainFactory(name="泵阀", slug="pump-valve", keywords="泵阀\n阀门")
    provider = OrganizationFactory(kind="testing", region=world.district, name="瑞安泵阀检测站")
    cavitation = _service(world, provider, "泵阀性能与密封试验", "阀门壳体强度与汽蚀余量测定。")
    text = (
        "我司调节阀用于电厂高压差工况，阀芯出现空化，三个月即需更换。需要抗冲蚀阀内件结构设计，"
        "阀芯材料选型与堆焊硬化工艺，检修周期延长到两年，并降低电厂停机损失。"
    )
    reindex()

    def inferred(title):
        [services] = demand_matches(_posted(world, title, text, chain), "own", ["service"])
        [line] = services.matches + services.more
        assert line.obj.pk == cavitation.pk
        assert line.hit.evidence[0].field == "inferred" and line.hit.evidence[0].terms == ["空化"]
        return line

    named = inferred("调节阀空化")
    unnamed = inferred("调节阀阀芯更换频繁")
    # INFERRED_WEIGHT × √(cue share) × DESCRIBED_ONLY: 空化 of 调节阀、空化; of eight phrases and more
    assert round(named.hit.strength, 4) == round(0.6 * 0.5**0.5 * 0.7, 4) == 0.297
    assert round(unnamed.hit.strength, 4) == round(0.6 * 0.125**0.5 * 0.7, 4) == 0.1485
    assert (named.strength_label, unnamed.strength_label) == ("一般", "较弱")


def test_a_quantity_every_device_has_is_no_trade_word(world, reindex):
    """寿命 stands in a valve seal's title and in a chip service's 加速寿命试验: a quantity every device
    has, not a trade the two share — the chip service's failure analysis is no answer to the seal's
    失效机理, while a service naming the valve trade is."""
    demand = _posted(
        world,
        "调节阀密封寿命提升",
        "阀芯采用氟橡胶O形圈与聚四氟乙烯组合密封，交变工况台架耐久试验约120万次循环后出现内泄漏。"
        "希望从密封沟槽结构、胶料配方及阀座表面处理等方面分析失效机理。",
    )
    provider = OrganizationFactory(kind="testing", region=world.district, name="瑞安综合检测站")
    chip = _service(world, provider, "芯片可靠性试验", "功率器件加速寿命试验，定位芯片与封装失效。")
    valve = _service(world, provider, "阀门失效分析", "阀门零部件断口与金相分析。")
    reindex()
    [services] = demand_matches(demand, "own", ["service"])
    assert [m.obj.pk for m in services.matches] == [valve.pk]
    [folded] = services.more
    assert folded.obj.pk == chip.pk and folded.strength_label == "较弱"


def test_a_family_s_test_names_its_own_technique_not_the_instrument_class(world, reindex):
    """An element analysis is ICP, not the molecular mass spectrometers; a failure is read on its
    fracture in the scanning microscope, not in the transmission one (descriptions as in the demo)."""
    sem = _instrument(
        world,
        "场发射扫描电子显微镜",
        "放大倍数20~1,000,000倍，配能谱仪；样品：金属、陶瓷。用于表面形貌观察、断口分析与微区成分分析。",
    )
    tem = _instrument(
        world,
        "透射电子显微镜",
        "点分辨率0.19 nm；样品：纳米粉体与薄膜。用于高分辨成像与元素面分布分析。",
    )
    icp_ms = _instrument(
        world,
        "电感耦合等离子体质谱仪",
        "检出限ng/L级；样品：饮用水、废水。用于重金属与痕量杂质元素分析。",
    )
    gc_ms = _instrument(world, "气相色谱-质谱联用仪", "配顶空进样；用于VOC与增塑剂检测。")
    lc_ms = _instrument(world, "液相色谱-质谱联用仪", "三重四极杆；用于药物与农兽药残留定量分析。")
    failure = _posted(world, "调节阀阀杆断裂", "阀杆运行半年后断裂，断口附近有锈迹，希望查明原因。")
    metals = _posted(
        world, "电镀废水镍超标", "车间电镀废水排放口抽检镍超标，希望查明来源并达标排放。"
    )
    reindex()

    def shown(demand):
        [instruments] = demand_matches(demand, "own", ["instrument"])
        return {m.obj.pk for m in instruments.matches + instruments.more}

    assert sem.pk in shown(failure) and tem.pk not in shown(failure)
    # the scanning microscope is named by its name (扫描电子显微镜), not only described
    [inferred] = inferred_hits("instrument", f"{failure.title}\n{failure.description}", None)
    assert inferred.id == f"instrument:{sem.pk}"
    assert ("name", ["扫描电子显微镜"]) in [(ev.field, ev.terms) for ev in inferred.evidence]
    assert icp_ms.pk in shown(metals)
    assert not shown(metals) & {gc_ms.pk, lc_ms.pk}
