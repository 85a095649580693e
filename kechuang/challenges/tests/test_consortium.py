"""Consortium suggestion: capabilities per indicator in the task's context, a weighted set cover over
them, alternatives that differ, coverage read in the calibrated strength bands."""

import pytest

from kechuang.challenges.consortium import suggest_consortia, suggest_for_challenge
from kechuang.challenges.factories import ChallengeFactory
from kechuang.challenges.models import Indicator
from kechuang.core.factories import RegionFactory
from kechuang.directory.factories import ExpertFactory, OrganizationFactory
from kechuang.matching.base import Evidence, Hit


def hit(id_, strength, *terms):
    return Hit(
        id=id_,
        type=id_.split(":")[0],
        score=strength * 10,
        strength=strength,
        evidence=[Evidence("profile", list(terms), "、".join(f"<mark>{t}</mark>" for t in terms))],
    )


PHRASES = {"控制": ["控制"], "降噪": ["降噪", "噪声"], "耐久": ["耐久"]}
HITS = {
    # The motor lab is strong on control, the acoustics institute on noise, a testing body the only one
    # with durability; a generalist is fair at control and noise.
    "控制": [hit("organization:1", 0.6, "控制"), hit("expert:9", 0.2, "控制")],
    "降噪": [hit("organization:2", 0.55, "降噪"), hit("expert:9", 0.2, "噪声")],
    "耐久": [hit("organization:3", 0.35, "耐久"), hit("expert:9", 0.1, "耐久")],
}


def test_best_suggestion_covers_every_indicator_with_complementary_members():
    best = suggest_consortia(HITS, PHRASES, max_members=4)[0]
    assert best.members == ["organization:1", "organization:2", "organization:3"]
    assert best.covered_count == 3
    by_indicator = {c.indicator: c for c in best.coverage}
    assert by_indicator["控制"].member == "organization:1"
    assert (by_indicator["控制"].band, by_indicator["控制"].strength_label) == ("strong", "强")
    assert (by_indicator["耐久"].band, by_indicator["耐久"].strength_label) == ("good", "较强")
    assert by_indicator["降噪"].evidence[0].snippet == "<mark>降噪</mark>"


def test_a_hit_answering_only_the_task_context_covers_nothing():
    # The cement expert is found for the task (空压机) but answers none of the indicator's phrases.
    hits = {"排气量": [hit("expert:5", 0.9, "空压机"), hit("organization:7", 0.2, "排气量")]}
    suggestions = suggest_consortia(hits, {"排气量": ["排气量"]}, suggestions=3)
    assert [s.members for s in suggestions] == [["organization:7"]]
    coverage = suggestions[0].coverage[0]
    assert (coverage.member, coverage.strength_label, coverage.covered) == (
        "organization:7",
        "一般",
        True,
    )


def test_a_capability_answers_at_least_half_of_the_indicator_phrases():
    phrases = {"车身高度控制精度": ["车身", "高度", "精度"]}
    boom = hit("expert:3", 0.6, "高度", "控制器")  # a sprayer boom's height: one phrase of three
    suspension = hit("expert:4", 0.4, "车身", "高度")
    suggestions = suggest_consortia({"车身高度控制精度": [boom, suspension]}, phrases)
    assert [s.members for s in suggestions] == [["expert:4"]]


def test_a_weak_hit_is_no_coverage():
    suggestions = suggest_consortia({"控制": [hit("organization:1", 0.1, "控制")]}, PHRASES)
    assert suggestions == []


def test_alternatives_differ_in_at_least_two_members():
    hits = {
        "控制": [hit("organization:1", 0.6, "控制"), hit("organization:4", 0.5, "控制")],
        "降噪": [hit("organization:2", 0.55, "降噪"), hit("organization:5", 0.45, "噪声")],
        "耐久": [hit("organization:3", 0.35, "耐久"), hit("organization:6", 0.3, "耐久")],
    }
    suggestions = suggest_consortia(hits, PHRASES, suggestions=3)
    assert [s.members for s in suggestions] == [
        ["organization:1", "organization:2", "organization:3"],
        ["organization:4", "organization:5", "organization:6"],
    ]
    assert all(s.covered_count == 3 for s in suggestions)


def test_indicator_without_hits_is_reported_uncovered():
    suggestions = suggest_consortia(
        {"控制": [hit("organization:1", 0.5, "控制")], "密封": []}, {**PHRASES, "密封": ["密封"]}
    )
    coverage = {c.indicator: c for c in suggestions[0].coverage}
    assert coverage["密封"].member is None and not coverage["密封"].covered
    assert coverage["密封"].strength_label == "较弱"
    assert suggest_consortia({"密封": []}, {"密封": ["密封"]}) == []


@pytest.mark.django_db
def test_indicators_are_searched_in_the_task_context_on_a_small_world():
    from kechuang.search.indexing import rebuild_all

    region = RegionFactory(code="330381", name="瑞安市")
    compressor = OrganizationFactory(
        region=region,
        name="瑞安电动空压机研究所",
        kind="institute",
        description="研究新能源商用车电动空压机，提升涡旋空压机额定排气量与比功率。",
    )
    acoustics = OrganizationFactory(
        region=region,
        name="温州空压机噪声振动实验室",
        kind="testing",
        description="开展电动空压机噪声与振动测试，识别噪声源并设计隔振支架。",
    )
    cement = ExpertFactory(
        name="水泥专家",
        affiliation__region=region,
        keywords=["混凝土", "含气量"],
        profile="研究水泥混凝土含气量与排气量测定。",
    )
    gyroscope = ExpertFactory(
        name="陀螺专家",
        affiliation__region=region,
        keywords=["超流体陀螺", "噪声"],
        profile="研究超流体陀螺的噪声抑制。",
    )
    challenge = ChallengeFactory(
        region=region,
        title="新能源商用车电动空压机",
        problem="电动空压机排气量不足、噪声大，需要提升排气量并降低整机噪声。",
    )
    Indicator.objects.create(
        challenge=challenge, name="整机噪声", target=72, unit="dB(A)", comparator="lte", order=1
    )
    rebuild_all()

    suggestions = suggest_for_challenge(challenge)

    members = [m for s in suggestions for m in s.members]
    assert f"expert:{cement.pk}" not in members and f"expert:{gyroscope.pk}" not in members
    best = suggestions[0]
    assert best.covered_count == 2
    holders = {c.indicator: c.member for c in best.coverage}
    assert holders == {
        "排气量 ≥ 300 L/min": f"organization:{compressor.pk}",
        "整机噪声 ≤ 72 dB(A)": f"organization:{acoustics.pk}",
    }
    assert sorted(best.members) == sorted(holders.values())
