"""Imports hold against hostile spreadsheets: a small .xlsx that unpacks to a million rows is refused
before its rows are read into Python, and formula cells without a computed value are reported instead of
importing as blanks."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from kechuang.core.uploads import UnreadableFile
from kechuang.directory.transfer import readers

PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="专家" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def bomb(rows: int) -> bytes:
    """A valid .xlsx with ``rows`` rows of one number each, highly compressed."""
    body = "<row><c><v>1</v></c></row>" * rows  # row and cell references are optional
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in {**PARTS, "xl/worksheets/sheet1.xml": sheet}.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_a_million_row_workbook_is_refused_before_its_rows_are_read():
    data = bomb(1_000_001)
    assert len(data) < 700 * 1024  # like the 610 KB file that took 766 MB to read
    with pytest.raises(UnreadableFile, match="表格超过 20000 行"):
        readers.read_upload(data)


def test_a_workbook_that_unpacks_too_large_is_refused_without_unpacking(monkeypatch):
    monkeypatch.setattr(readers, "MAX_UNPACKED_BYTES", 10_000)
    with pytest.raises(UnreadableFile, match="分批导入"):
        readers.read_upload(bomb(1_000))


def test_a_workbook_within_the_limits_reads():
    (sheet,) = readers.read_upload(bomb(500))
    assert len(sheet.rows) == 500 and sheet.rows[-1] == ["1"]


def test_a_csv_with_too_many_rows_is_refused():
    text = "姓名,邮箱\n" + "李明,li@example.cn\n" * (readers.MAX_ROWS + readers.HEADER_SEARCH_ROWS)
    with pytest.raises(UnreadableFile, match="表格超过"):
        readers.read_upload(text.encode())


def test_formula_cells_without_values_are_reported_not_blank():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["名称", "数量", "合计"])
    sheet.append(["扫描电镜", 2, "=B2*3"])
    sheet.append(["三坐标", 1, "=B3*3"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(UnreadableFile, match="C2、C3"):
        readers.read_upload(buffer.getvalue())
