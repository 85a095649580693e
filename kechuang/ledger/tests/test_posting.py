"""Posting: balanced entries move cached balances; every refusal changes nothing; keys post once; posted
rows cannot be changed or deleted, through the model, its queryset or the admin."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from kechuang.core.actions import Refused
from kechuang.ledger import services as ledger
from kechuang.ledger.models import Account, AppendOnly, Entry, Line
from kechuang.ledger.queries import violations


@pytest.fixture
def owner(db):
    return get_user_model().objects.create(username=f"ledger-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def accounts(owner):
    source = ledger.open_account(owner, "test.source", may_go_negative=True)
    a = ledger.open_account(owner, "test.a")
    b = ledger.open_account(owner, "test.b")
    ledger.transfer(source, a, "100.00", actor=owner, event="test.fund", target=owner)
    return source, a, b


def state():
    """Everything a refused posting must leave untouched."""
    return (
        list(Account.objects.values_list("pk", "balance")),
        Entry.objects.count(),
        Line.objects.count(),
    )


def balances(*accounts):
    return [Account.objects.get(pk=a.pk).balance for a in accounts]


def test_a_transfer_posts_one_balanced_entry_with_its_cause(owner, accounts):
    source, a, b = accounts
    entry = ledger.transfer(
        a, b, Decimal("40.25"), actor=owner, event="test.move", target=owner, memo="备注"
    )
    assert balances(source, a, b) == [Decimal("-100.00"), Decimal("59.75"), Decimal("40.25")]
    assert list(entry.lines.values_list("account", "amount")) == [
        (a.pk, Decimal("-40.25")),
        (b.pk, Decimal("40.25")),
    ]
    assert (entry.actor, entry.event, entry.target_type, entry.target_id, entry.memo) == (
        owner,
        "test.move",
        "accounts.user",
        str(owner.pk),
        "备注",
    )
    assert violations() == []


def test_open_account_returns_the_same_account(owner):
    assert ledger.open_account(owner, "test.x") == ledger.open_account(owner, "test.x")
    assert Account.objects.of(owner).count() == 1


@pytest.mark.parametrize(
    ("lines", "code", "message"),
    [
        ([("a", "-100.01"), ("b", "100.01")], "insufficient", "账户余额不足。"),
        ([("a", "-10"), ("b", "9.99")], "unbalanced", "借贷不平衡：各行金额之和必须为零。"),
        ([("a", "-10")], "too_few_lines", "一笔记账至少需要两行分录。"),
        ([("a", "0"), ("b", "0")], "zero_amount", "分录金额不能为零。"),
        ([("a", "-0.005"), ("b", "0.005")], "sub_fen", "金额最多精确到分。"),
    ],
)
def test_a_refused_posting_changes_nothing(owner, accounts, lines, code, message):
    _source, a, b = accounts
    named = {"a": a, "b": b}
    before = state()
    with pytest.raises(Refused) as refused:
        ledger.post(
            [(named[n], Decimal(x)) for n, x in lines],
            actor=owner,
            event="test.move",
            target=owner,
            scope="test",
            idempotency_key="k1",
        )
    assert (refused.value.code, refused.value.message) == (code, message)
    assert state() == before
    # The refused key was not used up: the same key can post a valid entry afterwards.
    ledger.transfer(
        a, b, "1", actor=owner, event="test.move", target=owner, scope="test", idempotency_key="k1"
    )
    assert balances(a, b) == [Decimal("99.00"), Decimal("1.00")]


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_a_transfer_of_no_or_negative_money_is_refused(owner, accounts, amount):
    _source, a, b = accounts
    before = state()
    with pytest.raises(Refused) as refused:
        ledger.transfer(a, b, amount, actor=owner, event="test.move", target=owner)
    assert (refused.value.code, refused.value.message) == ("not_positive", "金额必须大于零。")
    assert state() == before


def test_money_is_never_a_float(owner, accounts):
    _source, a, b = accounts
    before = state()
    with pytest.raises(TypeError):
        ledger.transfer(a, b, 1.5, actor=owner, event="test.move", target=owner)
    assert state() == before


def test_a_repeated_key_returns_the_first_entry_and_moves_nothing(owner, accounts):
    _source, a, b = accounts
    first = ledger.transfer(
        a, b, "30", actor=owner, event="test.move", target=owner, scope="s", idempotency_key="pay-1"
    )
    again = ledger.transfer(
        a, b, "30", actor=owner, event="test.move", target=owner, scope="s", idempotency_key="pay-1"
    )
    assert again.pk == first.pk
    assert balances(a, b) == [Decimal("70.00"), Decimal("30.00")]
    # Another scope is another request.
    ledger.transfer(
        a, b, "30", actor=owner, event="test.move", target=owner, scope="t", idempotency_key="pay-1"
    )
    assert balances(a, b) == [Decimal("40.00"), Decimal("60.00")]
    assert Entry.objects.filter(idempotency_key="pay-1").count() == 2


def test_the_database_refuses_a_protected_negative_balance_even_without_the_service(accounts):
    source, a, _b = accounts
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=a.pk).update(balance=Decimal("-0.01"))
    Account.objects.filter(pk=source.pk).update(
        balance=Decimal("-100.01")
    )  # a source may go negative


def test_posted_rows_cannot_be_changed_or_deleted(owner, accounts):
    _source, a, b = accounts
    entry = ledger.transfer(a, b, "5", actor=owner, event="test.move", target=owner)
    line = entry.lines.first()
    for attempt in (
        entry.save,
        entry.delete,
        line.save,
        line.delete,
        lambda: Entry.objects.filter(pk=entry.pk).update(memo="改"),
        lambda: Entry.objects.filter(pk=entry.pk).delete(),
        lambda: Line.objects.filter(pk=line.pk).update(amount=Decimal(1)),
        lambda: Line.objects.all().delete(),
    ):
        with pytest.raises(AppendOnly):
            attempt()
    entry.refresh_from_db()
    assert entry.memo == ""
    assert list(entry.lines.values_list("amount", flat=True)) == [Decimal("-5.00"), Decimal("5.00")]


def test_the_admin_shows_the_ledger_read_only(client, owner, accounts):
    _source, a, b = accounts
    entry = ledger.transfer(a, b, "5", actor=owner, event="test.move", target=owner)
    admin = get_user_model().objects.create_superuser("ledger-admin", password="x-secret-1")
    client.force_login(admin)
    assert client.get("/admin/ledger/entry/").status_code == 200
    page = client.get(f"/admin/ledger/entry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.get("/admin/ledger/entry/add/").status_code == 403
    assert (
        client.post(f"/admin/ledger/entry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert (
        client.post(f"/admin/ledger/account/{a.pk}/change/", {"balance": "999"}).status_code == 403
    )
    assert Entry.objects.filter(pk=entry.pk).exists()
    assert balances(a) == [Decimal("95.00")]


def test_post_many_checks_each_posting_against_the_ones_before_it(owner, accounts):
    """Several entries at once: each is checked against the balances the earlier ones leave; a refused
    one writes nothing and the others are posted; a key posted before returns its first entry."""
    _source, a, b = accounts
    first = ledger.transfer(
        a, b, "10.00", actor=owner, event="test.move", target=owner, idempotency_key="k0"
    )
    before = Entry.objects.count()
    results = ledger.post_many(
        [
            ledger.Posting([(a, "-60.00"), (b, "60.00")], "test.move", owner, idempotency_key="k1"),
            ledger.Posting([(a, "-40.00"), (b, "40.00")], "test.move", owner, idempotency_key="k2"),
            ledger.Posting([(a, "-30.00"), (b, "30.00")], "test.move", owner, idempotency_key="k3"),
            ledger.Posting([(a, "-1.00"), (b, "2.00")], "test.move", owner),
            ledger.Posting([(a, "-5.00"), (b, "5.00")], "test.move", owner, idempotency_key="k0"),
        ],
        actor=owner,
    )
    assert [r.code if isinstance(r, Refused) else "entry" for r in results] == [
        "entry",
        "insufficient",  # 90 − 60 leaves 30 < 40
        "entry",  # … but 30 is enough for the next one
        "unbalanced",
        "entry",
    ]
    assert results[4].pk == first.pk
    assert Entry.objects.count() == before + 2
    assert balances(a, b) == [Decimal("0.00"), Decimal("100.00")]
    assert list(results[2].lines.values_list("account", "amount")) == [
        (a.pk, Decimal("-30.00")),
        (b.pk, Decimal("30.00")),
    ]
    assert violations() == []
