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
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from kechuang.core import indexing
from kechuang.demands.models import Demand
from kechuang.directory.models import Achievement, Expert, Organization


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

    def handle(self, *args, demands: int, experts: int, rounds: int, target_ms: float, **options):
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

    def timed(self, client: Client, url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
        return elapsed
