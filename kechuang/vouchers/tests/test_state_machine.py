"""The voucher invariants over random sequences of applications, holds, settlements, releases, redemptions,
cancellations and expiry, batch approvals (批量审核) and batch payments — refused calls and repeated keys
included:

- no protected balance below zero, every entry balanced, the trial balance zero (ledger);
- budget = issued + unissued; for each voucher, face = unspent + held + spent + redeemed + returned;
- no hold redeemed twice; no enterprise above its cap (voucher_violations);
- the clearing positions of whatever was approved sum to zero;
- after any refused call nothing changed.

Runs on the database the suite runs on (SQLite, or PostgreSQL when ``DATABASE_URL`` points at it).
"""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kechuang.core.actions import Refused
from kechuang.ledger.models import Account, Entry
from kechuang.ledger.queries import violations
from kechuang.vouchers import clearing, payments, redemptions, services
from kechuang.vouchers.factories import member, operator_of
from kechuang.vouchers.models import (
    Redemption,
    SettlementBatch,
    Voucher,
    VoucherApplication,
    VoucherHold,
)
from kechuang.vouchers.queries import voucher_violations
from kechuang.vouchers.tests.conftest import NOW, make_world

COUNTER = itertools.count()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
fees = st.integers(min_value=-100, max_value=3_000_000).map(lambda n: Decimal(n) / 100)


def snapshot():
    return (
        list(Account.objects.order_by("pk").values_list("pk", "balance")),
        Entry.objects.count(),
        list(VoucherHold.objects.order_by("pk").values_list("pk", "status", "settled_amount")),
        list(Voucher.objects.order_by("pk").values_list("pk", "status", "returned")),
        list(Redemption.objects.order_by("pk").values_list("pk", "status", "batch_id")),
        list(VoucherApplication.objects.order_by("pk").values_list("pk", "status", "granted")),
    )


class Vouchers(RuleBasedStateMachine):
    @initialize()
    def world(self):
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.w = make_world()
        self.now = NOW
        self.keys: dict[str, int] = {}
        self.n = next(COUNTER)

    def refused(self, attempt) -> Refused:
        before = snapshot()
        with pytest.raises(Refused) as refusal:
            attempt()
        assert snapshot() == before, "a refused call changed something"
        return refusal.value

    def vouchers(self):
        return list(Voucher.objects.filter(holder=self.w.enterprise).order_by("pk"))

    @rule(amount=st.sampled_from([0, 1000, 5000, 10000, 20000, 40000, 1500]), ask=st.integers(1, 5))
    def apply_and_decide(self, amount, ask):
        requested = Decimal(amount or 1000) * ask
        left = self.w.programme.annual_cap - services.granted_total(
            self.w.programme, self.w.enterprise
        )
        call = lambda: services.apply_for_vouchers(  # noqa: E731
            self.w.owner,
            self.w.programme,
            organization=self.w.enterprise,
            plan="检测",
            estimated_fee=requested * 2,
            requested=requested,
            now=self.now,
        )
        if self.now.date() > self.w.programme.applications_close:
            assert self.refused(call).code == "not_eligible"
            return
        if requested > left:
            assert self.refused(call).code == "cap_reached"
            return
        application = call()
        granted = min(Decimal(amount), requested)
        decide = lambda: services.decide_application(  # noqa: E731
            operator_of(self.w.jiading), application, granted=granted, reason="按预算", now=self.now
        )
        if granted % 1000:
            assert self.refused(decide).code == "not_faces"
            services.decide_application(
                operator_of(self.w.jiading),
                application,
                granted=0,
                reason="不符合面额",
                now=self.now,
            )
        else:
            decide()

    @rule(v=st.integers(0, 5), fee=fees, partner=st.booleans(), repeat=st.booleans())
    def hold(self, v, fee, partner, repeat):
        vouchers = self.vouchers()
        if not vouchers:
            return
        voucher = vouchers[v % len(vouchers)]
        provider = self.w.suzhou_provider if partner else self.w.provider
        key = f"{self.n}-{len(self.keys)}"
        if repeat and self.keys:
            key = sorted(self.keys)[v % len(self.keys)]
            before = snapshot()
            again = payments.hold_payment(
                self.w.owner,
                voucher=voucher,
                provider=provider,
                item_kind="service",
                category="testing",
                fee=Decimal("1"),
                reference="r",
                idempotency_key=key,
                now=self.now,
            )
            assert again.pk == self.keys[key] and snapshot() == before
            return
        call = lambda: payments.hold_payment(  # noqa: E731
            self.w.owner,
            voucher=voucher,
            provider=provider,
            item_kind="service",
            category="testing",
            fee=fee,
            reference=f"order:{key}",
            idempotency_key=key,
            now=self.now,
        )
        voucher.refresh_from_db()
        balance = voucher.account.balance
        usable = voucher.status == "active" and voucher.expires_at > self.now
        share = (
            (fee * Decimal("0.5")).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
            if fee > 0
            else 0
        )
        if fee <= 0 or not usable or min(share, balance) <= 0:
            self.refused(call)
            return
        made = call()
        assert made.amount == min(share, balance)
        self.keys[key] = made.pk

    def holds(self, status):
        return list(VoucherHold.objects.filter(status=status).order_by("pk"))

    @rule(h=st.integers(0, 9), fee=fees)
    def settle(self, h, fee):
        open_holds = self.holds(VoucherHold.Status.HELD)
        if not open_holds:
            return
        hold = open_holds[h % len(open_holds)]

        def call():
            return payments.settle_payment(self.w.owner, hold=hold, actual_fee=fee, now=self.now)

        if fee <= 0:
            self.refused(call)
            return
        settled = call()
        assert settled.settled_amount <= hold.amount
        self.refused(call)  # never twice

    @rule(h=st.integers(0, 9))
    def release(self, h):
        open_holds = self.holds(VoucherHold.Status.HELD)
        if not open_holds:
            return
        hold = open_holds[h % len(open_holds)]
        payments.release_payment(self.w.owner, hold=hold, now=self.now)
        self.refused(lambda: payments.release_payment(self.w.owner, hold=hold, now=self.now))

    @rule(h=st.integers(0, 9), approve=st.booleans())
    def redeem(self, h, approve):
        settled = [x for x in self.holds(VoucherHold.Status.SETTLED) if x.settled_amount]
        if not settled:
            return
        hold = settled[h % len(settled)]
        provider_user = member(hold.provider)
        files = lambda: {  # noqa: E731
            k: SimpleUploadedFile(f"{k}.pdf", PDF) for k in redemptions.REQUIRED_EVIDENCE
        }
        if Redemption.objects.filter(hold=hold).exists():
            assert (
                self.refused(
                    lambda: redemptions.submit_redemption(
                        provider_user, hold, files=files(), now=self.now
                    )
                ).code
                == "duplicate"
            )
            return
        redemption = redemptions.submit_redemption(provider_user, hold, files=files(), now=self.now)
        redemptions.decide_redemption(
            operator_of(self.w.jiading),
            redemption,
            approve=approve,
            reason="" if approve else "材料不全",
            override="已核查" if redemption.flags else "",
            now=self.now,
        )

    @rule(count=st.integers(1, 4), overridden=st.booleans(), again=st.booleans())
    def approve_batch(self, count, overridden, again):
        """批量审核: submit up to ``count`` redemptions of settled uses and approve them at once, with or
        without overrides for the flagged ones, plus one already decided; each row is approved or refused
        on its own, and a refused row is left exactly as it was."""
        settled = [
            x
            for x in self.holds(VoucherHold.Status.SETTLED)
            if x.settled_amount and not Redemption.objects.filter(hold=x).exists()
        ][:count]
        chosen = [
            redemptions.submit_redemption(
                member(h.provider),
                h,
                files={
                    k: SimpleUploadedFile(f"{k}.pdf", PDF) for k in redemptions.REQUIRED_EVIDENCE
                },
                now=self.now,
            )
            for h in settled
        ]
        decided = list(Redemption.objects.exclude(status="submitted").order_by("pk")[:1])
        if again:
            chosen += decided
        if not chosen:
            return
        before = {
            r.pk: (r.status, r.batch_id, r.override)
            for r in Redemption.objects.filter(pk__in=[r.pk for r in chosen])
        }
        done = redemptions.approve_redemptions(
            operator_of(self.w.jiading),
            chosen,
            overrides={r.pk: "已核查" for r in chosen} if overridden else {},
            now=self.now,
        )
        assert {r.pk for r in done.approved} | set(done.refused) == set(before)
        after = {
            r.pk: (r.status, r.batch_id, r.override)
            for r in Redemption.objects.filter(pk__in=list(before)).select_related("batch")
        }
        for pk, refusal in done.refused.items():
            assert after[pk] == before[pk], refusal.code
            expected = "decided" if before[pk][0] != "submitted" else "flagged"
            assert refusal.code == expected
        for r in done.approved:
            assert after[r.pk][0] == "approved" and after[r.pk][1] is not None
            assert Entry.objects.filter(idempotency_key=f"redemption:{r.pk}:approved").count() == 1

    @rule()
    def pay_batches(self):
        """The paying regions mark their open batches paid: every approved redemption in them is paid."""
        for batch in SettlementBatch.objects.filter(status="open"):
            if not batch.redemptions.exists():
                continue
            approved = set(batch.redemptions.filter(status="approved").values_list("pk", flat=True))
            redemptions.mark_batch_paid(
                operator_of(batch.region), batch, reference=f"PAY-{batch.pk}", now=self.now
            )
            assert set(batch.redemptions.filter(status="paid").values_list("pk", flat=True)) == (
                approved
            )

    @rule(v=st.integers(0, 5))
    def cancel(self, v):
        vouchers = self.vouchers()
        if not vouchers:
            return
        voucher = vouchers[v % len(vouchers)]

        def call():
            return services.cancel_voucher(
                operator_of(self.w.jiading), voucher, reason="企业注销", now=self.now
            )

        if voucher.status != "active":
            self.refused(call)
        else:
            call()

    @rule(days=st.integers(1, 400))
    def time_passes(self, days):
        self.now += timedelta(days=days)
        services.expire_vouchers(self.now)

    @invariant()
    def invariants_hold(self):
        if not hasattr(self, "w"):
            return
        assert violations() == []
        assert voucher_violations() == []
        approved = Redemption.objects.filter(status__in=["approved", "paid"])
        positions = clearing.net_positions(
            clearing.bilateral(approved), ["310114", "320500", "330300"]
        )
        assert sum(positions.values()) == 0

    def teardown(self):
        if hasattr(self, "savepoint"):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)


@pytest.mark.django_db
def test_voucher_state_machine():
    machine = Vouchers
    machine.TestCase.settings = settings(
        max_examples=12,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    machine.TestCase().runTest()
