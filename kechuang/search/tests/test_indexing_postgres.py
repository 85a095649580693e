"""The shared backend contract against the PostgreSQL backend (skipped on SQLite), through Django's
connection as the glue passes it, and the document graph it stores: upgrades of older tables, builds on
empty and partly encoded tables, and incremental linking that agrees with a full build."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from kechuang.matching import load_backend
from kechuang.matching.embedded import IndexUnavailable
from kechuang.matching.postgres import _FLOAT4, _keys, _pack, _sims, _vectors
from kechuang.matching.tests.contract import (
    CORPUS,
    FIELDS,
    SAME_FIELD,
    BackendContract,
    CharacterEncoder,
    doc,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def make_backend():
    return load_backend(
        "postgres",
        {"ENCODER": "none", "CURSOR": lambda: connection.cursor(), "ATOMIC": transaction.atomic},
    )


class TestPostgresBackend(BackendContract):
    @pytest.fixture
    def backend(self):
        backend = make_backend()
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS matching_document")
        return backend


def test_missing_table_is_reported_then_created_by_rebuild():
    backend = make_backend()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS matching_document")
    with pytest.raises(IndexUnavailable):
        backend.check()
    assert backend.search("电机") == []
    backend.rebuild(CORPUS)
    backend.check()
    assert backend.search("永磁同步电机")[0].id == "expert:1"


def test_tokens_are_stored_as_exact_terms_in_impact_ordered_blocks():
    backend = make_backend()
    backend.rebuild(CORPUS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tid, df FROM matching_document_term WHERE term = 'pro/toolkit'")
        tid, df = cursor.fetchone()
        assert df == 1
        cursor.execute(
            "SELECT block, length(keys) FROM matching_document_block WHERE tid = %s", [tid]
        )
        assert cursor.fetchall() == [(0, 8)]  # one posting: one int8 document key


def dense_backend(**options):
    return load_backend(
        "postgres",
        {
            "ENCODER": CharacterEncoder(),
            "CURSOR": lambda: connection.cursor(),
            "ATOMIC": transaction.atomic,
            "GRAPH_K": 2,
            **options,
        },
    )


def stored_graph() -> dict[str, list[str]]:
    """Each linked row's neighbours by id (``key:N`` for a key no row has any more)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, key, links FROM matching_document")
        rows = cursor.fetchall()
    ids = {key: doc_id for doc_id, key, _ in rows}
    return {
        doc_id: [ids.get(key, f"key:{key}") for key in _keys(links).tolist()]
        for doc_id, _, links in rows
        if links is not None
    }


def fresh_table():
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS matching_document")


def graph_columns() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'matching_document' AND column_name IN "
            "('vector', 'neighbours', 'neighbour_sims', 'vec', 'links', 'link_sims')"
        )
        return {name for (name,) in cursor.fetchall()}


def test_a_table_of_the_release_before_the_graph_gains_the_graph_columns_and_keeps_its_rows():
    fresh_table()
    backend = dense_backend()
    backend.rebuild(FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE matching_document DROP COLUMN vec, DROP COLUMN links, "
            "DROP COLUMN link_sims, ADD COLUMN vector real[]"
        )
    upgraded = dense_backend()
    assert upgraded.search("滑模观测器")[0].id == "expert:11"  # searching upgrades the table
    assert graph_columns() == {"vec", "links", "link_sims"}
    assert upgraded.count() == len(FIELDS)
    assert upgraded.embed_pending() == len(FIELDS)
    assert stored_graph()[SAME_FIELD] == ["expert:11", "expert:12"]


def test_vectors_and_id_lists_of_the_previous_release_become_bytes_and_key_lists_in_place():
    fresh_table()
    backend = dense_backend()
    backend.rebuild(FIELDS)
    backend.embed_pending()
    graph = stored_graph()
    before = [(h.id, round(h.score, 5)) for h in backend.search("滑模观测器", k=5)]
    # The previous release's layout: vectors as real[], neighbours as lists of ids.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, vec, links, link_sims FROM matching_document")
        rows = cursor.fetchall()
        cursor.execute("SELECT key, id FROM matching_document")
        ids = dict(cursor.fetchall())
        cursor.execute(
            "ALTER TABLE matching_document DROP COLUMN vec, DROP COLUMN links, "
            "DROP COLUMN link_sims, ADD COLUMN vector real[], ADD COLUMN neighbours text[], "
            "ADD COLUMN neighbour_sims real[]"
        )
        for doc_id, vec, links, sims in rows:
            cursor.execute(
                "UPDATE matching_document SET vector = %s, neighbours = %s, neighbour_sims = %s "
                "WHERE id = %s",
                [
                    None if vec is None else _vectors([bytes(vec)])[0].tolist(),
                    None if links is None else [ids[key] for key in _keys(links).tolist()],
                    None if sims is None else _sims(bytes(sims)).tolist(),
                    doc_id,
                ],
            )
    upgraded = dense_backend()
    assert [(h.id, round(h.score, 5)) for h in upgraded.search("滑模观测器", k=5)] == before
    assert graph_columns() == {"vec", "links", "link_sims"}
    assert stored_graph() == graph
    assert upgraded.status()["vectors_pending"] == 0
    assert bytes(_pack([1.5], _FLOAT4)) == b"\x3f\xc0\x00\x00"  # as float4send writes it


def test_a_graph_build_on_an_empty_table_links_nothing():
    fresh_table()
    backend = dense_backend()
    assert backend.build_graph() == 0  # no table yet
    backend.rebuild([])
    assert backend.build_graph() == 0
    assert backend.embed_pending() == 0
    assert stored_graph() == {}


def test_a_partly_embedded_table_links_only_the_rows_with_vectors():
    fresh_table()
    backend = dense_backend()
    backend.rebuild(FIELDS)
    assert backend.embed_pending(limit=4) == 4
    graph = stored_graph()
    ready = {d.id for d in FIELDS[:4]}  # encoded in key order: the order they were indexed in
    assert set(graph) == ready
    assert all(set(neighbours) <= ready - {doc_id} for doc_id, neighbours in graph.items())
    assert backend.build_graph() == 4
    assert stored_graph() == graph


def test_linking_documents_as_they_are_encoded_gives_the_graph_a_full_build_gives():
    fresh_table()
    backend = dense_backend()
    backend.rebuild(FIELDS)
    for _ in FIELDS:
        backend.embed_pending(limit=1)  # one document at a time, as the background task may
    incremental = stored_graph()
    assert backend.build_graph() == len(FIELDS)
    assert stored_graph() == incremental
    assert incremental[SAME_FIELD] == ["expert:11", "expert:12"]
    assert incremental["instrument:12"] == ["instrument:13", "instrument:11"]


def test_a_changed_document_is_linked_again_once_encoded_without_duplicates():
    fresh_table()
    backend = dense_backend()
    backend.rebuild(FIELDS)
    backend.embed_pending()
    moved = doc("expert:13", {"title": "透射显微镜", "keywords": "表面形貌分析"})
    backend.index([moved])
    assert SAME_FIELD not in stored_graph()  # no vector, no neighbours until encoded again
    assert backend.embed_pending() == 1
    graph = stored_graph()
    assert set(graph[SAME_FIELD]) <= {"instrument:11", "instrument:12", "instrument:13"}
    assert all(len(set(neighbours)) == len(neighbours) for neighbours in graph.values())
    assert backend.build_graph() == len(FIELDS)
    rebuilt = stored_graph()
    assert rebuilt[SAME_FIELD] == graph[SAME_FIELD]
    assert SAME_FIELD in rebuilt["instrument:12"]


def test_a_deleted_neighbour_is_simply_not_found():
    fresh_table()
    backend = dense_backend()
    backend.rebuild(FIELDS)
    backend.embed_pending()
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM matching_document WHERE id = 'expert:12'")
        gone = f"key:{cursor.fetchone()[0]}"
    backend.delete(["expert:12"])
    assert gone in stored_graph()[SAME_FIELD]  # stale until a full graph build
    ranked = [h.id for h in backend.search("滑模观测器", k=3)]
    assert "expert:12" not in ranked
    assert ranked[0] == "expert:11" and SAME_FIELD in ranked
    assert backend.build_graph() == len(FIELDS) - 1
    assert "expert:12" not in stored_graph()[SAME_FIELD]


def test_the_table_name_is_an_option_and_checked():
    with pytest.raises(ValueError):
        dense_backend(TABLE="matching; DROP TABLE x")
    scratch = dense_backend(TABLE="matching_scratch_test")
    scratch.rebuild(FIELDS)
    assert scratch.count() == len(FIELDS)
    scratch.drop()
    assert not scratch.exists()


def test_the_benchmark_compares_both_backends_in_a_scratch_table_it_drops(tmp_path):
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text(
        '{"_id": "d1", "title": "", "text": "永磁同步电机控制"}\n'
        '{"_id": "d2", "title": "", "text": "聚丙烯注塑"}\n',
        encoding="utf-8",
    )
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "电机控制"}\n', encoding="utf-8")
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\n")
    out = io.StringIO()
    call_command(
        "bench_matching",
        "--beir",
        str(tmp_path),
        "--backend",
        "postgres",
        "--backend",
        "embedded",
        "--encoder",
        "none",
        "--no-baseline",
        "--json",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    assert report["engine:postgres"]["ndcg@10"] == report["engine:embedded"]["ndcg@10"] == 1.0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE %s", ["matching_bench_%"]
        )
        assert cursor.fetchone()[0] == 0
