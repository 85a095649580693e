"""Imports racing other writers on real PostgreSQL connections (skipped on SQLite, whose IMMEDIATE
transactions serialise writers anyway)."""

import threading
import time

import pytest
from django.db import connection, connections

from kechuang.core.models import AuditEntry
from kechuang.directory.factories import OrganizationFactory
from kechuang.directory.models import Organization
from kechuang.directory.tests.transfer_world import build_world, code, sheet
from kechuang.directory.transfer.importer import CHECKING, RowError, import_records
from kechuang.directory.transfer.specs import ORGANIZATIONS, SERVICES

pytestmark = [pytest.mark.postgres_race, pytest.mark.django_db(transaction=True)]

ROWS = 20


@pytest.fixture
def world():
    if connection.vendor != "postgresql":
        pytest.skip("races need real concurrent connections (PostgreSQL)")
    return build_world()


def organization_rows(world) -> list[list[str]]:
    return [["名称", "统一社会信用代码", "类型", "所在区域"]] + [
        [f"公司{n}", code(n), "企业", "瑞安市"] for n in range(ROWS)
    ]


def service_rows(world) -> list[list[str]]:
    OrganizationFactory(credit_code=code(1), region=world.ruian)
    return [["服务名称", "服务机构", "服务类别", "服务内容"]] + [
        [f"检测{n}", code(1), "检验检测", "金属材料检测"] for n in range(ROWS)
    ]


def waits_for_advisory_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE pid = %s AND locktype = 'advisory' AND NOT granted",
            [pid],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.parametrize(
    ("spec", "make_rows"), [(ORGANIZATIONS, organization_rows), (SERVICES, service_rows)]
)
def test_a_second_import_of_the_same_new_records_waits_and_matches_them(world, spec, make_rows):
    """The first import has checked its rows (all new) when the second starts; the second must not create
    them again — organisations have a unique credit code, services have no database constraint at all."""
    rows = make_rows(world)
    second_pid: list[int] = []
    second_done = threading.Event()
    reports = {}

    def second():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second_pid.append(cursor.fetchone()[0])
            reports["second"] = import_records(world.operator, spec, sheet(rows))
        finally:
            second_done.set()
            connections.close_all()

    thread = threading.Thread(target=second)

    def progress(stage, done, total):
        # Once every row is checked, let the second import run until it finishes or waits for ours.
        if stage == CHECKING and done == total:
            thread.start()
            while not second_done.is_set() and not (
                second_pid and waits_for_advisory_lock(second_pid[0])
            ):
                time.sleep(0.01)

    reports["first"] = import_records(world.operator, spec, sheet(rows), progress=progress)
    thread.join()

    first, second_report = reports["first"], reports["second"]
    assert first.errors == second_report.errors == []
    assert (first.created, first.updated, first.unchanged) == (ROWS, 0, 0)
    assert (second_report.created, second_report.updated, second_report.unchanged) == (0, 0, ROWS)
    assert spec.model.objects.count() == ROWS
    assert AuditEntry.objects.filter(action="directory.record.import").count() == 2


def test_a_record_saved_elsewhere_between_check_and_write_is_a_row_error(world):
    """A credit code taken by an edit outside the import after the check: nothing is written and the row
    says why."""
    rows = organization_rows(world)[:3]

    def progress(stage, done, total):
        if stage == CHECKING and done == total:
            thread = threading.Thread(target=create_elsewhere)
            thread.start()
            thread.join()

    def create_elsewhere():
        try:
            OrganizationFactory(credit_code=code(1), name="别处录入", region=world.ruian)
        finally:
            connections.close_all()

    report = import_records(world.operator, ORGANIZATIONS, sheet(rows), progress=progress)

    assert report.errors == [
        RowError(
            3,
            "统一社会信用代码",
            "该机构刚由他人录入（统一社会信用代码相同），本次未导入任何数据，请重新导入",
        )
    ]
    assert list(Organization.objects.values_list("name", flat=True)) == ["别处录入"]
    assert not AuditEntry.objects.filter(action="directory.record.import").exists()
