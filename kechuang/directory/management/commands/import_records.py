"""``manage.py import_records TYPE FILE``: import a spreadsheet into the directory from the command line.

Runs the same all-or-nothing service as the import page, with a progress bar, prints the report and exits
with status 1 when the file has problems (nothing is written then).
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kechuang.directory.transfer.importer import ImportReport, import_records
from kechuang.directory.transfer.readers import UnreadableFile, read_upload
from kechuang.directory.transfer.specs import SPECS


def acting_user(username: str | None):
    """The named user, or the first superuser when no name is given."""
    users = get_user_model().objects
    if username:
        try:
            return users.get(username=username)
        except users.model.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
    user = users.filter(is_superuser=True).order_by("pk").first()
    if user is None:
        raise CommandError("no superuser exists; create one or pass --user")
    return user


def format_report(report: ImportReport) -> list[str]:
    """The report as lines of text: a summary, then one line per problem (行, 列, 问题)."""
    verb = "校验" if report.dry_run else "导入"
    lines = [
        f"{verb}{'通过' if report.ok else '未通过'}：共 {report.rows} 行，"
        f"新增 {report.created}，更新 {report.updated}，不变 {report.unchanged}"
    ]
    if report.ignored_columns:
        lines.append("已忽略未识别的列：" + "、".join(report.ignored_columns))
    for error in report.errors:
        row = f"第{error.row}行" if error.row else "文件"
        column = f"“{error.column}”" if error.column else ""
        lines.append(f"  {row} {column}：{error.message}")
    if report.errors:
        lines.append(f"发现 {len(report.errors)} 个问题，未写入任何数据。")
    return lines


class Command(BaseCommand):
    help = "Import organisations, experts, achievements, instruments, services or platforms from .xlsx/.csv"

    def add_arguments(self, parser):
        parser.add_argument("record_type", choices=sorted(SPECS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", help="act as this user (default: the first superuser)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )

    def handle(self, *args, record_type, file, user, dry_run, **options):
        acting = acting_user(user)
        try:
            sheets = read_upload(file.read_bytes())
        except (OSError, UnreadableFile) as error:
            raise CommandError(str(error)) from error
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                label = {"checking": "校验", "writing": "写入"}[stage]
                bar = bars[stage] = tqdm(total=total, desc=label, unit="行", file=self.stderr)
            bar.update(done - bar.n)

        report = import_records(
            acting, SPECS[record_type], sheets, dry_run=dry_run, progress=progress
        )
        for bar in bars.values():
            bar.close()
        for line in format_report(report):
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(f"{len(report.errors)} problem(s); nothing was written")
