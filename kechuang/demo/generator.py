"""Generating the demo federation into the database.

:func:`load_demo` writes the regions, the 长三角 federation, industry chains, the CSL technical-field tree,
the federation's shared institutions with their instruments and service items, enterprises with their
cultivation history, experts, achievements, innovation platforms, national societies and the demo log-ins
— all in one transaction, ending with an audit row (``demo.loaded``) that marks the demo as loaded and
records its counts.

Records are coherent: an institution follows directions of its member's industries (its name, fields,
instruments and services come from them; it holds each instrument model once and lists each service once);
an enterprise makes the products of one line of its chain; an expert works in one specialty
(:mod:`kechuang.demo.specialties`) at an institution following it, with papers, a patent and a project of
it, or is a scholar of one discipline whose CSL papers are on one subject; an achievement's text is about
its title. Availability is drawn apart from all of this.

Guarantees: the same counts give the same records (``random.Random(20211)``); every organisation has a
valid unified social credit code whose region digits are its region's code; every patent has a valid
patent number; planner statistics are refreshed (``ANALYZE``) after the load; a second call with the
same counts writes nothing; a call with other counts on a loaded database raises
:class:`DemoAlreadyLoaded` and writes nothing.
"""

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count

from kechuang.auctions.demo import load_demo_auctions
from kechuang.booking.demo import load_demo_bookings
from kechuang.challenges.demo import load_demo_challenges
from kechuang.contracts.demo import load_demo_contracts
from kechuang.core.audit import record
from kechuang.core.models import AuditEntry, Federation, IndustryChain, Region, TechField
from kechuang.demands.demo import load_demo_demands
from kechuang.demo import vocabulary as v
from kechuang.demo.accounts import create_demo_users, demo_operators
from kechuang.demo.inventions import INVENTION_FACTS
from kechuang.demo.papers import Paper, disciplines_by_category, load_papers
from kechuang.demo.specialties import (
    DIRECTION,
    LATE_SPECIALTIES,
    SPECIALTIES,
    SPECIALTIES_OF,
    SPECIALTY,
    Specialty,
)
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
from kechuang.indicators.demo import load_demo_indicators
from kechuang.vouchers.demo import load_demo_vouchers

SEED = 20211
MARKER_ACTION = "demo.loaded"
CHUNK = 2000  # records generated and written per step, so that large scales run in bounded memory
PILLARS = ("auto-parts", "mechatronics", "polymer", "fashion")
RUIAN = "330381"
# The chains of the eight tasks of kechuang.challenges.demo.RUIAN_2021_TASKS, in order, with words of
# the products of the enterprise that proposes each.
CHALLENGE_CHAINS = (
    ("auto-parts", ("电控气源", "电动空压机")),
    ("auto-parts", ("电子驻车", "制动阀")),
    ("auto-parts", ("电驱动壳体", "转向器壳体")),
    ("polymer", ("聚碳酸酯",)),
    ("mechatronics", ("减速器", "工业机器人")),
    ("polymer", ("改性", "功能性薄膜")),
    ("fashion", ("服装", "飞织")),
    ("auto-parts", ("电动转向", "汽车电子控制单元")),
)
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
# Experts not engaged as engineers who work in an authored specialty; the others are scholars of the
# CSL disciplines.
INDUSTRY_SHARE = 0.6
INSTITUTION_SUFFIXES = (
    r"(研究所|研究院|产业技术研究院|创新中心|质量检验检测中心|检验检测研究院|检测技术有限公司)$"
)
TEAM_SIZE = 3  # co-inventors of one named invention of a specialty
MATURITY_PHRASES = {
    "research": "已完成实验室原理验证",
    "pilot": "已完成小试验证",
    "trial": "已完成中试验证",
    "batch": "已在合作企业小批量应用",
    "industrial": "已实现产业化应用",
}
# The programmes that fund projects, by province (first two digits of the region code).
PROGRAMMES = {
    "31": ["上海市科技创新行动计划", "国家重点研发计划课题", "企业委托横向课题"],
    "32": ["江苏省重点研发计划", "国家重点研发计划课题", "企业委托横向课题"],
    "33": ["浙江省“尖兵”“领雁”研发攻关计划", "国家重点研发计划课题", "企业委托横向课题"],
}
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


@dataclass(eq=False)
class Invention:
    """An invention of a specialty: what it is registered as, its inventors and the start of its text."""

    specialty: Specialty
    title: str
    kind: str
    patent_number: str | None
    year: int
    text: str
    effect: str
    inventors: list = field(default_factory=list)
    achieved: bool = False


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
class DemoPlan:
    """What the generator decided about each record it wrote, known only while it builds (never stored
    on the records): an expert's and an achievement's specialty key (``None`` for a scholar of another
    discipline and an achievement named after a paper) and an institution's directions. The product
    benchmark (:mod:`kechuang.matching.product`) judges matches by it."""

    expert_specialty: dict[int, str | None]
    achievement_specialty: dict[int, str | None]
    organization_directions: dict[int, tuple[str, ...]]


@dataclass(frozen=True)
class DemoResult:
    created: bool
    scale: int
    counts: DemoCounts
    plan: DemoPlan | None = None  # set when this call generated the demo


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
        builder = DemoBuilder(counts, progress or (lambda n: None))
        federation = builder.build()
        record(
            None,
            MARKER_ACTION,
            federation,
            f"加载演示数据（规模 {scale}）",
            scale=scale,
            counts=asdict(counts),
            seed=SEED,
        )
    # Fresh planner statistics: without them SQLite sorts whole tables instead of using the indexes.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    plan = DemoPlan(
        expert_specialty=dict(builder.expert_specialty),
        achievement_specialty=dict(builder.achievement_specialty),
        organization_directions={o.pk: tuple(o.demo_directions) for o in builder.institutions},
    )
    return DemoResult(created=True, scale=scale, counts=counts, plan=plan)


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
        self.paper_words = {p.id: bigrams(p.title + "".join(p.keywords)) for p in load_papers()}
        self.used_papers: dict[str, set[str]] = {}
        self.strong_papers = {
            s.key: [
                p
                for p in self.papers_by_discipline[s.discipline]
                if sum(t in p.title + " ".join(p.keywords) for t in s.terms) >= 2
            ]
            for s in SPECIALTIES + LATE_SPECIALTIES
        }
        self.used_strong: set[str] = set()
        self.achieved_papers: set[str] = set()
        self.inventions: dict[str, list[Invention]] = {}
        self.invention_turn: dict[str, int] = {}
        self.expert_specialty: dict[int, str | None] = {}
        self.achievement_specialty: dict[int, str | None] = {}
        self.enterprise_region: dict[int, str] = {}

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
        # The demo log-ins: a Ruian brake-system maker (the demo demands are its), a Wenzhou
        # university and a Ruian part-time engineer of air brakes.
        brake_words = ("制动阀", "电控空气处理单元", "弹簧制动气室", "电子驻车制动器")
        makers = [
            (-sum(w in self.enterprise_products[pk] for w in brake_words), pk)
            for pk, code, chain, _, tier in self.enterprise_rows
            if code == RUIAN and chain == "auto-parts" and tier
        ] or [(0, pk) for pk, _, chain, _, _ in self.enterprise_rows if chain == "auto-parts"]
        enterprise = Organization.objects.get(pk=min(makers)[1])
        universities = Organization.objects.filter(
            kind=Organization.Kind.UNIVERSITY, is_shared=True
        ).order_by("pk")
        wenzhou_universities = universities.filter(
            region__path__startswith=self.regions["330300"].path
        )
        engineers = Expert.objects.filter(is_part_time_engineer=True).order_by("pk")
        brake_engineers = [
            pk
            for pk in engineers.values_list("pk", flat=True)
            if self.expert_specialty.get(pk) == "brake"
        ]
        engineer = (
            engineers.filter(pk__in=brake_engineers, region__code=RUIAN).first()
            or engineers.filter(pk__in=brake_engineers).first()
            or engineers.filter(region__code=RUIAN).first()
            or engineers.first()
        )
        institution = wenzhou_universities.first() or universities.first()
        create_demo_users(enterprise=enterprise, institution=institution, expert=engineer)
        ruian = self.regions[RUIAN]
        load_demo_demands(ruian, enterprise=enterprise, institution=institution, expert=engineer)
        operators = demo_operators()
        load_demo_challenges(
            ruian, operators[RUIAN], self.challenge_issuers(), self.challenge_reviewers()
        )
        load_demo_contracts(operators)
        load_demo_auctions(operators)
        self.submissions_awaiting_review(ruian, exclude=enterprise)
        load_demo_vouchers(federation, enterprise=enterprise)
        load_demo_bookings(institution=institution, enterprise=enterprise)
        load_demo_indicators()  # after the records its formulas read (contracts' turnover)
        self.special_instruments()
        self.late_specialists()
        return federation

    def late_specialists(self) -> None:
        """The people of each :data:`~kechuang.demo.specialties.LATE_SPECIALTIES`: as many as a
        specialty of its weight got in the main run, each a scholar of another discipline whom no other
        record refers to (no achievement, engagement, pool, team or panel seat) turned into one of its
        specialists — a new person with an affiliation, keywords, profile and works of the specialty,
        in place of the old — and achievements of their inventions in the share the main run gives
        its experts, so every other record stays as it was. Run after everything else, with a
        generator of its own; the progress bar counts :class:`DemoCounts`' records only."""
        main, self.rng = self.rng, random.Random(SEED + 2)
        progress, self.progress = self.progress, lambda n: None
        weights = sum(s.weight for s in SPECIALTIES)
        specialists = sum(1 for key in self.expert_specialty.values() if key)
        scholars = [pk for pk, key in self.expert_specialty.items() if key is None]
        free = list(
            Expert.objects.filter(
                pk__in=scholars,
                talent__in=[Expert.Talent.SCHOLAR, Expert.Talent.HIGH_LEVEL],
                achievements=None,
                engagements=None,
                invited_demands=None,
                pool_memberships=None,
                service_teams=None,
                panel_seats=None,
            ).order_by("pk")
        )
        try:
            for specialty in LATE_SPECIALTIES:
                people = []
                for _ in range(min(len(free), round(specialists * specialty.weight / weights))):
                    old = free.pop(self.rng.randrange(len(free)))
                    expert = self.specialist(old.talent, specialty)
                    expert.pk, expert.created_at = old.pk, old.created_at
                    expert.save()
                    ExpertWork.objects.filter(expert=expert).delete()
                    ExpertWork.objects.bulk_create(self.works_of(expert))
                    expert.fields.set([self.fields[expert.demo_discipline]])
                    expert.industry_chains.set([self.chains[slug] for slug in expert.demo_chains])
                    self.expert_specialty[expert.pk] = specialty.key
                    people.append(expert)
                share = self.counts.achievements / self.counts.experts
                self.achievements(people, round(len(people) * share))
        finally:
            self.rng, self.progress = main, progress

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
        """For each task of Ruian's 2021 list, in order, a leading Ruian enterprise of its chain, one
        making what the task is about where there is one."""
        rank = {"leader": 0, "high_tech": 1, "tech_sme": 2, "": 3}
        chosen: list[int] = []
        for slug, words in CHALLENGE_CHAINS:
            candidates = [
                (not any(w in self.enterprise_products[pk] for w in words), rank[tier], pk)
                for pk, code, chain, _, tier in self.enterprise_rows
                if code == RUIAN and chain == slug and pk not in chosen
            ]
            if candidates:
                chosen.append(min(candidates)[2])
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
        """The federation's shared institutions, spread round-robin over Jiading, Suzhou and Wenzhou, each
        following directions of its member's industries: its name, fields, instruments and services
        come from them."""
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
        universities = {member: list(rows) for member, rows in v.UNIVERSITIES.items()}
        institutions = []
        for i, kind in enumerate(kinds):
            member = v.FEDERATION_MEMBERS[i % len(v.FEDERATION_MEMBERS)]
            site = self.rng.choice(v.FEDERATION_SITES[member])
            # Not even a 研究所 beside a 研究院 of the same name: retry (within reason) until the stem
            # of the name is new.
            identity = self.institution_identity(kind, member, site, universities)
            for _ in range(50):
                if identity[0] not in names and name_stem(identity[0]) not in names:
                    break
                identity = self.institution_identity(kind, member, site, universities)
            while identity[0] in names:
                identity = self.institution_identity(kind, member, site, universities)
            name, prefix, products, directions, comprehensive = identity
            names.update((name, name_stem(name)))
            labels = "、".join(DIRECTION[d].label for d in directions)
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
                        f"{name}是{v.FEDERATION_NAME}首批共享的{kind.label}，位于"
                        f"{self.region_full_names[site]}，主要方向为{labels}，"
                        f"向长三角企业开放大型仪器与专业服务，支持创新券（双创券）通用通兑。"
                    ),
                    main_products=products,
                    contact_name=self.person_name(),
                    contact_phone=self.phone(site),
                )
            )
            institutions[-1].demo_directions = directions
            institutions[-1].demo_comprehensive = comprehensive
            institutions[-1].demo_disciplines = list(
                dict.fromkeys(s.discipline for d in directions for s in SPECIALTIES_OF[d])
            )
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
        ]

    def institution_identity(
        self, kind: str, member: str, site: str, universities: dict[str, list]
    ) -> tuple[str, str, str, tuple[str, ...], bool]:
        """A name, the credit-code registration prefix, the main business, the directions and whether
        it is a comprehensive university."""
        rng, city, local = self.rng, v.CITY_SHORT[member], v.REGION_SHORT[site]
        direction = DIRECTION[rng.choice(v.MEMBER_DIRECTIONS[member])]
        research = "、".join(s.name for s in SPECIALTIES_OF[direction.key])
        if kind == Organization.Kind.UNIVERSITY:
            if universities[member]:
                name, directions, comprehensive = universities[member].pop(0)
                return (
                    name,
                    "12",
                    "人才培养、科学研究、社会服务与成果转化",
                    directions,
                    comprehensive,
                )
            name = f"{city}{direction.label}职业技术学院"
            return name, "12", "人才培养、科学研究、社会服务与成果转化", (direction.key,), False
        if kind == Organization.Kind.INSTITUTE:
            name = f"{local}{direction.label}{rng.choice(['研究所', '研究院'])}"
            return name, "12", f"{research}应用研究", (direction.key,), False
        if kind == Organization.Kind.TESTING:
            suffix = rng.choice(["质量检验检测中心", "检验检测研究院", "检测技术有限公司"])
            prefix = "91" if suffix.endswith("公司") else "12"
            name = f"{local}{direction.testing}{suffix}"
            return name, prefix, f"{direction.testing}检验检测与认证", (direction.key,), False
        if kind == Organization.Kind.NEW_RND:
            place = rng.choice([city, "长三角", local])
            suffix = rng.choice(["产业技术研究院", "创新中心"])
            name = f"{place}{direction.label}{suffix}"
            return name, "52", f"{research}共性技术研发、中试与孵化", (direction.key,), False
        # An enterprise's engineering centre: a firm of a product line that works in this direction.
        lines = [
            line
            for chain_lines in v.ENTERPRISE_LINES.values()
            for line in chain_lines
            if any(SPECIALTY[k].direction == direction.key for k in line[2])
        ] or [
            line for chain_lines in v.ENTERPRISE_LINES.values() for line in chain_lines if line[2]
        ]
        trade, products, specialties = rng.choice(lines)
        firm = f"{NAME_PREFIX[site]}{self.trade_name()}{trade}"
        directions = tuple(dict.fromkeys(SPECIALTY[k].direction for k in specialties))
        return f"{firm}工程技术研究中心", "91", "、".join(products[:3]), directions, False

    def trade_name(self) -> str:
        return self.rng.choice(v.TRADE_NAME_FIRST) + self.rng.choice(v.TRADE_NAME_SECOND)

    def instruments(self) -> None:
        """The federation's shared large instruments, mostly at testing bodies and universities, each
        from the catalogue of the owner's directions; an owner holds each model once."""
        weights = {
            Organization.Kind.TESTING: 4,
            Organization.Kind.UNIVERSITY: 4,
            Organization.Kind.INSTITUTE: 2,
            Organization.Kind.NEW_RND: 2,
            Organization.Kind.ENGINEERING_CENTER: 1,
        }
        stock: dict[int, list[tuple[int, tuple[str, str]]]] = {}
        for n, owner in enumerate(self.institutions):
            pairs = [
                (i, model)
                for i, entry in enumerate(v.INSTRUMENTS)
                if set(entry[7]) & set(owner.demo_directions)
                for model in entry[2]
            ]
            self.rng.shuffle(pairs)
            stock[n] = pairs
        instruments = []
        for _ in range(self.counts.instruments):
            open_owners = [n for n in stock if stock[n]]
            n = self.rng.choices(
                open_owners, weights=[weights[self.institutions[k].kind] for k in open_owners]
            )[0]
            owner = self.institutions[n]
            i, (model_number, manufacturer) = stock[n].pop()
            name, category, _, value, unit, rates, functions, _ = v.INSTRUMENTS[i]
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
                    description=f"{functions}开放共享：工作日预约使用，可申请长三角科技创新券抵扣。",
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

    def special_instruments(self) -> None:
        """Each :data:`~kechuang.demo.vocabulary.SPECIAL_INSTRUMENTS` at the testing body of its direction
        nearest Ruian (its own region, then its city, then anywhere; the first such body): it takes the
        place of that body's copy of its most common catalogue kind that nothing refers to yet, so the
        federation's published count (1,705) and every other record stay as they were. Run after
        everything else, with a generator of its own."""
        rng = random.Random(SEED + 1)
        copies = dict(
            Instrument.objects.values_list("name").annotate(n=Count("pk")).values_list("name", "n")
        )
        for (
            name,
            category,
            models,
            value,
            unit,
            rates,
            functions,
            directions,
        ) in v.SPECIAL_INSTRUMENTS:
            testing = [
                o
                for o in self.institutions
                if o.kind == Organization.Kind.TESTING and set(directions) & set(o.demo_directions)
            ]
            if not testing:
                continue
            owner = min(
                testing,
                key=lambda o: (o.region.code != RUIAN, o.region.code[:4] != RUIAN[:4], o.pk),
            )
            referred = {
                f"{relation.get_accessor_name()}__isnull": True
                for relation in Instrument._meta.related_objects
                if relation.one_to_many or relation.one_to_one
            }
            free = Instrument.objects.filter(owner=owner, **referred).exclude(name=name).distinct()
            replaced = max(free, key=lambda i: (copies.get(i.name, 0), i.pk), default=None)
            if replaced is None:
                continue
            model_number, manufacturer = models[0]
            external = rng.randrange(rates[0], rates[1] + 1, 10)
            Instrument.objects.filter(pk=replaced.pk).update(
                name=name,
                category=category,
                model_number=model_number,
                manufacturer=manufacturer,
                original_value=Decimal(rng.randrange(value[0] * 10000, value[1] * 10000, 100)),
                description=f"{functions}开放共享：工作日预约使用，可申请长三角科技创新券抵扣。",
                unit=unit,
                internal_rate=Decimal(external * 6 // 10),
                external_rate=Decimal(external),
                state=Instrument.State.AVAILABLE,
                accepts_vouchers=True,
            )

    def services(self) -> None:
        """The federation's service items, each from an institution of a kind and a direction that
        offers it; an institution lists each service once."""
        offered: set[tuple[int, str]] = set()
        items = []
        while len(items) < self.counts.services:
            title, category, description, price, unit, kinds, directions = self.rng.choice(
                v.SERVICES
            )
            providers = [
                o
                for o in self.institutions
                if o.kind in kinds
                and (not directions or set(directions) & set(o.demo_directions))
                and (o.pk, title) not in offered
            ]
            if not providers:
                continue
            provider = self.rng.choice(providers)
            offered.add((provider.pk, title))
            items.append(
                ServiceItem(
                    title=title,
                    provider=provider,
                    region=provider.region,
                    status=Status.PUBLISHED,
                    category=category,
                    description=f"{description}服务机构：{provider.name}。",
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
        self.enterprises_by_specialty: dict[str, list[int]] = {}
        self.enterprise_products: dict[int, str] = {}
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
                self.enterprise_products[organization.pk] = organization.main_products
                self.enterprise_region[organization.pk] = organization.region.code
                for key in organization.demo_specialties:
                    self.enterprises_by_specialty.setdefault(key, []).append(organization.pk)
                self.enterprises_by_chain[organization.demo_chain].append(
                    len(self.enterprise_rows) - 1
                )

    def enterprise(self, slug: str, site: str) -> tuple[Organization, list[tuple[str, date, str]]]:
        rng = self.rng
        trade, line_products, specialties = rng.choice(v.ENTERPRISE_LINES[slug])
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
        products = rng.sample(line_products, min(rng.choice((2, 3)), len(line_products)))
        standing = {
            "": "正在对照科技型中小企业评价标准培育入库",
            "tech_sme": "已入库科技型中小企业，正在培育申报高新技术企业",
            "high_tech": "系国家高新技术企业，建有市级企业研发中心",
            "leader": "系创新型领军企业，建有省级企业研究院，牵头组建产业链创新联合体",
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
                f"{name}成立于{founded}年，位于{self.region_full_names[site]}，专业从事"
                f"{'、'.join(products)}的研发、生产与销售，属{self.chains[slug].name}产业链企业。"
                f"公司现有职工{staff}人，{standing}。"
            ),
            main_products="、".join(products),
            contact_name=self.person_name(),
            contact_phone=self.phone(site),
        )
        organization.demo_chain = slug
        organization.demo_specialties = specialties
        organization.demo_disciplines = (
            list(dict.fromkeys(SPECIALTY[k].discipline for k in specialties))
            or self.chain_disciplines[slug][:2]
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
            plan = "一企一策：" + ";".join(f"{n}. {item}" for n, item in enumerate(items, 1)) + "。"
            history.append((step, day, plan))
            year += self.rng.randint(1, 3)
        return history

    # --- experts and achievements ---------------------------------------------------------------

    def next_papers(self, discipline: str, n: int) -> list[Paper]:
        """``n`` papers of a discipline on one subject: the next unused paper and the unused papers
        nearest to it by title and keyword bigrams (reused once a large scale has used them all)."""
        papers = self.papers_by_discipline[discipline]
        used = self.used_papers.setdefault(discipline, set())
        if len(used) + n > len(papers):
            used.clear()
        start = self.paper_cursor[discipline]
        while papers[start % len(papers)].id in used:
            start += 1
        seed = papers[start % len(papers)]
        self.paper_cursor[discipline] = start + 1
        words = self.paper_words[seed.id]
        nearest = sorted(
            (p for p in papers if p.id not in used and p.id != seed.id),
            key=lambda p: (
                -len(words & self.paper_words[p.id]) / (len(words | self.paper_words[p.id]) or 1)
            ),
        )
        chosen = [seed, *nearest[: n - 1]]
        used.update(p.id for p in chosen)
        return chosen

    def strong_paper(self, specialty: Specialty) -> list[Paper]:
        """At most one unused CSL paper squarely in the specialty (two of its terms in title or
        keywords)."""
        for paper in self.strong_papers[specialty.key]:
            if paper.id not in self.used_strong:
                self.used_strong.add(paper.id)
                return [paper]
        return []

    def invention_pool(self, specialty: Specialty) -> list["Invention"]:
        """The specialty's named inventions, then (for large scales) the same applied to each use."""
        pool = self.inventions.get(specialty.key)
        if pool is None:
            titles = list(specialty.inventions)
            self.rng.shuffle(titles)
            pool = [self.invention(specialty, t, named=t) for t in titles]
            pool += [
                self.invention(
                    specialty, f"一种用于{use}的{title.removeprefix('一种')}", named=title, use=use
                )
                for title in titles
                for use in specialty.uses.split("、")
                if use[:2] not in title
            ]
            self.inventions[specialty.key] = pool
        return pool

    def next_invention(self, specialty: Specialty) -> "Invention":
        """The invention the next expert of a specialty holds: each named one goes to a team of up to
        three co-inventors before the applied ones are handed out."""
        pool = self.invention_pool(specialty)
        named = len(specialty.inventions)
        turn = self.invention_turn.get(specialty.key, 0)
        self.invention_turn[specialty.key] = turn + 1
        if turn < named * TEAM_SIZE:
            return pool[turn % named]
        return pool[named + (turn - named * TEAM_SIZE) % (len(pool) - named or 1)]

    def invention(self, specialty: Specialty, title: str, named: str, use: str = "") -> "Invention":
        """What an invention of the specialty becomes: mostly an invention patent; a process, a
        utility model of a device, software of a computing method or a product's industrialisation.
        Its text says what ``named`` (the specialty's title it is, or is applied from) solves, how and
        with what effect (:data:`~kechuang.demo.inventions.INVENTION_FACTS`)."""
        rng, subject = self.rng, title.removeprefix("一种")
        year = rng.randint(2015, 2024)
        kind, number = Achievement.Kind.INVENTION_PATENT, None
        if subject.endswith("工艺") and rng.random() < 0.5:
            kind, title = Achievement.Kind.NEW_PROCESS, subject
        elif (
            subject.endswith(("结构", "装置", "支架", "电路", "组件", "瓶阀"))
            and rng.random() < 0.4
        ):
            kind = Achievement.Kind.UTILITY_PATENT
        elif (
            specialty.direction in ("xinchuang", "computing")
            and subject.endswith(("方法", "系统", "平台"))
            and rng.random() < 0.4
        ):
            kind = Achievement.Kind.SOFTWARE
            title = (
                f"{subject.removesuffix('方法').removesuffix('系统').removesuffix('平台')}软件V1.0"
            )
        elif rng.random() < 0.12:
            kind = Achievement.Kind.NEW_PRODUCT
            title = f"{subject}关键技术及产业化应用"
        if kind in (Achievement.Kind.INVENTION_PATENT, Achievement.Kind.UTILITY_PATENT):
            digit = "1" if kind == Achievement.Kind.INVENTION_PATENT else "2"
            number = self.patent_number(digit, year)
        # the draw that picked its methods from the specialty's keywords stays, so that the seeded
        # demo's later draws (who holds what, where) are those of earlier versions
        self.rng.sample(specialty.keywords, 3)
        problem, methods, effect = INVENTION_FACTS[named]
        text = (
            f"“{title}”面向{use or specialty.uses}，针对{problem}的问题，综合运用"
            f"{methods[0]}、{methods[1]}与{methods[2]}等技术"
        )
        return Invention(specialty, title[:200], kind, number, year, text, effect)

    def experts_and_achievements(self) -> None:
        """Experts each in one specialty, with their papers, patents and projects; achievements from
        their inventions and from the papers of technical disciplines."""
        disciplines = list(self.papers_by_discipline)
        # The platform serves industry: engineering dominates, other sciences follow, the humanities
        # appear as a few university scholars.
        emphasis = {"工学": 3.0, "理学": 1.0, "农学": 1.0, "医学": 1.0}
        weights = [
            len(self.papers_by_discipline[d]) * emphasis.get(self.category_of[d], 0.2)
            for d in disciplines
        ]
        engineering = [s for s in SPECIALTIES if "auto-parts" in s.chains]
        talents = [t for t, _ in Expert.Talent.choices]
        made_achievements = 0
        for start in range(0, self.counts.experts, CHUNK):
            size = min(CHUNK, self.counts.experts - start)
            experts, works = [], []
            for _ in range(size):
                talent = self.rng.choices(talents, weights=[2, 15, 20, 63])[0]
                if talent == Expert.Talent.ENGINEER:
                    specialty = self.rng.choices(engineering, [s.weight for s in engineering])[0]
                elif self.rng.random() < INDUSTRY_SHARE:
                    specialty = self.rng.choices(SPECIALTIES, [s.weight for s in SPECIALTIES])[0]
                else:
                    specialty = None
                if specialty is None:
                    discipline = self.rng.choices(disciplines, weights=weights)[0]
                    n_papers = 4 if talent == Expert.Talent.ACADEMICIAN else self.rng.randint(2, 4)
                    expert = self.scholar(
                        talent, discipline, self.next_papers(discipline, n_papers)
                    )
                else:
                    expert = self.specialist(talent, specialty)
                experts.append(expert)
            self.save(Expert, experts)
            for expert in experts:
                works.extend(self.works_of(expert))
            ExpertWork.objects.bulk_create(works, batch_size=2000)
            self.link(
                Expert, "fields", [(e.pk, self.fields[e.demo_discipline].pk) for e in experts]
            )
            self.link(
                Expert,
                "industry_chains",
                [(e.pk, self.chains[slug].pk) for e in experts for slug in e.demo_chains],
            )
            for expert in experts:
                self.expert_specialty[expert.pk] = expert.demo_specialty
            target = self.counts.achievements * (start + size) // self.counts.experts
            made_achievements += self.achievements(experts, target - made_achievements)

    def affiliation(
        self, talent: str, specialty: Specialty | None, discipline: str
    ) -> Organization:
        """An institution where such an expert works: one following the specialty's direction (an
        engineer's in Wenzhou), or for a scholar of another discipline one with that discipline or a
        comprehensive university."""
        if specialty is not None:
            fits = [o for o in self.institutions if specialty.direction in o.demo_directions]
            if talent == Expert.Talent.ENGINEER:
                hosts = [o for o in self.engineer_hosts if o in fits]
            else:
                hosts = [o for o in fits if o.kind != Organization.Kind.TESTING]
            hosts = hosts or fits
        else:
            hosts = [
                o
                for o in self.research_orgs
                if discipline in o.demo_disciplines or o.demo_comprehensive
            ]
        if (
            talent == Expert.Talent.ACADEMICIAN
        ):  # academicians lead teams at universities and institutes
            hosts = [
                o for o in hosts if o.kind == Organization.Kind.INSTITUTE or o.name.endswith("大学")
            ] or hosts
        return self.rng.choice(hosts or self.research_orgs)

    def new_expert(
        self, talent: str, affiliation: Organization, discipline: str, keywords: list[str]
    ) -> Expert:
        name = self.person_name()
        university = affiliation.kind == Organization.Kind.UNIVERSITY
        if affiliation.kind == Organization.Kind.ENGINEERING_CENTER and talent != "academician":
            title = self.rng.choice(["高级工程师", "正高级工程师"])
        else:
            title = self.rng.choice(v.TITLES[(talent, university)])
        expert = Expert(
            name=name,
            title=title,
            affiliation=affiliation,
            region=affiliation.region,
            status=Status.PUBLISHED,
            talent=talent,
            is_part_time_engineer=talent == Expert.Talent.ENGINEER,
            # Whether an expert takes new work has nothing to do with what they know.
            availability=self.rng.choices(
                [a for a, _ in Expert.Availability.choices], weights=[88, 8, 4]
            )[0],
            keywords=keywords,
            phone=self.mobile(),
        )
        expert.demo_discipline = discipline
        expert.demo_papers = []
        expert.demo_inventions = []
        expert.demo_studies = []
        expert.demo_projects = []
        expert.demo_specialty = None
        return expert

    def role(self, talent: str) -> str:
        return {
            Expert.Talent.ACADEMICIAN: "领衔院士团队，在长三角设立院士专家工作站，指导企业关键核心技术攻关。",
            Expert.Talent.HIGH_LEVEL: "入选省级以上高层次人才计划，主持国家级科研项目多项。",
            Expert.Talent.SCHOLAR: "长期开展产学研合作，为企业提供技术咨询与成果转化服务。",
            Expert.Talent.ENGINEER: "受聘为瑞安市汽车零部件产业链兼职工程师，常驻企业开展技术诊断、工艺改进与联合攻关。",
        }[talent]

    def specialist(self, talent: str, specialty: Specialty) -> Expert:
        """An expert of an authored specialty: its keywords, one of its inventions (shared with
        co-inventors once they run out), one of its projects and papers on its subjects."""
        affiliation = self.affiliation(talent, specialty, specialty.discipline)
        keywords = self.rng.sample(specialty.keywords, min(6, len(specialty.keywords)))
        expert = self.new_expert(talent, affiliation, specialty.discipline, keywords)
        invention = self.next_invention(specialty)
        invention.inventors.append(expert)
        expert.demo_inventions = [invention]
        expert.demo_papers = self.strong_paper(specialty)
        n_studies = 3 if talent == Expert.Talent.ACADEMICIAN else self.rng.randint(1, 2)
        expert.demo_studies = self.studies(specialty, invention, n_studies)
        expert.demo_projects = [self.rng.choice(specialty.projects)]
        expert.demo_specialty = specialty.key
        expert.demo_chains = list(specialty.chains)
        if talent == Expert.Talent.ENGINEER and "auto-parts" not in expert.demo_chains:
            expert.demo_chains.append("auto-parts")
        expert.profile = (
            f"{expert.name}，{expert.title}，就职于{affiliation.name}。主要从事{specialty.name}研究，"
            f"研究方向包括{'、'.join(keywords[:5])}，成果应用于{specialty.uses}。{self.role(talent)}"
            f"代表性成果有“{invention.title}”等。"
        )
        return expert

    def studies(self, specialty: Specialty, own: "Invention", n: int) -> list[tuple[str, str]]:
        """Papers (title, abstract) of a specialist on subjects of the specialty's named inventions."""
        subjects = [
            re.sub(r"及其.*$", "", title.removeprefix("一种"))
            for title in specialty.inventions
            if title != own.title
        ]
        methods = DIRECTION[specialty.direction].methods
        studies = []
        for subject in self.rng.sample(subjects, min(n, len(subjects))):
            words = self.rng.sample(specialty.keywords, 2)
            title = self.rng.choice([f"{subject}研究", f"{subject}的设计与试验研究"])
            studies.append(
                (
                    title,
                    f"针对{specialty.problem}的问题，研究了{subject}。通过{methods}，"
                    f"揭示了{words[0]}与{words[1]}的作用规律。结果表明，{specialty.effect}。",
                )
            )
        return studies

    def scholar(self, talent: str, discipline: str, papers: list[Paper]) -> Expert:
        """An expert of another discipline, whose papers are CSL papers on one subject."""
        keywords: list[str] = []
        for paper in papers:
            keywords.extend(k for k in clean_keywords(paper.keywords) if k not in keywords)
        keywords = keywords[:8] or [discipline]
        affiliation = self.affiliation(talent, None, discipline)
        expert = self.new_expert(talent, affiliation, discipline, keywords)
        expert.demo_papers = papers
        # The chains of the specialty of this discipline the papers are squarely in, if any.
        text = "".join(p.title + "".join(p.keywords) for p in papers)
        hits = [
            (sum(t in text for t in specialty.terms), specialty.chains)
            for specialty in SPECIALTIES
            if specialty.discipline == discipline
        ]
        best = max(hits, default=(0, ()))
        expert.demo_chains = list(best[1]) if best[0] >= 2 else []
        expert.profile = (
            f"{expert.name}，{expert.title}，就职于{affiliation.name}。主要从事{discipline}领域研究，"
            f"研究方向包括{'、'.join(keywords[:5])}。{self.role(talent)}"
            f"代表性论文有《{papers[0].title}》等。"
        )
        return expert

    def works_of(self, expert: Expert) -> list[ExpertWork]:
        """An expert's papers, patents and projects."""
        works = [
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
        ]
        works += [
            ExpertWork(
                expert=expert,
                kind=ExpertWork.Kind.PAPER,
                title=title,
                abstract=abstract,
                keywords=list(expert.keywords[:4]),
                year=self.rng.randint(2014, 2025),
            )
            for title, abstract in expert.demo_studies
        ]
        for invention in expert.demo_inventions:
            if invention.patent_number:
                works.append(
                    ExpertWork(
                        expert=expert,
                        kind=ExpertWork.Kind.PATENT,
                        title=invention.title,
                        abstract=f"{invention.text}。{invention.effect}。",
                        keywords=list(expert.keywords[:4]),
                        year=invention.year,
                        reference=invention.patent_number,
                    )
                )
        if expert.demo_specialty:
            specialty = SPECIALTY[expert.demo_specialty]
            province = PROGRAMMES[expert.region.code[:2]]
            for project in expert.demo_projects:
                works.append(
                    ExpertWork(
                        expert=expert,
                        kind=ExpertWork.Kind.PROJECT,
                        title=project,
                        abstract=(
                            f"项目面向{specialty.uses}，针对{specialty.problem}的问题，研究"
                            f"{'、'.join(expert.keywords[:3])}等关键技术。"
                        ),
                        keywords=list(expert.keywords[:4]),
                        year=self.rng.randint(2018, 2025),
                        reference=self.rng.choice(province),
                    )
                )
        return works

    def achievements(self, experts: list[Expert], quota: int) -> int:
        """Up to ``quota`` achievements: the inventions of these experts' specialties (about six in
        ten) and inventions named after their papers in technical disciplines."""
        if quota <= 0:
            return 0
        inventions = list(
            dict.fromkeys(i for e in experts for i in e.demo_inventions if not i.achieved)
        )
        named = [i for i in inventions if i.title in i.specialty.inventions]
        from_papers = [
            (e, p, t)
            for e in experts
            if (
                self.category_of[e.demo_discipline] == "工学"
                or e.demo_discipline in INVENTIVE_DISCIPLINES
            )
            and not e.demo_specialty
            for p in e.demo_papers
            if (t := invention_title(p.title)) is not None and p.id not in self.achieved_papers
        ]
        # Named inventions first (about six in ten), then papers, then applied inventions if need be.
        n_named = min(len(named), max(quota - len(from_papers), round(quota * 0.6)))
        # One of each specialty first, so every specialty has something on the market.
        chosen = list({i.specialty.key: i for i in self.rng.sample(named, len(named))}.values())
        chosen = chosen[:n_named]
        rest = [i for i in named if i not in chosen]
        chosen += self.rng.sample(rest, n_named - len(chosen))
        picked = self.rng.sample(from_papers, min(quota - len(chosen), len(from_papers)))
        applied = [i for i in inventions if i not in chosen]
        chosen += self.rng.sample(applied, min(quota - len(chosen) - len(picked), len(applied)))
        achievements = [self.invention_achievement(i) for i in chosen]
        achievements += [self.paper_achievement(e, p, t) for e, p, t in picked]
        self.save(Achievement, achievements)
        for i, achievement in enumerate(achievements):
            self.achievement_specialty[achievement.pk] = (
                chosen[i].specialty.key if i < len(chosen) else None
            )
        patents = [
            ExpertWork(
                expert=a.demo_inventors[0],
                kind=ExpertWork.Kind.PATENT,
                title=a.title,
                abstract=a.description,
                keywords=a.keywords,
                year=int(a.patent_number[2:6]),
                reference=a.patent_number,
            )
            for a in achievements[len(chosen) :]
            if a.is_patent
        ]
        ExpertWork.objects.bulk_create(patents, batch_size=2000)
        self.link(
            Achievement,
            "inventors",
            [(a.pk, e.pk) for a in achievements for e in dict.fromkeys(a.demo_inventors)],
        )
        self.link(
            Achievement,
            "fields",
            [(a.pk, self.fields[a.demo_inventors[0].demo_discipline].pk) for a in achievements],
        )
        self.link(
            Achievement,
            "industry_chains",
            [(a.pk, self.chains[s].pk) for a in achievements for s in a.demo_chains],
        )
        return len(achievements)

    def transfer_terms(self, maturity: str) -> dict:
        """Maturity-appropriate transfer modes (at least one) and an asking price (a fifth 面议)."""
        rng = self.rng
        modes = {
            "allows_transfer": rng.random() < 0.6,
            "allows_license": rng.random() < 0.7,
            "allows_joint_development": maturity in ("research", "pilot") or rng.random() < 0.4,
            "allows_equity": rng.random() < 0.2,
        }
        if not any(modes.values()):
            modes["allows_license"] = True
        band = rng.choice(v.PRICE_BANDS)
        price = None
        if rng.random() >= 0.2:
            price = Decimal(rng.randrange(int(band[0]), int(band[1]), 1000))
        return {**modes, "asking_price": price}

    def owner_of(self, inventor: Expert, specialty: str | None, chains: list[str]):
        """The inventor's institution, or (three in ten) a firm of the specialty that co-owns it."""
        firms = self.enterprises_by_specialty.get(specialty, []) if specialty else []
        if not firms:
            firms = [
                self.enterprise_rows[i][0]
                for s in chains
                for i in self.enterprises_by_chain.get(s, [])
            ]
        if firms and self.rng.random() < 0.3:
            pk = self.rng.choice(firms)
            return pk, self.regions[self.enterprise_region[pk]]
        return inventor.affiliation_id, inventor.affiliation.region

    def invention_achievement(self, invention: "Invention") -> Achievement:
        """An achievement of an authored invention; its text is about its title."""
        invention.achieved = True
        specialty = invention.specialty
        maturity = self.rng.choice([m for m, _ in Achievement.Maturity.choices])
        inventor = invention.inventors[0]
        owner_id, region = self.owner_of(inventor, specialty.key, list(specialty.chains))
        achievement = Achievement(
            title=invention.title,
            kind=invention.kind,
            patent_number=invention.patent_number,
            owner_id=owner_id,
            region=region,
            status=Status.PUBLISHED,
            description=(
                f"本成果{invention.text}。{MATURITY_PHRASES[maturity]}，{invention.effect}。"
            ),
            keywords=list(inventor.keywords[:5]),
            maturity=maturity,
            **self.transfer_terms(maturity),
        )
        achievement.demo_inventors = invention.inventors
        achievement.demo_chains = list(specialty.chains)
        return achievement

    def paper_achievement(self, expert: Expert, paper: Paper, title: str) -> Achievement:
        """An achievement named after one of the expert's papers that describes a method or device,
        mostly an invention patent, with the paper's abstract as its text."""
        rng = self.rng
        self.achieved_papers.add(paper.id)
        keywords = clean_keywords(paper.keywords) or [expert.demo_discipline]
        kinds = [Achievement.Kind.INVENTION_PATENT] * 6 + [Achievement.Kind.NEW_PRODUCT]
        if title.endswith("工艺"):
            kinds += [Achievement.Kind.NEW_PROCESS] * 4
        kind = rng.choice(kinds)
        year = rng.randint(2015, 2024)
        patent_number = None
        if kind == Achievement.Kind.INVENTION_PATENT:
            patent_number = self.patent_number("1", year)
        elif kind == Achievement.Kind.NEW_PROCESS:
            title = title.removeprefix("一种")
        else:
            title = f"{invention_subject(paper.title)}关键技术及产业化应用"
        maturity = rng.choices(
            [m for m, _ in Achievement.Maturity.choices], weights=[35, 30, 20, 10, 5]
        )[0]
        owner_id, region = self.owner_of(expert, None, expert.demo_chains)
        achievement = Achievement(
            title=title[:200],
            kind=kind,
            patent_number=patent_number,
            owner_id=owner_id,
            region=region,
            status=Status.PUBLISHED,
            description=f"本成果源自论文《{paper.title}》。{paper.abstract}",
            keywords=keywords,
            maturity=maturity,
            **self.transfer_terms(maturity),
        )
        achievement.demo_inventors = [expert]
        achievement.demo_chains = expert.demo_chains
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
                if kind == "key_lab" and host.kind == Organization.Kind.UNIVERSITY:
                    label = f"{DIRECTION[self.rng.choice(host.demo_directions)].label}{label}"
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
                        f"{name}于{established}年获批设立（{InnovationPlatform.Level(level).label}），"
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


def name_stem(name: str) -> str:
    """An institution's name without the kind of body it is (研究所, 检验检测研究院, …)."""
    return re.sub(INSTITUTION_SUFFIXES, "", name)


def bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def clean_keywords(keywords: Sequence[str]) -> list[str]:
    """Author keywords fit for a profile: 2–12 characters, no duplicates (some CSL rows carry junk)."""
    kept: list[str] = []
    for keyword in keywords:
        keyword = keyword.strip()
        if 2 <= len(keyword) <= 12 and keyword not in kept:
            kept.append(keyword)
    return kept
