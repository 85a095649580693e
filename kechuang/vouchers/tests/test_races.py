"""32 real PostgreSQL connections racing on one voucher: never overspent, a key raced by all holds once,
a hold settled or released by all moves once, a redemption decided by all is approved once, and the
invariants hold afterwards."""

import threading
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection

from kechuang.core.actions import Refused
from kechuang.ledger.queries import balance_of, violations
from kechuang.vouchers import accounts, clearing, payments, redemptions, services
from kechuang.vouchers.factories import member, operator_of
from kechuang.vouchers.models import ClearingRun, Redemption, VoucherHold
from kechuang.vouchers.queries import voucher_violations
from kechuang.vouchers.tests.conftest import NOW, make_world

pytestmark = [pytest.mark.postgres_race, pytest.mark.django_db(transaction=True)]

CLIENTS = 32
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("racing connections needs PostgreSQL")


def race(target, count=CLIENTS):
    barrier = threading.Barrier(count)
    outcomes: list = []

    def run(n):
        try:
            barrier.wait()
            outcomes.append(target(n))
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


def attempt(call):
    try:
        return call()
    except Refused as refused:
        return refused.code


def hold_on(world, voucher, fee, key):
    return payments.hold_payment(
        world.owner,
        voucher=voucher,
        provider=world.provider,
        item_kind="service",
        category="testing",
        fee=Decimal(fee),
        reference=key,
        idempotency_key=key,
        now=NOW,
    )


def test_many_clients_holding_on_one_voucher_never_overspend_it():
    world = make_world()
    voucher = world.vouchers[0]  # 10,000 yuan; each hold takes 50 % of 700 = 350
    outcomes = race(lambda n: attempt(lambda: hold_on(world, voucher, "700", f"race-{n}")))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    made = [o for o in outcomes if isinstance(o, VoucherHold)]
    # 28 × 350 = 9,800; the 29th takes the remaining 200; the other three find nothing left
    assert sorted(h.amount for h in made)[0] == Decimal("200.00") and len(made) == 29, outcomes
    assert sorted(o for o in outcomes if isinstance(o, str)) == ["no_balance"] * 3
    held = accounts.account(voucher, accounts.HELD).balance
    voucher.refresh_from_db()
    assert (
        held == sum(h.amount for h in made) and voucher.account.balance == Decimal("10000") - held
    )
    assert voucher.account.balance >= 0
    refused = race(lambda n: attempt(lambda: hold_on(world, voucher, "700", f"more-{n}")))
    if voucher.account.balance == 0:
        assert set(refused) == {"no_balance"}
    assert violations() == [] and voucher_violations() == []


def test_a_key_raced_by_every_client_holds_once():
    world = make_world()
    voucher = world.vouchers[0]
    outcomes = race(lambda n: attempt(lambda: hold_on(world, voucher, "1000", "one-key")))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert len({o.pk for o in outcomes}) == 1
    assert accounts.account(voucher, accounts.HELD).balance == Decimal("500.00")
    assert violations() == [] and voucher_violations() == []


def test_settle_and_release_raced_move_once():
    world = make_world()
    voucher = world.vouchers[0]
    hold = hold_on(world, voucher, "2000", "to-close")

    def close(n):
        if n % 2:
            return attempt(lambda: payments.release_payment(world.owner, hold=hold, now=NOW))
        return attempt(
            lambda: payments.settle_payment(
                world.owner, hold=hold, actual_fee=Decimal("1000"), now=NOW
            )
        )

    outcomes = race(close)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert len([o for o in outcomes if isinstance(o, VoucherHold)]) == 1
    assert outcomes.count("hold_closed") == CLIENTS - 1
    assert violations() == [] and voucher_violations() == []


def test_a_redemption_decided_by_every_client_is_approved_once():
    world = make_world()
    item_hold = hold_on(world, world.vouchers[0], "3000", "to-redeem")
    payments.settle_payment(world.owner, hold=item_hold, actual_fee=Decimal("3000"), now=NOW)
    files = {
        k: SimpleUploadedFile(f"{k}.pdf", PDF, content_type="application/pdf")
        for k in redemptions.REQUIRED_EVIDENCE
    }
    redemption = redemptions.submit_redemption(
        member(world.provider), item_hold, files=files, now=NOW
    )
    operator = operator_of(world.jiading)
    outcomes = race(
        lambda n: attempt(
            lambda: redemptions.decide_redemption(operator, redemption, approve=True, now=NOW)
        )
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert len([o for o in outcomes if isinstance(o, Redemption)]) == 1
    assert balance_of(accounts.account(world.provider, accounts.PAYABLE)) == Decimal("1500.00")
    assert violations() == [] and voucher_violations() == []


def test_decisions_racing_on_one_budget_never_exceed_it():
    world = make_world()
    programme = world.programme
    # budget left 980,000; 32 enterprises asking 50,000 each = 1,600,000: some must be refused
    from kechuang.directory.factories import OrganizationFactory

    firms = [OrganizationFactory(region=world.jiading) for _ in range(CLIENTS)]
    applications = [
        services.apply_for_vouchers(
            member(f),
            programme,
            organization=f,
            plan="检测",
            estimated_fee=Decimal("100000"),
            requested=Decimal("50000"),
            now=NOW,
        )
        for f in firms
    ]
    operator = operator_of(world.jiading)
    outcomes = race(
        lambda n: attempt(
            lambda: services.decide_application(
                operator, applications[n], granted=Decimal("50000"), now=NOW
            )
        )
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert outcomes.count("budget_exhausted") == CLIENTS - 19  # 19 × 50,000 = 950,000 ≤ 980,000
    assert accounts.account(programme, accounts.UNISSUED).balance == Decimal("30000.00")
    assert violations() == [] and voucher_violations() == []


def _submitted(world, n: int, provider=None) -> list[Redemption]:
    """``n`` submitted redemptions of 800-yuan uses of the world's vouchers (400 yuan each)."""
    provider = provider or world.provider
    made = []
    for k in range(n):
        hold = payments.hold_payment(
            world.owner,
            voucher=world.vouchers[k % len(world.vouchers)],
            provider=provider,
            item_kind="service",
            category="testing",
            fee=Decimal("800"),
            reference=f"use-{k}",
            idempotency_key=f"use-{provider.pk}-{k}",
            now=NOW,
        )
        payments.settle_payment(world.owner, hold=hold, actual_fee=Decimal("800"), now=NOW)
        files = {
            kind: SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")
            for kind in redemptions.REQUIRED_EVIDENCE
        }
        made.append(redemptions.submit_redemption(member(provider), hold, files=files, now=NOW))
    return made


def _waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return bool(row) and row[0] == "Lock"


def test_an_approval_racing_the_batch_payment_is_paid_with_it_or_goes_to_the_next_batch(
    monkeypatch,
):
    """The interleaving that lost money: an approval has read this month's batch as open when the
    payment of that batch starts. The payment must wait for the approval and pay it too (or, had it
    committed first, the approval must go to the next month's batch) — never leave an approved
    redemption in a paid batch, with its amount stuck in the provider's payable account."""
    world = make_world()
    first, racing = _submitted(world, 2)
    operator = operator_of(world.jiading)
    redemptions.decide_redemption(operator, first, approve=True, now=NOW)
    batch = Redemption.objects.get(pk=first.pk).batch
    has_batch, go_on, paid = threading.Event(), threading.Event(), threading.Event()
    payer_pid: list[int] = []
    real = accounts.accounts_of

    def slow_accounts_of(wanted):  # the approval, after it has chosen its batch, before it commits
        if threading.current_thread().name == "approval":
            has_batch.set()
            assert go_on.wait(60)
        return real(wanted)

    monkeypatch.setattr(accounts, "accounts_of", slow_accounts_of)
    outcomes: dict[str, object] = {}

    def approve():
        try:
            outcomes["approval"] = redemptions.decide_redemption(
                operator, racing, approve=True, now=NOW
            )
        except Exception as error:
            outcomes["approval"] = error
        finally:
            connection.close()

    def pay():
        try:
            assert has_batch.wait(60)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                payer_pid.append(cursor.fetchone()[0])
            outcomes["payment"] = redemptions.mark_batch_paid(
                operator, batch, reference="PAY-1", now=NOW
            )
        except Exception as error:
            outcomes["payment"] = error
        finally:
            paid.set()
            connection.close()

    threads = [
        threading.Thread(target=approve, name="approval"),
        threading.Thread(target=pay, name="payment"),
    ]
    for thread in threads:
        thread.start()
    # let the approval go on once the payment has finished or waits for a lock the approval holds
    while not paid.wait(0.05):
        if payer_pid and _waiting_on_a_lock(payer_pid[0]):
            break
    go_on.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    assert not [o for o in outcomes.values() if isinstance(o, Exception)], outcomes
    racing.refresh_from_db()
    if racing.batch_id == batch.pk:  # the payment waited for the approval and paid it
        assert racing.status == Redemption.Status.PAID
    else:
        assert racing.status == Redemption.Status.APPROVED
        assert racing.batch.status == "open" and racing.batch.month > batch.month
    assert balance_of(accounts.account(world.provider, accounts.SETTLED)) + balance_of(
        accounts.account(world.provider, accounts.PAYABLE)
    ) == Decimal("800.00")
    assert violations() == [] and voucher_violations() == []


def test_batch_approvals_and_payments_racing_leave_every_redemption_accounted_for():
    """32 clients: 24 approve batches of four (overlapping: every redemption is in two batches), eight
    mark the batch paid; every redemption is approved once, and none is left in a paid batch."""
    world = make_world()
    rows = _submitted(world, 24) + _submitted(world, 24, provider=world.suzhou_provider)
    operator = operator_of(world.jiading)
    redemptions.decide_redemption(operator, rows[0], approve=True, override="已核查", now=NOW)
    batches = list(
        {r.batch for r in Redemption.objects.filter(pk=rows[0].pk).select_related("batch")}
    )
    loaded = {
        r.pk: r
        for r in Redemption.objects.select_related(
            "hold__voucher", "provider", "issuing_region", "provider_region"
        )
    }
    pks = sorted(loaded)

    def client(n):
        if n >= 24:
            return attempt(
                lambda: redemptions.mark_batch_paid(
                    operator, batches[0], reference=f"PAY-{n}", now=NOW
                )
            )
        chosen = [loaded[pks[(2 * n + k) % len(pks)]] for k in range(4)]
        done = redemptions.approve_redemptions(
            operator, chosen[::-1], overrides={r.pk: "已核查往来" for r in chosen}, now=NOW
        )
        return sorted(r.pk for r in done.approved), sorted(r.code for r in done.refused.values())

    outcomes = race(client)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    approved = [pk for o in outcomes if isinstance(o, tuple) for pk in o[0]]
    assert sorted(approved) == pks[1:], outcomes  # each once (the first was approved before)
    payments_made = [o for o in outcomes if not isinstance(o, tuple | str)]
    assert len(payments_made) == 1 and outcomes.count("paid") == 7
    statuses = set(Redemption.objects.values_list("status", flat=True))
    assert statuses <= {Redemption.Status.APPROVED, Redemption.Status.PAID}
    assert violations() == [] and voucher_violations() == []


def test_approvals_payments_and_closings_racing_leave_every_cross_region_debt_cleared_once():
    """32 clients on one federation's money at once: 12 approve cross-region redemptions (overlapping
    pairs), 8 pay the paying region's batch, 8 close the open clearing run and 4 open overlapping next
    periods. Nobody deadlocks or fails; the run is closed once and its statements are exactly its
    redemptions; what it did not take is still owed between the regions, to be cleared next period;
    one next period opens."""
    world = make_world()
    rows = _submitted(world, 24, provider=world.suzhou_provider)
    operator = operator_of(world.jiading)
    for row in rows[:8]:
        redemptions.decide_redemption(operator, row, approve=True, override="已核查", now=NOW)
    batch = Redemption.objects.get(pk=rows[0].pk).batch  # the paying region's (苏州市)
    payer = operator_of(world.suzhou)
    run = clearing.open_run(
        operator,
        world.federation,
        period_start=date(2018, 12, 1),
        period_end=date(2018, 12, 31),
        now=NOW,
    )
    waiting = {
        r.pk: r
        for r in Redemption.objects.filter(pk__in=[r.pk for r in rows[8:]]).select_related(
            "hold__voucher", "provider", "issuing_region", "provider_region"
        )
    }
    pks = sorted(waiting)

    def client(n):
        if n < 12:
            chosen = [waiting[pks[(n + k) % len(pks)]] for k in range(2)]
            done = redemptions.approve_redemptions(
                operator, chosen, overrides={r.pk: "已核查往来" for r in chosen}, now=NOW
            )
            return "approval", sorted(r.pk for r in done.approved)
        if n < 20:
            return "payment", attempt(
                lambda: redemptions.mark_batch_paid(payer, batch, reference=f"PAY-{n}", now=NOW)
            )
        if n < 28:
            return "closing", attempt(lambda: clearing.close_run(operator, run, now=NOW))
        return "opening", attempt(
            lambda: clearing.open_run(
                operator,
                world.federation,
                period_start=date(2019, 1, 1 + n % 4),
                period_end=date(2019, 1, 31),
                now=NOW,
            )
        )

    outcomes = race(client)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    by_kind = defaultdict(list)
    for kind, outcome in outcomes:
        by_kind[kind].append(outcome)
    approved = sorted(pk for done in by_kind["approval"] for pk in done)
    assert approved == pks[:13]  # clients 0–11 take pairs (n, n + 1): each row approved once
    assert sorted(o for o in by_kind["payment"] if isinstance(o, str)) == ["paid"] * 7
    assert sorted(o for o in by_kind["closing"] if isinstance(o, str)) == ["closed"] * 7
    assert sorted(o for o in by_kind["opening"] if isinstance(o, str)) == ["overlap"] * 3
    assert ClearingRun.objects.filter(period_start__gte=date(2019, 1, 1)).count() == 1
    run.refresh_from_db()
    assert run.status == ClearingRun.Status.CLOSED
    cleared = Redemption.objects.filter(clearing_run=run)
    cleared_sum = sum(r.amount for r in cleared)
    assert cleared.count() >= 8  # those approved before the race, and any approval that beat it
    assert run.bilateral == [{"debtor": "310114", "creditor": "320500", "amount": str(cleared_sum)}]
    left = Redemption.objects.filter(
        status__in=[Redemption.Status.APPROVED, Redemption.Status.PAID], clearing_run__isnull=True
    )
    assert cleared.count() + left.count() == 8 + len(approved)
    owed = sum((r.amount for r in left), Decimal("0.00"))
    assert balance_of(accounts.owes(world.jiading, world.suzhou)) == -owed
    assert balance_of(accounts.due(world.suzhou, world.jiading)) == owed
    assert violations() == [] and voucher_violations() == []
