"""The import/export pages and commands: upload → check → confirm → report, polling, downloads."""

import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from kechuang.accounts.factories import UserFactory
from kechuang.directory.models import Organization
from kechuang.directory.tests.transfer_world import build_world, code, csv_bytes
from kechuang.directory.transfer import tasks

pytestmark = pytest.mark.django_db

GOOD = [
    ["名称", "统一社会信用代码", "类型", "所在区域"],
    ["甲公司", code(1), "企业", "瑞安市"],
    ["乙大学", code(2), "高校", "鹿城区"],
]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    return build_world()


def upload(client, rows, action="check", record_type="organizations", name="机构.csv"):
    data = io.BytesIO(csv_bytes(rows, "gbk"))
    data.name = name
    return client.post(
        reverse("transfer:upload"), {"record_type": record_type, "file": data, "action": action}
    )


def test_check_then_confirm_imports_the_checked_file(client, world, tmp_path):
    client.force_login(world.operator)

    checked = upload(client, GOOD)
    assert checked.status_code == 302
    page = client.get(checked["Location"]).content.decode()
    assert "校验通过：共 2 行，导入后将新增 2 条、更新 0 条，0 条不变。" in page
    assert Organization.objects.count() == 0

    confirm_url = checked["Location"] + "confirm/"
    imported = client.post(confirm_url)
    page = client.get(imported["Location"]).content.decode()
    assert "导入完成：共 2 行，新增 2 条、更新 0 条，0 条不变。" in page
    assert sorted(Organization.objects.values_list("name", flat=True)) == ["乙大学", "甲公司"]
    assert list((tmp_path / "transfer").iterdir()) == []

    again = client.post(confirm_url, follow=True)
    assert "上传的文件已过期或已导入，请重新上传" in again.content.decode()


def test_a_bad_file_shows_every_problem_by_row_and_column(client, world):
    client.force_login(world.operator)
    rows = [*GOOD, ["丙公司", code(1), "工厂", "火星"]]

    response = client.get(upload(client, rows, action="import")["Location"])

    page = response.content.decode()
    assert "发现 3 个问题，未写入任何数据。" in page
    assert (
        '<td data-label="行">4</td><td data-label="列">统一社会信用代码</td><td data-label="问题">与第2行重复（统一社会信用代码相同）</td>'
        in page
    )
    assert (
        '<td data-label="行">4</td><td data-label="列">所在区域</td><td data-label="问题">未知区域“火星”</td>'
        in page
    )
    assert Organization.objects.count() == 0
    assert 'hx-trigger="every 1s"' not in page


def test_a_file_that_is_not_a_spreadsheet_is_refused_in_the_report(client, world):
    client.force_login(world.operator)
    data = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    data.name = "photo.csv"

    response = client.post(
        reverse("transfer:upload"),
        {"record_type": "organizations", "file": data, "action": "check"},
        follow=True,
    )

    assert (
        '<td data-label="行">—</td><td data-label="列">—</td><td data-label="问题">文件内容是“Portable Network Graphics file”'
        in (response.content.decode())
    )


def test_a_running_import_is_polled_with_htmx(client, world):
    client.force_login(world.operator)
    cache.set(
        tasks.status_key("abc"),
        tasks._status(
            tasks.RUNNING,
            "experts",
            world.operator.pk,
            "p",
            "专家.xlsx",
            False,
            stage="checking",
            done=40,
            total=120,
        ),
    )

    fragment = client.get(reverse("transfer:status", args=["abc"]), HTTP_HX_REQUEST="true")

    html = fragment.content.decode()
    assert "<html" not in html
    assert 'hx-trigger="every 1s"' in html
    assert "校验中" in html and "40 / 120" in html
    assert '<progress value="40" max="120">' in html
    client.force_login(world.outsider)
    assert client.get(reverse("transfer:status", args=["abc"])).status_code == 404


def test_only_operators_reach_the_import_page(client, world):
    assert client.get(reverse("transfer:index")).status_code == 302
    client.force_login(UserFactory(password=None))
    assert client.get(reverse("transfer:index")).status_code == 403
    assert upload(client, GOOD).status_code == 403
    client.force_login(world.operator)
    page = client.get(reverse("transfer:index")).content.decode()
    assert reverse("transfer:template", args=["instruments", "xlsx"]) in page


def test_template_and_export_downloads(client, world):
    client.force_login(world.operator)
    upload(client, GOOD, action="import")

    template = client.get(reverse("transfer:template", args=["organizations", "xlsx"]))
    export = client.get(reverse("transfer:export", args=["organizations", "csv"]))

    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in template["Content-Disposition"]
    assert load_workbook(io.BytesIO(template.content)).sheetnames == ["机构", "填写说明"]
    lines = export.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 3 and lines[0].startswith("名称,统一社会信用代码,类型")
    assert client.get(reverse("transfer:export", args=["organizations", "pdf"])).status_code == 404
    assert client.get(reverse("transfer:export", args=["widgets", "csv"])).status_code == 404


def test_commands_import_with_a_report_and_export(world, tmp_path, capsys):
    good, bad, out = tmp_path / "good.csv", tmp_path / "bad.csv", tmp_path / "out.xlsx"
    good.write_bytes(csv_bytes(GOOD, "gbk"))
    bad.write_bytes(csv_bytes([*GOOD, ["丙", code(3), "企业", "火星"]], "gbk"))

    call_command("import_records", "organizations", str(good), "--dry-run")
    assert Organization.objects.count() == 0
    call_command("import_records", "organizations", str(good), "--user", "wz-operator")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_records", "organizations", str(bad))
    call_command("export_records", "organizations", "--output", str(out))

    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "校验通过：共 2 行，新增 2，更新 0，不变 0"
    assert printed[1] == "导入通过：共 2 行，新增 2，更新 0，不变 0"
    assert printed[2:4] == [
        "导入未通过：共 3 行，新增 0，更新 0，不变 2",
        "  第4行 “所在区域”：未知区域“火星”",
    ]
    assert Organization.objects.count() == 2
    rows = list(load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 3


@pytest.mark.browser
def test_operator_checks_and_imports_a_gbk_file_in_the_browser(
    page, live_server, world, tmp_path, artifacts_dir
):
    operator = UserFactory(username="wz-browser")
    operator.mandates.create(region=world.wenzhou)
    csv_file = tmp_path / "温州机构名录.csv"
    csv_file.write_bytes(csv_bytes(GOOD, "gbk"))

    page.goto(f"{live_server.url}/accounts/login/?next=/manage/transfer/")
    page.fill("input[name=username]", "wz-browser")
    page.fill("input[name=password]", "kechuang-test-pw")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/manage/transfer/")
    page.select_option("select[name=record_type]", "organizations")
    page.set_input_files("input[name=file]", str(csv_file))
    page.click("button[value=check]")
    page.get_by_text("校验通过：共 2 行").wait_for()
    assert Organization.objects.count() == 0
    page.click("text=确认导入")
    page.get_by_text("导入完成：共 2 行，新增 2 条").wait_for()
    page.screenshot(path=str(artifacts_dir / "transfer-import.png"), full_page=True)
    assert Organization.objects.count() == 2


def test_uploads_over_the_limit_are_refused_before_they_are_stored(
    client, world, settings, tmp_path
):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client.force_login(world.operator)

    response = upload(client, [*GOOD, ["大" * 600_000, code(3), "企业", "瑞安市"]])

    assert response.status_code == 400
    assert "文件大小超过上限（1 MB），请拆分后分批导入" in response.content.decode()
    assert not (tmp_path / "transfer").exists()
