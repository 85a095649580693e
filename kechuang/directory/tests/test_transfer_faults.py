"""Faults in the middle of an import, on real PostgreSQL with a real ``kechuang worker`` process: the worker
killed (``kill -9``) and its database connection cut while the import has written its rows but not
committed them. Nothing of the import remains; the clock puts the task back in its queue; a new worker runs
it and the records are there exactly once."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kechuang.core import workers
from kechuang.core.models import AuditEntry, WorkerHeartbeat
from kechuang.core.queues import QUEUES
from kechuang.directory.models import Organization
from kechuang.directory.tests.transfer_world import build_world, code, csv_bytes
from kechuang.directory.transfer.tasks import start_import, store_upload

pytestmark = [pytest.mark.postgres_race, pytest.mark.django_db(transaction=True)]

ROWS = 40


@pytest.fixture
def world(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process and a cut connection need a database server (PostgreSQL)")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def dsn() -> str:
    db = connection.settings_dict
    return (
        f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def worker(*extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": dsn(),
        "TASKS_BACKEND": "database",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    command = [sys.executable, "-m", "kechuang.cli", "worker", "--queue-name", "imports"]
    command += ["--no-startup-delay", "--no-reload", "--interval", "0.2", *extra]
    return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)


def backend_waiting_for_a_lock(watcher: psycopg.Connection) -> int | None:
    """The backend of this database that waits for a lock, if any (``watcher`` is in autocommit:
    pg_stat_activity stays as first read within a transaction)."""
    row = watcher.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    ).fetchone()
    return row[0] if row else None


def test_a_worker_killed_mid_import_leaves_nothing_and_a_new_worker_imports_once(world):
    rows = [["名称", "统一社会信用代码", "类型", "所在区域"]] + [
        [f"瑞安故障测试企业{n}", code(n), "企业", "瑞安市"] for n in range(ROWS)
    ]
    path = store_upload(csv_bytes(rows), "企业.csv")
    import_id = start_import(world.operator, "organizations", path, "企业.csv", dry_run=False)
    before = Organization.objects.count()

    # Hold the audit table so the import blocks after inserting its rows, before its audit row commits.
    blocker = psycopg.connect(dsn(), autocommit=False)
    watcher = psycopg.connect(dsn(), autocommit=True)
    blocker.execute("LOCK TABLE core_auditentry IN SHARE MODE")
    first = worker()
    try:
        deadline = time.monotonic() + 120
        while (pid := backend_waiting_for_a_lock(watcher)) is None:
            assert first.poll() is None, "the worker exited before the import blocked"
            assert time.monotonic() < deadline, "the import never reached its audit row"
            time.sleep(0.2)
        first.kill()  # the worker dies ...
        first.wait(timeout=30)
        watcher.execute("SELECT pg_terminate_backend(%s)", [pid])  # ... and its connection is cut
    finally:
        blocker.rollback()
        blocker.close()
        watcher.close()
        if first.poll() is None:
            first.kill()

    assert Organization.objects.count() == before
    assert not AuditEntry.objects.filter(action="directory.record.import").exists()
    task = DBTaskResult.objects.get(pk=import_id)
    assert task.status == TaskResultStatus.RUNNING  # abandoned: nobody will finish it ...
    assert WorkerHeartbeat.objects.filter(worker_id=task.worker_ids[-1]).exists()

    # ... until the clock sees the worker gone, and puts the task back.
    later = timezone.now() + timedelta(seconds=settings.TASK_WORKER_LEASE + 1)
    assert workers.requeue_abandoned(now=later) == "requeued 1, failed 0"
    second = worker("--batch")
    assert second.wait(timeout=300) == 0

    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert task.return_value["created"] == ROWS and task.return_value["errors"] == []
    assert Organization.objects.count() == before + ROWS
    assert sorted(
        Organization.objects.filter(name__startswith="瑞安故障测试企业").values_list(
            "credit_code", flat=True
        )
    ) == sorted(code(n) for n in range(ROWS))
    assert AuditEntry.objects.filter(action="directory.record.import").count() == 1
    assert AuditEntry.objects.filter(action="core.task.requeue", target_id=import_id).count() == 1
