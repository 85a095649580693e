"""The bid rules, closing, deposits and the contract of a sold lot; every refusal changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict

from kechuang.auctions import services
from kechuang.auctions.models import (
    DEPOSIT_APPLIED,
    DEPOSIT_HELD,
    DEPOSIT_RELEASED,
    AuctionSession,
    Bid,
    Lot,
)
from kechuang.auctions.tests.conftest import BEFORE, CLOSES, DURING, PATENT_A, STARTS, make_world
from kechuang.contracts.models import TechContract
from kechuang.core.actions import Refused
from kechuang.ledger.models import Account
from kechuang.ledger.queries import violations

pytestmark = pytest.mark.django_db


def snapshot(lot):
    lot.refresh_from_db()
    return model_to_dict(lot), list(lot.bids.values_list("pk", "amount"))


def refused(lot, call) -> str:
    before = snapshot(lot)
    with pytest.raises(Refused) as refusal:
        call()
    assert snapshot(lot) == before
    return refusal.value.code


def balance(registration, purpose):
    return Account.objects.of(registration).get(purpose=purpose).balance


def test_bids_climb_by_the_increment_and_lead_changes(world):
    lot = world.single
    services.place_bid(world.user(0), lot, "100000", now=DURING)
    services.place_bid(world.user(1), lot, "110000", now=DURING)
    lot.refresh_from_db()
    assert (lot.current_price, lot.leader, lot.bid_count) == (
        Decimal("110000.00"),
        world.registration(1),
        2,
    )
    assert (
        refused(lot, lambda: services.place_bid(world.user(0), lot, "115000", now=DURING))
        == "too_low"
    )
    assert (
        refused(lot, lambda: services.place_bid(world.user(1), lot, "130000", now=DURING))
        == "already_leading"
    )
    assert (
        refused(lot, lambda: services.place_bid(world.user(2), lot, "abc", now=DURING))
        == "invalid_amount"
    )
    assert (
        refused(lot, lambda: services.place_bid(world.user(2), lot, "-1", now=DURING))
        == "invalid_amount"
    )


def test_first_bid_at_least_the_starting_price(world):
    assert (
        refused(
            world.single,
            lambda: services.place_bid(world.user(0), world.single, "99999", now=DURING),
        )
        == "too_low"
    )


def test_no_bid_before_the_start_or_after_the_close(world):
    lot = world.single
    assert (
        refused(
            lot,
            lambda: services.place_bid(
                world.user(0), lot, "100000", now=STARTS - timedelta(seconds=1)
            ),
        )
        == "not_started"
    )
    assert (
        refused(lot, lambda: services.place_bid(world.user(0), lot, "100000", now=CLOSES))
        == "closed"
    )


def test_unregistered_or_without_deposit_may_not_bid(world):
    from kechuang.accounts.factories import MembershipFactory, UserFactory
    from kechuang.directory.factories import OrganizationFactory

    stranger = UserFactory()
    org = OrganizationFactory(region=world.region)
    MembershipFactory(user=stranger, organization=org)
    lot = world.single
    assert (
        refused(lot, lambda: services.place_bid(stranger, lot, "100000", now=DURING))
        == "not_registered"
    )
    services.register_bidder(stranger, world.session, org, accept_terms=True, now=BEFORE)
    assert (
        refused(lot, lambda: services.place_bid(stranger, lot, "100000", now=DURING))
        == "no_deposit"
    )


def test_registration_needs_the_terms_and_gives_paddles_once(world):
    from kechuang.accounts.factories import MembershipFactory, UserFactory
    from kechuang.directory.factories import OrganizationFactory

    user = UserFactory()
    org = OrganizationFactory(region=world.region)
    MembershipFactory(user=user, organization=org)
    with pytest.raises(Refused):
        services.register_bidder(user, world.session, org, accept_terms=False)
    first = services.register_bidder(user, world.session, org, accept_terms=True)
    again = services.register_bidder(user, world.session, org, accept_terms=True)
    assert first.pk == again.pk and first.paddle == 104
    assert [b[2].paddle for b in world.bidders] == [101, 102, 103]
    with pytest.raises(PermissionDenied):
        services.register_bidder(world.user(0), world.session, org, accept_terms=True)


def test_a_bid_in_the_last_minutes_extends_up_to_the_cap(world):
    lot = world.single
    bid = services.place_bid(world.user(0), lot, "100000", now=CLOSES - timedelta(minutes=2))
    lot.refresh_from_db()
    assert bid.extended_to == lot.ends_at == CLOSES + timedelta(minutes=3)
    amount, who, moment = Decimal("110000"), 1, CLOSES - timedelta(minutes=2)
    for _ in range(20):  # keep sniping: the close moves at most 30 minutes past the schedule
        lot.refresh_from_db()
        if moment >= lot.ends_at:
            break
        services.place_bid(world.user(who), lot, amount, now=moment)
        amount += 10000
        who = 1 - who
        moment += timedelta(minutes=4)
    lot.refresh_from_db()
    assert lot.ends_at == CLOSES + timedelta(minutes=30)
    assert (
        refused(lot, lambda: services.place_bid(world.user(2), lot, amount, now=lot.ends_at))
        == "closed"
    )


def test_proxy_bids_answer_up_to_their_maximum(world):
    lot = world.single
    services.set_proxy(world.user(0), lot, "200000", now=DURING)
    lot.refresh_from_db()
    assert (lot.current_price, lot.leader) == (Decimal("100000.00"), world.registration(0))
    services.place_bid(world.user(1), lot, "150000", now=DURING)
    lot.refresh_from_db()
    assert (lot.current_price, lot.leader) == (Decimal("160000.00"), world.registration(0))
    services.set_proxy(world.user(2), lot, "180000", now=DURING)
    lot.refresh_from_db()
    # The higher maximum leads one increment above the lower one's maximum.
    assert (lot.current_price, lot.leader) == (Decimal("190000.00"), world.registration(0))
    services.place_bid(world.user(1), lot, "250000", now=DURING)
    lot.refresh_from_db()
    assert (lot.current_price, lot.leader) == (Decimal("250000.00"), world.registration(1))
    amounts = list(lot.bids.order_by("pk").values_list("amount", flat=True))
    assert amounts == sorted(amounts) and len(set(amounts)) == len(amounts)


def test_closing_sells_at_or_above_the_reserve_and_settles_deposits(world):
    lot = world.single
    services.place_bid(world.user(0), lot, "140000", now=DURING)
    services.place_bid(world.user(1), lot, "150000", now=DURING)
    services.place_bid(world.user(0), world.portfolio, "300000", now=DURING)
    assert services.close_due_lots(now=CLOSES - timedelta(seconds=1)) == 0
    assert services.close_due_lots(now=CLOSES) == 2
    assert services.close_due_lots(now=CLOSES + timedelta(minutes=1)) == 0
    lot.refresh_from_db()
    assert (lot.status, lot.winner, lot.hammer_price) == (
        Lot.Status.SOLD,
        world.registration(1),
        Decimal("150000.00"),
    )
    contract = TechContract.objects.get(source="auction", source_id=lot.pk)
    assert contract.kind == "transfer" and contract.buyer == world.bidders[1][1]
    assert contract.seller == world.owner and contract.total_amount == Decimal("150000.00")
    assert list(contract.payments.values_list("amount", flat=True)) == [
        Decimal("50000.00"),
        Decimal("100000.00"),
    ]
    world.session.refresh_from_db()
    assert world.session.status == AuctionSession.Status.CONCLUDED
    winner, loser = world.registration(1), world.registration(2)
    assert balance(winner, DEPOSIT_APPLIED) == Decimal("50000.00")
    assert balance(winner, DEPOSIT_HELD) == 0 and winner.deposit_held == 0
    assert balance(loser, DEPOSIT_RELEASED) == Decimal("50000.00")
    assert balance(world.registration(0), DEPOSIT_APPLIED) == Decimal(
        "50000.00"
    )  # won the portfolio
    assert violations() == []


def test_below_the_reserve_goes_to_negotiation(world):
    lot = world.single
    services.place_bid(world.user(0), lot, "140000", now=DURING)
    lot = services.close_lot(lot, now=CLOSES)
    assert lot.status == Lot.Status.UNSOLD and lot.winner is None
    assert not TechContract.objects.exists()
    assert (
        refused(lot, lambda: services.place_bid(world.user(1), lot, "200000", now=CLOSES))
        == "closed"
    )


def test_repeated_idempotency_key_places_one_bid(world):
    lot = world.single
    first = services.place_bid(world.user(0), lot, "100000", now=DURING, idempotency_key="k1")
    again = services.place_bid(world.user(0), lot, "100000", now=DURING, idempotency_key="k1")
    assert first.pk == again.pk and Bid.objects.count() == 1


def test_invalid_patent_numbers_and_reserves_are_refused(world):
    session = services.create_session(
        world.operator,
        region=world.region,
        title="第二场",
        organizer="嘉定区科协",
        terms="须知",
        starts_at=STARTS,
        closes_at=CLOSES,
    )
    base = {"title": "拍品", "owner": world.owner, "starting_price": "1000", "increment": "100"}
    for patents, code in (
        ([{"number": "ZL201910123456.1"}], "patent_number"),
        ([{"number": "CN12345A"}], "patent_number"),
        ([{"number": PATENT_A}], "patent_busy"),
        ([{"number": "CN112345678A"}, {"number": "cn 112345678 a"}], "patent_repeated"),
        ([{"number": "CN112345678A", "legal_status": "expired"}], "legal_status"),
        ([], "no_patent"),
    ):
        with pytest.raises(Refused) as refusal:
            services.add_lot(world.operator, session, patents=patents, **base)
        assert refusal.value.code == code
    with pytest.raises(Refused) as refusal:
        services.add_lot(
            world.operator,
            session,
            patents=[{"number": "CN112345678A"}],
            reserve_price="500",
            **base,
        )
    assert refusal.value.code == "reserve_below_start"
    assert not session.lots.exists()
    lot = services.add_lot(world.operator, session, patents=[{"number": "CN 112345678 A"}], **base)
    assert lot.patents.get().number == "CN112345678A"


def test_onsite_floor_bids_and_hammer(db):
    world = make_world(mode="onsite")
    lot = world.single
    with pytest.raises(Refused):
        services.place_bid(
            world.user(0), lot, "100000", now=DURING
        )  # no online bids, but no proxy either
    services.record_floor_bid(world.operator, lot, 101, "100000", now=DURING)
    services.record_floor_bid(world.operator, lot, 102, "160000", now=DURING)
    with pytest.raises(Refused) as refusal:
        services.record_floor_bid(world.operator, lot, 999, "200000", now=DURING)
    assert refusal.value.code == "no_paddle"
    assert (
        services.close_lot(lot, now=CLOSES + timedelta(hours=1)).status == Lot.Status.OPEN
    )  # hammer only
    lot = services.hammer(world.operator, lot, now=DURING)
    assert (lot.status, lot.hammer_price, lot.winner.paddle) == (
        Lot.Status.SOLD,
        Decimal("160000.00"),
        102,
    )
    with pytest.raises(PermissionDenied):
        services.hammer(world.user(0), world.portfolio, now=DURING)


def test_session_review_states(world):
    session = services.create_session(
        world.operator,
        region=world.region,
        title="第二场",
        organizer="嘉定区科协",
        terms="须知",
        starts_at=STARTS,
        closes_at=CLOSES,
    )
    with pytest.raises(Refused):
        services.submit_session(world.operator, session)  # no lots
    services.add_lot(
        world.operator,
        session,
        title="x",
        owner=world.owner,
        patents=[{"number": "CN112345678A"}],
        starting_price="1000",
        increment="100",
    )
    services.submit_session(world.operator, session)
    with pytest.raises(Refused):
        services.add_lot(
            world.operator,
            session,
            title="y",
            owner=world.owner,
            patents=[{"number": "CN112345679A"}],
            starting_price="1000",
            increment="100",
        )
    session = services.return_session(world.operator, session, "请补充保留价")
    assert session.status == AuctionSession.Status.DRAFT
    with pytest.raises(Refused):
        services.publish_session(world.operator, session, now=BEFORE)
    with pytest.raises(PermissionDenied):
        services.submit_session(world.user(0), session)
