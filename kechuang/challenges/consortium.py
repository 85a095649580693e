"""Consortium suggestion (创新联合体建议): small sets of complementary organisations and experts that
together cover a task's technical indicators.

For each indicator the matching engine returns ranked hits; a candidate's *strength* on an indicator is its
score relative to the best hit for that indicator (0–1). A greedy weighted set cover then adds, one at a
time, the candidate that raises the summed best strength over all indicators the most, until
``max_members`` are chosen or nobody adds anything. Alternative suggestions start from different strong
first members. :func:`suggest_consortia` is plain Python over hits; :func:`suggest_for_challenge` feeds it
from the search index.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kechuang.matching.base import Evidence, Hit

COVERED = 0.5  # an indicator counts as covered when some member reaches half the best strength


@dataclass
class IndicatorCoverage:
    """Who covers one indicator in a suggestion, how strongly (0–1), and why (the engine's evidence)."""

    indicator: str
    member: str | None
    strength: float
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return self.strength >= COVERED


@dataclass
class ConsortiumSuggestion:
    members: list[str]
    coverage: list[IndicatorCoverage]

    @property
    def covered_count(self) -> int:
        return sum(c.covered for c in self.coverage)


def _strengths(hits_by_indicator: Mapping[str, Sequence[Hit]]) -> dict[str, dict[str, Hit]]:
    """candidate id → indicator → its hit, and each hit's relative strength in ``hit.score`` terms."""
    table: dict[str, dict[str, Hit]] = {}
    for indicator, hits in hits_by_indicator.items():
        for hit in hits:
            if hit.score > 0:
                table.setdefault(hit.id, {})[indicator] = hit
    return table


def suggest_consortia(
    hits_by_indicator: Mapping[str, Sequence[Hit]],
    *,
    max_members: int = 4,
    suggestions: int = 3,
) -> list[ConsortiumSuggestion]:
    """Up to ``suggestions`` distinct member sets (each ≤ ``max_members``), best coverage first."""
    indicators = list(hits_by_indicator)
    best = {i: max((h.score for h in hits_by_indicator[i]), default=0.0) or 1.0 for i in indicators}
    table = _strengths(hits_by_indicator)

    def strength(candidate: str, indicator: str) -> float:
        hit = table[candidate].get(indicator)
        return hit.score / best[indicator] if hit else 0.0

    def greedy(first: str) -> list[str]:
        chosen = [first]
        reached = {i: strength(first, i) for i in indicators}
        while len(chosen) < max_members:
            gains = {
                c: sum(max(0.0, strength(c, i) - reached[i]) for i in indicators)
                for c in table
                if c not in chosen
            }
            if not gains:
                break
            candidate = max(sorted(gains), key=lambda c: gains[c])
            if gains[candidate] <= 1e-9:
                break
            chosen.append(candidate)
            reached = {i: max(reached[i], strength(candidate, i)) for i in indicators}
        return chosen

    def describe(members: list[str]) -> ConsortiumSuggestion:
        coverage = []
        for i in indicators:
            holder = max(members, key=lambda m: strength(m, i))
            value = strength(holder, i)
            hit = table[holder].get(i)
            coverage.append(
                IndicatorCoverage(
                    indicator=i,
                    member=holder if value > 0 else None,
                    strength=round(value, 3),
                    evidence=list(hit.evidence) if hit else [],
                )
            )
        return ConsortiumSuggestion(members=members, coverage=coverage)

    def total(candidate: str) -> float:
        return sum(strength(candidate, i) for i in indicators)

    results, seen = [], set()
    for first in sorted(sorted(table), key=total, reverse=True):
        members = greedy(first)
        key = frozenset(members)
        if key in seen:
            continue
        seen.add(key)
        results.append(describe(members))
        if len(results) == suggestions:
            break
    results.sort(
        key=lambda s: (-s.covered_count, -sum(c.strength for c in s.coverage), len(s.members))
    )
    return results


def suggest_for_challenge(challenge, *, per_indicator: int = 8) -> list[ConsortiumSuggestion]:
    """Search experts and organisations for each of the task's indicators and suggest consortia."""
    from kechuang.core.indexing import search

    hits = {
        str(indicator): search(
            indicator.name,
            types=["organization", "expert"],
            k=per_indicator,
            diversify=2,
        )
        for indicator in challenge.indicators.all()
    }
    return suggest_consortia(hits)
