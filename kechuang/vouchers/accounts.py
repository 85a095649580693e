"""The ledger accounts of the voucher capability, one place that names them.

======================  ==============  =====================================================================
owner                   purpose         holds
======================  ==============  =====================================================================
programme               ``budget``      the appropriation: a source, at minus the programme's total budget
programme               ``unissued``    budget not (or no longer) on any voucher; expiry and cancellation
                                        return unspent value here
voucher                 ``unspent``     what the holder can still spend (``Voucher.account``)
voucher                 ``held``        voucher shares held for orders and bookings not yet settled
voucher                 ``spent``       settled voucher shares the provider has not yet been paid for
provider organisation   ``payable``     approved redemptions waiting for the monthly settlement batch
provider organisation   ``settled``     redemptions paid to the provider
region A                ``owes.<B>``    what region A owes region B for A's vouchers spent at B's providers
                                        (negative; may go negative)
region B                ``due.<A>``     what region A owes region B, seen from B (positive)
======================  ==============  =====================================================================

``payable``, ``settled``, ``owes.*`` and ``due.*`` are derived accounts (see :mod:`kechuang.ledger.models`):
an approval only inserts its lines there, so approvals of many providers' and regions' redemptions at once
never queue on a shared account row; paying a batch and closing a clearing run, which debit them, lock them
and check the sum of their lines.

The movements: appropriation budget→unissued; issue unissued→unspent; hold unspent→held; settle
held→spent (and the rest held→unspent); release held→unspent; expiry and cancellation unspent→unissued;
approved redemption spent→payable (and, across regions, owes.B→due.A); batch paid payable→settled;
clearing run closed due.A→owes.B, for each pair, what the run nets.
"""

from kechuang.ledger import services as ledger
from kechuang.ledger.models import Account

SCOPE = "vouchers"

BUDGET = "budget"
UNISSUED = "unissued"
UNSPENT = "unspent"
HELD = "held"
SPENT = "spent"
PAYABLE = "payable"
SETTLED = "settled"


def is_derived(purpose: str) -> bool:
    """Accounts that many approvals at once only add to keep no cached balance (the sum of their lines is
    the balance), so concurrent approvals never queue on a provider's or a region pair's account row."""
    return purpose in (PAYABLE, SETTLED) or purpose.startswith(("owes.", "due."))


def account(owner, purpose: str) -> Account:
    """The ``purpose`` account of ``owner`` (opened on first use); only ``budget`` and ``owes.*`` may go
    negative; ``payable``, ``settled``, ``owes.*`` and ``due.*`` are derived (no cached balance)."""
    return ledger.open_account(
        owner,
        purpose,
        may_go_negative=purpose == BUDGET or purpose.startswith("owes."),
        derived=is_derived(purpose),
    )


def accounts_of(wanted: list[tuple]) -> list[Account]:
    """The accounts ``[(owner, purpose), …]`` in one query (opening any that do not exist yet)."""
    from kechuang.ledger.models import label_of

    keys = [(*label_of(owner), purpose) for owner, purpose in wanted]
    # Three IN lists (a few rows more than asked for, dropped below) rather than an OR of one condition
    # per account: a batch asks for a hundred accounts, and building the OR costs more than the query.
    found = {
        (a.owner_type, a.owner_id, a.purpose): a
        for a in Account.objects.filter(
            owner_type__in={k[0] for k in keys},
            owner_id__in={k[1] for k in keys},
            purpose__in={k[2] for k in keys},
        )
    }
    return [
        found.get(key) or account(owner, purpose)
        for key, (owner, purpose) in zip(keys, wanted, strict=True)
    ]


def owes(debtor_region, creditor_region) -> Account:
    return account(debtor_region, f"owes.{creditor_region.code}")


def due(creditor_region, debtor_region) -> Account:
    return account(creditor_region, f"due.{debtor_region.code}")
