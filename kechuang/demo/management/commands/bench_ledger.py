"""``kechuang bench ledger``: postings per second through :func:`kechuang.ledger.services.post`, and the
ledger's invariants after the run.

Runs in a throwaway database created and migrated for the run (``test_<name>``; a file next to the
SQLite database, or a database on the same PostgreSQL server) and dropped at the end, so nothing it posts
survives — ledger rows cannot be deleted. One client posts ``--postings`` transfers between ``--accounts``
shared accounts; on PostgreSQL ``--clients`` threads (own connections) then post at once on the same
accounts. Each is timed beside a same-run baseline: one plain insert of an audit row per transaction.
Prints postings per second with median and p95 latency in ms, then the invariant check (violations must
be zero, protected balances never negative, the shared total exact), and exits non-zero otherwise.

Then the innovation vouchers (:mod:`kechuang.vouchers.bench`): ``--redemptions`` voucher uses (hold and
settle through the payment interface) and as many redemption approvals (spent → provider payable, and
the inter-region debt for the cross-region half), from one client and, on PostgreSQL, ``--clients``
clients, followed by the voucher invariants.
"""

import random
import statistics
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection, transaction

from kechuang.core.actions import Refused
from kechuang.core.audit import record
from kechuang.ledger import services as ledger
from kechuang.ledger.models import Account
from kechuang.ledger.queries import violations

FUNDING = Decimal("100000.00")


def percentile(samples: list[float], pct: int) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


class Command(BaseCommand):
    help = "Measure ledger postings per second (1 client; N clients on PostgreSQL) and check invariants."

    def add_arguments(self, parser):
        parser.add_argument("--postings", type=int, default=1000, help="postings per client")
        parser.add_argument(
            "--clients", type=int, default=32, help="concurrent clients (PostgreSQL)"
        )
        parser.add_argument("--accounts", type=int, default=8, help="shared protected accounts")
        parser.add_argument(
            "--redemptions", type=int, default=2000, help="voucher uses and redemptions (0: skip)"
        )

    def handle(
        self, *args, postings: int, clients: int, accounts: int, redemptions: int, **options
    ):
        if accounts < 2:
            raise CommandError("--accounts must be at least 2")
        db = settings.DATABASES["default"]
        if connection.vendor == "sqlite":
            # A real file (WAL, as served), not the in-memory test database.
            db.setdefault("TEST", {})["NAME"] = str(
                Path(db["NAME"]).with_name("bench_ledger.sqlite3")
            )
        old_name = db["NAME"]
        self.stdout.write(f"database: {connection.vendor}; creating a throwaway database …")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            failed = self.run(postings, clients, accounts)
            if redemptions > 0:
                from kechuang.vouchers.bench import run_voucher_bench

                failed = run_voucher_bench(self, redemptions, clients) or failed
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        if failed:
            raise CommandError("the ledger's invariants do not hold after the run")

    def run(self, postings: int, clients: int, count: int) -> bool:
        owner = get_user_model().objects.create(username=f"bench-{uuid.uuid4().hex[:8]}")
        source = ledger.open_account(owner, "bench.source", may_go_negative=True)
        shared = [ledger.open_account(owner, f"bench.{n}") for n in range(count)]
        for account in shared:
            ledger.transfer(source, account, FUNDING, actor=owner, event="bench.fund", target=owner)

        def post(rng: random.Random) -> str:
            a, b = rng.sample(shared, 2)
            try:
                ledger.transfer(
                    a,
                    b,
                    Decimal(rng.randint(1, 100_000)) / 100,
                    actor=owner,
                    event="bench.move",
                    target=owner,
                )
            except Refused as refused:
                return refused.code
            return "ok"

        def insert(rng: random.Random) -> str:
            with transaction.atomic():
                record(owner, "bench.insert", owner, str(rng.random()))
            return "ok"

        self.stdout.write(f"{'run':<34}{'ops/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'refused':>9}")
        for name, operation in (("plain insert, 1 client", insert), ("posting, 1 client", post)):
            self.report(name, *self.clients(operation, 1, postings))
        if connection.vendor == "postgresql" and clients > 1:
            per_client = max(postings // clients, 10)
            for name, operation in (
                (f"plain insert, {clients} clients", insert),
                (f"posting, {clients} clients", post),
            ):
                self.report(name, *self.clients(operation, clients, per_client))

        found = violations()
        balances = list(
            Account.objects.filter(pk__in=[a.pk for a in shared]).values_list("balance", flat=True)
        )
        exact = sum(balances) == FUNDING * count
        self.stdout.write(
            f"invariants: {len(found)} violations; lowest protected balance {min(balances)}; "
            f"shared total {'exact' if exact else 'WRONG'} ({sum(balances)})"
        )
        for line in found[:10]:
            self.stdout.write(f"  {line}")
        return bool(found) or not exact or min(balances) < 0

    def clients(self, operation, clients: int, each: int):
        """Run ``operation`` ``each`` times from ``clients`` threads at once; (latencies, outcomes, wall)."""
        latencies: list[float] = []
        outcomes: list[str] = []
        errors: list[Exception] = []
        barrier = threading.Barrier(clients)

        def client(n: int):
            rng = random.Random(n)
            try:
                barrier.wait()
                for _ in range(each):
                    start = time.perf_counter()
                    outcomes.append(operation(rng))
                    latencies.append((time.perf_counter() - start) * 1000)
            except Exception as error:  # a deadlock or any other failure ends the bench
                errors.append(error)
            finally:
                if clients > 1:
                    close_old_connections()
                    connection.close()

        start = time.perf_counter()
        if clients == 1:
            client(0)
        else:
            threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        wall = time.perf_counter() - start
        if errors:
            raise CommandError(f"{len(errors)} clients failed: {errors[0]!r}")
        return latencies, outcomes, wall

    def report(self, name: str, latencies: list[float], outcomes: list[str], wall: float) -> None:
        refused = sum(1 for o in outcomes if o != "ok")
        self.stdout.write(
            f"{name:<34}{len(outcomes) / wall:>10,.0f}{statistics.median(latencies):>9.2f}"
            f"{percentile(latencies, 95):>9.2f}{refused:>9}"
        )
