"""``kechuang demo`` while serving: e-mail links follow ``--port`` unless ``SITE_URL`` is set, and stopping
(Ctrl+C) ends the task worker once, abandoning a long task instead of raising inside it."""

import signal
import subprocess
import sys
from io import StringIO

import pytest
from django.utils import translation

from kechuang.accounts.factories import UserFactory
from kechuang.demo.management.commands import demo
from kechuang.notifications.services import notify

SLEEPER = "import time; time.sleep(600)"
# A worker busy in a task that does not end on SIGTERM (as db_worker while it embeds).
STUCK = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(600)"
)


@pytest.fixture(autouse=True)
def site_url(settings):
    """An override for ``use_site_url`` to write into, undone after each test."""
    settings.SITE_URL = "http://127.0.0.1:8000"


def child(code: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    if code == STUCK:
        assert process.stdout.readline() == "ready\n"  # its SIGTERM handler is in place
    return process


def test_the_site_url_follows_the_demo_port(settings):
    environ: dict[str, str] = {}
    assert demo.use_site_url(8123, environ) == "http://127.0.0.1:8123"
    assert environ == {"SITE_URL": "http://127.0.0.1:8123"}
    assert settings.SITE_URL == "http://127.0.0.1:8123"


def test_a_site_url_from_the_environment_is_kept(settings):
    environ = {"SITE_URL": "https://kc.example.gov.cn"}
    assert demo.use_site_url(8123, environ) == "https://kc.example.gov.cn"
    assert environ == {"SITE_URL": "https://kc.example.gov.cn"}
    assert settings.SITE_URL == "https://kc.example.gov.cn"


def test_e_mails_sent_after_the_demo_starts_link_to_its_port(
    db, settings, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    monkeypatch.setenv("SITE_URL", "set by the test, removed next")
    monkeypatch.delenv("SITE_URL")
    demo.use_site_url(8123)
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notify([user], "test.event", "标题", "正文", "/demands/inbox/")
    (mail,) = mailoutbox
    assert mail.body.endswith("http://127.0.0.1:8123/demands/inbox/")


def test_an_idle_worker_stops_on_the_first_signal():
    worker = child(SLEEPER)
    assert demo.stop_worker(worker) is True
    assert worker.returncode == -signal.SIGTERM


def test_a_worker_still_in_its_task_after_the_grace_period_is_killed():
    worker = child(STUCK)
    assert demo.stop_worker(worker, grace=0) is False
    assert worker.returncode == -signal.SIGKILL


def test_a_worker_that_already_ended_is_left_alone():
    worker = child("pass")
    worker.wait()
    assert demo.stop_worker(worker) is True
    assert worker.returncode == 0


class FakeWorker:
    """A worker handle that ends on SIGTERM, or whose wait is cut short: its task outlasts the grace
    period (``TimeoutExpired``) or a second Ctrl+C arrives (``KeyboardInterrupt``)."""

    def __init__(self, interrupted_by: type[BaseException] | None = None) -> None:
        self.interrupted_by = interrupted_by
        self.calls: list[str] = []
        self.returncode = None

    def poll(self):
        return self.returncode

    def terminate(self) -> None:
        self.calls.append("terminate")

    def kill(self) -> None:
        self.calls.append("kill")
        self.returncode = -signal.SIGKILL

    def wait(self, timeout=None):
        self.calls.append(f"wait:{timeout}")
        if timeout is not None and self.interrupted_by is not None:
            raise (
                subprocess.TimeoutExpired("db_worker", timeout)
                if self.interrupted_by is subprocess.TimeoutExpired
                else self.interrupted_by()
            )
        self.returncode = self.returncode or -signal.SIGTERM
        return self.returncode


def test_a_second_ctrl_c_abandons_the_task_at_once():
    worker = FakeWorker(KeyboardInterrupt)
    assert demo.stop_worker(worker) is False
    assert worker.calls == ["terminate", f"wait:{demo.WORKER_GRACE_SECONDS}", "kill", "wait:None"]


def test_the_workers_run_outside_the_terminals_process_group(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": demo.DATABASE_WORKER}}
    started = []
    monkeypatch.setattr(
        demo.subprocess, "Popen", lambda command, **kw: started.append((command, kw))
    )
    demo.Command(stdout=StringIO()).start_workers()
    assert [kw["process_group"] for _, kw in started] == [0, 0, 0]
    assert started[-1][0] == demo.CLOCK_COMMAND


class StoppedServer:
    """Granian as it returns after Ctrl+C."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def serve(self) -> None:
        pass


@pytest.mark.parametrize("interrupted_by", [None, subprocess.TimeoutExpired, KeyboardInterrupt])
def test_stopping_the_demo_prints_a_short_message(monkeypatch, settings, interrupted_by):
    granian = pytest.importorskip("granian")
    monkeypatch.setattr(granian, "Granian", StoppedServer)
    monkeypatch.setenv("SITE_URL", settings.SITE_URL)
    out = StringIO()
    command = demo.Command(stdout=out)
    monkeypatch.setattr(
        command, "start_workers", lambda: [FakeWorker(interrupted_by), FakeWorker(None)]
    )

    with translation.override("zh-hans"):  # an earlier test's request may have left English active
        command.serve(8123)

    lines = out.getvalue().strip().splitlines()
    assert lines[-1] == "演示已停止。"
    abandoned = "未完成的后台任务（如语义向量计算）将在下次启动时继续。"
    assert (abandoned in lines) is (interrupted_by is not None)
