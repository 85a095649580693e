"""Task workers that may die mid-task, and the tasks they leave behind.

``kechuang worker`` is django-tasks-db's ``db_worker`` with a heartbeat: while it runs, a row of
:class:`~kechuang.core.models.WorkerHeartbeat` carries its id and the time it was last seen alive (every
:data:`BEAT`). A worker killed by the kernel, a power cut or ``kill -9`` stops beating, but the task it had
claimed stays *running* in the queue's table for ever: nothing would run it again. The clock's
``core.tasks.requeue`` job (:func:`requeue_abandoned`) looks for running tasks whose worker has not been seen
for ``TASK_WORKER_LEASE`` seconds and puts them back in the queue, so another worker takes them up; a task
whose workers died :data:`MAX_ATTEMPTS` times is marked failed instead (a task that kills its worker must not
kill every worker in turn). Tasks claimed by a plain ``db_worker`` (no heartbeat row) are never touched.

A requeued task runs again from its start, so tasks must be safe to repeat: an import is one transaction
(a killed worker's rows are rolled back by the database), index updates and vectors are recomputed from the
records.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kechuang.core import audit
from kechuang.core.events import CoreEvent
from kechuang.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

BEAT = timedelta(seconds=10)  # how often a worker says it is alive
MAX_ATTEMPTS = 3  # workers lost on one task before it is failed instead of requeued
FORGET_AFTER = timedelta(days=1)  # heartbeat rows of workers gone this long are deleted


class WorkerLost(Exception):
    """Recorded as a failed task's exception when its workers died :data:`MAX_ATTEMPTS` times."""


def lease() -> timedelta:
    """How long a worker may go unseen before its running task counts as abandoned."""
    return timedelta(seconds=settings.TASK_WORKER_LEASE)


def beat(worker_id: str, queues: str, now: datetime | None = None) -> None:
    """Record that ``worker_id`` is alive (called by the worker's heartbeat thread)."""
    now = now or timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now)
    if not updated:
        WorkerHeartbeat.objects.create(worker_id=worker_id, queues=queues[:200], last_seen=now)


def forget(worker_id: str) -> None:
    """A worker that stops cleanly removes its row: it has finished or failed its task itself."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def requeue_abandoned(now: datetime | None = None) -> str:
    """Put the running tasks of workers unseen for :func:`lease` back in their queue (or fail them after
    :data:`MAX_ATTEMPTS` lost workers); returns what it did, for the clock's page."""
    now = now or timezone.now()
    gone = set(
        WorkerHeartbeat.objects.filter(last_seen__lt=now - lease()).values_list(
            "worker_id", flat=True
        )
    )
    requeued = failed = 0
    if gone:
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
        for result in running.only("id", "worker_ids", "started_at", "task_path", "queue_name"):
            if not result.worker_ids or result.worker_ids[-1] not in gone:
                continue
            if _release(result, now):
                if len(result.worker_ids) >= MAX_ATTEMPTS:
                    failed += 1
                else:
                    requeued += 1
    WorkerHeartbeat.objects.filter(last_seen__lt=now - FORGET_AFTER).delete()
    return f"requeued {requeued}, failed {failed}"


def _release(result: DBTaskResult, now: datetime) -> bool:
    """Requeue or fail one abandoned task with a conditional UPDATE (another clock, or the worker coming
    back to life, may have changed it since it was read); ``False`` if it had changed."""
    attempts = len(result.worker_ids)
    claimed = DBTaskResult.objects.filter(
        pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
    )
    with transaction.atomic():
        if attempts >= MAX_ATTEMPTS:
            changed = claimed.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=f"WorkerLost: {attempts} workers stopped while running this task",
            )
            event = CoreEvent.TASK_FAIL
        else:
            changed = claimed.update(status=TaskResultStatus.READY, started_at=None)
            event = CoreEvent.TASK_REQUEUE
        if changed:
            audit.record(
                None,
                event,
                result,
                summary=f"{result.task_path} ({result.queue_name})",
                workers=list(result.worker_ids),
            )
    if changed:
        logger.warning("task %s %s after its worker stopped", result.pk, event)
    return bool(changed)
