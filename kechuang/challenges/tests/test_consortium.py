"""Consortium suggestion: greedy weighted set cover over fixed hits."""

from kechuang.challenges.consortium import suggest_consortia
from kechuang.matching.base import Evidence, Hit


def hit(id_, score, term):
    return Hit(
        id=id_,
        type=id_.split(":")[0],
        score=score,
        evidence=[Evidence("profile", [term], f"<mark>{term}</mark>")],
    )


HITS = {
    # The motor lab dominates control, the materials institute dominates noise, a testing body is the
    # only one with durability; a generalist is second-best at everything.
    "控制": [hit("organization:1", 10.0, "电机控制"), hit("expert:9", 6.0, "控制")],
    "降噪": [hit("organization:2", 8.0, "降噪"), hit("expert:9", 5.0, "噪声")],
    "耐久": [hit("organization:3", 4.0, "耐久试验"), hit("expert:9", 1.0, "寿命")],
}


def test_best_suggestion_covers_every_indicator_with_complementary_members():
    best = suggest_consortia(HITS, max_members=4)[0]
    assert sorted(best.members) == ["organization:1", "organization:2", "organization:3"]
    assert best.covered_count == 3
    by_indicator = {c.indicator: c for c in best.coverage}
    assert by_indicator["控制"].member == "organization:1"
    assert by_indicator["控制"].strength == 1.0
    assert by_indicator["降噪"].evidence[0].snippet == "<mark>降噪</mark>"
    assert by_indicator["耐久"].member == "organization:3"


def test_member_cap_limits_the_set_and_leaves_an_indicator_uncovered():
    capped = suggest_consortia(HITS, max_members=1, suggestions=5)
    assert all(len(s.members) == 1 for s in capped)
    # Alone, the generalist reaches 0.6 / 0.625 / 0.25: two of three covered, the best single choice.
    assert capped[0].members == ["expert:9"]
    assert capped[0].covered_count == 2
    assert len({tuple(s.members) for s in capped}) == len(capped)


def test_no_member_is_added_when_it_brings_nothing():
    hits = {"控制": [hit("organization:1", 5.0, "控制"), hit("organization:4", 2.0, "控制")]}
    suggestions = suggest_consortia(hits, max_members=4, suggestions=1)
    assert suggestions[0].members == ["organization:1"]


def test_indicator_without_hits_is_reported_uncovered():
    suggestions = suggest_consortia({"控制": [hit("organization:1", 5.0, "控制")], "密封": []})
    coverage = {c.indicator: c for c in suggestions[0].coverage}
    assert coverage["密封"].member is None and not coverage["密封"].covered
    assert suggest_consortia({"密封": []}) == []
