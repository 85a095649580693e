"""Add-a-row inputs for structured lists people type into a form (a task's indicators, a team, a plan):
one form field whose cleaned value is a list of dicts, shown as a table of inputs, one column per
:class:`Column`. ``core/static/js/rows.js`` adds and removes rows; without scripts the table offers a
fixed number of blank rows, so the form still works. Blank rows are ignored; every other row is checked
and each problem is reported with its row number, in the interface language."""

import datetime
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core.params import date_out_of_range

MAX_NUMBER = Decimal("1e12")


@dataclass(frozen=True)
class Column:
    """One input of a row. ``kind`` is ``text``, ``decimal``, ``integer``, ``date`` or ``choice``
    (``choices``: value, label pairs; a choice alone never makes a row non-blank). ``size`` is the
    input's width class: ``narrow``, ``normal`` or ``wide``."""

    name: str
    label: str
    kind: str = "text"
    required: bool = True
    placeholder: str = ""
    choices: tuple = field(default_factory=tuple)
    max_length: int | None = None
    min_value: Decimal | int | None = None
    size: str = "normal"

    def parse(self, raw: str):
        """The typed value of ``raw`` (stripped, not empty); ``ValueError`` with the reason otherwise."""
        if self.kind == "text":
            if self.max_length and len(raw) > self.max_length:
                raise ValueError(
                    _("“%(label)s”最多 %(n)d 个字") % {"label": self.label, "n": self.max_length}
                )
            return raw
        if self.kind == "choice":
            if raw not in {str(value) for value, _label in self.choices}:
                raise ValueError(_("请选择“%(label)s”") % {"label": self.label})
            return raw
        if self.kind == "date":
            try:
                day = datetime.date.fromisoformat(raw)
            except ValueError:
                raise ValueError(
                    _("“%(label)s”应为日期，如 2027-06-30") % {"label": self.label}
                ) from None
            if message := date_out_of_range(day):
                raise ValueError(f"“{self.label}”：{message}")
            return day
        number = unicodedata.normalize("NFKC", raw).replace(",", "")
        try:
            value = int(number) if self.kind == "integer" else Decimal(number)
        except (ValueError, InvalidOperation):
            message = (
                _("“%(label)s”应为整数") if self.kind == "integer" else _("“%(label)s”应为数字")
            )
            raise ValueError(message % {"label": self.label}) from None
        if self.kind == "decimal" and not value.is_finite():
            raise ValueError(_("“%(label)s”应为数字") % {"label": self.label})
        if (
            abs(value) >= MAX_NUMBER
        ):  # beyond any amount (max_digits=14) or count the platform keeps
            raise ValueError(_("“%(label)s”数值过大") % {"label": self.label})
        if self.min_value is not None and value < self.min_value:
            raise ValueError(
                _("“%(label)s”不能小于 %(min)s") % {"label": self.label, "min": self.min_value}
            )
        return value


def _shown(value) -> str:
    """A stored value as an input shows it."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


class RowsWidget(forms.Widget):
    """A table of inputs named ``<field>-<column>``, one row per item, plus ``blank_rows`` empty rows and a
    ``<template>`` row for the script to copy."""

    template_name = "core/widgets/rows.html"

    class Media:
        js = ["js/rows.js"]

    def __init__(self, columns: tuple[Column, ...], blank_rows: int = 2, add_label="", attrs=None):
        super().__init__(attrs)
        self.columns = columns
        self.blank_rows = blank_rows
        self.add_label = add_label

    def value_from_datadict(self, data, files, name) -> list[dict]:
        values = {c.name: data.getlist(f"{name}-{c.name}") for c in self.columns}
        count = max((len(v) for v in values.values()), default=0)
        return [
            {c.name: (values[c.name][i] if i < len(values[c.name]) else "") for c in self.columns}
            for i in range(count)
        ]

    def value_omitted_from_data(self, data, files, name) -> bool:
        return not any(f"{name}-{c.name}" in data for c in self.columns)

    def id_for_label(self, id_):
        return None  # the table has a caption per column; the field's label names the whole table

    def _cells(self, row: dict) -> list[tuple[Column, str]]:
        return [(c, _shown(row.get(c.name))) for c in self.columns]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = [r for r in (value or []) if not is_blank(self.columns, r)]
        blank = {c.name: (c.choices[0][0] if c.choices else "") for c in self.columns}
        context["widget"].update(
            columns=self.columns,
            rows=[self._cells(r) for r in rows] + [self._cells(blank)] * self.blank_rows,
            blank=self._cells(blank),
            add_label=self.add_label or _("添加一行"),
        )
        return context


def is_blank(columns, row: dict) -> bool:
    """Whether nothing was typed into ``row`` (a choice alone does not count)."""
    return not any(_shown(row.get(c.name)).strip() for c in columns if c.kind != "choice")


class RowsField(forms.Field):
    """A list of rows, each a dict of its columns' typed values (``None``/"" where an optional input is
    empty). ``required`` asks for at least one row."""

    def __init__(
        self, columns: tuple[Column, ...], *, blank_rows: int = 2, add_label="", **kwargs
    ) -> None:
        self.columns = columns
        kwargs.setdefault("widget", RowsWidget(columns, blank_rows, add_label))
        kwargs.setdefault("error_messages", {}).setdefault("required", _("请至少填写一行"))
        super().__init__(**kwargs)

    def clean(self, value) -> list[dict]:
        rows = [r for r in (value or []) if not is_blank(self.columns, r)]
        if not rows:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        cleaned, errors = [], []
        for number, row in enumerate(rows, start=1):
            item = {}
            for column in self.columns:
                raw = str(row.get(column.name, "")).strip()
                if not raw:
                    if column.required:
                        errors.append(
                            _("第 %(n)d 行：请填写“%(label)s”")
                            % {"n": number, "label": column.label}
                        )
                    item[column.name] = "" if column.kind in ("text", "choice") else None
                    continue
                try:
                    item[column.name] = column.parse(raw)
                except ValueError as error:
                    errors.append(_("第 %(n)d 行：%(e)s") % {"n": number, "e": error})
            cleaned.append(item)
        if errors:
            raise forms.ValidationError(errors)
        return cleaned
