"""``kechuang bench auctions``: a lot page watched by many and bid on steadily.

In a throwaway database (created, migrated and dropped like ``bench ledger``): one online lot, ``--bidders``
registered bidders with deposits. Phase one (the same-run baseline) places bids at ``--rate`` per second
with nobody watching; phase two does the same while ``--watchers`` watchers poll the lot's live block
(the htmx fragment the lot page swaps every 3 s) through the full Django stack, served by ``--pool``
connections; like the page, each watcher sends back the block's ETag (``If-None-Match``), so an unchanged
lot answers 304 (``--signed-in``: the watchers carry a bidder's session cookie). The watchers' CPU time
per poll is printed with the machine's load average. Prints p50/p95 bid-acceptance latency of both
phases and the watchers' poll latency, then accounts for every bid: attempts = accepted + refused by
reason, accepted = bid rows = the lot's count, the price = the highest bid. Exits non-zero if a bid is
unaccounted for. Meant for PostgreSQL.
"""

import os
import random
import resource
import statistics
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kechuang.accounts.models import Membership, OperatorMandate, User
from kechuang.auctions import services
from kechuang.auctions.models import Bid, Lot
from kechuang.core.actions import Refused
from kechuang.core.models import Region
from kechuang.directory.models import Organization

POLL_SECONDS = 3  # the lot page's hx-trigger interval


def percentile(samples: list[float], pct: int) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


class Command(BaseCommand):
    help = (
        "Bid acceptance latency with many watchers polling the lot page; every bid accounted for."
    )

    def add_arguments(self, parser):
        parser.add_argument("--watchers", type=int, default=200)
        parser.add_argument("--pool", type=int, default=40, help="connections serving the watchers")
        parser.add_argument("--processes", type=int, default=4, help="watcher worker processes")
        parser.add_argument("--rate", type=float, default=20.0, help="bids per second")
        parser.add_argument("--bidders", type=int, default=20)
        parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
        parser.add_argument(
            "--signed-in",
            action="store_true",
            help="watchers are signed-in bidders (a session cookie on every poll), not anonymous",
        )

    def handle(
        self, *args, watchers, pool, processes, rate, bidders, seconds, signed_in, **options
    ):
        db = settings.DATABASES["default"]
        if connection.vendor == "sqlite":
            db.setdefault("TEST", {})["NAME"] = str(
                Path(db["NAME"]).with_name("bench_auctions.sqlite3")
            )
            self.stdout.write(
                "note: meant for PostgreSQL (DATABASE_URL); SQLite serialises every writer"
            )
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        old_name = db["NAME"]
        self.stdout.write(f"database: {connection.vendor}; creating a throwaway database …")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            ok = self.run(watchers, pool, processes, rate, bidders, seconds, signed_in)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        if not ok:
            raise CommandError("a bid is unaccounted for")

    def world(self, bidders: int):
        tag = uuid.uuid4().hex[:6]
        region = Region.objects.create(code="319999", name="压测区", level="district")
        operator = User.objects.create(username=f"op-{tag}")
        OperatorMandate.objects.create(user=operator, region=region, office="压测科协")
        owner = Organization.objects.create(name="压测研究所", kind="institute", region=region)
        now = timezone.now()
        session = services.create_session(
            operator,
            region=region,
            title="压测专场",
            organizer="压测",
            terms="须知",
            starts_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
        )
        lot = services.add_lot(
            operator,
            session,
            title="压测拍品",
            owner=owner,
            patents=[{"number": "CN112345678A"}],
            starting_price="10000",
            increment="100",
            deposit="1000",
        )
        services.submit_session(operator, session)
        services.publish_session(operator, session)
        users = []
        for n in range(bidders):
            user = User.objects.create(username=f"b{n}-{tag}")
            org = Organization.objects.create(name=f"竞买企业{n}", kind="enterprise", region=region)
            Membership.objects.create(user=user, organization=org)
            registration = services.register_bidder(user, session, org, accept_terms=True)
            services.record_deposit(operator, registration, "1000", idempotency_key=f"d{n}")
            users.append(user)
        return lot, users

    def bid_phase(self, lot, users, rate, seconds, stop_watchers=None):
        """Bids at ``rate`` per second from a few threads, each bid by a bidder at the next minimum."""
        latencies, outcomes, errors = [], [], []
        lock = threading.Lock()
        interval = 1.0 / rate
        deadline = time.perf_counter() + seconds
        threads_count = 5

        def bidder(n):
            rng = random.Random(n)
            next_at = time.perf_counter() + n * interval
            try:
                while next_at < deadline:
                    delay = next_at - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    next_at += interval * threads_count
                    current = Lot.objects.only("current_price", "starting_price", "increment").get(
                        pk=lot.pk
                    )
                    user = rng.choice(users)
                    start = time.perf_counter()
                    try:
                        services.place_bid(user, lot, current.next_minimum)
                        outcome = "ok"
                    except Refused as refused:
                        outcome = refused.code
                    elapsed = (time.perf_counter() - start) * 1000
                    with lock:
                        outcomes.append(outcome)
                        if outcome == "ok":
                            latencies.append(elapsed)
            except Exception as error:
                errors.append(error)
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=bidder, args=(n,)) for n in range(threads_count)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise CommandError(f"a bidder failed: {errors[0]!r}")
        return latencies, outcomes, time.perf_counter() - started

    def watch(self, lot, watchers, pool, processes, stop, viewers=()):
        """``watchers`` polls every POLL_SECONDS, served by ``pool`` clients spread over ``processes``
        forked worker processes (as a server runs several workers: one Python process would measure its
        own GIL, not the platform). Returns the processes and a queue of (latencies, errors)."""
        import multiprocessing

        context = multiprocessing.get_context("fork")
        results = context.Queue()
        url = reverse("auctions:live", args=[lot.pk])
        Client().get(url)  # warm, as a server's workers are: URLs, templates and catalogues loaded
        connection.close()  # children open their own connections
        per_process = max(1, pool // processes)
        per_client = max(1, watchers // (per_process * processes))
        workers = [
            context.Process(
                target=_watch_process,
                args=(url, per_process, per_client, stop, results, n, list(viewers)),
            )
            for n in range(processes)
        ]
        for worker in workers:
            worker.start()
        return workers, results

    def run(self, watchers, pool, processes, rate, bidders, seconds, signed_in=False) -> bool:
        lot, users = self.world(bidders)
        self.stdout.write(f"{'phase':<44}{'bids':>6}{'accepted':>10}{'p50 ms':>9}{'p95 ms':>9}")
        base_lat, base_out, wall = self.bid_phase(lot, users, rate, seconds)
        self.row("bids, nobody watching (baseline)", base_lat, base_out, wall)
        self.stdout.write(f"load average: {os.getloadavg()[0]:.1f}")
        import multiprocessing

        stop = multiprocessing.get_context("fork").Event()
        viewers = [u.pk for u in users] if signed_in else []
        watch_started = time.perf_counter()
        workers, results = self.watch(lot, watchers, pool, processes, stop, viewers)
        time.sleep(1)
        lat, out, wall = self.bid_phase(lot, users, rate, seconds)
        stop.set()
        watched = time.perf_counter() - watch_started
        polls, poll_errors, fresh, cpu = [], [], 0, 0.0
        for _worker in workers:
            got, errs, new_blocks, seconds_of_cpu = results.get(timeout=60)
            polls += got
            poll_errors += errs
            fresh += new_blocks
            cpu += seconds_of_cpu
        for worker in workers:
            worker.join()
        who = "signed-in " if signed_in else ""
        self.row(f"bids, {watchers} {who}watchers polling every {POLL_SECONDS} s", lat, out, wall)
        self.stdout.write(
            f"watcher polls: {len(polls)} in {watched:.0f} s ({len(polls) / watched:.0f}/s of "
            f"{watchers / POLL_SECONDS:.0f}/s asked), "
            f"p50 {percentile(polls, 50):.1f} ms, p95 {percentile(polls, 95):.1f} ms, errors {len(poll_errors)}; "
            f"{fresh} answered with a new block, {len(polls) - fresh - len(poll_errors)} with 304; "
            f"watchers' CPU {cpu:.1f} s = {cpu * 1000 / max(len(polls), 1):.1f} ms a poll"
        )
        self.stdout.write(f"load average at the end: {os.getloadavg()[0]:.1f}")
        outcomes = base_out + out
        accepted = outcomes.count("ok")
        lot.refresh_from_db()
        rows = Bid.objects.filter(lot=lot).count()
        top = (
            Bid.objects.filter(lot=lot).order_by("-amount").values_list("amount", flat=True).first()
        )
        refused = {code: outcomes.count(code) for code in sorted(set(outcomes)) if code != "ok"}
        ok = accepted == rows == lot.bid_count and top == lot.current_price and not poll_errors
        self.stdout.write(
            f"accounted: {len(outcomes)} attempts = {accepted} accepted + refused {refused}; "
            f"bid rows {rows}, lot count {lot.bid_count}, price {lot.current_price} = top bid {top}: "
            f"{'all accounted for' if ok else 'MISMATCH'}"
        )
        return ok

    def row(self, name, latencies, outcomes, wall):
        self.stdout.write(
            f"{name:<44}{len(outcomes):>6}{outcomes.count('ok'):>10}"
            f"{percentile(latencies, 50):>9.1f}{percentile(latencies, 95):>9.1f}"
            f"   ({len(outcomes) / wall:.1f} bids/s)"
        )


def _watch_process(url, clients, per_client, stop, results, seed, viewers):
    """A forked watcher process: ``clients`` threads, each polling ``per_client`` watchers' schedules."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_at_start = usage.ru_utime + usage.ru_stime
    latencies, errors = [], []
    changed = [0]  # polls answered with a new block (200); the rest were 304 Not Modified
    lock = threading.Lock()

    def client(n):
        browser = Client()
        if viewers:  # a signed-in bidder: every poll carries their session cookie
            browser.force_login(User.objects.get(pk=viewers[(seed * 1000 + n) % len(viewers)]))
        rng = random.Random(seed * 1000 + n)
        due = [time.perf_counter() + rng.random() * POLL_SECONDS for _ in range(per_client)]
        etags = ["" for _ in range(per_client)]
        try:
            while not stop.is_set():
                i = min(range(len(due)), key=due.__getitem__)
                delay = due[i] - time.perf_counter()
                if delay > 0 and stop.wait(delay):
                    break
                start = time.perf_counter()
                # As the lot page does (hx-headers): the block's ETag goes back as If-None-Match.
                response = browser.get(url, headers={"if-none-match": etags[i]} if etags[i] else {})
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    if response.status_code == 200:
                        etags[i] = response.get("ETag", "")
                        changed[0] += 1
                    elif response.status_code != 304:
                        errors.append(response.status_code)
                due[i] += POLL_SECONDS
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put((latencies, errors, changed[0], usage.ru_utime + usage.ru_stime - cpu_at_start))
