"""Cross-region clearing (跨区域清算) over a federation, as a clearing house does.

A voucher of region A spent at a provider in region B is paid to the provider by B (in B's monthly
batch) and owed by A to B. Each period a clearing run gathers the cross-region redemptions approved up to
its end and not cleared before, and shows:

- the **bilateral statements**: for each pair of regions, what A owes B and what B owes A;
- each region's **multilateral net position** (what it is owed less what it owes): the positions sum to
  zero;
- the **settlement plan**: transfers from net debtors to net creditors that move the least money (the sum
  of the positive positions — no plan can move less) in the fewest transfers. The fewest is n − k for n
  regions with a non-zero position and k the largest number of disjoint groups of them whose positions sum
  to zero (found exactly, by dynamic programming over subsets, for federations of up to 16 regions); within
  each group the largest debtor pays the largest creditor until the group is even.

Closing a run fixes its statements and plan (stored on the run), ties its redemptions to it, and posts
one ledger entry per pair (due.A → owes.B) clearing the debts; a closed run never changes, and later
approvals or corrections fall into the next run.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import operates
from kechuang.core import audit
from kechuang.core.actions import Refused
from kechuang.core.models import Federation, Region
from kechuang.ledger import services as ledger
from kechuang.vouchers import accounts
from kechuang.vouchers.models import ClearingRun, Redemption
from kechuang.vouchers.redemptions import SHANGHAI


def may_run(user, federation: Federation) -> bool:
    """Operators of any member region (or above it) see and run the federation's clearing."""
    return any(operates(user, region) for region in federation.members.all())


def open_run(
    actor, federation: Federation, *, period_start: date, period_end: date, now
) -> ClearingRun:
    """Open a clearing period for ``federation``; periods may not overlap."""
    if not may_run(actor, federation):
        raise Refused(_("只有联盟成员区域的科协可以发起清算。"), "forbidden")
    if period_end < period_start:
        raise Refused(_("期间结束不能早于开始。"), "period")
    with transaction.atomic():
        # the federation's row serialises openings: two overlapping periods opened at once would
        # otherwise both find no overlap
        list(Federation.objects.select_for_update().filter(pk=federation.pk).values_list("pk"))
        if ClearingRun.objects.filter(
            federation=federation, period_start__lte=period_end, period_end__gte=period_start
        ).exists():
            raise Refused(_("与已有清算期间重叠。"), "overlap")
        run = ClearingRun.objects.create(
            federation=federation, period_start=period_start, period_end=period_end
        )
        audit.record(actor, "vouchers.clearing.opened", run, str(run))
    return run


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=SHANGHAI)


def run_redemptions(run: ClearingRun):
    """The redemptions a run clears: its own once closed; while open, every cross-region redemption
    among its members approved before the end of the period and not cleared by an earlier run."""
    if run.status == ClearingRun.Status.CLOSED:
        return run.redemptions.all()
    members = run.federation.members.all()
    return Redemption.objects.filter(
        status__in=[Redemption.Status.APPROVED, Redemption.Status.PAID],
        clearing_run__isnull=True,
        decided_at__lt=_end_of(run.period_end),
        issuing_region__in=members,
        provider_region__in=members,
    ).exclude(issuing_region=F("provider_region"))


def bilateral(redemptions) -> dict[tuple[str, str], Decimal]:
    """``{(debtor code, creditor code): amount}``: the issuing region owes the provider's region."""
    owed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for debtor, creditor, amount in redemptions.values_list(
        "issuing_region__code", "provider_region__code", "amount"
    ):
        owed[(debtor, creditor)] += amount
    return dict(owed)


def net_positions(owed: dict[tuple[str, str], Decimal], codes) -> dict[str, Decimal]:
    """Each region's multilateral net position: what it is owed less what it owes (sums to zero)."""
    position = {code: Decimal("0.00") for code in codes}
    for (debtor, creditor), amount in owed.items():
        position[debtor] = position.get(debtor, Decimal(0)) - amount
        position[creditor] = position.get(creditor, Decimal(0)) + amount
    return position


def settlement_plan(positions: dict[str, Decimal]) -> list[tuple[str, str, Decimal]]:
    """The fewest transfers ``(payer, payee, amount)`` that bring every position to zero, moving exactly
    the sum of the positive positions (see the module's docstring)."""
    items = sorted((code, amount) for code, amount in positions.items() if amount != 0)
    n = len(items)
    if n == 0:
        return []
    if n > 16:
        return _greedy(items)
    sums = [Decimal(0)] * (1 << n)
    for mask in range(1, 1 << n):
        low = (mask & -mask).bit_length() - 1
        sums[mask] = sums[mask ^ (1 << low)] + items[low][1]
    best = [0] * (1 << n)  # most zero-sum groups a sequence of these members can be cut into
    for mask in range(1, 1 << n):
        best[mask] = max(best[mask ^ (1 << i)] for i in range(n) if mask >> i & 1) + (
            1 if sums[mask] == 0 else 0
        )
    order, mask = [], (1 << n) - 1
    while mask:
        bonus = 1 if sums[mask] == 0 else 0
        i = next(
            i for i in range(n) if mask >> i & 1 and best[mask ^ (1 << i)] + bonus == best[mask]
        )
        order.append(i)
        mask ^= 1 << i
    order.reverse()
    transfers, group, running = [], [], Decimal(0)
    for i in order:
        group.append(items[i])
        running += items[i][1]
        if running == 0:
            transfers += _greedy(group)
            group = []
    return transfers


def _greedy(items) -> list[tuple[str, str, Decimal]]:
    """Largest debtor pays largest creditor until even: at most len(items) − 1 transfers."""
    debtors = sorted(([c, -a] for c, a in items if a < 0), key=lambda x: (-x[1], x[0]))
    creditors = sorted(([c, a] for c, a in items if a > 0), key=lambda x: (-x[1], x[0]))
    transfers = []
    d = c = 0
    while d < len(debtors) and c < len(creditors):
        amount = min(debtors[d][1], creditors[c][1])
        transfers.append((debtors[d][0], creditors[c][0], amount))
        debtors[d][1] -= amount
        creditors[c][1] -= amount
        if debtors[d][1] == 0:
            d += 1
        if creditors[c][1] == 0:
            c += 1
    return transfers


def figures(run: ClearingRun) -> dict:
    """The run's statements: stored when closed; computed from the redemptions while open."""
    names = dict(run.federation.members.values_list("code", "name"))
    if run.status == ClearingRun.Status.CLOSED:
        owed = {(row["debtor"], row["creditor"]): Decimal(row["amount"]) for row in run.bilateral}
        positions = {code: Decimal(amount) for code, amount in run.positions.items()}
        plan = [(row["payer"], row["payee"], Decimal(row["amount"])) for row in run.plan]
    else:
        owed = bilateral(run_redemptions(run))
        positions = net_positions(owed, names)
        plan = settlement_plan(positions)
    return {"names": names, "bilateral": owed, "positions": positions, "plan": plan}


def close_run(actor, run: ClearingRun, *, now: datetime) -> ClearingRun:
    """Close the run: fix its statements and plan, tie its redemptions to it, and clear each pair's debt
    in the ledger. Once closed it never changes."""
    if not may_run(actor, run.federation):
        raise Refused(_("只有联盟成员区域的科协可以轧差。"), "forbidden")
    with transaction.atomic():
        locked = ClearingRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != ClearingRun.Status.OPEN:
            raise Refused(_("该清算期间已经轧差，不能再改变。"), "closed")
        if ClearingRun.objects.filter(
            federation=run.federation,
            status=ClearingRun.Status.OPEN,
            period_start__lt=run.period_start,
        ).exists():
            raise Refused(_("请先轧差更早的清算期间。"), "earlier_open")
        # redemptions by id before any account, the order approvals and batch payments take them too
        redemptions = list(
            run_redemptions(locked).order_by("pk").select_for_update().values_list("pk", flat=True)
        )
        rows = Redemption.objects.filter(pk__in=redemptions)
        owed = bilateral(rows)
        codes = list(run.federation.members.values_list("code", flat=True))
        positions = net_positions(owed, codes)
        plan = settlement_plan(positions)
        rows.update(clearing_run=locked)
        regions = Region.objects.in_bulk(codes, field_name="code")
        for (debtor, creditor), amount in sorted(owed.items()):
            ledger.post(
                [
                    (accounts.due(regions[creditor], regions[debtor]), -amount),
                    (accounts.owes(regions[debtor], regions[creditor]), amount),
                ],
                actor=actor,
                event="vouchers.clearing.closed",
                target=locked,
                memo=f"{debtor}→{creditor}",
                scope=accounts.SCOPE,
                idempotency_key=f"clearing:{locked.pk}:{debtor}:{creditor}",
            )
        ClearingRun.objects.filter(pk=locked.pk).update(
            status=ClearingRun.Status.CLOSED,
            closed_by=actor,
            closed_at=now,
            bilateral=[
                {"debtor": d, "creditor": c, "amount": str(a)} for (d, c), a in sorted(owed.items())
            ],
            positions={code: str(amount) for code, amount in positions.items()},
            plan=[{"payer": p, "payee": q, "amount": str(a)} for p, q, a in plan],
        )
        audit.record(
            actor,
            "vouchers.clearing.closed",
            locked,
            str(locked),
            transfers=len(plan),
            redemptions=len(redemptions),
        )
    run.refresh_from_db()
    return run
