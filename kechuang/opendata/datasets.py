"""The open datasets (开放数据): the platform's public records, each a list of columns read from one
queryset, offered as CSV and JSON and described in the DCAT catalogue.

What is public is decided here, column by column, and only from the querysets the public pages use:
published directory records (no contact person, phone, e-mail, address or internal rates; no user
accounts), public published demands (not 仅运营方与受邀专家可见; no contact details, no author), challenge
lists after their draft and the tasks in them, winners only once a list's result is announced (公示), and
registered technology contracts as aggregates by region, month and kind (the statistics page's figures —
never a party's contract). Adding a column means checking it against that rule; the tests list every
column of every dataset.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kechuang.challenges.models import Application, Challenge, ChallengeList
from kechuang.contracts.models import ContractKind, TechContract
from kechuang.core.money import to_yuan
from kechuang.demands.models import Demand
from kechuang.directory.models import (
    Achievement,
    Expert,
    InnovationPlatform,
    Instrument,
    Organization,
    ServiceItem,
)


@dataclass(frozen=True)
class Column:
    """One column: its name in the files, the ``values()`` path it reads, and an optional conversion
    (a choice's code to its Chinese label…)."""

    name: str
    source: str
    convert: Callable[[Any], Any] | None = None


def label_of(choices) -> Callable[[Any], Any]:
    labels = dict(choices)
    return lambda value: str(labels.get(value, value)) if value not in (None, "") else value


REGION = [Column("region_code", "region__code"), Column("region_name", "region__name")]


@dataclass(frozen=True)
class Dataset:
    """A public dataset: ``rows()`` yields dicts of exactly the ``columns`` names."""

    slug: str
    title: str | Promise
    description: str | Promise
    keywords: tuple[str, ...]
    queryset: Callable[[], QuerySet]
    columns: list[Column]
    modified_field: str  # the column whose latest value is the dataset's dct:modified
    order: tuple[str, ...] = ("pk",)
    extra: dict = field(default_factory=dict)

    def records(self) -> QuerySet:
        return self.queryset()

    def rows(self) -> Iterator[dict[str, Any]]:
        values = self.records().order_by(*self.order).values(*[c.source for c in self.columns])
        for raw in values.iterator(chunk_size=2000):
            yield {
                c.name: c.convert(raw[c.source]) if c.convert else raw[c.source]
                for c in self.columns
            }

    def modified(self) -> datetime.datetime | datetime.date | None:
        return self.records().aggregate(latest=Max(self.modified_field))["latest"]

    def count(self) -> int:
        return self.records().count()


def _challenge_tasks() -> QuerySet:
    return Challenge.objects.in_list().filter(challenge_list__in=ChallengeList.objects.public())


ANNOUNCED = [ChallengeList.Status.ANNOUNCED, ChallengeList.Status.CONCLUDED]


def _challenge_results() -> QuerySet:
    return Application.objects.filter(
        challenge__challenge_list__status__in=ANNOUNCED,
        challenge__status=Challenge.Status.ACCEPTED,
        status__in=[Application.Status.SELECTED, Application.Status.CONTRACTED],
    )


def _contract_turnover() -> QuerySet:
    return (
        TechContract.objects.registered()
        .annotate(month=TruncMonth("registered_at"))
        .values("seller_region__code", "seller_region__name", "month", "kind")
        .annotate(contracts=Count("pk"), tech=Sum("tech_amount"), total=Sum("total_amount"))
    )


class TurnoverDataset(Dataset):
    """The registered contracts' turnover, grouped: one row per seller region, month and kind."""

    def rows(self) -> Iterator[dict[str, Any]]:
        kinds = label_of(ContractKind.choices)
        grouped = _contract_turnover().order_by("seller_region__code", "month", "kind")
        for row in grouped.iterator(chunk_size=2000):
            yield {
                "region_code": row["seller_region__code"],
                "region_name": row["seller_region__name"],
                "month": row["month"].strftime("%Y-%m") if row["month"] else "",
                "kind": kinds(row["kind"]),
                "contracts": row["contracts"],
                "tech_amount": to_yuan(row["tech"] or 0),
                "total_amount": to_yuan(row["total"] or 0),
            }

    def count(self) -> int:
        return _contract_turnover().count()


DATASETS: list[Dataset] = [
    Dataset(
        "organizations",
        _("机构"),
        _(
            "已发布的企业、高校、科研院所、检验检测机构与学会：名称、类型、培育梯次、统一社会信用代码、所在区域、简介与主营产品。不含联系人、电话、邮箱与地址。"
        ),
        ("机构", "企业", "高校院所"),
        lambda: Organization.objects.published(),
        [
            Column("id", "pk"),
            Column("name", "name"),
            Column("kind", "kind", label_of(Organization.Kind.choices)),
            Column("tier", "tier", label_of(Organization.Tier.choices)),
            Column("credit_code", "credit_code"),
            *REGION,
            Column("founded_year", "founded_year"),
            Column("website", "website"),
            Column("main_products", "main_products"),
            Column("description", "description"),
            Column("updated_at", "updated_at"),
        ],
        "updated_at",
    ),
    Dataset(
        "experts",
        _("专家"),
        _("已发布的专家：姓名、职称、所在单位、人才类别、研究关键词与简介。不含手机、邮箱与账号。"),
        ("专家", "人才"),
        lambda: Expert.objects.published(),
        [
            Column("id", "pk"),
            Column("name", "name"),
            Column("title", "title"),
            Column("affiliation", "affiliation__name"),
            Column("talent", "talent", label_of(Expert.Talent.choices)),
            Column("is_part_time_engineer", "is_part_time_engineer"),
            Column("availability", "availability", label_of(Expert.Availability.choices)),
            *REGION,
            Column("keywords", "keywords"),
            Column("profile", "profile"),
            Column("updated_at", "updated_at"),
        ],
        "updated_at",
    ),
    Dataset(
        "achievements",
        _("科技成果"),
        _("已发布的科技成果与专利：名称、类型、专利号、权利人、成熟度与可转化方式。"),
        ("科技成果", "专利", "成果转化"),
        lambda: Achievement.objects.published(),
        [
            Column("id", "pk"),
            Column("title", "title"),
            Column("kind", "kind", label_of(Achievement.Kind.choices)),
            Column("patent_number", "patent_number"),
            Column("owner", "owner__name"),
            Column("maturity", "maturity", label_of(Achievement.Maturity.choices)),
            Column("allows_transfer", "allows_transfer"),
            Column("allows_license", "allows_license"),
            Column("allows_joint_development", "allows_joint_development"),
            Column("allows_equity", "allows_equity"),
            *REGION,
            Column("keywords", "keywords"),
            Column("description", "description"),
            Column("updated_at", "updated_at"),
        ],
        "updated_at",
    ),
    Dataset(
        "instruments",
        _("大型仪器"),
        _(
            "已发布的共享大型仪器：名称、所属单位、类别、型号、厂商、对外收费、运行状态与是否支持创新券。"
        ),
        ("大型仪器", "仪器共享"),
        lambda: Instrument.objects.published(),
        [
            Column("id", "pk"),
            Column("name", "name"),
            Column("owner", "owner__name"),
            Column("category", "category", label_of(Instrument.Category.choices)),
            Column("model_number", "model_number"),
            Column("manufacturer", "manufacturer"),
            Column("unit", "unit", label_of(Instrument.Unit.choices)),
            Column("external_rate", "external_rate"),
            Column("state", "state", label_of(Instrument.State.choices)),
            Column("accepts_vouchers", "accepts_vouchers"),
            *REGION,
            Column("description", "description"),
            Column("updated_at", "updated_at"),
        ],
        "updated_at",
    ),
    Dataset(
        "services",
        _("服务项目"),
        _("已发布的双创服务项目：名称、服务机构、类别、参考价格与是否支持创新券。"),
        ("服务项目", "双创服务"),
        lambda: ServiceItem.objects.published(),
        [
            Column("id", "pk"),
            Column("title", "title"),
            Column("provider", "provider__name"),
            Column("category", "category", label_of(ServiceItem.Category.choices)),
            Column("price", "price"),
            Column("price_unit", "price_unit"),
            Column("accepts_vouchers", "accepts_vouchers"),
            *REGION,
            Column("description", "description"),
            Column("updated_at", "updated_at"),
        ],
        "updated_at",
    ),
    Dataset(
        "platforms",
        _("创新平台"),
        _("已发布的创新平台：名称、类型、级别、依托单位与认定年份。"),
        ("创新平台", "博士后工作站"),
        lambda: InnovationPlatform.objects.published(),
        [
            Column("id", "pk"),
            Column("name", "name"),
            Column("kind", "kind", label_of(InnovationPlatform.Kind.choices)),
            Column("level", "level", label_of(InnovationPlatform.Level.choices)),
            Column("host", "host__name"),
            Column("established_year", "established_year"),
            *REGION,
            Column("description", "description"),
            Column("updated_at", "updated_at"),
        ],
        "updated_at",
    ),
    Dataset(
        "demands",
        _("技术需求"),
        _(
            "已发布且公开的企业技术需求：名称、描述、需求企业、产业链、技术领域、预算区间与期望完成日期。不含仅运营方与受邀专家可见的需求，不含联系人与联系方式。"
        ),
        ("技术需求", "供需对接"),
        lambda: Demand.objects.public(),
        [
            Column("id", "pk"),
            Column("title", "title"),
            Column("organization", "organization__name"),
            Column("industry_chain", "industry_chain__name"),
            Column("field", "field__name"),
            *REGION,
            Column("budget_min", "budget_min"),
            Column("budget_max", "budget_max"),
            Column("deadline", "deadline"),
            Column("cooperation_modes", "cooperation_modes"),
            Column("description", "description"),
            Column("published_at", "published_at"),
        ],
        "updated_at",
    ),
    Dataset(
        "challenge-lists",
        _("揭榜挂帅榜单"),
        _("已发布的揭榜挂帅榜单：发榜单位、发榜区域、揭榜起止日期、状态与公示时间。"),
        ("揭榜挂帅", "榜单"),
        lambda: ChallengeList.objects.public(),
        [
            Column("id", "pk"),
            Column("title", "title"),
            Column("issuer", "issuer"),
            *REGION,
            Column("status", "status", label_of(ChallengeList.Status.choices)),
            Column("opens_on", "opens_on"),
            Column("closes_on", "closes_on"),
            Column("published_at", "published_at"),
            Column("announced_at", "announced_at"),
            Column("description", "description"),
        ],
        "published_at",
    ),
    Dataset(
        "challenges",
        _("揭榜挂帅攻关任务"),
        _("已发布榜单中的攻关任务：任务名称、需解决的问题、榜金与完成期限。"),
        ("揭榜挂帅", "攻关任务", "榜金"),
        _challenge_tasks,
        [
            Column("id", "pk"),
            Column("list_id", "challenge_list_id"),
            Column("list_title", "challenge_list__title"),
            Column("title", "title"),
            *REGION,
            Column("bounty", "bounty"),
            Column("completion_deadline", "completion_deadline"),
            Column("problem", "problem"),
        ],
        "challenge_list__published_at",
    ),
    Dataset(
        "challenge-results",
        _("揭榜挂帅结果"),
        _(
            "已公示榜单的揭榜结果：每项任务的拟揭榜或已签约单位与揭榜方式。评审期间与公示之前不公开。"
        ),
        ("揭榜挂帅", "公示", "揭榜结果"),
        _challenge_results,
        [
            Column("list_id", "challenge__challenge_list_id"),
            Column("list_title", "challenge__challenge_list__title"),
            Column("challenge_id", "challenge_id"),
            Column("challenge_title", "challenge__title"),
            Column("lead", "lead__name"),
            Column("mode", "mode", label_of(Application.Mode.choices)),
            Column("status", "status", label_of(Application.Status.choices)),
            Column("announced_at", "challenge__challenge_list__announced_at"),
        ],
        "challenge__challenge_list__announced_at",
        order=("challenge__challenge_list_id", "challenge_id", "pk"),
    ),
    TurnoverDataset(
        "contract-turnover",
        _("技术合同成交统计"),
        _(
            "已认定登记的技术合同按卖方所在区域、登记月份与合同类型汇总的份数、技术交易额与合同成交额（元）。不含单份合同与当事人。"
        ),
        ("技术合同", "技术交易额"),
        lambda: TechContract.objects.registered(),
        [
            Column("region_code", ""),
            Column("region_name", ""),
            Column("month", ""),
            Column("kind", ""),
            Column("contracts", ""),
            Column("tech_amount", ""),
            Column("total_amount", ""),
        ],
        "registered_at",
    ),
]

BY_SLUG = {dataset.slug: dataset for dataset in DATASETS}
