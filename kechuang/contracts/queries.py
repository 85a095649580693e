"""Reading the register: technology turnover (技术交易额) and its statistics.

The turnover of a region is the sum of the technology portions of the *registered* contracts whose seller
is in the region (or below it), by registration date in Asia/Shanghai. Other apps (the pilot indicators)
call :func:`turnover` and :func:`turnover_contracts`; the statistics page and the export read the same
queryset, so every figure is the sum of rows one can list.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from kechuang.contracts.models import ContractKind, TechContract
from kechuang.core.models import Region
from kechuang.core.money import to_yuan


def _within(prefix: str, region: Region | None) -> Q:
    return Q(**{f"{prefix}__path__startswith": region.path}) if region is not None else Q()


def turnover_contracts(
    region: Region | None = None, start: date | None = None, end: date | None = None
) -> QuerySet[TechContract]:
    """The registered contracts behind :func:`turnover`: seller in ``region`` (any region when None),
    registered on a day from ``start`` to ``end`` inclusive (Asia/Shanghai; open ends allowed)."""
    contracts = TechContract.objects.registered().filter(_within("seller_region", region))
    if start:
        contracts = contracts.filter(registered_at__date__gte=start)
    if end:
        contracts = contracts.filter(registered_at__date__lte=end)
    return contracts


def _sum(queryset, column: str = "tech_amount") -> Decimal:
    return to_yuan(queryset.aggregate(total=Sum(column))["total"] or 0)


def turnover(
    region: Region | None = None, start: date | None = None, end: date | None = None
) -> Decimal:
    """Technology turnover (技术交易额) in yuan: the registered contracts' technology portions, sellers in
    ``region``, registered from ``start`` to ``end`` inclusive."""
    return _sum(turnover_contracts(region, start, end))


@dataclass
class Flow:
    """Technology flowing between two regions: contracts sold from ``source`` to buyers in ``target``."""

    source: str
    target: str
    count: int
    amount: Decimal


@dataclass
class RegionFlow:
    """A region's outflow (技术输出: it sells to buyers elsewhere), inflow (技术吸纳: it buys from sellers
    elsewhere) and local trade (both sides inside)."""

    region: Region
    outflow: Decimal = Decimal(0)
    inflow: Decimal = Decimal(0)
    local: Decimal = Decimal(0)


@dataclass
class Statistics:
    """Turnover of the contracts in a scope and period, cut by kind, region, chain and month."""

    count: int
    total_amount: Decimal
    turnover: Decimal
    by_kind: list[tuple[str, int, Decimal]] = field(default_factory=list)
    by_region: list[tuple[str, int, Decimal]] = field(default_factory=list)
    by_chain: list[tuple[str, int, Decimal]] = field(default_factory=list)
    by_month: list[tuple[str, int, Decimal]] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    regions: list[RegionFlow] = field(default_factory=list)

    def chart(self, rows) -> list[list]:
        """``[name, amount]`` pairs for ``charts.js``."""
        return [[name, str(amount)] for name, _count, amount in rows]


def _grouped(queryset, key: str) -> list[tuple]:
    rows = queryset.values(key).annotate(n=Count("pk"), amount=Sum("tech_amount")).order_by(key)
    return [(row[key], row["n"], to_yuan(row["amount"] or 0)) for row in rows]


def scope_regions(region: Region | None) -> list[Region]:
    """The regions a statistics page compares: the pilot regions (and the cities above them) within
    ``region``, or all pilots when no region is given."""
    regions = Region.objects.filter(is_pilot=True)
    if region is not None:
        regions = regions.filter(path__startswith=region.path) | Region.objects.filter(pk=region.pk)
    return list(regions.distinct().order_by("path"))


def statistics(
    region: Region | None = None, start: date | None = None, end: date | None = None
) -> Statistics:
    """The statistics of the contracts registered in the period whose seller *or* buyer is in ``region``
    (the turnover figure itself counts sellers only, as :func:`turnover` does)."""
    registered = TechContract.objects.registered()
    if start:
        registered = registered.filter(registered_at__date__gte=start)
    if end:
        registered = registered.filter(registered_at__date__lte=end)
    sold = registered.filter(_within("seller_region", region))
    kinds = dict(ContractKind.choices)
    stats = Statistics(
        count=sold.count(),
        total_amount=_sum(sold, "total_amount"),
        turnover=_sum(sold),
        by_kind=[(str(kinds.get(k, k)), n, a) for k, n, a in _grouped(sold, "kind")],
        by_region=[(name, n, a) for name, n, a in _grouped(sold, "seller_region__name")],
        by_chain=[
            (name or _("未归属产业链"), n, a)
            for name, n, a in _grouped(sold, "industry_chain__name")
        ],
        by_month=[
            (month.strftime("%Y-%m"), n, to_yuan(a or 0))
            for month, n, a in (
                sold.annotate(month=TruncMonth("registered_at"))
                .values("month")
                .annotate(n=Count("pk"), a=Sum("tech_amount"))
                .order_by("month")
                .values_list("month", "n", "a")
            )
        ],
    )
    touching = registered.filter(_within("seller_region", region) | _within("buyer_region", region))
    pairs = (
        touching.values("seller_region__name", "buyer_region__name")
        .annotate(n=Count("pk"), amount=Sum("tech_amount"))
        .order_by("-amount")
    )
    stats.flows = [
        Flow(p["seller_region__name"], p["buyer_region__name"], p["n"], to_yuan(p["amount"] or 0))
        for p in pairs
    ]
    rows = touching.values_list("seller_region__path", "buyer_region__path", "tech_amount")
    regions = [RegionFlow(r) for r in scope_regions(region)]
    totals: dict[int, RegionFlow] = {id(r): r for r in regions}
    for seller_path, buyer_path, amount in rows:
        for flow in totals.values():
            inside_seller = seller_path.startswith(flow.region.path)
            inside_buyer = buyer_path.startswith(flow.region.path)
            if inside_seller and inside_buyer:
                flow.local += amount
            elif inside_seller:
                flow.outflow += amount
            elif inside_buyer:
                flow.inflow += amount
    for flow in regions:
        flow.outflow, flow.inflow, flow.local = (
            to_yuan(flow.outflow),
            to_yuan(flow.inflow),
            to_yuan(flow.local),
        )
    stats.regions = [r for r in regions if r.outflow or r.inflow or r.local]
    return stats


def status_counts(queryset) -> dict[str, int]:
    counts = defaultdict(int)
    for status, n in (
        queryset.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    ):
        counts[status] = n
    return dict(counts)
