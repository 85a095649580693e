"""The PostgreSQL backend: impact-ordered postings in plain tables, so a query reads the top of each
term's list and stops, whatever the number of matching rows; ranked like the embedded backend — exact
BM25F over the candidates, dense fusion, dense query feedback and score propagation over a
k-nearest-neighbour document graph stored in the table.

Plain Python over a DB-API cursor: ``options["CURSOR"]`` returns a cursor context manager (the Django glue
passes ``django.db.connection.cursor``) and ``options["ATOMIC"]`` a transaction context manager;
``options["TABLE"]`` names the documents table (default ``matching_document``; benchmarks use a scratch
one). No migration and no extension: the backend creates its tables itself (standard SQL types only, so a
managed PostgreSQL works), and SQLite deployments never see them.

Layout (``T`` is the table option):

- ``T`` — one row per document: its id, a numeric ``key`` (kept by a rebuild for the ids it already
  had), the document JSON as text (for evidence), its weighted length, its analysed terms (``terms``:
  int4 term ids, ascending; ``tfs``: float4 weighted frequencies), filters, group, a change number
  ``seq``, and the dense vector ``vec`` with its graph neighbours ``links`` (their keys) and
  ``link_sims``, each as big-endian bytes. Rows are kept whole in the heap (``toast_tuple_target``
  8160): a search reads a few hundred vectors, and fetching each from the TOAST table cost 8 µs.
- ``T_term`` — the vocabulary: term → ``tid`` and its document frequency ``df`` (kept exact as documents
  come and go, so idf is always current).
- ``T_block`` — impact-ordered postings, written by a rebuild: each term's documents sorted by their
  BM25 term weight ``s = (k1 + 1)·tf / (tf + k1·(1 − b + b·len/avglen))`` (the part of BM25F that does not
  depend on the query; idf and the query weight multiply it at query time), cut into blocks of
  :data:`BLOCK` postings, each block one row ``(tid, block, keys int8[], s float4[])`` as bytea.
- ``T_delta`` — postings of documents indexed since the rebuild, one row each, indexed by ``(tid, s)``.
- ``T_stats`` — one row: the generation number, document count, total length, and the average length the
  stored ``s`` were computed with.

A search reads, in one statement, the generation and statistics, the vocabulary entries of the query's
terms (and of the words its evidence will weigh), the first blocks of each query term (about
:data:`DEPTH` postings) and the best :data:`DEPTH` delta postings; sums ``idf · weight · s`` per
document (a lower bound of its score); takes the best :data:`RESCORE` documents and reads them in a
second statement (with their document JSON when few, for the evidence), rescoring them exactly from their
stored terms with the current statistics — the BM25F of :func:`kechuang.matching.ranking.bm25_scores`.
A lexical search is these two statements. The cost follows the depth, not the number of matching rows.
Type and filter restrictions apply to the rescored rows; when too few pass, the lists are read deeper (a
narrow filter costs more).

Statistics drift: idf and the average length used in the exact rescoring are always current. Only the
order of the stored lists uses the average length of the last rebuild; once the delta holds more than
:attr:`PostgresBackend.compact_after` documents (or a tenth of the index), or the average length moved by
more than :attr:`PostgresBackend.reimpact_drift`, :meth:`PostgresBackend.index` re-impacts: a rebuild
from the stored documents.

A rebuild writes shadow tables (``T_new…``) with binary ``COPY`` (the postings' bytes as they are, no
indexes until the rows are in), then in one transaction carries over the changes other processes made
meanwhile, drops the live tables and renames the shadow ones into place: readers see the
old index or the new one, never a half-built one. Every statement a search runs also reads the
generation number; if a swap fell between two of them, the search starts again.

Without a vector index (pgvector is not available everywhere; :attr:`PostgresBackend.pgvector` reports
whether the server has it), the dense side works from the graph: each embedded row stores its ``graph_k``
nearest embedded rows (``links``) and their similarities (``link_sims``, which keep the lists exact as
documents are added), computed by :meth:`PostgresBackend.embed_pending` as rows are encoded (exactly, or
through clusters beyond :data:`EXACT_PAIRS` comparisons: see :func:`_comparisons`). A search's
candidate pool is the lexical candidates plus the stored neighbours of the best fused ones — documents
of the query's field that share no word with it — fetched by key in one query; dense query feedback
then re-scores the pool with the moved query vector and scores propagate along the stored neighbours
within the pool. Reads that bring bytes ask psycopg for binary results (see :func:`_fetch`).
"""

from __future__ import annotations

import json
import os
import re
import struct
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kechuang.matching import evidence, pipeline, ranking
from kechuang.matching.base import Document, Hit, ProgressCallback, SearchBackend, Settings
from kechuang.matching.embedded import (
    QUERY_CHARS,
    IndexUnavailable,
    analyzer_from_options,
    encoder_from_options,
    passage_text,
)
from kechuang.matching.segment import analyse, build_segment, document_from_json, document_to_json

try:
    import psycopg as _psycopg
except ImportError:  # any DB-API driver works; psycopg's binary results are a speed-up
    _psycopg = None

TABLE = "matching_document"
BATCH = 500
BLOCK = 128  # postings per impact block
DEPTH = 1024  # postings read per query term before rescoring (option POSTINGS_DEPTH)
RESCORE = 600  # documents rescored exactly per search (option RESCORE)
MAX_DEPTH = 1 << 20  # deepening stops here (narrow filters)
# Graph passes: every embedded vector held, the rows being linked compared GRAPH_CHUNK at a time.
GRAPH_CHUNK = 4096
GRAPH_BLOCK = 2048  # rows read per statement
GRAPH_WIDE = 8192  # columns of one similarity block
LINK_EVERY = 16 * GRAPH_CHUNK  # rows encoded between two graph passes of embed_pending
LIST_BATCH = 10000  # neighbour lists written per statement
EXACT_PAIRS = 2 * 10**10  # beyond, the graph is approximate (see _comparisons)
PROBES = 12  # clusters each row searches in an approximate graph pass
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")
_SWAPPED = "_new"  # suffix of the shadow tables a rebuild writes
_FLOAT4, _INT8 = ">f4", ">i8"  # how vectors, similarities and neighbour keys are stored in bytea
_NO_KEYS = np.zeros(0, dtype=np.int64)


class _Swapped(Exception):
    """A rebuild swapped the tables between two statements of one search: start it again."""


def _names(base: str) -> dict[str, str]:
    """The tables of one generation whose documents table is ``base``."""
    return {
        "doc": base,
        "term": f"{base}_term",
        "block": f"{base}_block",
        "delta": f"{base}_delta",
        "stats": f"{base}_stats",
    }


def _tables(base: str) -> list[str]:
    """The statements creating one generation's tables (no indexes: see :func:`_indexes`)."""
    n = _names(base)
    return [
        f"""CREATE TABLE {n["doc"]} (
            id text NOT NULL,
            key bigint NOT NULL,
            type text NOT NULL,
            doc text NOT NULL,
            doc_len real NOT NULL,
            terms bytea NOT NULL,
            tfs bytea NOT NULL,
            filters text[] NOT NULL,
            grp text NOT NULL,
            seq bigint NOT NULL DEFAULT 0,
            vec bytea,
            links bytea,
            link_sims bytea
        ) WITH (toast_tuple_target = 8160)""",
        f"CREATE TABLE {n['term']} (term text NOT NULL, tid integer NOT NULL, df integer NOT NULL)",
        f"""CREATE TABLE {n["block"]} (
            tid integer NOT NULL, block integer NOT NULL, keys bytea NOT NULL, s bytea NOT NULL)""",
        f"CREATE TABLE {n['delta']} (tid integer NOT NULL, key bigint NOT NULL, s real NOT NULL)",
        f"""CREATE TABLE {n["stats"]} (gen bigint NOT NULL, n bigint NOT NULL,
            total_len float8 NOT NULL, built_avg float8 NOT NULL, built_n bigint NOT NULL,
            delta_docs bigint NOT NULL)""",
    ]


def _indexes(base: str) -> list[tuple[str, str]]:
    """``(name suffix, definition)`` of one generation's indexes; created after a rebuild's bulk load
    and renamed with their tables."""
    n = _names(base)
    return [
        ("pkey", f"ALTER TABLE {n['doc']} ADD CONSTRAINT {{name}} PRIMARY KEY (id)"),
        ("key", f"CREATE UNIQUE INDEX {{name}} ON {n['doc']} (key)"),
        ("term_pkey", f"ALTER TABLE {n['term']} ADD CONSTRAINT {{name}} PRIMARY KEY (term)"),
        ("term_tid", f"CREATE UNIQUE INDEX {{name}} ON {n['term']} (tid)"),
        (
            "block_pkey",
            f"ALTER TABLE {n['block']} ADD CONSTRAINT {{name}} PRIMARY KEY (tid, block)",
        ),
        ("delta_tid", f"CREATE INDEX {{name}} ON {n['delta']} (tid, s DESC)"),
    ]


def _pack(values: np.ndarray, dtype: str) -> bytes:
    """Values as a ``bytea``: big-endian, as PostgreSQL's own ``float4send``/``int8send`` write them (so
    SQL can build and read them too, see :meth:`PostgresBackend._upgrade`)."""
    return np.asarray(values).astype(dtype).tobytes()


def _matrix(blobs: Sequence[bytes | memoryview]) -> np.ndarray:
    """Stored vectors (``vec``, big-endian float4, all of one size) as one float32 matrix."""
    return np.frombuffer(b"".join(blobs), dtype=_FLOAT4).astype(np.float32).reshape(len(blobs), -1)


def _vectors(blobs: Sequence[bytes | memoryview | None]) -> list[np.ndarray | None]:
    """Each stored vector (``None`` where there is none yet), those present read as one matrix."""
    found: list[np.ndarray | None] = [None] * len(blobs)
    present = [i for i, blob in enumerate(blobs) if blob]
    if present:
        for i, row in zip(present, _matrix([blobs[i] for i in present]), strict=True):
            found[i] = row
    return found


def _keys(blob: bytes | memoryview | None) -> np.ndarray:
    """A stored neighbour list (``links``: the neighbours' keys as big-endian int8, most similar
    first)."""
    if not blob:
        return _NO_KEYS
    return np.frombuffer(blob, dtype=_INT8).astype(np.int64)


def _sims(blob: bytes | memoryview | None) -> np.ndarray:
    """A stored list's similarities (``link_sims``, big-endian float4)."""
    return np.frombuffer(blob or b"", dtype=_FLOAT4).astype(np.float32)


def _binary(cursor):
    """psycopg's own cursor on ``cursor``'s connection (``cursor`` may be Django's wrapper of it),
    which binds parameters on the server and can ask for binary results; None for another driver."""
    connection = getattr(getattr(cursor, "cursor", cursor), "connection", None)
    if _psycopg is not None and isinstance(connection, _psycopg.Connection):
        return _psycopg.Cursor(connection)
    return None


def _fetch(cursor, sql: str, params: Sequence[object]) -> list[tuple]:
    """Run a read and return its rows; with psycopg in binary: the ``bytea`` columns (postings,
    terms, vectors, neighbour lists) then come as their bytes instead of twice as many hex digits to
    write and parse — half the time of a hybrid search's reads. Any other DB-API cursor reads text."""
    binary = _binary(cursor)
    if binary is None:
        cursor.execute(sql, params)
        return cursor.fetchall()
    with binary:
        binary.execute(sql, params, binary=True, prepare=False)
        return binary.fetchall()


def _execute(cursor, sql: str, params: Sequence[object]) -> None:
    """Run a write; with psycopg its ``bytea`` parameters go as their bytes (no escaped text)."""
    binary = _binary(cursor)
    if binary is None:
        cursor.execute(sql, params)
        return
    with binary:
        binary.execute(sql, params, prepare=False)


@dataclass
class _Row:
    """A candidate as a search reads it, with its BM25F for the query (its document JSON is fetched only
    for the hits shown; its vector and neighbours only when an encoder is configured)."""

    id: str
    type: str
    lexical: float
    group: str
    key: int = 0
    vector: np.ndarray | None = None
    links: np.ndarray = field(default_factory=lambda: _NO_KEYS)  # its neighbours' keys
    document: str | None = None  # its JSON, when the search read it with the candidates


@dataclass
class _Query:
    """One search's view of the index: the generation it reads, the collection statistics, and the
    vocabulary entries looked up so far (term → (tid, df))."""

    gen: int
    n_docs: int
    avg_len: float
    terms: dict[str, tuple[int | None, int]]

    def idfs(self, words: Iterable[str]) -> dict[str, float]:
        return {w: ranking.idf(self.n_docs, self.terms.get(w, (None, 0))[1]) for w in words}


def _exact(
    records: Sequence[Sequence[object]], weights: Mapping[int, float], avg_len: float
) -> np.ndarray:
    """BM25F of each record (``(…, doc_len, terms, tfs)`` as the last three columns) for the query term
    ids ``weights`` (tid → query weight · idf) — the formula of
    :func:`~kechuang.matching.ranking.bm25_scores`, from the stored terms."""
    scores = np.zeros(len(records), dtype=np.float32)
    if not records or not weights:
        return scores
    k1, b = ranking.K1, ranking.B
    tids = np.fromiter(weights, dtype=np.int32)
    order = np.argsort(tids)
    tids, w = tids[order], np.fromiter(weights.values(), dtype=np.float64)[order]
    # All records' terms and frequencies as two arrays, each read from the joined bytes at once (an
    # array per record cost 6 ms of a hybrid search's 18 ms of CPU).
    all_terms = np.frombuffer(b"".join([r[-2] for r in records]), dtype="<i4")
    all_tfs = np.frombuffer(b"".join([r[-1] for r in records]), dtype="<f4")
    lengths = np.array([float(r[-3]) for r in records])
    owner = np.repeat(np.arange(len(records)), [len(r[-2]) // 4 for r in records])
    position = np.clip(np.searchsorted(tids, all_terms), 0, len(tids) - 1)
    hit = tids[position] == all_terms
    if not hit.any():
        return scores
    tf = all_tfs[hit].astype(np.float64)
    doc = owner[hit]
    norm = k1 * (1.0 - b) + (k1 * b / max(avg_len, 1e-6)) * lengths[doc]
    contribution = w[position[hit]] * (k1 + 1.0) * tf / (tf + norm)
    return np.bincount(doc, weights=contribution, minlength=len(records)).astype(np.float32)


class PostgresBackend(SearchBackend):
    """Candidates from impact-ordered postings in PostgreSQL and the stored document graph, ranked by
    the shared ranking code."""

    compact_after = 5000  # delta documents before a re-impact (or a tenth of the index, if more)
    reimpact_drift = 0.1  # relative change of the average length that triggers a re-impact
    parallel_from = 20000
    ready_seconds = 5.0  # how long a search trusts that the tables exist before looking again

    def __init__(self, options: Mapping[str, object] | None = None) -> None:
        super().__init__(options)
        if "CURSOR" not in self.options:
            raise ValueError("the postgres backend needs options['CURSOR'] (a cursor factory)")
        self.table = str(self.options.get("TABLE") or TABLE)
        if not _IDENTIFIER.match(self.table):
            raise ValueError(f"invalid table name {self.table!r}")
        self.live = _names(self.table)
        self.analyzer = analyzer_from_options(self.options)
        self.encoder = encoder_from_options(self.options)
        self.settings = Settings.from_options(self.options)
        self.depth = int(self.options.get("POSTINGS_DEPTH") or DEPTH)
        self.rescore = int(self.options.get("RESCORE") or RESCORE)
        self._pgvector: bool | None = None
        self._ready_at = float("-inf")  # when the tables were last seen to exist

    def _cursor(self):
        return self.options["CURSOR"]()

    def _atomic(self):
        atomic = self.options.get("ATOMIC")
        return atomic() if atomic else nullcontext()

    @property
    def pgvector(self) -> bool:
        """Whether the database has the pgvector extension installed (looked up once per process).
        Reported by :meth:`status`; the dense side does not need it (see the module docstring)."""
        if self._pgvector is None:
            with self._cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_extension WHERE extname = 'vector'")
                self._pgvector = bool(cursor.fetchone()[0])
        return self._pgvector

    # --- tables ---------------------------------------------------------------------------------

    def _globals(self, cursor) -> None:
        """What outlives a generation: the key, term id, change and generation sequences and the
        deletions log a rebuild carries over."""
        t = self.table
        for name in ("keys", "tids", "changes", "gens"):
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {t}_{name}")
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {t}_gone (id text NOT NULL, seq bigint NOT NULL)"
        )

    def setup(self) -> None:
        """Create an empty index if there is none (a table of an older release is replaced)."""
        if not self._ready():
            self.rebuild([])

    def exists(self) -> bool:
        with self._cursor() as cursor:
            cursor.execute(
                "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
                [self.live["doc"], self.live["stats"]],
            )
            return bool(cursor.fetchone()[0])

    def check(self) -> None:
        if not self.exists():
            raise IndexUnavailable(f"table {self.table} is missing or of an older release")

    def drop(self) -> None:
        """Remove every table and sequence of the index (benchmarks drop their scratch index)."""
        t = self.table
        with self._cursor() as cursor:
            for base in (t, t + _SWAPPED):
                for name in _names(base).values():
                    cursor.execute(f"DROP TABLE IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {t}_gone")
            for name in ("keys", "tids", "changes", "gens"):
                cursor.execute(f"DROP SEQUENCE IF EXISTS {t}_{name}")

    def _lock(self, cursor) -> None:
        """One writer at a time (incremental updates and a rebuild's swap), until the transaction ends."""
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"matching:{self.table}"])

    # --- writing --------------------------------------------------------------------------------

    def index(self, documents: Iterable[Document]) -> None:
        docs = list({d.id: d for d in documents}.values())  # the last version of a repeated id
        self.setup()
        with self._atomic(), self._cursor() as cursor:
            self._lock(cursor)
            for start in range(0, len(docs), BATCH):
                self._write(cursor, docs[start : start + BATCH], self.live)
        if docs:
            self._maybe_reimpact()

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(ids))
        if not ids or not self.exists():
            return
        with self._atomic(), self._cursor() as cursor:
            self._lock(cursor)
            self._remove(cursor, ids, self.live)
            cursor.execute(
                f"INSERT INTO {self.table}_gone (id, seq) SELECT i, nextval('{self.table}_changes') "
                "FROM unnest(%s::text[]) AS i",
                [ids],
            )

    def _term_counts(self, records: Sequence[bytes]) -> tuple[list[int], list[int]]:
        """How many of these documents (their stored ``terms``) hold each term id."""
        if not records:
            return [], []
        tids, counts = np.unique(
            np.concatenate([np.frombuffer(r, dtype="<i4") for r in records]), return_counts=True
        )
        return tids.tolist(), counts.tolist()

    def _remove(self, cursor, ids: Sequence[str], names: Mapping[str, str]) -> None:
        """Delete these documents from one generation, keeping the document frequencies and
        statistics exact (their postings stay until the next rebuild and are skipped by searches)."""
        cursor.execute(
            f"DELETE FROM {names['doc']} WHERE id = ANY(%s) RETURNING terms, doc_len", [list(ids)]
        )
        gone = cursor.fetchall()
        if not gone:
            return
        tids, counts = self._term_counts([bytes(terms) for terms, _ in gone])
        cursor.execute(
            f"""UPDATE {names["term"]} AS t SET df = t.df - u.c
                FROM unnest(%s::int[], %s::int[]) AS u(tid, c) WHERE t.tid = u.tid""",
            [tids, counts],
        )
        cursor.execute(
            f"UPDATE {names['stats']} SET n = n - %s, total_len = total_len - %s",
            [len(gone), float(sum(length for _, length in gone))],
        )

    def _write(self, cursor, docs: Sequence[Document], names: Mapping[str, str]) -> None:
        """Add or replace these documents in one generation: their rows, their postings in the delta
        table (weighted with the generation's stored average length), exact document frequencies and
        statistics. A changed document loses its vector and neighbours until it is encoded again."""
        if not docs:
            return
        analysed = [analyse(d, self.analyzer) for d in docs]
        cursor.execute(
            f"SELECT id, key, terms, doc_len FROM {names['doc']} WHERE id = ANY(%s)",
            [[d.id for d in docs]],
        )
        old = {
            doc_id: (key, bytes(terms), length) for doc_id, key, terms, length in cursor.fetchall()
        }
        # Document frequencies: +1 for each term of the new versions, −1 for each of the old ones.
        new_counts: dict[str, int] = {}
        for tf, _ in analysed:
            for term in tf:
                new_counts[term] = new_counts.get(term, 0) + 1
        tid_of: dict[str, int] = {}
        if new_counts:
            cursor.execute(
                f"""INSERT INTO {names["term"]} AS t (term, tid, df)
                    SELECT w, nextval('{self.table}_tids'), c FROM unnest(%s::text[], %s::int[]) AS u(w, c)
                    ON CONFLICT (term) DO UPDATE SET df = t.df + EXCLUDED.df
                    RETURNING term, tid""",
                [list(new_counts), list(new_counts.values())],
            )
            tid_of = dict(cursor.fetchall())
        tids, counts = self._term_counts([terms for _, terms, _ in old.values()])
        if tids:
            cursor.execute(
                f"""UPDATE {names["term"]} AS t SET df = t.df - u.c
                    FROM unnest(%s::int[], %s::int[]) AS u(tid, c) WHERE t.tid = u.tid""",
                [tids, counts],
            )
        cursor.execute(f"SELECT built_avg FROM {names['stats']}")
        built_avg = float(cursor.fetchone()[0]) or 1.0
        missing = sum(d.id not in old for d in docs)
        cursor.execute(
            f"SELECT nextval('{self.table}_keys') FROM generate_series(1, %s)", [missing]
        )
        fresh = iter([key for (key,) in cursor.fetchall()])
        k1, b = ranking.K1, ranking.B
        rows, postings = [], []
        for doc, (tf, length) in zip(docs, analysed, strict=True):
            key = old[doc.id][0] if doc.id in old else next(fresh)
            pairs = sorted((tid_of[term], value) for term, value in tf.items())
            terms = np.array([p[0] for p in pairs], dtype="<i4")
            tfs = np.array([p[1] for p in pairs], dtype="<f4")
            norm = k1 * (1 - b) + k1 * b * length / built_avg
            s = (k1 + 1) * tfs / (tfs + norm)
            postings += [(int(t), key, float(v)) for t, v in zip(terms, s, strict=True)]
            filters = [
                f"{attr}={value}" for attr, values in doc.filters.items() for value in values
            ]
            rows.append(
                [
                    *(doc.id, key, doc.type, document_to_json(doc), length),
                    *(terms.tobytes(), tfs.tobytes(), filters, doc.group),
                ]
            )
        t = names["doc"]
        cursor.executemany(
            f"""INSERT INTO {t} (id, key, type, doc, doc_len, terms, tfs, filters, grp, seq)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, nextval('{self.table}_changes'))
                ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, doc = EXCLUDED.doc,
                    doc_len = EXCLUDED.doc_len, terms = EXCLUDED.terms, tfs = EXCLUDED.tfs,
                    filters = EXCLUDED.filters, grp = EXCLUDED.grp, seq = EXCLUDED.seq,
                    vec = CASE WHEN {t}.doc = EXCLUDED.doc THEN {t}.vec END,
                    links = CASE WHEN {t}.doc = EXCLUDED.doc THEN {t}.links END,
                    link_sims = CASE WHEN {t}.doc = EXCLUDED.doc THEN {t}.link_sims END""",
            rows,
        )
        if postings:
            cursor.execute(
                f"""INSERT INTO {names["delta"]} (tid, key, s)
                    SELECT * FROM unnest(%s::int[], %s::bigint[], %s::real[])""",
                [list(c) for c in zip(*postings, strict=True)],
            )
        old_length = sum(length for _, _, length in old.values())
        cursor.execute(
            f"""UPDATE {names["stats"]} SET n = n + %s, total_len = total_len + %s,
                delta_docs = delta_docs + %s""",
            [missing, sum(length for _, length in analysed) - old_length, len(docs)],
        )

    def _maybe_reimpact(self) -> None:
        """Rebuild from the stored documents once the delta is large or the average length drifted."""
        with self._cursor() as cursor:
            cursor.execute(
                f"SELECT n, total_len, built_avg, built_n, delta_docs FROM {self.live['stats']}"
            )
            n, total_len, built_avg, built_n, delta_docs = cursor.fetchone()
        avg = total_len / n if n else 1.0
        drift = abs(avg / (built_avg or 1.0) - 1.0) if n and built_n else 0.0
        if delta_docs > max(self.compact_after, built_n // 10) or drift > self.reimpact_drift:
            self.compact()

    def stored_documents(self) -> Iterator[Document]:
        """Every indexed document as stored, in id order (a page at a time)."""
        last = ""
        while True:
            with self._cursor() as cursor:
                cursor.execute(
                    f"SELECT id, doc FROM {self.table} WHERE id > %s ORDER BY id LIMIT 2000", [last]
                )
                page = cursor.fetchall()
            if not page:
                return
            last = page[-1][0]
            for _, doc in page:
                yield document_from_json(_json_text(doc))

    def compact(self) -> None:
        """Re-impact: rebuild from the stored documents, folding the delta into the ordered lists."""
        docs = list(self.stored_documents())
        self.rebuild(docs, total=len(docs))

    def _workers(self, total: int | None) -> int:
        if self.options.get("WORKERS"):
            return int(self.options["WORKERS"])
        if total is None or total < self.parallel_from:
            return 1
        return max(1, min(4, os.cpu_count() or 1))

    def rebuild(
        self,
        documents: Iterable[Document],
        total: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        with self._cursor() as cursor:
            self._globals(cursor)
            cursor.execute(f"SELECT nextval('{self.table}_changes')")
            started = int(cursor.fetchone()[0])
        spool = Path(tempfile.mkstemp(prefix="kechuang-pg-", suffix=".jsonl")[1])
        try:
            segment = build_segment(
                documents,
                self.analyzer,
                total=total,
                progress=progress,
                workers=self._workers(total),
                spool=spool,
            )
            shadow = _names(self.table + _SWAPPED)
            self._load(segment, shadow)
        finally:
            spool.unlink(missing_ok=True)
        self._keep_vectors(shadow)
        self._swap(shadow, started)
        if progress:
            progress(segment.size, total or segment.size)

    def _load(self, segment, shadow: Mapping[str, str]) -> None:
        """Write ``segment`` into the shadow tables with COPY, then index and analyse them."""
        n = segment.size
        k1, b = ranking.K1, ranking.B
        lengths = np.asarray(segment.doc_len, dtype=np.float64)
        avg = float(lengths.mean()) if n else 1.0
        avg = avg or 1.0
        post_ptr = np.asarray(segment.post_ptr)
        post_doc = np.asarray(segment.post_doc)
        post_tf = np.asarray(segment.post_tf)
        n_terms = len(post_ptr) - 1
        term_of = np.repeat(np.arange(n_terms, dtype=np.int32), np.diff(post_ptr))
        s = (
            (k1 + 1) * post_tf / (post_tf + k1 * (1 - b) + (k1 * b / avg) * lengths[post_doc])
        ).astype("<f4")
        with self._cursor() as cursor:
            for name in shadow.values():
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
            for statement in _tables(shadow["doc"]):
                cursor.execute(statement)
            cursor.execute(f"SELECT nextval('{self.table}_gens')")
            gen = int(cursor.fetchone()[0])
            keys = self._reused_keys(cursor, segment.ids)
            # Each document's terms (ascending term ids) and frequencies: the postings by document.
            by_doc = _stable_order(post_doc)
            doc_ptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(post_doc, minlength=n), out=doc_ptr[1:])
            doc_terms = term_of[by_doc].astype("<i4")
            doc_tfs = post_tf[by_doc].astype("<f4")
            del by_doc
            offsets = np.asarray(segment.doc_off)
            blob = segment.docs_blob
            filters: list[list[str]] = [[] for _ in range(n)]
            filt_ptr = np.asarray(segment.filt_ptr)
            for key_text, row in segment.filter_keys.items():
                value = key_text.replace("\x1f", "=", 1)
                for doc_row in segment.filt_doc[filt_ptr[row] : filt_ptr[row + 1]].tolist():
                    filters[doc_row].append(value)
            # Binary COPY: the bytea columns go as their bytes (no hex text to write and parse) and
            # the document JSON as the UTF-8 the segment holds.
            types = [name.encode() for name in segment.types]
            groups = [name.encode() for name in segment.groups]
            doc_type, doc_group = segment.doc_type.tolist(), segment.doc_group.tolist()
            keys_list, lengths_list = keys.tolist(), lengths.tolist()
            terms_bytes, tfs_bytes = memoryview(doc_terms.tobytes()), memoryview(doc_tfs.tobytes())
            ptr = doc_ptr.tolist()
            arrays: dict[tuple[str, ...], bytes] = {}  # documents share a few filter sets
            with cursor.copy(
                f"COPY {shadow['doc']} (id, key, type, doc, doc_len, terms, tfs, filters, grp) "
                "FROM STDIN (FORMAT BINARY)"
            ) as out:
                out.write(_COPY_HEADER)
                parts: list[bytes | memoryview] = []
                for row in range(n):
                    a, z = ptr[row], ptr[row + 1]
                    doc_id = segment.ids[row].encode()
                    line = bytes(blob[int(offsets[row]) : int(offsets[row + 1])]).rstrip()
                    kind, group = types[doc_type[row]], groups[doc_group[row]]
                    parts += (
                        _ROW_HEAD.pack(9, len(doc_id)),
                        doc_id,
                        _KEY.pack(8, keys_list[row], len(kind)),
                        kind,
                        _LEN.pack(len(line)),
                        line,
                        _FLOAT.pack(4, lengths_list[row], 4 * (z - a)),
                        terms_bytes[4 * a : 4 * z],
                        _LEN.pack(4 * (z - a)),
                        tfs_bytes[4 * a : 4 * z],
                        arrays.get(filter_set := tuple(filters[row]))
                        or arrays.setdefault(filter_set, _text_array(filter_set)),
                        _LEN.pack(len(group)),
                        group,
                    )
                    if len(parts) >= 26000:
                        out.write(b"".join(parts))
                        parts = []
                parts.append(_COPY_TRAILER)
                out.write(b"".join(parts))
            del doc_terms, doc_tfs, filters, terms_bytes, tfs_bytes
            df = np.diff(post_ptr).tolist()
            with cursor.copy(f"COPY {shadow['term']} (term, tid, df) FROM STDIN") as out:
                out.write(
                    "".join(f"{_text(t)}\t{tid}\t{df[tid]}\n" for t, tid in segment.vocab.items())
                )
            # Each term's postings by descending weight, cut into blocks of BLOCK postings.
            order = np.lexsort((-s, term_of))
            key_bytes = memoryview(keys[post_doc[order]].astype("<i8").tobytes())
            s_bytes = memoryview(s[order].astype("<f4").tobytes())
            del order
            counts = np.diff(post_ptr)
            blocks = -(-counts // BLOCK)
            block_tid = np.repeat(np.arange(n_terms), blocks)
            first_block = np.repeat(np.cumsum(blocks) - blocks, blocks)
            block_no = np.arange(len(block_tid)) - first_block
            starts = post_ptr[block_tid] + BLOCK * block_no
            ends = np.minimum(starts + BLOCK, post_ptr[block_tid + 1])
            with cursor.copy(
                f"COPY {shadow['block']} (tid, block, keys, s) FROM STDIN (FORMAT BINARY)"
            ) as out:
                out.write(_COPY_HEADER)
                parts = []
                for tid, block, a, z in zip(
                    block_tid.tolist(),
                    block_no.tolist(),
                    starts.tolist(),
                    ends.tolist(),
                    strict=True,
                ):
                    parts += (
                        _BLOCK_HEAD.pack(4, 4, tid, 4, block, 8 * (z - a)),
                        key_bytes[8 * a : 8 * z],
                        _LEN.pack(4 * (z - a)),
                        s_bytes[4 * a : 4 * z],
                    )
                    if len(parts) >= 20000:
                        out.write(b"".join(parts))
                        parts = []
                parts.append(_COPY_TRAILER)
                out.write(b"".join(parts))
            del key_bytes, s_bytes
            cursor.execute(
                f"""INSERT INTO {shadow["stats"]} (gen, n, total_len, built_avg, built_n, delta_docs)
                    VALUES (%s, %s, %s, %s, %s, 0)""",
                [gen, n, float(lengths.sum()), avg, n],
            )
            cursor.execute(f"SELECT setval('{self.table}_tids', %s)", [max(n_terms, 1)])
            for suffix, statement in _indexes(shadow["doc"]):
                cursor.execute(statement.format(name=f"{shadow['doc']}_{suffix}"))
            for name in shadow.values():
                cursor.execute(f"ANALYZE {name}")

    def _reused_keys(self, cursor, ids: Sequence[str]) -> np.ndarray:
        """The key of each of ``ids`` in the new generation: the live row's where there is one (so the
        neighbour lists, which name rows by key, stay valid across rebuilds), else a fresh one."""
        cursor.execute(
            """SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass(%s)
                AND attname = 'key' AND NOT attisdropped""",
            [self.live["doc"]],
        )
        live = (
            dict(_fetch(cursor, f"SELECT id, key FROM {self.live['doc']}", []))
            if cursor.fetchone()[0]
            else {}
        )
        keys = np.array([live.get(doc_id, -1) for doc_id in ids], dtype=np.int64)
        fresh = np.flatnonzero(keys < 0)
        if len(fresh):
            cursor.execute(f"SELECT nextval('{self.table}_keys')")
            first = int(cursor.fetchone()[0])
            cursor.execute(f"SELECT setval('{self.table}_keys', %s)", [first + len(fresh) - 1])
            keys[fresh] = first + np.arange(len(fresh), dtype=np.int64)
        return keys.astype("<i8")

    def _keep_vectors(self, shadow: Mapping[str, str]) -> None:
        """Give the shadow rows whose record is unchanged the live row's vector and neighbours, so a
        rebuild or re-impact does not send every record back to the encoder (a record changed after
        this is carried over by the swap, which keeps them only if it is still unchanged)."""
        with self._cursor() as cursor:
            cursor.execute(
                "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
                [self.live["doc"], self.live["stats"]],
            )
            if not cursor.fetchone()[0]:
                return
            self._upgrade(cursor)
            # A table of an earlier release holds the document as jsonb.
            cursor.execute(
                "SELECT atttypid::regtype::text FROM pg_attribute "
                "WHERE attrelid = to_regclass(%s) AND attname = 'doc'",
                [self.live["doc"]],
            )
            same = "n.doc::jsonb = o.doc" if cursor.fetchone()[0] == "jsonb" else "n.doc = o.doc"
            cursor.execute(
                f"""UPDATE {shadow["doc"]} AS n SET vec = o.vec, links = o.links,
                        link_sims = o.link_sims
                    FROM {self.live["doc"]} AS o
                    WHERE n.id = o.id AND {same} AND o.vec IS NOT NULL"""
            )

    def _swap(self, shadow: Mapping[str, str], started: int) -> None:
        """In one transaction: carry the changes made since ``started`` over to the shadow tables, drop
        the live tables and rename the shadow ones into place."""
        t = self.table
        with self._atomic(), self._cursor() as cursor:
            self._lock(cursor)
            cursor.execute(
                "SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL",
                [self.live["stats"], t],
            )
            live_layout, live_doc = cursor.fetchone()
            # Searches that read several tables read the statistics table first: locking it first
            # here makes them wait at their first table, so the swap and a search never deadlock.
            if live_layout:
                cursor.execute(f"LOCK TABLE {self.live['stats']} IN ACCESS EXCLUSIVE MODE")
            if live_doc:
                cursor.execute(f"LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE")
            if live_layout:
                cursor.execute(f"SELECT doc FROM {t} WHERE seq > %s", [started])
                changed = [document_from_json(_json_text(doc)) for (doc,) in cursor.fetchall()]
                cursor.execute(f"SELECT id FROM {t}_gone WHERE seq > %s", [started])
                gone = [doc_id for (doc_id,) in cursor.fetchall()]
                self._remove(cursor, gone, shadow)
                self._write(cursor, changed, shadow)
            cursor.execute(f"DELETE FROM {t}_gone")
            for name in self.live.values():
                cursor.execute(f"DROP TABLE IF EXISTS {name} CASCADE")
            for role, name in shadow.items():
                cursor.execute(f"ALTER TABLE {name} RENAME TO {self.live[role]}")
            for suffix, _ in _indexes(t):
                cursor.execute(f"ALTER INDEX {shadow['doc']}_{suffix} RENAME TO {t}_{suffix}")

    def embed_pending(
        self,
        limit: int | None = None,
        batch: int = 16,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Encode rows without a vector, a page at a time, and link them into the document graph (see
        :meth:`_link`) once :data:`LINK_EVERY` are encoded (or as many as were embedded before, so a
        bulk load costs a few passes, not one per page) and at the end; returns how many were
        encoded, reporting ``progress(done, total)`` after each page. Searches use each vector once
        written, and its neighbours once linked."""
        if self.encoder is None or not self._ready():
            return 0
        with self._cursor() as cursor:
            cursor.execute(f"SELECT count(*), count(vec) FROM {self.table}")
            rows, linked = map(int, cursor.fetchone())
        total = rows - linked if limit is None else min(rows - linked, limit)
        done = 0
        last = 0
        unlinked: list[int] = []
        while limit is None or done < limit:
            page = GRAPH_CHUNK if limit is None else min(GRAPH_CHUNK, limit - done)
            with self._cursor() as cursor:
                pending = _fetch(
                    cursor,
                    f"""SELECT key, doc FROM {self.table} WHERE vec IS NULL AND key > %s
                        ORDER BY key LIMIT %s""",
                    [last, page],
                )
            if not pending:
                break
            last = pending[-1][0]
            # Encoded ``batch`` at a time and written 16 batches a statement: fewer round trips,
            # while a slow encoder's vectors still reach searches every few hundred rows.
            for start in range(0, len(pending), 16 * batch):
                chunk = pending[start : start + 16 * batch]
                docs = [document_from_json(_json_text(doc)) for _, doc in chunk]
                texts = [passage_text(d) for d in docs]
                vectors = np.concatenate(
                    [
                        self.encoder.encode_passages(texts[a : a + batch])
                        for a in range(0, len(texts), batch)
                    ]
                )
                with self._cursor() as cursor:
                    _execute(
                        cursor,
                        f"""UPDATE {self.table} AS t SET vec = u.v
                            FROM unnest(%s::bigint[], %s::bytea[]) AS u(key, v)
                            WHERE t.key = u.key""",
                        [[key for key, _ in chunk], [_pack(v, _FLOAT4) for v in vectors]],
                    )
            unlinked += [key for key, _ in pending]
            if len(unlinked) >= max(LINK_EVERY, linked):
                self._link(unlinked)
                linked += len(unlinked)
                unlinked = []
            done += len(pending)
            if progress is not None:
                progress(done, max(total, done))
        self._link(unlinked)
        if done >= LIST_BATCH:
            self._vacuum()
        return done

    def build_graph(self) -> int:
        """Recompute every embedded row's neighbours from scratch; returns how many rows were linked.
        :meth:`embed_pending` keeps the graph up to date as documents are added; this also drops what
        deletions and re-encoded documents left behind in other rows' lists."""
        if not self._ready():
            return 0
        linked = self._link(None, refresh_others=False)
        if linked >= LIST_BATCH:
            self._vacuum()
        return linked

    def _vacuum(self) -> None:
        """``VACUUM ANALYZE`` the documents table after writing many vectors or lists: each write left
        a dead version of its row that the key index still points to, and until a vacuum a search's
        lookups visit those too (at 100 k documents after a bulk encoding, 350 k dead rows: p50/p95
        37/94 ms before, 25/35 ms after). Only outside a transaction (VACUUM cannot run inside one);
        autovacuum gets there later otherwise."""
        with self._cursor() as cursor:
            connection = getattr(getattr(cursor, "cursor", cursor), "connection", None)
            if (
                _psycopg is not None
                and isinstance(connection, _psycopg.Connection)
                and connection.autocommit
                and connection.info.transaction_status == _psycopg.pq.TransactionStatus.IDLE
            ):
                connection.execute(f"VACUUM ANALYZE {self.table}")

    def _blocks(self, with_lists: bool = False) -> Iterator[list[tuple]]:
        """Every embedded row's key and vector (with its stored list when ``with_lists``),
        :data:`GRAPH_BLOCK` rows at a time in key order (keyset pagination, so memory stays bounded and
        any DB-API cursor works)."""
        extra = ", links, link_sims" if with_lists else ""
        last = 0
        while True:
            with self._cursor() as cursor:
                records = _fetch(
                    cursor,
                    f"""SELECT key, vec{extra} FROM {self.table}
                        WHERE vec IS NOT NULL AND key > %s ORDER BY key LIMIT %s""",
                    [last, GRAPH_BLOCK],
                )
            if not records:
                return
            last = records[-1][0]
            yield records

    def _link(self, keys: Sequence[int] | None, refresh_others: bool = True) -> int:
        """Give the embedded rows among ``keys`` (every embedded row when None) their ``graph_k``
        nearest embedded rows, exactly; with ``refresh_others`` every other row whose own list one of
        them now belongs in takes it in as well, so adding documents keeps the graph exact. Returns how
        many rows were linked.

        Every embedded vector is read once and held (4 bytes per dimension and row); the rows being
        linked are compared with all of them :data:`GRAPH_CHUNK` at a time, in blocks of
        :data:`GRAPH_WIDE` columns (one matrix product and one partial sort each), the other rows'
        best new neighbours kept as the blocks go by; the changed lists are written
        :data:`LIST_BATCH` rows a statement."""
        k = self.settings.graph_k
        if k <= 0 or (keys is not None and not len(keys)):
            return 0
        records = [record for block in self._blocks(refresh_others) for record in block]
        if not records:
            return 0
        all_keys = np.array([r[0] for r in records], dtype=np.int64)  # ascending
        vectors = _matrix([r[1] for r in records])
        if keys is None:
            new = np.arange(len(all_keys))
        else:
            new = np.flatnonzero(np.isin(all_keys, np.asarray(keys, dtype=np.int64)))
        if not len(new):
            return 0
        is_new = np.zeros(len(all_keys), dtype=bool)
        is_new[new] = True
        others = np.flatnonzero(~is_new) if refresh_others else np.zeros(0, dtype=np.int64)
        other_at = np.full(len(all_keys), -1, dtype=np.int64)
        other_at[others] = np.arange(len(others))
        slot = np.full(len(all_keys), -1, dtype=np.int64)
        slot[new] = np.arange(len(new))
        best_keys = np.full((len(new), k), -1, dtype=np.int64)
        best_sims = np.full((len(new), k), -np.inf, dtype=np.float32)
        gain_keys = np.full((len(others), k), -1, dtype=np.int64)
        gain_sims = np.full((len(others), k), -np.inf, dtype=np.float32)
        for rows, columns in _comparisons(vectors, new):
            sims = vectors[rows] @ vectors[columns].T
            column_rows = (
                np.arange(columns.start, columns.stop) if isinstance(columns, slice) else columns
            )
            where = np.clip(np.searchsorted(column_rows, rows), 0, len(column_rows) - 1)
            itself = np.flatnonzero(column_rows[where] == rows)
            sims[itself, where[itself]] = -np.inf  # a row is not its own neighbour
            _merge(best_keys, best_sims, slot[rows], all_keys[columns], sims)
            if len(others):
                old = np.flatnonzero(~is_new[columns])
                if len(old):
                    o = other_at[column_rows[old]]
                    _merge(gain_keys, gain_sims, o, all_keys[rows], sims[:, old].T)
        if len(new) * len(all_keys) > EXACT_PAIRS:
            _refine(vectors, all_keys, new, slot, best_keys, best_sims)
        updates = [
            (int(all_keys[i]), *self._list(best_keys[row], best_sims[row]))
            for row, i in enumerate(new.tolist())
        ]
        if len(others):
            updates += self._refreshed(
                [records[i] for i in others.tolist()], all_keys[new], gain_keys, gain_sims, k
            )
        for start in range(0, len(updates), LIST_BATCH):
            self._store_lists(updates[start : start + LIST_BATCH])
        return len(new)

    def _store_lists(self, updates: Sequence[tuple[int, bytes, bytes]]) -> None:
        """Write neighbour lists ``(key, links, link_sims)`` in one statement."""
        if not updates:
            return
        keys, links, sims = zip(*updates, strict=True)
        with self._cursor() as cursor:
            _execute(
                cursor,
                f"""UPDATE {self.table} AS t SET links = u.l, link_sims = u.s
                    FROM unnest(%s::bigint[], %s::bytea[], %s::bytea[]) AS u(key, l, s)
                    WHERE t.key = u.key""",
                [list(keys), list(links), list(sims)],
            )

    def _refreshed(
        self,
        records: Sequence[tuple],
        new_keys: np.ndarray,
        gain_keys: np.ndarray,
        gain_sims: np.ndarray,
        k: int,
    ) -> list[tuple[int, bytes, bytes]]:
        """The lists of the rows not linked (``records``: key, vector, links, link_sims) that gain one
        of the new rows (their best ones ``gain_keys``/``gain_sims``): those whose weakest neighbour is
        less similar than their best new row, or that have room left."""
        current_keys = np.full((len(records), k), -1, dtype=np.int64)
        current_sims = np.full((len(records), k), -np.inf, dtype=np.float32)
        lengths = np.array([len(r[2] or b"") // 8 for r in records], dtype=np.int64)
        if lengths.any():
            flat_keys = np.frombuffer(b"".join(r[2] or b"" for r in records), dtype=_INT8)
            flat_sims = np.frombuffer(b"".join(r[3] or b"" for r in records), dtype=_FLOAT4)
            owner = np.repeat(np.arange(len(records)), lengths)
            column = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            fits = column < k
            current_keys[owner[fits], column[fits]] = flat_keys[fits]
            current_sims[owner[fits], column[fits]] = flat_sims[fits]
        # A re-encoded row may still be listed with its old similarity: it is offered afresh instead.
        stale = np.isin(current_keys, new_keys)
        current_keys[stale], current_sims[stale] = -1, -np.inf
        full = np.isfinite(current_sims).all(axis=1)
        kth = np.where(full, current_sims.min(axis=1), -np.inf)
        gains = np.flatnonzero(gain_sims[:, 0] > kth)
        if not len(gains):
            return []
        merged_keys, merged_sims = pipeline.merge_nearest(
            current_keys[gains], current_sims[gains], gain_keys[gains], gain_sims[gains], k
        )
        return [
            (int(records[g][0]), *self._list(merged_keys[row], merged_sims[row]))
            for row, g in enumerate(gains.tolist())
        ]

    @staticmethod
    def _list(keys: np.ndarray, sims: np.ndarray) -> tuple[bytes, bytes]:
        """A neighbour list as stored: the filled entries' keys and similarities, most similar
        first."""
        filled = np.isfinite(sims)
        return _pack(keys[filled], _INT8), _pack(sims[filled], _FLOAT4)

    def count(self, types: Sequence[str] | None = None) -> int:
        if not self.exists():
            return 0
        with self._cursor() as cursor:
            if types is None:
                cursor.execute(f"SELECT n FROM {self.live['stats']}")
            else:
                cursor.execute(
                    f"SELECT count(*) FROM {self.table} WHERE type = ANY(%s)", [list(types)]
                )
            return int(cursor.fetchone()[0])

    def size_mb(self) -> float:
        """The index's size in the database (tables, indexes and TOAST), in MB."""
        with self._cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(pg_total_relation_size(to_regclass(t))), 0) "
                "FROM unnest(%s::text[]) AS t",
                [[*self.live.values(), f"{self.table}_gone"]],
            )
            return round(int(cursor.fetchone()[0]) / 2**20, 1)

    def status(self) -> dict[str, object]:
        if not self._ready():
            return {"backend": "postgres", "documents": 0}
        with self._cursor() as cursor:
            cursor.execute(f"SELECT count(*), count(vec), count(links) FROM {self.table}")
            documents, vectors, linked = cursor.fetchone()
            cursor.execute(f"SELECT gen, built_n, delta_docs FROM {self.live['stats']}")
            gen, built_n, delta_docs = cursor.fetchone()
        return {
            "backend": "postgres",
            "documents": documents,
            "vectors_ready": vectors,
            "vectors_pending": documents - vectors,
            "graph_rows": linked,
            "encoder": self.encoder.name if self.encoder else None,
            "generation": gen,
            "impact_ordered_documents": built_n,
            "delta_documents": delta_docs,
            "pgvector": self.pgvector,
        }

    # --- search ---------------------------------------------------------------------------------

    def _ready(self) -> bool:
        """Whether the index exists; a documents table of an earlier layout is upgraded first."""
        with self._cursor() as cursor:
            cursor.execute(
                """SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL,
                    (SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass(%s)
                    AND NOT attisdropped AND attname = 'vec')""",
                [self.table, self.live["stats"], self.table],
            )
            exists, current = cursor.fetchone()
            if exists and not current:
                self._upgrade(cursor)
        return bool(exists)

    def _upgrade(self, cursor) -> None:
        """Bring the live documents table of an earlier release to this layout, in place and in one
        transaction: vectors stored as ``real[]`` become ``vec`` bytes, and neighbour lists of document
        ids (``neighbours text[]`` with ``neighbour_sims real[]``) become ``links``, the neighbours'
        keys, with ``link_sims`` (a table from before the graph gains empty ones). Searches read rows
        by their key, and keys outlive rebuilds, so a list of keys stays valid as ids do."""
        t = self.table
        with self._atomic():
            self._lock(cursor)
            cursor.execute(
                """SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s)
                    AND attnum > 0 AND NOT attisdropped""",
                [t],
            )
            columns = {name for (name,) in cursor.fetchall()}
            if not columns or "vec" in columns:
                return  # gone, or upgraded by another process meanwhile
            cursor.execute(
                f"ALTER TABLE {t} ADD COLUMN vec bytea, ADD COLUMN links bytea, "
                "ADD COLUMN link_sims bytea, SET (toast_tuple_target = 8160)"
            )
            if "vector" in columns:
                cursor.execute(
                    f"""UPDATE {t} SET vec = (SELECT string_agg(float4send(x), ''::bytea ORDER BY o)
                        FROM unnest(vector) WITH ORDINALITY AS u(x, o)) WHERE vector IS NOT NULL"""
                )
            if {"neighbours", "neighbour_sims", "key"} <= columns:
                cursor.execute(
                    f"""UPDATE {t} AS d SET links = g.links, link_sims = g.sims FROM (
                            SELECT n.id, string_agg(int8send(m.key), ''::bytea ORDER BY u.o) AS links,
                                string_agg(float4send(coalesce(u.s, 0)), ''::bytea ORDER BY u.o) AS sims
                            FROM {t} AS n
                            CROSS JOIN LATERAL unnest(n.neighbours, n.neighbour_sims)
                                WITH ORDINALITY AS u(id, s, o)
                            JOIN {t} AS m ON m.id = u.id
                            WHERE n.vector IS NOT NULL GROUP BY n.id
                        ) AS g WHERE d.id = g.id"""
                )
            cursor.execute(
                f"ALTER TABLE {t} DROP COLUMN IF EXISTS vector, DROP COLUMN IF EXISTS neighbours, "
                "DROP COLUMN IF EXISTS neighbour_sims"
            )

    def _begin(self, cursor, words: Sequence[str]) -> _Query:
        """The generation, statistics and vocabulary entries of ``words``, read in one statement."""
        n = self.live
        cursor.execute(
            f"""SELECT s.gen, s.n, s.total_len, q.w, t.tid, t.df
                FROM {n["stats"]} AS s CROSS JOIN unnest(%s::text[]) AS q(w)
                LEFT JOIN {n["term"]} AS t ON t.term = q.w""",
            [list(words) or [""]],
        )
        records = cursor.fetchall()
        gen, n_docs, total_len = records[0][:3]
        return _Query(
            int(gen),
            int(n_docs),
            float(total_len) / n_docs if n_docs else 1.0,
            {w: (tid, int(df or 0)) for _, _, _, w, tid, df in records if w},
        )

    def _lookup(self, cursor, query: _Query, words: Iterable[str]) -> None:
        """Add the vocabulary entries of ``words`` not looked up yet."""
        missing = [w for w in words if w not in query.terms]
        if missing:
            found = self._begin(cursor, missing)
            self._check_gen(cursor, query, found.gen)
            query.terms.update(found.terms)

    @staticmethod
    def _check_gen(cursor, query: _Query, gen: int) -> None:
        if gen != query.gen:
            raise _Swapped

    def _restrict(self, types, filters) -> tuple[str, list[object]]:
        sql, params = [], []
        if types is not None:
            sql.append("AND type = ANY(%s)")
            params.append(list(types))
        for attribute, values in (filters or {}).items():
            sql.append("AND filters && %s")
            params.append([f"{attribute}={v}" for v in values])
        return " ".join(sql), params

    def _read(
        self,
        cursor,
        query: _Query | None,
        words: Sequence[str],
        scored: Mapping[str, float],
        depth: int,
    ) -> tuple[_Query, list[tuple]]:
        """One statement: the generation and statistics (checked against ``query``'s, or the start of
        a new :class:`_Query`), the vocabulary entries of ``words``, and the first ``depth`` postings
        of each of them in ``scored`` — its blocks and its best delta postings. Returns the query and
        the postings as ``(tid, keys, s, key, value)`` (a block, or one delta posting)."""
        n = self.live
        words = list(dict.fromkeys(words)) or [""]
        scored_words = [w for w in words if w in scored]
        records = _fetch(
            cursor,
            # Each branch reads the statistics table first, as every statement of a search does
            # (parsed or prepared): the swap locks it first, so the two never deadlock.
            f"""SELECT g.gen, g.n, g.total_len, u.w, t.tid, t.df,
                    NULL::bytea, NULL::bytea, NULL::bigint, NULL::real
                FROM {n["stats"]} AS g CROSS JOIN unnest(%s::text[]) AS u(w)
                LEFT JOIN {n["term"]} AS t ON t.term = u.w
                UNION ALL
                SELECT NULL, NULL, NULL, NULL, b.tid, NULL, b.keys, b.s, NULL, NULL
                FROM {n["stats"]} AS g CROSS JOIN {n["term"]} AS t
                JOIN {n["block"]} AS b ON b.tid = t.tid AND b.block < %s
                WHERE t.term = ANY(%s::text[])
                UNION ALL
                SELECT NULL, NULL, NULL, NULL, t.tid, NULL, NULL, NULL, d.key, d.s
                FROM {n["stats"]} AS g CROSS JOIN {n["term"]} AS t
                CROSS JOIN LATERAL (
                    SELECT key, s FROM {n["delta"]} WHERE tid = t.tid ORDER BY s DESC LIMIT %s
                ) AS d
                WHERE t.term = ANY(%s::text[])""",
            [words, -(-depth // BLOCK), scored_words, depth, scored_words],
        )
        head = [r for r in records if r[0] is not None]
        if not head:  # no statistics row: the index is being replaced by an older release's setup
            raise _Swapped
        gen, n_docs, total_len = head[0][:3]
        if query is None:
            query = _Query(int(gen), int(n_docs), float(total_len) / n_docs if n_docs else 1.0, {})
        self._check_gen(cursor, query, gen)
        for _, _, _, word, tid, df in (r[:6] for r in head):
            if word:
                query.terms.setdefault(word, (tid, int(df or 0)))
        return query, [(r[4], *r[6:]) for r in records if r[0] is None]

    def _lexical(
        self,
        cursor,
        query: _Query | None,
        weighted: Mapping[str, float],
        types,
        filters,
        limit: int,
        lookup: Sequence[str] = (),
        with_documents: bool = False,
    ) -> tuple[_Query, list[_Row]]:
        """The ``limit`` best BM25F matches of any of the terms among the allowed documents: the top
        of each term's impact-ordered list, the best :attr:`rescore` of them by their partial sums
        rescored exactly. Read deeper while the restrictions leave fewer than ``limit`` and a list
        was cut short. Two statements (see :meth:`_read`; ``query`` None starts the search's view of
        the index there, and ``lookup`` names more words whose vocabulary entries to read with it);
        ``with_documents`` also brings each row's document JSON."""
        n = self.live
        restriction, restriction_params = self._restrict(types, filters)
        depth = max(self.depth, limit)
        rescore = min(self.rescore, max(3 * limit, 100))
        document_column = ", doc::text" if with_documents else ""
        while True:
            query, records = self._read(cursor, query, [*weighted, *lookup], weighted, depth)
            lookup = ()
            idfs = query.idfs(weighted)
            weights: dict[int, float] = {}
            for term, weight in weighted.items():
                tid = query.terms[term][0]
                if tid is not None:
                    weights[tid] = weights.get(tid, 0.0) + weight * idfs[term]
            if not weights:
                return query, []
            key_parts, score_parts = [], []
            read: dict[int, int] = {}
            for tid, keys, s, key, value in records:
                if keys is not None:
                    found = np.frombuffer(keys, dtype="<i8")
                    key_parts.append(found)
                    score_parts.append(np.frombuffer(s, dtype="<f4") * weights[tid])
                    read[tid] = read.get(tid, 0) + len(found)
                else:
                    key_parts.append(np.array([key], dtype=np.int64))
                    score_parts.append(np.array([value * weights[tid]], dtype=np.float64))
            if not key_parts:
                return query, []
            keys, inverse = np.unique(np.concatenate(key_parts), return_inverse=True)
            partial = np.bincount(inverse, weights=np.concatenate(score_parts))
            dropped = len(keys) > rescore
            if dropped:
                best = np.argpartition(-partial, rescore - 1)[:rescore]
                keys = keys[best]
            rows = _fetch(
                cursor,
                f"""SELECT id, type, grp, key, g.gen{document_column}, doc_len, terms, tfs
                    FROM {n["stats"]} AS g LEFT JOIN {n["doc"]}
                    ON key = ANY(%s::bigint[]) {restriction}""",
                [_int_array(keys), *restriction_params],
            )
            # The statistics row comes back even when no document does: its generation is checked.
            self._check_gen(cursor, query, rows[0][4])
            rows = [row for row in rows if row[0] is not None]
            cut_short = any(count >= depth for count in read.values())
            if len(rows) >= limit or not (cut_short or dropped) or depth >= MAX_DEPTH:
                break
            # Too few of the candidates pass the restrictions: read and rescore more.
            depth, rescore = depth * 8, rescore * 8
        scores = _exact(rows, weights, query.avg_len)
        order = sorted(range(len(rows)), key=lambda i: (-scores[i], rows[i][0]))
        return query, [
            _Row(
                rows[i][0],
                rows[i][1],
                float(scores[i]),
                rows[i][2],
                int(rows[i][3]),
                document=rows[i][5] if with_documents else None,
            )
            for i in order[:limit]
            if scores[i] > 0
        ]

    def _with_vectors(self, cursor, rows: list[_Row]) -> None:
        """Fill in the vector and stored neighbours of each row (read by key: keys outlive rebuilds)."""
        if not rows:
            return
        found = {
            key: (vector, links)
            for key, vector, links in _fetch(
                cursor,
                f"SELECT key, vec, links FROM {self.table} WHERE key = ANY(%s::bigint[])",
                [_int_array([row.key for row in rows])],
            )
        }
        records = [found.get(row.key, (None, None)) for row in rows]
        vectors = _vectors([vector for vector, _ in records])
        for row, vector, (_, links) in zip(rows, vectors, records, strict=True):
            row.vector, row.links = vector, _keys(links)

    def _by_keys(
        self, cursor, query: _Query, weighted: Mapping[str, float], keys, types, filters
    ) -> list[_Row]:
        """The allowed documents among ``keys`` with their BM25F for ``weighted``, vectors and
        neighbours (the graph's additions to the pool), in id order."""
        restriction, params = self._restrict(types, filters)
        records = _fetch(
            cursor,
            f"""SELECT id, type, grp, key, vec, links, doc_len, terms, tfs
                FROM {self.table} WHERE key = ANY(%s::bigint[]) {restriction}""",
            [_int_array(keys), *params],
        )
        records.sort(key=lambda r: r[0])
        idfs = query.idfs(weighted)
        weights = {
            query.terms[t][0]: w * idfs[t]
            for t, w in weighted.items()
            if query.terms.get(t, (None, 0))[0] is not None
        }
        scores = _exact(records, weights, query.avg_len)
        vectors = _vectors([r[4] for r in records])
        return [
            _Row(r[0], r[1], float(score), r[2], int(r[3]), vector, _keys(r[5]))
            for r, score, vector in zip(records, scores, vectors, strict=True)
        ]

    def _documents(self, cursor, rows: Sequence[_Row]) -> dict[str, Document]:
        """The documents of ``rows`` by id (those deleted meanwhile left out): as the search brought
        them with its candidates, else read in one statement."""
        texts = {row.id: row.document for row in rows if row.document is not None}
        missing = [row.key for row in rows if row.id not in texts]
        if missing:
            texts.update(
                (doc_id, _json_text(doc))
                for doc_id, doc in _fetch(
                    cursor,
                    f"SELECT id, doc FROM {self.table} WHERE key = ANY(%s::bigint[])",
                    [_int_array(missing)],
                )
            )
        return {row.id: document_from_json(texts[row.id]) for row in rows if row.id in texts}

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
        if not terms or k <= 0:
            return []
        now = time.monotonic()
        if now - self._ready_at > self.ready_seconds:
            if not self._ready():
                return []
            self._ready_at = now
        for attempt in range(3):
            try:
                return self._search(query, terms, types, filters, k, diversify, explain)
            except _Swapped:
                if attempt == 2:
                    raise
            except Exception as exc:  # a table dropped by a rebuild's swap, or by an operator
                if "does not exist" not in str(exc):
                    raise
                self._ready_at = float("-inf")
                if not self._ready():
                    return []
        return []

    def _search(self, query, terms, types, filters, k, diversify, explain) -> list[Hit]:
        settings = self.settings
        # The pool does not depend on k (unless k exceeds it): see the embedded backend. Without an
        # encoder and without diversity the pool is only cut to its k best, so only those are needed.
        limit = max(settings.candidates, k)
        if self.encoder is None and not diversify:
            limit = k
        feedback = bool(settings.prf_docs and settings.prf_terms and settings.prf_weight > 0)
        # A lexical search's candidates are few: they come with their documents (for the evidence and
        # the feedback), and the vocabulary entries the key phrases need come with the query's terms,
        # so it runs in two statements (a third only when feedback reads the lists again).
        with_documents = (explain or feedback) and self.encoder is None and limit <= 50
        lookup = evidence.key_phrase_words(self.analyzer, query) if explain else ()
        with self._cursor() as cursor:
            state, rows = self._lexical(
                cursor, None, terms, types, filters, limit, lookup, with_documents
            )
            if not rows:
                return []
            weighted: Mapping[str, float] = terms
            if feedback:
                best = rows[0].lexical
                chosen_rows = [
                    row
                    for row in rows[: settings.prf_docs]
                    if row.lexical >= settings.prf_min_share * best
                ]
                documents = self._documents(cursor, chosen_rows)

                def feedback_idfs(words):
                    self._lookup(cursor, state, words)
                    return state.idfs(words)

                extra = ranking.expansion_terms(
                    [documents[row.id] for row in chosen_rows if row.id in documents],
                    self.analyzer,
                    feedback_idfs,
                    terms,
                    settings.prf_terms,
                    settings.prf_weight,
                )
                if extra:
                    weighted = {**terms, **extra}
                    _, rows = self._lexical(
                        cursor, state, weighted, types, filters, limit, (), with_documents
                    )
            dense = None
            if self.encoder is not None:
                self._with_vectors(cursor, rows)
                dense = self._dense(cursor, state, weighted, query, rows, types, filters)
            if dense is not None:
                rows, semantic, similar = dense
                lexical = np.array([row.lexical for row in rows], dtype=np.float32)
                fused = ranking.fuse(lexical, semantic, settings.fusion_alpha)
                if settings.graph_weight > 0:
                    graph = _local_graph(rows, settings.graph_k)
                    fused = ranking.propagate(
                        fused, [(0, i) for i in range(len(rows))], graph, settings.graph_weight
                    )
            else:
                semantic = similar = None
                fused = np.array([row.lexical for row in rows], dtype=np.float32)
            order = np.argsort(-fused, kind="stable")
            chosen = ranking.diversify(list(order), [row.group for row in rows], diversify, k)
            documents = self._documents(cursor, [rows[i] for i in chosen]) if explain else {}

            def idfs_for(words):
                self._lookup(cursor, state, words)
                return state.idfs(words)

            phrases = (
                evidence.key_phrases(self.analyzer, query, idfs_for, state.n_docs)
                if explain
                else None
            )
            names = {
                key: evidence.name_phrases(document, self.analyzer, idfs_for, state.n_docs)
                for key, document in documents.items()
            }
        hits = []
        for position in chosen:
            row = rows[position]
            # -1 marks a candidate whose vector is not ready: no similarity to report.
            similarity = (
                None if similar is None or similar[position] <= -1 else float(similar[position])
            )
            if not explain:
                hits.append(Hit(row.id, row.type, float(fused[position]), [], similarity))
            elif row.id in documents:  # else deleted since the candidates were read
                hits.append(
                    ranking.make_hit(
                        documents[row.id],
                        fused[position],
                        phrases,
                        self.analyzer,
                        query,
                        similarity,
                        names[row.id],
                    )
                )
        return hits

    def _dense(
        self, cursor, state: _Query, weighted, query: str, rows: list[_Row], types, filters
    ) -> tuple[list[_Row], np.ndarray, np.ndarray] | None:
        """The candidate pool — the lexical candidates plus the stored graph neighbours of the best
        fused ones — with the dense similarity of each (-1 where no vector is ready) and each one's
        similarity to the query itself (the first is to the query moved by feedback, when
        ``dense_prf`` moves it), or None when no encoder is configured or no candidate has a vector
        yet.

        The neighbours of the best ``candidates // graph_k`` fused candidates join the pool (so at most
        ``candidates`` documents come from the graph, as many as the embedded backend's nearest-vector
        lookup adds); with ``dense_prf`` the query vector then moves towards the vectors of the best
        ``dense_prf_docs`` fused documents, each weighted by how far it leads (Rocchio feedback in the
        dense space, :func:`~kechuang.matching.pipeline.feedback_weights`), the pool is scored against
        it and the neighbours of the new best candidates join too — as the embedded backend looks up the
        nearest vectors again after its feedback.
        """
        settings = self.settings
        if self.encoder is None or not any(row.vector is not None for row in rows):
            return None

        similarities = _Similarities()

        def fused(rows: list[_Row], semantic: np.ndarray) -> np.ndarray:
            lexical = np.array([row.lexical for row in rows], dtype=np.float32)
            return ranking.fuse(lexical, semantic, settings.fusion_alpha)

        def with_neighbours(rows: list[_Row], vector: np.ndarray) -> tuple[list[_Row], np.ndarray]:
            """The pool grown by the stored neighbours of its best fused rows, scored against
            ``vector``."""
            semantic = similarities(rows, vector)
            if settings.graph_k <= 0:
                return rows, semantic
            seeds = max(settings.candidates // settings.graph_k, settings.dense_prf_docs, 1)
            known = {row.key for row in rows}
            wanted = [
                key
                for i in np.argsort(-fused(rows, semantic), kind="stable")[:seeds]
                for key in rows[i].links[: settings.graph_k].tolist()
                if key not in known
            ]
            if not wanted:
                return rows, semantic
            keys = list(dict.fromkeys(wanted))
            rows = rows + self._by_keys(cursor, state, weighted, keys, types, filters)
            return rows, similarities(rows, vector)

        q = self.encoder.encode_queries([query[:QUERY_CHARS]])[0]
        rows, semantic = with_neighbours(rows, q)
        if settings.dense_prf > 0:
            scores = fused(rows, semantic)
            feedback = [
                (scores[i], rows[i].vector)
                for i in np.argsort(-scores, kind="stable")[: max(settings.dense_prf_docs, 1)]
                if rows[i].vector is not None
            ]
            if feedback:
                weights = pipeline.feedback_weights(
                    [score for score, _ in feedback], settings.dense_prf_temperature
                )
                moved = pipeline.rocchio(q, [v for _, v in feedback], settings.dense_prf, weights)
                rows, semantic = with_neighbours(rows, moved)
                return rows, semantic, similarities(rows, q)
        return rows, semantic, semantic


def _merge(
    best_keys: np.ndarray,
    best_sims: np.ndarray,
    at: np.ndarray,
    keys: np.ndarray,
    sims: np.ndarray,
) -> None:
    """Merge a block of similarities ``sims`` (rows ``at`` of the running lists ``best_keys`` /
    ``best_sims``, most similar first, -inf where empty; columns ``keys``) into those lists, in place.
    Only the pairs above a row's current weakest neighbour count, so once the lists fill up a block
    costs one comparison per pair; among equal similarities the earlier one stays (the list's, then
    the block's in column order)."""
    k = best_keys.shape[1]
    weakest = best_sims[at, k - 1][:, None]
    passing = sims > weakest
    if sims.shape[1] > k and np.count_nonzero(passing) > 2 * k * len(at):
        # Lists still filling: first each row's k best of the block (a partial sort per row).
        best = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        best.sort(axis=1)  # column order, for the ties
        keys = np.take_along_axis(np.broadcast_to(keys, sims.shape), best, axis=1)
        sims = np.take_along_axis(sims, best, axis=1)
        passing = sims > weakest
    else:
        keys = np.broadcast_to(keys, sims.shape)
    row, column = np.nonzero(passing)
    if not len(row):
        return
    touched, row = np.unique(row, return_inverse=True)
    slots = at[touched]
    # Candidates: each touched row's current list, then its pairs from the block.
    cand_row = np.concatenate([np.repeat(np.arange(len(touched)), k), row])
    cand_key = np.concatenate([best_keys[slots].ravel(), keys[touched[row], column]])
    cand_sim = np.concatenate([best_sims[slots].ravel(), sims[touched[row], column]])
    order = np.lexsort((-cand_sim, cand_row))  # stable: ties keep their order
    cand_row, cand_key, cand_sim = cand_row[order], cand_key[order], cand_sim[order]
    start = np.searchsorted(cand_row, np.arange(len(touched)))
    rank = np.arange(len(cand_row)) - start[cand_row]
    keep = rank < k
    new_keys = best_keys[slots]
    new_sims = best_sims[slots]
    new_keys[cand_row[keep], rank[keep]] = cand_key[keep]
    new_sims[cand_row[keep], rank[keep]] = cand_sim[keep]
    best_keys[slots], best_sims[slots] = new_keys, new_sims


def _refine(
    vectors: np.ndarray,
    all_keys: np.ndarray,
    new: np.ndarray,
    slot: np.ndarray,
    best_keys: np.ndarray,
    best_sims: np.ndarray,
) -> None:
    """One round of neighbour-of-neighbour search over approximate lists (as NN-descent does): each
    row of ``new`` (its list at ``slot``) compares itself with the lists of its listed neighbours and
    keeps whichever are nearer. A neighbour's neighbours are often one's own, so this finds most of
    what the clusters missed, at ``k²`` comparisons per row."""
    for a in range(0, len(new), GRAPH_CHUNK // 4):
        rows = np.arange(a, min(a + GRAPH_CHUNK // 4, len(new)))
        listed = best_keys[rows]
        at = np.clip(np.searchsorted(all_keys, listed), 0, len(all_keys) - 1)
        slots = np.where((listed >= 0) & (all_keys[at] == listed), slot[at], -1)
        candidates = np.where(slots[:, :, None] >= 0, best_keys[slots], -1).reshape(len(rows), -1)
        candidates.sort(axis=1)
        repeated = np.zeros(candidates.shape, dtype=bool)
        repeated[:, 1:] = candidates[:, 1:] == candidates[:, :-1]
        own = all_keys[new[rows]][:, None]
        known = (candidates[:, :, None] == listed[:, None, :]).any(axis=2)
        skip = repeated | known | (candidates < 0) | (candidates == own)
        where = np.clip(np.searchsorted(all_keys, candidates), 0, len(all_keys) - 1)
        sims = np.einsum("rd,rcd->rc", vectors[new[rows]], vectors[where])
        sims[skip] = -np.inf
        _merge(best_keys, best_sims, rows, candidates, sims)


def _comparisons(vectors: np.ndarray, new: np.ndarray) -> Iterator[tuple[np.ndarray, object]]:
    """Which rows to compare with which for the graph of the rows ``new`` (positions in ``vectors``,
    ascending): ``(rows, columns)`` pairs, ``columns`` ascending positions or a slice, so that each
    row of ``new`` meets every row it may list.

    Exact (every row meets every row, :data:`GRAPH_CHUNK` rows against :data:`GRAPH_WIDE` columns at a
    time) while the pairs number at most :data:`EXACT_PAIRS`; beyond, approximate, as an inverted-file
    index does it: the rows are clustered around ``sqrt(n)`` centroids (spherical k-means on a sample),
    each row belongs to the cluster of its nearest centroid, and each row of ``new`` meets the members of
    the :data:`PROBES` clusters (a twenty-fifth of them, if more) whose centroids are nearest to it — a
    row then misses a true neighbour only when that neighbour sits in a cluster it did not search, and
    :func:`_refine` finds some of those. On the synthetic 100 k benchmark documents (whose vectors are
    means of two or three real ones, so neighbours spread over several clusters) 12 of 316 clusters
    found 60 % of the exact lists' members, 66 % after the refinement, in 42 s against 180 s for the
    exact lists."""
    n = len(vectors)
    if len(new) * n <= EXACT_PAIRS:
        for a in range(0, len(new), GRAPH_CHUNK):
            for b in range(0, n, GRAPH_WIDE):
                yield new[a : a + GRAPH_CHUNK], slice(b, min(b + GRAPH_WIDE, n))
        return
    rng = np.random.default_rng(0)
    clusters = max(int(np.sqrt(n)), PROBES)
    probes = max(PROBES, clusters // 25)  # a twenty-fifth of the rows at least, whatever n
    sample = vectors[rng.choice(n, min(n, 40 * clusters), replace=False)]
    centroids = sample[rng.choice(len(sample), clusters, replace=False)]
    for _ in range(8):
        nearest = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, nearest, sample)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centroids = np.where(norms > 0, sums / np.maximum(norms, 1e-12), centroids)
    home = np.empty(n, dtype=np.int64)  # each row's cluster
    searched = np.empty((len(new), probes), dtype=np.int64)  # the clusters each new row searches
    for a in range(0, n, GRAPH_CHUNK):
        home[a : a + GRAPH_CHUNK] = np.argmax(vectors[a : a + GRAPH_CHUNK] @ centroids.T, axis=1)
    for a in range(0, len(new), GRAPH_CHUNK):
        scores = vectors[new[a : a + GRAPH_CHUNK]] @ centroids.T
        searched[a : a + GRAPH_CHUNK] = np.argpartition(-scores, probes - 1, axis=1)[:, :probes]
    members = np.argsort(home, kind="stable")
    bounds = np.searchsorted(home[members], np.arange(clusters + 1))
    searching = np.argsort(searched.ravel(), kind="stable")
    edges = np.searchsorted(searched.ravel()[searching], np.arange(clusters + 1))
    for c in range(clusters):
        columns = members[bounds[c] : bounds[c + 1]]
        rows = new[searching[edges[c] : edges[c + 1]] // probes]
        if len(columns) and len(rows):
            for a in range(0, len(rows), GRAPH_CHUNK):
                yield rows[a : a + GRAPH_CHUNK], columns


class _Similarities:
    """Dense similarities of a growing pool (rows are only ever appended to it): its vectors are
    stacked into one matrix once, each call adding the rows appended since the last."""

    def __init__(self) -> None:
        self.seen = 0
        self.present: list[int] = []
        self.matrix: np.ndarray | None = None

    def __call__(self, rows: Sequence[_Row], query_vector: np.ndarray) -> np.ndarray:
        """Each row's similarity to ``query_vector``, -1 where the row has no vector yet."""
        new = [i for i in range(self.seen, len(rows)) if rows[i].vector is not None]
        if new:
            block = np.stack([rows[i].vector for i in new])
            self.matrix = block if self.matrix is None else np.concatenate([self.matrix, block])
            self.present += new
        self.seen = len(rows)
        semantic = np.full(len(rows), -1.0, dtype=np.float32)
        if self.present:
            semantic[self.present] = self.matrix @ query_vector
        return semantic


def _local_graph(rows: Sequence[_Row], k: int) -> np.ndarray:
    """The stored neighbour lists as a graph over pool positions for
    :func:`~kechuang.matching.ranking.propagate`: ``(n, k)`` positions, -1 where the neighbour is not in
    the pool (it counts as scoring 0, as on the embedded backend). Every neighbour counts the same, as
    there (weighting them by similarity gained nothing on the CSL sets)."""
    k = max(k, 1)
    links = np.full((len(rows), k), -1, dtype=np.int64)
    for i, row in enumerate(rows):
        found = row.links[:k]
        links[i, : len(found)] = found
    keys = np.array([row.key for row in rows], dtype=np.int64)
    order = np.argsort(keys)
    at = np.clip(np.searchsorted(keys[order], links), 0, len(rows) - 1)
    return np.where((keys[order][at] == links) & (links >= 0), order[at], -1)


# Binary COPY pieces (big-endian): the header, a row's field count and first field's length, an int8
# field then the next field's length, and so on; the trailer.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_COPY_TRAILER = struct.pack("!h", -1)
_ROW_HEAD = struct.Struct("!hi")
_KEY = struct.Struct("!iqi")
_FLOAT = struct.Struct("!ifi")
_LEN = struct.Struct("!i")
_BLOCK_HEAD = struct.Struct("!hiiiii")
_TEXT_OID = 25


def _stable_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` of non-negative integers below 2**32, as two radix passes
    over 16-bit halves (numpy sorts 16-bit keys by radix): a third of the time at millions."""
    low = np.argsort((values & 0xFFFF).astype(np.uint16), kind="stable")
    high = (values[low] >> 16).astype(np.uint16)
    return low[np.argsort(high, kind="stable")]


def _text_array(values: Sequence[str]) -> bytes:
    """A ``text[]`` field (its length, then the value) in binary COPY format."""
    if not values:
        body = struct.pack("!iii", 0, 0, _TEXT_OID)
    else:
        encoded = [v.encode() for v in values]
        body = struct.pack("!iiiii", 1, 0, _TEXT_OID, len(encoded), 1) + b"".join(
            struct.pack("!i", len(e)) + e for e in encoded
        )
    return struct.pack("!i", len(body)) + body


def _int_array(values) -> str:
    """An integer array literal: much cheaper for the client-side cursor than a list of numbers."""
    return "{" + ",".join(map(str, np.asarray(values).tolist())) + "}"


def _text(value: str) -> str:
    """A text value in COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t")
        return value.replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copier(cursor):
    """``copy(statement)`` → a context manager with ``write_row``: psycopg's COPY where the cursor has
    it, else batched ``executemany`` inserts (any DB-API driver)."""
    if hasattr(cursor, "copy"):
        return cursor.copy

    class _Inserts:
        def __init__(self, statement: str) -> None:
            head = statement.split(" FROM STDIN")[0].replace("COPY", "INSERT INTO", 1)
            self.columns = head[head.index("(") + 1 : head.index(")")].count(",") + 1
            self.sql = f"{head} VALUES ({', '.join(['%s'] * self.columns)})"
            self.rows: list[Sequence[object]] = []

        def __enter__(self):
            return self

        def write_row(self, row: Sequence[object]) -> None:
            self.rows.append(row)
            if len(self.rows) >= BATCH:
                cursor.executemany(self.sql, self.rows)
                self.rows = []

        def __exit__(self, *exc) -> None:
            if self.rows and exc[0] is None:
                cursor.executemany(self.sql, self.rows)

    return _Inserts


def _json_text(value: object) -> str:
    """psycopg returns jsonb decoded; other drivers may return text."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
