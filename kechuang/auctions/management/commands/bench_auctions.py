"""``kechuang bench auctions``: a lot page watched by many and bid on steadily.

In a throwaway database (created, migrated and dropped like ``bench ledger``): one online lot, ``--bidders``
registered bidders with deposits. Phase one (the same-run baseline) places bids at ``--rate`` per second
with nobody watching; phase two does the same while ``--watchers`` watchers poll the lot's live block
(the htmx fragment the lot page swaps, at the interval the page's ``hx-trigger`` says) through the full
Django stack, served by ``--pool`` connections in ``--processes`` forked processes; like the page, each
watcher starts with the ETag of the block the lot page showed it and sends back the latest one
(``If-None-Match``), so an unchanged lot answers 304 (``--signed-in``: the watchers carry a bidder's
session cookie).

A bid is what a bidder does on the lot page: a signed-in POST of the bid form (with an idempotency key)
through the whole stack, timed around the request by the client; ``--service`` calls the bid service
directly instead. In both phases a probe asks ``/healthz`` five times a second: its p50/p95 is the
machine's own latency under the same load, the baseline to read the bids against. The watchers' CPU time
per poll (measured once their handlers are loaded) is printed with the load averages. Then every bid is
accounted for: attempts = accepted + refused by reason, each accepted bid's key found among the bid rows,
accepted = bid rows = the lot's count, the price = the highest bid. Exits non-zero if a bid is
unaccounted for. Meant for PostgreSQL.
"""

import html
import json
import os
import random
import re
import resource
import statistics
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kechuang.accounts.models import Membership, OperatorMandate, User
from kechuang.auctions import services
from kechuang.auctions.models import Bid, Lot
from kechuang.core.actions import Refused
from kechuang.core.models import Region
from kechuang.directory.models import Organization

HEALTH_EVERY = 0.2  # seconds between the /healthz probe's requests
BIDDING_PROCESSES = 5


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
            "--service",
            action="store_true",
            help="bid through the service call, not the lot page's form (the request stack left out)",
        )
        parser.add_argument(
            "--signed-in",
            action="store_true",
            help="watchers are signed-in bidders (a session cookie on every poll), not anonymous",
        )

    def handle(
        self,
        *args,
        watchers,
        pool,
        processes,
        rate,
        bidders,
        seconds,
        signed_in,
        service,
        **options,
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
            ok = self.run(watchers, pool, processes, rate, bidders, seconds, signed_in, service)
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

    def bid_phase(self, lot, users, rate, seconds, service=False):
        """Bids at ``rate`` per second from ``BIDDING_PROCESSES`` forked processes (separate clients,
        as bidders' browsers are, each served apart from the others), each bid by one of that process's
        bidders at the next minimum (read just before), on the lot page's form (or the service); a
        /healthz probe runs alongside. Returns the accepted bids' latencies, every attempt's
        (outcome, key), the wall time and the probe's latencies."""
        import multiprocessing

        context = multiprocessing.get_context("fork")
        results = context.Queue()
        interval = 1.0 / rate
        starts_at = time.time() + 1.0  # the processes' clients signed in by then
        connection.close()  # children open their own connections
        workers = [
            context.Process(
                target=_bid_process,
                args=(
                    n,
                    lot.pk,
                    [u.pk for u in users[n::BIDDING_PROCESSES]],
                    starts_at + n * interval,
                    starts_at + seconds,
                    interval * BIDDING_PROCESSES,
                    service,
                    results,
                ),
            )
            for n in range(BIDDING_PROCESSES)
        ]
        for worker in workers:
            worker.start()
        health, health_failures, errors, health_stop = [], [], [], threading.Event()

        def probe():
            browser = Client()
            try:
                while not health_stop.wait(HEALTH_EVERY):
                    start = time.perf_counter()
                    status = browser.get("/healthz").status_code
                    health.append((time.perf_counter() - start) * 1000)
                    if status != 200:  # the probe's own failure (a slow check): counted, not fatal
                        health_failures.append(status)
            finally:
                connection.close()

        prober = threading.Thread(target=probe)
        time.sleep(max(0.0, starts_at - time.time()))
        started = time.perf_counter()
        prober.start()
        latencies, outcomes = [], []
        for _worker in workers:
            got, attempts, failure = results.get(timeout=seconds + 120)
            latencies += got
            outcomes += attempts
            if failure:
                errors.append(failure)
        for worker in workers:
            worker.join()
        wall = time.perf_counter() - started
        health_stop.set()
        prober.join()
        if errors:
            raise CommandError(f"a bidder failed: {errors[0]}")
        if health_failures:
            self.stdout.write(
                f"  /healthz failed {len(health_failures)} times: {health_failures[:5]}"
            )
        return latencies, outcomes, wall, health

    def watch(self, lot, watchers, pool, processes, stop, viewers=()):
        """``watchers`` polls every ``every`` seconds (the page's interval) served by ``pool`` clients
        spread over ``processes`` forked worker processes (as a server runs several workers: one
        Python process would measure its own GIL, not the platform), each watcher starting from the
        block its page showed. Returns the processes, a queue of results and the interval."""
        import multiprocessing

        context = multiprocessing.get_context("fork")
        results = context.Queue()
        url = reverse("auctions:live", args=[lot.pk])
        page = Client().get(lot.get_absolute_url()).text  # warm, as a server's workers are
        every = int(re.search(r'hx-trigger="every (\d+)s"', page).group(1))
        shown = re.search(r'hx-headers="([^"]*)"', page).group(1)
        first_etag = json.loads(html.unescape(shown))["If-None-Match"]
        connection.close()  # children open their own connections
        per_process = max(1, pool // processes)
        per_client = max(1, watchers // (per_process * processes))
        workers = [
            context.Process(
                target=_watch_process,
                args=(
                    url,
                    per_process,
                    per_client,
                    stop,
                    results,
                    n,
                    list(viewers),
                    every,
                    first_etag,
                ),
            )
            for n in range(processes)
        ]
        for worker in workers:
            worker.start()
        return workers, results, every

    def run(
        self, watchers, pool, processes, rate, bidders, seconds, signed_in=False, service=False
    ) -> bool:
        lot, users = self.world(bidders)
        how = "the bid service" if service else "the lot page's bid form, timed by the client"
        self.stdout.write(f"bids through {how}; load average {_load()}")
        self.stdout.write(f"{'phase':<44}{'bids':>6}{'accepted':>10}{'p50 ms':>9}{'p95 ms':>9}")
        base_lat, base_out, wall, base_health = self.bid_phase(lot, users, rate, seconds, service)
        self.row("bids, nobody watching", base_lat, base_out, wall)
        self.row("  /healthz alongside", base_health, None, wall)
        self.stdout.write(f"load average: {_load()}")
        import multiprocessing

        stop = multiprocessing.get_context("fork").Event()
        viewers = [u.pk for u in users] if signed_in else []
        workers, results, every = self.watch(lot, watchers, pool, processes, stop, viewers)
        time.sleep(1)
        watch_started = time.perf_counter()
        lat, out, wall, health = self.bid_phase(lot, users, rate, seconds, service)
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
        self.row(f"bids, {watchers} {who}watchers polling every {every} s", lat, out, wall)
        self.row("  /healthz alongside", health, None, wall)
        self.stdout.write(
            f"watcher polls: {len(polls)} in {watched:.0f} s ({len(polls) / watched:.0f}/s of "
            f"{watchers / every:.0f}/s asked), "
            f"p50 {percentile(polls, 50):.1f} ms, p95 {percentile(polls, 95):.1f} ms, errors {len(poll_errors)}; "
            f"{fresh} answered with a new block, {len(polls) - fresh - len(poll_errors)} with 304; "
            f"watchers' CPU {cpu:.1f} s = {cpu * 1000 / max(len(polls), 1):.1f} ms a poll"
        )
        self.stdout.write(f"load average at the end: {_load()}")
        attempts = base_out + out
        outcomes = [outcome for outcome, _key in attempts]
        accepted_keys = {key for outcome, key in attempts if outcome == "ok"}
        accepted = outcomes.count("ok")
        lot.refresh_from_db()
        rows = Bid.objects.filter(lot=lot).count()
        stored_keys = set(Bid.objects.filter(lot=lot).values_list("idempotency_key", flat=True))
        missing = len(accepted_keys - stored_keys)
        unreported = len(stored_keys - accepted_keys)
        top = (
            Bid.objects.filter(lot=lot).order_by("-amount").values_list("amount", flat=True).first()
        )
        refused = {code: outcomes.count(code) for code in sorted(set(outcomes)) if code != "ok"}
        ok = (
            accepted == rows == lot.bid_count
            and not missing
            and not unreported
            and top == lot.current_price
            and not poll_errors
        )
        self.stdout.write(
            f"accounted: {len(outcomes)} attempts = {accepted} accepted + refused {refused}; "
            f"bid rows {rows} (accepted keys missing {missing}, rows no client was told of "
            f"{unreported}), lot count {lot.bid_count}, price {lot.current_price} = top bid {top}: "
            f"{'all accounted for' if ok else 'MISMATCH'}"
        )
        return ok

    def row(self, name, latencies, outcomes, wall):
        if outcomes is None:  # the /healthz probe
            self.stdout.write(
                f"{name:<44}{len(latencies):>6}{'':>10}"
                f"{percentile(latencies, 50):>9.1f}{percentile(latencies, 95):>9.1f}"
            )
            return
        accepted = sum(1 for outcome, _key in outcomes if outcome == "ok")
        self.stdout.write(
            f"{name:<44}{len(outcomes):>6}{accepted:>10}"
            f"{percentile(latencies, 50):>9.1f}{percentile(latencies, 95):>9.1f}"
            f"   ({len(outcomes) / wall:.1f} bids/s)"
        )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


# What the lot page tells a bidder, by the service's refusal codes.
REFUSALS = {"不得低于": "too_low", "已是当前最高": "already_leading", "截止": "closed"}


def _outcome(response) -> str:
    """The outcome of a bid posted on the lot page: the message it queued for the next page."""
    if response.status_code != 302:
        return f"http_{response.status_code}"
    queued = list(getattr(response.wsgi_request, "_messages", None)._queued_messages)
    if any(m.level == message_levels.SUCCESS for m in queued):
        return "ok"
    text = " ".join(str(m.message) for m in queued)
    return next((code for words, code in REFUSALS.items() if words in text), text[:40] or "none")


def _bid_process(n, lot_pk, user_pks, first_at, deadline, every, service, results):
    """A forked bidder process: from ``first_at`` (epoch seconds) to ``deadline``, one bid each
    ``every`` seconds by one of ``user_pks``, timed around the request (or the service call)."""
    rng = random.Random(n)
    lot = Lot.objects.select_related("session").get(pk=lot_pk)
    users = list(User.objects.filter(pk__in=user_pks))
    url = reverse("auctions:bid", args=[lot_pk])
    browsers = {}
    if not service:  # signed in beforehand, as bidders are: the log-in is not the bid
        for user in users:
            browsers[user.pk] = Client()
            browsers[user.pk].force_login(user)
            browsers[user.pk].handler.load_middleware()
    latencies, attempts, failure = [], [], ""
    next_at = first_at
    try:
        while next_at < deadline:
            delay = next_at - time.time()
            if delay > 0:
                time.sleep(delay)
            next_at += every
            current = Lot.objects.only("current_price", "starting_price", "increment").get(
                pk=lot_pk
            )
            user = rng.choice(users)
            key = uuid.uuid4().hex
            amount = current.next_minimum
            start = time.perf_counter()
            if service:
                try:
                    services.place_bid(user, lot, amount, idempotency_key=key)
                    outcome = "ok"
                except Refused as refused:
                    outcome = refused.code
            else:
                response = browsers[user.pk].post(url, {"amount": str(amount), "key": key})
                outcome = _outcome(response)
            elapsed = (time.perf_counter() - start) * 1000
            attempts.append((outcome, key))
            if outcome == "ok":
                latencies.append(elapsed)
    except Exception as error:
        failure = repr(error)
    finally:
        connection.close()
    results.put((latencies, attempts, failure))


def _watch_process(url, clients, per_client, stop, results, seed, viewers, every, first_etag):
    """A forked watcher process: ``clients`` threads, each polling ``per_client`` watchers' schedules.
    Its CPU time counts from when every client's handler is loaded (a server's workers load theirs
    once, not per poll)."""
    latencies, errors = [], []
    ready = threading.Barrier(clients + 1)
    changed = [0]  # polls answered with a new block (200); the rest were 304 Not Modified
    lock = threading.Lock()

    def client(n):
        browser = Client()
        if viewers:  # a signed-in bidder: every poll carries their session cookie
            browser.force_login(User.objects.get(pk=viewers[(seed * 1000 + n) % len(viewers)]))
        browser.handler.load_middleware()
        ready.wait()
        rng = random.Random(seed * 1000 + n)
        due = [time.perf_counter() + rng.random() * every for _ in range(per_client)]
        etags = [first_etag for _ in range(per_client)]  # the block their page showed
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
                due[i] += every
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_at_start = usage.ru_utime + usage.ru_stime
    for t in threads:
        t.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put((latencies, errors, changed[0], usage.ru_utime + usage.ru_stime - cpu_at_start))
