"""``kechuang bench load``: the demo region under many simulated people, through several granian worker
processes and a task worker, on PostgreSQL (``DATABASE_URL``), with locust.

Prepares the demo in that database (``kechuang demo --no-serve``; use a database of its own, such as
``kechuang_load``: the run adds demands, engagements and approvals), starts ``--workers`` granian processes
and one ``kechuang worker``, and runs ``kechuang/demo/load/locustfile.py`` headless: ``--users`` people
(visitors browsing and searching, enterprise engineers posting demands and asking experts, experts
answering, operators approving, in the proportions the locustfile gives) for ``--duration`` seconds.
Prints p50/p95 and the error rate per request type beside the same-run baseline (``/healthz``, once a
second), then checks that every demand a simulated engineer saw accepted is in the database with its
title, once. Exits non-zero on any failed request or lost demand.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kechuang.demands.models import Demand
from kechuang.demo.management.commands.demo import DEMO_WORKERS

LOCUSTFILE = Path(__file__).resolve().parents[2] / "load" / "locustfile.py"


class Command(BaseCommand):
    help = "Load-test the demo (locust, granian workers, PostgreSQL) and check nothing posted was lost."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=200)
        parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
        parser.add_argument("--duration", type=int, default=300, help="seconds of full load")
        parser.add_argument("--workers", type=int, default=4, help="granian worker processes")
        parser.add_argument("--port", type=int, default=8390)
        parser.add_argument("--no-prepare", action="store_true", help="the demo is already loaded")
        parser.add_argument(
            "--allow-sqlite", action="store_true", help="run on SQLite (one writer at a time)"
        )

    def handle(self, *args, users, spawn_rate, duration, workers, port, no_prepare, **options):
        if connection.vendor != "postgresql" and not options["allow_sqlite"]:
            raise CommandError(
                "set DATABASE_URL=postgres://… (a database of its own): the load test measures the "
                "platform as several web processes share one PostgreSQL"
            )
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        python = [sys.executable, "-m"]
        if not no_prepare:
            self.stdout.write("preparing the demo region …")
            subprocess.run([*python, "kechuang.cli", "demo", "--no-serve"], env=env, check=True)
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                *python,
                "granian",
                "--interface",
                "wsgi",
                "--workers",
                str(workers),
                "--blocking-threads",
                "4",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-ws",
                "kechuang.wsgi:application",
            ],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
        )
        general = next(w for w in DEMO_WORKERS if not w.background)  # all queues but embeddings
        worker = subprocess.Popen(
            general.command(),
            env=general.environment(env),
            cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
        )
        try:
            self.wait_until_up(url, server)
            with tempfile.TemporaryDirectory(prefix="kechuang-load-") as folder:
                stats = self.run_locust(url, Path(folder), users, spawn_rate, duration, env)
                posted = json.loads((Path(folder) / "posted.json").read_text("utf-8"))
        finally:
            for process in (server, worker):
                process.terminate()
            for process in (server, worker):
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        failed = self.report(stats)
        lost = self.check_posted(posted)
        if failed or lost:
            raise CommandError(f"{failed} failed requests, {lost} posted demands missing")

    def wait_until_up(self, url: str, server: subprocess.Popen) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError("granian exited at start")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(1)
        raise CommandError("the server did not answer /healthz within 3 minutes")

    def run_locust(self, url, folder: Path, users, spawn_rate, duration, env) -> list[dict]:
        self.stdout.write(
            f"{users} simulated users, {spawn_rate}/s started, {duration} s at full load against {url}"
        )
        ramp = int(users / spawn_rate) + 1
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(spawn_rate),
                "-t",
                f"{duration + ramp}s",
                "--host",
                url,
                "--csv",
                str(folder / "load"),
                "--only-summary",
                "--stop-timeout",
                "15",
                "--exit-code-on-error",
                "0",
                "--loglevel",
                "WARNING",
            ],
            env={**env, "KECHUANG_LOAD_POSTED": str(folder / "posted.json")},
            check=True,
        )
        with (folder / "load_stats.csv").open(encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def report(self, stats: list[dict]) -> int:
        """Prints one line per request type (baseline first, the aggregate last); returns failures."""
        rows = sorted(
            stats, key=lambda r: (r["Name"] != "healthz (baseline)", r["Name"] == "Aggregated")
        )
        self.stdout.write(
            f"{'request':<28}{'count':>8}{'failed':>8}{'error %':>9}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}"
        )
        for row in rows:
            count, failures = int(row["Request Count"]), int(row["Failure Count"])
            share = 100 * failures / count if count else 0.0
            self.stdout.write(
                f"{row['Name'][:27]:<28}{count:>8}{failures:>8}{share:>8.2f}%"
                f"{row['50%']:>9}{row['95%']:>9}{float(row['Requests/s']):>8.1f}"
            )
        total = next((r for r in stats if r["Name"] == "Aggregated"), None)
        return int(total["Failure Count"]) if total else 0

    def check_posted(self, posted: list[dict]) -> int:
        """Every demand the simulated engineers saw accepted is in the database, with its title."""
        found = dict(
            Demand.objects.filter(pk__in=[p["id"] for p in posted]).values_list("pk", "title")
        )
        lost = [p for p in posted if found.get(p["id"]) != p["title"]]
        extra = Demand.objects.filter(title__contains="（压测").count() - len(posted)
        self.stdout.write(
            f"demands posted and confirmed to the users: {len(posted)}; in the database: "
            f"{len(posted) - len(lost)}; missing: {len(lost)}"
        )
        if extra > 0:
            self.stdout.write(
                f"{extra} more test demands in the database than confirmed in this run "
                "(earlier runs, or an answer lost on the way back)"
            )
        return len(lost)
