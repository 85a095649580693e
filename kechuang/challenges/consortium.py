"""Consortium suggestion (创新联合体建议): small sets of complementary organisations and experts that
together cover a task's technical indicators.

Each indicator is searched in the context of its task (title, problem statement and the indicator
together), so 排气量 in a compressor task finds compressor people, not a cement expert's 含气量. A
candidate *covers* an indicator only through a capability: its evidence must answer one of the
indicator's own key phrases (:func:`kechuang.matching.evidence.phrases_of`: no lone characters, numbers,
units or generic words such as 整机), at least half of them — matching the task's context alone covers
nothing. Its strength
on the indicator is the engine's match strength for that contextual query, read in the calibrated bands
of :func:`kechuang.matching.evidence.band` (强／较强／一般, the demand page's words); an indicator counts
as covered from 一般 up.

A greedy weighted set cover adds, one at a time, the candidate that raises the summed best strength over
the indicators the most, until ``max_members`` are chosen or nobody adds anything. Alternatives start
from other strong candidates and take a member already suggested only to cover an indicator nobody else
covers; they are kept only when at least two of their members (all, for a smaller set) are new to every
earlier suggestion — not the first suggestion with a person added. :func:`suggest_consortia` is plain Python over hits; :func:`suggest_for_challenge`
feeds it from the search index.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kechuang.demands.queries import STRENGTH_LABELS
from kechuang.matching.base import Evidence, Hit
from kechuang.matching.evidence import band

NEW_MEMBERS = 2  # an alternative brings at least this many members new to each earlier suggestion


@dataclass
class IndicatorCoverage:
    """Who covers one indicator in a suggestion, how strongly (the engine's match strength), and why
    (the evidence answering the indicator's phrases)."""

    indicator: str
    member: str | None
    strength: float
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def band(self) -> str:
        return band(self.strength) if self.member else "weak"

    @property
    def strength_label(self) -> str:
        return str(STRENGTH_LABELS[self.band])

    @property
    def covered(self) -> bool:
        return self.band != "weak"


@dataclass
class ConsortiumSuggestion:
    members: list[str]
    coverage: list[IndicatorCoverage]

    @property
    def covered_count(self) -> int:
        return sum(c.covered for c in self.coverage)


def _answering(hit: Hit, phrases: set[str]) -> list[Evidence]:
    """The hit's evidence items that answer one of ``phrases``, if together they answer at least half
    of them (a capability: 车身高度控制精度 is not covered by a sprayer boom's 高度 alone)."""
    items = [ev for ev in hit.evidence if phrases.intersection(ev.terms)]
    answered = phrases.intersection(t for ev in items for t in ev.terms)
    return items if 2 * len(answered) >= len(phrases) else []


def suggest_consortia(
    hits_by_indicator: Mapping[str, Sequence[Hit]],
    phrases: Mapping[str, Sequence[str]],
    *,
    max_members: int = 4,
    suggestions: int = 3,
) -> list[ConsortiumSuggestion]:
    """Up to ``suggestions`` member sets (each ≤ ``max_members``), best coverage first. ``phrases``
    maps each indicator to its key phrases; a hit counts for an indicator only where its evidence
    answers one of them."""
    indicators = list(hits_by_indicator)
    table: dict[str, dict[str, tuple[float, list[Evidence]]]] = {}
    for indicator, hits in hits_by_indicator.items():
        own = set(phrases.get(indicator, ()))
        for hit in hits:
            answering = _answering(hit, own)
            if answering and band(hit.strength) != "weak":
                table.setdefault(hit.id, {})[indicator] = (hit.strength, answering)

    def strength(candidate: str, indicator: str) -> float:
        entry = table[candidate].get(indicator)
        return entry[0] if entry else 0.0

    def best_gain(candidates: list[str], reached: dict[str, float]) -> str | None:
        """The candidate raising the summed strength over ``reached``'s indicators the most, if any."""
        gains = {
            c: sum(max(0.0, strength(c, i) - r) for i, r in reached.items()) for c in candidates
        }
        candidate = max(sorted(gains), key=lambda c: gains[c], default=None)
        return candidate if candidate is not None and gains[candidate] > 1e-9 else None

    def greedy(first: str, used: set[str]) -> list[str]:
        chosen = [first]
        reached = {i: strength(first, i) for i in indicators}
        while len(chosen) < max_members:
            candidate = best_gain([c for c in table if c not in chosen and c not in used], reached)
            if (
                candidate is None
            ):  # a member already suggested, only for an indicator still uncovered
                gaps = {i: r for i, r in reached.items() if band(r) == "weak"}
                candidate = best_gain([c for c in used if c not in chosen], gaps)
            if candidate is None:
                break
            chosen.append(candidate)
            reached = {i: max(reached[i], strength(candidate, i)) for i in indicators}
        return chosen

    def describe(members: list[str]) -> ConsortiumSuggestion:
        coverage = []
        for i in indicators:
            holder = max(members, key=lambda m: strength(m, i))
            entry = table[holder].get(i)
            coverage.append(
                IndicatorCoverage(
                    indicator=i,
                    member=holder if entry else None,
                    strength=round(entry[0], 3) if entry else 0.0,
                    evidence=entry[1] if entry else [],
                )
            )
        return ConsortiumSuggestion(members=members, coverage=coverage)

    def distinct(members: list[str], earlier: list[ConsortiumSuggestion]) -> bool:
        need = min(NEW_MEMBERS, len(members))
        return all(len(set(members) - set(s.members)) >= need for s in earlier)

    def total(candidate: str) -> float:
        return sum(strength(candidate, i) for i in indicators)

    results: list[ConsortiumSuggestion] = []
    for first in sorted(sorted(table), key=total, reverse=True):
        if any(first in s.members for s in results):
            continue
        used = {m for s in results for m in s.members}
        members = greedy(first, used)
        if distinct(members, results):
            results.append(describe(members))
        if len(results) == suggestions:
            break
    results.sort(
        key=lambda s: (-s.covered_count, -sum(c.strength for c in s.coverage), len(s.members))
    )
    return results


def suggest_for_challenge(challenge, *, per_indicator: int = 8) -> list[ConsortiumSuggestion]:
    """Search experts and organisations for each of the task's indicators, in the task's context, and
    suggest consortia."""
    from kechuang.matching.evidence import phrases_of
    from kechuang.search.indexing import current_analyzer, search

    analyzer = current_analyzer()
    context = f"{challenge.title}\n{challenge.problem}"
    hits, phrases = {}, {}
    for indicator in challenge.indicators.all():
        key = str(indicator)
        hits[key] = search(
            f"{indicator.name}\n{context}",
            types=["organization", "expert"],
            k=per_indicator,
            diversify=2,
        )
        phrases[key] = phrases_of(analyzer, indicator.name)
    return suggest_consortia(hits, phrases)
