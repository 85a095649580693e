"""Posting to the ledger: the only code that changes an account's balance.

:func:`post` writes one balanced entry. It checks everything that could refuse it before it writes
anything, so a refused posting raises :class:`~kechuang.core.actions.Refused` and changes nothing, also
inside the caller's transaction (no savepoint is needed, which saves two round trips a posting):

- the accounts whose cached balance the entry changes are locked in primary-key order (``SELECT … FOR
  UPDATE`` on PostgreSQL, so concurrent postings on shared accounts queue instead of deadlocking; SQLite's
  IMMEDIATE transactions already serialise writers) and a protected one must cover its debit; an entry
  that changes a single cached balance does it in one conditional ``UPDATE … WHERE balance >= x`` whose row
  count it checks. The new balances are written by one ``UPDATE … SET balance = ROUND(balance + CASE …,
  2)``; the database's check constraint refuses a negative protected balance whatever the code does.
  (SQLite keeps decimals as binary floats; rounding each sum to the fen keeps the stored balance the float
  nearest the exact amount, so ``balance >= x`` compares like the decimals it stands for.)
- a *derived* account (no cached balance) that the entry credits, or that may go negative, is not touched
  at all: its line is inserted and nothing waits on its row. A protected derived account that the entry
  debits is locked with the others and the sum of its lines (as committed when the lock is granted, in
  whole fen) must cover the debit: debits queue on the row, credits only add, so it never goes below zero.

An idempotency key names one request within a scope: posting it again returns the first entry and moves
nothing, also when two requests with the same key race (``INSERT … ON CONFLICT DO NOTHING`` makes the
second wait for the first and then read its entry).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import Case, ExpressionWrapper, F, IntegerField, Sum, Value, When
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core.actions import Refused
from kechuang.core.inserts import insert_new
from kechuang.core.money import MoneyField, to_yuan
from kechuang.ledger.models import Account, Entry, Line, label_of


def open_account(
    owner: models.Model, purpose: str, *, may_go_negative: bool = False, derived: bool = False
) -> Account:
    """The ``purpose`` account of ``owner``, opened with a zero balance the first time it is asked for;
    ``derived`` opens it without a cached balance (see :mod:`kechuang.ledger.models`)."""
    owner_type, owner_id = label_of(owner)
    account, _created = Account.objects.get_or_create(
        owner_type=owner_type,
        owner_id=owner_id,
        purpose=purpose,
        defaults={
            "may_go_negative": may_go_negative,
            "derived": derived,
            "balance": None if derived else Decimal(0),
        },
    )
    return account


def _amount(value) -> Decimal:
    amount = to_yuan(value)
    if amount != Decimal(value):
        raise Refused(_("金额最多精确到分。"), "sub_fen")
    return amount


def post(
    lines: Sequence[tuple[Account, Decimal | int | str]],
    *,
    actor,
    event: str,
    target: models.Model,
    memo: str = "",
    scope: str = "",
    idempotency_key: str = "",
) -> Entry:
    """Post one entry of ``lines`` (account, signed amount in yuan; positive adds to the balance).

    The amounts must be non-zero, in whole fen, at least two, and sum to zero. ``event`` is a typed event
    name (``app.object.verb``), ``target`` the record the money moves for, ``actor`` the user who caused it
    (None for the system). Returns the entry — the first one posted under ``(scope, idempotency_key)`` if
    that key was used before.
    """
    priced = [(account, _amount(amount)) for account, amount in lines]
    if len(priced) < 2:
        raise Refused(_("一笔记账至少需要两行分录。"), "too_few_lines")
    if any(amount == 0 for _account, amount in priced):
        raise Refused(_("分录金额不能为零。"), "zero_amount")
    if sum((amount for _account, amount in priced), Decimal(0)) != 0:
        raise Refused(_("借贷不平衡：各行金额之和必须为零。"), "unbalanced")
    with transaction.atomic(savepoint=False):
        # Nothing is written until every check has passed, so a refusal needs no savepoint.
        refusal, update = _check_balances(priced)
        entry = None
        if refusal is None:
            entry = _insert_entry(actor, event, target, memo, scope, idempotency_key)
        if entry is not None:
            update()
            Line.objects.bulk_create(
                Line(entry=entry, account_id=account.pk, amount=amount)
                for account, amount in priced
            )
    if entry is None:
        # The key was used (that request moved the money and it is answered again), or refused.
        if idempotency_key and (first := _first(scope, idempotency_key)):
            return first
        raise refusal
    return entry


def _check_balances(priced):
    """Lock what the entry debits and check it is covered, writing nothing: ``(refusal or None, a
    function that moves the cached balances)``."""
    net: dict[int, Decimal] = {}
    need: dict[int, Decimal] = {}  # the most the lines, taken in order, draw below the balance
    accounts: dict[int, Account] = {}
    for account, amount in priced:
        net[account.pk] = net.get(account.pk, Decimal(0)) + amount
        need[account.pk] = max(need.get(account.pk, Decimal(0)), -net[account.pk])
        accounts[account.pk] = account
    protected = {pk: need[pk] for pk in net if need[pk] > 0 and not accounts[pk].may_go_negative}
    cached = {pk: amount for pk, amount in net.items() if not accounts[pk].derived and amount}
    checked = [pk for pk in protected if accounts[pk].derived]

    def update():
        if cached:
            Account.objects.filter(pk__in=list(cached)).update(
                balance=Round(
                    F("balance")
                    + Case(
                        *(When(pk=pk, then=Value(amount)) for pk, amount in cached.items()),
                        output_field=MoneyField(),
                    ),
                    2,
                )
            )

    ids = sorted(set(cached) | set(protected))
    if not protected and len(cached) <= 1:
        return None, update  # nothing to check, and one row cannot be locked out of order
    locked = {
        a.pk: a for a in Account.objects.filter(pk__in=ids).order_by("pk").select_for_update()
    }
    if len(locked) != len(ids) or any(locked[pk].derived != accounts[pk].derived for pk in ids):
        return Refused(_("记账账户不存在。"), "no_account"), update
    insufficient = Refused(_("账户余额不足。"), "insufficient")
    sums = derived_sums(checked) if checked else {}  # read after the lock: earlier debits committed
    for pk, covered in protected.items():
        balance = sums[pk] if pk in sums else locked[pk].balance
        if not locked[pk].may_go_negative and balance < covered:
            return insufficient, update
    return None, update


def derived_sums(ids) -> dict[int, Decimal]:
    """``{account id: sum of its lines}`` for these accounts (zero when none), exact on both databases:
    SQLite sums binary floats, so each line is summed as whole fen."""
    found = {pk: Decimal("0.00") for pk in ids}
    fen = Round(ExpressionWrapper(F("amount") * 100, output_field=MoneyField()))
    rows = (
        Line.objects.filter(account_id__in=list(ids))
        .values("account_id")
        .annotate(fen=Sum(fen, output_field=IntegerField()))
    )
    for row in rows:
        found[row["account_id"]] = (Decimal(int(row["fen"])) / 100).quantize(Decimal("0.01"))
    return found


def _insert_entry(actor, event, target, memo, scope, idempotency_key) -> Entry | None:
    """Insert the entry; None when ``(scope, idempotency_key)`` was already posted (a racing request with
    the same key waits on the unique index for the first to commit or roll back)."""
    target_type, target_id = label_of(target)
    entry = Entry(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        event=event,
        target_type=target_type,
        target_id=target_id,
        memo=memo[:300],
        scope=scope,
        idempotency_key=idempotency_key,
        posted_at=timezone.now(),
    )
    if not idempotency_key:
        entry.save(force_insert=True)
        return entry
    return entry if insert_new([entry]) else None


def transfer(source: Account, destination: Account, amount: Decimal | int | str, **cause) -> Entry:
    """Move a positive ``amount`` from ``source`` to ``destination``; ``cause`` as for :func:`post`."""
    amount = _amount(amount)
    if amount <= 0:
        raise Refused(_("金额必须大于零。"), "not_positive")
    return post([(source, -amount), (destination, amount)], **cause)


@dataclass
class Posting:
    """One entry for :func:`post_many`: its lines and cause, as the arguments of :func:`post`."""

    lines: Sequence[tuple[Account, Decimal | int | str]]
    event: str
    target: models.Model
    memo: str = ""
    idempotency_key: str = ""


def post_many(
    postings: Sequence[Posting], *, actor, scope: str = "", new_keys: bool = False
) -> list[Entry | Refused]:
    """Post several entries at once, in the caller's transaction: what :func:`post` does for each, in a
    fixed number of statements however many there are.

    Every account that any of them must check (a protected debit) or whose cached balance more than one
    of them changes is locked once, in primary-key order, so that two batches sharing accounts queue
    instead of deadlocking. The postings are then checked in order, each against the balances the ones
    before it leave; a refused posting writes nothing and does not stop the others. Those that pass are
    written by one ``INSERT`` of entries, one of lines and one ``UPDATE`` of the cached balances.

    Returns, for each posting in order, its :class:`Entry` or the :class:`Refused` that stopped it. A
    posting whose ``(scope, idempotency_key)`` was posted before returns that first entry and moves
    nothing. ``new_keys`` says the caller holds the lock of whatever the keys name (so none can exist
    yet): the look-up of earlier keys is skipped, and an existing key is an error.
    """
    results: list[Entry | Refused | None] = [None] * len(postings)
    priced: dict[int, list[tuple[Account, Decimal]]] = {}
    for n, posting in enumerate(postings):
        try:
            lines = [(account, _amount(amount)) for account, amount in posting.lines]
        except Refused as refused:
            results[n] = refused
            continue
        if len(lines) < 2:
            results[n] = Refused(_("一笔记账至少需要两行分录。"), "too_few_lines")
        elif any(amount == 0 for _account, amount in lines):
            results[n] = Refused(_("分录金额不能为零。"), "zero_amount")
        elif sum((amount for _account, amount in lines), Decimal(0)) != 0:
            results[n] = Refused(_("借贷不平衡：各行金额之和必须为零。"), "unbalanced")
        else:
            priced[n] = lines
    with transaction.atomic(savepoint=False):
        _post_priced(postings, priced, results, actor, scope, new_keys)
    return results  # type: ignore[return-value]


def _post_priced(postings, priced, results, actor, scope, new_keys) -> None:
    touched: dict[int, int] = {}  # cached account id → how many postings change it
    debited: set[int] = set()
    for lines in priced.values():
        for account, amount in lines:
            if amount < 0 and not account.may_go_negative:
                debited.add(account.pk)
        for pk in {a.pk for a, _amount in lines if not a.derived}:
            touched[pk] = touched.get(pk, 0) + 1
    lock = sorted(debited | {pk for pk, count in touched.items() if count > 1 or len(touched) > 1})
    balances: dict[int, Decimal] = {}
    if lock:
        locked = {
            a.pk: a for a in Account.objects.filter(pk__in=lock).order_by("pk").select_for_update()
        }
        missing = Refused(_("记账账户不存在。"), "no_account")
        for n, lines in list(priced.items()):
            if any(
                a.pk in lock and (a.pk not in locked or locked[a.pk].derived != a.derived)
                for a, _amount in lines
            ):
                results[n] = missing
                del priced[n]
        derived = [pk for pk in debited if pk in locked and locked[pk].derived]
        balances = {pk: a.balance for pk, a in locked.items() if not a.derived}
        balances.update(derived_sums(derived) if derived else {})
    first: dict[str, Entry] = {}
    keys = [postings[n].idempotency_key for n in priced if postings[n].idempotency_key]
    if keys and not new_keys:
        first = {
            e.idempotency_key: e
            for e in Entry.objects.filter(scope=scope, idempotency_key__in=keys)
        }
    insufficient = Refused(_("账户余额不足。"), "insufficient")
    passed = []
    for n, lines in priced.items():
        key = postings[n].idempotency_key
        if key and key in first:
            results[n] = first[key]
            continue
        after = dict(balances)
        ok = True
        for account, amount in lines:
            if account.pk in after:
                after[account.pk] += amount
                if account.pk in debited and after[account.pk] < 0:
                    ok = False
        if not ok:
            results[n] = insufficient
            continue
        balances = after
        passed.append(n)
    if not passed:
        return
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    entries = []
    for n in passed:
        target_type, target_id = label_of(postings[n].target)
        entries.append(
            Entry(
                actor_id=actor_id,
                event=postings[n].event,
                target_type=target_type,
                target_id=target_id,
                memo=postings[n].memo[:300],
                scope=scope,
                idempotency_key=postings[n].idempotency_key,
                posted_at=now,
            )
        )
    # A key posted meanwhile by a transaction that locked nothing here is refused by the unique index.
    Entry.objects.bulk_create(entries)
    net: dict[int, Decimal] = {}
    lines_out = []
    for n, entry in zip(passed, entries, strict=True):
        results[n] = entry
        for account, amount in priced[n]:
            lines_out.append(Line(entry=entry, account_id=account.pk, amount=amount))
            if not account.derived:
                net[account.pk] = net.get(account.pk, Decimal(0)) + amount
    net = {pk: amount for pk, amount in sorted(net.items()) if amount}
    if net:
        # one statement, written out: the ORM's Case of a When per account costs more than the query
        table, quote = Account._meta.db_table, connection.ops.quote_name
        cases = " ".join(["WHEN %s THEN CAST(%s AS NUMERIC)"] * len(net))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(table)} SET balance = ROUND(balance + CASE id {cases} END, 2) "
                f"WHERE id IN ({', '.join(['%s'] * len(net))})",
                [v for pk, amount in net.items() for v in (pk, str(amount))] + list(net),
            )
    Line.objects.bulk_create(lines_out)


def _first(scope: str, idempotency_key: str) -> Entry | None:
    return Entry.objects.filter(scope=scope, idempotency_key=idempotency_key).first()
