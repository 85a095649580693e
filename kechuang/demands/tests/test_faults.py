"""The database connection cut in the middle of a state change made through a page, on real PostgreSQL:
the operator's approval has updated the demand and waits to write its audit row when its connection is
terminated. The answer is a 503 that says nothing was saved (not a 500); the demand is as it was, with no
audit row; sent again, the approval goes through once."""

import threading
import time

import psycopg
import pytest
from django.db import connection
from django.test import Client

from kechuang.core.models import AuditEntry
from kechuang.demands.factories import DemandFactory
from kechuang.demands.models import Demand

pytestmark = [pytest.mark.postgres_race, pytest.mark.django_db(transaction=True)]


def dsn() -> str:
    db = connection.settings_dict
    return (
        f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def waiting_backend(watcher: psycopg.Connection) -> int | None:
    """The backend of this database that waits for a lock, if any."""
    row = watcher.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    ).fetchone()
    return row[0] if row else None


def test_an_approval_whose_connection_is_cut_saves_nothing_and_can_be_sent_again(world):
    if connection.vendor != "postgresql":
        pytest.skip("cutting one request's connection needs a database server (PostgreSQL)")
    demand = DemandFactory(
        organization=world.enterprise,
        region=world.district,
        title="电机控制器高温老化失效分析",
        status=Demand.Status.PENDING,
    )
    client = Client()
    client.force_login(world.operator)
    answers = []

    def approve():
        try:
            answers.append(client.post(f"/demands/{demand.pk}/approve/"))
        finally:
            connection.close()

    blocker = psycopg.connect(dsn(), autocommit=False)
    watcher = psycopg.connect(
        dsn(), autocommit=True
    )  # pg_stat_activity is fixed within a transaction
    blocker.execute("LOCK TABLE core_auditentry IN SHARE MODE")
    try:
        request = threading.Thread(target=approve)
        request.start()
        deadline = time.monotonic() + 120
        while not (pid := waiting_backend(watcher)):
            assert request.is_alive() and time.monotonic() < deadline, "the approval never blocked"
            time.sleep(0.1)
        watcher.execute("SELECT pg_terminate_backend(%s)", [pid])
        request.join(timeout=60)
    finally:
        blocker.rollback()
        blocker.close()
        watcher.close()

    (answer,) = answers
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    assert "数据库暂时不可用，您刚才的操作没有保存" in answer.content.decode()
    demand.refresh_from_db()
    assert demand.status == Demand.Status.PENDING
    assert not AuditEntry.objects.filter(action="demands.demand.approve").exists()

    again = client.post(f"/demands/{demand.pk}/approve/")
    assert again.status_code == 302
    demand.refresh_from_db()
    assert demand.status == Demand.Status.PUBLISHED
    assert AuditEntry.objects.filter(action="demands.demand.approve").count() == 1
