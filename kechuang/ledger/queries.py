"""Reading the ledger: balances by owner and purpose, and the invariant check."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from kechuang.core.money import to_yuan
from kechuang.ledger.models import Account, Entry, Line


def total_balance(owner_type: str, owner_ids, purpose: str) -> Decimal:
    """The summed balance of the ``purpose`` accounts of the given owners (ids of one model)."""
    total = Account.objects.filter(
        owner_type=owner_type, owner_id__in=[str(pk) for pk in owner_ids], purpose=purpose
    ).aggregate(total=Sum("balance"))["total"]
    return to_yuan(total or 0)


def violations() -> list[str]:
    """What breaks the ledger's invariants (empty when it holds): a protected balance below zero, an
    entry of fewer than two lines or whose lines do not sum to zero, a cached balance that differs from
    the sum of its lines, a trial balance that does not sum to zero.

    Sums are taken in Python over the stored amounts (each exact to the fen), not by SQL ``SUM``, which
    SQLite computes in binary floating point.
    """
    found = [
        f"account {a.pk} ({a}) is protected but at {a.balance}"
        for a in Account.objects.filter(may_go_negative=False, balance__lt=0)
    ]
    entries: dict[int, list[Decimal]] = defaultdict(list)
    accounts: dict[int, Decimal] = defaultdict(Decimal)
    for entry_id, account_id, amount in Line.objects.values_list("entry", "account", "amount"):
        entries[entry_id].append(amount)
        accounts[account_id] += amount
    for entry_id in Entry.objects.values_list("pk", flat=True):
        amounts = entries.get(entry_id, [])
        if len(amounts) < 2 or sum(amounts, Decimal(0)) != 0:
            found.append(f"entry {entry_id} has {len(amounts)} lines summing to {sum(amounts)}")
    trial = Decimal(0)
    for pk, balance in Account.objects.values_list("pk", "balance"):
        trial += balance
        if balance != accounts[pk]:
            found.append(f"account {pk} caches {balance} but its lines sum to {accounts[pk]}")
    if trial != 0:
        found.append(f"trial balance sums to {trial}")
    return found
