"""Reading the ledger: balances by owner and purpose, and the invariant check."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from kechuang.core.money import to_yuan
from kechuang.ledger.models import Account, Entry, Line


def total_balance(owner_type: str, owner_ids, purpose: str) -> Decimal:
    """The summed balance of the ``purpose`` accounts of the given owners (ids of one model)."""
    rows = Account.objects.filter(
        owner_type=owner_type, owner_id__in=[str(pk) for pk in owner_ids], purpose=purpose
    )
    if rows.filter(derived=True).exists():
        return sum(balances(rows).values(), Decimal("0.00"))
    total = rows.aggregate(total=Sum("balance"))["total"]
    return to_yuan(total or 0)


def balance_of(account: Account) -> Decimal:
    """One account's balance as it stands now: its cached balance, or the sum of a derived one's lines."""
    return balances(Account.objects.filter(pk=account.pk))[account.pk]


def balances(accounts) -> dict[int, Decimal]:
    """``{account id: balance}`` for a queryset of accounts: the cached balance, or for a derived account
    the sum of its lines (in two queries however many accounts)."""
    found = {}
    derived = []
    for pk, is_derived, balance in accounts.values_list("pk", "derived", "balance"):
        if is_derived:
            derived.append(pk)
        else:
            found[pk] = balance
    if derived:
        from kechuang.ledger.services import derived_sums

        found.update(derived_sums(derived))
    return found


def violations() -> list[str]:
    """What breaks the ledger's invariants (empty when it holds): a protected balance (cached, or the sum
    of a derived account's lines) below zero, an entry of fewer than two lines or whose lines do not sum to
    zero, a cached balance that differs from the sum of its lines, a derived account with a cached balance,
    a trial balance that does not sum to zero.

    Sums are taken in Python over the stored amounts (each exact to the fen), not by SQL ``SUM``, which
    SQLite computes in binary floating point.
    """
    found = [
        f"account {a.pk} ({a}) is protected but at {a.balance}"
        for a in Account.objects.filter(may_go_negative=False, balance__lt=0)
    ]
    found += [
        f"account {a.pk} ({a}) is derived but caches {a.balance}"
        for a in Account.objects.filter(derived=True, balance__isnull=False)
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
    for pk, derived, protected, balance in Account.objects.values_list(
        "pk", "derived", "may_go_negative", "balance"
    ):
        if derived:
            trial += accounts[pk]
            if not protected and accounts[pk] < 0:
                found.append(f"account {pk} is protected but its lines sum to {accounts[pk]}")
            continue
        trial += balance
        if balance != accounts[pk]:
            found.append(f"account {pk} caches {balance} but its lines sum to {accounts[pk]}")
    if trial != 0:
        found.append(f"trial balance sums to {trial}")
    return found
