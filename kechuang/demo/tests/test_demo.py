"""The demo region: the generator's counts, keys and idempotence, and ``kechuang demo --no-serve``."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kechuang.accounts.models import Membership, OperatorMandate, User
from kechuang.challenges.models import Challenge, ChallengeList
from kechuang.core.models import AuditEntry, Federation, IndustryChain, Region, TechField
from kechuang.demands.demo import DEMANDS
from kechuang.demands.models import (
    Demand,
    Engagement,
    EngagementEvent,
    EngineerPool,
    ServiceTeam,
    ServiceVisit,
)
from kechuang.demands.queries import demand_matches
from kechuang.demo import vocabulary
from kechuang.demo.accounts import DEMO_PASSWORD
from kechuang.demo.generator import (
    MARKER_ACTION,
    DemoAlreadyLoaded,
    DemoCounts,
    allocate,
    bigrams,
    invention_title,
    load_demo,
    organization_code_check,
)
from kechuang.demo.inventions import INVENTION_FACTS
from kechuang.demo.management.commands.demo import Command
from kechuang.demo.papers import load_papers
from kechuang.demo.specialties import DIRECTIONS, SPECIALTY
from kechuang.demo.tests.small import SMALL
from kechuang.directory.models import (
    Achievement,
    Expert,
    ExpertWork,
    InnovationPlatform,
    Instrument,
    Organization,
    ServiceItem,
    TierRecord,
)
from kechuang.directory.validators import validate_credit_code, validate_patent_number
from kechuang.search.indexing import search

COUNTED = [
    Region,
    Federation,
    IndustryChain,
    TechField,
    Organization,
    TierRecord,
    Expert,
    ExpertWork,
    Achievement,
    Achievement.inventors.through,
    Expert.fields.through,
    Instrument,
    ServiceItem,
    InnovationPlatform,
    User,
    Membership,
    OperatorMandate,
    AuditEntry,
    Demand,
    Engagement,
    EngagementEvent,
    Challenge,
]


# For a realistic demand of each industry the pilot regions serve: an expert keyword, a word of
# achievement titles, an instrument and a word of service titles that a good answer has.
GOOD_ANSWERS = [
    ("永磁同步电机", "永磁同步电机", "电机测功机系统", "驱动电机"),
    ("SOC估计", "电池", "电池充放电测试系统", "SOC"),
    ("电动空压机", "空压机", "NVH声学测试系统", "NVH"),
    ("注塑成型", "注塑", "注塑成型试验机", "注塑"),
    ("无铬鞣", "鞣", "皮革物理性能测试系统", "无铬鞣"),
    ("工业废水处理", "废水", "总有机碳分析仪", "废水"),
    ("实时荧光定量PCR", "PCR", "实时荧光定量PCR仪", "qPCR"),
    ("国产数据库", "数据库", "国产化软硬件适配测试平台", "信创"),
    ("高性能计算", "算力", "高性能计算集群", "算力"),
    ("合成生物学", "发酵", "生物发酵罐", "发酵"),
    ("集成电路设计", "芯片", "半导体参数分析仪", "芯片"),
    ("氢燃料电池", "燃料电池", "燃料电池测试台", "燃料电池"),
    ("MEMS", "传感器", "压力传感器校准系统", "电磁兼容"),
    ("低压电器", "断路器", "电磁兼容测试系统", "低压电器"),
    ("离心泵", "泵", "泵性能试验台", "泵阀"),
]


def assert_coherent() -> None:
    """Each record of the loaded demo reads as one believable thing."""
    # Every expert works in one field; their CSL papers are of it, and their affiliation follows it
    # (or is a comprehensive university).
    discipline_of = {paper.title[:300]: paper.discipline for paper in load_papers()}
    comprehensive = {
        name for rows in vocabulary.UNIVERSITIES.values() for name, _, broad in rows if broad
    }
    experts = Expert.objects.select_related("affiliation").prefetch_related(
        "fields", "works", "affiliation__fields"
    )
    for expert in experts:
        (field,) = expert.fields.all()
        papers = [w for w in expert.works.all() if w.title in discipline_of]
        assert {discipline_of[w.title] for w in papers} <= {field.name}, expert
        assert (
            field in expert.affiliation.fields.all() or expert.affiliation.name in comprehensive
        ), expert
    # Availability is drawn apart from relevance, at a low share.
    unavailable = Expert.objects.filter(availability="unavailable").count()
    assert 0 < unavailable <= Expert.objects.count() // 10

    # An achievement's text is about its title: most of the title's bigrams occur in it.
    for title, description in Achievement.objects.values_list("title", "description"):
        key = (
            title.removeprefix("一种").removesuffix("关键技术及产业化应用").removesuffix("软件V1.0")
        )
        assert len(bigrams(key) & bigrams(description)) >= 0.8 * len(bigrams(key)), title
    assert Achievement.objects.values("title").distinct().count() == Achievement.objects.count()
    # ...and says what its own invention achieves, not its specialty's one effect.
    own_effects = tuple(f"，{effect}。" for _problem, _methods, effect in INVENTION_FACTS.values())
    inventions = Achievement.objects.filter(description__startswith="本成果“")
    assert inventions.exists()
    for description in inventions.values_list("description", flat=True):
        assert description.endswith(own_effects), description

    # No institution lists one instrument model or one service twice.
    assert not (
        Instrument.objects.values("owner", "name", "model_number")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )
    assert not (
        ServiceItem.objects.values("provider", "title").annotate(n=Count("pk")).filter(n__gt=1)
    ).exists()

    # An enterprise makes the products of one line of its chain, and its demands are about them.
    for firm in Organization.objects.filter(kind="enterprise").prefetch_related("industry_chains"):
        (chain,) = firm.industry_chains.all()
        products = set(firm.main_products.split("、"))
        assert any(products <= set(line) for _, line, _ in vocabulary.ENTERPRISE_LINES[chain.slug])
        assert any(trade in firm.name for trade, _, _ in vocabulary.ENTERPRISE_LINES[chain.slug])
    for spec in DEMANDS:
        if spec.product:
            demand = Demand.objects.select_related("organization").get(title=spec.title)
            assert spec.product in demand.organization.main_products, spec.key

    # A good answer exists for a realistic demand of each industry.
    keywords = list(
        Expert.objects.filter(availability="available").values_list("keywords", flat=True)
    )
    for keyword, achievement, instrument, service in GOOD_ANSWERS:
        assert sum(keyword in words for words in keywords) >= 3, keyword
        assert Achievement.objects.filter(title__contains=achievement).exists(), achievement
        assert Instrument.objects.filter(name=instrument).exists(), instrument
        assert ServiceItem.objects.filter(title__contains=service).exists(), service


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in COUNTED}


def snapshot() -> list[tuple]:
    """The generated content, independent of primary keys."""
    return [
        *Organization.objects.order_by("credit_code").values_list("name", "credit_code", "tier"),
        *Expert.objects.order_by("name", "phone").values_list("name", "phone", "keywords"),
        *Achievement.objects.order_by("title", "patent_number").values_list(
            "title", "patent_number", "asking_price"
        ),
        *Instrument.objects.order_by("asset_code").values_list(
            "asset_code", "name", "external_rate"
        ),
    ]


@pytest.mark.django_db
def test_the_command_prepares_the_scale_one_demo_once(monkeypatch):
    monkeypatch.setattr(Command, "serve", lambda self, port: pytest.fail("--no-serve served"))
    out = StringIO()

    call_command("demo", "--no-serve", stdout=out)

    # The federation's published figures, exactly.
    shared = Organization.objects.filter(is_shared=True)
    assert shared.count() == 130
    assert (
        Instrument.objects.filter(owner__is_shared=True).count()
        == Instrument.objects.count()
        == 1705
    )
    # the shoe laboratory's abrasion tester takes the place of one copy of a common kind
    [abrasion] = Instrument.objects.filter(name="橡胶与鞋底耐磨试验机")
    assert (abrasion.owner.kind, abrasion.owner.region.code) == ("testing", "330381")
    assert "DIN辊筒式磨耗试验" in abrasion.description
    assert (
        ServiceItem.objects.filter(provider__is_shared=True).count()
        == ServiceItem.objects.count()
        == 309
    )
    federation = Federation.objects.get(name="长三角科技资源共享服务平台")
    assert sorted(federation.members.values_list("code", flat=True)) == [
        "310114",
        "320500",
        "330300",
    ]
    for member in federation.members.all():
        assert shared.filter(region__path__startswith=member.path).count() in (43, 44)
    assert set(shared.values_list("kind", flat=True)) == {
        "university",
        "institute",
        "testing",
        "new_rnd",
        "eng_center",
    }
    assert sorted(Region.objects.pilots().values_list("name", flat=True)) == sorted(
        ["温州市", "瑞安市", "嘉定区", "苏州市"]
    )
    assert Region.objects.get(code="330381").path == "330000/330300/330381/"

    # The directory around it.
    pillars = ["auto-parts", "mechatronics", "polymer", "fashion"]
    ruian_pillar_firms = Organization.objects.filter(
        kind="enterprise", region__code="330381", industry_chains__slug__in=pillars
    )
    assert ruian_pillar_firms.count() >= 300
    assert Expert.objects.count() >= 800
    assert Achievement.objects.count() >= 400
    assert Organization.objects.filter(kind="society").count() == 2
    assert {"postdoc", "academician"} <= set(
        InnovationPlatform.objects.values_list("kind", flat=True)
    )
    assert set(Expert.objects.values_list("talent", flat=True)) == {
        "academician",
        "high_level",
        "engineer",
        "scholar",
    }
    assert not Expert.objects.filter(works__isnull=True).exists()
    assert all(Expert.objects.values_list("keywords", flat=True))
    assert ExpertWork.objects.filter(kind="paper").exclude(abstract="").count() >= 1600
    # a paper says how its own field works: every direction's specialists write their methods, and a
    # fermentation study screens strains, it does not simulate (one stock sentence once put 仿真 into
    # three experts in four and made it a generic word of the index)
    papers = ExpertWork.objects.filter(kind="paper")
    for direction in DIRECTIONS:
        assert papers.filter(abstract__contains=f"通过{direction.methods}，").exists()
    fermentation = papers.filter(abstract__contains="通过菌种筛选与发酵试验，")
    assert fermentation.exists() and not fermentation.filter(abstract__contains="仿真").exists()
    assert TechField.objects.filter(parent=None).count() == 13
    assert TechField.objects.filter(parent__isnull=False).count() == 67
    assert {"xinchuang", "biomanufacturing", "advanced-computing"} <= set(
        IndustryChain.objects.values_list("slug", flat=True)
    )

    # Valid natural keys on every row, with the region digits of the organisation's region.
    for code, region_code in Organization.objects.values_list("credit_code", "region__code"):
        validate_credit_code(code)
        assert code[2:8] == region_code
    patents = Achievement.objects.filter(kind__in=Achievement.PATENT_KINDS)
    assert patents.count() >= 200
    assert not patents.filter(patent_number=None).exists()
    for number in patents.values_list("patent_number", flat=True):
        validate_patent_number(number)
    assert (
        not Achievement.objects.exclude(kind__in=Achievement.PATENT_KINDS)
        .exclude(patent_number=None)
        .exists()
    )
    assert Achievement.objects.filter(asking_price=None).exists()  # 面议
    assert not Achievement.objects.filter(asking_price__lt=0).exists()

    # Cultivation tiers: every tiered enterprise has its history, ending at its tier, with a plan.
    tiered = Organization.objects.filter(kind="enterprise").exclude(tier="")
    assert set(tiered.values_list("tier", flat=True)) == {"tech_sme", "high_tech", "leader"}
    for firm in tiered.prefetch_related("tier_records"):
        steps = [record.tier for record in firm.tier_records.all()]
        assert steps == ["tech_sme", "high_tech", "leader"][: len(steps)]
        assert steps[-1] == firm.tier
        assert all(record.plan.startswith("一企一策") for record in firm.tier_records.all())
    assert not TierRecord.objects.filter(organization__tier="").exists()

    # One log-in per role, all with the demo password, printed with it.
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)
    for username, code in [
        ("ruian", "330381"),
        ("wenzhou", "330300"),
        ("jiading", "310114"),
        ("suzhou", "320500"),
    ]:
        operator = User.objects.get(username=username)
        assert operator.is_staff and not operator.is_superuser
        assert list(operator.mandates.values_list("region__code", flat=True)) == [code]
    firm = Membership.objects.get(user__username="enterprise", role="admin").organization
    assert firm.kind == "enterprise" and firm.region.code == "330381"
    assert firm.industry_chains.filter(slug="auto-parts").exists()
    university = Membership.objects.get(user__username="institution").organization
    assert university.kind == "university"
    assert Expert.objects.get(user__username="expert").is_part_time_engineer
    assert (
        User.objects.filter(password=admin.password).count() == 9
    )  # with wenzhou2, the indicators approver
    printed = out.getvalue()
    assert DEMO_PASSWORD in printed
    for username in [
        "admin",
        "ruian",
        "wenzhou",
        "jiading",
        "suzhou",
        "enterprise",
        "institution",
        "expert",
    ]:
        assert f"  {username} " in printed

    # Demands of the pillar chains in every review state; the demo accounts each have something to see.
    assert dict(Demand.objects.order_by().values_list("status").annotate(n=Count("pk"))) == {
        "published": 22,
        "pending": 2,
        "returned": 1,
    }
    enterprise_user, expert_user = (
        User.objects.get(username="enterprise"),
        User.objects.get(username="expert"),
    )
    ruian = User.objects.get(username="ruian")
    assert set(Demand.objects.owned_by(enterprise_user).values_list("status", flat=True)) == {
        "published",
        "pending",
        "returned",
    }
    assert Demand.objects.get(status="returned").review_note
    pending = Demand.objects.managed_by(ruian).filter(status="pending")
    assert pending.count() == 2
    assert pending.filter(source_visit__status=ServiceVisit.Status.DONE).count() == 1
    published = Demand.objects.published()
    assert not published.filter(published_at=None).exists()
    assert published.filter(budget_min=None).exists()  # 面议
    for low, high in published.exclude(budget_min=None).values_list("budget_min", "budget_max"):
        assert Decimal(0) < low <= high
    assert {"auto-parts", "mechatronics", "polymer", "fashion"} == set(
        published.values_list("industry_chain__slug", flat=True)
    )
    assert {"demands.demand.submit", "demands.demand.approve", "demands.demand.return"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )

    # Engagements in each state, with their timelines; the demo expert has requests waiting.
    engagements = Engagement.objects.all()
    assert {"requested", "accepted", "scheduled", "declined", "agreed"} == set(
        engagements.values_list("status", flat=True)
    )
    assert not engagements.filter(events=None).exists()
    assert engagements.filter(pushed_by=ruian).exists()
    scheduled = engagements.get(status="scheduled")
    assert scheduled.provider == university and scheduled.meeting_at > timezone.now()
    agreed = engagements.get(status="agreed")
    assert agreed.expert.user == expert_user and agreed.amount == Decimal("260000.00")
    assert list(agreed.events.values_list("status", flat=True)) == [
        "requested",
        "accepted",
        "scheduled",
        "met",
        "agreed",
    ]
    assert agreed.requested_at < agreed.accepted_at < agreed.met_at < agreed.agreed_at
    assert agreed.demand.published_at < agreed.requested_at
    waiting = Engagement.objects.with_supplier(expert_user).filter(status="requested")
    assert waiting.count() == 2
    assert all(timezone.now() - e.requested_at < timedelta(days=7) for e in waiting)
    client = Client()
    client.force_login(expert_user)
    inbox = client.get(reverse("demands:inbox")).content.decode()
    for engagement in waiting:
        assert engagement.demand.title in inbox

    # The engineer cloud's pool and a society's service team with its visits.
    pool = EngineerPool.objects.get(name="瑞安市智能汽车零部件工程师资源池")
    assert pool.region.code == "330381" and pool.members.count() == 30
    engineers = Expert.objects.filter(pool_memberships__pool=pool)
    assert engineers.filter(user=expert_user).exists()
    assert not engineers.filter(is_part_time_engineer=False).exists()
    team = ServiceTeam.objects.get()
    assert team.society.kind == "society" and team.members.filter(user=expert_user).exists()
    assert sorted(team.visits.values_list("status", flat=True)) == ["done", "planned"]

    # Ruian's 2021 challenge list: eight tasks, 44.6 M yuan, proposed by Ruian enterprises, taken on
    # by the federation's research organisations and concluded; and this year's list, open for
    # applications.
    closed, current = ChallengeList.objects.order_by("opens_on")
    assert (closed.region.code, current.region.code) == ("330381", "330381")
    assert (closed.status, current.status) == ("concluded", "published")
    assert Challenge.objects.solved().count() == 5
    assert current.phase(timezone.now()) == "open"
    challenges = Challenge.objects.filter(challenge_list=closed)
    assert challenges.count() == 8
    assert challenges.aggregate(total=Sum("bounty"))["total"] == Decimal("44600000.00")
    assert set(challenges.values_list("proposer__region__code", flat=True)) == {"330381"}

    assert_coherent()

    # The search index was built from the loaded records.
    hits = search("汽车零部件", types=["organization"], filters={"region": ["330381"]}, k=5)
    assert len(hits) == 5
    assert all(hit.id.startswith("organization:") for hit in hits)

    # Every demo demand has people who would solve it: the connector and the brake-disc demands'
    # experts and achievements are of their late specialties, whose people take the place of
    # scholars nothing referred to (so the count stays 800).
    assert Expert.objects.count() == 800
    for title, key, keyword in [
        ("汽车线束连接器端子镀层耐微动磨损研究", "contact", "接触电阻"),
        ("新能源乘用车制动盘轻量化与防锈", "brake-disc", "制动盘"),
    ]:
        demand = Demand.objects.get(title=title)
        experts, achievements = demand_matches(demand, "all", ["expert", "achievement"])
        assert len(experts.matches) == 5, title
        assert all(keyword in m.obj.keywords for m in experts.matches), title
        inventions = " ".join(SPECIALTY[key].inventions)
        strong = [m.obj.title for m in achievements.matches if m.band == "strong"]
        assert len(strong) >= 3 and all(t.removeprefix("一种") in inventions for t in strong)

    # A second run creates nothing new and says so; another scale is refused with the way out.
    before = row_counts()
    call_command("demo", "--no-serve", stdout=StringIO())
    assert row_counts() == before
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo", "--no-serve", "--scale", "2", stdout=StringIO())
    assert row_counts() == before
    assert AuditEntry.objects.filter(action=MARKER_ACTION).count() == 1


@pytest.mark.django_db
def test_the_same_counts_generate_the_same_demo():
    with transaction.atomic():
        load_demo(counts=SMALL)
        first = snapshot()
        transaction.set_rollback(True)
    assert not Organization.objects.exists()

    result = load_demo(counts=SMALL)

    assert result.created
    assert snapshot() == first
    assert Organization.objects.filter(is_shared=True).count() == 10
    assert Instrument.objects.count() == 25
    assert Expert.objects.count() == 30
    assert Achievement.objects.count() == 12


@pytest.mark.django_db
def test_loading_again_writes_nothing_and_other_counts_are_refused():
    load_demo(counts=SMALL)
    before = row_counts()

    again = load_demo(counts=SMALL)
    assert not again.created
    assert row_counts() == before

    with pytest.raises(DemoAlreadyLoaded) as refused:
        load_demo(counts=DemoCounts(**{**vars(SMALL), "experts": 31}))
    assert refused.value.counts["experts"] == 30
    assert row_counts() == before


def test_scale_multiplies_the_directory_but_not_the_federation_figures():
    counts = DemoCounts.for_scale(3)
    assert (counts.enterprises, counts.experts, counts.achievements) == (1275, 2400, 1200)
    assert (counts.shared_institutions, counts.instruments, counts.services) == (130, 1705, 309)
    with pytest.raises(ValueError):
        DemoCounts.for_scale(0)


def test_allocate_splits_exactly_by_largest_remainder():
    assert allocate(130, [14, 26, 40, 22, 28]) == [14, 26, 40, 22, 28]
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(allocate(425, [30, 20, 15, 15, 5, 5, 4, 4, 2])) == 425


def test_a_service_scope_does_not_repeat_the_detail_page_s_heading():
    """A catalogue item's description lists its scope under 检测项目 or 服务范围: the service page
    already heads the description 服务内容, and the label said again read twice there."""
    assert [t for t, _c, description, *_r in vocabulary.SERVICES if "服务内容" in description] == []


def test_organization_code_check_follows_gb_11714():
    # Weights 3 7 9 10 5 8 4 2: 12345678 sums to 201, 11 − 201 mod 11 = 8; 10 is written X, 11 as 0.
    assert organization_code_check("12345678") == "8"
    assert organization_code_check("00000030") == "X"
    assert organization_code_check("00000000") == "0"


def test_invention_titles_come_only_from_papers_that_describe_a_method_or_device():
    assert (
        invention_title("基于支持向量机的航空发动机故障诊断")
        == "一种基于支持向量机的航空发动机故障诊断方法"
    )
    assert invention_title("永磁同步电机无传感器控制研究") == "一种永磁同步电机无传感器控制方法"
    assert invention_title("一种基于平方和优化的飞行器大角度机动镇定控制器设计方法") == (
        "一种基于平方和优化的飞行器大角度机动镇定控制器设计方法"
    )
    assert invention_title("低温等离子体处理装置——原理与应用") == "一种低温等离子体处理装置"
    assert invention_title("我国女子集体性球类项目发展研究") is None


def test_every_invention_of_a_specialty_has_its_own_problem_methods_and_effect():
    titles = [title for specialty in SPECIALTY.values() for title in specialty.inventions]
    assert sorted(INVENTION_FACTS) == sorted(titles)
    problems = [problem for problem, _methods, _effect in INVENTION_FACTS.values()]
    effects = [effect for _problem, _methods, effect in INVENTION_FACTS.values()]
    assert len(set(problems)) == len(set(effects)) == len(titles)
    for problem, methods, effect in INVENTION_FACTS.values():
        assert len(methods) == 3 and not any(m.endswith("技术") for m in methods)
        assert not problem.endswith(("问题", "。")) and not effect.endswith("。")
