"""The PostgreSQL backend's impact-ordered postings (skipped on SQLite): the same ranking as the
embedded backend when lists are read only in part, incremental updates through the delta table, a
re-impact once the delta grows, and a rebuild that carries over what changed while it ran."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from kechuang.matching import load_backend
from kechuang.matching.base import Document

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

WORDS = ["电机", "控制", "材料", "注塑", "传感器", "显微镜", "算法", "电池", "焊接", "涂层"]


def corpus(n: int) -> list[Document]:
    """``n`` documents mixing the words in varied proportions and lengths, so term weights differ."""
    docs = []
    for i in range(n):
        words = [WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(2 + i % 9)]
        docs.append(
            Document(
                id=f"d:{i}",
                type="doc" if i % 3 else "other",
                fields={"title": " ".join(words[:2]), "text": "，".join(words)},
                weights={"title": 2.0},
                filters={"region": [str(i % 4)]},
                group=f"g{i % 5}",
            )
        )
    return docs


def backends(tmp_path, **options):
    pg = load_backend(
        "postgres",
        {
            "ENCODER": "none",
            "CURSOR": lambda: connection.cursor(),
            "ATOMIC": transaction.atomic,
            "TABLE": "matching_impacts_test",
            **options,
        },
    )
    embedded = load_backend("embedded", {"INDEX_DIR": str(tmp_path), "ENCODER": "none"})
    return pg, embedded


def ranked(backend, query, **kwargs):
    return [(hit.id, round(hit.score, 4)) for hit in backend.search(query, explain=False, **kwargs)]


def assert_same(first, second):
    """The same scores in the same order and the same documents, whatever the order among ties (the
    corpus repeats documents; each backend breaks ties its own way)."""
    assert [score for _, score in first] == [score for _, score in second]
    boundary = first[-1][1] if first else None
    assert {i for i, s in first if s != boundary} == {i for i, s in second if s != boundary}


QUERIES = ["电机控制", "注塑材料", "传感器算法 电池", "焊接涂层显微镜"]


def test_candidates_cut_to_a_few_and_narrow_filters_rank_like_the_embedded_backend(tmp_path):
    # Every term's list fits in one block, but only 40 documents are rescored and a narrow filter
    # leaves few of them: the lists are read again, deeper, until enough pass.
    pg, embedded = backends(tmp_path, POSTINGS_DEPTH=16, RESCORE=40)
    docs = corpus(120)
    pg.rebuild(docs)
    embedded.rebuild(docs)
    for query in QUERIES:
        assert_same(ranked(pg, query, k=10), ranked(embedded, query, k=10))
        restricted = {"k": 5, "types": ["other"], "filters": {"region": ["1"]}}
        assert_same(ranked(pg, query, **restricted), ranked(embedded, query, **restricted))
    pg.drop()


def test_updates_go_to_the_delta_and_a_reimpact_folds_them_in(tmp_path):
    pg, embedded = backends(tmp_path)
    pg.compact_after = 50
    docs = corpus(600)
    pg.rebuild(docs[:400])
    pg.index(docs[400:440])
    pg.delete(["d:3", "d:4"])
    # The embedded backend built from the same records (its own updates count deleted records in
    # the statistics until it compacts; the postgres backend keeps them exact).
    embedded.rebuild([d for d in docs[:440] if d.id not in {"d:3", "d:4"}])
    status = pg.status()
    assert status["delta_documents"] == 40 and status["documents"] == 438
    for query in QUERIES:
        assert_same(ranked(pg, query, k=10), ranked(embedded, query, k=10))
    generation = status["generation"]
    pg.index(docs[440:600])  # past compact_after: re-impacted from the stored documents
    status = pg.status()
    assert status["generation"] > generation
    assert status["delta_documents"] == 0 and status["documents"] == 598
    with connection.cursor() as cursor:
        cursor.execute("SELECT df FROM matching_impacts_test_term WHERE term = '电机'")
        df = cursor.fetchone()[0]
    assert df == sum("电机" in d.fields["text"] for d in docs if d.id not in {"d:3", "d:4"})
    pg.drop()


def test_a_rebuild_carries_over_what_changed_while_it_ran(tmp_path):
    pg, _ = backends(tmp_path)
    docs = corpus(50)
    pg.rebuild(docs)
    other = load_backend(
        "postgres",
        {
            "ENCODER": "none",
            "CURSOR": lambda: connection.cursor(),
            "ATOMIC": transaction.atomic,
            "TABLE": "matching_impacts_test",
        },
    )
    added = Document(id="new:1", type="doc", fields={"title": "激光熔覆涂层"})

    def source():
        for number, doc in enumerate(docs):
            if number == 25:  # another process writes while the rebuild reads its source
                other.index([added])
                other.delete(["d:40"])
            yield doc

    pg.rebuild(source())
    assert [hit.id for hit in pg.search("激光熔覆", k=3)] == ["new:1"]
    assert pg.count() == 50  # 50 rebuilt + 1 carried over − 1 deleted meanwhile
    assert "d:40" not in {hit.id for hit in pg.search("电机 控制 材料 注塑", k=60)}
    pg.drop()


def test_the_embedded_first_pass_over_principal_axes_finds_what_a_full_pass_finds(tmp_path):
    from kechuang.matching.encoders import HashingEncoder

    docs = corpus(300)
    full = load_backend(
        "embedded", {"INDEX_DIR": str(tmp_path / "full"), "ENCODER": HashingEncoder()}
    )
    full.reduced_dim = 0
    reduced = load_backend(
        "embedded", {"INDEX_DIR": str(tmp_path / "reduced"), "ENCODER": HashingEncoder()}
    )
    reduced.reduce_from, reduced.reduced_dim, reduced.reduced_rescore = 1, 32, 60
    for backend in (full, reduced):
        backend.rebuild(docs)
        backend.embed_pending()
    assert (reduced._open().folder / "reduced.npz").exists()
    assert not (full._open().folder / "reduced.npz").exists()
    for query in QUERIES:
        assert_same(ranked(reduced, query, k=10), ranked(full, query, k=10))


def test_a_rebuild_keeps_the_vectors_and_graph_of_unchanged_records():
    from kechuang.matching.tests.contract import FIELDS, CharacterEncoder

    pg = load_backend(
        "postgres",
        {
            "ENCODER": CharacterEncoder(),
            "CURSOR": lambda: connection.cursor(),
            "ATOMIC": transaction.atomic,
            "TABLE": "matching_impacts_test",
            "GRAPH_K": 2,
        },
    )
    pg.rebuild(FIELDS)
    assert pg.embed_pending() == len(FIELDS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, links FROM matching_impacts_test")
        graph = {doc_id: bytes(links) for doc_id, links in cursor.fetchall()}
    changed = Document(id=FIELDS[0].id, type="expert", fields={"title": "全新的内容"})
    pg.rebuild([changed, *FIELDS[1:]])
    assert pg.status()["vectors_pending"] == 1  # only the changed record waits for the encoder
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, links FROM matching_impacts_test")
        kept = {doc_id: links and bytes(links) for doc_id, links in cursor.fetchall()}
    assert kept.pop(changed.id) is None
    # Keys outlive a rebuild, so the kept lists (which name their neighbours by key) stay valid.
    assert kept == {doc_id: graph[doc_id] for doc_id in kept}
    pg.drop()


def test_a_binary_copy_rebuild_stores_awkward_text_exactly_and_filters_on_it(tmp_path):
    """The rebuild writes rows with binary COPY: tabs, newlines, backslashes, quotes, braces and commas
    in texts, ids, groups and filter values, and a record without filters, come back exactly."""
    awkward = [
        Document(
            id='d:\t"1"\\',
            type="doc",
            fields={"title": '电机\t控制 "A\\B"', "text": "第一行\n第二行\r\n{注塑},材料\\"},
            weights={"title": 2.0},
            filters={"region": ('33,01 "x"', "{}"), "kind": ("a\\b",)},
            group="g\t1",
        ),
        Document(id="x:2", type="other", fields={"title": "电机", "text": ""}, filters={}),
    ]
    pg, _ = backends(tmp_path)
    pg.drop()
    pg.rebuild(awkward + corpus(30))
    try:
        stored = {doc.id: doc for doc in pg.stored_documents()}
        assert stored[awkward[0].id] == awkward[0]
        assert stored["x:2"] == awkward[1]
        hits = pg.search("电机控制", filters={"region": ['33,01 "x"']}, explain=False)
        assert [hit.id for hit in hits] == [awkward[0].id]
        assert [h.id for h in pg.search("注塑", filters={"kind": ["a\\b"]}, explain=False)] == [
            awkward[0].id
        ]
    finally:
        pg.drop()


class CountingCursor:
    """Counts the statements run through Django's cursor."""

    statements = 0

    def __init__(self):
        self.cursor = connection.cursor()

    def __enter__(self):
        self.cursor.__enter__()
        return self

    def __exit__(self, *exc):
        return self.cursor.__exit__(*exc)

    def execute(self, sql, params=None):
        CountingCursor.statements += 1
        return self.cursor.execute(sql, params)

    def __getattr__(self, name):
        return getattr(self.cursor, name)


def test_a_lexical_search_with_its_evidence_runs_in_two_statements(tmp_path, monkeypatch):
    from kechuang.matching import postgres

    # Reads that want binary results go through a psycopg cursor of the same connection: count them.
    fetch = postgres._fetch

    def counted(cursor, sql, params):
        CountingCursor.statements += 1
        return fetch(getattr(cursor, "cursor", cursor), sql, params)

    monkeypatch.setattr(postgres, "_fetch", counted)
    pg = load_backend(
        "postgres",
        {
            "ENCODER": "none",
            "CURSOR": CountingCursor,
            "ATOMIC": transaction.atomic,
            "TABLE": "matching_impacts_test",
        },
    )
    pg.drop()
    pg.rebuild(corpus(200))
    try:
        pg.search("电机", k=3)  # the first search also checks that the tables exist
        before = CountingCursor.statements
        hits = pg.search("电机控制 传感器", k=5)
        assert CountingCursor.statements - before == 2
        assert len(hits) == 5 and all(hit.evidence for hit in hits)
        _, embedded = backends(tmp_path)
        embedded.rebuild(corpus(200))
        # The same evidence and strength as the embedded backend gives each record (the corpus
        # repeats records, so the two may break ties between equal scores differently).
        theirs = {h.id: (h.evidence, h.strength) for h in embedded.search("电机控制 传感器", k=50)}
        assert {h.id: (h.evidence, h.strength) for h in hits} == {h.id: theirs[h.id] for h in hits}
    finally:
        pg.drop()


def test_vectors_and_lists_read_as_arrays_are_what_the_server_stored():
    from kechuang.matching.postgres import _fetch, _keys, _sims, _vectors

    with connection.cursor() as cursor:
        rows = _fetch(
            cursor,
            """SELECT (SELECT string_agg(float4send(x), ''::bytea ORDER BY o)
                    FROM unnest(v) WITH ORDINALITY AS u(x, o)),
                (SELECT string_agg(int8send(x), ''::bytea ORDER BY o)
                    FROM unnest(l) WITH ORDINALITY AS u(x, o))
            FROM (VALUES (1, ARRAY[1.5, -2, 0.25]::real[], ARRAY[3, 9000000000]::bigint[]),
                (2, NULL, NULL), (3, ARRAY[4, 5, 6e-3]::real[], ARRAY[]::bigint[]))
                AS t(n, v, l) ORDER BY n""",
            [],
        )
    read = _vectors([row[0] for row in rows])
    assert [None if v is None else v.tolist() for v in read] == [
        [1.5, -2.0, 0.25],
        None,
        [4.0, 5.0, pytest.approx(6e-3)],
    ]
    assert all(v.dtype.name == "float32" for v in read if v is not None)
    assert [_keys(row[1]).tolist() for row in rows] == [[3, 9000000000], [], []]
    assert _sims(rows[0][0]).tolist() == [1.5, -2.0, 0.25]


def test_the_graph_holds_the_exact_nearest_rows_whatever_the_chunks_and_batches(monkeypatch):
    """Linked in two rounds (the second refreshing the first round's lists) and rebuilt in full, with
    chunks, blocks and write batches smaller than the table, and through the approximate pass's
    clusters: each row's lists are its exact nearest rows."""
    import numpy as np

    from kechuang.matching import postgres
    from kechuang.matching.bench import LookupEncoder
    from kechuang.matching.embedded import passage_text

    for name, value in [("GRAPH_CHUNK", 7), ("GRAPH_BLOCK", 6), ("GRAPH_WIDE", 5)]:
        monkeypatch.setattr(postgres, name, value)
    monkeypatch.setattr(postgres, "LINK_EVERY", 14)
    monkeypatch.setattr(postgres, "LIST_BATCH", 4)
    docs = corpus(40)
    vectors = np.random.default_rng(3).normal(size=(len(docs), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    encoder = LookupEncoder({passage_text(d): v for d, v in zip(docs, vectors, strict=True)}, {})
    pg = load_backend(
        "postgres",
        {
            "ENCODER": encoder,
            "CURSOR": lambda: connection.cursor(),
            "ATOMIC": transaction.atomic,
            "TABLE": "matching_graph_test",
            "GRAPH_K": 3,
        },
    )
    pg.drop()
    try:
        pg.rebuild(docs)

        def stored():
            with connection.cursor() as cursor:
                cursor.execute("SELECT id, key, links, link_sims FROM matching_graph_test")
                rows = cursor.fetchall()
            ids = {key: doc_id for doc_id, key, _, _ in rows}
            return {
                doc_id: (
                    [ids[key] for key in postgres._keys(links).tolist()],
                    postgres._sims(sims).round(5).tolist(),
                )
                for doc_id, _, links, sims in rows
                if links is not None
            }

        sims = vectors @ vectors.T
        np.fill_diagonal(sims, -np.inf)
        nearest = np.argsort(-sims, axis=1)[:, :3]
        exact = {
            doc.id: ([docs[j].id for j in nearest[i]], sims[i, nearest[i]].round(5).tolist())
            for i, doc in enumerate(docs)
        }
        assert pg.embed_pending(limit=17) == 17
        assert pg.embed_pending() == len(docs) - 17
        assert stored() == exact
        assert pg.build_graph() == len(docs)
        assert stored() == exact
        # The approximate pass, probing as many clusters as there are (sqrt(40) < PROBES): exact too.
        monkeypatch.setattr(postgres, "EXACT_PAIRS", 0)
        assert pg.build_graph() == len(docs)
        assert stored() == exact
    finally:
        pg.drop()
