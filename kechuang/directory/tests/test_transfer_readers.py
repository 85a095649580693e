"""Reading real-world uploads: merged headers, title and blank rows, BOMs, encodings, wrong file types."""

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook

from kechuang.directory.factories import OrganizationFactory
from kechuang.directory.models import Instrument, ServiceItem
from kechuang.directory.tests.transfer_world import build_world, code, csv_bytes
from kechuang.directory.transfer.importer import RowError, import_records
from kechuang.directory.transfer.readers import UnreadableFile, read_upload
from kechuang.directory.transfer.specs import INSTRUMENTS, SERVICES

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def merged_instrument_workbook(bad_rate: str = "400") -> bytes:
    """An instrument list as offices send it: a merged title row, single headers merged down over two
    header rows, "收费标准(元)" merged across 校内/校外 sub-headers, and a stray blank row in the data."""
    workbook = Workbook()
    sheet = workbook.active
    singles = ["仪器名称", "资产编号", "所属单位", "仪器类别"]
    sheet.append(["温州市大型科研仪器共享目录(2024年)"])
    sheet.merge_cells("A1:F1")
    sheet.append([*singles, "收费标准(元)", None])
    sheet.append([None, None, None, None, "校内", "校外"])
    for column in "ABCD":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("E2:F2")
    sheet.append(["扫描电子显微镜", "YQ-001", code(1), "分析仪器", 200, bad_rate])
    sheet.append([])
    sheet.append(["万能材料试验机", "YQ-002", code(1), "物理性能测试仪器", "150.5", "300"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_merged_group_headers_title_and_blank_rows(world):
    OrganizationFactory(credit_code=code(1), region=world.ruian)

    report = import_records(world.operator, INSTRUMENTS, read_upload(merged_instrument_workbook()))

    assert report.errors == []
    assert report.ignored_columns == []
    assert (report.rows, report.created) == (2, 2)
    assert list(
        Instrument.objects.order_by("asset_code").values_list(
            "asset_code", "category", "internal_rate", "external_rate", "region__name"
        )
    ) == [
        ("YQ-001", "analytical", Decimal("200.00"), Decimal("400.00"), "瑞安市"),
        ("YQ-002", "physical", Decimal("150.50"), Decimal("300.00"), "瑞安市"),
    ]


def test_row_numbers_in_the_report_are_the_sheets_own(world):
    OrganizationFactory(credit_code=code(1), region=world.ruian)

    report = import_records(
        world.operator, INSTRUMENTS, read_upload(merged_instrument_workbook(bad_rate="四百"))
    )

    assert report.errors == [RowError(4, "对外收费(元)", "金额格式无法识别：“四百”")]
    assert Instrument.objects.count() == 0


def test_utf8_bom_csv(world):
    OrganizationFactory(credit_code=code(1), region=world.ruian)
    data = (
        "\ufeff"
        + "服务名称,服务机构,服务类别,服务内容,参考价格(元)\r\n检测,{},检验检测,金属材料成分检测,800元\r\n"
    )
    report = import_records(
        world.operator, SERVICES, read_upload(data.format(code(1)).encode("utf-8"))
    )

    assert report.errors == []
    service = ServiceItem.objects.get()
    assert (service.title, service.description, service.price) == (
        "检测",
        "金属材料成分检测",
        Decimal("800.00"),
    )


def test_gb18030_and_utf16_tab_separated_text_are_read():
    rows = [["服务名称", "服务内容"], ["䶮检测", "GB18030 才有的字"]]
    assert read_upload(csv_bytes(rows, "gb18030"))[0].rows == rows
    tsv = "服务名称\t服务内容\r\n检测\t说明\r\n".encode("utf-16")
    assert read_upload(tsv)[0].rows == [["服务名称", "服务内容"], ["检测", "说明"]]


def zip_bytes(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件是空的"),
        (
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            "文件内容是“Portable Network Graphics file”，不是 Excel（.xlsx）或 CSV 表格",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
            "这是旧版 Excel（.xls）或其他 Office 文件，请在 Excel 中“另存为” .xlsx 或 CSV 后再上传",
        ),
        (zip_bytes(["word/document.xml"]), "这是压缩包或其他 Office 文件，不是 Excel（.xlsx）表格"),
        (
            zip_bytes(["xl/workbook.xml"]),
            "Excel 文件已损坏或格式不正确，无法读取",
        ),
    ],
)
def test_files_that_are_not_spreadsheets_are_refused_in_chinese(data, message):
    with pytest.raises(UnreadableFile) as refused:
        read_upload(data)
    assert str(refused.value) == message


def test_a_csv_cell_beyond_the_csv_field_limit_is_refused():
    with pytest.raises(UnreadableFile) as refused:
        read_upload(csv_bytes([["名称"], ["大" * 200_000]], "gbk"))
    assert str(refused.value) == "CSV 文件格式有误（单元格过长或引号不配对），无法读取"


def test_files_over_the_upload_limit_are_refused(settings):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    with pytest.raises(UnreadableFile) as refused:
        read_upload(b"a," * (1024 * 1024 + 1))
    assert str(refused.value) == "文件大小超过上限（2 MB），请拆分后分批导入"
