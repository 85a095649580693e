"""Reading the ledger: balances by owner and purpose, and the invariant check."""

from decimal import Decimal

from django.db.models import Count, Q, Sum

from kechuang.ledger.models import Account, Entry, Line


def total_balance(owner_type: str, owner_ids, purpose: str) -> Decimal:
    """The summed balance of the ``purpose`` accounts of the given owners (ids of one model)."""
    total = Account.objects.filter(
        owner_type=owner_type, owner_id__in=[str(pk) for pk in owner_ids], purpose=purpose
    ).aggregate(total=Sum("balance"))["total"]
    return total or Decimal("0.00")


def violations() -> list[str]:
    """What breaks the ledger's invariants (empty when it holds): a protected balance below zero, an
    entry of fewer than two lines or whose lines do not sum to zero, a cached balance that differs from
    the sum of its lines, a trial balance that does not sum to zero."""
    found = [
        f"account {a.pk} ({a}) is protected but at {a.balance}"
        for a in Account.objects.filter(may_go_negative=False, balance__lt=0)
    ]
    for entry in Entry.objects.annotate(n=Count("lines"), total=Sum("lines__amount")).filter(
        Q(n__lt=2) | ~Q(total=0)
    ):
        found.append(f"entry {entry.pk} has {entry.n} lines summing to {entry.total}")
    sums = dict(Line.objects.values_list("account").annotate(total=Sum("amount")))
    for pk, balance in Account.objects.values_list("pk", "balance"):
        if balance != sums.get(pk, Decimal(0)):
            found.append(f"account {pk} caches {balance} but its lines sum to {sums.get(pk, 0)}")
    trial = Account.objects.aggregate(total=Sum("balance"))["total"] or Decimal(0)
    if trial != 0:
        found.append(f"trial balance sums to {trial}")
    return found
