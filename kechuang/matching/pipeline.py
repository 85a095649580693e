"""Dense steps of the ranking pipeline that do not depend on where the vectors are stored: Rocchio
feedback in the dense space and the running k-nearest-neighbour merge a similarity graph is built with.
Plain functions over numpy arrays (see :mod:`kechuang.matching.ranking` for the lexical and fusion steps).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def feedback_weights(scores: Sequence[float], temperature: float) -> np.ndarray:
    """How much each feedback document counts: ``exp((score - best) / temperature)``, normalised to sum
    to 1 (uniform when ``temperature`` is 0). With fused scores in [0, 1], a best match far ahead of the
    others (an exact hit) speaks alone, while close runners-up share the say — so the feedback follows
    the evidence instead of a fixed number of documents."""
    scores = np.asarray(scores, dtype=np.float64)
    if not len(scores):
        return scores.astype(np.float32)
    if temperature <= 0:
        return np.full(len(scores), 1.0 / len(scores), dtype=np.float32)
    weights = np.exp((scores - scores.max()) / temperature)
    return (weights / weights.sum()).astype(np.float32)


def rocchio(
    query_vector: np.ndarray,
    feedback: Sequence[np.ndarray],
    share: float,
    weights: Sequence[float] | None = None,
) -> np.ndarray:
    """The query vector moved towards the ``weights``-weighted mean (plain mean without weights) of the
    ``feedback`` documents' vectors (``share`` times it added), re-normalised: documents of the best
    matches' field come nearer even when they share no words with the query. Without feedback vectors,
    the query vector unchanged."""
    if not len(feedback) or share <= 0:
        return query_vector
    vectors = np.asarray(feedback, dtype=np.float32)
    centre = vectors.mean(axis=0) if weights is None else np.asarray(weights, np.float32) @ vectors
    moved = query_vector + share * centre
    norm = float(np.linalg.norm(moved))
    return (moved / norm if norm else moved).astype(np.float32)


def low_precision_dot(matrix: np.ndarray, vector: np.ndarray, block: int = 4096) -> np.ndarray:
    """``matrix @ vector`` in float32 for a matrix stored in fewer bytes (int8 reduced vectors):
    ``block`` rows at a time are widened into one buffer small enough to stay in the core's cache, so
    the pass reads a quarter of the bytes of a float32 matrix from memory and numpy's BLAS still
    does the products (numpy has no int8 BLAS; its own integer product is several times slower)."""
    vector = np.asarray(vector, dtype=np.float32)
    if matrix.dtype == np.float32:
        return matrix @ vector
    out = np.empty(len(matrix), dtype=np.float32)
    buffer = np.empty((min(block, len(matrix)), matrix.shape[1]), dtype=np.float32)
    for start in range(0, len(matrix), block):
        rows = matrix[start : start + block]
        widened = buffer[: len(rows)]
        np.copyto(widened, rows, casting="unsafe")
        np.dot(widened, vector, out=out[start : start + len(rows)])
    return out


def largest(values: np.ndarray, n: int, sample: int = 8192) -> np.ndarray:
    """The positions of the ``n`` largest ``values``, in no order — ``np.argpartition``'s, at a
    fraction of its cost on a long array: a threshold read off an evenly spaced sample leaves about
    twice ``n`` values to partition (all of them again, exactly, when fewer than ``n`` pass it)."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if n >= len(values):
        return np.arange(len(values))
    step = len(values) // sample
    if step >= 2:
        spaced = values[::step]
        rank = min(len(spaced) - 1, 2 * n // step + 1)  # about 2n values above it on average
        threshold = np.partition(spaced, len(spaced) - 1 - rank)[len(spaced) - 1 - rank]
        above = np.flatnonzero(values >= threshold)
        if len(above) >= n:
            return above[np.argpartition(-values[above], n - 1)[:n]]
    return np.argpartition(-values, n - 1)[:n]


def merge_nearest(
    best_ids: np.ndarray,
    best_sims: np.ndarray,
    ids: np.ndarray,
    sims: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most similar neighbours of each row, merging a running list (``best_ids``/``best_sims``,
    ``(n, k)``, ``-inf`` similarity where empty) with a block of new ones (``ids`` ``(b,)`` or ``(n, b)``,
    ``sims`` ``(n, b)``, ``-inf`` to exclude a pair such as a row and itself), most similar first.

    Streaming blocks through this keeps the memory of a graph build at ``n × (k + b)`` whatever the
    number of documents."""
    ids = np.broadcast_to(ids, sims.shape) if np.ndim(ids) == 1 else ids
    all_sims = np.concatenate([best_sims, sims], axis=1)
    all_ids = np.concatenate([best_ids, ids], axis=1)
    top = np.argpartition(-all_sims, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(all_sims, top, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    return np.take_along_axis(all_ids, top, axis=1), np.take_along_axis(all_sims, top, axis=1)


def empty_nearest(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """An empty running neighbour list for :func:`merge_nearest`: ids ``None``, similarities ``-inf``."""
    return np.full((n, k), None, dtype=object), np.full((n, k), -np.inf, dtype=np.float32)
