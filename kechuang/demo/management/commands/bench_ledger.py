"""``kechuang bench ledger``: postings per second through :func:`kechuang.ledger.services.post`, and the
ledger's invariants after the run.

Runs in a throwaway database created and migrated for the run (``test_<name>``; a file next to the
SQLite database, or a database on the same PostgreSQL server) and dropped at the end, so nothing it posts
survives — ledger rows cannot be deleted. One client posts ``--postings`` transfers between ``--accounts``
shared accounts; on PostgreSQL ``--clients`` threads (own connections) then post at once on the same
accounts. Each is timed beside a same-run baseline: one plain insert of an audit row per transaction.
``--processes P`` spreads the clients over P forked processes
(as P web workers would be), so the Python side of the clients is not held to one core by the GIL.
Prints postings per second with median and p95 latency in ms, then the invariant check (violations must
be zero, protected balances never negative, the shared total exact), and exits non-zero otherwise.

Then the innovation vouchers (:mod:`kechuang.vouchers.bench`): ``--redemptions`` voucher uses (hold and
settle through the payment interface) and as many redemption approvals (spent → provider payable, and
the inter-region debt for the cross-region half), from one client and, on PostgreSQL, ``--clients``
clients — each approval a call of its own, as the review page's single decision — then batch approvals
(批量审核: ``--batches`` calls per client of ``--batch`` redemptions each, set up in bulk), with a plain
insert baseline measured just before, followed by the voucher invariants.
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
        parser.add_argument(
            "--batch", type=int, default=20, help="redemptions a batch approval (批量审核) approves"
        )
        parser.add_argument(
            "--batches", type=int, default=10, help="batch approvals each client makes"
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="spread the clients over this many processes (PostgreSQL; like web workers)",
        )

    def handle(
        self,
        *args,
        postings: int,
        clients: int,
        accounts: int,
        redemptions: int,
        processes: int,
        batch: int,
        batches: int,
        **options,
    ):
        self.processes = max(processes, 1) if connection.vendor == "postgresql" else 1
        if accounts < 2:
            raise CommandError("--accounts must be at least 2")
        db = settings.DATABASES["default"]
        if connection.vendor == "sqlite":
            # A real file (WAL, as served), not the in-memory test database.
            db.setdefault("TEST", {})["NAME"] = str(
                Path(db["NAME"]).with_name("bench_ledger.sqlite3")
            )
        old_name = db["NAME"]
        self.stdout.write(
            f"database: {connection.vendor}; clients in {self.processes} process(es); "
            "creating a throwaway database …"
        )
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            failed = self.run(postings, clients, accounts)
            if redemptions > 0:
                from kechuang.vouchers.bench import run_voucher_bench

                failed = (
                    run_voucher_bench(self, redemptions, clients, batch=batch, batches=batches)
                    or failed
                )
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
        """Run ``operation`` ``each`` times from ``clients`` clients at once; (latencies, outcomes, wall).

        Each client is a thread with its own connection, numbered ``rng.number``. With ``--processes P``
        the clients are spread over P forked processes (as P web workers of a deployment would be), so
        the Python side of the clients is not held to one core by the GIL."""
        processes = min(getattr(self, "processes", 1), clients)
        if processes <= 1:
            starts, ends, latencies, outcomes, errors = _run_threads(
                operation, range(clients), each
            )
            wall = max(ends) - min(starts)
        else:
            starts, ends, latencies, outcomes, errors = _run_processes(
                operation, clients, processes, each
            )
            wall = max(ends) - min(starts)
        if errors:
            raise CommandError(f"{len(errors)} clients failed: {errors[0]}")
        return latencies, outcomes, wall

    def report(self, name: str, latencies: list[float], outcomes: list[str], wall: float) -> None:
        refused = sum(1 for o in outcomes if o != "ok")
        self.stdout.write(
            f"{name:<34}{len(outcomes) / wall:>10,.0f}{statistics.median(latencies):>9.2f}"
            f"{percentile(latencies, 95):>9.2f}{refused:>9}"
        )


class Client(random.Random):
    """A client's random numbers, and its number (0 … clients − 1) for per-client set-up."""

    def __init__(self, number: int):
        super().__init__(number)
        self.number = number


def _run_threads(operation, numbers, each: int):
    """Run ``operation`` ``each`` times in one thread per client number (own connections); (starts, ends,
    latencies, outcomes, errors)."""
    numbers = list(numbers)
    latencies: list[float] = []
    outcomes: list[str] = []
    errors: list[str] = []
    starts: list[float] = []
    ends: list[float] = []
    barrier = threading.Barrier(len(numbers))
    threaded = len(numbers) > 1

    def client(n: int):
        rng = Client(n)
        try:
            barrier.wait()
            starts.append(time.perf_counter())
            for _ in range(each):
                start = time.perf_counter()
                outcomes.append(operation(rng))
                latencies.append((time.perf_counter() - start) * 1000)
        except Exception as error:  # a deadlock or any other failure ends the bench
            errors.append(repr(error))
        finally:
            ends.append(time.perf_counter())
            if threaded:
                close_old_connections()
                connection.close()

    if not threaded:
        client(numbers[0])
    else:
        threads = [threading.Thread(target=client, args=(n,)) for n in numbers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return starts, ends, latencies, outcomes, errors


def _run_processes(operation, clients: int, processes: int, each: int):
    """The clients spread over forked processes, each running its share as threads; perf_counter is the
    system's monotonic clock, so the earliest start and latest end across processes give the wall time."""
    import multiprocessing
    import os

    from django.db import connections

    context = multiprocessing.get_context("fork")
    connections.close_all()  # no connection may be shared across a fork
    ready = context.Barrier(processes + 1)
    pipes = [context.Pipe(duplex=False) for _ in range(processes)]

    def child(numbers, sender):
        try:
            ready.wait()
            sender.send(_run_threads(operation, numbers, each))
        except Exception as error:
            sender.send(([], [], [], [], [repr(error)]))
        finally:
            connections.close_all()
            sender.close()
            os._exit(0)

    workers = [
        context.Process(target=child, args=(list(range(p, clients, processes)), pipes[p][1]))
        for p in range(processes)
    ]
    for worker in workers:
        worker.start()
    ready.wait()
    gathered = [receiver.recv() for receiver, _sender in pipes]
    for worker in workers:
        worker.join()
    merged = ([], [], [], [], [])
    for part in gathered:
        for whole, piece in zip(merged, part, strict=True):
            whole.extend(piece)
    return merged
