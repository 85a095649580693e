"""Orders → delivery → redemption with evidence → decision by the issuing region (flags need an override) →
monthly batch paid; cross-region debts; expiry and cancellation returning value to the budget."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kechuang.core.actions import Refused
from kechuang.directory.factories import ServiceItemFactory
from kechuang.ledger.models import Entry
from kechuang.ledger.queries import balance_of, violations
from kechuang.vouchers import accounts, redemptions, services
from kechuang.vouchers.factories import member, operator_of
from kechuang.vouchers.models import Redemption, ServiceOrder, Voucher
from kechuang.vouchers.queries import voucher_violations
from kechuang.vouchers.tests.conftest import NOW

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def evidence(**overrides):
    files = {
        kind: SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")
        for kind in redemptions.REQUIRED_EVIDENCE
    }
    files.update(overrides)
    return files


def delivered(world, provider, fee="6000", key="o1"):
    item = ServiceItemFactory(provider=provider, category="testing", price=fee)
    order = redemptions.place_order(
        world.owner,
        service_item=item,
        voucher=world.vouchers[0],
        fee=Decimal(fee),
        idempotency_key=key,
        now=NOW,
    )
    return redemptions.deliver_order(member(provider), order, now=NOW)


def test_order_holds_the_share_and_delivery_settles_it(world):
    order = delivered(world, world.provider)
    assert order.status == ServiceOrder.Status.DELIVERED
    assert order.hold.settled_amount == Decimal("3000.00")
    again = redemptions.place_order(
        world.owner,
        service_item=order.service_item,
        voucher=world.vouchers[0],
        fee=Decimal("6000"),
        idempotency_key="o1",
        now=NOW,
    )
    assert again.pk == order.pk


def test_redemption_in_region_approved_and_paid(world):
    order = delivered(world, world.provider)
    redemption = redemptions.submit_redemption(
        member(world.provider), order.hold, files=evidence(), now=NOW
    )
    assert redemption.flags == [] and redemption.amount == Decimal("3000.00")
    assert redemption.evidence.count() == 4
    with pytest.raises(Refused):
        redemptions.submit_redemption(member(world.provider), order.hold, files=evidence(), now=NOW)
    decided = redemptions.decide_redemption(
        operator_of(world.jiading), redemption, approve=True, now=NOW
    )
    assert decided.status == Redemption.Status.APPROVED and decided.batch.region == world.jiading
    payable = accounts.account(world.provider, accounts.PAYABLE)
    assert balance_of(payable) == Decimal("3000.00")
    redemptions.mark_batch_paid(
        operator_of(world.jiading), decided.batch, reference="JD-201812-001", now=NOW
    )
    payable.refresh_from_db()
    assert balance_of(payable) == 0
    assert balance_of(accounts.account(world.provider, accounts.SETTLED)) == Decimal("3000.00")
    decided.refresh_from_db()
    assert decided.status == Redemption.Status.PAID
    assert violations() == [] and voucher_violations() == []


def test_only_the_issuing_region_decides(world):
    order = delivered(world, world.suzhou_provider)
    redemption = redemptions.submit_redemption(
        member(world.suzhou_provider), order.hold, files=evidence(), now=NOW
    )
    assert redemption.provider_region == world.suzhou and redemption.is_cross_region
    with pytest.raises(Refused) as refused:
        redemptions.decide_redemption(operator_of(world.suzhou), redemption, approve=True, now=NOW)
    assert refused.value.code == "forbidden"
    redemptions.decide_redemption(operator_of(world.jiading), redemption, approve=True, now=NOW)
    assert balance_of(accounts.owes(world.jiading, world.suzhou)) == Decimal("-3000.00")
    assert balance_of(accounts.due(world.suzhou, world.jiading)) == Decimal("3000.00")


def test_bad_evidence_is_refused_with_the_kind(world):
    order = delivered(world, world.provider)
    bad = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00binary", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        redemptions.submit_redemption(
            member(world.provider), order.hold, files=evidence(invoice=bad), now=NOW
        )
    assert "发票" in str(error.value)
    files = evidence()
    del files["receipt"]
    with pytest.raises(ValidationError):
        redemptions.submit_redemption(member(world.provider), order.hold, files=files, now=NOW)
    assert not Redemption.objects.exists()


def test_related_party_is_flagged_and_needs_an_override(world):
    world.enterprise.address = "上海市嘉定区叶城路 1288 号"
    world.enterprise.save()
    world.provider.address = "上海市嘉定区叶城路1288号"
    world.provider.save()
    order = delivered(world, world.provider)
    redemption = redemptions.submit_redemption(
        member(world.provider), order.hold, files=evidence(), now=NOW
    )
    assert [f["rule"] for f in redemption.flags] == ["address"]
    entries = Entry.objects.count()
    with pytest.raises(Refused) as refused:
        redemptions.decide_redemption(operator_of(world.jiading), redemption, approve=True, now=NOW)
    assert refused.value.code == "flagged"
    assert Entry.objects.count() == entries
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.SUBMITTED
    decided = redemptions.decide_redemption(
        operator_of(world.jiading),
        redemption,
        approve=True,
        override="经核查为同一园区不同楼栋，非关联方。",
        now=NOW,
    )
    assert decided.status == Redemption.Status.APPROVED and decided.override


def test_shared_user_and_pair_frequency_flags(world):
    from kechuang.accounts.factories import MembershipFactory

    MembershipFactory(organization=world.provider, user=world.owner)
    world.programme.pair_norm = 1
    world.programme.save()
    delivered(world, world.provider, fee="100", key="a")
    order = delivered(world, world.provider, fee="100", key="b")
    redemption = redemptions.submit_redemption(world.owner, order.hold, files=evidence(), now=NOW)
    assert {f["rule"] for f in redemption.flags} == {"platform_user", "pair_frequency"}


def test_expiry_returns_unspent_value_to_the_budget(world):
    order = delivered(world, world.provider, fee="2000")
    unissued = accounts.account(world.programme, accounts.UNISSUED)
    before = unissued.balance
    later = NOW + timedelta(days=366)
    summary = services.expire_vouchers(later)
    assert summary.startswith("2 vouchers expired")
    unissued.refresh_from_db()
    assert unissued.balance == before + Decimal("19000.00")
    voucher = Voucher.objects.get(pk=order.hold.voucher_id)
    assert voucher.status == Voucher.Status.EXPIRED and voucher.returned == Decimal("9000.00")
    assert services.expire_vouchers(later).startswith("0 vouchers")
    assert violations() == [] and voucher_violations() == []


def test_cancel_needs_a_reason_and_returns_value(world):
    voucher = world.vouchers[1]
    with pytest.raises(Refused):
        services.cancel_voucher(operator_of(world.jiading), voucher, reason=" ", now=NOW)
    returned = services.cancel_voucher(
        operator_of(world.jiading), voucher, reason="企业注销", now=NOW
    )
    assert returned == Decimal("10000.00")
    with pytest.raises(Refused):
        services.cancel_voucher(operator_of(world.jiading), voucher, reason="再次", now=NOW)
    assert voucher_violations() == []


def test_batch_approval_approves_each_row_or_refuses_it_untouched(
    world, django_capture_on_commit_callbacks
):
    """批量审核: in-region and cross-region rows are approved, each with its own entry, audit row and
    notification, in the paying region's batch; a flagged row without an override and an already
    decided row are refused and left exactly as they were; one task e-mails the whole batch."""
    from kechuang.core.models import AuditEntry
    from kechuang.notifications.models import Notification

    def submitted(provider, fee, key):
        order = delivered(world, provider, fee=fee, key=key)
        return redemptions.submit_redemption(
            member(provider), order.hold, files=evidence(), now=NOW
        )

    here = submitted(world.provider, "2000", "b1")  # 1,000 yuan
    there = submitted(world.suzhou_provider, "4000", "b2")  # 2,000 yuan, 苏州市
    flagged = submitted(world.provider, "600", "b3")
    Redemption.objects.filter(pk=flagged.pk).update(flags=[{"rule": "phone", "label": "同一电话"}])
    rejected = submitted(world.provider, "800", "b4")
    operator = operator_of(world.jiading)
    redemptions.decide_redemption(operator, rejected, approve=False, reason="材料不全", now=NOW)
    rows = list(
        Redemption.objects.select_related(
            "hold__voucher", "provider", "issuing_region", "provider_region"
        ).order_by("-pk")
    )
    untouched = list(
        Redemption.objects.filter(pk__in=[flagged.pk, rejected.pk])
        .order_by("pk")
        .values_list("pk", "status", "batch_id", "override", "decided_at")
    )
    audits, notes = AuditEntry.objects.count(), Notification.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        done = redemptions.approve_redemptions(operator, rows, now=NOW)
    assert sorted(r.pk for r in done.approved) == [here.pk, there.pk]
    assert {pk: r.code for pk, r in done.refused.items()} == {
        flagged.pk: "flagged",
        rejected.pk: "decided",
    }
    assert untouched == list(
        Redemption.objects.filter(pk__in=[flagged.pk, rejected.pk])
        .order_by("pk")
        .values_list("pk", "status", "batch_id", "override", "decided_at")
    )
    approved = {
        r.pk: r for r in Redemption.objects.filter(status="approved").select_related("batch")
    }
    assert set(approved) == {here.pk, there.pk}
    assert approved[here.pk].batch.region == world.jiading
    assert approved[there.pk].batch.region == world.suzhou
    for r in approved.values():
        entry = Entry.objects.get(idempotency_key=f"redemption:{r.pk}:approved")
        assert entry.event == "vouchers.redemption.approved" and entry.target_id == str(r.pk)
    assert balance_of(accounts.account(world.provider, accounts.PAYABLE)) == Decimal("1000.00")
    assert balance_of(accounts.account(world.suzhou_provider, accounts.PAYABLE)) == Decimal(
        "2000.00"
    )
    assert balance_of(accounts.owes(world.jiading, world.suzhou)) == Decimal("-2000.00")
    assert balance_of(accounts.due(world.suzhou, world.jiading)) == Decimal("2000.00")
    assert AuditEntry.objects.count() == audits + 2
    assert set(
        AuditEntry.objects.filter(action="vouchers.redemption.approved").values_list(
            "target_id", flat=True
        )
    ) == {str(here.pk), str(there.pk)}
    assert Notification.objects.count() == notes + 2
    assert len(callbacks) == 1  # one e-mail task for the batch
    # the flagged one with its written override; the approved ones again: refused, nothing moves
    entries = Entry.objects.count()
    again = redemptions.approve_redemptions(
        operator, rows, overrides={flagged.pk: "经核查非关联交易"}, now=NOW
    )
    assert [r.pk for r in again.approved] == [flagged.pk]
    assert Redemption.objects.get(pk=flagged.pk).override == "经核查非关联交易"
    assert {pk: r.code for pk, r in again.refused.items()} == {
        here.pk: "decided",
        there.pk: "decided",
        rejected.pk: "decided",
    }
    assert Entry.objects.count() == entries + 1
    assert violations() == [] and voucher_violations() == []


def test_batch_approval_by_another_region_refuses_every_row(world):
    order = delivered(world, world.provider)
    redemption = redemptions.submit_redemption(
        member(world.provider), order.hold, files=evidence(), now=NOW
    )
    entries = Entry.objects.count()
    done = redemptions.approve_redemptions(operator_of(world.suzhou), [redemption], now=NOW)
    assert done.approved == [] and done.refused[redemption.pk].code == "forbidden"
    assert Redemption.objects.get(pk=redemption.pk).status == "submitted"
    assert Entry.objects.count() == entries


def test_a_paid_batch_takes_no_more_approvals(world):
    """After the month's batch is paid, approvals of that month go into the next month's batch."""
    first, second = (
        redemptions.submit_redemption(
            member(world.provider),
            delivered(world, world.provider, fee="1000", key=key).hold,
            files=evidence(),
            now=NOW,
        )
        for key in ("p1", "p2")
    )
    operator = operator_of(world.jiading)
    batch = redemptions.decide_redemption(operator, first, approve=True, now=NOW).batch
    redemptions.mark_batch_paid(operator, batch, reference="PAY-1", now=NOW)
    later = redemptions.decide_redemption(operator, second, approve=True, now=NOW).batch
    assert later.pk != batch.pk and later.status == "open"
    assert (later.month.year, later.month.month) == (2019, 1)
    assert balance_of(accounts.account(world.provider, accounts.SETTLED)) == Decimal("500.00")
    assert balance_of(accounts.account(world.provider, accounts.PAYABLE)) == Decimal("500.00")
    assert violations() == [] and voucher_violations() == []
