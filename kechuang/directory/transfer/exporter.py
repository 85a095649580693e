"""Export of directory records and the blank import templates, as .xlsx and CSV.

Exports use the import columns and cell formats (labels for choices, 是/否, amounts like ``1234.50``, names
joined with 、), so an exported file imports back unchanged.
"""

import io
from collections.abc import Sequence

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kechuang.accounts.permissions import is_operator
from kechuang.core.spreadsheet_cells import GuardedCSVWriter
from kechuang.directory.transfer.specs import Column, Lookups, RecordSpec

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
GUIDE_SHEET = "填写说明"


def exportable_records(user, spec: RecordSpec) -> QuerySet:
    """The records of ``spec``'s type that ``user`` may export: an operator's regions, otherwise the
    records the user may edit (their organisations' own)."""
    manager = spec.model.objects
    records = manager.managed_by(user) if is_operator(user) else manager.editable_by(user)
    return (
        records.select_related(*spec.select_related).prefetch_related(*spec.prefetch).order_by("pk")
    )


def export_columns(user, spec: RecordSpec) -> list[Column]:
    """Private contact columns only go to operators."""
    return spec.columns_for(include_private=is_operator(user))


def export_rows(columns: Sequence[Column], records) -> list[list[str]]:
    lookups = Lookups()
    return [[column.render(record, lookups) for column in columns] for record in records]


def to_csv(columns: Sequence[Column], rows: list[list[str]]) -> bytes:
    """CSV in UTF-8 with a BOM, which Excel needs to open Chinese text correctly. Formula-like text gets a
    leading apostrophe so Excel shows it as text; the importer removes it again."""
    buffer = io.StringIO(newline="")
    writer = GuardedCSVWriter(buffer)
    writer.writerow([column.header for column in columns])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(spec: RecordSpec, columns: Sequence[Column], rows: list[list[str]]) -> bytes:
    """An .xlsx workbook: the records under a header row (required headers in red, drop-down lists on
    choice columns), and a second sheet 填写说明 describing every column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(spec.label)
    for position, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=position, value=column.header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = HEADER_FILL
        cell.comment = Comment(str(column.describe(spec.model)) or column.header, "科创")
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = max(12, min(40, len(column.header) * 2 + 4))
        options = column.options(spec.model)
        if options:
            validation = DataValidation(
                type="list",
                formula1='"{}"'.format(",".join(options)),
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=_("无效选项"),
                error=_("请从下拉列表中选择"),
            )
            validation.add(f"{letter}2:{letter}1048576")
            sheet.add_data_validation(validation)
    for row_number, row in enumerate(rows, start=2):
        for position, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=position, value=value)
            cell.data_type = "s"  # text stays text: never a formula, never a reformatted number
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet(GUIDE_SHEET)
    guide.append([_("列名"), _("是否必填"), _("填写说明"), _("示例")])
    for cell in guide[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for column in columns:
        guide.append(
            [
                column.header,
                _("必填") if column.required else _("选填"),
                str(column.describe(spec.model)),
                str(column.example),
            ]
        )
    guide.append([])
    guide.append([_("导入规则")])
    for rule in (
        _("第一个工作表为数据表；表头以上可以有标题行，空行会被跳过，列的顺序不限。"),
        _("整个文件全部通过校验才会导入；任何一行有问题，都不会写入任何数据。"),
        _("按唯一标识更新已有记录，重复导入同一文件不会产生重复数据。"),
        _("选填列整列不提供时，已有记录的该项保持不变。"),
    ):
        guide.append([rule])
    for letter, width in (("A", 28), ("B", 10), ("C", 60), ("D", 36)):
        guide.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template(spec: RecordSpec, file_format: str) -> bytes:
    """The blank import template for ``spec``'s type: every column and no records (the examples are in
    the 填写说明 sheet, so an untouched template imports nothing)."""
    return render(spec, spec.columns, [], file_format)


def render(
    spec: RecordSpec, columns: Sequence[Column], rows: list[list[str]], file_format: str
) -> bytes:
    if file_format == "csv":
        return to_csv(columns, rows)
    if file_format == "xlsx":
        return to_xlsx(spec, columns, rows)
    raise ValueError(f"unknown file format {file_format!r}")


def export(user, spec: RecordSpec, file_format: str) -> bytes:
    """The records ``user`` may export, as ``"xlsx"`` or ``"csv"``."""
    columns = export_columns(user, spec)
    rows = export_rows(columns, exportable_records(user, spec))
    return render(spec, columns, rows, file_format)
