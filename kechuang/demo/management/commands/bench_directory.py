"""``kechuang bench directory``: server time of the directory's public list and search pages.

Requests each list page through Django's test ``Client`` (the whole middleware, view and template stack,
in process, against the current database) with no query, with filters (the busiest region's parent and the
commonest kind), with a Chinese keyword and with the same keyword in traditional characters. Prints p50 and
p95 per page and, as a same-run baseline, the time of a trivial page (a 404), so the figures can be read as
ratios on any machine; "first" is each case's first request (cold templates, index files). Exits
non-zero when a p95 exceeds ``--target-ms``.

On SQLite, run ``ANALYZE`` after a bulk load (the demo does): without statistics the planner sorts whole
tables instead of walking the ``updated_at`` index.

Prepare data first, e.g. ``uv run kechuang demo --no-serve --scale 235``.
"""

import logging
import statistics
import time

import opencc
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from kechuang.core.models import Region
from kechuang.directory.queries import TYPES, ListingType

# A simplified Chinese keyword per record type; the traditional variant is derived with OpenCC.
KEYWORDS = {
    "organization": "汽车零部件",
    "expert": "电机控制",
    "achievement": "电控气源",
    "instrument": "电子显微镜",
    "service": "检测",
    "platform": "工程技术",
}


def percentile(samples: list[float], pct: int) -> float:
    """The ``pct``-th percentile (inclusive method, so a short run still gives a value)."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


class Command(BaseCommand):
    help = "Measure p50/p95 server time of the directory list and search pages."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=40, help="timed requests per case")
        parser.add_argument("--target-ms", type=float, default=150.0, help="p95 limit per case")
        parser.add_argument("--warmup", type=int, default=2, help="untimed requests per case")

    def handle(self, *args, requests: int, target_ms: float, warmup: int, **options):
        if requests < 1:
            raise CommandError("--requests must be at least 1")
        client = Client(HTTP_HOST="localhost")
        to_traditional = opencc.OpenCC("s2t")

        sizes = ", ".join(
            f"{t.name} {t.model.objects.published().count():,}" for t in TYPES.values()
        )
        self.stdout.write(f"database: {connection.vendor}; published rows: {sizes}")
        self.stdout.write(
            f"{requests} timed requests per case after {warmup} warm-up; times in ms; "
            "p95/base = p95 over the baseline's p50"
        )

        logging.getLogger("django.request").setLevel(logging.ERROR)  # one warning per baseline 404
        baseline = self.measure(client, "/bench-directory-baseline-404/", requests, warmup, 404)
        self.stdout.write(f"{'page':<58} {'first':>7} {'p50':>7} {'p95':>7} {'p95/base':>8}")
        self.report("baseline: a 404 page", baseline, baseline)

        failures = []
        for listing in TYPES.values():
            keyword = KEYWORDS[listing.name]
            filters = self.filters(listing)
            cases = {
                "all": {},
                "&".join(f"{k}={v}" for k, v in filters.items()): filters,
                f"q={keyword}": {"q": keyword},
                f"q={to_traditional.convert(keyword)}": {"q": to_traditional.convert(keyword)},
            }
            for case, params in cases.items():
                url = reverse(listing.list_url_name)
                figures = self.measure(client, url, requests, warmup, 200, params)
                label = f"/{listing.path}/ {case}"
                self.report(label, figures, baseline)
                if figures["p95"] > target_ms:
                    failures.append(f"{label}: p95 {figures['p95']:.1f} ms")

        # The home page's box searches every type at once: reported, but it is not a list page.
        keyword = KEYWORDS["expert"]
        url = reverse("directory:search")
        figures = self.measure(client, url, requests, warmup, 200, {"q": keyword})
        self.report(f"/search/ (all types) q={keyword}", figures, baseline)

        if failures:
            raise CommandError(
                f"p95 above {target_ms:g} ms for {len(failures)} case(s): " + "; ".join(failures)
            )
        self.stdout.write(self.style.SUCCESS(f"all p95 within {target_ms:g} ms"))

    def filters(self, listing: ListingType) -> dict[str, str]:
        """The parent of the busiest region (so the subtree filter is exercised) and the commonest kind."""
        published = listing.model.objects.published()
        busiest = published.values("region").annotate(n=Count("pk")).order_by("-n").first()
        params = {}
        if busiest:
            region = Region.objects.select_related("parent").get(pk=busiest["region"])
            params["region"] = (region.parent or region).code
        commonest = (
            published.values(listing.kind_field).annotate(n=Count("pk")).order_by("-n").first()
        )
        if commonest:
            params["kind"] = commonest[listing.kind_field]
        return params

    def report(self, label: str, figures: dict[str, float], baseline: dict[str, float]) -> None:
        ratio = figures["p95"] / (baseline["p50"] or 1.0)
        self.stdout.write(
            f"{label:<58} {figures['first']:7.1f} {figures['p50']:7.1f} "
            f"{figures['p95']:7.1f} {ratio:7.1f}x"
        )

    def measure(
        self, client: Client, url: str, requests: int, warmup: int, status: int, params=None
    ) -> dict[str, float]:
        timings = []
        for i in range(warmup + requests):
            started = time.perf_counter()
            response = client.get(url, params or {})
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != status:
                raise CommandError(f"{url} {params or ''} answered {response.status_code}")
            if i == 0:
                first = elapsed
            if i >= warmup:
                timings.append(elapsed)
        return {
            "first": first,
            "p50": percentile(timings, 50),
            "p95": percentile(timings, 95),
        }
