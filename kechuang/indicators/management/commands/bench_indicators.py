"""``kechuang bench indicators``: server time of a city's indicator board (比拼) and of a figure's lineage.

Requests the pages through Django's test ``Client`` (middleware, view, template) as the city's operator,
against the current database: the board of the city with the most indicators for this year, the lineage
of its largest formula figure (the district and indicator with the most records behind them), and of a
manual figure. Prints first/p50/p95 per page with a same-run baseline (a 404), and exits non-zero when the
board's p95 exceeds ``--board-ms`` (300) or a lineage page's exceeds ``--lineage-ms`` (200).

Prepare data first: ``uv run kechuang demo --no-serve --scale 50``.
"""

import logging
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kechuang.accounts.models import OperatorMandate
from kechuang.directory.models import TierRecord
from kechuang.indicators import queries
from kechuang.indicators.models import Indicator, ManualValue
from kechuang.indicators.views import lineage_url


def percentile(samples: list[float], pct: int) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


class Command(BaseCommand):
    help = "Measure p50/p95 server time of the indicator board and lineage pages."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
        parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page")
        parser.add_argument("--board-ms", type=float, default=300.0, help="p95 limit of the board")
        parser.add_argument(
            "--lineage-ms", type=float, default=200.0, help="p95 limit of a lineage page"
        )

    def handle(
        self, *args, requests: int, warmup: int, board_ms: float, lineage_ms: float, **options
    ):
        if requests < 1:
            raise CommandError("--requests must be at least 1")
        year = timezone.localdate().year
        busiest = Indicator.objects.values("region").annotate(n=Count("pk")).order_by("-n").first()
        if busiest is None:
            raise CommandError("no indicators: run `kechuang demo --no-serve --scale 50` first")
        mandate = (
            OperatorMandate.objects.filter(region_id=busiest["region"])
            .select_related("user", "region")
            .first()
        )
        if mandate is None:
            raise CommandError("no operator of the region with indicators")
        city, user = mandate.region, mandate.user
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        self.stdout.write(
            f"database: {connection.vendor}; tier records {TierRecord.objects.count():,}, "
            f"indicators {Indicator.objects.count()}, manual values {ManualValue.objects.count():,}; "
            f"board of {city.name} {year} as {user.username}"
        )
        self.stdout.write(f"{requests} timed requests per page after {warmup} warm-up; times in ms")
        logging.getLogger("django.request").setLevel(logging.ERROR)
        baseline = self.measure(client, "/bench-indicators-baseline-404/", requests, warmup, 404)
        self.stdout.write(f"{'page':<60} {'first':>7} {'p50':>7} {'p95':>7} {'p95/base':>8}")
        self.report("baseline: a 404 page", baseline, baseline)

        board = queries.board(city, year)
        formula = [
            c for cells in board.by_indicator.values() for c in cells if not c.indicator.is_manual
        ]
        manual = [
            c for cells in board.by_indicator.values() for c in cells if c.indicator.is_manual
        ]
        largest = max((c for c in formula if not c.indicator.money), key=lambda c: c.actual)
        cases = [
            (
                f"board {city.name} ({len(board.indicators)} indicators × {len(board.units)} units)",
                f"{reverse('indicators:board')}?region={city.pk}&year={year}",
                board_ms,
            ),
            (
                f"lineage {largest.region.name} · {largest.indicator.name} ({largest.actual:.0f} records, page 1)",
                lineage_url(largest.indicator.pk, largest.region.pk, year),
                lineage_ms,
            ),
        ]
        if manual:
            m = max(manual, key=lambda c: c.actual)
            cases.append(
                (
                    f"lineage {m.region.name} · {m.indicator.name} (manual)",
                    lineage_url(m.indicator.pk, m.region.pk, year),
                    lineage_ms,
                )
            )
        cases.append(
            (
                f"indicator page {largest.indicator.name}",
                f"{reverse('indicators:indicator', args=[largest.indicator.pk])}?region={city.pk}&year={year}",
                None,
            )
        )
        failures = []
        for label, url, limit in cases:
            figures = self.measure(client, url, requests, warmup, 200)
            self.report(label, figures, baseline)
            if limit is not None and figures["p95"] > limit:
                failures.append(f"{label}: p95 {figures['p95']:.1f} ms > {limit:g}")
        report = self.measure(
            client, f"{reverse('indicators:report_xlsx')}?region={city.pk}&year={year}", 3, 0, 200
        )
        self.report("xlsx report (3 requests)", report, baseline)
        if failures:
            raise CommandError("; ".join(failures))
        self.stdout.write(
            self.style.SUCCESS(
                f"board p95 within {board_ms:g} ms, lineage within {lineage_ms:g} ms"
            )
        )

    def report(self, label: str, figures: dict[str, float], baseline: dict[str, float]) -> None:
        ratio = figures["p95"] / (baseline["p50"] or 1.0)
        self.stdout.write(
            f"{label:<60} {figures['first']:7.1f} {figures['p50']:7.1f} {figures['p95']:7.1f} {ratio:7.1f}x"
        )

    def measure(
        self, client: Client, url: str, requests: int, warmup: int, status: int
    ) -> dict[str, float]:
        timings, first = [], 0.0
        for i in range(warmup + requests):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != status:
                raise CommandError(f"{url} answered {response.status_code}")
            if i == 0:
                first = elapsed
            if i >= warmup:
                timings.append(elapsed)
        return {"first": first, "p50": statistics.median(timings), "p95": percentile(timings, 95)}
