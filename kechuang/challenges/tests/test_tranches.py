"""The tranche invariant: released ≤ committed ≤ bounty, whatever the order or concurrency of requests."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kechuang.challenges import services
from kechuang.challenges.models import (
    BOUNTY_COMMITTED,
    BOUNTY_PLEDGED,
    BOUNTY_RELEASED,
    BOUNTY_UNPLANNED,
    Agreement,
    Milestone,
    Tranche,
)
from kechuang.challenges.tests.conftest import OBJECTIONS_OVER, announced, contracted, make_world
from kechuang.ledger.models import Account, Entry
from kechuang.ledger.queries import violations


def _accepted_milestone(world, agreement, order):
    milestone = Milestone.objects.create(
        agreement=agreement,
        order=order,
        title=f"追加里程碑{order}",
        due_on=datetime.date(2028, 1, 1),
    )
    services.submit_milestone(world.users["university"], milestone, evidence="完成")
    services.review_milestone(world.operator, milestone, accepted=True)
    return milestone


def _signed_with_headroom(world) -> Agreement:
    """Bounty 5,000,000: 3,000,000 released on signing, 1,000,000 planned on the first milestone, and
    1,000,000 not yet planned (the second milestone has no tranche)."""
    announced(world)
    return services.sign_agreement(
        world.operator,
        world.applications["consortium"],
        first_tranche=Decimal("3000000"),
        milestones=[
            {"title": "样机", "due_on": datetime.date(2027, 6, 30), "amount": "1000000"},
            {"title": "装车", "due_on": datetime.date(2028, 6, 30)},
        ],
        now=OBJECTIONS_OVER,
    )


@pytest.mark.django_db
def test_database_refuses_released_beyond_bounty_even_without_the_service(world):
    agreement = contracted(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).update(released_total=Decimal("5000000.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).update(committed_total=Decimal("5000000.01"))


@pytest.mark.django_db
def test_signing_and_paying_post_the_bounty_through_the_ledger_once(world):
    agreement = _signed_with_headroom(world)
    assert list(
        Entry.objects.filter(target_type__startswith="challenges.").values_list("event", flat=True)
    ) == [
        "challenges.bounty.pledge",
        "challenges.tranche.commit",
        "challenges.tranche.commit",
        "challenges.tranche.release",
    ]
    first = agreement.milestones.get(order=1)
    services.submit_milestone(world.users["university"], first, evidence="完成")
    services.review_milestone(world.operator, first, accepted=True)
    services.release_tranche(world.operator, first.tranche)
    # A page that submits the release again is refused by the service and moves nothing in the ledger.
    before = list(Account.objects.of(agreement).values_list("purpose", "balance"))
    with pytest.raises(services.Refused):
        services.release_tranche(world.operator, first.tranche)
    assert list(Account.objects.of(agreement).values_list("purpose", "balance")) == before
    released = Account.objects.of(agreement).get(purpose=BOUNTY_RELEASED)
    assert released.balance == Decimal("4000000.00")
    assert list(released.lines.values_list("entry__actor", flat=True)) == [world.operator.pk] * 2
    assert violations() == []


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        # amounts in fen, up to 1,500,000.00 yuan against the 1,000,000.00 left unplanned
        st.tuples(
            st.sampled_from(["add", "release", "release_again"]), st.integers(1, 150_000_000)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_invariant_over_random_tranche_sequences(steps):
    with transaction.atomic():
        world = make_world()
        agreement = _signed_with_headroom(world)
        for m in agreement.milestones.all():
            services.submit_milestone(world.users["university"], m, evidence="完成")
            services.review_milestone(world.operator, m, accepted=True)
        order = 10
        for action, amount in steps:
            planned = list(Tranche.objects.filter(agreement=agreement, status="planned"))
            try:
                if action == "add":
                    order += 1
                    milestone = _accepted_milestone(world, agreement, order)
                    services.add_tranche(
                        world.operator, agreement, milestone, Decimal(amount) / 100
                    )
                elif action == "release" and planned:
                    services.release_tranche(world.operator, planned[0])
                else:
                    done = Tranche.objects.filter(agreement=agreement, status="released").first()
                    services.release_tranche(world.operator, done)
            except services.Refused:
                pass
            agreement.refresh_from_db()
            tranches = Tranche.objects.filter(agreement=agreement)
            released = sum((t.amount for t in tranches if t.status == "released"), Decimal(0))
            committed = sum((t.amount for t in tranches), Decimal(0))
            assert agreement.released_total == released
            assert agreement.committed_total == committed
            assert released <= committed <= agreement.bounty
            # The ledger holds the same money: the caches are its sums, and its invariants hold.
            held = dict(Account.objects.of(agreement).values_list("purpose", "balance"))
            assert held == {
                BOUNTY_PLEDGED: -agreement.bounty,
                BOUNTY_UNPLANNED: agreement.bounty - committed,
                BOUNTY_COMMITTED: committed - released,
                BOUNTY_RELEASED: released,
            }
            assert violations() == []
        transaction.set_rollback(True)


def _race(target, count):
    """Run ``target`` from ``count`` threads at once, each on its own database connection."""
    barrier = threading.Barrier(count)
    outcomes = []

    def run():
        try:
            barrier.wait()
            target()
            outcomes.append("ok")
        except services.Refused:
            outcomes.append("refused")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.postgres_race
@pytest.mark.django_db(transaction=True)
def test_concurrent_release_and_commit_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("racing connections needs PostgreSQL")
    world = make_world()
    agreement = _signed_with_headroom(world)
    first = agreement.milestones.get(order=1)
    services.submit_milestone(world.users["university"], first, evidence="完成")
    services.review_milestone(world.operator, first, accepted=True)
    tranche = first.tranche

    # Eight simultaneous requests to release the same 1,000,000 tranche: exactly one pays.
    outcomes = _race(lambda: services.release_tranche(world.operator, tranche), 8)
    assert outcomes == ["ok"] + ["refused"] * 7
    agreement.refresh_from_db()
    assert agreement.released_total == Decimal("4000000.00")

    # Six simultaneous 400,000 tranches against the 1,000,000 left: exactly two fit.
    milestones = [_accepted_milestone(world, agreement, 10 + n) for n in range(6)]
    lock = threading.Lock()
    pending = list(milestones)

    def add():
        with lock:
            milestone = pending.pop()
        services.add_tranche(world.operator, agreement, milestone, Decimal("400000"))

    outcomes = _race(add, 6)
    assert outcomes == ["ok"] * 2 + ["refused"] * 4
    agreement.refresh_from_db()
    assert agreement.committed_total == Decimal("4800000.00")
    assert agreement.committed_total == sum(t.amount for t in agreement.tranches.all())


@pytest.mark.postgres_race
@pytest.mark.django_db(transaction=True)
def test_reviewing_a_milestone_while_a_tranche_is_tied_to_it_does_not_deadlock():
    """Every service locks the agreement before its milestone. ``add_tranche`` holds the agreement and
    commits a tranche whose foreign key share-locks the milestone; a review that locked the milestone first
    and then waited for the agreement would deadlock with it. Here a connection takes those two steps of
    ``add_tranche`` around a real ``review_milestone``: the review must queue, then succeed."""
    if connection.vendor != "postgresql":
        pytest.skip("racing connections needs PostgreSQL")
    world = make_world()
    agreement = _signed_with_headroom(world)
    milestone = Milestone.objects.create(
        agreement=agreement, order=20, title="并行", due_on=datetime.date(2028, 1, 1)
    )
    services.submit_milestone(world.users["university"], milestone, evidence="完成")
    holding, reviewing = threading.Event(), threading.Event()
    errors = []

    def tie_tranche():
        try:
            with transaction.atomic():
                Agreement.objects.select_for_update().get(pk=agreement.pk)
                holding.set()
                reviewing.wait(5)
                time.sleep(0.5)  # the review is now waiting for a lock
                # The foreign key is checked (deferred) at commit, while the agreement is still held.
                Tranche.objects.create(agreement=agreement, milestone=milestone, amount=1)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    def review():
        try:
            holding.wait(5)
            reviewing.set()
            services.review_milestone(world.operator, milestone, accepted=True)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tie_tranche), threading.Thread(target=review)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.ACCEPTED
