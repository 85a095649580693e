"""The product benchmark: realistic demands against the demo region, ranked as the demand page ranks them.

The demands (``kechuang/matching/data/product/demands.jsonl``, see the README beside it) were written
from the demo's industries and specialties, each labelled with what would solve it before anything was
run. A record's grade comes from what the generator decided about it (:class:`DemoPlan`), never from
its text: 2 = it belongs to a solving specialty, is a needed instrument type or service item, or is an
institution of a solving specialty's direction or offering a needed service; 1 = it belongs to a related
direction; 0 = otherwise (enterprises are never graded as solvers).

The engine is measured through :func:`kechuang.demands.queries.demand_matches` (the same pool, filters,
dedupe and ordering the demand page shows), plain BM25 over the same documents in the same run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kechuang.demands.models import Demand, MatchType
from kechuang.demands.queries import (
    AVAILABILITY_ORDER,
    BAND_ORDER,
    MATCH_POOL,
    Role,
    demand_matches,
)
from kechuang.demo import vocabulary as v
from kechuang.demo.generator import DemoPlan
from kechuang.demo.specialties import DIRECTIONS, SPECIALTY
from kechuang.directory.models import Expert
from kechuang.matching.bench import (
    SIMILARITY_BUCKETS,
    fit_strength_map,
    graded_ndcg,
    graded_shares,
    relevance_by_strength,
)
from kechuang.matching.evidence import STRENGTH_BANDS, calibrated_strength

DEMANDS_FILE = Path(__file__).resolve().parent.parent / "matching/data/product/demands.jsonl"
TYPES = [t.value for t in MatchType]
SPECIALTY_DIRECTION = {key: s.direction for key, s in SPECIALTY.items()}
DIRECTION_KEYS = {d.key for d in DIRECTIONS}
INSTRUMENT_DIRECTIONS = {
    entry[0]: set(entry[7]) for entry in [*v.INSTRUMENTS, *v.SPECIAL_INSTRUMENTS]
}
SERVICE_DIRECTIONS = {entry[0]: set(entry[6]) for entry in v.SERVICES}


@dataclass(frozen=True)
class ProductDemand:
    id: str
    chain: str
    title: str
    description: str
    specialties: tuple[str, ...]
    related: tuple[str, ...]  # specialty or direction keys that count as related (grade 1)
    instruments: tuple[str, ...]
    services: tuple[str, ...]

    @property
    def directions(self) -> set[str]:
        """The directions of the solving and related specialties, and the related directions."""
        keys = [*self.specialties, *self.related]
        return {k if k in DIRECTION_KEYS else SPECIALTY_DIRECTION[k] for k in keys}

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.description}"


def load_product_demands(path: Path = DEMANDS_FILE) -> list[ProductDemand]:
    demands = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                demands.append(
                    ProductDemand(
                        id=row["id"],
                        chain=row["chain"],
                        title=row["title"],
                        description=row["description"],
                        specialties=tuple(row["specialties"]),
                        related=tuple(row["related"]),
                        instruments=tuple(row["instruments"]),
                        services=tuple(row["services"]),
                    )
                )
    return demands


@dataclass
class Judge:
    """Grades records for a demand from the generator's plan (see the module docstring)."""

    plan: DemoPlan
    services_of: dict[int, set[str]] = field(default_factory=dict)  # organisation → service titles

    def grade(self, demand: ProductDemand, kind: str, obj) -> int:
        directions = demand.directions
        if kind in (MatchType.EXPERT, MatchType.ACHIEVEMENT):
            table = (
                self.plan.expert_specialty
                if kind == MatchType.EXPERT
                else self.plan.achievement_specialty
            )
            specialty = table.get(obj.pk)
            if specialty is None:
                return 0
            if specialty in demand.specialties:
                return 2
            return 1 if SPECIALTY_DIRECTION[specialty] in directions else 0
        if kind == MatchType.ORGANIZATION:
            own = set(self.plan.organization_directions.get(obj.pk, ()))
            if not own:  # an enterprise, or a society: not a solver here
                return 0
            solving = {SPECIALTY_DIRECTION[s] for s in demand.specialties}
            if own & solving or self.services_of.get(obj.pk, set()) & set(demand.services):
                return 2
            return 1 if own & directions else 0
        if kind == MatchType.INSTRUMENT:
            if obj.name in demand.instruments:
                return 2
            return 1 if INSTRUMENT_DIRECTIONS.get(obj.name, set()) & directions else 0
        if obj.title in demand.services:
            return 2
        return 1 if SERVICE_DIRECTIONS.get(obj.title, set()) & directions else 0


@dataclass
class Tally:
    """Per record type: the figures over the demands."""

    p5: list[float] = field(default_factory=list)  # share of the shown top 5 graded ≥ 1
    p5_exact: list[float] = field(default_factory=list)  # … graded 2
    p5_full: list[float] = field(default_factory=list)  # graded ≥ 1 over 5 slots
    ndcg10: list[float] = field(default_factory=list)
    good5: list[bool] = field(default_factory=list)  # a grade-2 record in the top 5
    shown: list[int] = field(default_factory=list)
    misses: list[str] = field(
        default_factory=list
    )  # answerable demands without a grade 2 in the top 5

    def add(self, grades: list[int], ideal: list[int], demand: str = "") -> None:
        top = grades[:5]
        if top:
            self.p5.append(sum(g >= 1 for g in top) / len(top))
            self.p5_exact.append(sum(g == 2 for g in top) / len(top))
        self.p5_full.append(sum(g >= 1 for g in top) / 5)
        self.ndcg10.append(graded_ndcg(grades, ideal))
        if 2 in ideal:  # only where the demo has a clearly good answer of this type at all
            self.good5.append(2 in top)
            if 2 not in top:
                self.misses.append(demand)
        self.shown.append(len(top))

    def figures(self) -> dict[str, float]:
        def mean(values) -> float:
            return round(sum(values) / len(values), 3) if values else 0.0

        return {
            "p@5": mean(self.p5),
            "p@5=2": mean(self.p5_exact),
            "p@5/5": mean(self.p5_full),
            "ndcg@10": mean(self.ndcg10),
            "good@5": mean(self.good5),
            "answerable": len(self.good5),
            "shown@5": mean(self.shown),
        }


def bench_demand(demand: ProductDemand, region, chains: dict[str, object]) -> Demand:
    """An unsaved demand of a Ruian enterprise that owns no record, as the demand page would match it."""
    return Demand(
        title=demand.title,
        description=demand.description,
        region=region,
        industry_chain=chains.get(demand.chain),
        organization_id=0,
    )


def _tokens(text: str) -> list[str]:
    import rjieba

    return [t for t in rjieba.cut(text.lower()) if t.strip() and re.search(r"\w", t)]


class Bm25:
    """Plain BM25 (``bm25s``) per record type over the indexed documents' fields."""

    def __init__(self, documents: Iterable) -> None:
        import bm25s

        by_type: dict[str, list] = {}
        for doc in documents:
            by_type.setdefault(doc.type, []).append(doc)
        self.retrievers = {}
        for kind, docs in by_type.items():
            retriever = bm25s.BM25()
            retriever.index(
                [_tokens(" ".join(doc.fields.values())) for doc in docs], show_progress=False
            )
            self.retrievers[kind] = (retriever, [doc.id for doc in docs])

    def rank(self, kind: str, query: str, k: int = 10) -> list[str]:
        if kind not in self.retrievers:
            return []
        retriever, ids = self.retrievers[kind]
        words = [t for t in _tokens(query) if t in retriever.vocab_dict]
        if not words:
            return []
        rows, scores = retriever.retrieve(
            [words], k=min(k, len(ids)), show_progress=False, n_threads=1
        )
        return [ids[int(r)] for r, s in zip(rows[0], scores[0], strict=True) if s > 0]


def evaluate_product(
    demands: Sequence[ProductDemand],
    plan: DemoPlan,
    *,
    baseline: bool = True,
    spot_check: int = 0,
    calibrate: bool = False,
) -> dict:
    """Engine (the demand page's order) and plain BM25 figures per record type; with ``spot_check``
    the engine's top 5 per type of that many demands with their grades, for reading; with
    ``calibrate`` per type the share of relevant records by raw strength bucket and by shown band over
    every record of the page's pool (shown and folded), and the map to the experts' scale those shares
    give (:func:`~kechuang.matching.bench.fit_strength_map`: what
    :data:`~kechuang.matching.evidence.STRENGTH_CALIBRATION` is read from)."""
    from kechuang.core.models import IndustryChain, Region
    from kechuang.demands.queries import MATCH_MODELS
    from kechuang.demo.generator import RUIAN
    from kechuang.directory.models import ServiceItem
    from kechuang.search.indexing import all_documents

    region = Region.objects.get(code=RUIAN)
    chains = {c.slug: c for c in IndustryChain.objects.all()}
    services_of: dict[int, set[str]] = {}
    for provider, title in ServiceItem.objects.published().values_list("provider_id", "title"):
        services_of.setdefault(provider, set()).add(title)
    judge = Judge(plan, services_of)
    everything = {
        kind: list(model.objects.published()) for kind, (model, _related) in MATCH_MODELS.items()
    }
    objects = {f"{kind}:{obj.pk}": obj for kind, objs in everything.items() for obj in objs}
    engine = {kind: Tally() for kind in TYPES}
    folded = {kind: Tally() for kind in TYPES}  # shown, then the weak folded under 更多
    bm25 = {kind: Tally() for kind in TYPES}
    ranker = Bm25(all_documents()) if baseline else None
    unavailable = {"good_folded": 0, "above_available": 0}
    spots = []
    raw: dict[str, list[tuple[float, int]]] = {kind: [] for kind in TYPES}  # (raw strength, grade)
    banded: dict[str, list[tuple[str, int]]] = {kind: [] for kind in TYPES}  # (shown band, grade)
    # (dense similarity, grade) of the records answering a phrase, with a strength below the lowest band
    near: dict[str, list[tuple[float, int]]] = {kind: [] for kind in TYPES}
    for number, demand in enumerate(demands):
        ideal = {
            kind: [judge.grade(demand, kind, obj) for obj in everything[kind]] for kind in TYPES
        }
        # the whole pool (the first 10 are those of k=10), for the calibration
        groups = demand_matches(bench_demand(demand, region, chains), scope="all", k=MATCH_POOL)
        spot = {"id": demand.id, "title": demand.title, "types": {}}
        for group in groups:
            if calibrate:
                # organisations: solvers only — the labels grade every enterprise 0 by construction
                # (the page shows enterprises by their role, never as solvers)
                for m in group.matches + group.more:
                    if group.type == MatchType.ORGANIZATION and m.role != Role.SOLVER:
                        continue
                    grade = judge.grade(demand, group.type, m.obj)
                    raw[group.type].append((m.raw_strength, grade))
                    banded[group.type].append((m.band, grade))
                    phrase = calibrated_strength(group.type, m.raw_strength)
                    below = 0 < phrase < STRENGTH_BANDS[-1][0]  # what the dense share may lift
                    if m.hit.semantic is not None and below:
                        near[group.type].append((m.hit.semantic, grade))
            group.matches, group.more = group.matches[:10], group.more[:10]
            grades = [judge.grade(demand, group.type, m.obj) for m in group.matches]
            engine[group.type].add(grades, ideal[group.type], demand.id)
            weak = [m for m in group.more if not m.unavailable]
            folded[group.type].add(
                grades + [judge.grade(demand, group.type, m.obj) for m in weak], ideal[group.type]
            )
            if number < spot_check:
                spot["types"][group.type] = [
                    (str(m.obj), m.strength_label, g)
                    for m, g in zip(group.matches[:5], grades, strict=False)
                ]
            if group.type == MatchType.EXPERT:
                unavailable["good_folded"] += sum(
                    m.unavailable and judge.grade(demand, group.type, m.obj) == 2
                    for m in group.more
                )
                unavailable["above_available"] += _unavailable_above(group.matches + group.more)
            if ranker is not None:
                ranked = [objects[i] for i in ranker.rank(group.type, demand.text) if i in objects]
                bm25[group.type].add(
                    [judge.grade(demand, group.type, obj) for obj in ranked], ideal[group.type]
                )
        if number < spot_check:
            spots.append(spot)
    report = {
        "demands": len(demands),
        "engine": {kind: engine[kind].figures() for kind in TYPES},
        "engine+more": {kind: folded[kind].figures() for kind in TYPES},
        "misses": {kind: engine[kind].misses for kind in TYPES},
        "unavailable_experts": unavailable,
    }
    if ranker is not None:
        report["bm25"] = {kind: bm25[kind].figures() for kind in TYPES}
    if spot_check:
        report["spot_check"] = spots
    if calibrate:
        report["calibration"] = {
            kind: {
                "raw": relevance_by_strength(raw[kind]),
                "bands": _band_shares(banded[kind]),
                "map": fit_strength_map(raw[kind], raw[MatchType.EXPERT])
                if kind != MatchType.EXPERT
                else None,
                # what evidence.DENSE_CALIBRATION is read from (a hybrid run only)
                "dense_map": fit_strength_map(
                    near[kind], raw[MatchType.EXPERT], buckets=SIMILARITY_BUCKETS, bounded=True
                )
                if near[kind]
                else None,
            }
            for kind in TYPES
        }
    return report


def _band_shares(samples: Sequence[tuple[str, int]]) -> dict[str, dict[str, float]]:
    """Per shown band: records, and the share graded relevant (≥ 1) and clearly good (2)."""
    return {
        name: graded_shares([grade for band, grade in samples if band == name])
        for name in [*(name for _floor, name in STRENGTH_BANDS), "weak"]
    }


def _unavailable_above(matches: Sequence) -> int:
    """Pairs where an expert who takes no work now is listed above an available one of the same
    strength band."""
    count = 0
    for i, upper in enumerate(matches):
        if upper.obj.availability != Expert.Availability.UNAVAILABLE:
            continue
        for lower in matches[i + 1 :]:
            same_band = BAND_ORDER[lower.band] == BAND_ORDER[upper.band]
            if same_band and AVAILABILITY_ORDER[lower.obj.availability] == 0:
                count += 1
    return count
