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


def account(owner, purpose: str) -> Account:
    """The ``purpose`` account of ``owner`` (opened on first use); only ``budget`` and ``owes.*`` may go
    negative."""
    return ledger.open_account(
        owner, purpose, may_go_negative=purpose == BUDGET or purpose.startswith("owes.")
    )


def owes(debtor_region, creditor_region) -> Account:
    return account(debtor_region, f"owes.{creditor_region.code}")


def due(creditor_region, debtor_region) -> Account:
    return account(creditor_region, f"due.{debtor_region.code}")
