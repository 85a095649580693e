"""Backups of the whole platform — the database and the uploaded files — and their restore.

``kechuang backup [FOLDER]`` writes one folder ``kechuang-YYYYMMDD-HHMMSS`` (Asia/Shanghai; under ``BACKUP_DIR`` unless a
folder is given) holding the database (``pg_dump --format=custom`` on PostgreSQL; SQLite's online backup
API, safe while the platform runs), the uploads as ``media.tar.gz`` (django-dbbackup's ``dbbackup`` and
``mediabackup`` do the work) and ``manifest.json``: when, from which database vendor, the migrations the
database had, and each file's size and SHA-256. The folder is written as ``….partial`` and renamed when
complete, so a folder without that suffix is a whole backup.

``kechuang restore FOLDER`` checks the manifest first — the vendor is this platform's, every file is
intact, every migration is one this release knows — and refuses with a reason before touching anything.
It then replaces the database (``pg_restore --clean --single-transaction``: all or nothing; on SQLite the
backup API copies every page into the open database, which WAL readers see as one commit), puts the uploads
back exactly as they were (files added since are set aside, then removed), applies the migrations of this
release (a backup from an earlier one is brought forward), records an audit row and rebuilds the search
index. Stop the web and task processes first: they would write into a database being replaced.
"""

import hashlib
import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from shutil import copyfileobj
from tempfile import NamedTemporaryFile

from dbbackup.db.sqlite import SqliteBackupConnector
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kechuang.core.events import CoreEvent
from kechuang.core.models import AuditEntry

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILE = "database.dump"
MEDIA_FILE = "media.tar.gz"


class BackupError(Exception):
    """A backup that cannot be restored here, with the reason in the reader's language."""


class SqliteOnlineConnector(SqliteBackupConnector):
    """django-dbbackup's SQLite connector restores by writing over the database file, which corrupts a
    database in WAL mode that other connections hold open. This one restores through the backup API into
    the open connection, the way the backup was taken."""

    def restore_dump(self, dump):
        self.connection.ensure_connection()
        with NamedTemporaryFile(suffix=".sqlite3") as copy:
            copyfileobj(dump, copy)
            copy.flush()
            source = sqlite3.connect(copy.name)
            try:
                source.backup(self.connection.connection)
            finally:
                source.close()


@dataclass(frozen=True)
class Manifest:
    created_at: str
    vendor: str
    migrations: list[str]
    files: dict[str, dict]

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        try:
            data = json.loads((folder / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            raise BackupError(
                _("%(f)s 不是平台备份：缺少或无法读取 manifest.json。") % {"f": folder}
            ) from None
        if data.get("format") != FORMAT:
            raise BackupError(_("备份格式 %(v)s 不受本版本支持。") % {"v": data.get("format")})
        return cls(data["created_at"], data["vendor"], data["migrations"], data["files"])

    @property
    def created_display(self) -> str:
        """When the backup was made, as the platform shows times (Asia/Shanghai, 2026-12-06 12:27)."""
        created = timezone.localtime(datetime.fromisoformat(self.created_at))
        return formats.date_format(created, "SHORT_DATETIME_FORMAT")


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _applied_migrations() -> list[str]:
    return sorted(
        f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
    )


def create(folder: Path | None = None, *, now: datetime | None = None) -> Path:
    """Write a backup folder under ``folder`` (``BACKUP_DIR`` by default); returns its path."""
    now = now or timezone.now()
    parent = Path(folder or settings.BACKUP_DIR)
    final = parent / f"kechuang-{timezone.localtime(now):%Y%m%d-%H%M%S}"  # Asia/Shanghai
    if final.exists():
        raise BackupError(_("%(f)s 已存在。") % {"f": final})
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        call_command("dbbackup", "--output-path", str(partial / DATABASE_FILE), verbosity=0)
        Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
        call_command(
            "mediabackup", "--output-path", str(partial / MEDIA_FILE), "--compress", verbosity=0
        )
        files = {
            name: {"bytes": (partial / name).stat().st_size, "sha256": _digest(partial / name)}
            for name in (DATABASE_FILE, MEDIA_FILE)
        }
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "vendor": connection.vendor,
            "migrations": _applied_migrations(),
            "files": files,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1), "utf-8")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def check(folder: Path) -> Manifest:
    """The backup's manifest, once everything that can be checked before restoring has been; raises
    :class:`BackupError` otherwise."""
    if folder.name.endswith(".partial"):
        raise BackupError(_("%(f)s 是未写完的备份，不能恢复。") % {"f": folder})
    manifest = Manifest.read(folder)
    if manifest.vendor != connection.vendor:
        raise BackupError(
            _("这是 %(b)s 数据库的备份，当前平台使用 %(c)s，不能直接恢复。")
            % {"b": manifest.vendor, "c": connection.vendor}
        )
    for name, expected in manifest.files.items():
        path = folder / name
        if not path.is_file() or _digest(path) != expected["sha256"]:
            raise BackupError(_("备份文件 %(n)s 缺失或已损坏（校验值不符）。") % {"n": name})
    known = {f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations}
    unknown = sorted(set(manifest.migrations) - known)
    if unknown:
        raise BackupError(
            _("备份来自更新的版本（本版本没有迁移 %(m)s），请先升级平台再恢复。")
            % {"m": "、".join(unknown[:3])}
        )
    return manifest


def restore(folder: Path, *, reindex: bool = True, checked: Manifest | None = None) -> Manifest:
    """Replace the database and the uploads with the backup in ``folder`` (see the module's text);
    ``checked`` is the manifest :func:`check` already returned for it (the files are not read twice)."""
    manifest = checked or check(folder)
    connections.close_all()
    call_command("dbrestore", "--input-path", str(folder / DATABASE_FILE), "--noinput", verbosity=0)
    _restore_media(folder / MEDIA_FILE)
    connections.close_all()
    call_command("migrate", verbosity=0)
    AuditEntry.objects.create(
        action=CoreEvent.BACKUP_RESTORE,
        target_type="core.backup",
        target_id=folder.name[:40],
        summary=_("从 %(created)s 的备份恢复") % {"created": manifest.created_display},
        data={"created_at": manifest.created_at, "files": manifest.files},
    )
    if reindex:
        call_command("search_index", "rebuild")
    return manifest


def _restore_media(archive: Path) -> None:
    """The uploads exactly as in the backup: the current folder is set aside while the archive is
    unpacked into a new one, and put back if that fails."""
    media = Path(settings.MEDIA_ROOT)
    aside = media.with_name(media.name + ".before-restore")
    shutil.rmtree(aside, ignore_errors=True)
    if media.exists():
        media.rename(aside)
    media.mkdir(parents=True)
    try:
        call_command(
            "mediarestore",
            "--input-path",
            str(archive),
            "--uncompress",
            "--noinput",
            "--replace",
            verbosity=0,
        )
    except BaseException:
        shutil.rmtree(media, ignore_errors=True)
        if aside.exists():
            aside.rename(media)
        raise
    shutil.rmtree(aside, ignore_errors=True)
