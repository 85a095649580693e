"""Demo data: Ruian's 2021 open challenge list (瑞安云江科创大会, 14 November 2021 — seed 000), long closed,
and this year's list, open for applications on the day the demo is loaded.

The article names one of the eight 2021 tasks (新能源车用集成式电控气源装置) and the total bounty, 44.6 M
yuan; the other seven are representative tasks of Ruian's pillar chains (auto parts, mechanical
electronics, polymer materials, fashion light industry) with bounties that add up to exactly
44,600,000.00 yuan. The open list has one representative task per pillar.
"""

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from kechuang.accounts.models import Membership, User
from kechuang.challenges import services
from kechuang.challenges.events import ChallengeEvent
from kechuang.challenges.models import (
    SHANGHAI,
    Application,
    Challenge,
    ChallengeList,
    Indicator,
    RubricCriterion,
)
from kechuang.challenges.services import DEFAULT_RUBRIC
from kechuang.core.audit import record
from kechuang.core.models import Region
from kechuang.directory.models import Expert, Organization

OPEN = ["enterprise", "university", "institute", "new_rnd"]

# title, problem, bounty, issuer share, [(indicator, comparator, target, unit)]
RUIAN_2021_TASKS = [
    (
        "新能源车用集成式电控气源装置",
        "新能源商用车取消发动机后需独立电动气源。需将电动空压机、干燥器与电控阀集成为一体，降低能耗、噪声与体积。",
        Decimal("8000000"),
        Decimal("4000000"),
        [
            ("额定排气量", "gte", "300", "L/min"),
            ("整机噪声", "lte", "72", "dB(A)"),
            ("比功率", "lte", "7.5", "kW/(m³/min)"),
        ],
    ),
    (
        "汽车电子驻车制动（EPB）控制器国产化",
        "电子驻车制动控制器依赖进口芯片与软件，需完成控制器硬件、软件与功能安全开发并实现装车。",
        Decimal("6500000"),
        Decimal("3000000"),
        [
            ("功能安全等级", "gte", "3", "ASIL等级（B=2,C=3）"),
            ("夹紧力控制误差", "lte", "5", "%"),
            ("装车验证里程", "gte", "100000", "km"),
        ],
    ),
    (
        "电驱动系统壳体一体化压铸工艺",
        "电机与减速器壳体由多件焊接改为一体化压铸，需解决大型薄壁铝合金件的气孔与变形问题。",
        Decimal("6000000"),
        Decimal("3000000"),
        [
            ("铸件最大尺寸", "gte", "800", "mm"),
            ("气密性泄漏率", "lte", "5", "mL/min"),
            ("减重比例", "gte", "15", "%"),
        ],
    ),
    (
        "高性能阻燃聚碳酸酯合金材料",
        "新能源汽车电池包与充电桩外壳需无卤阻燃、耐低温冲击的 PC 合金材料，替代进口牌号。",
        Decimal("4800000"),
        Decimal("2400000"),
        [
            ("阻燃等级（1.5 mm）", "gte", "1", "UL94 V-0"),
            ("-30℃缺口冲击强度", "gte", "40", "kJ/m²"),
            ("熔体流动速率", "gte", "12", "g/10min"),
        ],
    ),
    (
        "智能装备用高精度 RV 减速器",
        "工业机器人与智能装备关节减速器回差大、寿命短，需研制高精度 RV 减速器并批量应用。",
        Decimal("5500000"),
        Decimal("2500000"),
        [
            ("回差", "lte", "1", "arcmin"),
            ("额定寿命", "gte", "6000", "h"),
            ("传动效率", "gte", "80", "%"),
        ],
    ),
    (
        "车用毫米波雷达天线罩透波材料",
        "77 GHz 毫米波雷达天线罩需低介电损耗、可喷涂的透波材料与成型工艺。",
        Decimal("4200000"),
        Decimal("2000000"),
        [
            ("介电损耗角正切（77 GHz）", "lte", "0.005", "（无量纲）"),
            ("双程透波损耗", "lte", "1.5", "dB"),
        ],
    ),
    (
        "鞋服柔性缝制装备视觉识别系统",
        "鞋服时尚轻工企业的缝制装备需视觉识别裁片与自动纠偏，以适应小批量多品种的柔性生产。",
        Decimal("4100000"),
        Decimal("2100000"),
        [
            ("裁片识别准确率", "gte", "99.5", "%"),
            ("缝迹纠偏精度", "lte", "0.3", "mm"),
            ("换款时间", "lte", "10", "min"),
        ],
    ),
    (
        "汽车线控转向系统冗余控制技术",
        "线控转向取消机械连接，需双冗余电机与控制器架构及失效安全策略，满足高级别自动驾驶需求。",
        Decimal("5500000"),
        Decimal("2500000"),
        [("转向响应时延", "lte", "50", "ms"), ("单点失效后保持转向能力", "gte", "50", "%额定力矩")],
    ),
]


# One task per pillar of Ruian, for the list that is open when the demo is loaded.
RUIAN_OPEN_TASKS = [
    (
        "商用车电控空气悬架（ECAS）控制系统",
        "商用车电控空气悬架控制器与高度传感器依赖进口，需完成控制器软硬件、高度闭环控制算法与整车标定，"
        "实现批量装车。",
        Decimal("3000000"),
        Decimal("1500000"),
        [
            ("车身高度控制精度", "lte", "5", "mm"),
            ("升降响应时间", "lte", "200", "ms"),
            ("控制器防护等级", "gte", "67", "IP等级"),
        ],
    ),
    (
        "高速精密数控冲床伺服直驱系统",
        "汽车零部件与五金冲压企业的数控冲床仍以机械飞轮驱动为主，能耗高、柔性差，需研制伺服直驱系统"
        "及其控制软件。",
        Decimal("2500000"),
        Decimal("1200000"),
        [
            ("最高冲压频次", "gte", "600", "次/分钟"),
            ("滑块下死点重复定位精度", "lte", "0.01", "mm"),
            ("较机械冲床节能", "gte", "30", "%"),
        ],
    ),
    (
        "耐热改性聚乳酸（PLA）可降解材料",
        "鞋服包装与汽车内饰用可降解材料耐热性差、易变形，需开发耐热改性聚乳酸配方与注塑成型工艺，"
        "替代传统塑料。",
        Decimal("2000000"),
        Decimal("1000000"),
        [
            ("热变形温度（0.45 MPa）", "gte", "100", "℃"),
            ("180 天工业堆肥降解率", "gte", "90", "%"),
            ("缺口冲击强度", "gte", "8", "kJ/m²"),
        ],
    ),
    (
        "鞋类三维足型扫描与个性化楦型设计系统",
        "瑞安鞋服企业定制化订单增长，楦型设计依赖老师傅经验、周期长，需研发足型三维扫描与楦型自动"
        "生成系统并接入生产。",
        Decimal("1500000"),
        Decimal("800000"),
        [
            ("足型扫描精度", "lte", "0.5", "mm"),
            ("单双楦型设计时间", "lte", "30", "min"),
            ("试穿一次合格率", "gte", "95", "%"),
        ],
    ),
]


def _create_list(
    region: Region,
    operator,
    issuer_orgs: Sequence[Organization],
    experts: Sequence[Expert],
    *,
    title: str,
    description: str,
    tasks: list,
    opens_on: datetime.date,
    closes_on: datetime.date,
    completion_deadline: datetime.date,
) -> ChallengeList:
    """A list with the default rubric and ``tasks``, proposed in turn by ``issuer_orgs``, in the technical
    fields of ``experts``, published by ``operator`` (the region's) on its opening day."""
    challenge_list = ChallengeList.objects.create(
        title=title,
        region=region,
        issuer="瑞安市科学技术局",
        description=description,
        opens_on=opens_on,
        closes_on=closes_on,
    )
    for order, (name, weight) in enumerate(DEFAULT_RUBRIC):
        RubricCriterion.objects.create(
            challenge_list=challenge_list, name=name, weight=weight, order=order
        )
    field_ids = {f.pk for e in experts for f in e.fields.all()}
    for n, (task_title, problem, bounty, issuer_share, indicators) in enumerate(tasks):
        challenge = Challenge.objects.create(
            challenge_list=challenge_list,
            region=region,
            proposer=issuer_orgs[n % len(issuer_orgs)] if issuer_orgs else None,
            title=task_title,
            problem=problem,
            bounty=bounty,
            issuer_share=issuer_share,
            government_share=bounty - issuer_share,
            completion_deadline=completion_deadline,
            eligible_kinds=OPEN,
            ip_terms="攻关形成的知识产权归揭榜方所有，出题单位享有优先实施许可权。",
            status=Challenge.Status.ACCEPTED,
        )
        challenge.fields.set(field_ids)
        for position, (indicator, comparator, target, unit) in enumerate(indicators):
            Indicator.objects.create(
                challenge=challenge,
                name=indicator,
                comparator=comparator,
                target=Decimal(target),
                unit=unit,
                order=position,
            )
    record(None, ChallengeEvent.LIST_DEMO, challenge_list, challenge_list.title)
    return services.publish_list(operator, challenge_list, now=challenge_list.window_opens_at)


@transaction.atomic
def load_open_list(
    region: Region,
    operator,
    issuer_orgs: Sequence[Organization],
    experts: Sequence[Expert],
    *,
    today: datetime.date | None = None,
) -> ChallengeList:
    """This year's list in ``region``, open for applications: it opened ten days before ``today``
    (Beijing date, by default the real one) and closes 45 days after it."""
    today = today or timezone.now().astimezone(SHANGHAI).date()
    closes_on = today + datetime.timedelta(days=45)
    return _create_list(
        region,
        operator,
        issuer_orgs[::-1],
        experts,
        title=f"瑞安市{today.year}年度产业链关键核心技术“揭榜挂帅”榜单",
        description=(
            "围绕汽车零部件、机械电子、高分子材料、时尚轻工四大主导产业链的关键核心技术难题，"
            "面向全社会张榜求贤。企业、高校院所、新型研发机构、专家团队均可揭榜，不设学历、年龄、职称门槛；"
            "可独立揭榜，也可组建创新联合体联合攻关。"
        ),
        tasks=RUIAN_OPEN_TASKS,
        opens_on=today - datetime.timedelta(days=10),
        closes_on=closes_on,
        completion_deadline=closes_on + datetime.timedelta(days=730),
    )


@transaction.atomic
def load_demo_challenges(
    region: Region,
    operator,
    issuer_orgs: Sequence[Organization],
    experts: Sequence[Expert],
    *,
    opens_on: datetime.date = datetime.date(2021, 11, 14),
    days_open: int = 60,
) -> ChallengeList:
    """Create Ruian's 2021 list in ``region`` — 8 tasks proposed in turn by ``issuer_orgs`` (may be empty:
    then the government issues them), each in the technical fields of ``experts`` so that review panels
    can be drawn from them — and carry it through its whole cycle with ``operator`` (the region's), as
    :func:`run_2021_cycle` tells; then this year's open list (:func:`load_open_list`). Returns the 2021
    list."""
    closes_on = opens_on + datetime.timedelta(days=days_open)
    challenge_list = _create_list(
        region,
        operator,
        issuer_orgs,
        experts,
        title="瑞安市2021年度产业创新“卡脖子”技术“揭榜挂帅”榜单",
        description=(
            "2021 世界青年科学家峰会瑞安云江科创大会发布。聚焦产业链与创新链融合发展，覆盖新能源、"
            "智能装备等战略性新兴产业领域，诚邀企业、高校院所、新型研发机构、专家团队等创新主体踊跃揭榜，"
            "鼓励以创新联合体、项目群等方式开展联合攻关。"
        ),
        tasks=RUIAN_2021_TASKS,
        opens_on=opens_on,
        closes_on=closes_on,
        completion_deadline=closes_on + datetime.timedelta(days=730),
    )
    run_2021_cycle(challenge_list, operator, experts)
    load_open_list(region, operator, issuer_orgs, experts)
    challenge_list.refresh_from_db()
    return challenge_list


# How each 2021 task went: who led the winning consortium and who partnered it, who competed alone (words
# of organisation names, in order of preference — research institutes, universities and new R&D
# institutions of the federation whose specialty the task is), and the end: "solved" (every indicator
# met at final acceptance), "failed" (one missed), "active" (second milestone extended, still running) or
# "unselected" (no application good enough: nobody took the task). ``measured`` are the final values,
# indicator by indicator.
RUIAN_2021_CYCLE = [
    (
        ("电驱动创新中心", "电驱动"),
        ("汽车工程学院", "理工"),
        ("泵阀",),
        "solved",
        ("320", "70", "7.2"),
    ),
    (
        ("汽车底盘与制动研究院", "底盘与制动"),
        ("工程学院",),
        ("底盘与制动产业技术研究院",),
        "solved",
        ("3", "3.6", "120000"),
    ),
    (("理工学院",), ("智能装备研究院", "智能装备"), ("瓯江大学",), "solved", ("860", "4", "17")),
    (("纳米技术",), ("轻工学院",), ("科技大学",), "solved", ("1", "46", "14")),
    (("苏州工学院", "工学院"), ("智能装备研究所",), ("智能装备创新中心",), "active", ()),
    (
        ("智能传感器研究院", "传感器"),
        ("纳米技术研究所",),
        ("智能传感器产业技术研究院",),
        "failed",
        ("0.006", "1.4"),
    ),
    (
        ("皮革与时尚轻工研究院", "时尚轻工"),
        ("轻工学院",),
        ("皮革与时尚轻工研究所",),
        "solved",
        ("99.6", "0.25", "8"),
    ),
    (("底盘与制动产业技术研究院",), (), (), "unselected", ()),
]

SOLVER_KINDS = [
    Organization.Kind.INSTITUTE,
    Organization.Kind.NEW_RND,
    Organization.Kind.UNIVERSITY,
]


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def _pick(words: Sequence[str], taken: set[int]) -> Organization | None:
    """The first published research organisation whose name has one of ``words`` (tried in order), not
    already in ``taken``; any research organisation when none has."""
    solvers = Organization.objects.published().filter(kind__in=SOLVER_KINDS).order_by("pk")
    for word in words:
        found = solvers.filter(name__contains=word).exclude(pk__in=taken).first()
        if found:
            return found
    return solvers.exclude(pk__in=taken).first()


def _member(organization: Organization) -> User:
    """A member who acts for ``organization``: its first member, or its research office (科研管理) made
    for the demo, who cannot sign in (no password)."""
    existing = organization.memberships.select_related("user").order_by("pk").first()
    if existing:
        return existing.user
    user = User.objects.create(
        username=f"demo-org-{organization.pk}",
        display_name=f"{organization.name}科研管理办公室",
        password=make_password(None),
    )
    Membership.objects.create(user=user, organization=organization, role=Membership.Role.ADMIN)
    return user


def _reviewer_accounts(experts: Sequence[Expert]) -> None:
    """Review panels are drawn from experts with an account: the list's senior experts get one each
    (no password: the demo does not sign in as them)."""
    for expert in experts:
        if expert.user_id is None:
            expert.user = User.objects.create(
                username=f"demo-expert-{expert.pk}",
                display_name=expert.name,
                password=make_password(None),
            )
            expert.save(update_fields=["user"])


def _apply(task: Challenge, lead: Organization, partner: Organization | None, now) -> Application:
    """A submitted application: a two-member consortium when there is a ``partner``, else alone."""
    user = _member(lead)
    budget = task.bounty * 2
    application = services.start_application(
        user,
        task,
        lead,
        mode=Application.Mode.CONSORTIUM if partner else Application.Mode.ALONE,
        now=now,
    )
    services.save_application(
        user,
        application,
        technical_route=(
            f"围绕“{task.title}”的技术指标，{lead.name}负责总体方案、关键部件设计与样机研制"
            + (f"，{partner.name}负责试验验证与工程化" if partner else "")
            + "；先完成原理样机和台架试验，再在出题单位产线上装车（应用）验证。"
        ),
        budget_total=budget,
        declaration_accepted=True,
        team=[
            {"name": "项目负责人", "title": "研究员", "affiliation": lead.name, "duty": "总体方案"},
        ],
        plan=[
            {"title": "原理样机与台架试验", "months": 9, "deliverable": "样机与台架试验报告"},
            {"title": "装车（应用）验证", "months": 21, "deliverable": "第三方检测报告"},
        ],
    )
    if partner:
        services.save_member(
            user, application, lead, work_share=Decimal(60), budget_share=budget * 6 / 10, now=now
        )
        member = services.save_member(
            user,
            application,
            partner,
            work_share=Decimal(40),
            budget_share=budget * 4 / 10,
            responsibility="试验验证与工程化",
            now=now,
        )
        services.confirm_participation(_member(partner), member, now=now)
    return services.submit_application(user, application, now=now)


@transaction.atomic
def run_2021_cycle(challenge_list: ChallengeList, operator, experts: Sequence[Expert]) -> None:
    """Carry Ruian's 2021 list through its whole cycle with the real services, on the dates it would
    have happened: applications in December 2021 (a consortium and a competitor alone per task, see
    :data:`RUIAN_2021_CYCLE`), formal check and a sealed review by panels drawn from ``experts`` in
    February 2022, 公示 in March, task books signed (each one's technology-development contract with
    it), milestones through 2023 and final acceptance in January 2024; the list concluded."""
    _reviewer_accounts(experts)
    tasks = list(challenge_list.challenges.order_by("pk"))
    winners: dict[int, Application] = {}
    for n, (task, (lead_words, partner_words, alone_words, *_rest)) in enumerate(
        zip(tasks, RUIAN_2021_CYCLE, strict=True)
    ):
        during = _at(datetime.date(2021, 12, 1) + datetime.timedelta(days=3 * n))
        lead = _pick(lead_words, set())
        partner = _pick(partner_words, {lead.pk}) if partner_words else None
        winners[task.pk] = _apply(task, lead, partner, during)
        if alone_words:
            rival = _pick(alone_words, {lead.pk, getattr(partner, "pk", 0)})
            _apply(task, rival, None, during + datetime.timedelta(days=5))
    services.close_list(operator, challenge_list, now=challenge_list.window_closes_at)
    for application in Application.objects.filter(challenge__challenge_list=challenge_list):
        services.formal_check(operator, application, passed=True, note="材料齐全，符合揭榜条件。")
    services.start_review(operator, challenge_list)
    criteria = list(challenge_list.criteria.all())
    for n, (task, (*_words, outcome, _measured)) in enumerate(
        zip(tasks, RUIAN_2021_CYCLE, strict=True)
    ):
        review_round = task.rounds.get(number=1)
        services.draw_panel(
            operator, review_round, size=3, seed=n, now=_at(datetime.date(2022, 2, 10))
        )
        for seat in review_round.seats.filter(status="active").select_related("expert__user"):
            for application in review_round.applications.all():
                won = application.pk == winners[task.pk].pk and outcome != "unselected"
                mark = Decimal(86 + seat.pk % 7) if won else Decimal(64 + seat.pk % 9)
                services.submit_score(
                    seat.expert.user,
                    seat,
                    application,
                    marks={c.pk: mark for c in criteria},
                    comment="技术路线清晰，团队与出题单位需求匹配。" if won else "",
                    now=_at(datetime.date(2022, 2, 18)),
                )
        services.unseal_round(operator, review_round, now=_at(datetime.date(2022, 2, 25)))
        if outcome != "unselected":
            services.select_application(operator, winners[task.pk])
    services.announce_list(operator, challenge_list, now=_at(datetime.date(2022, 3, 1)))
    signed_on = _at(datetime.date(2022, 3, 15))
    for task, (*_words, outcome, measured) in zip(tasks, RUIAN_2021_CYCLE, strict=True):
        if outcome == "unselected":
            continue
        share = task.bounty / 5
        agreement = services.sign_agreement(
            operator,
            winners[task.pk],
            first_tranche=task.bounty - 2 * share,
            milestones=[
                {
                    "title": "原理样机通过台架试验",
                    "due_on": datetime.date(2022, 12, 31),
                    "amount": share,
                },
                {
                    "title": "装车（应用）验证与第三方检测",
                    "due_on": datetime.date(2023, 12, 31),
                    "amount": share,
                },
            ],
            now=signed_on,
        )
        _carry_out(agreement, operator, outcome, measured)
    services.conclude_list(operator, challenge_list, now=_at(datetime.date(2022, 3, 20)))


def _carry_out(agreement, operator, outcome: str, measured: Sequence[str]) -> None:
    """The task book's milestones reported, accepted and paid on their dates; then final acceptance
    against the indicators — or, for a task still running, its last milestone extended once."""
    lead_user = _member(agreement.application.lead)
    for milestone in agreement.milestones.order_by("order"):
        if outcome == "active" and milestone.order == 2:
            services.extend_milestone(operator, milestone, due_on=datetime.date(2027, 6, 30))
            return
        reported = _at(milestone.due_on - datetime.timedelta(days=20))
        services.submit_milestone(
            lead_user,
            milestone,
            evidence=f"{milestone.title}完成，附试验报告与现场照片。",
            now=reported,
        )
        accepted = reported + datetime.timedelta(days=10)
        services.review_milestone(operator, milestone, accepted=True, now=accepted)
        services.release_tranche(operator, milestone.tranche, now=accepted)
    indicators = list(agreement.challenge.indicators.order_by("order"))
    services.accept_final(
        operator,
        agreement,
        measured={i.pk: Decimal(v) for i, v in zip(indicators, measured, strict=True)},
        now=_at(datetime.date(2024, 1, 10)),
    )
