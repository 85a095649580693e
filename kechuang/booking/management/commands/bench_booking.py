"""``kechuang bench booking``: an instrument's week calendar and the free-instrument search, server time
through the real pages, over ``--instruments`` (1,705) bookable instruments and ``--bookings`` (300,000,
a year of them); then, on PostgreSQL, ``--clients`` (32) concurrent clients booking overlapping slots,
which must leave zero overlapping bookings.

Runs in a throwaway database created and migrated for the run (``test_<name>``: a file next to the SQLite
database, or a database on the same PostgreSQL server) and dropped at the end. The instruments and the
year of bookings are written in bulk (a benchmark's fixture, not behaviour: the database's own overlap
guard still checks every row); the concurrent bookings go through :func:`kechuang.booking.services.book`.
Each page is timed beside a same-run baseline — the instrument's detail page, which reads one row — and
the report prints median and p95 in ms.
"""

import random
import statistics
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import timezone

from kechuang.accounts.models import Membership, User
from kechuang.booking import services
from kechuang.booking.models import Booking, BookingRules
from kechuang.core.actions import Refused
from kechuang.core.models import Region
from kechuang.directory.models import Instrument, Organization

ZONE = timezone.get_default_timezone()


def percentile(samples: list[float], pct: int) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


class Command(BaseCommand):
    help = "Time the week calendar and free-instrument search over a year of bookings; race 32 clients."

    def add_arguments(self, parser):
        parser.add_argument("--instruments", type=int, default=1705)
        parser.add_argument("--bookings", type=int, default=300_000)
        parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
        parser.add_argument(
            "--clients", type=int, default=32, help="concurrent clients (PostgreSQL)"
        )

    def handle(
        self, *args, instruments: int, bookings: int, requests: int, clients: int, **options
    ):
        db = settings.DATABASES["default"]
        if connection.vendor == "sqlite":
            db.setdefault("TEST", {})["NAME"] = str(
                Path(db["NAME"]).with_name("bench_booking.sqlite3")
            )
        old_name = db["NAME"]
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        self.stdout.write(f"database: {connection.vendor}; creating a throwaway database …")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            failed = self.run(instruments, bookings, requests, clients)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        if failed:
            raise CommandError("overlapping bookings were found")

    # --- fixture ------------------------------------------------------------------------------------------

    def fixture(self, count: int, total: int):
        region = Region.objects.create(code="330300", name="温州市", level=Region.Level.CITY)
        owners = Organization.objects.bulk_create(
            Organization(
                name=f"共享仪器中心{n}",
                kind=Organization.Kind.UNIVERSITY,
                region=region,
                credit_code=f"12330300MB{n:07d}X"[:18],
            )
            for n in range(40)
        )
        rows = Instrument.objects.bulk_create(
            Instrument(
                name=f"{['扫描电子显微镜', '液相色谱仪', 'X射线衍射仪', '万能试验机', '红外光谱仪'][n % 5]}{n:04d}",
                asset_code=f"BENCH-{n:06d}",
                owner=owners[n % len(owners)],
                region=region,
                category=Instrument.Category.ANALYTICAL,
                internal_rate=200,
                external_rate=400,
            )
            for n in range(count)
        )
        BookingRules.objects.bulk_create(
            BookingRules(
                instrument=i,
                needs_approval=False,
                external_rate=400,
                internal_rate=200,
                partner_rate=300,
                max_minutes=600,
                lead_hours=0,
                horizon_days=400,
            )
            for i in rows
        )
        enterprise = Organization.objects.create(
            name="瑞安汽车电机有限公司",
            kind=Organization.Kind.ENTERPRISE,
            region=region,
            credit_code="91330381MA2XXXXXX1",
        )
        users = User.objects.bulk_create(User(username=f"bench{n}") for n in range(64))
        Membership.objects.bulk_create(Membership(user=u, organization=enterprise) for u in users)
        # a year of bookings: per instrument, one slot of 1–4 hours every day or two, in opening hours
        today = timezone.localdate()
        first = today - timedelta(days=300)
        per_instrument = max(1, -(-total // count))  # rounded up: at least ``total`` in all
        rng = random.Random(7)
        batch: list[Booking] = []
        made = 0
        started = time.perf_counter()
        # The fixture is free of overlaps by construction; SQLite's overlap trigger (one indexed lookup per
        # row) is set aside while it loads and put back before anything is timed or raced.
        guard = import_module("kechuang.booking.migrations.0002_no_overlapping_bookings")
        if connection.vendor == "sqlite":
            with connection.schema_editor() as editor:
                guard.down(None, editor)
        for instrument in rows:
            day = first
            for _ in range(per_instrument):
                day += timedelta(days=rng.choice([1, 1, 2, 2, 3]) if per_instrument < 250 else 1)
                start = timezone.make_aware(
                    datetime.combine(day, datetime.min.time()), ZONE
                ) + timedelta(hours=rng.randint(8, 15))
                end = start + timedelta(hours=rng.randint(1, 4))
                past = end < timezone.now()
                batch.append(
                    Booking(
                        instrument=instrument,
                        user=users[made % len(users)],
                        organization=enterprise,
                        status=Booking.Status.COMPLETED if past else Booking.Status.CONFIRMED,
                        starts_at=start,
                        ends_at=end,
                        price_group="external",
                        unit="hour",
                        rate=Decimal(400),
                        estimated_fee=Decimal(400),
                    )
                )
                made += 1
            if len(batch) >= 5000:
                Booking.objects.bulk_create(batch)
                batch = []
        Booking.objects.bulk_create(batch)
        if connection.vendor == "sqlite":
            with connection.schema_editor() as editor:
                guard.up(None, editor)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            f"fixture: {count:,} instruments, {Booking.objects.count():,} bookings over "
            f"{(today - first).days + 60} days ({time.perf_counter() - started:.0f} s)"
        )
        return rows, enterprise, users

    # --- timing ------------------------------------------------------------------------------------------

    def time_pages(self, name: str, urls: list[str], client: Client) -> list[float]:
        timings = []
        for url in urls:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}")
        self.stdout.write(
            f"{name:<46}{statistics.median(timings):>9.1f}{percentile(timings, 95):>9.1f}"
        )
        return timings

    def run(self, count: int, total: int, requests: int, clients: int) -> bool:
        instruments, enterprise, users = self.fixture(count, total)
        rng = random.Random(11)
        client = Client()
        today = timezone.localdate()
        picks = [rng.choice(instruments) for _ in range(requests)]
        days = [today + timedelta(days=rng.randint(-200, 40)) for _ in range(requests)]
        self.stdout.write(f"{'page (server time)':<46}{'p50 ms':>9}{'p95 ms':>9}")
        for url in (picks[0].get_absolute_url(), f"/booking/instruments/{picks[0].pk}/"):
            client.get(url)  # warm up templates and caches
        self.time_pages(
            "baseline: instrument detail page", [i.get_absolute_url() for i in picks], client
        )
        week = self.time_pages(
            "week calendar /booking/instruments/<id>/",
            [
                f"/booking/instruments/{i.pk}/?view=week&date={d:%Y-%m-%d}"
                for i, d in zip(picks, days, strict=True)
            ],
            client,
        )
        free = self.time_pages(
            "free search /booking/free/ (1,705 instruments)",
            [
                f"/booking/free/?day={d:%Y-%m-%d}&start={h:02d}:00&end={h + rng.randint(1, 3):02d}:00"
                for d, h in zip(days, [rng.randint(8, 16) for _ in days], strict=True)
            ],
            client,
        )
        worst = max(percentile(week, 95), percentile(free, 95))
        self.stdout.write(
            f"target p95 < 200 ms: {'met' if worst < 200 else 'NOT met'} (worst p95 {worst:.1f} ms)"
        )
        if connection.vendor != "postgresql":
            self.stdout.write(
                "concurrent clients: PostgreSQL only (SQLite runs one writer at a time)"
            )
            return False
        return self.race(instruments[:3], enterprise, users[:clients], clients)

    def race(self, instruments, enterprise, users, clients: int) -> bool:
        """``clients`` threads book random overlapping slots on three instruments next month."""
        day = timezone.localdate() + timedelta(days=45)
        outcomes: list[str] = []
        errors: list[Exception] = []
        latencies: list[float] = []
        barrier = threading.Barrier(clients)

        def client(n: int):
            rng = random.Random(n)
            try:
                barrier.wait()
                for _ in range(10):
                    start = timezone.make_aware(
                        datetime.combine(day, datetime.min.time()), ZONE
                    ) + timedelta(hours=8, minutes=30 * rng.randint(0, 16))
                    request = services.Request(
                        rng.choice(instruments),
                        enterprise,
                        start,
                        start + timedelta(minutes=30 * rng.randint(1, 6)),
                    )
                    began = time.perf_counter()
                    try:
                        services.book(users[n], request, now=timezone.now())
                        outcomes.append("ok")
                    except Refused as refused:
                        outcomes.append(refused.code)
                    latencies.append((time.perf_counter() - began) * 1000)
            except Exception as error:
                errors.append(error)
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise CommandError(f"{len(errors)} clients failed: {errors[0]!r}")
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT COUNT(*) FROM booking_booking a JOIN booking_booking b
                   ON a.instrument_id = b.instrument_id AND a.id < b.id
                  AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
                WHERE a.status IN ('pending', 'confirmed', 'completed')
                  AND b.status IN ('pending', 'confirmed', 'completed')
                  AND a.instrument_id = ANY(%s)""",
                [[i.pk for i in instruments]],
            )
            overlaps = cursor.fetchone()[0]
        self.stdout.write(
            f"{clients} concurrent clients, {len(outcomes)} attempts on 3 instruments: "
            f"{outcomes.count('ok')} booked, {outcomes.count('taken')} refused as taken, "
            f"p50 {statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 95):.1f} ms; "
            f"overlapping bookings: {overlaps}"
        )
        return overlaps != 0
