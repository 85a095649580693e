"""A helper process the demo started ends when the demo dies without stopping it (SIGKILL, a closed
terminal): it was left running, the embedding worker holding a core (kechuang.core.lifeline)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from kechuang.core.lifeline import PARENT_ENV, watch_parent

# The demo's stand-in: starts a child that watches it (as `kechuang worker` and `kechuang clock` do),
# prints the child's pid, then waits to be killed. The child ignores SIGTERM, like a worker busy with a
# long embedding, so the grace period's SIGKILL is what ends it.
PARENT = """
import os, subprocess, sys, time
child = subprocess.Popen(
    [sys.executable, "-c", {child!r}],
    env={{**os.environ, {name!r}: str(os.getpid())}},
)
print(child.pid, flush=True)
time.sleep(120)
"""
CHILD = """
import signal, time
from kechuang.core.lifeline import watch_parent
signal.signal(signal.SIGTERM, lambda *_: open({marker!r}, "w").write("term"))
assert watch_parent(interval=0.1, grace=0.5) is not None
time.sleep(120)
"""


def _gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie nobody reaped counts as exited)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return any(line.startswith("State:") and "Z" in line for line in status)
    except FileNotFoundError:
        return True


def test_a_child_ends_soon_after_its_parent_is_killed(tmp_path: Path):
    marker = tmp_path / "terminated"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PARENT.format(child=CHILD.format(marker=str(marker)), name=PARENT_ENV),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=settings.BASE_DIR,
    )
    child = int(parent.stdout.readline())
    time.sleep(1.0)  # the child is up and watching
    assert not _gone(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(child)
    # first asked to stop as the demo would ask, then killed after the grace period
    assert marker.read_text() == "term"


def test_a_child_whose_parent_died_while_it_started_ends_at_once(tmp_path: Path):
    """The demo killed before its worker finished importing: the worker finds another parent already."""
    marker = tmp_path / "terminated"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that was this test's child and has exited
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(marker=str(marker))],
        env={**os.environ, PARENT_ENV: str(gone.pid)},
        cwd=settings.BASE_DIR,
    )
    assert child.wait(timeout=30) == -signal.SIGKILL
    assert marker.read_text() == "term"


def test_a_child_whose_parent_is_dead_but_not_yet_reaped_ends_at_once(tmp_path: Path):
    """The demo killed with `uv run` above it: until init reaps it, the dead demo is a zombie, which
    still answers signal 0; the worker must not take it for a live ancestor and keep running (seen
    once: the worker and the clock outlived a demo killed eight seconds after it started them)."""
    marker = tmp_path / "terminated"
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while not _gone(zombie.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # exited, and not reaped: this test has not waited for it
    assert Path(f"/proc/{zombie.pid}").exists()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(marker=str(marker))],
        env={**os.environ, PARENT_ENV: str(zombie.pid)},
        cwd=settings.BASE_DIR,
    )
    try:
        assert child.wait(timeout=30) == -signal.SIGKILL
        assert marker.read_text() == "term"
    finally:
        zombie.wait()


def test_nothing_is_watched_without_the_variable_or_for_a_live_ancestor(monkeypatch):
    monkeypatch.delenv(PARENT_ENV, raising=False)
    assert watch_parent() is None
    monkeypatch.setenv(PARENT_ENV, "not-a-pid")
    assert watch_parent() is None
    # a live process that is not the parent: the variable came down from further up; not watched
    monkeypatch.setenv(PARENT_ENV, str(os.getpid()))
    assert watch_parent() is None
