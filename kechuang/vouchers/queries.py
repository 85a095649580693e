"""Reading vouchers: balances for the wallet, the programme figures for the public page, and the
invariant check the tests, the benchmark and the auditors' page run."""

from collections import defaultdict
from decimal import Decimal

from kechuang.ledger.models import Account
from kechuang.vouchers import accounts
from kechuang.vouchers.models import (
    Redemption,
    SettlementBatch,
    Voucher,
    VoucherHold,
    VoucherProgramme,
)

VOUCHER_TYPE = "vouchers.voucher"
PROGRAMME_TYPE = "vouchers.voucherprogramme"


def voucher_balances(voucher_ids) -> dict[int, dict[str, Decimal]]:
    """``{voucher id: {"unspent", "held", "spent"}}`` in one query."""
    found: dict[int, dict[str, Decimal]] = defaultdict(
        lambda: {p: Decimal("0.00") for p in (accounts.UNSPENT, accounts.HELD, accounts.SPENT)}
    )
    rows = Account.objects.filter(
        owner_type=VOUCHER_TYPE, owner_id__in=[str(pk) for pk in voucher_ids]
    ).values_list("owner_id", "purpose", "balance")
    for owner_id, purpose, balance in rows:
        found[int(owner_id)][purpose] = balance
    return found


def redeemed_by_voucher(voucher_ids=None) -> dict[int, Decimal]:
    """What approved (or paid) redemptions moved out of each voucher's spent account."""
    rows = Redemption.objects.filter(status__in=SPENT_STATUSES)
    if voucher_ids is not None:
        rows = rows.filter(hold__voucher_id__in=voucher_ids)
    found: dict[int, Decimal] = defaultdict(Decimal)
    for voucher_id, amount in rows.values_list("hold__voucher_id", "amount"):
        found[voucher_id] += amount
    return found


SPENT_STATUSES = (Redemption.Status.APPROVED, Redemption.Status.PAID)


def spent_redemptions():
    """Vouchers spent (创新券兑付): the approved redemptions (paid or not yet) — what a region's vouchers
    paid for — placed in time by their approval (``decided_at``) and in space by the holding enterprise's
    region (``hold__voucher__holder__region``). The pilot indicators read the amount of these
    (``vouchers.spent``); the same rows make the figure's lineage."""
    return Redemption.objects.filter(status__in=SPENT_STATUSES).select_related(
        "hold__voucher__holder__region", "provider"
    )


def programme_figures(programme: VoucherProgramme) -> dict[str, Decimal]:
    """The budget split for the public page: unissued, unspent on vouchers, held, spent awaiting
    redemption, redeemed (approved or paid)."""
    ids = list(programme.vouchers.values_list("pk", flat=True))
    balances = voucher_balances(ids)
    redeemed = redeemed_by_voucher(ids)
    unissued = accounts.account(programme, accounts.UNISSUED).balance
    return {
        "budget": programme.budget,
        "unissued": unissued,
        "committed": programme.budget - unissued,
        "unspent": sum((b[accounts.UNSPENT] for b in balances.values()), Decimal(0)),
        "held": sum((b[accounts.HELD] for b in balances.values()), Decimal(0)),
        "spent": sum((b[accounts.SPENT] for b in balances.values()), Decimal(0)),
        "redeemed": sum(redeemed.values(), Decimal(0)),
    }


def voucher_violations() -> list[str]:
    """What breaks the voucher invariants (empty when they hold):

    - every voucher: face value = unspent + held + spent + redeemed + returned;
    - every voucher: its held account = the amounts of its open holds, and its spent account = the
      settled amounts of its holds less what was redeemed;
    - every programme: budget = unissued + issued (face values less returned), and its budget account
      is at minus the budget;
    - every enterprise: the face value issued to it under a programme is within the programme's cap;
    - every redemption is of a settled hold, for at most its settled amount (one per hold by the schema).
    """
    found = []
    vouchers = list(
        Voucher.objects.values_list("pk", "programme_id", "holder_id", "face_value", "returned")
    )
    ids = [v[0] for v in vouchers]
    balances = voucher_balances(ids)
    redeemed = redeemed_by_voucher()
    open_held: dict[int, Decimal] = defaultdict(Decimal)
    settled: dict[int, Decimal] = defaultdict(Decimal)
    for voucher_id, status, amount, settled_amount in VoucherHold.objects.values_list(
        "voucher_id", "status", "amount", "settled_amount"
    ):
        if status == VoucherHold.Status.HELD:
            open_held[voucher_id] += amount
        elif status == VoucherHold.Status.SETTLED:
            settled[voucher_id] += settled_amount
    issued: dict[int, Decimal] = defaultdict(Decimal)
    per_holder: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for pk, programme_id, holder_id, face, returned in vouchers:
        b = balances[pk]
        total = b[accounts.UNSPENT] + b[accounts.HELD] + b[accounts.SPENT] + redeemed[pk] + returned
        if total != face:
            found.append(f"voucher {pk}: face {face} but accounts sum to {total}")
        if b[accounts.HELD] != open_held[pk]:
            found.append(f"voucher {pk}: held {b[accounts.HELD]} but open holds {open_held[pk]}")
        if b[accounts.SPENT] != settled[pk] - redeemed[pk]:
            found.append(f"voucher {pk}: spent {b[accounts.SPENT]} != settled less redeemed")
        issued[programme_id] += face - returned
        per_holder[(programme_id, holder_id)] += face
    programmes = {p.pk: p for p in VoucherProgramme.objects.all()}
    unissued = {
        int(owner_id): (purpose, balance)
        for owner_id, purpose, balance in Account.objects.filter(
            owner_type=PROGRAMME_TYPE, purpose=accounts.UNISSUED
        ).values_list("owner_id", "purpose", "balance")
    }
    budgets = dict(
        Account.objects.filter(owner_type=PROGRAMME_TYPE, purpose=accounts.BUDGET).values_list(
            "owner_id", "balance"
        )
    )
    for pk, programme in programmes.items():
        left = unissued.get(pk, ("", Decimal(0)))[1]
        if left + issued[pk] != programme.budget:
            found.append(
                f"programme {pk}: unissued {left} + issued {issued[pk]} != {programme.budget}"
            )
        if budgets.get(str(pk)) != -programme.budget:
            found.append(
                f"programme {pk}: budget account {budgets.get(str(pk))} != -{programme.budget}"
            )
    for (programme_id, holder_id), face in per_holder.items():
        if face > programmes[programme_id].annual_cap:
            found.append(
                f"enterprise {holder_id} holds {face} above the cap of programme {programme_id}"
            )
    payable: dict[int, Decimal] = defaultdict(Decimal)
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for (
        pk,
        status,
        amount,
        settled_amount,
        r_status,
        provider_id,
        batch_status,
    ) in Redemption.objects.values_list(
        "pk",
        "hold__status",
        "amount",
        "hold__settled_amount",
        "status",
        "provider_id",
        "batch__status",
    ):
        if status != VoucherHold.Status.SETTLED or amount > (settled_amount or 0):
            found.append(f"redemption {pk} is not of a settled hold within its amount")
        if r_status == Redemption.Status.APPROVED:
            payable[provider_id] += amount
            if batch_status != SettlementBatch.Status.OPEN:
                found.append(f"redemption {pk} is approved but its batch is {batch_status}")
        elif r_status == Redemption.Status.PAID:
            paid[provider_id] += amount
            if batch_status != SettlementBatch.Status.PAID:
                found.append(f"redemption {pk} is paid but its batch is {batch_status}")
    found += _provider_violations(payable, paid)
    return found


def _provider_violations(payable: dict, paid: dict) -> list[str]:
    """Each provider's payable account holds its approved redemptions not yet paid, and its settled
    account the paid ones (both derived: the sums of their lines)."""
    from kechuang.ledger.services import derived_sums

    found = []
    rows = list(
        Account.objects.filter(
            owner_type="directory.organization", purpose__in=[accounts.PAYABLE, accounts.SETTLED]
        ).values_list("pk", "owner_id", "purpose")
    )
    sums = derived_sums([pk for pk, _owner, _purpose in rows])
    held = {(int(owner), purpose): sums[pk] for pk, owner, purpose in rows}
    for provider in set(payable) | set(paid) | {owner for owner, _purpose in held}:
        for purpose, expected in ((accounts.PAYABLE, payable), (accounts.SETTLED, paid)):
            balance = held.get((provider, purpose), Decimal(0))
            if balance != expected.get(provider, Decimal(0)):
                found.append(
                    f"provider {provider}: {purpose} {balance} but its redemptions "
                    f"{expected.get(provider, Decimal(0))}"
                )
    return found
