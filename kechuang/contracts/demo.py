"""Demo contracts: a year of technology contracts across the federation (嘉定区, 苏州市, 温州市 with 瑞安市),
entered, submitted and registered through the services, so the register, the review queue and the turnover
statistics have real rows. Deterministic for a given seed and day."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kechuang.contracts import services
from kechuang.contracts.models import ContractKind
from kechuang.core.models import Region
from kechuang.directory.models import Achievement, Organization

PER_MONTH = 5
PILOTS = ("330381", "330300", "310114", "320500")
KIND_WEIGHTS = (
    (ContractKind.DEVELOPMENT, 35, (200_000, 5_000_000)),
    (ContractKind.TRANSFER, 15, (50_000, 2_000_000)),
    (ContractKind.LICENSE, 10, (50_000, 1_000_000)),
    (ContractKind.CONSULTING, 15, (20_000, 300_000)),
    (ContractKind.SERVICE, 25, (30_000, 800_000)),
)
SUFFIX = {
    ContractKind.DEVELOPMENT: "技术开发",
    ContractKind.TRANSFER: "专利权转让",
    ContractKind.LICENSE: "专利实施许可",
    ContractKind.CONSULTING: "技术咨询",
    ContractKind.SERVICE: "技术服务",
}
RETURN_REASONS = (
    "技术交易额含设备采购费用，请拆分后重新提交",
    "合同文本缺少双方盖章页，请补充上传",
)
SIGNED_TEXT = b"%PDF-1.4\n% demo contract\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    # Log-uniform: many small service contracts, a few large development ones.
    value = low * (high / low) ** rng.random()
    return Decimal(int(value / 100) * 100)


def load_demo_contracts(
    operators: dict[str, object], *, today: date | None = None, seed: int = 2026
):
    """About ``12 × PER_MONTH`` contracts signed over the twelve months before ``today``: most registered
    by the seller region's operator (``operators``: region code → user), the latest few waiting in the
    queue, two returned for correction. Returns the number created."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    regions = {r.code: r for r in Region.objects.filter(code__in=PILOTS)}
    if len(regions) < len(PILOTS):
        return 0
    enterprises = {
        code: list(
            Organization.objects.filter(
                region__path__startswith=region.path, kind=Organization.Kind.ENTERPRISE
            )
            .prefetch_related("industry_chains")
            .order_by("pk")[:60]
        )
        for code, region in regions.items()
    }
    sellers = {
        code: list(
            Achievement.objects.filter(owner__region__path__startswith=region.path)
            .exclude(owner__kind=Organization.Kind.ENTERPRISE)
            .select_related("owner__region")
            .order_by("pk")[:80]
        )
        for code, region in regions.items()
    }
    kinds = [kind for kind, _w, _r in KIND_WEIGHTS]
    weights = [w for _k, w, _r in KIND_WEIGHTS]
    ranges = {kind: r for kind, _w, r in KIND_WEIGHTS}
    created = 0
    months = 12
    for month in range(months, 0, -1):
        for n in range(PER_MONTH):
            seller_code = rng.choice(PILOTS[1:]) if rng.random() < 0.8 else PILOTS[0]
            # Two in three sales stay in the seller's city; the rest cross the federation.
            buyer_code = seller_code if rng.random() < 0.6 else rng.choice(PILOTS)
            if not sellers.get(seller_code) or not enterprises.get(buyer_code):
                continue
            achievement = rng.choice(sellers[seller_code])
            buyer = rng.choice(enterprises[buyer_code])
            kind = rng.choices(kinds, weights)[0]
            total = _amount(rng, *ranges[kind])
            share = (
                Decimal(1)
                if kind in (ContractKind.TRANSFER, ContractKind.LICENSE)
                else Decimal(rng.choice(("1", "1", "0.9", "0.8")))
            )
            tech = (total * share).quantize(Decimal("1"))
            signed = today - timedelta(days=30 * month - rng.randint(0, 25))
            first = (total * Decimal("0.3")).quantize(Decimal("1"))
            operator = operators[seller_code]
            chain = next(iter(buyer.industry_chains.all()), None)
            contract = services.enter_contract(
                operator,
                services.ContractInput(
                    title=f"{achievement.title[:60]}{SUFFIX[kind]}",
                    kind=kind,
                    buyer=buyer,
                    buyer_name=buyer.name,
                    buyer_region=buyer.region,
                    seller=achievement.owner,
                    seller_name=achievement.owner.name,
                    seller_region=achievement.owner.region,
                    total_amount=total,
                    tech_amount=tech,
                    signed_on=signed,
                    starts_on=signed,
                    ends_on=signed + timedelta(days=rng.choice((180, 365, 730))),
                    industry_chain=chain,
                    summary=achievement.description[:500],
                    payments=[
                        {
                            "due_on": signed + timedelta(days=15),
                            "amount": first,
                            "condition": "合同签订后",
                        },
                        {
                            "due_on": signed + timedelta(days=180),
                            "amount": total - first,
                            "condition": "验收合格后",
                        },
                    ],
                ),
            )
            services.attach_file(
                operator,
                contract,
                SimpleUploadedFile(f"合同{signed:%Y%m%d}-{n}.pdf", SIGNED_TEXT, "application/pdf"),
            )
            moment = timezone.make_aware(datetime.combine(signed + timedelta(days=3), time(10)))
            contract = services.submit_contract(operator, contract, now=moment)
            created += 1
            if month == 1 and n < 4:
                continue  # this month's last few wait in the registration queue
            reviewer = _reviewer(operators, regions, achievement.owner.region)
            if month == 2 and n < len(RETURN_REASONS):
                services.return_contract(reviewer, contract, RETURN_REASONS[n], now=moment)
                continue
            services.register_contract(
                reviewer, contract, attachments_checked=True, now=moment + timedelta(days=4)
            )
    return created


def _reviewer(operators: dict[str, object], regions: dict[str, Region], seller_region: Region):
    """The operator of the nearest pilot region above the seller (瑞安 before 温州)."""
    for code in PILOTS:
        if seller_region.path.startswith(regions[code].path):
            return operators[code]
    raise LookupError(seller_region)
