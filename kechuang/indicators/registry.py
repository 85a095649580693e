"""The registry of indicator sources: named formulas over the platform's own records.

A :class:`Source` turns a region (with everything below it) and a period into a value *and* the records
behind it, so that every figure can be traced to its records (lineage). The app that owns the records
registers the source (``register(Source(...))`` from its ``AppConfig.ready``); an :class:`~kechuang.
indicators.models.Indicator` names its source by ``key``. A source is declarative — a queryset, the date
field that places a record in a period, the path to its region and, for amounts, the field summed — so
one GROUP BY query gives every district's monthly figures for a dashboard, and the same filters give the
rows of a lineage page. The two can never disagree: both are built here from the same definition.

A source sums either a field (``amount_field``: money, in yuan) or an expression per record
(``amount_expression``, e.g. the hours between a booking's actual start and end), whose summed value
``to_figure`` turns into the figure (a duration into hours); it counts its records otherwise.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import Count, Model, QuerySet, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone


@dataclass(frozen=True)
class LineageRow:
    """One record behind a figure, as a lineage page, the API and the export show it."""

    title: str
    url: str
    on: date | None
    region: str
    amount: Decimal | None = None
    note: str = ""
    quantity: Decimal | None = (
        None  # this record's share of a summed figure that is not money (hours)
    )


@dataclass(frozen=True)
class Source:
    """A named formula: ``records()`` filtered to a region subtree and a period, counted or summed."""

    key: str
    label: Any  # lazy translated name
    queryset: Callable[[], QuerySet]
    date_field: str  # DateField or DateTimeField that places a record in a month
    region_field: str  # path to the record's Region, e.g. "organization__region"
    row: Callable[[Model], LineageRow]
    amount_field: str | None = None  # summed (yuan) when set; records are counted otherwise
    money: bool = False
    owner: str = ""  # the app whose records these are
    # Summed instead of a field: a callable giving a query expression per record (built lazily, so
    # registering needs no database), and what turns the summed value into the figure.
    amount_expression: Callable[[], Any] | None = None
    to_figure: Callable[[Any], Decimal] | None = None
    quantity_label: Any = (
        ""  # the lineage column of ``LineageRow.quantity`` (e.g. 使用机时（小时）)
    )

    @property
    def sums(self) -> bool:
        """Whether the figure is a sum (of money or of a quantity) rather than a count of records."""
        return bool(self.amount_field or self.amount_expression)

    def _aggregate(self):
        if self.amount_expression is not None:
            return Sum(self.amount_expression())
        if self.amount_field:
            return Sum(self.amount_field)
        return Count("pk")

    def _figure(self, raw) -> Decimal:
        if raw is None:
            return Decimal(0)
        if self.to_figure is not None:
            return self.to_figure(raw)
        return Decimal(raw)

    @cached_property
    def is_datetime(self) -> bool:
        field = _resolve_field(self.queryset().model, self.date_field)
        return field.get_internal_type() == "DateTimeField"

    def _bounds(self, start: date, end: date) -> dict:
        if self.is_datetime:
            tz = timezone.get_default_timezone()
            low = timezone.make_aware(datetime.combine(start, time.min), tz)
            high = timezone.make_aware(datetime.combine(end, time.min), tz)
            return {f"{self.date_field}__gte": low, f"{self.date_field}__lt": high}
        return {f"{self.date_field}__gte": start, f"{self.date_field}__lt": end}

    def records(self, region, start: date, end: date) -> QuerySet:
        """The records behind the figure of ``region`` (and below) for ``start`` ≤ date < ``end``."""
        return self.queryset().filter(
            **{f"{self.region_field}__path__startswith": region.path}, **self._bounds(start, end)
        )

    def value(self, region, start: date, end: date) -> Decimal:
        """The figure itself: the count of :meth:`records`, or the sum of ``amount_field``."""
        qs = self.records(region, start, end)
        if not self.sums:
            return Decimal(qs.count())
        return self._figure(qs.aggregate(v=self._aggregate())["v"])

    def monthly(self, regions_path: str, year: int) -> dict[tuple[str, int], Decimal]:
        """Every region's figure per month of ``year`` below ``regions_path``, in one query:
        ``{(region path, month): value}`` for the regions that have records."""
        qs = self.queryset().filter(
            **{f"{self.region_field}__path__startswith": regions_path},
            **self._bounds(date(year, 1, 1), date(year + 1, 1, 1)),
        )
        tz = timezone.get_default_timezone() if self.is_datetime else None
        kwargs = {"tzinfo": tz} if tz else {}
        grouped = (
            qs.annotate(_m=ExtractMonth(self.date_field, **kwargs))
            .values(f"{self.region_field}__path", "_m")
            .annotate(v=self._aggregate())
            .order_by()
        )
        out: dict[tuple[str, int], Decimal] = {}
        for row in grouped:
            key = (row[f"{self.region_field}__path"], row["_m"])
            out[key] = out.get(key, Decimal(0)) + self._figure(row["v"])
        return out


def _resolve_field(model, path: str):
    parts = path.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(parts[-1])


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    """Register ``source`` under its key (registering the same key again replaces it: reloads in tests)."""
    _SOURCES[source.key] = source
    return source


def get(key: str) -> Source | None:
    return _SOURCES.get(key)


def all_sources() -> list[Source]:
    return sorted(_SOURCES.values(), key=lambda s: s.key)


def choices() -> list[tuple[str, Any]]:
    return [(s.key, s.label) for s in all_sources()]
