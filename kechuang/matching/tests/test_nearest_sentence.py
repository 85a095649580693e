"""The sentence shown for a record the dense side brought near the demand: its own text nearest the
demand, never a sentence its evidence already shows, and a background field only when it has nothing
else."""

from kechuang.matching.base import Document, Evidence
from kechuang.matching.evidence import closest_sentence

DEMAND = "汽车电子控制单元下线检测装备开发，需要自动化测试与功能安全诊断"


def _achievement(**fields):
    return Document(
        id="achievement:1",
        type="achievement",
        fields=fields,
        weights={"title": 3.0, "description": 1.0, "chain": 0.3},
    )


def test_the_nearest_sentence_is_the_records_own_and_not_one_already_shown():
    record = _achievement(
        title="一种车载控制器硬件在环测试系统",
        description="面向整车控制器的自动化测试。已完成中试验证。",
        chain="汽车电子 汽车零部件 电子控制单元",
    )
    nearest = closest_sentence(record, DEMAND)
    assert (nearest.field, nearest.terms, nearest.snippet) == (
        "title",
        [],
        "一种车载控制器硬件在环测试系统",
    )
    # the title is already shown as evidence: the next nearest of its own sentences, not the chain's
    shown = [Evidence(field="title", terms=["控制器"], snippet="一种车载<mark>控制器</mark>硬件…")]
    nearest = closest_sentence(record, DEMAND, shown)
    assert (nearest.field, nearest.snippet) == ("description", "面向整车控制器的自动化测试。")


def test_a_background_field_only_when_nothing_of_the_records_own_comes_near():
    # the chain shares more with the demand than the description, but it is no sentence of the record
    record = _achievement(
        title="电子控制单元",
        description="本成果面向产线，检测节拍提升一倍以上，已在三家工厂应用。",
        chain="汽车电子 电子控制单元 下线检测 功能安全 诊断 自动化",
    )
    shown = [Evidence(field="title", terms=["电子控制单元"], snippet="<mark>电子控制单元</mark>")]
    nearest = closest_sentence(record, DEMAND, shown)
    assert (nearest.field, nearest.snippet) == (
        "description",
        "本成果面向产线，检测节拍提升一倍以上，已在三家工厂应用。",
    )
    far = _achievement(
        title="电子控制单元", description="已完成中试验证。", chain="电子控制单元 下线检测"
    )
    nearest = closest_sentence(far, DEMAND, shown)
    assert (nearest.field, nearest.snippet) == ("chain", "电子控制单元 下线检测")
    assert closest_sentence(_achievement(), DEMAND) is None
