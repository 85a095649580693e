"""The PostgreSQL backend: full-text candidates from a GIN-indexed ``tsvector`` of pre-segmented tokens,
re-ranked with the engine's BM25F and, where vectors exist, fused with dense similarity.

Plain Python over a DB-API cursor: ``options["CURSOR"]`` returns a cursor context manager (the Django glue
passes ``django.db.connection.cursor``) and ``options["ATOMIC"]`` a transaction context manager. The table
is created by :meth:`PostgresBackend.setup` (``CREATE … IF NOT EXISTS``), so the backend needs no
migration and SQLite deployments never see it.

Tokens are segmented by the same :class:`~kechuang.matching.text.Analyzer` as the embedded backend and cast
to ``tsvector`` as exact lexemes (``'pro/toolkit'`` stays one lexeme; a text-search parser would split it),
each with a weight class A–D from its field weight. Guarantees: a rebuild replaces the rows in one
transaction, so readers see the old index until it commits; searches rank with the same BM25F, fusion,
diversity and evidence code as the embedded backend.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext

import numpy as np

from kechuang.matching import ranking
from kechuang.matching.base import Document, Hit, ProgressCallback, SearchBackend, Settings
from kechuang.matching.embedded import (
    IndexUnavailable,
    analyzer_from_options,
    encoder_from_options,
    passage_text,
)
from kechuang.matching.segment import analyse, document_from_json, document_to_json

TABLE = "matching_document"
SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
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
    f"CREATE INDEX IF NOT EXISTS {TABLE}_tsv ON {TABLE} USING GIN (tsv)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_filters ON {TABLE} USING GIN (filters)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_type ON {TABLE} (type)",
]
BATCH = 500


def _lexeme(term: str) -> str:
    """A tsvector/tsquery lexeme literal: quoted, with quotes and backslashes escaped."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _weight_class(weight: float) -> str:
    return "A" if weight >= 3 else "B" if weight >= 2 else "C" if weight >= 1 else "D"


class PostgresBackend(SearchBackend):
    """Candidates from PostgreSQL full-text search, ranked by the shared ranking code."""

    stats_seconds = 10.0

    def __init__(self, options: Mapping[str, object] | None = None) -> None:
        super().__init__(options)
        if "CURSOR" not in self.options:
            raise ValueError("the postgres backend needs options['CURSOR'] (a cursor factory)")
        self.analyzer = analyzer_from_options(self.options)
        self.encoder = encoder_from_options(self.options)
        self.settings = Settings.from_options(self.options)
        self._stats: tuple[float, int, float] | None = None

    def _cursor(self):
        return self.options["CURSOR"]()

    def _atomic(self):
        atomic = self.options.get("ATOMIC")
        return atomic() if atomic else nullcontext()

    def setup(self) -> None:
        """Create the table and its indexes if they are missing."""
        with self._cursor() as cursor:
            for statement in SCHEMA:
                cursor.execute(statement)

    def exists(self) -> bool:
        with self._cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
            return bool(cursor.fetchone()[0])

    def check(self) -> None:
        if not self.exists():
            raise IndexUnavailable(f"table {TABLE} is missing")

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
        cursor.executemany(
            f"""INSERT INTO {TABLE} (id, type, doc, tf, doc_len, tsv, filters, grp)
                VALUES (%s, %s, %s::jsonb, %s::jsonb, %s, %s::tsvector, %s, %s)
                ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, doc = EXCLUDED.doc,
                    tf = EXCLUDED.tf, doc_len = EXCLUDED.doc_len, tsv = EXCLUDED.tsv,
                    filters = EXCLUDED.filters, grp = EXCLUDED.grp,
                    vector = CASE WHEN {TABLE}.doc = EXCLUDED.doc THEN {TABLE}.vector END""",
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
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = ANY(%s)", [ids])
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
            cursor.execute(f"DELETE FROM {TABLE}")
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
        if progress:
            progress(done, total or done)
        self._stats = None

    def embed_pending(self, limit: int | None = None, batch: int = 16) -> int:
        """Encode rows without a vector; returns how many were encoded."""
        if self.encoder is None or not self.exists():
            return 0
        with self._cursor() as cursor:
            cursor.execute(
                f"SELECT id, doc FROM {TABLE} WHERE vector IS NULL ORDER BY id LIMIT %s",
                [limit if limit is not None else 10**9],
            )
            pending = cursor.fetchall()
        for start in range(0, len(pending), batch):
            chunk = pending[start : start + batch]
            docs = [document_from_json(_json_text(doc)) for _, doc in chunk]
            vectors = self.encoder.encode_passages([passage_text(d) for d in docs])
            with self._cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {TABLE} SET vector = %s WHERE id = %s",
                    [[v.tolist(), doc_id] for (doc_id, _), v in zip(chunk, vectors, strict=True)],
                )
        return len(pending)

    def count(self, types: Sequence[str] | None = None) -> int:
        if not self.exists():
            return 0
        with self._cursor() as cursor:
            if types is None:
                cursor.execute(f"SELECT count(*) FROM {TABLE}")
            else:
                cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE type = ANY(%s)", [list(types)])
            return int(cursor.fetchone()[0])

    def status(self) -> dict[str, object]:
        if not self.exists():
            return {"backend": "postgres", "documents": 0}
        with self._cursor() as cursor:
            cursor.execute(f"SELECT count(*), count(vector) FROM {TABLE}")
            documents, vectors = cursor.fetchone()
        return {
            "backend": "postgres",
            "documents": documents,
            "vectors_ready": vectors,
            "encoder": self.encoder.name if self.encoder else None,
        }

    # --- search ---------------------------------------------------------------------------------

    def _collection_stats(self, cursor) -> tuple[int, float]:
        if self._stats is None or time.monotonic() - self._stats[0] > self.stats_seconds:
            cursor.execute(f"SELECT count(*), coalesce(avg(doc_len), 1) FROM {TABLE}")
            n, avg_len = cursor.fetchone()
            self._stats = (time.monotonic(), int(n), float(avg_len) or 1.0)
        return self._stats[1], self._stats[2]

    def _idfs(self, cursor, n_docs: int, terms: Sequence[str]) -> dict[str, float]:
        if not terms:
            return {}
        cursor.execute(
            f"""SELECT t, (SELECT count(*) FROM {TABLE} WHERE tsv @@ t::tsquery)
                FROM unnest(%s::text[]) AS t""",
            [[_lexeme(t) for t in terms]],
        )
        counts = {lexeme: int(df) for lexeme, df in cursor.fetchall()}
        return {t: ranking.idf(n_docs, counts.get(_lexeme(t), 0)) for t in terms}

    def _candidates(self, cursor, weighted: Mapping[str, float], types, filters, limit: int):
        query = " | ".join(_lexeme(t) for t in weighted)
        sql = [f"SELECT id, doc, tf, doc_len, grp, vector FROM {TABLE} WHERE tsv @@ %s::tsquery"]
        params: list[object] = [query]
        if types is not None:
            sql.append("AND type = ANY(%s)")
            params.append(list(types))
        for attribute, values in (filters or {}).items():
            sql.append("AND filters && %s")
            params.append([f"{attribute}={v}" for v in values])
        sql.append("ORDER BY ts_rank(tsv, %s::tsquery) DESC LIMIT %s")
        params += [query, limit]
        cursor.execute(" ".join(sql), params)
        return cursor.fetchall()

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
        settings = self.settings
        limit = max(settings.candidates, k * 5 if diversify else k)
        with self._cursor() as cursor:
            n_docs, avg_len = self._collection_stats(cursor)
            rows = self._candidates(cursor, terms, types, filters, limit)
            if not rows:
                return []
            extra: dict[str, float] = {}
            lexical = self._bm25(cursor, rows, terms, n_docs, avg_len)
            if settings.prf_docs and settings.prf_terms and settings.prf_weight > 0:
                order = np.argsort(-lexical)[: settings.prf_docs]
                feedback = [
                    document_from_json(_json_text(rows[i][1]))
                    for i in order
                    if lexical[i] >= settings.prf_min_share * lexical[order[0]]
                ]
                extra = ranking.expansion_terms(
                    feedback,
                    self.analyzer,
                    lambda words: self._idfs(cursor, n_docs, words),
                    terms,
                    settings.prf_terms,
                    settings.prf_weight,
                )
                if extra:
                    rows = self._candidates(cursor, {**terms, **extra}, types, filters, limit)
                    lexical = self._bm25(cursor, rows, {**terms, **extra}, n_docs, avg_len)
        semantic = self._semantic(query, rows)
        fused = ranking.fuse(lexical, semantic, settings.fusion_alpha)
        order = np.argsort(-fused, kind="stable")
        chosen = ranking.diversify(list(order), [row[4] for row in rows], diversify, k)
        hits = []
        for position in chosen:
            doc = document_from_json(_json_text(rows[position][1]))
            similarity = None if semantic is None else float(semantic[position])
            if explain:
                hits.append(ranking.make_hit(doc, fused[position], terms, extra, similarity))
            else:
                hits.append(Hit(doc.id, doc.type, float(fused[position]), [], similarity))
        return hits

    def _bm25(self, cursor, rows, weighted: Mapping[str, float], n_docs: int, avg_len: float):
        idfs = self._idfs(cursor, n_docs, list(weighted))
        scores = np.zeros(len(rows), dtype=np.float32)
        k1, b = ranking.K1, ranking.B
        for i, row in enumerate(rows):
            tf = row[2] if isinstance(row[2], dict) else json.loads(row[2])
            norm = k1 * (1 - b + b * float(row[3]) / avg_len)
            for term, weight in weighted.items():
                count = tf.get(term)
                if count:
                    scores[i] += weight * idfs[term] * count * (k1 + 1) / (count + norm)
        return scores

    def _semantic(self, query: str, rows) -> np.ndarray | None:
        """Dense similarity of each candidate (-1 where its vector is not ready), or None."""
        if self.encoder is None or not any(row[5] for row in rows):
            return None
        q = self.encoder.encode_queries([query[:2000]])[0]
        return np.array(
            [float(np.asarray(row[5], dtype=np.float32) @ q) if row[5] else -1.0 for row in rows],
            dtype=np.float32,
        )


def _json_text(value: object) -> str:
    """psycopg returns jsonb decoded; other drivers may return text."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
