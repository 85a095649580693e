"""Posting to the ledger: the only code that changes an account's balance.

:func:`post` writes one balanced entry in one transaction (a savepoint inside the caller's): it locks the
entry's accounts in primary-key order (``SELECT … FOR UPDATE`` on PostgreSQL, so concurrent postings on
shared accounts queue instead of deadlocking; SQLite's IMMEDIATE transactions already serialise writers),
then moves each balance by a conditional ``UPDATE … SET balance = ROUND(balance + x, 2) WHERE …`` whose
row count it checks, so a protected account never goes below zero on either database even without the
lock. (SQLite keeps decimals as binary floats; rounding each sum to the fen keeps the stored balance the
float nearest the exact amount, so ``balance >= x`` compares like the decimals it stands for.) A refused
posting raises :class:`~kechuang.core.actions.Refused` and changes nothing.

An idempotency key names one request within a scope: posting it again returns the first entry and moves
nothing, also when two requests with the same key race (the unique constraint makes the second wait for
the first and then read its entry).
"""

from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext as _

from kechuang.core.actions import Refused
from kechuang.core.money import to_yuan
from kechuang.ledger.models import Account, Entry, Line, label_of


def open_account(owner: models.Model, purpose: str, *, may_go_negative: bool = False) -> Account:
    """The ``purpose`` account of ``owner``, opened with a zero balance the first time it is asked for."""
    owner_type, owner_id = label_of(owner)
    account, _created = Account.objects.get_or_create(
        owner_type=owner_type,
        owner_id=owner_id,
        purpose=purpose,
        defaults={"may_go_negative": may_go_negative},
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
    if idempotency_key and (first := _first(scope, idempotency_key)):
        return first
    target_type, target_id = label_of(target)
    try:
        with transaction.atomic():
            # The entry first: a second request with the same key waits here, on the unique index.
            entry = Entry.objects.create(
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                event=event,
                target_type=target_type,
                target_id=target_id,
                memo=memo[:300],
                scope=scope,
                idempotency_key=idempotency_key,
            )
            ids = sorted({account.pk for account, _amount in priced})
            locked = list(Account.objects.filter(pk__in=ids).order_by("pk").select_for_update())
            if len(locked) != len(ids):
                raise Refused(_("记账账户不存在。"), "no_account")
            for account, amount in priced:
                moved = (
                    Account.objects.filter(pk=account.pk)
                    .filter(Q(may_go_negative=True) | Q(balance__gte=-amount))
                    .update(balance=Round(F("balance") + amount, 2))
                )
                if moved != 1:
                    raise Refused(_("账户余额不足。"), "insufficient")
            Line.objects.bulk_create(
                Line(entry=entry, account_id=account.pk, amount=amount)
                for account, amount in priced
            )
    except IntegrityError:
        if idempotency_key and (first := _first(scope, idempotency_key)):
            return first
        raise
    return entry


def transfer(source: Account, destination: Account, amount: Decimal | int | str, **cause) -> Entry:
    """Move a positive ``amount`` from ``source`` to ``destination``; ``cause`` as for :func:`post`."""
    amount = _amount(amount)
    if amount <= 0:
        raise Refused(_("金额必须大于零。"), "not_positive")
    return post([(source, -amount), (destination, amount)], **cause)


def _first(scope: str, idempotency_key: str) -> Entry | None:
    return Entry.objects.filter(scope=scope, idempotency_key=idempotency_key).first()
