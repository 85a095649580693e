"""Netting: positions sum to zero, the plan moves the least money in the fewest transfers, closed runs
never change and later approvals fall into the next run."""

from datetime import date
from decimal import Decimal
from itertools import permutations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kechuang.core.actions import Refused
from kechuang.ledger.queries import balance_of
from kechuang.vouchers import clearing, redemptions
from kechuang.vouchers.factories import member, operator_of
from kechuang.vouchers.models import ClearingRun
from kechuang.vouchers.tests.conftest import NOW
from kechuang.vouchers.tests.test_redemptions import delivered, evidence

D = Decimal


def test_three_regions_owing_each_other_in_a_circle_settle_with_no_transfer():
    assert clearing.settlement_plan({"A": D(0), "B": D(0), "C": D(0)}) == []
    owed = {("A", "B"): D(100), ("B", "C"): D(100), ("C", "A"): D(100)}
    positions = clearing.net_positions(owed, "ABC")
    assert positions == {"A": 0, "B": 0, "C": 0}


def test_one_payment_when_two_debts_chain():
    owed = {("A", "B"): D(100), ("B", "C"): D(60)}
    positions = clearing.net_positions(owed, "ABC")
    assert positions == {"A": D(-100), "B": D(40), "C": D(60)}
    plan = clearing.settlement_plan(positions)
    assert sorted(plan) == [("A", "B", D(40)), ("A", "C", D(60))]


def test_zero_sum_pairs_are_found():
    # greedy largest-first would need 3 transfers here; two disjoint pairs need 2
    positions = {"A": D(-5), "B": D(-3), "C": D(3), "D": D(5)}
    assert sorted(clearing.settlement_plan(positions)) == [("A", "D", D(5)), ("B", "C", D(3))]


amounts = st.integers(min_value=0, max_value=5000).map(D)


@given(st.dictionaries(st.sampled_from(list(permutations("ABCDE", 2))), amounts, max_size=12))
def test_plan_balances_every_position_with_the_least_money(owed):
    positions = clearing.net_positions(owed, "ABCDE")
    assert sum(positions.values()) == 0
    plan = clearing.settlement_plan(positions)
    after = dict(positions)
    for payer, payee, amount in plan:
        assert amount > 0
        after[payer] += amount
        after[payee] -= amount
    assert all(v == 0 for v in after.values())
    assert sum(a for _p, _q, a in plan) == sum(v for v in positions.values() if v > 0)
    assert len(plan) <= max(len([v for v in positions.values() if v]) - 1, 0)


def test_closing_a_run_fixes_it_and_later_approvals_go_to_the_next(world):
    order = delivered(world, world.suzhou_provider)
    redemption = redemptions.submit_redemption(
        member(world.suzhou_provider), order.hold, files=evidence(), now=NOW
    )
    redemptions.decide_redemption(operator_of(world.jiading), redemption, approve=True, now=NOW)
    op = operator_of(world.jiading)
    run = clearing.open_run(
        op, world.federation, period_start=date(2018, 12, 1), period_end=date(2018, 12, 31), now=NOW
    )
    figures = clearing.figures(run)
    assert figures["bilateral"] == {("310114", "320500"): D("3000.00")}
    assert sum(figures["positions"].values()) == 0
    clearing.close_run(op, run, now=NOW)
    run.refresh_from_db()
    assert run.status == ClearingRun.Status.CLOSED
    assert run.plan == [{"payer": "310114", "payee": "320500", "amount": "3000.00"}]
    from kechuang.vouchers import accounts

    assert balance_of(accounts.owes(world.jiading, world.suzhou)) == 0
    with pytest.raises(Refused):
        clearing.close_run(op, run, now=NOW)
    # a later approval dated in the closed period goes to the next run
    order2 = delivered(world, world.suzhou_provider, key="o2")
    late = redemptions.submit_redemption(
        member(world.suzhou_provider), order2.hold, files=evidence(), now=NOW
    )
    redemptions.decide_redemption(operator_of(world.jiading), late, approve=True, now=NOW)
    assert clearing.figures(run)["bilateral"] == {("310114", "320500"): D("3000.00")}
    following = clearing.open_run(
        op, world.federation, period_start=date(2019, 1, 1), period_end=date(2019, 1, 31), now=NOW
    )
    assert list(clearing.run_redemptions(following)) == [late]
    with pytest.raises(Refused):
        clearing.open_run(
            op,
            world.federation,
            period_start=date(2018, 12, 15),
            period_end=date(2019, 1, 5),
            now=NOW,
        )
