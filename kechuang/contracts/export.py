"""The register as an .xlsx workbook, in the columns regions report upward (登记号, 合同名称, 合同类型,
卖方/买方与所在地区, 成交额, 技术交易额, 签订与登记日期, 产业链, 来源).

Formula-injection safe: every text cell is written as a string (``data_type`` ``s``), so a party named
``=HYPERLINK(…)`` is shown as that text and never evaluated; amounts are numbers, dates are dates.
"""

import io
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from kechuang.contracts.models import TechContract

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def columns() -> list[tuple[str, int]]:
    return [
        (_("登记号"), 20),
        (_("合同名称"), 40),
        (_("合同类型"), 10),
        (_("卖方"), 30),
        (_("卖方所在地区"), 12),
        (_("买方"), 30),
        (_("买方所在地区"), 12),
        (_("合同成交额（元）"), 16),
        (_("技术交易额（元）"), 16),
        (_("签订日期"), 12),
        (_("登记日期"), 12),
        (_("产业链"), 14),
        (_("来源"), 10),
        (_("状态"), 10),
    ]


def _text(cell, value: str) -> None:
    cell.value = value
    cell.data_type = "s"  # never a formula, whatever the text begins with


def to_xlsx(contracts: Iterable[TechContract]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("技术合同登记表")
    for position, (header, width) in enumerate(columns(), start=1):
        cell = sheet.cell(row=1, column=position, value=header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        sheet.column_dimensions[cell.column_letter].width = width
    for row, contract in enumerate(contracts, start=2):
        texts = {
            1: contract.number or "",
            2: contract.title,
            3: contract.get_kind_display(),
            4: contract.seller_name,
            5: contract.seller_region.name,
            6: contract.buyer_name,
            7: contract.buyer_region.name,
            12: contract.industry_chain.name if contract.industry_chain else "",
            13: contract.get_source_display(),
            14: contract.get_status_display(),
        }
        for column, value in texts.items():
            _text(sheet.cell(row=row, column=column), str(value))
        for column, amount in ((8, contract.total_amount), (9, contract.tech_amount)):
            cell = sheet.cell(row=row, column=column, value=amount)
            cell.number_format = "#,##0.00"
        sheet.cell(row=row, column=10, value=contract.signed_on).number_format = "yyyy-mm-dd"
        if contract.registered_at:
            registered = timezone.localdate(contract.registered_at)
            sheet.cell(row=row, column=11, value=registered).number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
