"""Django glue for the matching engine: the backend named in ``settings.MATCHING``, the registry of
indexed models, index updates after commit, and search.

Apps declare what they index in their ``search.py``: a ``register_indexes()`` function calling
:func:`register` for each indexed model, which :class:`kechuang.search.apps.SearchConfig` finds and calls
at start-up (this module names no app). The registry keeps the index in
step with the database: saving or deleting a registered record (or changing one of its many-to-many
relations, or a related row declared in ``related``) schedules, after the transaction commits, a
background task that re-reads the records and indexes the ones the registration's queryset still returns
(published ones) and removes the rest. Embedding for the dense encoder runs in a second task, so lexical
search sees a change at once and hybrid search as soon as the vectors are ready.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Max
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from kechuang.matching import load_backend
from kechuang.matching.base import Document, Hit, ProgressCallback, SearchBackend
from kechuang.matching.embedded import QUERY_CHARS, analyzer_from_options
from kechuang.matching.text import Analyzer

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
QUERY_BATCH = 16


@dataclass
class Registration:
    """One indexed model: its type name, how a row becomes a :class:`Document`, which rows are indexed,
    and which related models' changes re-index which of its rows."""

    model: type[models.Model]
    type_name: str
    to_document: Callable[[models.Model], Document]
    queryset: Callable[[], models.QuerySet]
    related: Mapping[type[models.Model], Callable[[models.Model], Iterable[int]]] = field(
        default_factory=dict
    )


_registry: dict[str, Registration] = {}
# Functions giving texts the platform will search with (a demand's matches, an expert's inbox): their
# query vectors are computed ahead in the embedding task, so a page never waits for the encoder.
_query_sources: list[Callable[[], Iterable[str]]] = []
_backend: SearchBackend | None = None
_backend_lock = threading.Lock()
_backend_stamp: tuple[int, object] | None = None  # the vocabulary the loaded backend was built from
_stamp_checked = 0.0  # time.monotonic() of the last comparison with the database

# How often a process compares its backend's vocabulary with the database's (one small query).
VOCABULARY_CHECK_SECONDS = 2.0


def register(
    model: type[models.Model],
    type_name: str,
    to_document: Callable[[models.Model], Document],
    queryset: Callable[[], models.QuerySet],
    *,
    related: Mapping[type[models.Model], Callable[[models.Model], Iterable[int]]] | None = None,
) -> None:
    """Index ``model`` as ``type_name``: ``queryset()`` returns the rows to index (published ones),
    ``to_document(row)`` their documents. ``related`` maps another model to a function giving, for one of
    its rows, the primary keys of ``model`` rows to re-index when it changes (an expert's works).
    Registering the same type twice replaces the first registration."""
    registration = Registration(model, type_name, to_document, queryset, dict(related or {}))
    _registry[type_name] = registration
    uid = f"kechuang-index-{type_name}"

    def on_change(sender, instance, **kwargs):
        schedule_sync(type_name, [instance.pk])

    post_save.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}-save")
    post_delete.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}-delete")
    for m2m in model._meta.many_to_many:
        through = m2m.remote_field.through

        def on_m2m(sender, instance, action, reverse, pk_set, _model=model, **kwargs):
            if not action.startswith("post_"):
                return
            if isinstance(instance, _model):
                schedule_sync(type_name, [instance.pk])
            elif pk_set:
                schedule_sync(type_name, list(pk_set))

        m2m_changed.connect(
            on_m2m, sender=through, weak=False, dispatch_uid=f"{uid}-m2m-{m2m.name}"
        )
    for related_model, to_pks in registration.related.items():

        def on_related(sender, instance, _to_pks=to_pks, **kwargs):
            schedule_sync(type_name, [pk for pk in _to_pks(instance) if pk is not None])

        name = related_model._meta.label_lower
        post_save.connect(
            on_related, sender=related_model, weak=False, dispatch_uid=f"{uid}-{name}-s"
        )
        post_delete.connect(
            on_related, sender=related_model, weak=False, dispatch_uid=f"{uid}-{name}-d"
        )


def register_queries(source: Callable[[], Iterable[str]]) -> None:
    """Have the embedding task encode ``source()``'s texts as queries ahead of their searches."""
    if source not in _query_sources:
        _query_sources.append(source)


def registrations() -> dict[str, Registration]:
    return dict(_registry)


def backend_options() -> dict[str, object]:
    """``settings.MATCHING`` plus the industry chains' keywords and the operators' domain terms as
    dictionary words, the operators' synonym groups and stop words, and, for the postgres backend,
    Django's cursor and transaction factories."""
    from kechuang.core.models import IndustryChain
    from kechuang.search.models import VocabularyEntry

    options = dict(settings.MATCHING)
    terms = [
        line.strip()
        for text in IndustryChain.objects.values_list("keywords", flat=True)
        for line in text.splitlines()
        if line.strip()
    ]
    terms += list(IndustryChain.objects.values_list("name", flat=True))
    vocabulary: dict[str, list[str]] = {kind: [] for kind in VocabularyEntry.Kind.values}
    for kind, text in VocabularyEntry.objects.active().order_by("pk").values_list("kind", "text"):
        vocabulary[kind].append(text)
    terms += vocabulary[VocabularyEntry.Kind.TERM]
    options["EXTRA_TERMS"] = [*options.get("EXTRA_TERMS", ()), *terms]
    options["EXTRA_SYNONYMS"] = [
        *options.get("EXTRA_SYNONYMS", ()),
        *(text.split(",") for text in vocabulary[VocabularyEntry.Kind.SYNONYM]),
    ]
    options["EXTRA_STOPWORDS"] = [
        *options.get("EXTRA_STOPWORDS", ()),
        *vocabulary[VocabularyEntry.Kind.STOPWORD],
    ]
    # The postgres backend talks to the database through Django's connection and transactions.
    options["CURSOR"] = lambda: connection.cursor()
    options["ATOMIC"] = transaction.atomic
    return options


def vocabulary_stamp() -> tuple[object, ...]:
    """A cheap fingerprint of the vocabulary the analyzer is built from: it changes with every operator
    entry added or removed and every industry chain (their names and keywords are dictionary words)
    added, edited or deleted."""
    from kechuang.core.models import IndustryChain
    from kechuang.search.models import VocabularyEntry

    entries = VocabularyEntry.objects.aggregate(count=Count("pk"), at=Max("updated_at"))
    chains = IndustryChain.objects.aggregate(count=Count("pk"), at=Max("updated_at"))
    return entries["count"], entries["at"], chains["count"], chains["at"]


def get_backend() -> SearchBackend:
    """The process's backend, loaded by name from ``settings.MATCHING["BACKEND"]``. At most every
    :data:`VOCABULARY_CHECK_SECONDS` it checks whether the vocabulary changed (in any process) since the
    backend was loaded, and if so loads it again, with an analyzer built from the new vocabulary."""
    global _backend, _backend_stamp, _stamp_checked
    with _backend_lock:
        now = time.monotonic()
        if _backend is not None and now - _stamp_checked >= VOCABULARY_CHECK_SECONDS:
            _stamp_checked = now
            if vocabulary_stamp() != _backend_stamp:
                _backend = None
        if _backend is None:
            _backend_stamp, _stamp_checked = vocabulary_stamp(), now
            _backend = load_backend(str(settings.MATCHING["BACKEND"]), backend_options())
        return _backend


def reset_backend() -> None:
    """Forget the loaded backend (after the dictionary or settings change; tests)."""
    global _backend
    with _backend_lock:
        _backend = None


def current_analyzer() -> Analyzer:
    """The analyzer of the vocabulary in force (the instance the backend uses, once it has noticed)."""
    return analyzer_from_options(backend_options())


def schedule_sync(type_name: str, pks: Sequence[int]) -> None:
    """Re-index these rows once the current transaction commits (at once outside a transaction).

    Changes made in one transaction are coalesced: the rows wait in a buffer on the connection, every
    change registers a cheap on-commit flush, and the first flush to run enqueues the whole buffer as
    tasks of :data:`BATCH_SIZE` rows — so an import that saves 5,000 rows queues a handful of tasks, not
    one per row and relation. Rows of rolled-back work may be flushed with a later transaction, which is
    harmless: the task re-reads each row and removes the ones that do not exist.
    """
    pks = {int(pk) for pk in pks}
    if not pks:
        return
    if not connection.in_atomic_block:
        _enqueue_syncs({type_name: pks})
        return
    pending = connection.__dict__.setdefault("kechuang_pending_syncs", {})
    pending.setdefault(type_name, set()).update(pks)
    transaction.on_commit(_flush_pending_syncs)


def _flush_pending_syncs() -> None:
    _enqueue_syncs(connection.__dict__.pop("kechuang_pending_syncs", {}))


def _enqueue_syncs(pending: Mapping[str, set[int]]) -> None:
    from kechuang.search.tasks import sync_records

    for type_name, pks in pending.items():
        ordered = sorted(pks)
        for start in range(0, len(ordered), BATCH_SIZE):
            sync_records.enqueue(type_name, ordered[start : start + BATCH_SIZE])


def sync(type_name: str, pks: Sequence[int]) -> tuple[int, int]:
    """Index the rows of ``pks`` that the registration's queryset returns and remove the others from
    the index; returns (indexed, removed)."""
    registration = _registry[type_name]
    rows = list(registration.queryset().filter(pk__in=pks))
    found = {row.pk for row in rows}
    backend = _ready_backend()
    documents = [registration.to_document(row) for row in rows]
    backend.index(documents)
    gone = [f"{type_name}:{pk}" for pk in pks if pk not in found]
    backend.delete(gone)
    return len(documents), len(gone)


def embed_pending(limit: int | None = None) -> int:
    """Encode documents still lacking a dense vector (no-op without an encoder), recording the run's
    progress for operators (:class:`~kechuang.search.models.EmbeddingRun`) and in the log."""
    backend = get_backend()
    embed = getattr(backend, "embed_pending", None)
    if embed is None:
        return 0
    encode_queries_ahead(backend)
    recorder = EmbeddingRecorder()
    done = embed(limit=limit, progress=recorder)
    recorder.finish()
    return done


def encode_queries_ahead(backend: SearchBackend) -> int:
    """Compute the query vectors of the registered query sources that the encoder's cache lacks
    (first: they are few, and the pages showing matches wait for them); returns how many."""
    encoder = getattr(backend, "encoder", None)
    cached = getattr(encoder, "cached", None)
    if cached is None:  # no encoder, or none whose vectors outlive the process
        return 0
    texts = {text[:QUERY_CHARS] for source in _query_sources for text in source() if text.strip()}
    missing = sorted(text for text in texts if cached("query", text) is None)
    for start in range(0, len(missing), QUERY_BATCH):
        encoder.encode_queries(missing[start : start + QUERY_BATCH])
    return len(missing)


@dataclass
class VectorCoverage:
    """How many indexed records have their dense vector, of how many."""

    ready: int
    documents: int

    @property
    def percent(self) -> int:
        return 100 if not self.documents else int(100 * self.ready / self.documents)


def vector_coverage() -> VectorCoverage:
    status = getattr(get_backend(), "status", dict)()
    documents = int(status.get("documents", 0))
    pending = int(status.get("vectors_pending", documents - int(status.get("vectors_ready", 0))))
    return VectorCoverage(ready=max(0, documents - pending), documents=documents)


class EmbeddingRecorder:
    """The progress callback of one embedding run: the run's row is created at its first batch (runs
    with nothing to encode leave no trace) replacing the previous run, then updated at most every
    :attr:`save_seconds`. A line goes to the log at every tenth of the way, at least every
    :attr:`log_seconds`, and at the end. Rows are written with ``update()``: a run started meanwhile
    elsewhere (a second embedding worker) may have replaced this one's row, which is then left alone."""

    save_seconds = 2.0
    log_seconds = 300.0

    def __init__(self) -> None:
        self.run = None
        self.saved = self.logged = float("-inf")
        self.logged_tenth = 0

    def __call__(self, done: int, total: int) -> None:
        from kechuang.search.models import EmbeddingRun

        now = timezone.now()
        if self.run is None:
            EmbeddingRun.objects.all().delete()
            self.run = EmbeddingRun.objects.create(started_at=now, updated_at=now, total=total)
            self.logged = time.monotonic()  # the first line once a rate is known
        self.run.done, self.run.total, self.run.updated_at = done, total, now
        tick = time.monotonic()
        if tick - self.saved >= self.save_seconds:
            self.saved = tick
            self._save()
        tenth = 10 * done // total if total else 10
        if tenth > self.logged_tenth or tick - self.logged >= self.log_seconds:
            self.logged, self.logged_tenth = tick, tenth
            self.log()

    def finish(self) -> None:
        if self.run is None:
            return
        self.run.finished_at = self.run.updated_at = timezone.now()
        self._save()
        self.log()

    def _save(self) -> None:
        from kechuang.search.models import EmbeddingRun

        run = self.run
        EmbeddingRun.objects.filter(pk=run.pk).update(
            done=run.done, total=run.total, updated_at=run.updated_at, finished_at=run.finished_at
        )

    def log(self) -> None:
        from django.utils.translation import gettext as _

        run, coverage = self.run, vector_coverage()
        line = _("语义向量：%(ready)d / %(documents)d 条记录已完成（%(percent)d%%）") % {
            "ready": coverage.ready,
            "documents": coverage.documents,
            "percent": coverage.percent,
        }
        if run.finished_at is None and run.rate:
            line += _("，每分钟约 %(n)d 条") % {"n": round(run.rate * 60)}
            if run.seconds_left is not None:
                line += _("，预计还需%(t)s") % {"t": duration_text(run.seconds_left)}
        logger.info("%s。", line)


def duration_text(seconds: float) -> str:
    """A rough, readable duration: “不到 1 分钟”, “约 14 分钟”, “约 2 小时 5 分钟”."""
    from django.utils.translation import gettext as _

    minutes = round(seconds / 60)
    if minutes < 1:
        return _("不到 1 分钟")
    if minutes < 60:
        return _("约 %(m)d 分钟") % {"m": minutes}
    return _("约 %(h)d 小时 %(m)d 分钟") % {"h": minutes // 60, "m": minutes % 60}


def all_documents() -> Iterable[Document]:
    for registration in _registry.values():
        for row in registration.queryset().iterator(chunk_size=BATCH_SIZE):
            yield registration.to_document(row)


def rebuild_all(progress: ProgressCallback | None = None) -> int:
    """Rebuild the whole index from the database; returns the number of documents indexed. Searches keep
    answering from the previous index until the new one is complete."""
    total = sum(r.queryset().count() for r in _registry.values())
    backend = get_backend()
    backend.rebuild(all_documents(), total=total, progress=progress)
    return total


def _ready_backend() -> SearchBackend:
    """The backend, rebuilt from the database first (with a logged warning) when its index is missing
    or corrupt."""
    backend = get_backend()
    check = getattr(backend, "check", None)
    if check is None:
        return backend
    try:
        check()
    except Exception as exc:  # IndexUnavailable from any backend: never serve a half-read index
        if type(exc).__name__ != "IndexUnavailable":
            raise
        logger.warning("search index unavailable (%s); rebuilding it from the database", exc)
        rebuild_all()
    return backend


def search(
    query: str,
    *,
    types: list[str] | None = None,
    filters: dict[str, list[str]] | None = None,
    k: int = 10,
    diversify: int | None = None,
) -> list[Hit]:
    """The ``k`` best published records for ``query`` (see :meth:`SearchBackend.search`). An empty, blank
    or unusable query returns ``[]``; filters naming unknown values match nothing."""
    if not isinstance(query, str) or not query.strip():
        return []
    clean_filters = {
        str(key): [str(v) for v in (values if isinstance(values, list | tuple | set) else [values])]
        for key, values in (filters or {}).items()
    }
    return _ready_backend().search(
        query, types=types, filters=clean_filters, k=max(0, min(int(k), 1000)), diversify=diversify
    )
