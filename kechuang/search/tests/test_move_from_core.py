"""Migrating a database of the old layout (the vocabulary, index rebuilds and embedding runs in the core
app) keeps every row: ``search.0001_move_from_core`` takes the tables over, renames them, and relabels
the content types and audit rows that name the models. Runs on SQLite and on PostgreSQL."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from kechuang.core.models import AuditEntry
from kechuang.search.models import EmbeddingRun, IndexRebuild, VocabularyEntry

BEFORE_THE_MOVE = [("core", "0006_full_width_labels"), ("search", None)]
MOMENT = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_rows_of_the_old_layout_survive_the_move_to_the_search_app():
    executor = migrate(BEFORE_THE_MOVE)
    old = executor.loader.project_state([("core", "0006_full_width_labels")]).apps
    assert "core_vocabularyentry" in connection.introspection.table_names()
    entry = old.get_model("core", "VocabularyEntry").objects.create(
        kind="synonym", text="电控气源,气源控制", key="气源控制,电控气源", note="瑞安汽配"
    )
    rebuild = old.get_model("core", "IndexRebuild").objects.create(status="done", done=7, total=7)
    run = old.get_model("core", "EmbeddingRun").objects.create(
        started_at=MOMENT, updated_at=MOMENT, done=16, total=40
    )
    audit = old.get_model("core", "AuditEntry").objects.create(
        action="vocabulary.add", target_type="core.vocabularyentry", target_id=str(entry.pk)
    )
    content_type, _ = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="core", model="vocabularyentry"
    )

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    tables = connection.introspection.table_names()
    assert {"search_vocabularyentry", "search_indexrebuild", "search_embeddingrun"} <= set(tables)
    assert not {"core_vocabularyentry", "core_indexrebuild", "core_embeddingrun"} & set(tables)
    moved = VocabularyEntry.objects.get(pk=entry.pk)
    assert (moved.kind, moved.text, moved.key, moved.note, moved.active) == (
        "synonym",
        "电控气源,气源控制",
        "气源控制,电控气源",
        "瑞安汽配",
        True,
    )
    assert IndexRebuild.objects.get(pk=rebuild.pk).status == IndexRebuild.Status.DONE
    assert EmbeddingRun.objects.get(pk=run.pk).done == 16
    assert AuditEntry.objects.get(pk=audit.pk).target_type == "search.vocabularyentry"
    from django.contrib.contenttypes.models import ContentType

    assert ContentType.objects.get(pk=content_type.pk).app_label == "search"
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "search_vocabularyentry")
    assert "vocabulary_page_order" in indexes
    assert "vocabulary_unique_active_key" in indexes
    # The table keeps numbering after its old rows and its constraints hold.
    assert VocabularyEntry.objects.create(kind="term", text="电磁阀", key="电磁阀").pk > entry.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        VocabularyEntry.objects.create(kind="synonym", text="x", key="气源控制,电控气源")
