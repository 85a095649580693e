"""Background work runs on separate queues so that nothing waits behind the embedding: each task's
queue, and the demo's two database workers taking exactly their share of real queued tasks."""

import os
import shutil
import time
from datetime import UTC, datetime

import pytest
from django.conf import settings as django_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kechuang.accounts.factories import UserFactory
from kechuang.core.lifeline import PARENT_ENV
from kechuang.core.tests.worker_runs import run_worker
from kechuang.demands import tasks as demand_tasks
from kechuang.demo.management.commands import demo
from kechuang.directory.transfer import tasks as transfer_tasks
from kechuang.notifications import tasks as notification_tasks
from kechuang.notifications.models import Notification
from kechuang.notifications.services import notify
from kechuang.search import tasks as core_tasks

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_kind_of_work_has_its_queue():
    assert core_tasks.embed_pending.queue_name == "embeddings"
    assert core_tasks.sync_records.queue_name == "search"
    assert core_tasks.rebuild_index.queue_name == "search"
    assert transfer_tasks.run_import.queue_name == "imports"
    assert notification_tasks.deliver.queue_name == "default"
    assert demand_tasks.count_matches.queue_name == "default"
    assert demand_tasks.send_answer_link.queue_name == "default"
    assert django_settings.TASKS["default"]["QUEUES"] == core_tasks.QUEUES
    assert core_tasks.QUEUES == ["default", "imports", "search", "embeddings"]


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": demo.DATABASE_WORKER, "QUEUES": core_tasks.QUEUES}}


def run_demo_worker(worker: demo.DemoWorker) -> None:
    """Run the demo worker's own ``kechuang worker`` arguments in batch mode."""
    command = worker.command()
    arguments = command[command.index("worker") + 1 :]
    arguments.remove("--no-reload")
    run_worker(*arguments)


def test_the_general_worker_delivers_notifications_while_an_embedding_waits(database_tasks):
    user = UserFactory()
    embedding = core_tasks.embed_pending.enqueue()
    notify([user], "demand.reviewed", "需求已通过审核")
    assert DBTaskResult.objects.filter(queue_name="default").count() == 1

    general, embedder = demo.DEMO_WORKERS[1], demo.DEMO_WORKERS[0]
    run_demo_worker(general)

    assert Notification.objects.get(recipient=user).emailed is True
    waiting = DBTaskResult.objects.get(pk=embedding.id)
    assert waiting.status == TaskResultStatus.READY
    assert waiting.queue_name == "embeddings"

    run_demo_worker(embedder)
    waiting.refresh_from_db()
    assert waiting.status == TaskResultStatus.SUCCESSFUL


def test_the_embedding_worker_leaves_every_other_queue_alone(database_tasks):
    user = UserFactory()
    notify([user], "demand.reviewed", "需求已通过审核")
    run_demo_worker(demo.DEMO_WORKERS[0])
    assert Notification.objects.get().delivered_at is None
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY


def test_a_notification_delivered_late_carries_the_time_of_the_event(database_tasks):
    user = UserFactory()
    event_time = datetime.now(tz=UTC)
    notify([user], "demand.reviewed", "需求已通过审核")
    time.sleep(0.05)  # the worker comes round later
    worker_started = datetime.now(tz=UTC)
    run_demo_worker(demo.DEMO_WORKERS[1])
    notification = Notification.objects.get(recipient=user)
    assert event_time <= notification.created_at < worker_started <= notification.delivered_at


def test_the_demo_embedding_worker_runs_behind_the_server():
    embedder, general = demo.DEMO_WORKERS
    assert embedder.command()[:3] == [shutil.which("nice"), "-n", "10"]
    assert embedder.command()[-4:] == ["worker", "--queue-name", "embeddings", "--no-reload"]
    assert general.command()[-6:] == [
        "worker",
        "--queue-name",
        "*",
        "--exclude-queues",
        "embeddings",
        "--no-reload",
    ]
    server_side = {"OMP_NUM_THREADS": "1"}
    assert embedder.environment(server_side)["OMP_WAIT_POLICY"] == "PASSIVE"
    assert embedder.environment(server_side)["OMP_NUM_THREADS"] == str(max(1, os.cpu_count() - 1))
    assert embedder.environment(server_side, threads="3")["OMP_NUM_THREADS"] == "3"
    # each ends with the demo however the demo ends (kechuang.core.lifeline)
    assert general.environment(server_side) == {**server_side, PARENT_ENV: str(os.getpid())}
