"""Real PostgreSQL connections posting at once on shared accounts: no overdraft, exact totals, no
deadlock, and a key raced by many clients posts once."""

import random
import threading
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection

from kechuang.core.actions import Refused
from kechuang.ledger import services as ledger
from kechuang.ledger.models import Account, Entry
from kechuang.ledger.queries import violations

pytestmark = [pytest.mark.postgres_race, pytest.mark.django_db(transaction=True)]

CLIENTS = 24


@pytest.fixture(autouse=True)
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("racing connections needs PostgreSQL")


def race(target, count=CLIENTS):
    """Run ``target(n)`` from ``count`` threads at once, each on its own connection; return the outcomes
    (``ok``, a refusal code, or the unexpected exception)."""
    barrier = threading.Barrier(count)
    outcomes: list = []

    def run(n):
        try:
            barrier.wait()
            outcomes.extend(target(n))
        except Exception as error:  # deadlocks and 500s end here, and fail the test
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


def funded(balance: str, accounts: int):
    owner = get_user_model().objects.create(username=f"race-{uuid.uuid4().hex[:8]}")
    source = ledger.open_account(owner, "race.source", may_go_negative=True)
    shared = [ledger.open_account(owner, f"race.{n}") for n in range(accounts)]
    for account in shared:
        ledger.transfer(source, account, balance, actor=owner, event="race.fund", target=owner)
    return owner, source, shared


def test_many_clients_draining_one_account_never_overdraw_it():
    owner, _source, (pot, sink) = funded("1000.00", 2)

    def drain(n):
        return [
            attempt(
                lambda: ledger.transfer(
                    pot, sink, "30.00", actor=owner, event="race.drain", target=owner
                )
            )
            for _ in range(3)
        ]

    outcomes = race(drain)
    # 72 attempts of 30 against 1,000: exactly 33 fit (990), 39 are refused, none fails otherwise.
    assert sorted(outcomes, key=str) == ["insufficient"] * 39 + ["ok"] * 33
    pot.refresh_from_db()
    sink.refresh_from_db()
    assert (pot.balance, sink.balance) == (Decimal("10.00"), Decimal("1990.00"))
    assert violations() == []


def test_crossing_transfers_in_every_direction_keep_exact_totals_without_deadlock():
    owner, source, shared = funded("500.00", 4)

    def shuffle(n):
        rng = random.Random(n)
        done = []
        for _ in range(15):
            a, b = rng.sample(shared, 2)
            # Multi-line entries touch three accounts in random order: the service locks them by pk.
            c = rng.choice([x for x in shared if x not in (a, b)])
            amount = Decimal(rng.randint(1, 20_000)) / 100
            done.append(
                attempt(
                    lambda a=a, b=b, c=c, amount=amount: ledger.post(
                        [(a, -amount), (b, amount / 2), (c, amount - amount / 2)]
                        if (amount * 100) % 2 == 0
                        else [(a, -amount), (b, amount)],
                        actor=owner,
                        event="race.shuffle",
                        target=owner,
                    )
                )
            )
        return done

    outcomes = race(shuffle)
    assert all(o in ("ok", "insufficient") for o in outcomes), [
        o for o in outcomes if isinstance(o, Exception)
    ]
    assert outcomes.count("ok") > 0
    balances = [a.balance for a in Account.objects.filter(pk__in=[a.pk for a in shared])]
    assert sum(balances) == Decimal("2000.00")
    assert min(balances) >= 0
    source.refresh_from_db()
    assert source.balance == Decimal("-2000.00")
    assert Entry.objects.filter(event="race.shuffle").count() == outcomes.count("ok")
    assert violations() == []


def test_a_key_raced_by_every_client_posts_once_and_everyone_gets_that_entry():
    owner, _source, (a, b) = funded("100.00", 2)
    entries = []

    def pay(n):
        entry = ledger.transfer(
            a,
            b,
            "60.00",
            actor=owner,
            event="race.pay",
            target=owner,
            scope="race",
            idempotency_key="once",
        )
        entries.append(entry.pk)
        return ["ok"]

    outcomes = race(pay)
    assert outcomes == ["ok"] * CLIENTS
    assert len(set(entries)) == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.balance, b.balance) == (Decimal("40.00"), Decimal("160.00"))
    assert violations() == []
