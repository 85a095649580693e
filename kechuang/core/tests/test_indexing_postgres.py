"""The shared backend contract against the PostgreSQL backend (skipped on SQLite), through Django's
connection as the glue passes it."""

import pytest
from django.db import connection, transaction

from kechuang.matching import load_backend
from kechuang.matching.embedded import IndexUnavailable
from kechuang.matching.tests.contract import CORPUS, BackendContract

pytestmark = [
    pytest.mark.django_db,
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


def test_tokens_are_stored_as_exact_lexemes_under_a_gin_index():
    backend = make_backend()
    backend.rebuild(CORPUS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tsv::text FROM matching_document WHERE id = 'service:1'")
        assert "'pro/toolkit':1A" in cursor.fetchone()[0]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'matching_document_tsv'")
        assert "gin (tsv)" in cursor.fetchone()[0]
