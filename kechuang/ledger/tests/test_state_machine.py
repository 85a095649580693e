"""The ledger's invariants over random sequences of postings, refused ones and repeated keys included.

A model of the expected balances runs beside the database: every accepted posting must move exactly what
the model says, every refused one nothing, every repeated idempotency key nothing. Runs on the database
the suite runs on (SQLite, or PostgreSQL when ``DATABASE_URL`` points at it).
"""

import itertools
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kechuang.core.actions import Refused
from kechuang.ledger import services as ledger
from kechuang.ledger.models import Account, Entry, Line
from kechuang.ledger.queries import violations

PROTECTED = 3  # accounts that may not go negative, besides one source that may
COUNTER = itertools.count()
fen = st.integers(min_value=-50_000, max_value=200_000).map(lambda n: Decimal(n) / 100)
index = st.integers(min_value=0, max_value=PROTECTED)  # 0 is the source


def snapshot():
    return (
        list(Account.objects.order_by("pk").values_list("pk", "balance")),
        Entry.objects.count(),
        Line.objects.count(),
    )


class Ledger(RuleBasedStateMachine):
    @initialize()
    def open_accounts(self):
        # Each run in a savepoint that teardown rolls back: runs do not see each other's rows.
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.owner = get_user_model().objects.create(username=f"ledger-sm-{next(COUNTER)}")
        self.accounts = [ledger.open_account(self.owner, "sm.source", may_go_negative=True)] + [
            ledger.open_account(self.owner, f"sm.{n}") for n in range(PROTECTED)
        ]
        self.expected = [Decimal("0.00")] * (PROTECTED + 1)
        self.keys: dict[str, int] = {}  # key → entry pk

    def cause(self, key: str = ""):
        return {
            "actor": self.owner,
            "event": "sm.move",
            "target": self.owner,
            "scope": "sm",
            "idempotency_key": f"{self.owner.pk}:{key}" if key else "",
        }

    def refused(self, attempt) -> Refused:
        before = snapshot()
        with pytest.raises(Refused) as refusal:
            attempt()
        assert snapshot() == before, "a refused posting changed something"
        return refusal.value

    @rule(source=index, destination=index, amount=fen, keyed=st.booleans())
    def transfer(self, source, destination, amount, keyed):
        key = f"t{len(self.keys)}" if keyed else ""
        call = lambda: ledger.transfer(  # noqa: E731
            self.accounts[source], self.accounts[destination], amount, **self.cause(key)
        )
        if amount <= 0:
            assert self.refused(call).code == "not_positive"
        elif source != 0 and self.expected[source] < amount:
            assert self.refused(call).code == "insufficient"
        else:
            entry = call()
            self.expected[source] -= amount
            self.expected[destination] += amount
            if key:
                self.keys[key] = entry.pk

    @rule(amounts=st.lists(st.tuples(index, fen), min_size=2, max_size=5))
    def post_lines(self, amounts):
        lines = [(self.accounts[i], amount) for i, amount in amounts]
        call = lambda: ledger.post(lines, **self.cause())  # noqa: E731
        after = list(self.expected)
        for i, amount in amounts:
            after[i] += amount
        # Lines apply in order: a protected account may not dip below zero on the way.
        running, dips = list(self.expected), False
        for i, amount in amounts:
            running[i] += amount
            dips = dips or (i != 0 and running[i] < 0)
        if any(amount == 0 for _i, amount in amounts):
            assert self.refused(call).code == "zero_amount"
        elif sum(amount for _i, amount in amounts) != 0:
            assert self.refused(call).code == "unbalanced"
        elif dips:
            assert self.refused(call).code == "insufficient"
        else:
            call()
            self.expected = after

    @rule(data=st.data())
    def repeat_a_key(self, data):
        if not self.keys:
            return
        key = data.draw(st.sampled_from(sorted(self.keys)))
        before = snapshot()
        amount = data.draw(st.integers(1, 100).map(Decimal))  # even a different amount
        entry = ledger.transfer(self.accounts[0], self.accounts[1], amount, **self.cause(key))
        assert entry.pk == self.keys[key]
        assert snapshot() == before, "a repeated idempotency key moved money"

    def teardown(self):
        if hasattr(self, "savepoint"):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

    @invariant()
    def balances_are_as_expected(self):
        if not hasattr(self, "accounts"):
            return
        assert [
            a.balance
            for a in Account.objects.filter(pk__in=[a.pk for a in self.accounts]).order_by("pk")
        ] == self.expected

    @invariant()
    def ledger_invariants_hold(self):
        # No protected balance below zero, every entry balanced, caches equal their lines, trial balance 0.
        assert violations() == []


@pytest.mark.django_db
def test_ledger_state_machine():
    machine = Ledger
    machine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    machine.TestCase().runTest()
