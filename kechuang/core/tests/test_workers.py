"""A task whose worker died is put back in its queue by the clock (kechuang/core/workers.py), on both
databases: the heartbeat, the lease, the conditional requeue, the give-up after three lost workers, and
the tasks of plain ``db_worker`` processes left alone."""

import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kechuang.core import workers
from kechuang.core.models import AuditEntry, WorkerHeartbeat
from kechuang.core.queues import QUEUES
from kechuang.core.tests.worker_runs import run_worker

# transaction=True: the worker closes connections between tasks, as db_worker does, which a test
# transaction would not survive.
pytestmark = pytest.mark.django_db(transaction=True)


@task()
def heartbeat_seen() -> list[str]:
    """What a task sees of the worker heartbeats while it runs."""
    return list(WorkerHeartbeat.objects.values_list("worker_id", flat=True))


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
    settings.TASK_WORKER_LEASE = 90


def claimed(worker_id: str, at, result_id=None) -> DBTaskResult:
    """A queued task claimed by ``worker_id`` at ``at``, as a worker's claim leaves it."""
    result_id = result_id or heartbeat_seen.enqueue().id
    row = DBTaskResult.objects.get(pk=result_id)
    row.claim(worker_id)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=at)
    row.refresh_from_db()
    return row


def test_a_task_of_a_worker_seen_within_the_lease_stays_running(database_tasks):
    t0 = timezone.now()
    workers.beat("w1", "*", now=t0)
    row = claimed("w1", t0)
    assert workers.requeue_abandoned(now=t0 + timedelta(seconds=89)) == "requeued 0, failed 0"
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING
    assert not AuditEntry.objects.filter(action__startswith="core.task.").exists()


def test_a_dead_workers_task_is_requeued_once_and_then_runs(database_tasks):
    t0 = timezone.now()
    workers.beat("w1", "*", now=t0)
    row = claimed("w1", t0)
    later = t0 + timedelta(seconds=91)

    assert workers.requeue_abandoned(now=later) == "requeued 1, failed 0"
    row.refresh_from_db()
    assert (row.status, row.started_at, row.worker_ids) == (TaskResultStatus.READY, None, ["w1"])
    entry = AuditEntry.objects.get(action="core.task.requeue")
    assert (entry.actor, entry.target_id) == (None, str(row.pk))
    assert entry.data == {"workers": ["w1"]}
    # A second clock coming round finds nothing more to do.
    assert workers.requeue_abandoned(now=later) == "requeued 0, failed 0"
    assert AuditEntry.objects.filter(action="core.task.requeue").count() == 1

    run_worker("--queue-name", "default", "--worker-id", "w2")
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.worker_ids == ["w1", "w2"]
    assert row.return_value == ["w1", "w2"]  # the new worker beat before it claimed the task
    # w2 stopped cleanly and removed its row; the dead w1's stays until it is a day old.
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["w1"]
    workers.requeue_abandoned(now=t0 + workers.FORGET_AFTER + timedelta(seconds=1))
    assert not WorkerHeartbeat.objects.exists()


def test_a_task_that_lost_three_workers_is_failed_not_requeued(database_tasks):
    t0 = timezone.now()
    for n in (1, 2, 3):
        workers.beat(f"w{n}", "*", now=t0)
    row = claimed("w1", t0)
    row = claimed("w2", t0, row.pk)
    row = claimed("w3", t0, row.pk)
    assert workers.requeue_abandoned(now=t0 + timedelta(minutes=2)) == "requeued 0, failed 1"
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "kechuang.core.workers.WorkerLost"
    assert AuditEntry.objects.get(action="core.task.fail").data == {"workers": ["w1", "w2", "w3"]}


def test_tasks_of_workers_without_a_heartbeat_are_left_alone(database_tasks):
    """A plain ``db_worker`` records no heartbeat: its task may run for hours and is never requeued."""
    t0 = timezone.now()
    row = claimed("plain-db-worker", t0)
    assert workers.requeue_abandoned(now=t0 + timedelta(days=3)) == "requeued 0, failed 0"
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING


def test_a_task_claimed_again_since_it_was_read_is_not_requeued(database_tasks):
    """The requeue is a conditional UPDATE on the claim's start time: a task another worker claimed
    after the clock read it keeps running."""
    t0 = timezone.now()
    workers.beat("w1", "*", now=t0)
    row = claimed("w1", t0)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=t0 + timedelta(seconds=1))
    assert workers._release(row, t0 + timedelta(minutes=2)) is False
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING
    assert not AuditEntry.objects.exists()


def test_the_worker_names_its_host_and_process_and_leaves_no_row_when_it_stops(database_tasks):
    result = heartbeat_seen.enqueue()
    run_worker("--queue-name", "default")
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    (worker_id,) = row.worker_ids
    assert row.return_value == [worker_id]
    host, pid, suffix = worker_id.rsplit("-", 2)
    assert host == socket.gethostname()[:30]
    assert pid.isdigit() and len(suffix) == 8
    assert not WorkerHeartbeat.objects.exists()
