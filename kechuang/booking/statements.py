"""Monthly statements as .xlsx: one row per billed booking, a total row. Every text cell is stored as text
(never a formula), and text that Excel would run as a formula (``=``, ``+``, ``-``, ``@``) is prefixed with
an apostrophe, as the directory export does."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from kechuang.booking.queries import Statement
from kechuang.core.spreadsheet_cells import guarded_text


def to_xlsx(statement: Statement) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"{statement.month:%Y-%m}"
    sheet.append(
        [
            guarded_text(
                f"{statement.organization.name} · {statement.month:%Y-%m} " + _("仪器使用结算单")
            )
        ]
    )
    sheet["A1"].font = Font(bold=True)
    header = [
        _("计费时间"),
        _("仪器"),
        _("所属单位"),
        _("预约人"),
        _("费用类型"),
        _("时段/样品"),
        _("单价（元）"),
        _("费用（元）"),
        _("创新券支付（元）"),
        _("自付（元）"),
        _("实验内容/样品说明"),
    ]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for b in statement.bookings:
        if b.actual_start and b.actual_end:
            use = f"{timezone.localtime(b.actual_start):%Y-%m-%d %H:%M}–{timezone.localtime(b.actual_end):%H:%M}"
        else:
            use = f"{timezone.localtime(b.starts_at):%Y-%m-%d %H:%M}–{timezone.localtime(b.ends_at):%H:%M}"
        if b.actual_samples:
            use += f" · {b.actual_samples} " + _("个样品")
        row = [
            f"{timezone.localtime(b.billed_at):%Y-%m-%d %H:%M}",
            b.instrument.name,
            b.instrument.owner.name,
            str(b.user),
            b.get_fee_kind_display(),
            use,
            b.rate,
            b.fee,
            b.voucher_share,
            b.payer_share,
            b.purpose,
        ]
        sheet.append([guarded_text(v) if isinstance(v, str) else v for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.append(
        [
            "",
            "",
            "",
            "",
            "",
            "",
            _("合计"),
            statement.fee,
            statement.voucher_share,
            statement.payer_share,
            "",
        ]
    )
    for column, width in zip(
        "ABCDEFGHIJK", (17, 28, 22, 12, 10, 30, 10, 12, 14, 12, 36), strict=True
    ):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
