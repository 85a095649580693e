"""Real PostgreSQL connections bidding and closing at once: one winner, no bid after the close, no two
accepted bids at one price, no extension lost."""

import itertools
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from kechuang.auctions import services
from kechuang.auctions.models import Bid, Lot
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
