"""Ranking pieces every backend shares: BM25F over a segment, score fusion, pseudo-relevance feedback,
diversity and the hits (evidence in :mod:`kechuang.matching.evidence`). Plain functions over numpy arrays, so a backend only has to find candidates."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from kechuang.matching.base import Document, Hit
from kechuang.matching.evidence import KeyPhrases, closest_sentence, evidence_for, record_strength
from kechuang.matching.segment import Segment, analyse
from kechuang.matching.text import Analyzer

K1 = 1.2
B = 0.75


def idf(n_docs: int, df: int) -> float:
    """BM25's smoothed inverse document frequency (never negative)."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def bm25_scores(
    segment: Segment,
    weighted_terms: Mapping[str, float],
    idfs: Mapping[str, float],
    avg_len: float,
    k1: float = K1,
    b: float = B,
) -> np.ndarray:
    """BM25F score of every document of ``segment`` (zero where no term matches)."""
    scores = np.zeros(segment.size, dtype=np.float32)
    if not segment.size:
        return scores
    norm = (k1 * (1.0 - b)) + (k1 * b / max(avg_len, 1e-6)) * np.asarray(segment.doc_len)
    for term, weight in weighted_terms.items():
        postings = segment.postings(term)
        if postings is None:
            continue
        docs, tf = postings
        scores[docs] += (weight * idfs[term] * (k1 + 1.0)) * tf / (tf + norm[docs])
    return scores


def min_max(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] (all zeros when the values are all equal)."""
    if not len(values):
        return values
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.zeros_like(values, dtype=np.float32)
    return ((values - low) / (high - low)).astype(np.float32)


def z_score(values: np.ndarray) -> np.ndarray:
    """Standardise to mean 0, standard deviation 1 (all zeros when the values are all equal)."""
    if not len(values):
        return values
    spread = float(values.std())
    if spread < 1e-9:
        return np.zeros_like(values, dtype=np.float32)
    return ((values - float(values.mean())) / spread).astype(np.float32)


def fuse(lexical: np.ndarray, dense: np.ndarray | None, alpha: float) -> np.ndarray:
    """Linear fusion of standardised scores, ``(1 - alpha) · z(lexical) + alpha · z(dense)`` over the same
    candidates, rescaled to [0, 1]. Z-scores rather than min-max: one outlying score (a single exact
    title match, a not-yet-encoded candidate at -1) no longer squeezes all the others together. (Both
    beat reciprocal-rank fusion on the CSL sets.) Without dense scores, the lexical ones."""
    if dense is None:
        return lexical.astype(np.float32)
    return min_max((1.0 - alpha) * z_score(lexical) + alpha * z_score(dense))


def propagate(
    scores: np.ndarray,
    candidates: Sequence[tuple[int, int]],
    graph: np.ndarray,
    weight: float,
    steps: int = 2,
) -> np.ndarray:
    """Score propagation over the document-similarity graph: each base-segment candidate gains ``weight``
    times the mean score of its graph neighbours among the candidates (0 for the others). A document whose
    nearest neighbours also rank high sits in the query's field — the cluster hypothesis — and rises
    above an isolated lexical match.

    With ``steps`` > 1 the gain is computed again from the propagated scores, always added to the original
    ones (personalised-PageRank-style smoothing with restart): neighbours of neighbours count too, so a
    whole field's cluster lifts together rather than only the direct neighbours of the best matches."""
    base = np.array([r if p == 0 else -1 for p, r in candidates], dtype=np.int64)
    in_base = base >= 0
    if not in_base.any():
        return scores
    order = np.argsort(base)
    sorted_rows = base[order]
    neighbours = graph[base[in_base]]  # (m, k), -1 where missing
    positions = np.searchsorted(sorted_rows, neighbours)
    positions = np.clip(positions, 0, len(sorted_rows) - 1)
    found = (sorted_rows[positions] == neighbours) & (neighbours >= 0)
    neighbour_index = order[positions]
    start = scores.astype(np.float32)
    current = start
    for _ in range(max(steps, 1)):
        neighbour_scores = np.where(found, current[neighbour_index], 0.0)
        current = start.copy()
        current[in_base] += weight * neighbour_scores.mean(axis=1)
    return current


def expansion_terms(
    feedback: Sequence[Document],
    analyzer: Analyzer,
    idfs_for: callable,
    query_terms: Mapping[str, float],
    n_terms: int,
    weight: float,
) -> dict[str, float]:
    """Pseudo-relevance feedback (RM3-style): the ``n_terms`` terms most characteristic of the top
    ``feedback`` documents — relative frequency in each, times idf, summed — that the query lacks, weighted
    ``weight`` times their share of the best one. ``idfs_for(terms)`` returns the idf of each term."""
    totals: dict[str, float] = {}
    for doc in feedback:
        tf, length = analyse(doc, analyzer)
        if not length:
            continue
        for term, count in tf.items():
            if term not in query_terms and len(term) > 1:
                totals[term] = totals.get(term, 0.0) + count / length
    if not totals:
        return {}
    idfs = idfs_for(list(totals))
    ranked = sorted(((value * idfs[t], t) for t, value in totals.items()), reverse=True)[:n_terms]
    best = ranked[0][0] or 1.0
    return {term: weight * value / best for value, term in ranked if value > 0}


def diversify(order: Sequence[int], groups: Sequence[str], cap: int | None, k: int) -> list[int]:
    """The first ``k`` of ``order`` with at most ``cap`` per non-empty group; capped ones fill the remaining
    places only when no other candidate qualifies."""
    if not cap or cap <= 0:
        return list(order[:k])
    chosen: list[int] = []
    deferred: list[int] = []
    per_group: dict[str, int] = {}
    for position in order:
        group = groups[position]
        if group and per_group.get(group, 0) >= cap:
            deferred.append(position)
            continue
        per_group[group] = per_group.get(group, 0) + 1
        chosen.append(position)
        if len(chosen) == k:
            return chosen
    return chosen + deferred[: k - len(chosen)]


def make_hit(
    doc: Document,
    score: float,
    phrases: KeyPhrases,
    analyzer: Analyzer,
    query: str,
    semantic: float | None,
    name: KeyPhrases | None = None,
) -> Hit:
    """A hit with its evidence — the record's sentences that answer the query's key phrases, or, for a
    record the dense side found with none of them, its sentence nearest the query — its strength
    (``name``: a capability record's name, see :func:`~kechuang.matching.evidence.record_strength`)
    and its best sentence's alone (``focus``)."""
    evidence, answered = evidence_for(doc, phrases, analyzer)
    focus = max((phrases.strength(ev.terms) for ev in evidence), default=0.0)
    if not evidence and semantic is not None:
        nearest = closest_sentence(doc, query)
        evidence = [nearest] if nearest is not None else []
    strength = record_strength(phrases, answered, name)
    return Hit(
        id=doc.id,
        type=doc.type,
        score=float(score),
        evidence=evidence,
        semantic=None if semantic is None else float(semantic),
        strength=strength,
        focus=min(focus, strength),
    )
