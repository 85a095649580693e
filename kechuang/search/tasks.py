"""Background tasks of the search app: keeping the search index in step with the database and rebuilding
it after a vocabulary change."""

from django.conf import settings
from django_tasks import task

from kechuang.core.queues import EMBEDDING_QUEUE, QUEUES, SEARCH_QUEUE
from kechuang.search import indexing

__all__ = ["QUEUES", "embed_pending", "has_encoder", "rebuild_index", "sync_records"]


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
    from kechuang.search import vocabulary

    return vocabulary.run_rebuild(rebuild_id)


def has_encoder() -> bool:
    return str(settings.MATCHING.get("ENCODER", "none")).lower() not in {"", "none", "off"}
