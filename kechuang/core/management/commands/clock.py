"""``kechuang clock``: run the periodic jobs of :mod:`kechuang.core.clock`, a tick a minute, until stopped.

Any number of clocks may run against one database (each due job runs in one of them). ``--once`` runs a
single tick and exits, for a cron line instead of a service."""

import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from kechuang.core import clock
from kechuang.core.lifeline import watch_parent


class Command(BaseCommand):
    help = "运行定时任务(每分钟检查一次到期的任务) / Run the periodic jobs"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run one tick and exit")
        parser.add_argument(
            "--interval", type=float, default=clock.TICK_SECONDS, help="seconds between ticks"
        )

    def handle(
        self, *args, once: bool = False, interval: float = clock.TICK_SECONDS, **options
    ) -> None:
        stop = threading.Event()
        if not once:
            # SIGTERM (the demo stopping, a service manager) ends the loop after the current job.
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            watch_parent()  # started by the demo: end with it
        while True:
            for name, outcome in clock.tick().items():
                if options["verbosity"] >= 1:  # the demo runs it at 0; failures are logged anyway
                    self.stdout.write(f"{name}: {outcome}")
            if once or stop.wait(interval):
                return
            close_old_connections()  # a connection the database dropped meanwhile is opened afresh
