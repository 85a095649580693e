"""Real PostgreSQL connections bidding and closing at once: one winner, no bid after the close, no two
accepted bids at one price, no extension lost, a session concluded by its last close; and what each path
locks (the lock order of kechuang.auctions.services) — a bid holds its lot only and a close its lot and the
session, so bids on two lots of one session wait neither for each other nor for a close of the other lot,
while closes and recorded deposits of one session queue on it."""

import contextlib
import itertools
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, close_old_connections, connection, transaction

from kechuang.auctions import services
from kechuang.auctions.models import AuctionSession, Bid, Lot, Registration
from kechuang.auctions.tests.conftest import CLOSES, DURING, make_world
from kechuang.contracts.models import TechContract
from kechuang.core.actions import Refused
from kechuang.ledger.models import Entry
from kechuang.ledger.queries import violations

pytestmark = [pytest.mark.postgres_race, pytest.mark.django_db(transaction=True)]

CLIENTS = 16


@pytest.fixture(autouse=True)
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("racing connections needs PostgreSQL")


def race(target, count=CLIENTS):
    barrier = threading.Barrier(count)
    outcomes: list = []

    def run(n):
        try:
            barrier.wait()
            outcomes.extend(target(n))
        except Exception as error:  # deadlocks and integrity errors end here, and fail the test
            outcomes.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    return outcomes


def attempt(call) -> str:
    try:
        call()
    except Refused as refused:
        return refused.code
    return "ok"


def assert_consistent(lot: Lot):
    lot.refresh_from_db()
    bids = list(Bid.objects.filter(lot=lot).order_by("pk"))
    amounts = [b.amount for b in bids]
    assert len(set(amounts)) == len(amounts), "two accepted bids at one price"
    assert amounts == sorted(amounts), "a later bid below an earlier one"
    assert all(b - a >= lot.increment for a, b in itertools.pairwise(amounts))
    assert lot.bid_count == len(bids)
    if bids:
        assert (lot.current_price, lot.leader_id) == (bids[-1].amount, bids[-1].registration_id)
    return bids


def test_concurrent_bids_at_the_same_prices_accept_each_price_once():
    world = make_world(bidders=CLIENTS)
    lot = world.single

    def bid(n):
        # Everyone tries the same ladder of prices: each price can be taken once, by one bidder.
        return [
            attempt(lambda a=amount: services.place_bid(world.user(n), lot, a, now=DURING))
            for amount in (Decimal(100000 + 10000 * step) for step in range(6))
        ]

    outcomes = race(bid)
    assert all(o in ("ok", "too_low", "already_leading") for o in outcomes), outcomes
    bids = assert_consistent(lot)
    assert outcomes.count("ok") == len(bids) == 6


def test_bids_racing_the_close_are_never_accepted_after_it_and_one_winner_is_paid_once():
    world = make_world(bidders=CLIENTS)
    lot = world.single
    Lot.objects.filter(pk=lot.pk).update(ends_at=CLOSES)
    after_cap = CLOSES + timedelta(minutes=31)

    def act(n):
        if n % 4 == 0:
            return [
                attempt(lambda: services.close_due_lots(now=after_cap)),
                attempt(lambda: services.close_lot(lot, now=after_cap)),
            ]
        done = []
        for _step in range(5):
            current = Lot.objects.get(pk=lot.pk)
            amount = current.next_minimum + Decimal(n)
            done.append(
                attempt(
                    lambda a=amount: services.place_bid(
                        world.user(n), lot, a, now=CLOSES - timedelta(seconds=30)
                    )
                )
            )
        return done

    outcomes = race(act)
    assert all(o in ("ok", "too_low", "already_leading", "closed") for o in outcomes), [
        o
        for o in outcomes
        if not isinstance(o, str) or o not in ("ok", "too_low", "already_leading", "closed")
    ]
    bids = assert_consistent(lot)
    lot.refresh_from_db()
    assert lot.status in Lot.CLOSED
    if lot.status == Lot.Status.SOLD:
        # The hammer fell on the highest bid: nothing was accepted after the close.
        assert (lot.hammer_price, lot.winner_id) == (bids[-1].amount, bids[-1].registration_id)
        assert TechContract.objects.filter(source="auction", source_id=lot.pk).count() == 1
        assert (
            Entry.objects.filter(event="auctions.deposit.apply", target_id=str(lot.pk)).count() == 1
        )
    assert services.close_lot(lot, now=after_cap).status == lot.status
    assert violations() == []


def test_concurrent_last_minute_bids_never_lose_an_extension():
    world = make_world(bidders=CLIENTS)
    lot = world.single
    base = CLOSES - timedelta(minutes=1)

    def bid(n):
        moment = base + timedelta(seconds=3 * n)  # each client bids at its own moment
        done = []
        for _ in range(3):
            current = Lot.objects.get(pk=lot.pk)
            done.append(
                attempt(
                    lambda a=current.next_minimum: services.place_bid(
                        world.user(n), lot, a, now=moment
                    )
                )
            )
        return done

    outcomes = race(bid)
    assert all(o in ("ok", "too_low", "already_leading") for o in outcomes), outcomes
    bids = assert_consistent(lot)
    lot.refresh_from_db()
    window = timedelta(minutes=world.session.extension_minutes)
    cap = lot.closes_at + timedelta(minutes=world.session.extension_cap_minutes)
    # The close is where the latest-timed accepted bid put it: no concurrent bid overwrote a later close.
    assert lot.ends_at == max(min(b.placed_at + window, cap) for b in bids)


# --- what a bid and a close hold -------------------------------------------------------------------------


def in_thread(call):
    """Start ``call`` in a thread (a connection) of its own; its outcome lands in the list returned."""
    outcome: list = []

    def run():
        try:
            outcome.append(attempt(call))
        except Exception as error:
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def waiting_for_a_lock(thread, pids_before) -> bool:
    """Whether ``thread``'s call is (within five seconds) blocked on a lock: a backend of this database
    not among ``pids_before`` waits for one. False once the thread has ended without waiting."""
    for _poll in range(50):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if {pid for (pid,) in cursor.fetchall()} - pids_before:
                return True
        if not thread.is_alive():
            return False
        thread.join(0.1)
    return False


def backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return {pid for (pid,) in cursor.fetchall()}


@contextlib.contextmanager
def held(monkeypatch, call, *, after, when=lambda *args: True):
    """Run ``call`` in a thread (a connection) of its own and hold it, mid-transaction, right after it
    calls ``services.<after>`` with arguments for which ``when`` is true: every lock the service has
    taken by then stays held inside the block. Yields the thread's state: its backend ``pid`` and, after
    the block, its ``outcome``."""
    state = {"pid": None, "outcome": None}
    inside, go = threading.Event(), threading.Event()
    real = getattr(services, after)

    def holding(*args, **kwargs):
        result = real(*args, **kwargs)
        if threading.current_thread() is thread and when(*args):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                state["pid"] = cursor.fetchone()[0]
            inside.set()
            go.wait(60)
        return result

    def run():
        try:
            state["outcome"] = attempt(call)
        except Exception as error:
            state["outcome"] = error
        finally:
            inside.set()
            connection.close()

    monkeypatch.setattr(services, after, holding)
    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert inside.wait(30) and state["pid"], f"the held call did not get there: {state}"
        yield state
    finally:
        go.set()
        thread.join(60)
    assert not thread.is_alive(), "the held call hung"


def audit(action):
    """``when`` for holding a call as it writes the audit row ``action``."""
    return lambda actor, name, *args: name == action


@contextlib.contextmanager
def lock_timeout():
    """This connection gives up on a lock after a second (a wait would fail the test, not hang it)."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '1s'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def row_locked(model, pk) -> bool:
    """Whether another transaction holds a lock on the row that conflicts with ``FOR UPDATE``."""
    try:
        with transaction.atomic():
            model.objects.select_for_update(nowait=True).filter(pk=pk).exists()
    except OperationalError:
        return True
    return False


def table_locks(pid) -> dict[str, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = %s AND l.granted",
            [pid],
        )
        found: dict[str, set[str]] = {}
        for table, mode in cursor.fetchall():
            found.setdefault(table, set()).add(mode)
    return found


def test_a_bid_on_one_lot_holds_that_lot_only_and_a_bid_on_another_lot_does_not_wait(monkeypatch):
    world = make_world(bidders=2)
    single, portfolio = world.single, world.portfolio
    with held(
        monkeypatch,
        lambda: services.place_bid(world.user(0), single, "100000", now=DURING),
        after="record",
        when=audit("auctions.bid.place"),
    ) as bidding:
        locks = table_locks(bidding["pid"])
        # Row locks show as ROW SHARE on their table: the lot's, not the session's (only read).
        assert "RowShareLock" in locks[Lot._meta.db_table]
        assert "RowShareLock" not in locks.get(AuctionSession._meta.db_table, set())
        assert row_locked(Lot, single.pk)
        assert not row_locked(AuctionSession, world.session.pk)
        assert not row_locked(Lot, portfolio.pk)
        with lock_timeout():  # a wait for the held bid's locks would fail here after a second
            bid = services.place_bid(world.user(1), portfolio, "300000", now=DURING)
        assert bid.lot_id == portfolio.pk
    assert bidding["outcome"] == "ok"
    single.refresh_from_db()
    portfolio.refresh_from_db()
    assert (single.current_price, single.bid_count) == (Decimal("100000"), 1)
    assert (portfolio.current_price, portfolio.bid_count) == (Decimal("300000"), 1)


def test_a_close_in_progress_does_not_hold_up_bids_on_another_lot_even_by_its_winner(monkeypatch):
    world = make_world(bidders=2)
    single, portfolio = world.single, world.portfolio
    services.place_bid(world.user(0), single, "150000", now=DURING)
    # The winner has paid enough deposit for both lots: the close applies one lot's.
    services.record_deposit(
        world.operator, world.registration(0), "50000", idempotency_key="second", now=DURING
    )
    Lot.objects.filter(pk=portfolio.pk).update(ends_at=CLOSES + timedelta(minutes=20))
    later = CLOSES + timedelta(minutes=1)  # the single lot is due, the (extended) portfolio is not
    with held(
        monkeypatch,
        lambda: services.close_lot(single, now=later),
        after="record",
        when=audit("auctions.lot.sell"),
    ) as closing:
        # The close holds the lot, the session and the winner's registration.
        assert row_locked(Lot, single.pk)
        assert row_locked(AuctionSession, world.session.pk)
        with lock_timeout():
            # The winner of the closing lot bids on the other: its bid row refers to the registration
            # that the close has locked (a key-share lock, which a no-key lock lets through).
            services.place_bid(world.user(0), portfolio, "300000", now=later)
            services.place_bid(world.user(1), portfolio, "320000", now=later)
    assert closing["outcome"] == "ok"
    single.refresh_from_db()
    portfolio.refresh_from_db()
    assert (single.status, single.winner_id) == (Lot.Status.SOLD, world.registration(0).pk)
    assert (portfolio.status, portfolio.current_price, portfolio.bid_count) == (
        Lot.Status.OPEN,
        Decimal("320000"),
        2,
    )
    assert violations() == []


def test_two_lots_closing_at_once_conclude_their_session(monkeypatch):
    world = make_world(bidders=2)
    later = CLOSES + timedelta(minutes=1)
    # The single lot's close has found the portfolio still open (so it does not conclude the session)
    # and is held before it commits; the portfolio's close runs meanwhile.
    with held(
        monkeypatch, lambda: services.close_lot(world.single, now=later), after="_conclude_if_done"
    ) as first:
        others = backends()
        second, outcome = in_thread(lambda: services.close_lot(world.portfolio, now=later))
        # It waits for the first on the session: else it would not see the single lot closed either.
        assert waiting_for_a_lock(second, others), "the second close did not wait for the first"
    second.join(30)
    assert (first["outcome"], outcome) == ("ok", ["ok"])
    world.session.refresh_from_db()
    assert world.session.status == AuctionSession.Status.CONCLUDED
    assert Entry.objects.filter(event="auctions.deposit.release").count() == 2
    assert violations() == []


def test_a_deposit_recorded_while_the_last_lot_closes_waits_and_is_refused_once_concluded(
    monkeypatch,
):
    world = make_world(bidders=2)
    later = CLOSES + timedelta(minutes=1)
    services.close_lot(world.single, now=later)  # unsold: no bid
    late = world.registration(1)
    entries = Entry.objects.count()
    with held(
        monkeypatch,
        lambda: services.close_lot(world.portfolio, now=later),
        after="record",
        when=audit("auctions.lot.unsold"),
    ) as closing:
        others = backends()
        recording, outcome = in_thread(
            lambda: services.record_deposit(
                world.operator, late, "10000", idempotency_key="late", now=later
            )
        )
        assert waiting_for_a_lock(recording, others), "the deposit did not wait for the close"
    recording.join(30)
    # The close concluded the session and released every deposit; the late one is refused, unrecorded.
    assert (closing["outcome"], outcome) == ("ok", ["state"])
    world.session.refresh_from_db()
    assert world.session.status == AuctionSession.Status.CONCLUDED
    assert Entry.objects.count() == entries + 2  # the two releases
    assert not Entry.objects.filter(idempotency_key="late").exists()
    assert list(
        Registration.objects.filter(session=world.session).values_list("deposit_held", flat=True)
    ) == [0, 0]
    assert violations() == []


def test_bids_and_closes_racing_on_two_lots_of_one_session_keep_every_invariant():
    world = make_world(bidders=CLIENTS)
    lots = [world.single, world.portfolio]
    Lot.objects.filter(pk__in=[lot.pk for lot in lots]).update(ends_at=CLOSES)
    last_minute = CLOSES - timedelta(seconds=30)
    after_cap = CLOSES + timedelta(minutes=31)

    def act(n):
        lot = lots[n % 2]
        if n % 8 in (0, 1):  # two closers per lot, racing the bids and each other
            return [
                attempt(lambda: services.close_lot(lot, now=after_cap)),
                attempt(lambda: services.close_due_lots(now=after_cap)),
            ]
        done = []
        for step in range(4):
            current = Lot.objects.get(pk=lot.pk)
            moment = last_minute + timedelta(seconds=n + step)
            done.append(
                attempt(
                    lambda a=current.next_minimum + Decimal(n), m=moment: services.place_bid(
                        world.user(n), lot, a, now=m
                    )
                )
            )
        return done

    outcomes = race(act)
    allowed = ("ok", "too_low", "already_leading", "closed")
    assert all(o in allowed for o in outcomes), [o for o in outcomes if o not in allowed]
    window = timedelta(minutes=world.session.extension_minutes)
    for lot in lots:
        bids = assert_consistent(lot)
        assert lot.status in Lot.CLOSED
        if bids:  # every extension kept: the close is where the latest bid put it
            assert lot.ends_at == max(
                CLOSES,
                *(min(b.placed_at + window, lot.closes_at + timedelta(minutes=30)) for b in bids),
            )
        if lot.status == Lot.Status.SOLD:
            assert (lot.hammer_price, lot.winner_id) == (bids[-1].amount, bids[-1].registration_id)
            assert TechContract.objects.filter(source="auction", source_id=lot.pk).count() == 1
        else:
            assert not TechContract.objects.filter(source="auction", source_id=lot.pk).exists()
    # The last close concluded the session, once, and no deposit stayed held.
    world.session.refresh_from_db()
    assert world.session.status == AuctionSession.Status.CONCLUDED
    assert not Registration.objects.filter(session=world.session, deposit_held__gt=0).exists()
    assert Entry.objects.filter(event="auctions.deposit.release").count() == CLIENTS - len(
        {lot.winner_id for lot in lots if lot.winner_id}
    )
    assert violations() == []
