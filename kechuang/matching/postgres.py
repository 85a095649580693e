"""The PostgreSQL backend: full-text candidates from a GIN-indexed ``tsvector`` of pre-segmented tokens,
ranked like the embedded backend — BM25F, dense fusion, dense query feedback and score propagation over a
k-nearest-neighbour document graph stored in the table.

Plain Python over a DB-API cursor: ``options["CURSOR"]`` returns a cursor context manager (the Django glue
passes ``django.db.connection.cursor``) and ``options["ATOMIC"]`` a transaction context manager;
``options["TABLE"]`` names the table (default ``matching_document``; benchmarks use a scratch one). The
table is created, and older tables gain the graph columns, by :meth:`PostgresBackend.setup`
(``… IF NOT EXISTS``), so the backend needs no migration and SQLite deployments never see it.

Tokens are segmented by the same :class:`~kechuang.matching.text.Analyzer` as the embedded backend and cast
to ``tsvector`` as exact lexemes (``'pro/toolkit'`` stays one lexeme; a text-search parser would split it),
each with a weight class A–D from its field weight.

Without a vector index (pgvector is not available everywhere), the dense side works from the graph: each
embedded row stores its ``graph_k`` nearest embedded rows (``neighbours``) and their similarities
(``neighbour_sims``, which keep the lists exact as documents are added), computed by
:meth:`PostgresBackend.embed_pending` as rows are encoded. A search's
candidate pool is the lexical candidates plus the stored neighbours of the best fused ones — documents of
the query's field that share no word with it — fetched in one query; dense query feedback then re-scores
the pool with the moved query vector and scores propagate along the stored neighbours within the pool.

Guarantees: a rebuild replaces the rows in one transaction, so readers see the old index until it commits;
searches rank with the same BM25F, fusion, feedback, propagation, diversity and evidence code as the
embedded backend, with the same :class:`~kechuang.matching.base.Settings`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

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
from kechuang.matching.segment import analyse, document_from_json, document_to_json

TABLE = "matching_document"
BATCH = 500
# Rows per graph pass: the rows being linked are held at once, the others stream by in blocks.
GRAPH_CHUNK = 4096
GRAPH_BLOCK = 2048
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")
# A row's BM25F for the searched terms (``ranking.bm25_scores``' formula, computed where the term
# frequencies are): parameters k1·(1 − b), k1·b / average length, the terms, and weight · idf · (k1 + 1)
# of each.
_BM25 = """(SELECT coalesce(sum(q.c * v.f / (v.f + %s + %s * doc_len)), 0)
    FROM unnest(%s::text[], %s::float8[]) AS q(t, c), LATERAL (SELECT (tf ->> q.t)::float8 AS f) AS v
    WHERE v.f IS NOT NULL)"""
# What a search reads of a row; the vector as array_send bytes, about 3× faster to read than real[] text.
_COLUMNS = f"id, type, {_BM25} AS lexical, grp, array_send(vector), neighbours"


def schema(table: str) -> list[str]:
    """The statements creating ``table`` and its indexes, or adding what an older table lacks."""
    return [
        f"""CREATE TABLE IF NOT EXISTS {table} (
            id text PRIMARY KEY,
            type text NOT NULL,
            doc jsonb NOT NULL,
            tf jsonb NOT NULL,
            doc_len real NOT NULL,
            tsv tsvector NOT NULL,
            filters text[] NOT NULL,
            grp text NOT NULL,
            vector real[]
        )""",
        # Added after the first release: ALTER … IF NOT EXISTS upgrades existing tables in place.
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS neighbours text[]",
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS neighbour_sims real[]",
        f"CREATE INDEX IF NOT EXISTS {table}_tsv ON {table} USING GIN (tsv)",
        f"CREATE INDEX IF NOT EXISTS {table}_filters ON {table} USING GIN (filters)",
        f"CREATE INDEX IF NOT EXISTS {table}_type ON {table} (type)",
    ]


def _lexeme(term: str) -> str:
    """A tsvector/tsquery lexeme literal: quoted, with quotes and backslashes escaped."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _weight_class(weight: float) -> str:
    return "A" if weight >= 3 else "B" if weight >= 2 else "C" if weight >= 1 else "D"


def _vector(data: bytes | memoryview | None) -> np.ndarray | None:
    """A ``real[]`` read through ``array_send``: a 20-byte header (one dimension), then each element as
    a 4-byte length and a big-endian float4."""
    if data is None:
        return None
    return np.frombuffer(data, dtype=">f4", offset=20)[1::2].astype(np.float32)


@dataclass
class _Row:
    """A row as a search reads it, with its BM25F for the query (its document JSON is fetched only for
    the hits shown)."""

    id: str
    type: str
    lexical: float
    group: str
    vector: np.ndarray | None
    neighbours: list[str]

    @classmethod
    def read(cls, record: Sequence[object]) -> _Row:
        doc_id, doc_type, lexical, group, vector, neighbours = record
        return cls(doc_id, doc_type, float(lexical), group, _vector(vector), list(neighbours or ()))


class PostgresBackend(SearchBackend):
    """Candidates from PostgreSQL full-text search and the stored document graph, ranked by the shared
    ranking code."""

    stats_seconds = 10.0

    def __init__(self, options: Mapping[str, object] | None = None) -> None:
        super().__init__(options)
        if "CURSOR" not in self.options:
            raise ValueError("the postgres backend needs options['CURSOR'] (a cursor factory)")
        self.table = str(self.options.get("TABLE") or TABLE)
        if not _IDENTIFIER.match(self.table):
            raise ValueError(f"invalid table name {self.table!r}")
        self.analyzer = analyzer_from_options(self.options)
        self.encoder = encoder_from_options(self.options)
        self.settings = Settings.from_options(self.options)
        self._stats: tuple[float, int, float] | None = None
        self._document_frequencies: dict[str, int] = {}

    def _cursor(self):
        return self.options["CURSOR"]()

    def _atomic(self):
        atomic = self.options.get("ATOMIC")
        return atomic() if atomic else nullcontext()

    def setup(self) -> None:
        """Create the table and its indexes if they are missing; add the columns an older table lacks."""
        with self._cursor() as cursor:
            for statement in schema(self.table):
                cursor.execute(statement)

    def exists(self) -> bool:
        with self._cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [self.table])
            return bool(cursor.fetchone()[0])

    def check(self) -> None:
        if not self.exists():
            raise IndexUnavailable(f"table {self.table} is missing")

    def drop(self) -> None:
        """Remove the table (benchmarks drop their scratch table with this)."""
        with self._cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")

    # --- writing --------------------------------------------------------------------------------

    def _row(self, doc: Document) -> list[object]:
        tf, length = analyse(doc, self.analyzer)
        best_field: dict[str, float] = {}
        for name, text in doc.fields.items():
            weight = float(doc.weights.get(name, 1.0))
            for token in set(self.analyzer.tokens(text or "")):
                best_field[token] = max(best_field.get(token, 0.0), weight)
        # Positions are not used for ranking: each lexeme gets position 1 and its best field's class.
        tsv = " ".join(f"{_lexeme(t)}:1{_weight_class(w)}" for t, w in best_field.items())
        filters = [f"{attr}={value}" for attr, values in doc.filters.items() for value in values]
        return [
            doc.id,
            doc.type,
            document_to_json(doc),
            json.dumps(tf, ensure_ascii=False),
            length,
            tsv,
            filters,
            doc.group,
        ]

    def _upsert(self, cursor, docs: Sequence[Document]) -> None:
        rows = [self._row(d) for d in docs]
        table = self.table
        # A changed document loses its vector and its neighbours until it is encoded again.
        cursor.executemany(
            f"""INSERT INTO {table} (id, type, doc, tf, doc_len, tsv, filters, grp)
                VALUES (%s, %s, %s::jsonb, %s::jsonb, %s, %s::tsvector, %s, %s)
                ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, doc = EXCLUDED.doc,
                    tf = EXCLUDED.tf, doc_len = EXCLUDED.doc_len, tsv = EXCLUDED.tsv,
                    filters = EXCLUDED.filters, grp = EXCLUDED.grp,
                    vector = CASE WHEN {table}.doc = EXCLUDED.doc THEN {table}.vector END,
                    neighbours = CASE WHEN {table}.doc = EXCLUDED.doc THEN {table}.neighbours END,
                    neighbour_sims =
                        CASE WHEN {table}.doc = EXCLUDED.doc THEN {table}.neighbour_sims END""",
            rows,
        )

    def index(self, documents: Iterable[Document]) -> None:
        docs = list(documents)
        self.setup()
        with self._atomic(), self._cursor() as cursor:
            for start in range(0, len(docs), BATCH):
                self._upsert(cursor, docs[start : start + BATCH])
        self._stats = None

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if not ids or not self.exists():
            return
        with self._cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE id = ANY(%s)", [ids])
        self._stats = None

    def rebuild(
        self,
        documents: Iterable[Document],
        total: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.setup()
        done = 0
        with self._atomic(), self._cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table}")
            batch: list[Document] = []
            for doc in documents:
                batch.append(doc)
                if len(batch) == BATCH:
                    self._upsert(cursor, batch)
                    done += len(batch)
                    batch = []
                    if progress:
                        progress(done, total or done)
            self._upsert(cursor, batch)
            done += len(batch)
        with self._cursor() as cursor:
            # Fresh statistics, so the planner picks the GIN index for term lookups.
            cursor.execute(f"ANALYZE {self.table}")
        if progress:
            progress(done, total or done)
        self._stats = None

    def embed_pending(
        self,
        limit: int | None = None,
        batch: int = 16,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Encode rows without a vector, a page at a time, and link each page into the document graph
        (see :meth:`_link`); returns how many were encoded, reporting ``progress(done, total)`` after
        each page. Searches use each vector once written."""
        if self.encoder is None or not self._ready():
            return 0
        with self._cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {self.table} WHERE vector IS NULL")
            total = int(cursor.fetchone()[0])
        if limit is not None:
            total = min(total, limit)
        done = 0
        last = ""
        while limit is None or done < limit:
            page = GRAPH_CHUNK if limit is None else min(GRAPH_CHUNK, limit - done)
            with self._cursor() as cursor:
                cursor.execute(
                    f"""SELECT id, doc FROM {self.table} WHERE vector IS NULL AND id > %s
                        ORDER BY id LIMIT %s""",
                    [last, page],
                )
                pending = cursor.fetchall()
            if not pending:
                break
            last = pending[-1][0]
            for start in range(0, len(pending), batch):
                chunk = pending[start : start + batch]
                docs = [document_from_json(_json_text(doc)) for _, doc in chunk]
                vectors = self.encoder.encode_passages([passage_text(d) for d in docs])
                with self._cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {self.table} SET vector = %s WHERE id = %s",
                        [[v.tolist(), i] for (i, _), v in zip(chunk, vectors, strict=True)],
                    )
            self._link([doc_id for doc_id, _ in pending])
            done += len(pending)
            if progress is not None:
                progress(done, max(total, done))
        return done

    def build_graph(self) -> int:
        """Recompute every embedded row's neighbours from scratch; returns how many rows were linked.
        :meth:`embed_pending` keeps the graph up to date as documents are added; this also drops what
        deletions and re-encoded documents left behind in other rows' lists."""
        if not self._ready():
            return 0
        linked = 0
        last = ""
        while True:
            with self._cursor() as cursor:
                cursor.execute(
                    f"""SELECT id FROM {self.table} WHERE vector IS NOT NULL AND id > %s
                        ORDER BY id LIMIT %s""",
                    [last, GRAPH_CHUNK],
                )
                ids = [doc_id for (doc_id,) in cursor.fetchall()]
            if not ids:
                return linked
            self._link(ids, refresh_others=False)
            linked += len(ids)
            last = ids[-1]

    def _blocks(self, extra_columns: str = "") -> Iterator[tuple[list[str], np.ndarray, list]]:
        """Every embedded row's id and vector (plus ``extra_columns``), :data:`GRAPH_BLOCK` rows at a
        time in id order (keyset pagination, so memory stays bounded and any DB-API cursor works)."""
        last = ""
        while True:
            with self._cursor() as cursor:
                cursor.execute(
                    f"""SELECT id, array_send(vector){extra_columns} FROM {self.table}
                        WHERE vector IS NOT NULL AND id > %s ORDER BY id LIMIT %s""",
                    [last, GRAPH_BLOCK],
                )
                records = cursor.fetchall()
            if not records:
                return
            last = records[-1][0]
            yield [r[0] for r in records], np.stack([_vector(r[1]) for r in records]), records

    def _link(self, ids: Sequence[str], refresh_others: bool = True) -> None:
        """Give the embedded rows among ``ids`` their ``graph_k`` nearest embedded rows (one pass over
        the table's vectors). With ``refresh_others`` every other row whose own list one of them now
        belongs in takes it in as well, so adding documents keeps the graph exact."""
        k = self.settings.graph_k
        if k <= 0 or not ids:
            return
        with self._cursor() as cursor:
            cursor.execute(
                f"SELECT id, array_send(vector) FROM {self.table} "
                "WHERE id = ANY(%s) AND vector IS NOT NULL",
                [list(ids)],
            )
            records = cursor.fetchall()
        if not records:
            return
        new_ids = np.array([r[0] for r in records], dtype=object)
        position = {doc_id: i for i, doc_id in enumerate(new_ids)}
        queries = np.stack([_vector(r[1]) for r in records])
        best_ids, best_sims = pipeline.empty_nearest(len(new_ids), k)
        refreshed: list[list[object]] = []
        extra = ", neighbours, neighbour_sims" if refresh_others else ""
        for block_ids, vectors, block in self._blocks(extra):
            sims = queries @ vectors.T
            own = [(position[d], j) for j, d in enumerate(block_ids) if d in position]
            if own:
                rows, columns = zip(*own, strict=True)
                sims[list(rows), list(columns)] = -np.inf  # a row is not its own neighbour
            best_ids, best_sims = pipeline.merge_nearest(
                best_ids, best_sims, np.array(block_ids, dtype=object), sims, k
            )
            if refresh_others:
                refreshed += self._refreshed_lists(block, new_ids, position, sims, k)
        updates = [
            [doc_id, *self._list(best_ids[i], best_sims[i])] for i, doc_id in enumerate(new_ids)
        ]
        with self._cursor() as cursor:
            cursor.executemany(
                f"UPDATE {self.table} SET neighbours = %s, neighbour_sims = %s WHERE id = %s",
                [[names, sims, doc_id] for doc_id, names, sims in updates + refreshed],
            )

    def _refreshed_lists(self, block, new_ids, position, sims, k: int) -> list[list[object]]:
        """For the streamed rows not being linked, the lists that gain one of the new rows: those whose
        weakest neighbour is less similar than their best new row (or that have room left)."""
        others = [j for j, record in enumerate(block) if record[0] not in position]
        if not others:
            return []
        # A re-encoded row may still be listed with its old similarity: it is offered afresh instead.
        lists = [
            [
                (name, value)
                for name, value in zip(block[j][2] or (), block[j][3] or (), strict=False)
                if name not in position
            ][:k]
            for j in others
        ]
        kth = np.array(
            [min(v for _, v in pairs) if len(pairs) >= k else -np.inf for pairs in lists],
            dtype=np.float32,
        )
        gains = np.flatnonzero(sims[:, others].max(axis=0) > kth)
        if not len(gains):
            return []
        changed = [others[g] for g in gains]
        current_ids, current_sims = pipeline.empty_nearest(len(changed), k)
        for row, g in enumerate(gains):
            for column, (name, value) in enumerate(lists[g]):
                current_ids[row, column], current_sims[row, column] = name, value
        merged_ids, merged_sims = pipeline.merge_nearest(
            current_ids, current_sims, new_ids, sims[:, changed].T, k
        )
        return [
            [block[j][0], *self._list(merged_ids[row], merged_sims[row])]
            for row, j in enumerate(changed)
        ]

    @staticmethod
    def _list(ids: np.ndarray, sims: np.ndarray) -> tuple[list[str], list[float]]:
        """A neighbour list as stored: the filled entries, most similar first."""
        filled = np.isfinite(sims)
        return [str(i) for i in ids[filled]], [float(s) for s in sims[filled]]

    def count(self, types: Sequence[str] | None = None) -> int:
        if not self.exists():
            return 0
        with self._cursor() as cursor:
            if types is None:
                cursor.execute(f"SELECT count(*) FROM {self.table}")
            else:
                cursor.execute(
                    f"SELECT count(*) FROM {self.table} WHERE type = ANY(%s)", [list(types)]
                )
            return int(cursor.fetchone()[0])

    def status(self) -> dict[str, object]:
        if not self._ready():
            return {"backend": "postgres", "documents": 0}
        with self._cursor() as cursor:
            cursor.execute(f"SELECT count(*), count(vector), count(neighbours) FROM {self.table}")
            documents, vectors, linked = cursor.fetchone()
        return {
            "backend": "postgres",
            "documents": documents,
            "vectors_ready": vectors,
            "vectors_pending": documents - vectors,
            "graph_rows": linked,
            "encoder": self.encoder.name if self.encoder else None,
        }

    # --- search ---------------------------------------------------------------------------------

    def _ready(self) -> bool:
        """Whether the table exists; a table of an older release gains the graph columns first."""
        with self._cursor() as cursor:
            cursor.execute(
                """SELECT to_regclass(%s) IS NOT NULL, (SELECT count(*) FROM pg_attribute
                    WHERE attrelid = to_regclass(%s) AND NOT attisdropped
                    AND attname IN ('neighbours', 'neighbour_sims'))""",
                [self.table, self.table],
            )
            exists, graph_columns = cursor.fetchone()
        if exists and graph_columns < 2:
            self.setup()
        return bool(exists)

    def _collection_stats(self, cursor) -> tuple[int, float]:
        """The document count and mean length, re-read at most every :attr:`stats_seconds` (and after
        this process changed the index); the document frequencies cached with them are dropped then."""
        if self._stats is None or time.monotonic() - self._stats[0] > self.stats_seconds:
            cursor.execute(f"SELECT count(*), coalesce(avg(doc_len), 1) FROM {self.table}")
            n, avg_len = cursor.fetchone()
            self._stats = (time.monotonic(), int(n), float(avg_len) or 1.0)
            self._document_frequencies = {}
        return self._stats[1], self._stats[2]

    def _idfs(self, cursor, n_docs: int, terms: Sequence[str]) -> dict[str, float]:
        """The idf of each term, counting only the terms not looked up since the statistics were last
        read (queries share most of their terms, and a count over the GIN index is not free)."""
        known = self._document_frequencies
        missing = [t for t in terms if t not in known]
        if missing:
            cursor.execute(
                f"""SELECT t, (SELECT count(*) FROM {self.table} WHERE tsv @@ t::tsquery)
                    FROM unnest(%s::text[]) AS t""",
                [[_lexeme(t) for t in missing]],
            )
            counts = {lexeme: int(df) for lexeme, df in cursor.fetchall()}
            known.update({t: counts.get(_lexeme(t), 0) for t in missing})
        return {t: ranking.idf(n_docs, known[t]) for t in terms}

    def _select(
        self,
        cursor,
        scoring: list[object],
        condition: str,
        params: Sequence[object],
        types,
        filters,
        limit: int | None = None,
    ) -> list[_Row]:
        """The rows meeting ``condition`` and the search's type and filter restrictions, scored with
        ``scoring`` (the parameters of :data:`_BM25`); with ``limit``, only the best scoring ones."""
        sql = [f"SELECT {_COLUMNS} FROM {self.table} WHERE {condition}"]
        params = [*scoring, *params]
        if types is not None:
            sql.append("AND type = ANY(%s)")
            params.append(list(types))
        for attribute, values in (filters or {}).items():
            sql.append("AND filters && %s")
            params.append([f"{attribute}={v}" for v in values])
        if limit is not None:
            sql.append("ORDER BY lexical DESC, id LIMIT %s")
            params.append(limit)
        cursor.execute(" ".join(sql), params)
        return [_Row.read(record) for record in cursor.fetchall()]

    def _scoring(
        self, cursor, weighted: Mapping[str, float], n_docs: int, avg_len: float
    ) -> list[object]:
        """The parameters of :data:`_BM25` for these weighted terms."""
        idfs = self._idfs(cursor, n_docs, list(weighted))
        k1, b = ranking.K1, ranking.B
        return [
            k1 * (1 - b),
            k1 * b / avg_len,
            list(weighted),
            [weight * idfs[term] * (k1 + 1) for term, weight in weighted.items()],
        ]

    def _candidates(self, cursor, weighted, scoring, types, filters, limit: int) -> list[_Row]:
        """The ``limit`` best BM25F matches of any of the terms — the same candidates as the embedded
        backend's (an ordering by ``ts_rank``, which knows no idf, missed a good share of them)."""
        query = " | ".join(_lexeme(t) for t in weighted)
        return self._select(cursor, scoring, "tsv @@ %s::tsquery", [query], types, filters, limit)

    def _documents(self, cursor, ids: Sequence[str]) -> dict[str, Document]:
        cursor.execute(f"SELECT id, doc FROM {self.table} WHERE id = ANY(%s)", [list(ids)])
        return {doc_id: document_from_json(_json_text(doc)) for doc_id, doc in cursor.fetchall()}

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
        if not terms or k <= 0 or not self._ready():
            return []
        settings = self.settings
        # The pool does not depend on k (unless k exceeds it): see the embedded backend.
        limit = max(settings.candidates, k)
        with self._cursor() as cursor:
            n_docs, avg_len = self._collection_stats(cursor)
            scoring = self._scoring(cursor, terms, n_docs, avg_len)
            rows = self._candidates(cursor, terms, scoring, types, filters, limit)
            if not rows:
                return []
            extra: dict[str, float] = {}
            if settings.prf_docs and settings.prf_terms and settings.prf_weight > 0:
                best = rows[0].lexical
                chosen_ids = [
                    row.id
                    for row in rows[: settings.prf_docs]
                    if row.lexical >= settings.prf_min_share * best
                ]
                documents = self._documents(cursor, chosen_ids)
                extra = ranking.expansion_terms(
                    [documents[i] for i in chosen_ids if i in documents],
                    self.analyzer,
                    lambda words: self._idfs(cursor, n_docs, words),
                    terms,
                    settings.prf_terms,
                    settings.prf_weight,
                )
                if extra:
                    weighted = {**terms, **extra}
                    scoring = self._scoring(cursor, weighted, n_docs, avg_len)
                    rows = self._candidates(cursor, weighted, scoring, types, filters, limit)
            dense = self._dense(cursor, query, rows, scoring, types, filters)
            if dense is not None:
                rows, semantic = dense
                lexical = np.array([row.lexical for row in rows], dtype=np.float32)
                fused = ranking.fuse(lexical, semantic, settings.fusion_alpha)
                if settings.graph_weight > 0:
                    graph = _local_graph(rows, settings.graph_k)
                    fused = ranking.propagate(
                        fused, [(0, i) for i in range(len(rows))], graph, settings.graph_weight
                    )
            else:
                semantic = None
                fused = np.array([row.lexical for row in rows], dtype=np.float32)
            order = np.argsort(-fused, kind="stable")
            chosen = ranking.diversify(list(order), [row.group for row in rows], diversify, k)
            documents = self._documents(cursor, [rows[i].id for i in chosen]) if explain else {}

            def idfs_for(words):
                return self._idfs(cursor, n_docs, words)

            phrases = evidence.key_phrases(self.analyzer, query, idfs_for) if explain else None
            names = {
                key: evidence.name_phrases(document, self.analyzer, idfs_for)
                for key, document in documents.items()
            }
        hits = []
        for position in chosen:
            row = rows[position]
            # -1 marks a candidate whose vector is not ready: no similarity to report.
            similarity = (
                None if semantic is None or semantic[position] <= -1 else float(semantic[position])
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
        self, cursor, query: str, rows: list[_Row], scoring: list[object], types, filters
    ) -> tuple[list[_Row], np.ndarray] | None:
        """The candidate pool — the lexical candidates plus the stored graph neighbours of the best
        fused ones — with the dense similarity of each (-1 where no vector is ready), or None when no
        encoder is configured or no candidate has a vector yet.

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

        def fused(rows: list[_Row], semantic: np.ndarray) -> np.ndarray:
            lexical = np.array([row.lexical for row in rows], dtype=np.float32)
            return ranking.fuse(lexical, semantic, settings.fusion_alpha)

        def with_neighbours(rows: list[_Row], vector: np.ndarray) -> tuple[list[_Row], np.ndarray]:
            """The pool grown by the stored neighbours of its best fused rows, scored against
            ``vector``."""
            semantic = _similarities(rows, vector)
            if settings.graph_k <= 0:
                return rows, semantic
            seeds = max(settings.candidates // settings.graph_k, settings.dense_prf_docs, 1)
            known = {row.id for row in rows}
            wanted = [
                name
                for i in np.argsort(-fused(rows, semantic), kind="stable")[:seeds]
                for name in rows[i].neighbours[: settings.graph_k]
                if name not in known
            ]
            if not wanted:
                return rows, semantic
            ids = list(dict.fromkeys(wanted))
            rows = rows + self._select(cursor, scoring, "id = ANY(%s)", [ids], types, filters)
            return rows, _similarities(rows, vector)

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
        return rows, semantic


def _similarities(rows: Sequence[_Row], query_vector: np.ndarray) -> np.ndarray:
    """Dense similarity of each row to the query vector, -1 where the row has no vector yet."""
    return np.array(
        [-1.0 if row.vector is None else float(row.vector @ query_vector) for row in rows],
        dtype=np.float32,
    )


def _local_graph(rows: Sequence[_Row], k: int) -> np.ndarray:
    """The stored neighbour lists as a graph over pool positions for
    :func:`~kechuang.matching.ranking.propagate`: ``(n, k)`` positions, -1 where the neighbour is not in
    the pool (it counts as scoring 0, as on the embedded backend). Every neighbour counts the same, as
    there (weighting them by similarity gained nothing on the CSL sets)."""
    position = {row.id: i for i, row in enumerate(rows)}
    graph = np.full((len(rows), max(k, 1)), -1, dtype=np.int64)
    for i, row in enumerate(rows):
        for j, name in enumerate(row.neighbours[:k]):
            graph[i, j] = position.get(name, -1)
    return graph


def _json_text(value: object) -> str:
    """psycopg returns jsonb decoded; other drivers may return text."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
