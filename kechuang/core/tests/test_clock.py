"""The clock runs each due periodic job once — with several clocks racing, after downtime, and again on
the next tick after a failure, which stops no other job — and shows operators how the jobs went."""

import threading
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections

from kechuang.accounts.factories import OperatorMandateFactory, UserFactory
from kechuang.core import clock
from kechuang.core.models import PeriodicJob

RUNS: list[str] = []
BROKEN = {"on": True}
START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def count():
    RUNS.append("count")
    time.sleep(0.05)  # long enough for a second clock to arrive meanwhile
    return len(RUNS)


def fail_while_broken():
    RUNS.append("fail")
    if BROKEN["on"]:
        raise RuntimeError("the mail server is down")
    return "recovered"


COUNT = clock.Job("test.count", timedelta(hours=1), f"{__name__}.count", "count")
FAILING = clock.Job("test.fail", timedelta(hours=1), f"{__name__}.fail_while_broken", "fail")


@pytest.fixture(autouse=True)
def fresh_runs():
    RUNS.clear()
    BROKEN["on"] = True


def test_a_job_is_registered_and_runs_once_per_period(db):
    assert clock.tick(START, [COUNT]) == {"test.count": "done"}
    assert clock.tick(START + timedelta(minutes=59), [COUNT]) == {}
    assert clock.tick(START + timedelta(hours=1), [COUNT]) == {"test.count": "done"}
    assert RUNS == ["count", "count"]
    row = PeriodicJob.objects.get(name="test.count")
    assert (row.runs, row.last_outcome, row.last_result) == (2, "done", "2")
    assert row.next_run_at == START + timedelta(hours=2) and row.claimed_until is None


def test_after_downtime_a_job_that_fell_due_many_times_runs_once(db):
    clock.tick(START, [COUNT])
    back = START + timedelta(hours=5, minutes=10)  # five periods missed
    assert clock.tick(back, [COUNT]) == {"test.count": "done"}
    assert clock.tick(back + timedelta(minutes=1), [COUNT]) == {}
    assert RUNS == ["count", "count"]
    assert PeriodicJob.objects.get(name="test.count").next_run_at == back + timedelta(hours=1)


def test_a_failing_job_is_recorded_and_retried_next_tick_without_blocking_others(db):
    assert clock.tick(START, [FAILING, COUNT]) == {"test.fail": "failed", "test.count": "done"}
    failed = PeriodicJob.objects.get(name="test.fail")
    assert (failed.last_outcome, failed.failures, failed.runs) == ("failed", 1, 1)
    assert "RuntimeError: the mail server is down" in failed.last_error
    assert failed.next_run_at == START and failed.claimed_until is None  # still due

    next_tick = START + timedelta(minutes=1)
    assert clock.tick(next_tick, [FAILING, COUNT]) == {"test.fail": "failed"}
    assert PeriodicJob.objects.get(name="test.fail").failures == 2

    BROKEN["on"] = False
    assert clock.tick(next_tick + timedelta(minutes=1), [FAILING, COUNT]) == {"test.fail": "done"}
    recovered = PeriodicJob.objects.get(name="test.fail")
    assert (recovered.last_outcome, recovered.failures, recovered.runs) == ("done", 0, 3)
    assert (recovered.last_result, recovered.last_error) == ("recovered", "")
    assert RUNS == ["fail", "count", "fail", "fail"]


def test_a_job_held_by_a_clock_that_died_is_taken_up_when_its_lease_ends(db):
    clock.tick(START, [COUNT])
    due = START + timedelta(hours=1)
    PeriodicJob.objects.filter(name="test.count").update(claimed_until=due + COUNT.lease)
    assert clock.tick(due, [COUNT]) == {}
    assert clock.tick(due + COUNT.lease, [COUNT]) == {"test.count": "done"}
    assert RUNS == ["count", "count"]


@pytest.mark.postgres_race
@pytest.mark.django_db(transaction=True)
def test_of_two_clocks_racing_only_one_runs_a_due_job():
    if connection.vendor != "postgresql":
        pytest.skip("races need real concurrent connections (PostgreSQL)")
    for round_ in range(5):
        RUNS.clear()
        now = START + timedelta(hours=round_)
        barrier = threading.Barrier(2)
        outcomes: list[dict] = []

        def race(barrier=barrier, outcomes=outcomes, now=now):
            barrier.wait()
            try:
                outcomes.append(clock.tick(now, [COUNT]))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=race) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes, key=len) == [{}, {"test.count": "done"}], round_
        assert RUNS == ["count"], round_
        assert PeriodicJob.objects.get(name="test.count").runs == round_ + 1


def test_the_clock_command_runs_one_tick(db):
    out = StringIO()
    call_command("clock", "--once", stdout=out)
    assert out.getvalue() == "".join(f"{job.name}: done\n" for job in clock.JOBS)
    assert [job.name for job in clock.JOBS] == [
        "core.tasks.requeue",
        "engagements.expire",
        "auctions.close",
        "booking.release",
        "booking.remind",
        "vouchers.expire",
        "vouchers.providers.activate",
        "notifications.purge",
    ]
    row = PeriodicJob.objects.get(name="engagements.expire")
    assert (row.runs, row.last_outcome, row.last_result) == (1, "done", "0")


def test_the_demo_s_quiet_clock_prints_nothing_yet_runs(db):
    out = StringIO()
    call_command("clock", "--once", "--verbosity", "0", stdout=out)
    assert out.getvalue() == ""
    assert PeriodicJob.objects.get(name="engagements.expire").runs == 1


def test_operators_see_each_job_with_its_last_and_next_run(db, client):
    clock.tick(START)
    client.force_login(OperatorMandateFactory().user)
    page = client.get("/manage/clock/").content.decode()
    assert "过期未回应的对接请求" in page and "每小时" in page and "成功" in page
    assert (
        "2026-11-22 16:00" in page and "2026-11-22 17:00" in page
    )  # last and next run, Shanghai time
    assert "时钟进程可能没有启动" in page  # the last tick is long past: no clock runs


def test_the_clock_page_is_for_operators_only(db, client):
    client.force_login(UserFactory())
    assert client.get("/manage/clock/").status_code == 403
    assert not PeriodicJob.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_clock_page_at_desk_and_phone_width(page, live_server, artifacts_dir):
    clock.tick()
    operator = OperatorMandateFactory().user
    operator.set_password("kechuang-test-pw")
    operator.save()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", operator.username)
    page.fill("input[name=password]", "kechuang-test-pw")
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()
    for width, height in ((1366, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/manage/clock/")
        row = page.get_by_role("row").filter(has_text="过期未回应的对接请求")
        assert "每小时" in row.inner_text() and "成功" in row.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=artifacts_dir / f"clock-{width}.png", full_page=True)
