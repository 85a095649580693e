"""The embedded backend: an in-process index persisted under ``INDEX_DIR/embedded``.

Layout: ``CURRENT`` names the live generation folder (``gen-…``) holding one memory-mapped
:class:`~kechuang.matching.segment.Segment` (shared by every worker process through the page cache), the
dense vectors (``vectors.npy`` and ``vector_ready.npy``, filled in place by :meth:`embed_pending`) and
``delta.log``, an append-only JSON-lines log of documents indexed or deleted since the segment was built.
Every process replays the log tail before it searches, so an update is searchable in all workers at once;
when the log grows past :attr:`EmbeddedBackend.compact_after` documents the backend folds it into a new
generation.

Guarantees: a rebuild writes a new generation folder and switches ``CURRENT`` with one atomic rename, so
searches answer from the old generation until the new one is complete; updates made during a rebuild are
carried over to the new generation; a missing or corrupt generation raises :class:`IndexUnavailable`
instead of being served half-read (the caller rebuilds from its source of truth).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from kechuang.matching import evidence, pipeline, ranking
from kechuang.matching.base import Document, Hit, ProgressCallback, SearchBackend, Settings
from kechuang.matching.encoders import Encoder, load_encoder
from kechuang.matching.segment import (
    Segment,
    SegmentCorrupt,
    analyse,
    build_segment,
    document_from_json,
    document_to_dict,
)
from kechuang.matching.text import Analyzer

logger = logging.getLogger(__name__)


class IndexUnavailable(Exception):
    """The index on disk is missing or unreadable; rebuild it from the records."""


# How much of a query the encoder reads (its cache is keyed by exactly this text).
QUERY_CHARS = 2000


def analyzer_from_options(options: Mapping[str, object]) -> Analyzer:
    """The analyzer for these options; one instance per configuration and process, because loading the
    segmenter's dictionary takes about a second."""
    return _analyzer(
        tuple(str(p) for p in options.get("DICTIONARY") or ()),
        tuple(str(p) for p in options.get("SYNONYMS") or ()),
        tuple(str(p) for p in options.get("STOPWORDS") or ()),
        tuple(str(w) for w in options.get("EXTRA_TERMS") or ()),
        tuple(tuple(str(w) for w in group) for group in options.get("EXTRA_SYNONYMS") or ()),
        tuple(str(w) for w in options.get("EXTRA_STOPWORDS") or ()),
    )


# Each analyzer holds its own segmenter (about 25 MB): an edited vocabulary replaces the one in use, so
# only the current and the previous few configurations are worth keeping.
@lru_cache(maxsize=4)
def _analyzer(dictionary, synonyms, stopwords, extra, extra_synonyms, extra_stopwords) -> Analyzer:
    return Analyzer.from_files(
        list(dictionary), list(synonyms), list(stopwords), extra, extra_synonyms, extra_stopwords
    )


def encoder_from_options(options: Mapping[str, object]) -> Encoder | None:
    encoder = options.get("ENCODER")
    if isinstance(encoder, Encoder) or encoder is None:
        return encoder
    cache = options.get("ENCODER_CACHE") or (
        Path(str(options["INDEX_DIR"])) / "vector-cache" if options.get("INDEX_DIR") else None
    )
    return load_encoder(str(encoder), cache)


def passage_text(doc: Document, limit: int = 2000) -> str:
    """What the dense encoder reads of a document: its fields by descending weight, cut at ``limit``."""
    names = sorted(doc.fields, key=lambda name: -float(doc.weights.get(name, 1.0)))
    return " ".join(doc.fields[n].strip() for n in names if doc.fields[n].strip())[:limit]


class _Generation:
    """One opened generation: its segment, vectors and the state replayed from its delta log."""

    def __init__(self, folder: Path, analyzer: Analyzer) -> None:
        self.folder = folder
        self.segment = Segment.open(folder)
        self.vectors: np.ndarray | None = None
        self.vector_ready: np.ndarray | None = None
        if (folder / "vectors.npy").exists():
            try:
                self.vectors = np.load(folder / "vectors.npy", mmap_mode="r")
                self.vector_ready = np.load(folder / "vector_ready.npy", mmap_mode="r")
            except (OSError, ValueError) as exc:
                raise SegmentCorrupt(f"{folder}: vectors: {exc}") from exc
            if (
                len(self.vectors) != self.segment.size
                or len(self.vector_ready) != self.segment.size
            ):
                raise SegmentCorrupt(f"{folder}: vectors disagree with the segment")
        self.analyzer = analyzer
        self.log_position = 0
        self.live_docs: dict[str, Document | None] = {}  # id → latest version, None when deleted
        self.live_analysed: dict[str, tuple[dict[str, float], float]] = {}
        self.live = build_segment([], analyzer)
        self.base_dead = np.zeros(self.segment.size, dtype=bool)
        self._graph: np.ndarray | None = None
        self._graph_mtime = 0.0
        self._reduced: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._reduced_mtime = 0.0
        self.live_vectors: dict[str, np.ndarray] = {}  # live documents' vectors found in the cache
        self.live_vectors_checked = float("-inf")
        self._base_rows: dict[str, int] | None = None

    def base_row(self, doc_id: str) -> int | None:
        if self._base_rows is None:
            self._base_rows = {doc_id: row for row, doc_id in enumerate(self.segment.ids)}
        return self._base_rows.get(doc_id)

    def replay(self) -> None:
        """Apply what other processes appended to the delta log since the last look."""
        log = self.folder / "delta.log"
        try:
            size = log.stat().st_size
        except FileNotFoundError:
            return
        if size <= self.log_position:
            return
        with open(log, "rb") as handle:
            handle.seek(self.log_position)
            data = handle.read(size - self.log_position)
        complete = data.rfind(b"\n") + 1  # a line being written is picked up next time
        changed = False
        for line in data[:complete].splitlines():
            if not line.strip():
                continue
            op = json.loads(line)
            if op["op"] == "index":
                doc = document_from_json(json.dumps(op["doc"]))
                self.live_docs[doc.id] = doc
                self.live_vectors.pop(doc.id, None)
                self.live_analysed[doc.id] = analyse(doc, self.analyzer)
                ids = [doc.id]
            else:
                ids = op["ids"]
                for doc_id in ids:
                    if doc_id in self.live_docs or self.base_row(doc_id) is not None:
                        self.live_docs[doc_id] = None
                    self.live_analysed.pop(doc_id, None)
            for doc_id in ids:
                row = self.base_row(doc_id)
                if row is not None:
                    self.base_dead[row] = True
            changed = True
        self.log_position += complete
        if changed:
            docs = [d for d in self.live_docs.values() if d is not None]
            self.live = build_segment(docs, self.analyzer, analysed=self.live_analysed)

    def graph(self) -> np.ndarray | None:
        """The similarity graph (rows × k neighbour rows), reloaded when a worker rewrote it."""
        path = self.folder / "graph.npy"
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        if mtime != self._graph_mtime:
            graph = np.load(path, mmap_mode="r")
            if graph.shape[0] != self.segment.size:
                raise SegmentCorrupt(f"{path}: graph disagrees with the segment")
            self._graph, self._graph_mtime = np.asarray(graph), mtime
        return self._graph

    def reduced(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The vectors projected on their leading principal axes (rows × d, int8, see
        :meth:`EmbeddedBackend._write_reduced`), the projection (dim × d) and the offset (d), reloaded
        when a worker rewrote them; None until written. (A file written before the int8 form holds
        float32 rows and no offset: read as offset zero.)"""
        path = self.folder / "reduced.npz"
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        if mtime != self._reduced_mtime:
            with np.load(path) as data:
                reduced, basis = data["reduced"], data["basis"]
                offset = data["offset"] if "offset" in data.files else np.zeros(basis.shape[1])
            if reduced.shape[0] != self.segment.size:
                raise SegmentCorrupt(f"{path}: reduced vectors disagree with the segment")
            self._reduced = (reduced, basis, offset.astype(np.float32))
            self._reduced_mtime = mtime
        return self._reduced

    @property
    def live_count(self) -> int:
        return len(self.live_docs)


class EmbeddedBackend(SearchBackend):
    """BM25F over memory-mapped segments, fused with dense vectors where they are ready."""

    compact_after = 5000
    parallel_from = 20000
    # The first pass of a dense search over this many principal axes (int8), then the best
    # ``reduced_rescore`` rows (at least) scored exactly; 0 turns it off. Only from ``reduce_from``
    # ready vectors (below that a full pass is as fast).
    reduced_dim = 128
    reduced_rescore = 2000
    reduce_from = 20000
    vector_recheck_seconds = 2.0

    def __init__(self, options: Mapping[str, object] | None = None) -> None:
        super().__init__(options)
        if not self.options.get("INDEX_DIR"):
            raise ValueError("the embedded backend needs INDEX_DIR")
        self.root = Path(str(self.options["INDEX_DIR"])) / "embedded"
        self.root.mkdir(parents=True, exist_ok=True)
        self.analyzer = analyzer_from_options(self.options)
        self.encoder = encoder_from_options(self.options)
        self.settings = Settings.from_options(self.options)
        self._generation: _Generation | None = None
        self._state_lock = threading.RLock()  # threads of one process share the opened generation

    # --- files ----------------------------------------------------------------------------------

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """One writer at a time across processes."""
        with open(self.root / "lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _current_name(self) -> str | None:
        try:
            return (self.root / "CURRENT").read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def _open(self) -> _Generation:
        """The live generation, reopened when another process switched it, with the log replayed."""
        with self._state_lock:
            name = self._current_name()
            if name is None:
                raise IndexUnavailable(f"no index in {self.root}")
            if self._generation is None or self._generation.folder.name != name:
                self._generation = None
                try:
                    self._generation = _Generation(self.root / name, self.analyzer)
                except SegmentCorrupt as exc:
                    if self._current_name() != name:  # switched while opening: open the new one
                        return self._open()
                    raise IndexUnavailable(str(exc)) from exc
            try:
                self._generation.replay()
            except (ValueError, KeyError) as exc:
                self._generation = None
                raise IndexUnavailable(f"{self.root / name}: unreadable delta log: {exc}") from exc
            return self._generation

    def exists(self) -> bool:
        """Whether an index has been built (it may still turn out corrupt when opened)."""
        return self._current_name() is not None

    def check(self) -> None:
        """Open the index, raising :class:`IndexUnavailable` when it is missing or corrupt."""
        self._open()

    def _append(self, ops: Sequence[dict]) -> None:
        if not ops:
            return
        lines = b"".join(json.dumps(op, ensure_ascii=False).encode() + b"\n" for op in ops)
        with self._lock():
            name = self._current_name()
            if name is None:
                raise IndexUnavailable(f"no index in {self.root}")
            with open(self.root / name / "delta.log", "ab") as handle:
                handle.write(lines)
                handle.flush()
                os.fsync(handle.fileno())

    # --- SearchBackend --------------------------------------------------------------------------

    def index(self, documents: Iterable[Document]) -> None:
        if not self.exists():
            self.rebuild([])
        docs = list(documents)
        self._append([{"op": "index", "doc": document_to_dict(d)} for d in docs])
        generation = self._open()
        if generation.live_count > max(self.compact_after, generation.segment.size // 10):
            self.compact()

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if not ids or not self.exists():
            return
        self._append([{"op": "delete", "ids": ids}])
        self._open()

    def documents(self) -> Iterator[Document]:
        """Every indexed document, latest version, deleted ones left out."""
        generation = self._open()
        for row in range(generation.segment.size):
            if not generation.base_dead[row]:
                yield generation.segment.document(row)
        yield from (d for d in generation.live_docs.values() if d is not None)

    def compact(self) -> None:
        """Fold the delta log into a new generation (a rebuild from the indexed documents)."""
        docs = list(self.documents())
        self.rebuild(docs, total=len(docs))

    def rebuild(
        self,
        documents: Iterable[Document],
        total: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        old_name = self._current_name()
        old_log = self.root / old_name / "delta.log" if old_name else None
        start_position = old_log.stat().st_size if old_log and old_log.exists() else 0
        name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**9}"
        folder = self.root / name
        # The documents' JSON goes straight to disk while building instead of being held in memory.
        spool = self.root / f"{name}.docs.tmp"
        try:
            segment = build_segment(
                documents,
                self.analyzer,
                total=total,
                progress=progress,
                workers=self._workers(total),
                spool=spool,
            )
            segment.save(folder)
            self._write_vectors(folder, segment)
        finally:
            spool.unlink(missing_ok=True)
        with self._lock():
            # Carry over updates other processes logged while this generation was being built.
            if old_log and old_log.exists():
                with open(old_log, "rb") as handle:
                    handle.seek(start_position)
                    tail = handle.read()
                (folder / "delta.log").write_bytes(tail[: tail.rfind(b"\n") + 1])
            tmp = self.root / f"CURRENT.{os.getpid()}.tmp"
            tmp.write_text(name, encoding="utf-8")
            os.replace(tmp, self.root / "CURRENT")
            for other in self.root.glob("gen-*"):
                if other.name not in {name, old_name}:
                    # The previous generation stays for processes about to open it; older ones go
                    # (readers that still map their files keep them until they reopen, on POSIX).
                    shutil.rmtree(other, ignore_errors=True)
        self._generation = None

    def _workers(self, total: int | None) -> int:
        """Processes for segmenting a rebuild: ``WORKERS`` if set, else every core (up to 4) for large
        rebuilds — forking is not worth it below :attr:`parallel_from` documents."""
        if self.options.get("WORKERS"):
            return int(self.options["WORKERS"])
        if total is None or total < self.parallel_from:
            return 1
        return max(1, min(4, os.cpu_count() or 1))

    def _write_vectors(self, folder: Path, segment: Segment) -> None:
        """Create the vector arrays, pre-filled from the encoder's cache where it holds the text."""
        if self.encoder is None:
            return
        vectors = np.lib.format.open_memmap(
            folder / "vectors.npy",
            mode="w+",
            dtype=np.float32,
            shape=(segment.size, self.encoder.dim),
        )
        ready = np.lib.format.open_memmap(
            folder / "vector_ready.npy", mode="w+", dtype=np.uint8, shape=(segment.size,)
        )
        cached = getattr(self.encoder, "cached", None)
        if cached is not None:
            for row in range(segment.size):
                vector = cached("passage", passage_text(segment.document(row)))
                if vector is not None:
                    vectors[row] = vector
                    ready[row] = 1
        vectors.flush()
        ready.flush()
        del vectors, ready
        self._write_graph(folder)

    def _write_graph(self, folder: Path, block: int = 256) -> None:
        """The document-similarity graph: each ready row's ``graph_k`` nearest ready rows by dense
        similarity (-1 where none), written to a new file and renamed into place. Searches propagate
        scores along it (see :meth:`search`). Costs O(N² · dim) — for 100,000 documents two to three
        minutes on one core, far less than encoding them — and ``block`` rows' similarities at a time
        (256 × 100,000 floats, 100 MB)."""
        k = self.settings.graph_k
        if k <= 0 or self.settings.graph_weight <= 0:
            return
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        ready_rows = np.flatnonzero(np.load(folder / "vector_ready.npy") == 1)
        neighbours = np.full((len(vectors), k), -1, dtype=np.int32)
        if len(ready_rows) > 1:
            ready_vectors = np.ascontiguousarray(vectors[ready_rows])
            take = min(k, len(ready_rows) - 1)
            for start in range(0, len(ready_rows), block):
                rows = ready_rows[start : start + block]
                sims = ready_vectors[start : start + block] @ ready_vectors.T
                sims[np.arange(len(rows)), np.arange(start, start + len(rows))] = -np.inf
                best = np.argpartition(-sims, take - 1, axis=1)[:, :take]
                neighbours[rows, :take] = ready_rows[best]
        tmp = folder / f"graph.{os.getpid()}.tmp.npy"
        np.save(tmp, neighbours)
        os.replace(tmp, folder / "graph.npy")
        self._write_reduced(folder)

    def _write_reduced(self, folder: Path, sample: int = 20000) -> None:
        """The ready vectors projected on their :attr:`reduced_dim` leading principal axes (from a
        sample of them), one byte per axis, for the first, approximate pass of a dense search; written
        to a new file and renamed into place. Rows not ready hold zeros."""
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        ready_rows = np.flatnonzero(np.load(folder / "vector_ready.npy") == 1)
        dim = vectors.shape[1] if vectors.ndim == 2 else 0
        if not self.reduced_dim or self.reduced_dim >= dim or len(ready_rows) < self.reduce_from:
            (folder / "reduced.npz").unlink(missing_ok=True)
            return
        rng = np.random.default_rng(0)
        picked = np.sort(rng.choice(ready_rows, min(sample, len(ready_rows)), replace=False))
        # Principal axes through the origin: dot products with the query are what is approximated.
        _, _, axes = np.linalg.svd(
            np.asarray(vectors[picked], dtype=np.float32), full_matrices=False
        )
        basis = np.ascontiguousarray(axes[: self.reduced_dim].T, dtype=np.float32)
        projected = np.zeros((len(vectors), self.reduced_dim), dtype=np.float32)
        for start in range(0, len(ready_rows), 65536):
            rows = ready_rows[start : start + 65536]
            projected[rows] = np.asarray(vectors[rows]) @ basis
        # One byte per axis: each axis's range of coordinates mapped onto -127…127 around its middle
        # (the leading axis is the vectors' common direction: large, nearly constant coordinates whose
        # small differences would be lost if quantised around zero). The scale is folded into the basis
        # and the middle kept as ``offset``, so reduced @ b + b @ offset, b = query @ basis, approximates
        # the dot products.
        low = projected[ready_rows].min(axis=0)
        high = projected[ready_rows].max(axis=0)
        scale = (high - low) / 254.0
        scale[scale == 0] = 1.0
        middle = (high + low) / 2.0
        reduced = np.zeros(projected.shape, dtype=np.int8)
        reduced[ready_rows] = np.rint((projected[ready_rows] - middle) / scale).astype(np.int8)
        basis = np.ascontiguousarray(basis * scale, dtype=np.float32)
        offset = (middle / scale).astype(np.float32)
        tmp = folder / f"reduced.{os.getpid()}.tmp.npz"
        with open(tmp, "wb") as handle:
            np.savez(handle, reduced=reduced, basis=basis, offset=offset)
        os.replace(tmp, folder / "reduced.npz")

    def embed_pending(
        self,
        limit: int | None = None,
        batch: int = 16,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Encode documents that have no vector yet (base rows in place, live ones into the encoder's
        cache); returns how many were encoded, reporting ``progress(done, total)`` after each batch.
        Searches use each vector as soon as it is written."""
        if self.encoder is None or not self.exists():
            return 0
        generation = self._open()
        done = 0
        live = [d for d in generation.live_docs.values() if d is not None]
        if generation.vector_ready is not None:
            folder = generation.folder
            vectors = np.load(folder / "vectors.npy", mmap_mode="r+")
            ready = np.load(folder / "vector_ready.npy", mmap_mode="r+")
            pending = np.flatnonzero((ready == 0) & ~generation.base_dead)
            if limit is not None:
                pending = pending[:limit]
            total = len(pending) + len(live)
            for start in range(0, len(pending), batch):
                rows = pending[start : start + batch]
                texts = [passage_text(generation.segment.document(int(r))) for r in rows]
                vectors[rows] = self.encoder.encode_passages(texts)
                vectors.flush()
                ready[rows] = 1
                ready.flush()
                done += len(rows)
                if progress is not None:
                    progress(done, total)
            del vectors, ready
            if len(pending):
                self._write_graph(folder)
        if limit is not None:
            live = live[: max(0, limit - done)]
        if live:
            self.encoder.encode_passages([passage_text(d) for d in live])
            done += len(live)
            generation.live_vectors_checked = float("-inf")
            if progress is not None:
                progress(done, done)
        return done

    def count(self, types: Sequence[str] | None = None) -> int:
        if not self.exists():
            return 0
        generation = self._open()
        total = 0
        for segment, dead in ((generation.segment, generation.base_dead), (generation.live, None)):
            alive = np.ones(segment.size, bool) if dead is None else ~dead
            if types is not None:
                alive &= self._type_mask(segment, types)
            total += int(alive.sum())
        return total

    def size_mb(self) -> float:
        """The live generation's files on disk, in MB."""
        name = self._current_name()
        if name is None:
            return 0.0
        files = (self.root / name).rglob("*")
        return round(sum(f.stat().st_size for f in files if f.is_file()) / 2**20, 1)

    def status(self) -> dict[str, object]:
        """Figures for operators: documents, pending updates, vectors ready, generation."""
        if not self.exists():
            return {"backend": "embedded", "documents": 0, "generation": None}
        generation = self._open()
        ready = int(generation.vector_ready.sum()) if generation.vector_ready is not None else 0
        alive = ~generation.base_dead
        if generation.vector_ready is not None:
            alive &= generation.vector_ready == 0
        pending = int(alive.sum())  # base documents still waiting for their vector
        return {
            "backend": "embedded",
            "generation": generation.folder.name,
            "documents": self.count(),
            "segment_documents": generation.segment.size,
            "live_updates": generation.live_count,
            "vectors_ready": ready,
            "vectors_pending": pending,
            "encoder": self.encoder.name if self.encoder else None,
            "terms": len(generation.segment.vocab),
        }

    # --- search ---------------------------------------------------------------------------------

    @staticmethod
    def _type_mask(segment: Segment, types: Sequence[str]) -> np.ndarray:
        codes = [i for i, name in enumerate(segment.types) if name in set(types)]
        return np.isin(np.asarray(segment.doc_type), codes)

    def _allowed(
        self,
        segment: Segment,
        dead: np.ndarray | None,
        types: Sequence[str] | None,
        filters: Mapping[str, Sequence[str]] | None,
    ) -> np.ndarray:
        allowed = np.ones(segment.size, dtype=bool) if dead is None else ~dead
        if types is not None:
            allowed &= self._type_mask(segment, types)
        for attribute, values in (filters or {}).items():
            match = np.zeros(segment.size, dtype=bool)
            for value in values:
                match[segment.filter_docs(attribute, str(value))] = True
            allowed &= match
        return allowed

    def search(
        self,
        query: str,
        *,
        types: Sequence[str] | None = None,
        filters: Mapping[str, Sequence[str]] | None = None,
        k: int = 10,
        diversify: int | None = None,
        explain: bool = True,
    ) -> list[Hit]:
        terms = self.analyzer.query_terms(query or "")
        if not terms or k <= 0 or not self.exists():
            return []
        generation = self._open()
        parts = [
            (
                generation.segment,
                self._allowed(generation.segment, generation.base_dead, types, filters),
            ),
            (generation.live, self._allowed(generation.live, None, types, filters)),
        ]
        n_docs = generation.segment.size + generation.live.size
        total_len = float(np.sum(generation.segment.doc_len, dtype=np.float64)) + float(
            np.sum(generation.live.doc_len, dtype=np.float64)
        )
        avg_len = total_len / n_docs if n_docs else 1.0

        def idfs_for(words: Sequence[str]) -> dict[str, float]:
            return {
                w: ranking.idf(n_docs, generation.segment.df(w) + generation.live.df(w))
                for w in words
            }

        def lexical(weighted: Mapping[str, float]) -> list[np.ndarray]:
            idfs = idfs_for(list(weighted))
            return [
                np.where(allowed, ranking.bm25_scores(seg, weighted, idfs, avg_len), 0.0)
                for seg, allowed in parts
            ]

        def top(scores: list[np.ndarray], n: int) -> list[tuple[int, int]]:
            flat = np.concatenate(scores) if scores else np.zeros(0)
            nonzero = np.flatnonzero(flat > 0)
            if len(nonzero) > n:
                nonzero = nonzero[np.argpartition(-flat[nonzero], n - 1)[:n]]
            nonzero = nonzero[np.argsort(-flat[nonzero], kind="stable")]
            base = generation.segment.size
            return [(0, int(i)) if i < base else (1, int(i - base)) for i in nonzero]

        settings = self.settings
        scores = lexical(terms)
        first = top(scores, max(settings.prf_docs, 1))  # the feedback documents
        if not first:
            return []
        extra: dict[str, float] = {}
        if settings.prf_docs and settings.prf_terms and settings.prf_weight > 0:
            best = scores[first[0][0]][first[0][1]]
            feedback = [
                parts[p][0].document(r)
                for p, r in first[: settings.prf_docs]
                if scores[p][r] >= settings.prf_min_share * best
            ]
            extra = ranking.expansion_terms(
                feedback, self.analyzer, idfs_for, terms, settings.prf_terms, settings.prf_weight
            )
            if extra:
                scores = lexical({**terms, **extra})
        # The pool does not depend on k (unless k exceeds it): fused scores are standardised over the
        # pool, so a pool sized by k would reorder the top hits when more of them are asked for.
        n_candidates = max(settings.candidates, k)
        candidates = top(scores, n_candidates)
        lexical_scores = np.concatenate(scores)[
            [r if p == 0 else generation.segment.size + r for p, r in candidates]
        ]
        dense = self._dense(generation, query, candidates, scores, parts, settings)
        if dense is not None:
            candidates, lexical_scores, semantic, similar = dense
            fused = ranking.fuse(lexical_scores, semantic, settings.fusion_alpha)
            graph = generation.graph() if settings.graph_weight > 0 else None
            if graph is not None:
                fused = ranking.propagate(fused, candidates, graph, settings.graph_weight)
        else:
            semantic, similar, fused = None, None, lexical_scores
        order = np.argsort(-fused, kind="stable")
        groups = [parts[p][0].groups[int(parts[p][0].doc_group[r])] for p, r in candidates]
        chosen = ranking.diversify(list(order), groups, diversify, k)
        phrases = evidence.key_phrases(self.analyzer, query, idfs_for, n_docs) if explain else None
        hits = []
        for position in chosen:
            p, r = candidates[position]
            # -1 marks a candidate whose vector is not ready: no similarity to report.
            similarity = (
                None if similar is None or similar[position] <= -1 else float(similar[position])
            )
            if explain:
                document = parts[p][0].document(r)
                hit = ranking.make_hit(
                    document,
                    fused[position],
                    phrases,
                    self.analyzer,
                    query,
                    similarity,
                    evidence.name_phrases(document, self.analyzer, idfs_for, n_docs),
                )
            else:
                doc_type = parts[p][0].types[int(parts[p][0].doc_type[r])]
                hit = Hit(parts[p][0].ids[r], doc_type, float(fused[position]), [], similarity)
            hits.append(hit)
        return hits

    def _dense(
        self,
        generation: _Generation,
        query: str,
        candidates: list[tuple[int, int]],
        scores: list[np.ndarray],
        parts: list[tuple[Segment, np.ndarray]],
        settings: Settings,
    ) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray, np.ndarray] | None:
        """The candidate pool — the lexical candidates plus the documents nearest the query vector — with
        the lexical score and dense similarity of each (-1 where no vector is ready), and each one's
        similarity to the query itself (the dense similarity is to the query moved by feedback, when
        ``dense_prf`` moves it), or None when no encoder is configured or no vector is ready yet.

        With ``dense_prf`` the query vector moves towards the mean vector of the best fused documents
        (Rocchio feedback in the dense space) and the nearest documents are looked up again: documents of
        the same field as the best matches rise even when they share no words with the query. After a
        reduced first pass (:meth:`_two_pass`) that second lookup scores exactly the rows the first one
        scored plus the graph neighbours of the pool instead of passing over every row again — the moved
        vector points into the pool's own neighbourhood — which halves the dense cost at 100 k records
        (CSL nDCG@10 −0.0004 title / −0.0003 keywords with the reduced pass forced on; see README).
        """
        if self.encoder is None:
            return None
        segment_vectors = [self._base_vectors(generation), self._live_vectors(generation)]
        if all(rows is None or not len(rows) for rows, _ in segment_vectors):
            return None
        q = self.encoder.encode_queries([query[:QUERY_CHARS]])[0]
        reduced = generation.reduced() if self.reduced_dim else None
        lexical_rows = np.array([r for p, r in candidates if p == 0], dtype=np.int64)

        # The base rows the reduced first pass scored exactly, and their vectors.
        exact: list[tuple[np.ndarray, np.ndarray]] = []

        def nearest(
            query_vector: np.ndarray, among: np.ndarray | None = None
        ) -> tuple[list[np.ndarray], list[tuple[int, int]]]:
            """Similarities of every allowed document with a vector (of the base segment's ``among``
            rows only, when given), and the best of them."""
            sims, best = [], []
            for part, (rows, vectors) in enumerate(segment_vectors):
                full = np.full(parts[part][0].size, -1.0, dtype=np.float32)
                if part == 0 and reduced is not None and rows is not None and len(rows):
                    full, scored = self._two_pass(
                        generation,
                        reduced,
                        rows,
                        parts[0][1],
                        query_vector,
                        lexical_rows,
                        among,
                        exact[0] if exact else None,
                    )
                    exact.append(scored)
                elif rows is not None and len(rows):
                    full[rows] = vectors @ query_vector
                full[~parts[part][1]] = -1.0
                sims.append(full)
            flat = np.concatenate(sims)
            # Only the rows scored (above -1) can be among the best: after a reduced first pass a few
            # thousand of the segment's rows, so the selection no longer sorts through all of them.
            scored = np.flatnonzero(flat > -1.0)
            n = min(settings.candidates, len(scored))
            if n:
                top = scored[np.argpartition(-flat[scored], n - 1)[:n]]
                base = parts[0][0].size
                best = [(0, int(i)) if i < base else (1, int(i - base)) for i in top]
            return sims, best

        def pool_scores(sims, pool):
            lexical = np.array([scores[p][r] for p, r in pool], dtype=np.float32)
            semantic = np.array([sims[p][r] for p, r in pool], dtype=np.float32)
            return lexical, semantic

        sims, best = nearest(q)
        to_query = sims  # each scored row's similarity to the query itself
        pool = list(dict.fromkeys([*candidates, *best]))
        lexical, semantic = pool_scores(sims, pool)
        if settings.dense_prf > 0:
            fused = ranking.fuse(lexical, semantic, settings.fusion_alpha)
            feedback = [
                (fused[i], v)
                for i in np.argsort(-fused)[: max(settings.dense_prf_docs, 1)]
                if (v := self._vector(segment_vectors, *pool[i])) is not None
            ]
            if feedback:
                weights = pipeline.feedback_weights(
                    [score for score, _ in feedback], settings.dense_prf_temperature
                )
                moved = pipeline.rocchio(q, [v for _, v in feedback], settings.dense_prf, weights)
                among = None
                # after a reduced first pass: the moved vector's lookup stays near the pool
                if exact:
                    graph = generation.graph()
                    around = np.array([r for p, r in pool if p == 0], dtype=np.int64)
                    near = (
                        np.asarray(graph[around]).ravel()
                        if graph is not None and len(around)
                        else around
                    )
                    among = np.union1d(exact[0][0], near[near >= 0])
                sims, best = nearest(moved, among)
                pool = list(dict.fromkeys([*candidates, *best]))
                lexical, semantic = pool_scores(sims, pool)
                _lexical, similar = pool_scores(to_query, pool)
                # rows the first pass did not score (after a reduced one): read their vectors
                for i in np.flatnonzero(similar <= -1):
                    vector = self._vector(segment_vectors, *pool[i])
                    if vector is not None:
                        similar[i] = float(vector @ q)
                return pool, lexical, semantic, similar
        return pool, lexical, semantic, semantic

    def _two_pass(
        self,
        generation: _Generation,
        reduced: tuple[np.ndarray, np.ndarray, np.ndarray],
        ready_rows: np.ndarray,
        allowed: np.ndarray,
        query_vector: np.ndarray,
        lexical_rows: np.ndarray,
        among: np.ndarray | None = None,
        known: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Dense similarities of the base segment's rows, -1 for all but those scored exactly, and the
        rows whose vectors it read, with those vectors: the best :attr:`reduced_rescore` allowed ready
        rows by their reduced vectors (a pass over a twelfth of the bytes: 128 axes of one byte each
        instead of 384 floats) and the lexical candidates, scored with their full vectors — or, given
        ``among``, those rows only, without the pass (``known``: rows and vectors already read, not read
        again).
        """
        reduced_vectors, basis, offset = reduced
        size = len(allowed)
        if len(ready_rows) == size:  # every vector ready (ready_rows holds each row once)
            usable = allowed
        else:
            usable = np.zeros(size, dtype=bool)
            usable[ready_rows] = True
            usable &= allowed
        if among is not None:
            exact_rows = among[usable[among]]
        else:
            projected = query_vector @ basis
            approx = pipeline.low_precision_dot(reduced_vectors, projected) + projected @ offset
            approx[~usable] = -np.inf
            n = min(max(self.reduced_rescore, 4 * self.settings.candidates), int(usable.sum()))
            top = pipeline.largest(approx, n)
            lexical = lexical_rows[usable[lexical_rows]] if len(lexical_rows) else lexical_rows
            exact_rows = np.union1d(top, lexical)
        full = np.full(size, -1.0, dtype=np.float32)
        if known is not None:  # ``among`` holds the known rows: only the others are read
            known_rows, known_vectors = known
            full[known_rows] = known_vectors @ query_vector
            exact_rows = exact_rows[~np.isin(exact_rows, known_rows, assume_unique=True)]
        vectors = np.asarray(generation.vectors[exact_rows], dtype=np.float32)
        if len(exact_rows):
            full[exact_rows] = vectors @ query_vector
        return full, (exact_rows, vectors)

    @staticmethod
    def _vector(segment_vectors, part: int, row: int) -> np.ndarray | None:
        rows, vectors = segment_vectors[part]
        if rows is None or not len(rows):
            return None
        position = int(np.searchsorted(rows, row))
        if position < len(rows) and rows[position] == row:
            return np.asarray(vectors[position])
        return None

    @staticmethod
    def _base_vectors(generation: _Generation) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Rows of the base segment whose vectors are ready, and those vectors."""
        if generation.vector_ready is None:
            return None, None
        ready = np.asarray(generation.vector_ready) == 1
        if ready.all():
            return np.arange(len(ready)), generation.vectors
        rows = np.flatnonzero(ready)
        return rows, np.asarray(generation.vectors[rows])

    def _live_vectors(self, generation: _Generation) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Rows of the live segment whose vectors are in the encoder's cache, and those vectors. Missing
        ones are looked up again at most every :attr:`vector_recheck_seconds`."""
        cached = getattr(self.encoder, "cached", None)
        if cached is None or not generation.live.size:
            return None, None
        known = generation.live_vectors
        now = time.monotonic()
        if now - generation.live_vectors_checked > self.vector_recheck_seconds:
            generation.live_vectors_checked = now
            for row in range(generation.live.size):
                doc_id = generation.live.ids[row]
                if doc_id not in known:
                    vector = cached("passage", passage_text(generation.live.document(row)))
                    if vector is not None:
                        known[doc_id] = vector
        rows = [row for row, doc_id in enumerate(generation.live.ids) if doc_id in known]
        if not rows:
            return None, None
        return np.array(rows), np.vstack([known[generation.live.ids[row]] for row in rows])
