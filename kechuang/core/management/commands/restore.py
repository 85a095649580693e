"""``kechuang restore FOLDER``: replace the database and the uploads with a backup (kechuang/core/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from kechuang.core import backup


class Command(BaseCommand):
    help = "Replace the database and the uploaded files with a backup made by `kechuang backup`."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="a backup folder made by `kechuang backup`")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--no-reindex", action="store_true", help="do not rebuild the search index afterwards"
        )

    def handle(self, *args, folder, yes, no_reindex, **options):
        path = Path(folder)
        try:
            manifest = backup.check(path)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        name = connection.settings_dict["NAME"]
        self.stdout.write(
            _("备份时间 %(t)s，将替换数据库 %(db)s 和全部上传文件。")
            % {"t": manifest.created_display, "db": name}
        )
        if not yes and input(_("确认恢复？输入 yes 继续：")).strip().lower() != "yes":
            raise CommandError(_("已取消，未做任何更改。"))
        try:
            backup.restore(path, reindex=not no_reindex, checked=manifest)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(_("恢复完成。"))
