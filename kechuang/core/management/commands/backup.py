"""``kechuang backup [FOLDER]``: the database and the uploads in one checked folder (kechuang/core/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kechuang.core import backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into one folder with a manifest."

    def add_arguments(self, parser):
        parser.add_argument(
            "folder", nargs="?", help="where to put the backup (default BACKUP_DIR)"
        )

    def handle(self, *args, folder, **options):
        try:
            path = backup.create(Path(folder) if folder else None)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        manifest = backup.Manifest.read(path)
        size = sum(f["bytes"] for f in manifest.files.values())
        self.stdout.write(f"{path}  ({size / 1024 / 1024:.1f} MB)")
        return None
