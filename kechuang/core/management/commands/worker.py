"""``kechuang worker``: django-tasks-db's ``db_worker`` (same options) with a heartbeat, so that the task of
a worker that dies is put back in its queue by the clock (:mod:`kechuang.core.workers`)."""

import logging
import os
import socket
import threading

from django.db import DatabaseError, connection
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from kechuang.core import workers
from kechuang.core.lifeline import watch_parent

logger = logging.getLogger(__name__)


class Command(DatabaseWorkerCommand):
    help = (
        "Run a database task worker that reports it is alive (its tasks are requeued if it dies)."
    )

    def handle(self, *args, worker_id: str, queue_name: str, **options):
        # db_worker's default id is drawn once per import; one that names the host and process helps
        # whoever reads the heartbeat table, and stays unique when several workers start together.
        if not options.get("reload") and worker_id and len(worker_id) == 32:
            worker_id = f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(8)}"
        watch_parent()  # started by the demo: end with it
        workers.beat(worker_id, queue_name)  # before the first claim
        stop = threading.Event()
        heart = threading.Thread(
            target=_keep_beating, args=(worker_id, queue_name, stop), daemon=True
        )
        heart.start()
        clean = False
        try:
            result = super().handle(*args, worker_id=worker_id, queue_name=queue_name, **options)
            clean = True
            return result
        except SystemExit as exit:
            # db_worker exits 0 when stopped between tasks, 1 when a second signal cut a task short.
            clean = exit.code in (0, None)
            raise
        finally:
            stop.set()
            heart.join(timeout=workers.BEAT.total_seconds() + 5)
            if clean:
                workers.forget(worker_id)
            # Otherwise (an error escaped the worker, a task was cut short) the row stays and stops being
            # refreshed, so the clock puts the task this worker held back in its queue.


def _keep_beating(worker_id: str, queues: str, stop: threading.Event) -> None:
    """The heartbeat thread, on a database connection of its own."""
    try:
        while not stop.wait(workers.BEAT.total_seconds()):
            try:
                workers.beat(worker_id, queues)
            except DatabaseError:  # a locked SQLite file or a restarting server: beat next time
                logger.warning("worker %s could not record its heartbeat", worker_id, exc_info=True)
                connection.close()
    finally:
        connection.close()
