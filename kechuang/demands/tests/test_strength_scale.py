"""The match strength a demand page shows means the same for every type of record: an instrument,
which answers only the test a long demand names, is shown on the experts' scale
(kechuang.matching.evidence.STRENGTH_CALIBRATION), so a band says as likely relevant whether it marks
an expert or an instrument."""

from kechuang.demands.factories import DemandFactory
from kechuang.demands.queries import demand_matches
from kechuang.directory.factories import (
    InstrumentFactory,
    OrganizationFactory,
)
from kechuang.matching.evidence import band, calibrated_strength


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
