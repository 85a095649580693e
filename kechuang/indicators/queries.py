"""Reading indicators: a region's board (each district's figure, target, completion and rank) and the
lineage of any figure (the records behind it).

A board is computed from the records at every read — one GROUP BY query per source and one for all
manual values — so it is never stale; the same source definition gives the lineage rows, so a figure
and its lineage always agree.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Q, QuerySet
from django.utils import timezone

from kechuang.core.models import Region
from kechuang.indicators import registry
from kechuang.indicators.models import Indicator, ManualValue, Target

CAP = Decimal(
    "1.5"
)  # a figure far over target counts at most 150 % towards a district's overall score
ZERO = Decimal(0)


def ancestors_and_self(region: Region) -> QuerySet[Region]:
    codes = [code for code in region.path.split("/") if code]
    return Region.objects.filter(code__in=codes)


def indicators_for(region: Region) -> QuerySet[Indicator]:
    """The active indicators that apply to ``region``: defined on it or on a region above it."""
    return Indicator.objects.filter(
        region__in=ancestors_and_self(region), active=True
    ).select_related("region")


def units_of(region: Region) -> list[Region]:
    """What a board ranks: the districts of a city (or a province's cities), or the region alone."""
    children = list(Region.objects.filter(parent=region).order_by("code"))
    return children or [region]


@dataclass
class Cell:
    """One unit's figure for one indicator in one year, with its target and how far it is."""

    indicator: Indicator
    region: Region
    months: list[
        Decimal
    ]  # month 1..12 (sum: that month's flow; latest: the value entered, or None)
    actual: Decimal
    target: Decimal | None
    elapsed: int  # months of the year begun so far (12 for past years): the months shown
    completed: int = 12  # months of the year fully over: the pace is measured against these

    @cached_property
    def cumulative(self) -> list[Decimal]:
        out, running = [], ZERO
        for m, value in enumerate(self.months, 1):
            if self.indicator.aggregation == Indicator.Aggregation.LATEST:
                running = value if value is not None else running
            else:
                running += value or ZERO
            out.append(running if m <= self.elapsed else None)
        return out

    @cached_property
    def completion(self) -> Decimal | None:
        return completion(self.indicator, self.actual, self.target)

    @property
    def met(self) -> bool:
        c = self.completion
        return c is not None and c >= 1

    @property
    def exceeded(self) -> bool:
        c = self.completion
        return c is not None and c > 1

    @property
    def behind(self) -> bool:
        """Behind the pace of the year: short of target × months over / 12 for flows, short of target
        for levels."""
        if self.target is None or self.met:
            return False
        if (
            self.indicator.aggregation == Indicator.Aggregation.LATEST
            or self.indicator.direction == "down"
        ):
            return True
        return self.actual < self.target * Decimal(self.completed) / 12

    @property
    def percent(self) -> int | None:
        c = self.completion
        return None if c is None else int((c * 100).to_integral_value())


def effective_target(indicator: Indicator, target: Decimal | None) -> Decimal | None:
    """The target a figure is measured against, ``None`` when there is none (未设目标).

    A target of 0 for a more-is-better indicator asks for nothing, so it means no target: the cell shows
    “未设目标” rather than 100 %, and the indicator leaves the district's overall score and its count
    of indicators met. For a less-is-better indicator 0 is a real target (zero incidents, zero days)."""
    if target is None:
        return None
    if target == 0 and indicator.direction != Indicator.Direction.DOWN:
        return None
    return target


def completion(indicator: Indicator, actual: Decimal, target: Decimal | None) -> Decimal | None:
    target = effective_target(indicator, target)
    if target is None:
        return None
    if indicator.direction == Indicator.Direction.DOWN:
        if actual <= 0:
            return Decimal(1)
        return target / actual
    return actual / target


@dataclass
class UnitSummary:
    region: Region
    cells: list[Cell]
    rank: int = 0

    @property
    def with_target(self) -> list[Cell]:
        return [c for c in self.cells if c.target is not None]

    @property
    def met(self) -> int:
        return sum(c.met for c in self.with_target)

    @property
    def core_exceeded(self) -> int:
        return sum(c.exceeded and c.indicator.is_core for c in self.with_target)

    @property
    def behind(self) -> int:
        return sum(c.behind for c in self.with_target)

    @property
    def score(self) -> Decimal:
        """Mean completion of the indicators with a target, each capped at 150 %, in per cent."""
        cells = self.with_target
        if not cells:
            return ZERO
        total = sum(min(c.completion or ZERO, CAP) for c in cells)
        return (total / len(cells) * 100).quantize(Decimal("0.1"))

    def score_at(self, month: int) -> Decimal | None:
        cells = self.with_target
        if not cells or month > cells[0].elapsed:
            return None
        total = ZERO
        for c in cells:
            value = c.cumulative[month - 1] or ZERO
            total += min(completion(c.indicator, value, c.target) or ZERO, CAP)
        return (total / len(cells) * 100).quantize(Decimal("0.1"))


@dataclass
class Board:
    """A region's indicators for a year: per unit (district) cells, ranked by overall score."""

    region: Region
    year: int
    elapsed: int
    completed: int
    indicators: list[Indicator]
    units: list[UnitSummary]
    by_indicator: dict[int, list[Cell]] = field(default_factory=dict)

    def cell(self, indicator_id: int, region_id: int) -> Cell | None:
        for c in self.by_indicator.get(indicator_id, []):
            if c.region.pk == region_id:
                return c
        return None


def elapsed_months(year: int, today: datetime.date) -> int:
    if year < today.year:
        return 12
    if year > today.year:
        return 0
    return today.month


def _unit_for(path: str, units: list[Region]) -> Region | None:
    for unit in units:
        if path.startswith(unit.path):
            return unit
    return None


def _monthly_manual(indicators: list[Indicator], scope: Region, year: int) -> dict:
    """{(indicator id, region path, month): value} of the approved manual values, one query."""
    rows = (
        ManualValue.objects.approved()
        .filter(
            indicator__in=[i.pk for i in indicators if i.is_manual],
            year=year,
            region__path__startswith=scope.path,
        )
        .values_list("indicator_id", "region__path", "month", "value")
    )
    return {(i, p, m): v for i, p, m, v in rows}


def board(
    scope: Region,
    year: int,
    *,
    today: datetime.date | None = None,
    units: list[Region] | None = None,
    only: list[Indicator] | None = None,
) -> Board:
    """The board of ``scope`` for ``year``: every applicable indicator for each unit (see :func:`units_of`).
    ``only`` restricts it to those indicators (an indicator's page needs its own row, not the ranking)."""
    today = today or timezone.localdate()
    units = units or units_of(scope)
    elapsed = elapsed_months(year, today)
    completed = 12 if year < today.year else (today.month - 1 if year == today.year else 0)
    indicators = list(only) if only is not None else list(indicators_for(scope))
    targets = {
        (t.indicator_id, t.region_id): t.value
        for t in Target.objects.filter(indicator__in=indicators, year=year, region__in=units)
    }
    manual = _monthly_manual(indicators, scope, year)
    computed: dict[str, dict] = {}
    for indicator in indicators:
        source = registry.get(indicator.source) if indicator.source else None
        if source is not None and indicator.source not in computed:
            computed[indicator.source] = source.monthly(scope.path, year)
    summaries = {u.pk: UnitSummary(region=u, cells=[]) for u in units}
    by_indicator: dict[int, list[Cell]] = {}
    for indicator in indicators:
        months = {u.pk: [None if indicator.aggregation == "latest" else ZERO] * 12 for u in units}
        if indicator.is_manual:
            for (ind, path, month), value in manual.items():
                if ind != indicator.pk:
                    continue
                unit = _unit_for(path, units)
                if unit is None:
                    continue
                if indicator.aggregation == "latest":
                    if path == unit.path:
                        months[unit.pk][month - 1] = value
                else:
                    months[unit.pk][month - 1] += value
        else:
            for (path, month), value in computed.get(indicator.source, {}).items():
                unit = _unit_for(path, units)
                if unit is not None:
                    months[unit.pk][month - 1] += value
        cells = []
        for unit in units:
            series = months[unit.pk]
            if indicator.aggregation == "latest":
                known = [v for v in series[: max(elapsed, 1)] if v is not None]
                actual = known[-1] if known else ZERO
            else:
                actual = sum((v or ZERO for v in series), ZERO)
            cell = Cell(
                indicator,
                unit,
                series,
                actual,
                effective_target(indicator, targets.get((indicator.pk, unit.pk))),
                elapsed,
                completed,
            )
            cells.append(cell)
            summaries[unit.pk].cells.append(cell)
        by_indicator[indicator.pk] = cells
    ranked = sorted(summaries.values(), key=lambda s: (-s.score, -s.met, s.region.code))
    for n, summary in enumerate(ranked, 1):
        summary.rank = n
    return Board(scope, year, elapsed, completed, indicators, ranked, by_indicator)


def years_trend(
    indicator: Indicator, scope: Region, years: list[int]
) -> dict[int, dict[int, Decimal]]:
    """{year: {unit id: year's figure}} for one indicator over several years (its trend)."""
    out = {}
    units = units_of(scope)
    for year in years:
        b = board(scope, year, units=units, only=[indicator])
        out[year] = {c.region.pk: c.actual for c in b.by_indicator.get(indicator.pk, [])}
    return out


# --- lineage ------------------------------------------------------------------------------------------


def period_bounds(year: int, month: int | None) -> tuple[datetime.date, datetime.date]:
    if month:
        start = datetime.date(year, month, 1)
        end = datetime.date(year + (month == 12), month % 12 + 1, 1)
        return start, end
    return datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)


@dataclass
class Lineage:
    """What stands behind one figure: records of a source, or approved manual values with evidence."""

    indicator: Indicator
    region: Region
    year: int
    month: int | None
    value: Decimal
    records: QuerySet | None = None  # formula: the source's records (paginate, then ``rows``)
    manual: list[ManualValue] = field(default_factory=list)  # manual: the approved values counted
    history: list[ManualValue] = field(default_factory=list)  # manual: every entry of the period

    @property
    def source(self):
        return registry.get(self.indicator.source) if self.indicator.source else None

    def rows(self, page_records) -> list[registry.LineageRow]:
        return [self.source.row(r) for r in page_records]


def lineage(indicator: Indicator, region: Region, year: int, month: int | None = None) -> Lineage:
    """The records behind ``indicator``'s figure for ``region`` in ``year`` (or one month of it)."""
    start, end = period_bounds(year, month)
    if indicator.is_manual:
        entries = ManualValue.objects.filter(
            indicator=indicator, year=year, region__path__startswith=region.path
        ).select_related("region", "entered_by", "approved_by")
        if month:
            entries = entries.filter(month=month)
        history = list(entries.order_by("month", "region__code", "-entered_at"))
        approved = [e for e in history if e.status == ManualValue.Status.APPROVED]
        if indicator.aggregation == "latest":
            own = sorted((e for e in approved if e.region_id == region.pk), key=lambda e: e.month)
            counted = own[-1:] if own else []
        else:
            counted = approved
        value = sum((e.value for e in counted), ZERO)
        return Lineage(indicator, region, year, month, value, manual=counted, history=history)
    source = registry.get(indicator.source)
    if source is None:
        return Lineage(indicator, region, year, month, ZERO, records=None)
    records = source.records(region, start, end).order_by(source.date_field, "pk")
    value = source.value(region, start, end)
    return Lineage(indicator, region, year, month, value, records=records)


def visible_scopes(user) -> QuerySet[Region]:
    """The regions whose boards ``user`` may read: the regions they operate that have indicators or
    targets, top first."""
    from kechuang.accounts.permissions import managed_regions

    regions = managed_regions(user)
    with_indicators = Q(pk__in=Indicator.objects.values("region")) | Q(
        pk__in=Target.objects.values("region")
    )
    return regions.filter(with_indicators).select_related("parent__parent").order_by("path")


def indicator_queues(regions) -> list[tuple[str, int, str]]:
    """The workbench's indicator queues for an operator of ``regions`` (a lazy region queryset): manual
    values waiting for a second person, and signed projects stalled. (label, count, url) each."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from kechuang.indicators.models import SignedProject

    return [
        (
            _("待审核的指标填报"),
            ManualValue.objects.filter(
                status=ManualValue.Status.PENDING, region__in=regions
            ).count(),
            reverse("indicators:review"),
        ),
        (
            _("停滞的签约项目"),
            SignedProject.objects.filter(
                status=SignedProject.Status.STALLED, region__in=regions
            ).count(),
            reverse("indicators:events"),
        ),
    ]
