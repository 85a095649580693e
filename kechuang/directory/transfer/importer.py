"""The import service: a spreadsheet of one record type into the directory, all or nothing.

:func:`import_records` checks every row — cells, the model's own validation, permissions, duplicates inside
the file — and collects every problem by row and column before it writes anything. If there is any problem
nothing is written; otherwise every row is created or updated by its natural key in one transaction, rows
whose values are unchanged are left alone (so importing the same file twice changes nothing the second
time), and one audit row records the import.

Imports of one record type are serialised: the check and the write run in one transaction holding that
type's lock, so two operators importing the same new records at once get one copy — the second import
waits, then finds the first's records and updates (or leaves) them.
"""

import uuid
import zlib
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import is_operator, managed_regions
from kechuang.core.models import AuditEntry
from kechuang.core.spreadsheet_cells import unguard
from kechuang.directory.events import DirectoryEvent
from kechuang.directory.models import Expert
from kechuang.directory.services import vouch_expert_email
from kechuang.directory.transfer.cells import CellError
from kechuang.directory.transfer.readers import HEADER_SEARCH_ROWS, Sheet
from kechuang.directory.transfer.specs import (
    QUERY_CHUNK,
    HeaderMatch,
    Lookups,
    OrganizationColumn,
    RecordSpec,
)

Progress = Callable[[str, int, int], None]  # (stage, rows done, rows in all)

# Stages reported to ``progress``.
CHECKING = "checking"
WRITING = "writing"


@dataclass(frozen=True)
class RowError:
    """One problem: the row number as the sheet shows it (``None`` for the file as a whole), the column
    header (``""`` for the whole row) and a message in Chinese."""

    row: int | None
    column: str
    message: str


@dataclass
class ImportReport:
    """What an import did, or — for a dry run or a refused file — would have done."""

    record_type: str
    dry_run: bool
    import_id: str = ""
    sheet: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ImportReport":
        errors = [RowError(**error) for error in data.get("errors", [])]
        return cls(**{**data, "errors": errors})


@dataclass
class _Row:
    number: int
    values: dict[str, Any] = field(default_factory=dict)  # field → parsed value
    many: dict[str, list[int]] = field(default_factory=dict)  # many-to-many field → ids
    bad_fields: set[str] = field(default_factory=set)
    errors: list[RowError] = field(default_factory=list)
    existing: models.Model | None = None
    record: models.Model | None = None
    action: str = ""  # create | update | unchanged

    def error(self, column: str, message: str, field_name: str | None = None) -> None:
        self.errors.append(RowError(self.number, column, str(message)))
        if field_name:
            self.bad_fields.add(field_name)


def find_header(spec: RecordSpec, sheets: list[Sheet]) -> tuple[Sheet, int, HeaderMatch]:
    """The first sheet and header block holding every required column of ``spec``; if none does, the
    closest one (most columns recognised), whose ``missing`` list says what is absent."""
    best: tuple[Sheet, int, HeaderMatch] | None = None
    for sheet in sheets:
        for start in range(min(HEADER_SEARCH_ROWS, len(sheet.rows))):
            end, names = sheet.header_names(start)
            match = spec.match_headers(names)
            if not match.missing:
                return sheet, end, match
            if best is None or len(match.positions) > len(best[2].positions):
                best = (sheet, end, match)
    if best is None:
        empty = spec.match_headers([])
        return Sheet(name="", rows=[]), 0, empty
    return best


def import_records(
    user,
    spec: RecordSpec,
    sheets: list[Sheet],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    import_id: str = "",
) -> ImportReport:
    """Import the rows of ``sheets`` as records of ``spec``'s type on behalf of ``user``.

    Only operators import, and only rows in regions they operate (superusers: all). Guarantees: if the
    report has errors, nothing was written; otherwise all rows were written in one transaction with one
    audit row (``directory.import``). ``dry_run`` checks everything and counts what would change, writing
    nothing.
    """
    if not is_operator(user):
        raise PermissionDenied(_("只有运营人员可以导入资源库数据"))
    report = ImportReport(
        record_type=spec.name, dry_run=dry_run, import_id=import_id or uuid.uuid4().hex
    )
    sheet, header_end, match = find_header(spec, sheets)
    report.sheet = sheet.name
    report.ignored_columns = match.ignored
    header_row = header_end + 1 if sheet.rows else None
    for header in match.missing:
        report.errors.append(RowError(header_row, header, _("缺少必填列")))
    for header in match.duplicated:
        report.errors.append(RowError(header_row, header, _("该列出现了不止一次")))
    if report.errors:
        return report

    columns = [(spec.column(name), position) for name, position in match.positions.items()]
    raw_rows = [
        (index + 1, [sheet.cell(index, position).strip() for _column, position in columns])
        for index in range(header_end + 1, len(sheet.rows))
    ]
    raw_rows = [(number, cells) for number, cells in raw_rows if any(cells)]
    report.rows = len(raw_rows)
    if not raw_rows:
        report.errors.append(RowError(None, "", _("文件中没有数据行")))
        return report

    rows: list[_Row] = []
    try:
        # A real import checks and writes in one transaction under its record type's lock (see
        # :func:`_serialise`), so a concurrent import of the same records waits and then matches them.
        with transaction.atomic() if not dry_run else nullcontext():
            if not dry_run:
                _serialise(spec)
            rows = _check(user, spec, columns, raw_rows, report, progress)
            if not report.errors and not dry_run:
                _write(user, spec, rows, report, progress)
    except IntegrityError:
        # Someone saved a record with the same unique key outside an import (an edit page) between the
        # check and the write: nothing was written, and the rows it concerns say so.
        conflicts = _conflicts(spec, rows)
        if not conflicts:
            raise
        report.errors.extend(conflicts)
    return report


def _serialise(spec: RecordSpec) -> None:
    """Wait for, and hold until the transaction ends, the lock of ``spec``'s record type, so that two imports
    of one type run one after the other and the second sees what the first created. A PostgreSQL
    transaction-level advisory lock; on SQLite the IMMEDIATE transaction mode already serialises writers."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"kechuang.directory.import:{spec.name}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _check(user, spec: RecordSpec, columns, raw_rows, report: ImportReport, progress) -> list[_Row]:
    """Parse, match and validate every row, adding their problems and counts to ``report``."""
    lookups = Lookups()
    owner_positions = [
        i for i, (column, _position) in enumerate(columns) if isinstance(column, OrganizationColumn)
    ]
    lookups.load_organizations(cells[i] for _number, cells in raw_rows for i in owner_positions)
    managed = set(managed_regions(user).values_list("pk", flat=True))

    rows = [_parse_row(spec, columns, number, cells, lookups) for number, cells in raw_rows]
    existing = _existing_records(spec, rows)
    seen_keys: dict[tuple, int] = {}
    seen_records: dict[int, int] = {}
    for done, row in enumerate(rows, start=1):
        _match_existing(spec, row, existing, seen_keys, seen_records)
        _default_region(spec, row, lookups)
        _check_region(spec, row, managed, lookups)
        _plan(spec, row)
        report.errors.extend(row.errors)
        if progress:
            progress(CHECKING, done, len(rows))

    for row in rows:
        if row.errors:
            continue
        if row.action == "create":
            report.created += 1
        elif row.action == "update":
            report.updated += 1
        elif row.action == "unchanged":
            report.unchanged += 1
    return rows


def _write(user, spec: RecordSpec, rows: list[_Row], report: ImportReport, progress) -> None:
    """Save the checked rows and the import's audit row (inside the caller's transaction)."""
    to_write = [row for row in rows if row.action in {"create", "update"}]
    for done, row in enumerate(to_write, start=1):
        if isinstance(row.record, Expert):
            stored = (
                type(row.record).objects.filter(pk=row.record.pk).values_list("email", flat=True)
                if row.record.pk
                else []
            )
            vouch_expert_email(user, row.record, email_changed=list(stored) != [row.record.email])
        row.record.save()
        for field_name, value in row.many.items():
            if row.action == "update" or value:
                spec.column(field_name).save(row.record, value)
        if progress:
            progress(WRITING, done, len(to_write))
    AuditEntry.objects.create(
        actor=user,
        action=DirectoryEvent.RECORD_IMPORT,
        # An import targets a record type, not one record: the import id names it.
        target_type=spec.model._meta.label_lower,
        target_id=report.import_id,
        summary=_("导入%(label)s：新增%(created)d条，更新%(updated)d条，未变%(unchanged)d条")
        % {
            "label": spec.label,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
        },
        data={
            "sheet": report.sheet,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
        },
    )


def _conflicts(spec: RecordSpec, rows: list[_Row]) -> list[RowError]:
    """The rows to be written whose natural key another record took after the check."""
    written = [row for row in rows if row.action in {"create", "update"}]
    existing = _existing_records(spec, written)
    errors = []
    for row in written:
        for position, key in enumerate(spec.keys):
            if any(row.values.get(name) in (None, "") for name in key.requires):
                continue
            taken = [
                record
                for record in existing[position].get(key.of_values(row.values), [])
                if row.existing is None or record.pk != row.existing.pk
            ]
            if taken:
                errors.append(
                    RowError(
                        row.number,
                        spec.header_for(key.fields[0]),
                        _(
                            "该%(label)s刚由他人录入（%(headers)s相同），本次未导入任何数据，请重新导入"
                        )
                        % {
                            "label": spec.label,
                            "headers": "、".join(spec.header_for(name) for name in key.fields),
                        },
                    )
                )
                break
    return errors


def _parse_row(spec: RecordSpec, columns, number: int, cells: list[str], lookups: Lookups) -> _Row:
    row = _Row(number)
    for (column, _position), text in zip(columns, cells, strict=True):
        text = unguard(text)  # the guard our exports put before formula-like text
        try:
            if not text:
                if column.required:
                    raise CellError(_("此列为必填项"))
                value = column.blank(spec.model)
            else:
                value = column.parse(text, lookups, spec.model)
        except CellError as error:
            row.error(column.header, str(error), column.field)
            continue
        if column.many:
            row.many[column.field] = value
        else:
            row.values[column.field] = value
    return row


def _existing_records(spec: RecordSpec, rows: list[_Row]) -> list[dict[tuple, list[models.Model]]]:
    """For each natural key of ``spec``: key → the existing records with that key."""
    indexes = []
    for key in spec.keys:
        first = key.fields[0]
        wanted = {
            _query_value(row.values[first])
            for row in rows
            if row.values.get(first) is not None and first not in row.bad_fields
        }
        wanted_list = sorted(wanted, key=str)
        index: dict[tuple, list[models.Model]] = {}
        for start in range(0, len(wanted_list), QUERY_CHUNK):
            chunk = wanted_list[start : start + QUERY_CHUNK]
            queryset = (
                spec.model.objects.filter(**{f"{first}__in": chunk}, **key.where)
                .select_related(*spec.select_related)
                .prefetch_related(*spec.prefetch)
            )
            for record in queryset:
                index.setdefault(key.of_record(record), []).append(record)
        indexes.append(index)
    return indexes


def _query_value(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def _match_existing(spec, row: _Row, existing, seen_keys, seen_records) -> None:
    """Find the row's record by the first natural key that applies, or — when that finds none — by a later
    key that ``fills_in`` the first (a record gaining its credit code); flag duplicates within the file."""
    missed = False  # an earlier key applied and found no record
    for position, key in enumerate(spec.keys):
        if missed and not key.fills_in:
            continue
        if any(row.values.get(name) in (None, "") for name in key.requires):
            continue
        if any(name in row.bad_fields for name in key.fields):
            return
        headers = "、".join(spec.header_for(name) for name in key.fields)
        value = key.of_values(row.values)
        if not missed:
            first = seen_keys.setdefault((position, value), row.number)
            if first != row.number:
                row.error(
                    spec.header_for(key.fields[0]),
                    _("与第%(first)d行重复（%(headers)s相同）")
                    % {"first": first, "headers": headers},
                )
                return
        matches = existing[position].get(value, [])
        if len(matches) > 1:
            row.error(
                spec.header_for(key.fields[0]),
                _("库中有%(n)d条记录的%(headers)s与此行相同，无法确定更新哪一条")
                % {"n": len(matches), "headers": headers},
            )
            return
        if matches:
            row.existing = matches[0]
            first = seen_records.setdefault(row.existing.pk, row.number)
            if first != row.number:
                row.error(
                    spec.header_for(key.fields[0]),
                    _("与第%(first)d行对应同一条已有记录") % {"first": first},
                )
            return
        missed = True


def _default_region(spec: RecordSpec, row: _Row, lookups: Lookups) -> None:
    """A blank 所在区域 keeps an existing record's region and gives a new one its owner's region."""
    if row.values.get("region") is not None or "region" in row.bad_fields:
        return
    row.values.pop("region", None)
    if row.existing is not None:
        return
    owner = row.values.get(spec.region_from) if spec.region_from else None
    if owner is not None:
        row.values["region"] = lookups.regions[owner.region_id]
    elif spec.region_from in row.bad_fields:
        row.bad_fields.add("region")  # already reported against the owner column
    else:
        row.error(spec.header_for("region"), _("此列为必填项"), "region")


def _check_region(spec: RecordSpec, row: _Row, managed: set[int], lookups: Lookups) -> None:
    """Operators import only into regions they operate, and update only records in those regions."""
    region = row.values.get("region")
    header = spec.header_for("region")
    if region is not None and region.pk not in managed:
        row.error(header, _("无权管理该区域"), "region")
    elif row.existing is not None and row.existing.region_id not in managed:
        row.error(
            header,
            _("已有记录属于%(region)s，无权管理该区域")
            % {"region": lookups.regions[row.existing.region_id].name},
            "region",
        )


def _plan(spec: RecordSpec, row: _Row) -> None:
    """Decide create / update / unchanged, and validate what would be written as the model does."""
    if row.existing is not None:
        changed = any(
            spec.column(name).differs(row.existing, value)
            for values in (row.values, row.many)
            for name, value in values.items()
            if name not in row.bad_fields
        )
        row.action = "update" if changed else "unchanged"
    else:
        row.action = "create"
    if row.action == "unchanged" and not row.bad_fields:
        return
    record = row.existing if row.existing is not None else spec.model()
    for name, value in row.values.items():
        setattr(record, name, value)
    # Foreign keys were resolved against rows loaded for this import, and every unique field of the
    # directory is part of a natural key (matched above, duplicates in the file refused), so the
    # per-row queries of Django's foreign-key and unique checks would only repeat what is known.
    resolved = {name for name, value in row.values.items() if isinstance(value, models.Model)}
    try:
        record.full_clean(exclude=sorted(row.bad_fields | resolved), validate_unique=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                row.error(spec.header_for(name), message, name)
    row.record = record
