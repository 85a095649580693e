"""Generating the demo federation into the database.

:func:`load_demo` writes the regions, the 长三角 federation, industry chains, the CSL technical-field tree,
the federation's shared institutions with their instruments and service items, enterprises with their
cultivation history, experts with their CSL papers, achievements derived from those papers, innovation
platforms, national societies and the demo log-ins — all in one transaction, ending with an audit row
(``demo.loaded``) that marks the demo as loaded and records its counts.

Guarantees: the same counts give the same records (``random.Random(20211)``); every organisation has a
valid unified social credit code whose region digits are its region's code; every patent has a valid
patent number; planner statistics are refreshed (``ANALYZE``) after the load; a second call with the
same counts writes nothing; a call with other counts on a loaded database raises
:class:`DemoAlreadyLoaded` and writes nothing.
"""

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from decimal import Decimal

from django.db import connection, transaction

from kechuang.challenges.demo import load_demo_challenges
from kechuang.core.audit import record
from kechuang.core.models import AuditEntry, Federation, IndustryChain, Region, TechField
from kechuang.demands.demo import load_demo_demands
from kechuang.demo import vocabulary as v
from kechuang.demo.accounts import create_demo_users
from kechuang.demo.papers import Paper, disciplines_by_category, load_papers
from kechuang.directory.models import (
    Achievement,
    Expert,
    ExpertWork,
    InnovationPlatform,
    Instrument,
    Organization,
    ServiceItem,
    Status,
    TierRecord,
)
from kechuang.directory.validators import credit_code_check_char, patent_check_digit

SEED = 20211
MARKER_ACTION = "demo.loaded"
CHUNK = 2000  # records generated and written per step, so that large scales run in bounded memory
PILLARS = ("auto-parts", "mechatronics", "polymer", "fashion")
RUIAN = "330381"
# The chains of the eight tasks of kechuang.challenges.demo.RUIAN_2021_TASKS, in order.
CHALLENGE_CHAINS = (
    "auto-parts",
    "auto-parts",
    "auto-parts",
    "polymer",
    "mechatronics",
    "polymer",
    "fashion",
    "auto-parts",
)
TECH_CATEGORIES = {"工学", "理学", "农学", "医学"}
# Disciplines whose papers read as inventions: engineering, plus the life sciences that patent.
INVENTIVE_DISCIPLINES = {"药学", "生物学/生物科学与工程", "作物学", "植物保护", "基础医学/临床医学"}
# Endings of paper titles that are dropped to turn a study into the thing it invents.
STUDY_ENDINGS = (
    "的研究与设计",
    "研究与设计",
    "的试验研究",
    "的实验研究",
    "的研究与应用",
    "的设计与实现",
    "的研究",
    "的分析",
    "的探讨",
    "试验研究",
    "实验研究",
    "设计与实现",
    "研究与应用",
    "研究进展",
    "研究",
    "分析",
    "探讨",
    "初探",
    "探索",
    "综述",
)
# A paper whose subject ends like this names an invention as it stands ...
INVENTION_ENDINGS = ("方法", "算法", "系统", "装置", "器", "机", "结构", "设备", "工艺")
# ... and one ending like this names a procedure, so the invention is its method.
PROCEDURE_ENDINGS = (
    "控制",
    "优化",
    "诊断",
    "识别",
    "设计",
    "检测",
    "监测",
    "测量",
    "合成",
    "提取",
    "处理",
    "分离",
    "测定",
    "制备",
)
COMPUTING_DISCIPLINES = {"计算机科学与技术", "信息与通信工程"}
MATERIAL_DISCIPLINES = {"材料科学与工程", "化学/化学工程与技术", "纺织科学与工程"}
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
AREA_CODES = {"310": "021", "320": "0512", "330": "0577", "110": "010"}
NAME_PREFIX = {
    "310114": "上海",
    "320500": "苏州",
    "320571": "苏州",
    "320583": "昆山",
    "330300": "温州",
    "330302": "温州",
    "330303": "温州",
    "330381": "瑞安市",
    "330382": "乐清市",
}

Progress = Callable[[int], None]


@dataclass(frozen=True)
class DemoCounts:
    """How many records the demo generates. The defaults are scale 1: the federation's published figures
    (130 shared institutions, 1,705 instruments, 309 service items) and the directory around them."""

    enterprises: int = 425
    experts: int = 800
    achievements: int = 400
    platforms: int = 60
    shared_institutions: int = 130
    instruments: int = 1705
    services: int = 309

    @classmethod
    def for_scale(cls, scale: int) -> "DemoCounts":
        """Scale ``N`` multiplies enterprises, experts, achievements and platforms by ``N``; the
        federation's shared institutions, instruments and service items stay the published figures."""
        if scale < 1:
            raise ValueError("scale must be 1 or more")
        base = cls()
        return cls(
            enterprises=base.enterprises * scale,
            experts=base.experts * scale,
            achievements=base.achievements * scale,
            platforms=base.platforms * scale,
        )

    @property
    def records(self) -> int:
        """Directory records written (organisations, experts, achievements, instruments, services,
        platforms), which is what progress is counted in."""
        return sum(getattr(self, f.name) for f in fields(self)) + len(v.SOCIETIES)


@dataclass(frozen=True)
class DemoResult:
    created: bool
    scale: int
    counts: DemoCounts


class DemoAlreadyLoaded(Exception):
    """The database holds a demo generated with other counts."""

    def __init__(self, scale: int | None, counts: dict) -> None:
        self.scale = scale
        self.counts = counts
        super().__init__(f"a demo of scale {scale} is already loaded")


def demo_marker() -> AuditEntry | None:
    """The audit row written when the demo was loaded (its ``data`` holds scale, counts and seed)."""
    return AuditEntry.objects.filter(action=MARKER_ACTION).order_by("-pk").first()


def load_demo(
    scale: int = 1, counts: DemoCounts | None = None, progress: Progress | None = None
) -> DemoResult:
    """Load the demo unless it is loaded already (see the module docstring for the guarantees).

    ``counts`` overrides the counts of ``scale``; ``progress(n)`` is called as records are written.
    """
    counts = counts or DemoCounts.for_scale(scale)
    with transaction.atomic():
        marker = demo_marker()
        if marker is not None:
            if marker.data.get("counts") == asdict(counts):
                return DemoResult(
                    created=False, scale=marker.data.get("scale", scale), counts=counts
                )
            raise DemoAlreadyLoaded(marker.data.get("scale"), marker.data.get("counts", {}))
        federation = DemoBuilder(counts, progress or (lambda n: None)).build()
        record(
            None,
            MARKER_ACTION,
            federation,
            f"加载演示数据(规模 {scale})",
            scale=scale,
            counts=asdict(counts),
            seed=SEED,
        )
    # Fresh planner statistics: without them SQLite sorts whole tables instead of using the indexes.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return DemoResult(created=True, scale=scale, counts=counts)


def allocate(total: int, shares: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``shares`` by largest remainder, so the parts sum to ``total``."""
    whole = sum(shares)
    exact = [total * share / whole for share in shares]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def organization_code_check(body: str) -> str:
    """The check character of an 8-digit organisation code (GB 11714), positions 9–17 of a credit code."""
    remainder = 11 - sum(int(c) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


class DemoBuilder:
    """Writes one demo federation; used once per load by :func:`load_demo`."""

    def __init__(self, counts: DemoCounts, progress: Progress) -> None:
        self.counts = counts
        self.progress = progress
        self.rng = random.Random(SEED)
        self.org_serial = 0
        self.patent_serial = 0
        self.asset_serial = 0
        self.papers_by_discipline: dict[str, list[Paper]] = {}
        for paper in load_papers():
            self.papers_by_discipline.setdefault(paper.discipline, []).append(paper)
        for papers in self.papers_by_discipline.values():
            self.rng.shuffle(papers)
        self.paper_cursor = dict.fromkeys(self.papers_by_discipline, 0)

    # --- the whole load -------------------------------------------------------------------------

    def build(self) -> Federation:
        federation = self.reference_data()
        self.societies()
        self.shared_institutions()
        self.instruments()
        self.services()
        self.enterprises()
        self.experts_and_achievements()
        self.platforms()
        ruian_auto_parts = Organization.objects.filter(
            kind=Organization.Kind.ENTERPRISE,
            region=self.regions[RUIAN],
            industry_chains__slug="auto-parts",
        ).order_by("pk")
        universities = Organization.objects.filter(
            kind=Organization.Kind.UNIVERSITY, is_shared=True
        ).order_by("pk")
        wenzhou_universities = universities.filter(
            region__path__startswith=self.regions["330300"].path
        )
        engineer = (
            Expert.objects.filter(is_part_time_engineer=True, region__code=RUIAN)
            .select_related("affiliation")
            .order_by("pk")
            .first()
        ) or Expert.objects.filter(is_part_time_engineer=True).order_by("pk").first()
        enterprise = ruian_auto_parts.exclude(tier="").first() or ruian_auto_parts.first()
        institution = wenzhou_universities.first() or universities.first()
        create_demo_users(enterprise=enterprise, institution=institution, expert=engineer)
        ruian = self.regions[RUIAN]
        load_demo_demands(ruian, enterprise=enterprise, institution=institution, expert=engineer)
        load_demo_challenges(ruian, self.challenge_issuers(), self.challenge_reviewers())
        self.submissions_awaiting_review(ruian, exclude=enterprise)
        return federation

    def submissions_awaiting_review(self, region: Region, exclude: Organization) -> None:
        """A few Ruian records submitted by their organisations, so the operator's review queue has work."""
        for model, count in (
            (Organization, 2),
            (Achievement, 2),
            (Instrument, 1),
            (ServiceItem, 1),
        ):
            records = model.objects.filter(region=region, status=Status.PUBLISHED)
            if model is Organization:
                records = records.filter(kind=Organization.Kind.ENTERPRISE).exclude(pk=exclude.pk)
            pks = list(records.order_by("-pk").values_list("pk", flat=True)[:count])
            model.objects.filter(pk__in=pks).update(status=Status.PENDING)

    def challenge_issuers(self) -> list[Organization]:
        """For each task of Ruian's 2021 list, in order, a leading Ruian enterprise of its chain."""
        rank = {"leader": 0, "high_tech": 1, "tech_sme": 2, "": 3}
        chosen: list[int] = []
        for slug in CHALLENGE_CHAINS:
            candidates = [
                (rank[tier], pk)
                for pk, code, chain, _, tier in self.enterprise_rows
                if code == RUIAN and chain == slug and pk not in chosen
            ]
            if candidates:
                chosen.append(min(candidates)[1])
        firms = Organization.objects.in_bulk(chosen)
        return [firms[pk] for pk in chosen]

    def challenge_reviewers(self) -> list[Expert]:
        """Senior experts of the pillar chains: their fields are the list's, so panels can be drawn."""
        return list(
            Expert.objects.filter(
                industry_chains__slug__in=PILLARS,
                talent__in=[Expert.Talent.ACADEMICIAN, Expert.Talent.HIGH_LEVEL],
            )
            .order_by("pk")
            .distinct()
            .prefetch_related("fields")[:12]
        )

    # --- reference data -------------------------------------------------------------------------

    def reference_data(self) -> Federation:
        self.regions: dict[str, Region] = {}
        for code, name, level, parent, pilot in v.REGIONS:
            self.regions[code], _ = Region.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "level": level,
                    "parent": self.regions.get(parent) if parent else None,
                    "is_pilot": pilot,
                },
            )
        self.region_full_names = {
            code: "".join(
                self.regions[c].name for c in region.path.strip("/").split("/") if c in self.regions
            )
            for code, region in self.regions.items()
        }
        federation, _ = Federation.objects.get_or_create(
            name=v.FEDERATION_NAME, defaults={"description": v.FEDERATION_DESCRIPTION}
        )
        federation.members.set([self.regions[code] for code in v.FEDERATION_MEMBERS])

        self.chains: dict[str, IndustryChain] = {}
        self.chain_disciplines: dict[str, list[str]] = {}
        for slug, name, description, keywords, regions, disciplines in v.CHAINS:
            chain, _ = IndustryChain.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "description": description,
                    "keywords": "\n".join(keywords),
                },
            )
            chain.regions.set([self.regions[code] for code in regions])
            self.chains[slug] = chain
            self.chain_disciplines[slug] = disciplines

        self.fields: dict[str, TechField] = {}
        self.category_of: dict[str, str] = {}
        for category, disciplines in disciplines_by_category().items():
            parent, _ = TechField.objects.get_or_create(parent=None, name=category)
            for discipline in disciplines:
                self.fields[discipline], _ = TechField.objects.get_or_create(
                    parent=parent, name=discipline
                )
                self.category_of[discipline] = category
        return federation

    # --- helpers --------------------------------------------------------------------------------

    def credit_code(self, kind_prefix: str, region_code: str) -> str:
        """A unique, valid credit code: registering body and type, the region, an organisation code."""
        self.org_serial += 1
        body = f"{(self.org_serial * 104729 + 31415) % 10**8:08d}"  # a bijection: never repeats
        first17 = kind_prefix + region_code + body + organization_code_check(body)
        return first17 + credit_code_check_char(first17)

    def patent_number(self, kind_digit: str, year: int) -> str:
        self.patent_serial += 1
        serial = (self.patent_serial * 7919 + 1234) % 10**7  # a bijection: never repeats
        digits = f"{year}{kind_digit}{serial:07d}"
        return f"ZL{digits}.{patent_check_digit(digits)}"

    def person_name(self) -> str:
        given = "".join(self.rng.choices(v.GIVEN_NAME_CHARS, k=self.rng.choice((1, 2, 2))))
        return self.rng.choice(v.SURNAMES) + given

    def phone(self, region_code: str) -> str:
        return f"{AREA_CODES[region_code[:3]]}-{self.rng.randint(50000000, 89999999)}"

    def mobile(self) -> str:
        return f"1{self.rng.choice('3589')}{self.rng.randint(0, 999999999):09d}"

    def address(self, region_code: str) -> str:
        street = self.rng.choice(v.STREETS.get(region_code, ["科技大道"]))
        return f"{self.region_full_names[region_code]}{street}{self.rng.randint(1, 999)}号"

    def link(self, model, attribute: str, pairs: list[tuple[int, int]]) -> None:
        """Bulk-insert many-to-many rows ``(record pk, related pk)`` for ``model.attribute``."""
        through = getattr(model, attribute).through
        field = getattr(model, attribute).field
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        through.objects.bulk_create(
            [through(**{f"{source}_id": a, f"{target}_id": b}) for a, b in pairs],
            batch_size=5000,
        )

    def save(self, model, objects: list) -> list:
        model.objects.bulk_create(objects, batch_size=1000)
        self.progress(len(objects))
        return objects

    # --- organisations of the federation --------------------------------------------------------

    def societies(self) -> None:
        societies = [
            Organization(
                name=name,
                credit_code=self.credit_code("51", "110000"),
                kind=Organization.Kind.SOCIETY,
                region=self.regions["110000"],
                status=Status.PUBLISHED,
                founded_year=self.rng.randint(1936, 1963),
                address=self.address("110000"),
                description=description,
                main_products="科技服务团、学术交流、科技成果评价、团体标准",
            )
            for name, description in v.SOCIETIES
        ]
        self.save(Organization, societies)

    def shared_institutions(self) -> None:
        """The federation's shared institutions, spread round-robin over Jiading, Suzhou and Wenzhou."""
        kinds_and_shares = [
            (Organization.Kind.UNIVERSITY, 14),
            (Organization.Kind.INSTITUTE, 26),
            (Organization.Kind.TESTING, 40),
            (Organization.Kind.NEW_RND, 22),
            (Organization.Kind.ENGINEERING_CENTER, 28),
        ]
        parts = allocate(self.counts.shared_institutions, [share for _, share in kinds_and_shares])
        kinds = [
            kind for (kind, _), n in zip(kinds_and_shares, parts, strict=True) for _ in range(n)
        ]
        self.rng.shuffle(kinds)
        names: set[str] = set()
        universities = {member: list(names_) for member, names_ in v.UNIVERSITIES.items()}
        institutions = []
        for i, kind in enumerate(kinds):
            member = v.FEDERATION_MEMBERS[i % len(v.FEDERATION_MEMBERS)]
            site = self.rng.choice(v.FEDERATION_SITES[member])
            name, prefix, products = self.institution_identity(kind, member, site, universities)
            while name in names:
                name, prefix, products = self.institution_identity(kind, member, site, universities)
            names.add(name)
            disciplines = self.rng.sample(
                [d for d, c in self.category_of.items() if c in TECH_CATEGORIES], 3
            )
            institutions.append(
                Organization(
                    name=name,
                    credit_code=self.credit_code(prefix, site),
                    kind=kind,
                    is_shared=True,
                    region=self.regions[site],
                    status=Status.PUBLISHED,
                    founded_year=self.rng.randint(1958, 2020),
                    employees=self.rng.randint(40, 3000),
                    address=self.address(site),
                    description=(
                        f"{name}是{v.FEDERATION_NAME}首批共享的{kind.label},位于"
                        f"{self.region_full_names[site]},主要方向为{'、'.join(disciplines)},"
                        f"向长三角企业开放大型仪器与专业服务,支持创新券(双创券)通用通兑。"
                    ),
                    main_products=products,
                    contact_name=self.person_name(),
                    contact_phone=self.phone(site),
                )
            )
            institutions[-1].demo_disciplines = disciplines
        self.save(Organization, institutions)
        self.link(
            Organization,
            "fields",
            [(o.pk, self.fields[d].pk) for o in institutions for d in o.demo_disciplines],
        )
        self.institutions = institutions
        self.research_orgs = [
            o
            for o in institutions
            if o.kind
            in (
                Organization.Kind.UNIVERSITY,
                Organization.Kind.INSTITUTE,
                Organization.Kind.NEW_RND,
            )
        ]
        wenzhou = set(v.FEDERATION_SITES["330300"])
        self.engineer_hosts = [
            o
            for o in institutions
            if o.region.code in wenzhou
            and o.kind
            in (
                Organization.Kind.ENGINEERING_CENTER,
                Organization.Kind.INSTITUTE,
                Organization.Kind.NEW_RND,
            )
        ] or self.research_orgs

    def institution_identity(
        self, kind: str, member: str, site: str, universities: dict[str, list[str]]
    ) -> tuple[str, str, str]:
        """A name, the credit-code registration prefix and the research directions of an institution."""
        rng, city, local = self.rng, v.CITY_SHORT[member], v.REGION_SHORT[site]
        if kind == Organization.Kind.UNIVERSITY:
            if universities[member]:
                name = universities[member].pop(0)
            else:
                name = f"{city}{rng.choice(v.NEW_RND_FIELDS)}职业技术学院"
            return name, "12", "人才培养、科学研究、社会服务与成果转化"
        if kind == Organization.Kind.INSTITUTE:
            field = rng.choice(v.INSTITUTE_FIELDS)
            return f"{local}{field}{rng.choice(['研究所', '研究院'])}", "12", f"{field}应用研究"
        if kind == Organization.Kind.TESTING:
            subject = rng.choice(v.TESTING_SUBJECTS)
            suffix = rng.choice(["质量检验检测中心", "检验检测研究院", "检测技术有限公司"])
            prefix = "91" if suffix.endswith("公司") else "12"
            return f"{local}{subject}{suffix}", prefix, f"{subject}检验检测与认证"
        if kind == Organization.Kind.NEW_RND:
            field = rng.choice(v.NEW_RND_FIELDS)
            place = rng.choice([city, "长三角", local])
            suffix = rng.choice(["产业技术研究院", "创新中心"])
            return f"{place}{field}{suffix}", "52", f"{field}共性技术研发、中试与孵化"
        chain = rng.choice(PILLARS)
        trade = rng.choice(v.ENTERPRISE_TRADES[chain])
        firm = f"{NAME_PREFIX[site]}{self.trade_name()}{trade}"
        return f"{firm}工程技术研究中心", "91", "、".join(v.ENTERPRISE_PRODUCTS[chain][:3])

    def trade_name(self) -> str:
        return self.rng.choice(v.TRADE_NAME_FIRST) + self.rng.choice(v.TRADE_NAME_SECOND)

    def instruments(self) -> None:
        """The federation's shared large instruments, mostly at testing bodies and universities."""
        weights = {
            Organization.Kind.TESTING: 4,
            Organization.Kind.UNIVERSITY: 4,
            Organization.Kind.INSTITUTE: 2,
            Organization.Kind.NEW_RND: 2,
            Organization.Kind.ENGINEERING_CENTER: 1,
        }
        owners = self.rng.choices(
            self.institutions,
            weights=[weights[o.kind] for o in self.institutions],
            k=self.counts.instruments,
        )
        medical_ok = {
            Organization.Kind.UNIVERSITY,
            Organization.Kind.INSTITUTE,
            Organization.Kind.NEW_RND,
        }
        catalogue = v.INSTRUMENTS
        general = [entry for entry in catalogue if entry[1] != "medical"]
        instruments = []
        for owner in owners:
            name, category, models_, value, unit, rates, functions = self.rng.choice(
                catalogue if owner.kind in medical_ok else general
            )
            model_number, manufacturer = self.rng.choice(models_)
            external = self.rng.randrange(rates[0], rates[1] + 1, 10)
            self.asset_serial += 1
            instruments.append(
                Instrument(
                    name=name,
                    asset_code=f"YQ-{owner.region.code}-{self.asset_serial:07d}",
                    owner=owner,
                    region=owner.region,
                    status=Status.PUBLISHED,
                    category=category,
                    model_number=model_number,
                    manufacturer=manufacturer,
                    original_value=Decimal(
                        self.rng.randrange(value[0] * 10000, value[1] * 10000, 100)
                    ),
                    location=f"{owner.address}{self.rng.randint(1, 12)}号楼{self.rng.randint(1, 6)}{self.rng.randint(1, 30):02d}室",
                    description=f"{functions}开放共享:工作日预约使用,可申请长三角科技创新券抵扣。",
                    unit=unit,
                    internal_rate=Decimal(external * 6 // 10),
                    external_rate=Decimal(external),
                    state=self.rng.choices(
                        [s for s, _ in Instrument.State.choices], weights=[92, 6, 2]
                    )[0],
                    accepts_vouchers=self.rng.random() < 0.9,
                )
            )
        self.save(Instrument, instruments)

    def services(self) -> None:
        """The federation's service items, each from an institution of a kind that offers it."""
        by_kind: dict[str, list[Organization]] = {}
        for organization in self.institutions:
            by_kind.setdefault(organization.kind, []).append(organization)
        items = []
        for _ in range(self.counts.services):
            title, category, description, price, unit, kinds = self.rng.choice(v.SERVICES)
            providers = [o for kind in kinds for o in by_kind.get(kind, [])] or self.institutions
            provider = self.rng.choice(providers)
            items.append(
                ServiceItem(
                    title=title,
                    provider=provider,
                    region=provider.region,
                    status=Status.PUBLISHED,
                    category=category,
                    description=f"{description}服务机构:{provider.name}。",
                    price=Decimal(self.rng.randrange(price[0], price[1] + 1, 100))
                    if price
                    else None,
                    price_unit=unit,
                    accepts_vouchers=self.rng.random() < 0.85,
                )
            )
        self.save(ServiceItem, items)

    # --- enterprises ----------------------------------------------------------------------------

    def enterprises(self) -> None:
        """Enterprises by chain (the four pillars nine in ten in Ruian), with tier history and plans."""
        slugs = [slug for slug, _, _ in v.ENTERPRISE_CHAINS]
        parts = allocate(self.counts.enterprises, [share for _, share, _ in v.ENTERPRISE_CHAINS])
        plan = [slug for slug, n in zip(slugs, parts, strict=True) for _ in range(n)]
        self.rng.shuffle(plan)
        sites = {slug: regions for slug, _, regions in v.ENTERPRISE_CHAINS}
        seen = dict.fromkeys(slugs, 0)
        self.enterprise_rows: list[
            tuple[int, str, str, str, str]
        ] = []  # pk, region, chain, name, tier
        self.enterprises_by_chain: dict[str, list[int]] = {slug: [] for slug in slugs}
        for start in range(0, len(plan), CHUNK):
            batch, tiers_of = [], {}
            for slug in plan[start : start + CHUNK]:
                seen[slug] += 1
                if slug in PILLARS and seen[slug] % 10:
                    site = RUIAN
                else:
                    site = self.rng.choice([s for s in sites[slug] if s != RUIAN] or sites[slug])
                organization, history = self.enterprise(slug, site)
                batch.append(organization)
                tiers_of[id(organization)] = history
            self.save(Organization, batch)
            records = []
            for organization in batch:
                for tier, day, plan_text in tiers_of[id(organization)]:
                    records.append(
                        TierRecord(
                            organization=organization, tier=tier, recognized_on=day, plan=plan_text
                        )
                    )
            TierRecord.objects.bulk_create(records, batch_size=2000)
            self.link(
                Organization,
                "industry_chains",
                [(o.pk, self.chains[o.demo_chain].pk) for o in batch],
            )
            self.link(
                Organization,
                "fields",
                [(o.pk, self.fields[d].pk) for o in batch for d in o.demo_disciplines],
            )
            for organization in batch:
                row = (
                    organization.pk,
                    organization.region.code,
                    organization.demo_chain,
                    organization.name,
                    organization.tier,
                )
                self.enterprise_rows.append(row)
                self.enterprises_by_chain[organization.demo_chain].append(
                    len(self.enterprise_rows) - 1
                )

    def enterprise(self, slug: str, site: str) -> tuple[Organization, list[tuple[str, date, str]]]:
        rng = self.rng
        trade = rng.choice(v.ENTERPRISE_TRADES[slug])
        tier = rng.choices(["", "tech_sme", "high_tech", "leader"], weights=[40, 36, 19, 5])[0]
        legal_form = "股份有限公司" if tier == "leader" or rng.random() < 0.1 else "有限公司"
        name = f"{NAME_PREFIX[site]}{self.trade_name()}{trade}{legal_form}"
        founded = rng.randint(1985, 2020)
        employees = {
            "": (12, 200),
            "tech_sme": (20, 400),
            "high_tech": (80, 1500),
            "leader": (500, 5000),
        }[tier]
        staff = rng.randint(*employees)
        products = rng.sample(v.ENTERPRISE_PRODUCTS[slug], min(3, len(v.ENTERPRISE_PRODUCTS[slug])))
        standing = {
            "": "正在对照科技型中小企业评价标准培育入库",
            "tech_sme": "已入库浙江省科技型中小企业,正在培育申报高新技术企业",
            "high_tech": "系国家高新技术企业,建有市级企业研发中心",
            "leader": "系创新型领军企业,建有省级企业研究院,牵头组建产业链创新联合体",
        }[tier]
        organization = Organization(
            name=name,
            credit_code=self.credit_code("91", site),
            kind=Organization.Kind.ENTERPRISE,
            tier=tier,
            region=self.regions[site],
            status=Status.PUBLISHED,
            founded_year=founded,
            employees=staff,
            address=self.address(site),
            description=(
                f"{name}成立于{founded}年,位于{self.region_full_names[site]},专业从事"
                f"{'、'.join(products)}的研发、生产与销售,属{self.chains[slug].name}产业链企业。"
                f"公司现有职工{staff}人,{standing}。"
            ),
            main_products="、".join(products),
            contact_name=self.person_name(),
            contact_phone=self.phone(site),
        )
        organization.demo_chain = slug
        organization.demo_disciplines = rng.sample(
            self.chain_disciplines[slug], min(2, len(self.chain_disciplines[slug]))
        )
        return organization, self.tier_history(tier, founded)

    def tier_history(self, tier: str, founded: int) -> list[tuple[str, date, str]]:
        """The steps up to ``tier``: 科技型中小企业 → 高新技术企业 → 创新型领军企业, each with a plan."""
        if not tier:
            return []
        steps = ["tech_sme", "high_tech", "leader"]
        history, year = [], max(founded + 1, self.rng.randint(2016, 2020))
        for step in steps[: steps.index(tier) + 1]:
            day = date(min(year, 2025), self.rng.randint(1, 12), self.rng.randint(1, 28))
            items = self.rng.sample(v.TIER_PLANS[step], 3)
            plan = "一企一策:" + ";".join(f"{n}. {item}" for n, item in enumerate(items, 1)) + "。"
            history.append((step, day, plan))
            year += self.rng.randint(1, 3)
        return history

    # --- experts and achievements ---------------------------------------------------------------

    def next_papers(self, discipline: str, n: int) -> list[Paper]:
        """The next ``n`` papers of a discipline (cycling when a large scale exhausts them)."""
        papers, start = self.papers_by_discipline[discipline], self.paper_cursor[discipline]
        self.paper_cursor[discipline] = start + n
        return [papers[(start + i) % len(papers)] for i in range(n)]

    def experts_and_achievements(self) -> None:
        """Experts with their papers; achievements derived from the papers of technical disciplines."""
        disciplines = list(self.papers_by_discipline)
        # The platform serves industry: engineering dominates, other sciences follow, the humanities
        # appear as a few university scholars.
        emphasis = {"工学": 3.0, "理学": 1.0, "农学": 1.0, "医学": 1.0}
        weights = [
            len(self.papers_by_discipline[d]) * emphasis.get(self.category_of[d], 0.2)
            for d in disciplines
        ]
        universities = [o for o in self.research_orgs if o.kind == Organization.Kind.UNIVERSITY]
        engineer_disciplines = self.chain_disciplines["auto-parts"]
        talents = [t for t, _ in Expert.Talent.choices]
        made_achievements = 0
        for start in range(0, self.counts.experts, CHUNK):
            size = min(CHUNK, self.counts.experts - start)
            experts, works = [], []
            for _ in range(size):
                talent = self.rng.choices(talents, weights=[2, 15, 20, 63])[0]
                if talent == Expert.Talent.ENGINEER:
                    discipline = self.rng.choice(engineer_disciplines)
                    affiliation = self.rng.choice(self.engineer_hosts)
                else:
                    discipline = self.rng.choices(disciplines, weights=weights)[0]
                    technical = self.category_of[discipline] in TECH_CATEGORIES
                    affiliation = self.rng.choice(
                        self.research_orgs if technical or not universities else universities
                    )
                n_papers = (
                    self.rng.randint(4, 6)
                    if talent == Expert.Talent.ACADEMICIAN
                    else self.rng.randint(2, 4)
                )
                expert = self.expert(
                    talent, discipline, affiliation, self.next_papers(discipline, n_papers)
                )
                experts.append(expert)
            self.save(Expert, experts)
            for expert in experts:
                works.extend(
                    ExpertWork(
                        expert=expert,
                        kind=ExpertWork.Kind.PAPER,
                        title=paper.title[:300],
                        abstract=paper.abstract,
                        keywords=clean_keywords(paper.keywords),
                        year=self.rng.randint(2012, 2025),
                        # the CSL record id is the data set's, not a citation a reader could use
                        reference="",
                    )
                    for paper in expert.demo_papers
                )
            ExpertWork.objects.bulk_create(works, batch_size=2000)
            self.link(
                Expert, "fields", [(e.pk, self.fields[e.demo_discipline].pk) for e in experts]
            )
            self.link(
                Expert,
                "industry_chains",
                [(e.pk, self.chains[slug].pk) for e in experts for slug in e.demo_chains],
            )
            target = self.counts.achievements * (start + size) // self.counts.experts
            made_achievements += self.achievements(experts, target - made_achievements)

    def expert(
        self, talent: str, discipline: str, affiliation: Organization, papers: list[Paper]
    ) -> Expert:
        name = self.person_name()
        keywords: list[str] = []
        for paper in papers:
            keywords.extend(k for k in clean_keywords(paper.keywords) if k not in keywords)
        keywords = keywords[:8]
        title = self.rng.choice(v.TITLES[talent])
        if talent == Expert.Talent.ENGINEER:
            chains = ["auto-parts"]
            role = (
                "受聘为瑞安市汽车零部件产业链兼职工程师,常驻企业开展技术诊断、工艺改进与联合攻关。"
            )
        else:
            chains = [s for s, ds in self.chain_disciplines.items() if discipline in ds][:2]
            role = {
                Expert.Talent.ACADEMICIAN: "领衔院士团队,在长三角设立院士专家工作站,指导企业关键核心技术攻关。",
                Expert.Talent.HIGH_LEVEL: "入选省级以上高层次人才计划,主持国家级科研项目多项。",
                Expert.Talent.SCHOLAR: "长期开展产学研合作,为企业提供技术咨询与成果转化服务。",
            }[talent]
        expert = Expert(
            name=name,
            title=title,
            affiliation=affiliation,
            region=affiliation.region,
            status=Status.PUBLISHED,
            talent=talent,
            is_part_time_engineer=talent == Expert.Talent.ENGINEER,
            availability=self.rng.choices(
                [a for a, _ in Expert.Availability.choices], weights=[75, 15, 10]
            )[0],
            keywords=keywords,
            profile=(
                f"{name},{title},就职于{affiliation.name}。主要从事{discipline}领域研究,"
                f"研究方向包括{'、'.join(keywords[:5])}。{role}"
                f"代表性论文有《{papers[0].title}》等。"
            ),
            phone=self.mobile(),
        )
        expert.demo_discipline = discipline
        expert.demo_papers = papers
        expert.demo_chains = chains
        return expert

    def achievements(self, experts: list[Expert], quota: int) -> int:
        """Up to ``quota`` achievements from these experts' papers in technical disciplines."""
        eligible = [
            e
            for e in experts
            if (
                self.category_of[e.demo_discipline] == "工学"
                or e.demo_discipline in INVENTIVE_DISCIPLINES
            )
            and any(invention_title(p.title) for p in e.demo_papers)
        ]
        if quota <= 0 or not eligible:
            return 0
        authors = self.rng.sample(eligible, min(quota, len(eligible)))
        authors += self.rng.choices(eligible, k=quota - len(authors))
        achievements, patents = [], []
        for expert in authors:
            achievements.append(self.achievement(expert))
        self.save(Achievement, achievements)
        for achievement in achievements:
            if achievement.is_patent:
                patents.append(
                    ExpertWork(
                        expert=achievement.demo_inventor,
                        kind=ExpertWork.Kind.PATENT,
                        title=achievement.title,
                        keywords=achievement.keywords,
                        year=int(achievement.patent_number[2:6]),
                        reference=achievement.patent_number,
                    )
                )
        ExpertWork.objects.bulk_create(patents, batch_size=2000)
        self.link(Achievement, "inventors", [(a.pk, a.demo_inventor.pk) for a in achievements])
        self.link(
            Achievement,
            "fields",
            [(a.pk, self.fields[a.demo_inventor.demo_discipline].pk) for a in achievements],
        )
        self.link(
            Achievement,
            "industry_chains",
            [(a.pk, self.chains[s].pk) for a in achievements for s in a.demo_inventor.demo_chains],
        )
        return len(achievements)

    def achievement(self, expert: Expert) -> Achievement:
        """An achievement from one of the expert's papers that describes a method or device: mostly an
        invention patent named after it, else software, a process, a material, a utility model of a
        chain product or a product's industrialisation."""
        rng = self.rng
        discipline = expert.demo_discipline
        paper, title = rng.choice(
            [(p, t) for p in expert.demo_papers if (t := invention_title(p.title)) is not None]
        )
        keywords = clean_keywords(paper.keywords) or [discipline]
        products = [
            p
            for slug in expert.demo_chains
            if slug in ("auto-parts", "mechatronics")
            for p in v.ENTERPRISE_PRODUCTS[slug]
        ]
        kinds = [Achievement.Kind.INVENTION_PATENT] * 6 + [Achievement.Kind.NEW_PRODUCT]
        if discipline in COMPUTING_DISCIPLINES:
            kinds += [Achievement.Kind.SOFTWARE] * 2
        if discipline in MATERIAL_DISCIPLINES:
            kinds += [Achievement.Kind.NEW_MATERIAL]
        if title.endswith("工艺"):
            kinds += [Achievement.Kind.NEW_PROCESS] * 4
        if products:
            kinds += [Achievement.Kind.UTILITY_PATENT] * 2
        kind = rng.choice(kinds)
        year = rng.randint(2015, 2024)
        patent_number = None
        if kind == Achievement.Kind.INVENTION_PATENT:
            patent_number = self.patent_number("1", year)
        elif kind == Achievement.Kind.UTILITY_PATENT:
            title = f"一种{rng.choice(products)}{rng.choice(v.UTILITY_SUFFIXES)}"
            patent_number = self.patent_number("2", year)
        elif kind == Achievement.Kind.SOFTWARE:
            title = f"{keywords[0]}{rng.choice(v.SOFTWARE_SUFFIXES)}"
        elif kind == Achievement.Kind.NEW_MATERIAL:
            title = f"{keywords[0]}新材料及其制备技术"
        elif kind == Achievement.Kind.NEW_PROCESS:
            title = title.removeprefix("一种")
        else:
            title = f"{invention_subject(paper.title)}关键技术及产业化应用"
        owner_region, owner_id = expert.affiliation.region, expert.affiliation_id
        chain_firms = [i for s in expert.demo_chains for i in self.enterprises_by_chain.get(s, [])]
        if (
            chain_firms and rng.random() < 0.3
        ):  # co-owned with (and registered by) a chain enterprise
            pk, code, _, _, _ = self.enterprise_rows[rng.choice(chain_firms)]
            owner_id, owner_region = pk, self.regions[code]
        band = rng.choice(v.PRICE_BANDS)
        price = None
        if rng.random() >= 0.2:
            price = Decimal(rng.randrange(int(band[0]), int(band[1]), 1000))
        achievement = Achievement(
            title=title[:200],
            kind=kind,
            patent_number=patent_number,
            owner_id=owner_id,
            region=owner_region,
            status=Status.PUBLISHED,
            description=paper.abstract,
            keywords=keywords,
            maturity=rng.choice([m for m, _ in Achievement.Maturity.choices]),
            allows_transfer=rng.random() < 0.7,
            allows_license=rng.random() < 0.8,
            allows_joint_development=rng.random() < 0.5,
            allows_equity=rng.random() < 0.2,
            asking_price=price,
        )
        achievement.demo_inventor = expert
        return achievement

    # --- innovation platforms -------------------------------------------------------------------

    def platforms(self) -> None:
        """Platforms at enterprises (postdoc and academician workstations, institutes, centres) and
        at institutions (key labs, maker spaces)."""
        kinds = list(v.PLATFORMS)
        parts = allocate(self.counts.platforms, [25, 20, 20, 15, 12, 8])
        plan = [kind for kind, n in zip(kinds, parts, strict=True) for _ in range(n)]
        self.rng.shuffle(plan)
        ranked = [row for row in self.enterprise_rows if row[4] in ("high_tech", "leader")]
        ranked = ranked or self.enterprise_rows
        levels = {
            "postdoc": ["national", "provincial"],
            "academician": ["provincial", "municipal"],
        }
        platforms, chains = [], []
        for kind in plan:
            established = self.rng.randint(2008, 2025)
            if kind in ("key_lab", "incubator"):
                host = self.rng.choice(self.research_orgs)
                host_id, region, host_name, chain = host.pk, host.region, host.name, None
                label = v.PLATFORMS[kind]
                if kind == "key_lab":
                    label = f"{self.rng.choice(v.INSTITUTE_FIELDS)}{label}"
            else:
                host_id, code, chain, host_name, _ = self.rng.choice(ranked)
                region, label = self.regions[code], v.PLATFORMS[kind]
            level = self.rng.choice(levels.get(kind, ["provincial", "municipal", "county"]))
            name = f"{host_name}{label}"
            platforms.append(
                InnovationPlatform(
                    name=name[:100],
                    kind=kind,
                    level=level,
                    host_id=host_id,
                    region=region,
                    status=Status.PUBLISHED,
                    established_year=established,
                    description=(
                        f"{name}于{established}年获批设立({InnovationPlatform.Level(level).label}),"
                        f"依托{host_name}"
                        + (f"围绕{self.chains[chain].name}产业链" if chain else "")
                        + "开展关键技术攻关、人才培养与成果转化。"
                    ),
                )
            )
            chains.append(chain)
        self.save(InnovationPlatform, platforms)
        self.link(
            InnovationPlatform,
            "industry_chains",
            [(p.pk, self.chains[c].pk) for p, c in zip(platforms, chains, strict=True) if c],
        )


def invention_subject(title: str) -> str | None:
    """What a paper's title is about, fit to name an invention: the main title without a "study of"
    ending or a leading 一种; ``None`` when that leaves something too short or too long."""
    main = re.split(r"——|--|[:\uff1a(\uff08]", title)[0].strip().removeprefix("一种")
    for ending in STUDY_ENDINGS:
        if main.endswith(ending):
            main = main[: -len(ending)]
            break
    return main if 4 <= len(main) <= 36 else None


def invention_title(paper_title: str) -> str | None:
    """``一种…`` named after a paper that describes a method or device, else ``None``."""
    subject = invention_subject(paper_title)
    if subject is None:
        return None
    if subject.endswith(INVENTION_ENDINGS):
        return f"一种{subject}"
    if subject.endswith(PROCEDURE_ENDINGS):
        return f"一种{subject}方法"
    return None


def clean_keywords(keywords: Sequence[str]) -> list[str]:
    """Author keywords fit for a profile: 2–12 characters, no duplicates (some CSL rows carry junk)."""
    kept: list[str] = []
    for keyword in keywords:
        keyword = keyword.strip()
        if 2 <= len(keyword) <= 12 and keyword not in kept:
            kept.append(keyword)
    return kept
