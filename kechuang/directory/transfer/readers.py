"""Reading uploaded spreadsheets: Excel (.xlsx) and CSV in the encodings Chinese offices use.

The readers turn a file into :class:`Sheet` s of text cells and know nothing about record types. The
record type's column specification finds the header row in a sheet (:meth:`Sheet.header_names`).
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from kechuang.core.uploads import UnreadableFile, check_size, decode_text

ZIP_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc
HEADER_SEARCH_ROWS = 30  # how far down a title block may push the header row
# What one import may hold, checked before anything is read into Python objects: a 600 KB .xlsx can
# unpack to a million rows (and take gigabytes to read). Larger lists are imported in parts.
MAX_ROWS = 20_000
MAX_UNPACKED_BYTES = 80 * 1024 * 1024  # the workbook's XML parts, uncompressed
MAX_REPORTED_FORMULAS = 10


def _too_many_rows() -> UnreadableFile:
    return UnreadableFile(_("表格超过 %(n)d 行，请拆分为多个文件分批导入") % {"n": MAX_ROWS})


@dataclass
class Sheet:
    """One worksheet as text: ``rows[i]`` is sheet row ``i + 1``; merged cells carry their value in every
    cell they cover. ``merges`` lists merged ranges as 0-based inclusive ``(top, bottom, left, right)``."""

    name: str
    rows: list[list[str]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)

    def cell(self, row: int, column: int) -> str:
        cells = self.rows[row]
        return cells[column] if column < len(cells) else ""

    def header_end(self, start: int) -> int:
        """The last row of a header block starting at ``start``: a block runs on while a merged range that
        begins inside it (a header cell spanning two header rows) reaches into the next row."""
        end = start
        while True:
            reaching = [
                bottom for top, bottom, _left, _right in self.merges if start <= top <= end < bottom
            ]
            if not reaching:
                return end
            end = max(reaching)

    def header_names(self, start: int) -> tuple[int, list[list[str]]]:
        """The candidate names of each column of the header block starting at row ``start``, most specific
        first, and the block's last row.

        A group header above sub-headers (``收费标准(元)`` merged over ``校内`` and ``校外``) gives combined
        names (``收费标准(元)/校内``), then the name without the group (so that a title merged across the
        whole sheet above the header row does not hide the real names); a header merged down over the
        block's rows gives its own name once.
        """
        end = self.header_end(start)
        groups = {
            column: self.cell(top, left).strip()
            for top, bottom, left, right in self.merges
            if bottom == start - 1 and right > left
            for column in range(left, right + 1)
        }
        names = []
        for column in range(self.width):
            parts: list[str] = []
            for row in range(start, end + 1):
                value = self.cell(row, column).strip()
                if value and (not parts or parts[-1] != value):
                    parts.append(value)
            candidates = []
            if parts and groups.get(column) and groups[column] != parts[0]:
                candidates.append("/".join([groups[column], *parts]))
            if parts:
                candidates.append("/".join(parts))
            names.append(candidates)
        return end, names


def read_upload(data: bytes) -> list[Sheet]:
    """Read an uploaded file by its content (never by its name): .xlsx, or CSV/TSV text in UTF-8 (with or
    without BOM), UTF-16 with BOM, GB18030/GBK, or whatever charset-normalizer recognises.

    Raises :class:`UnreadableFile` with a Chinese message for anything else, empty files and files over
    ``settings.UPLOAD_MAX_BYTES``.
    """
    check_size(len(data))
    if not data.strip():
        raise UnreadableFile(_("文件是空的"))
    if data.startswith(ZIP_SIGNATURE):
        return read_xlsx(data)
    if data.startswith(OLE2_SIGNATURE):
        raise UnreadableFile(
            _(
                "这是旧版 Excel（.xls）或其他 Office 文件，请在 Excel 中“另存为” .xlsx 或 CSV 后再上传"
            )
        )
    return [read_csv(decode_text(data))]


def read_csv(text: str) -> Sheet:
    """Parse CSV (or tab-separated) text; the delimiter is sniffed from the first lines."""
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            if len(rows) >= MAX_ROWS + HEADER_SEARCH_ROWS:
                raise _too_many_rows()
            rows.append(list(row))
    except csv.Error as error:
        raise UnreadableFile(_("CSV 文件格式有误（单元格过长或引号不配对），无法读取")) from error
    return Sheet(name="CSV", rows=rows)


def cell_text(value) -> str:
    """An Excel cell value as the text a person sees: ``2015.0`` → ``"2015"``, dates as ``YYYY-MM-DD``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes) -> list[Sheet]:
    """Read every worksheet of an .xlsx workbook (cached values of formulas, merged cells filled in).

    python-calamine reads in Rust: several times faster than openpyxl and a fraction of its memory, with
    the merged ranges that openpyxl only offers in its slow full-load mode.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise UnreadableFile(_("这是压缩包或其他 Office 文件，不是 Excel（.xlsx）表格"))
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise _too_many_rows()  # declared sizes: checked before unpacking anything
            _refuse_formulas_without_values(archive)
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for index in range(len(workbook.sheet_names)):
            worksheet = workbook.get_sheet_by_index(index)
            if worksheet.total_height > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise _too_many_rows()
            sheets.append(_calamine_sheet(worksheet))
    except UnreadableFile:
        raise
    except Exception as error:  # damaged archives raise zipfile, XML and calamine errors alike
        raise UnreadableFile(_("Excel 文件已损坏或格式不正确，无法读取")) from error
    workbook.close()
    return sheets


def _refuse_formulas_without_values(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook with formula cells that carry no computed value (saved by a program that does
    not calculate): they would import as blanks without anyone noticing. Names the first cells."""
    from xml.etree.ElementTree import iterparse

    found: list[str] = []
    for name in sorted(archive.namelist()):
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        with archive.open(name) as part:
            if b"<f" not in part.read():
                continue
        with archive.open(name) as part:
            for _event, element in iterparse(part):
                if element.tag.endswith("}c") or element.tag == "c":
                    children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
                    value = children.get("v")
                    if "f" in children and (value is None or not (value.text or "").strip()):
                        found.append(element.get("r", "?"))
                    element.clear()
            if len(found) >= MAX_REPORTED_FORMULAS:
                break
    if found:
        raise UnreadableFile(
            _(
                "表格中有公式没有计算结果（单元格 %(cells)s），导入时会成为空白。"
                "请在 Excel 或 WPS 中打开并保存后再导入，或把公式粘贴为数值。"
            )
            % {"cells": "、".join(found[:MAX_REPORTED_FORMULAS])}
        )


def _calamine_sheet(worksheet) -> Sheet:
    rows = [
        [cell_text(value) for value in row] for row in worksheet.to_python(skip_empty_area=False)
    ]
    merges = []
    for (top, left), (bottom, right) in worksheet.merged_cell_ranges or []:
        merges.append((top, bottom, left, right))
        value = rows[top][left] if top < len(rows) and left < len(rows[top]) else ""
        for row in range(top, min(bottom, len(rows) - 1) + 1):
            cells = rows[row]
            cells.extend([""] * (right + 1 - len(cells)))
            for column in range(left, right + 1):
                cells[column] = value
    return Sheet(name=worksheet.name, rows=rows, merges=merges)
