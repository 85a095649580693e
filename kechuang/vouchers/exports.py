"""What auditors and regions download: the trial balance of the voucher ledger, every entry line as CSV,
and a region's clearing statement as xlsx. Text that Excel would run as a formula (leading ``=``, ``+``,
``-``, ``@``) is kept as text: a leading apostrophe in CSV, a string cell in xlsx."""

import csv
import io
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from kechuang.core.spreadsheet_cells import guarded_text
from kechuang.ledger.models import Account, Line
from kechuang.ledger.queries import balances
from kechuang.vouchers import accounts


def voucher_accounts():
    """The accounts of the voucher capability: programmes' and vouchers', providers' payable and settled,
    and the regions' debts to each other."""
    return Account.objects.filter(
        Q(owner_type__startswith="vouchers.")
        | Q(owner_type="directory.organization", purpose__in=[accounts.PAYABLE, accounts.SETTLED])
        | Q(owner_type="core.region", purpose__startswith="owes.")
        | Q(owner_type="core.region", purpose__startswith="due.")
    )


def trial_balance() -> list[dict]:
    """Balances summed by owner type and purpose (the accounts of every voucher, programme… together);
    the balances sum to zero."""
    totals: dict[tuple[str, str], dict] = {}
    rows = voucher_accounts()
    balance_of = balances(rows)
    for pk, owner_type, purpose in rows.values_list("pk", "owner_type", "purpose"):
        balance = balance_of[pk]
        key = (owner_type, purpose.split(".")[0] if owner_type == "core.region" else purpose)
        row = totals.setdefault(
            key, {"owner_type": key[0], "purpose": key[1], "accounts": 0, "balance": Decimal(0)}
        )
        row["accounts"] += 1
        row["balance"] += balance
    return [totals[key] for key in sorted(totals)]


class _Echo:
    def write(self, value):
        return value


def entry_rows():
    """CSV lines of every voucher ledger line: entry, time, event, actor, target, memo, idempotency key,
    account, amount."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(
        [
            "entry",
            "posted_at",
            "event",
            "actor",
            "target",
            "memo",
            "idempotency_key",
            "account",
            "amount",
        ]
    )
    lines = (
        Line.objects.filter(entry__scope=accounts.SCOPE)
        .select_related("entry__actor", "account")
        .order_by("pk")
    )
    for line in lines.iterator(chunk_size=2000):
        entry = line.entry
        yield writer.writerow(
            [
                entry.pk,
                entry.posted_at.isoformat(),
                entry.event,
                guarded_text(entry.actor.username if entry.actor else ""),
                f"{entry.target_type}#{entry.target_id}",
                guarded_text(entry.memo),
                guarded_text(entry.idempotency_key),
                guarded_text(str(line.account)),
                str(line.amount),
            ]
        )


def statement_xlsx(run, code: str, data: dict) -> bytes:
    """Region ``code``'s statement of a clearing run: what it owes and is owed per partner, its net
    position and the transfers of the plan it takes part in."""
    names = data["names"]
    book = Workbook()
    sheet = book.active
    sheet.title = _("对账单")
    header = Font(bold=True)

    def row(*values, bold=False):
        sheet.append(
            [v if isinstance(v, int | float | Decimal) else guarded_text(v) for v in values]
        )
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
            if bold:
                cell.font = header

    row(_("跨区域清算对账单"), bold=True)
    row(_("联盟"), str(run.federation))
    row(_("区域"), names[code])
    row(_("期间"), f"{run.period_start.isoformat()} — {run.period_end.isoformat()}")
    row(_("状态"), run.get_status_display())
    row()
    row(_("对方区域"), _("本区域应付（元）"), _("本区域应收（元）"), bold=True)
    for other, other_name in sorted(names.items()):
        if other == code:
            continue
        pays = data["bilateral"].get((code, other), Decimal(0))
        gets = data["bilateral"].get((other, code), Decimal(0))
        row(other_name, pays, gets)
    row()
    row(_("多边净头寸（元）"), data["positions"].get(code, Decimal(0)), bold=True)
    row()
    row(_("结算方案"), _("付款方"), _("收款方"), _("金额（元）"), bold=True)
    for payer, payee, amount in data["plan"]:
        if code in (payer, payee):
            row("", names[payer], names[payee], amount)
    for column, width in zip("ABCD", (22, 22, 22, 16), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
