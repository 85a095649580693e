"""``kechuang bench demands``: server time of a published demand's page (with its matches) and of the
expert inbox.

Runs against the current database and search index (prepare them first, e.g. ``uv run kechuang demo
--no-serve --scale 235`` for about 100,000 experts and 100,000 achievements). Inside one transaction that
is rolled back at the end, it publishes ``--demands`` demands whose text is taken from published
achievements (realistic technical Chinese), indexes them, links ``--experts`` published experts to
temporary log-ins, then requests each page through Django's test ``Client`` (whole middleware, view and
template stack, in process): the demand page at each scope (own region, federation, everywhere) as an
operator, and the inbox as each expert. Prints first / p50 / p95 in ms and exits non-zero when a p95
exceeds ``--target-ms``. Nothing it creates survives the run, in the database or the index.

``--cold N`` measures first loads instead: for each page (a published demand, the operator console, an
expert's inbox, a search) it starts N fresh processes that each request that page once, as the first
request of a newly started server — N with no warm-up (the baseline) and N after
:func:`kechuang.search.warmup.warm_up`, as the WSGI application does at start. It prints median and p95 of
both and exits non-zero when a warmed p95 exceeds ``--cold-target-ms``.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from kechuang.demands.models import Demand
from kechuang.directory.models import Achievement, Expert, Organization
from kechuang.search import indexing
from kechuang.search.warmup import warm_up

COLD_PAGES = ("demand page", "operator console", "expert inbox", "search")


class Rollback(Exception):
    """Raised at the end of the run to undo everything it created."""


def percentile(samples: list[float], pct: int) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


class Command(BaseCommand):
    help = "Measure p50/p95 server time of the demand page with matches and of the expert inbox."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demands", type=int, default=20, help="demands to publish and request"
        )
        parser.add_argument(
            "--experts", type=int, default=20, help="experts whose inbox to request"
        )
        parser.add_argument("--rounds", type=int, default=2, help="timed requests per page")
        parser.add_argument("--target-ms", type=float, default=300.0, help="p95 limit")
        parser.add_argument(
            "--cold",
            type=int,
            default=0,
            metavar="N",
            help="measure first loads in N fresh processes per page, without and with warm-up",
        )
        parser.add_argument(
            "--cold-target-ms", type=float, default=1000.0, help="p95 limit of warmed first loads"
        )
        parser.add_argument("--cold-page", choices=COLD_PAGES, help=argparse.SUPPRESS)
        parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)

    def handle(
        self,
        *args,
        demands: int,
        experts: int,
        rounds: int,
        target_ms: float,
        cold: int,
        cold_target_ms: float,
        cold_page: str | None,
        warm: bool,
        **options,
    ):
        if cold_page:
            return self.first_load(cold_page, warm)
        if cold:
            return self.cold(cold, cold_target_ms)
        enterprise = Organization.objects.published().filter(kind="enterprise").first()
        sources = list(
            Achievement.objects.published()
            .exclude(description="")
            .order_by("pk")[: max(demands, 1)]
        )
        expert_rows = list(
            Expert.objects.published().filter(user__isnull=True).order_by("pk")[:experts]
        )
        if enterprise is None or not sources or not expert_rows:
            raise CommandError(
                "needs published enterprises, achievements and experts: run `kechuang demo --no-serve`"
            )
        self.stdout.write(
            f"database: {connection.vendor}; published experts {Expert.objects.published().count():,}, "
            f"achievements {Achievement.objects.published().count():,}; "
            f"indexed documents {indexing.get_backend().count():,}"
        )
        results: dict[str, list[float]] = {}
        created: list[int] = []
        try:
            with transaction.atomic():
                created = self.run(enterprise, sources, expert_rows, rounds, results)
                raise Rollback
        except Rollback:
            pass
        finally:
            indexing.get_backend().delete([f"demand:{pk}" for pk in created])

        self.stdout.write(f"{'page':<34} {'n':>4} {'first':>8} {'p50':>8} {'p95':>8}")
        failures = []
        for name, samples in results.items():
            first, timed = samples[0], samples[1:] or samples
            p95 = percentile(timed, 95)
            self.stdout.write(
                f"{name:<34} {len(timed):>4} {first:>8.1f} {statistics.median(timed):>8.1f} {p95:>8.1f}"
            )
            if p95 > target_ms:
                failures.append(name)
        if failures:
            raise CommandError(f"p95 above {target_ms:.0f} ms: {', '.join(failures)}")

    def run(self, enterprise, sources, expert_rows, rounds, results) -> list[int]:
        now = timezone.now()
        User = get_user_model()
        operator = User.objects.create(username="bench-demands-operator", is_superuser=True)
        demands = [
            Demand.objects.create(
                organization=enterprise,
                region=enterprise.region,
                title=f"需求:{source.title}"[:200],
                description=source.description,
                status=Demand.Status.PUBLISHED,
                published_at=now,
            )
            for source in sources
        ]
        pks = [d.pk for d in demands]
        indexing.sync("demand", pks)
        client = Client(HTTP_HOST="localhost")
        client.force_login(operator)
        for scope in ("own", "federation", "all"):
            name = f"demand page (scope={scope})"
            results[name] = [
                self.timed(client, f"/demands/{pk}/?scope={scope}")
                for _round in range(rounds)
                for pk in pks
            ]
        inbox = []
        for n, expert in enumerate(expert_rows):
            user = User.objects.create(username=f"bench-demands-expert-{n}")
            Expert.objects.filter(pk=expert.pk).update(user=user)
            client.force_login(user)
            inbox += [self.timed(client, "/demands/inbox/") for _round in range(rounds)]
        results["expert inbox"] = inbox
        return pks

    # --- first loads ------------------------------------------------------------------------------

    def cold(self, n: int, target_ms: float) -> None:
        """Start ``n`` processes per page and mode; print median and p95 of their first request."""
        self.stdout.write(
            f"first load in a fresh process, {n} processes per page and mode (ms)\n"
            f"{'page':<22} {'baseline p50':>13} {'p95':>8} {'warmed p50':>11} {'p95':>8}"
        )
        failures = []
        for page in COLD_PAGES:
            figures = []
            for warm in (False, True):
                samples = [self.child(page, warm) for _ in range(n)]
                figures += [statistics.median(samples), percentile(samples, 95)]
            self.stdout.write(
                f"{page:<22} {figures[0]:>13.0f} {figures[1]:>8.0f} {figures[2]:>11.0f} "
                f"{figures[3]:>8.0f}"
            )
            if figures[3] > target_ms:
                failures.append(page)
        if failures:
            raise CommandError(f"warmed p95 above {target_ms:.0f} ms: {', '.join(failures)}")

    def child(self, page: str, warm: bool) -> float:
        command = [sys.executable, "-m", "kechuang.cli", "bench_demands", "--cold-page", page]
        done = subprocess.run(
            [*command, *(["--warm"] if warm else [])], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise CommandError(f"first load of {page} failed:\n{done.stderr[-2000:]}")
        return float(json.loads(done.stdout.strip().splitlines()[-1])["ms"])

    def first_load(self, page: str, warm: bool) -> None:
        """In this fresh process: warm up (if asked), then time one request of ``page`` as the first
        request the process serves. Prints ``{"ms": …}``."""
        demand = Demand.objects.published().order_by("pk").first()
        # An expert with a log-in (the demo's), else one given a temporary log-in below.
        experts = Expert.objects.published().select_related("user").order_by("pk")
        expert = experts.filter(user__isnull=False).first() or experts.first()
        if demand is None or expert is None:
            raise CommandError(
                "needs a published demand and expert: run `kechuang demo --no-serve`"
            )
        client = Client(HTTP_HOST="localhost")
        client.handler.load_middleware()  # a WSGI server has done this before its first request
        if warm:
            warm_up()
        try:
            with transaction.atomic():
                User = get_user_model()
                # A regional operator (the demo's), whose console lists their region's demands.
                operator = User.objects.filter(mandates__isnull=False).order_by("pk").first()
                if operator is None:
                    operator = User.objects.create(
                        username="bench-cold-operator", is_superuser=True
                    )
                expert_user = expert.user
                if expert_user is None:
                    expert_user = User.objects.create(username="bench-cold-expert")
                    Expert.objects.filter(pk=expert.pk).update(user=expert_user)
                user, url = {
                    "demand page": (operator, f"/demands/{demand.pk}/"),
                    "operator console": (operator, "/demands/console/"),
                    "expert inbox": (expert_user, "/demands/inbox/"),
                    "search": (operator, f"/search/?q={demand.title[:20]}"),
                }[page]
                client.force_login(user)
                ms = self.timed(client, url)
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(json.dumps({"page": page, "warm": warm, "ms": ms}))

    def timed(self, client: Client, url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
        return elapsed
