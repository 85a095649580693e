"""The bid rules over random sequences of bids, proxies, time passing and closing.

Whatever the order: a direct bid is accepted exactly when the lot is open, before its close, at least the
next minimum and not by the leader, and a refused one changes nothing; accepted amounts strictly increase
by at least the increment; price, leader and count follow the last bid; the close only moves later and
never past the cap; a closed lot takes no bid; a sold lot's hammer price reaches the reserve.
"""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.forms.models import model_to_dict
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kechuang.auctions import services
from kechuang.auctions.models import Lot
from kechuang.auctions.tests.conftest import CLOSES, STARTS, make_world
from kechuang.core.actions import Refused
from kechuang.ledger.queries import violations

BIDDERS = 3
CAP = timedelta(minutes=30)


class Bidding(RuleBasedStateMachine):
    @initialize()
    def open_session(self):
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.world = make_world(bidders=BIDDERS)
        self.lot = self.world.single
        self.now = CLOSES - timedelta(minutes=20)
        self.last_ends_at = self.lot.ends_at

    def fresh(self) -> Lot:
        return Lot.objects.select_related("session").get(pk=self.lot.pk)

    def snapshot(self):
        lot = self.fresh()
        return model_to_dict(lot), list(lot.bids.values_list("pk", "amount"))

    @rule(bidder=st.integers(0, BIDDERS - 1), steps=st.integers(-1, 4), extra=st.integers(0, 999))
    def bid(self, bidder, steps, extra):
        lot = self.fresh()
        amount = lot.next_minimum + steps * lot.increment + Decimal(extra)
        registration = self.world.registration(bidder)
        accepted = (
            lot.status == Lot.Status.OPEN
            and STARTS <= self.now < lot.ends_at
            and amount >= lot.next_minimum
            and lot.leader_id != registration.pk
        )
        before = self.snapshot()
        try:
            services.place_bid(self.world.user(bidder), lot, amount, now=self.now)
        except Refused:
            assert not accepted, "a valid bid was refused"
            assert self.snapshot() == before, "a refused bid changed something"
        else:
            assert accepted, "an invalid bid was accepted"

    @rule(bidder=st.integers(0, BIDDERS - 1), steps=st.integers(0, 8))
    def proxy(self, bidder, steps):
        lot = self.fresh()
        before = self.snapshot()
        try:
            services.set_proxy(
                self.world.user(bidder), lot, lot.next_minimum + steps * lot.increment, now=self.now
            )
        except Refused:
            assert self.snapshot() == before

    @rule(minutes=st.integers(0, 15), seconds=st.integers(0, 59))
    def time_passes(self, minutes, seconds):
        self.now += timedelta(minutes=minutes, seconds=seconds)

    @rule()
    def clock(self):
        services.close_due_lots(now=self.now)

    @invariant()
    def bids_climb(self):
        if not hasattr(self, "world"):
            return
        lot = self.fresh()
        bids = list(lot.bids.order_by("pk").select_related("registration"))
        amounts = [b.amount for b in bids]
        assert all(b - a >= lot.increment for a, b in itertools.pairwise(amounts))
        assert not bids or amounts[0] >= lot.starting_price
        assert lot.bid_count == len(bids)
        if bids:
            assert (lot.current_price, lot.leader_id) == (bids[-1].amount, bids[-1].registration_id)
        assert lot.closes_at <= lot.ends_at <= lot.closes_at + CAP
        assert lot.ends_at >= self.last_ends_at
        self.last_ends_at = lot.ends_at
        if lot.status == Lot.Status.SOLD:
            assert lot.hammer_price == lot.current_price >= lot.reserve_price
            assert all(b.placed_at < lot.ends_at for b in bids)
        if lot.status == Lot.Status.UNSOLD:
            assert lot.current_price is None or lot.current_price < lot.reserve_price
        assert violations() == []

    def teardown(self):
        if hasattr(self, "savepoint"):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)


@pytest.mark.django_db
def test_bidding_state_machine(settings_fast_hash=None):
    Bidding.TestCase.settings = settings(
        max_examples=20,
        stateful_step_count=25,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        deadline=None,
    )
    Bidding.TestCase().runTest()
