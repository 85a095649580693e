"""``manage.py export_records TYPE --output FILE``: export directory records (or a blank template)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kechuang.directory.management.commands.import_records import acting_user
from kechuang.directory.transfer import exporter
from kechuang.directory.transfer.specs import SPECS


class Command(BaseCommand):
    help = "Export directory records of one type as .xlsx or .csv (the import template's columns)"

    def add_arguments(self, parser):
        parser.add_argument("record_type", choices=sorted(SPECS))
        parser.add_argument("--output", "-o", type=Path, required=True)
        parser.add_argument(
            "--format", dest="file_format", choices=["xlsx", "csv"], help="default: from --output"
        )
        parser.add_argument(
            "--user", help="export what this user may manage (default: a superuser)"
        )
        parser.add_argument("--template", action="store_true", help="write the blank template")

    def handle(self, *args, record_type, output, file_format, user, template, **options):
        file_format = file_format or output.suffix.lstrip(".").lower()
        if file_format not in {"xlsx", "csv"}:
            raise CommandError("give --format xlsx|csv or an --output ending in .xlsx or .csv")
        spec = SPECS[record_type]
        if template:
            data = exporter.template(spec, file_format)
        else:
            data = exporter.export(acting_user(user), spec, file_format)
        output.write_bytes(data)
        self.stdout.write(f"{output} ({len(data)} bytes)")
