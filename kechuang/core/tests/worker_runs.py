"""Running ``kechuang worker`` inside a test, in batch mode (until its queues are empty)."""

import signal

from django.core.management import call_command


def run_worker(*arguments: str) -> None:
    """``kechuang worker ARGUMENTS --batch``. The worker installs its own SIGTERM/SIGINT handlers; the test
    process's are put back afterwards, or every process forked later (the index builder's pool) would
    ignore a terminate."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        call_command("worker", *arguments, "--batch", "--no-startup-delay", "--no-reload")
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
