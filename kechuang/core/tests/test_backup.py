"""``kechuang backup`` / ``kechuang restore`` round trips on the database under test (SQLite's backup API,
or pg_dump/pg_restore on PostgreSQL) with real uploads, and refuse a damaged, foreign or newer backup
before touching anything."""

import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kechuang.core import backup
from kechuang.core.models import AuditEntry, Region

# transaction=True: the restore replaces the database, which a test transaction would not survive.
pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n% \xe6\x96\xb9\xe6\xa1\x88\n" + bytes(range(256)) * 40


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "demands").mkdir(parents=True)
    (settings.MEDIA_ROOT / "demands" / "技术方案.pdf").write_bytes(PDF)
    return settings.MEDIA_ROOT


def media_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def regions() -> list[tuple[str, str]]:
    return sorted(Region.objects.values_list("code", "name"))


@pytest.fixture
def made(media, tmp_path) -> Path:
    Region.objects.create(code="330381", name="瑞安市", level=Region.Level.DISTRICT)
    Region.objects.create(code="310114", name="嘉定区", level=Region.Level.DISTRICT)
    return backup.create(tmp_path / "backups", now=datetime(2026, 12, 6, 4, 0, tzinfo=UTC))


def change_everything(media: Path) -> None:
    Region.objects.filter(code="330381").update(name="改名后的瑞安")
    Region.objects.filter(code="310114").delete()
    Region.objects.create(code="110000", name="北京市", level=Region.Level.PROVINCE)
    (media / "demands" / "技术方案.pdf").unlink()
    (media / "后来上传.txt").write_text("备份之后的文件")


def test_a_backup_is_one_checked_folder(made):
    assert made.name == "kechuang-20261206-120000"  # Asia/Shanghai
    manifest = json.loads((made / "manifest.json").read_text("utf-8"))
    assert manifest["format"] == 1
    assert manifest["vendor"] == connection.vendor
    assert "core.0010_worker_heartbeat" in manifest["migrations"]
    assert set(manifest["files"]) == {"database.dump", "media.tar.gz"}
    for name, info in manifest["files"].items():
        assert info["bytes"] == (made / name).stat().st_size > 0
    assert not list(made.parent.glob("*.partial"))


def test_a_restore_brings_back_the_records_and_exactly_the_uploads(made, media):
    change_everything(media)
    out = StringIO()
    call_command("restore", str(made), "--yes", "--no-reindex", stdout=out)

    assert "备份时间 2026-12-06 12:00" in out.getvalue()
    assert regions() == [("310114", "嘉定区"), ("330381", "瑞安市")]
    assert media_files(media) == {"demands/技术方案.pdf": PDF}
    entry = AuditEntry.objects.get(action="core.backup.restore")
    assert (entry.target_type, entry.target_id) == ("core.backup", "kechuang-20261206-120000")
    assert entry.summary == "从 2026-12-06 12:00 的备份恢复"


def refused(folder: Path, media: Path, message: str) -> None:
    before_rows, before_files = regions(), media_files(media)
    with pytest.raises(CommandError) as error:
        call_command("restore", str(folder), "--yes", "--no-reindex", stdout=StringIO())
    assert message in str(error.value)
    assert regions() == before_rows
    assert media_files(media) == before_files
    assert not AuditEntry.objects.filter(action="core.backup.restore").exists()


def test_a_damaged_file_is_refused_before_anything_changes(made, media):
    change_everything(media)
    dump = made / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    refused(made, media, "备份文件 database.dump 缺失或已损坏（校验值不符）。")


def test_a_backup_of_a_newer_release_is_refused(made, media):
    change_everything(media)
    manifest = json.loads((made / "manifest.json").read_text("utf-8"))
    manifest["migrations"].append("core.9999_from_the_future")
    (made / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    refused(
        made,
        media,
        "备份来自更新的版本（本版本没有迁移 core.9999_from_the_future），请先升级平台再恢复。",
    )


def test_a_backup_of_another_database_vendor_is_refused(made, media):
    manifest = json.loads((made / "manifest.json").read_text("utf-8"))
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    manifest["vendor"] = other
    (made / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    refused(
        made, media, f"这是 {other} 数据库的备份，当前平台使用 {connection.vendor}，不能直接恢复。"
    )


def test_an_unfinished_backup_or_another_folder_is_refused(made, media, tmp_path):
    partial = made.rename(made.with_name(made.name + ".partial"))
    refused(partial, media, "是未写完的备份，不能恢复。")
    (tmp_path / "随便一个文件夹").mkdir()
    refused(tmp_path / "随便一个文件夹", media, "不是平台备份：缺少或无法读取 manifest.json。")
