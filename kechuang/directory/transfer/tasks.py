"""Running imports in the background (Django Tasks) with progress the import page polls.

An upload is stored under ``transfer/`` in the default storage and a :func:`run_import` task is queued;
its task-result id is the import id. The task keeps an :class:`ImportStatus`-shaped dict in the cache (state,
stage, rows done, and at the end the report). Where the cache is not shared with the worker (the default
local-memory cache with a separate ``db_worker``), :func:`import_status` falls back to the task backend's
stored result, which holds the final report.
"""

import logging
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskContext, TaskResultStatus, task
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch

from kechuang.core.queues import IMPORT_QUEUE
from kechuang.directory.transfer.importer import ImportReport, RowError, import_records
from kechuang.directory.transfer.readers import UnreadableFile, read_upload
from kechuang.directory.transfer.specs import get_spec

logger = logging.getLogger(__name__)

UPLOAD_DIR = "transfer"
STATUS_TIMEOUT = 24 * 60 * 60  # seconds a finished import's report stays available
STALE_UPLOADS = timedelta(days=1)  # checked-but-never-imported uploads are removed after this

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def status_key(import_id: str) -> str:
    return f"directory:transfer:{import_id}"


def store_upload(data: bytes, filename: str) -> str:
    """Keep an upload for the worker; returns its storage path. Old leftovers are removed first."""
    _remove_stale_uploads()
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return default_storage.save(f"{UPLOAD_DIR}/upload{suffix}", ContentFile(data))


def _remove_stale_uploads() -> None:
    if not default_storage.exists(UPLOAD_DIR):
        return
    cutoff = timezone.now() - STALE_UPLOADS
    for name in default_storage.listdir(UPLOAD_DIR)[1]:
        path = f"{UPLOAD_DIR}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)


def start_import(user, record_type: str, path: str, filename: str, *, dry_run: bool) -> str:
    """Queue an import (or a dry-run check) of the stored upload at ``path``; returns the import id."""
    result = run_import.enqueue(record_type, user.pk, path, filename, dry_run)
    # With a queue the task has not started yet; an inline backend has already written "done".
    cache.add(
        status_key(result.id),
        _status(QUEUED, record_type, user.pk, path, filename, dry_run),
        STATUS_TIMEOUT,
    )
    return result.id


def _status(state, record_type, user_id, path, filename, dry_run, **extra) -> dict[str, Any]:
    return {
        "state": state,
        "record_type": record_type,
        "user_id": user_id,
        "path": path,
        "filename": filename,
        "dry_run": dry_run,
        "stage": "",
        "done": 0,
        "total": 0,
        "report": None,
        "message": "",
        **extra,
    }


def import_status(import_id: str) -> dict[str, Any] | None:
    """The import's status from the cache, else from the task backend's stored result; ``None`` if
    unknown. A finished import's status has its report under ``"report"`` (a dict, see
    :meth:`ImportReport.to_dict`)."""
    status = cache.get(status_key(import_id))
    if status is not None and status["state"] in {DONE, FAILED}:
        return status
    try:
        result = run_import.get_result(import_id)
    except (NotImplementedError, TaskResultDoesNotExist, TaskResultMismatch):
        return status
    record_type, user_id, path, filename, dry_run = result.args
    if result.status == TaskResultStatus.SUCCESSFUL:
        return _status(
            DONE, record_type, user_id, path, filename, dry_run, report=result.return_value
        )
    if result.status == TaskResultStatus.FAILED:
        return _status(
            FAILED,
            record_type,
            user_id,
            path,
            filename,
            dry_run,
            message=_("导入出错，请联系管理员"),
        )
    state = RUNNING if result.status == TaskResultStatus.RUNNING else QUEUED
    return status or _status(state, record_type, user_id, path, filename, dry_run)


@task(takes_context=True, queue_name=IMPORT_QUEUE)
def run_import(
    context: TaskContext, record_type: str, user_id: int, path: str, filename: str, dry_run: bool
) -> dict[str, Any]:
    """Read the stored upload and import it (or check it, for ``dry_run``), reporting progress in the
    cache. A real import removes the upload; a check keeps it so the user can import it next."""
    import_id = context.task_result.id
    key = status_key(import_id)
    status = _status(RUNNING, record_type, user_id, path, filename, dry_run)
    cache.set(key, status, STATUS_TIMEOUT)

    def progress(stage: str, done: int, total: int) -> None:
        # About a hundred cache writes per stage, however long the file.
        if done == total or done % max(1, total // 100) == 0:
            cache.set(key, {**status, "stage": stage, "done": done, "total": total}, STATUS_TIMEOUT)

    try:
        user = get_user_model().objects.get(pk=user_id)
        spec = get_spec(record_type)
        with default_storage.open(path, "rb") as upload:
            data = upload.read()
        try:
            sheets = read_upload(data)
        except UnreadableFile as error:
            report = ImportReport(record_type, dry_run, import_id=import_id)
            report.errors.append(RowError(None, "", str(error)))
        else:
            report = import_records(
                user, spec, sheets, dry_run=dry_run, progress=progress, import_id=import_id
            )
        if not dry_run or not report.ok:
            default_storage.delete(path)
    except Exception:
        logger.exception("import %s failed", import_id)
        cache.set(
            key, {**status, "state": FAILED, "message": _("导入出错，请联系管理员")}, STATUS_TIMEOUT
        )
        raise
    cache.set(key, {**status, "state": DONE, "report": report.to_dict()}, STATUS_TIMEOUT)
    return report.to_dict()
