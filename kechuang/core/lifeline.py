"""A helper process ends with the process that started it.

The demo starts its task workers and clock in process groups of their own (Ctrl+C reaches only the
server, which then stops them gracefully). When the demo itself dies without that chance — SIGKILL, a
closed terminal, a crash — they were left running, the embedding worker holding a core for as long as
the demo's vectors took. The demo names itself in :data:`PARENT_ENV`; a process that finds its own
parent there watches it and, once it is gone, stops as the demo would have stopped it: SIGTERM (the
current task finishes, the clock ends its tick), then SIGKILL after a grace period (abandoning a task is
safe, see ``kechuang.demo.management.commands.demo.stop_worker``).
"""

from __future__ import annotations

import os
import signal
import threading

PARENT_ENV = "KECHUANG_EXIT_WITH"


def parent_environment(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` for a child that should end with this process."""
    return {**environ, PARENT_ENV: str(os.getpid())}


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs. A process killed whose parent has not reaped it yet (a zombie: the demo
    killed with ``uv run`` above it, waiting for init) still answers signal 0, but has died."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # "pid (comm) state …": the state follows the last parenthesis (comm may hold any)
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux): signal 0 tells whether it exists
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def watch_parent(interval: float = 2.0, grace: float = 5.0) -> threading.Thread | None:
    """When :data:`PARENT_ENV` names this process's parent, a daemon thread that stops this process
    once the parent is gone (this process re-parented) — at once if it died while this process was
    still starting. None when there is nothing to watch: no such variable (a worker run by a service
    manager), or one naming a live process that is not the parent (inherited from further up)."""
    named = os.environ.get(PARENT_ENV, "")
    if not named.isdigit():
        return None
    parent = int(named)
    if os.getppid() != parent and _alive(parent):
        return None
    stopped = threading.Event()

    def watch() -> None:
        while os.getppid() == parent:
            if stopped.wait(interval):
                return
        os.kill(os.getpid(), signal.SIGTERM)
        stopped.wait(grace)
        os.kill(os.getpid(), signal.SIGKILL)

    thread = threading.Thread(target=watch, name="lifeline", daemon=True)
    thread.start()
    return thread
