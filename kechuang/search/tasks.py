"""Background tasks of the core app: keeping the search index in step with the database and rebuilding it
after a vocabulary change."""

from django.conf import settings
from django_tasks import task

from kechuang.core import indexing

# Queues (settings.TASKS lists them; README's production section starts a worker for each group):
# ``default`` notifications, e-mails and match counts; ``imports`` import checks and imports; ``search``
# index updates and rebuilds; ``embeddings`` dense vectors alone, because encoding thousands of records
# takes minutes to hours and nothing else may wait behind it.
DEFAULT_QUEUE = "default"
IMPORT_QUEUE = "imports"
SEARCH_QUEUE = "search"
EMBEDDING_QUEUE = "embeddings"
QUEUES = [DEFAULT_QUEUE, IMPORT_QUEUE, SEARCH_QUEUE, EMBEDDING_QUEUE]


@task(queue_name=SEARCH_QUEUE)
def sync_records(type_name: str, pks: list[int]) -> dict[str, int]:
    """Re-index these rows of a registered type, then queue their embedding."""
    indexed, removed = indexing.sync(type_name, pks)
    if indexed and has_encoder():
        embed_pending.enqueue()
    return {"indexed": indexed, "removed": removed}


@task(queue_name=EMBEDDING_QUEUE)
def embed_pending() -> int:
    """Encode every indexed document that still lacks a dense vector."""
    return indexing.embed_pending()


@task(queue_name=SEARCH_QUEUE)
def rebuild_index(rebuild_id: int) -> int:
    """Rebuild the whole index with the current vocabulary (see :func:`vocabulary.run_rebuild`)."""
    from kechuang.core import vocabulary

    return vocabulary.run_rebuild(rebuild_id)


def has_encoder() -> bool:
    return str(settings.MATCHING.get("ENCODER", "none")).lower() not in {"", "none", "off"}
