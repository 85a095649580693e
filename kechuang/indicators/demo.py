"""Demo indicators: 温州市's pilot indicators (the nineteen of seed 003's report, plus vouchers spent and
instrument hours shared, read from the vouchers and booking apps) with yearly targets for its four
districts, a year of records behind them, the Ruian 2021 conference batch of 16 signed projects with their follow-up, the
city's signing conference of this year (14 projects and 10 platforms, seed 001), cultivation lists with
plans, officers and visits, and manual figures entered and approved by two different people.

龙湾区 (where the 浙南产业集聚区 / 经开区 of seed 003 lies) is built to resemble that zone's report: of the
19 indicators it completes 15 (the demo's vouchers and bookings leave it no figure on the other two, so
they have no target there), exceeds all six core ones, with 10.19 亿元 of technology turnover and 1.15 亿元
of venture investment; the others are behind on a few indicators so that the ranking means something.
Every write goes through :mod:`kechuang.indicators.services`. Deterministic (``random.Random(2026)``).
"""

import datetime
import math
import random
from decimal import Decimal

from django.utils import timezone

from kechuang.accounts.models import OperatorMandate, User
from kechuang.core.models import Region
from kechuang.directory.models import Organization
from kechuang.indicators import queries, registry, services
from kechuang.indicators.models import Indicator, SignedProject

CITY = "330300"
DISTRICTS = {"330302": "鹿城区", "330303": "龙湾区", "330381": "瑞安市", "330382": "乐清市"}
LONGWAN = "330303"
SECOND_OPERATOR = ("wenzhou2", "温州市科技局统计专员", "温州市科技局")

# code, name, unit, source ("" = manual), core, money, aggregation, description
INDICATORS = [
    (
        "new-tech-sme",
        "新增省科技型中小企业",
        "家",
        "directory.new_tech_sme",
        True,
        False,
        "sum",
        "年内新认定入库的省科技型中小企业",
    ),
    (
        "new-high-tech",
        "新增高新技术企业",
        "家",
        "directory.new_high_tech",
        True,
        False,
        "sum",
        "年内新认定的国家高新技术企业",
    ),
    ("new-leader", "新增创新型领军企业", "家", "directory.new_leader", False, False, "sum", ""),
    (
        "key-tech",
        "攻坚“卡脖子”核心技术",
        "个",
        "challenges.tasks_contracted",
        False,
        False,
        "sum",
        "揭榜挂帅任务签订任务书",
    ),
    (
        "tasks-listed",
        "发布“卡脖子”攻关任务",
        "项",
        "challenges.tasks_listed",
        False,
        False,
        "sum",
        "",
    ),
    (
        "demands-matched",
        "技术需求对接成功",
        "次",
        "demands.engagements_accepted",
        False,
        False,
        "sum",
        "",
    ),
    (
        "engagements-agreed",
        "对接达成合作",
        "项",
        "demands.engagements_agreed",
        False,
        False,
        "sum",
        "",
    ),
    (
        "projects-signed",
        "招引签约重大科技项目和平台",
        "个",
        "indicators.projects_signed",
        False,
        False,
        "sum",
        "",
    ),
    (
        "projects-started",
        "重大科技项目新开工",
        "个",
        "indicators.projects_started",
        True,
        False,
        "sum",
        "签约项目开工落地",
    ),
    (
        "signed-amount",
        "签约项目总金额",
        "亿元",
        "indicators.projects_amount",
        False,
        True,
        "sum",
        "",
    ),
    (
        "visits",
        "实地走访服务企业",
        "家次",
        "indicators.visits",
        False,
        False,
        "sum",
        "“店小二”式科技服务走访",
    ),
    # 技术交易额 reads the registered contracts where the contracts app is installed (else entered by hand).
    (
        "turnover",
        "技术交易额",
        "亿元",
        "contracts.turnover",
        True,
        True,
        "sum",
        "技术合同认定登记成交额",
    ),
    ("venture", "创投机构投资", "亿元", "", True, True, "sum", "创投机构对区内科技企业的投资额"),
    ("platforms", "新增省级以上创新平台", "个", "", True, False, "sum", ""),
    ("talents", "引进高层次人才", "名", "", False, False, "sum", ""),
    ("patents", "发明专利授权量", "件", "", False, False, "sum", ""),
    ("rd-ratio", "R&D经费支出占GDP比重", "%", "", False, False, "latest", "按季度统计快报"),
    ("hi-tech-share", "高新技术产业增加值占规上工业比重", "%", "", False, False, "latest", ""),
    ("training", "组织科技业务培训", "场", "", False, False, "sum", ""),
    # Read from the vouchers and booking apps where they are installed (else entered by hand).
    (
        "vouchers-spent",
        "创新券兑付金额",
        "万元",
        "vouchers.spent",
        False,
        True,
        "sum",
        "已批准兑付的创新券金额，按持券企业所在区域",
    ),
    (
        "instrument-hours",
        "大型科研仪器共享机时",
        "小时",
        "booking.hours_used",
        False,
        False,
        "sum",
        "区内仪器已完成预约的实际使用时长",
    ),
]
# Not every district has voucher redemptions or instrument use in the demo: a district with none and not
# behind gets no target (未设目标, outside its overall score); one behind with none gets these (yuan, hours).
BEHIND_FROM_NOTHING = {"vouchers-spent": Decimal(200_000), "instrument-hours": Decimal(120)}
CORE = {row[0] for row in INDICATORS if row[4]}

# Tier steps recorded this year per district: (→ tech SME, → high-tech, → leader), capped by the firms there.
TIER_STEPS = {
    "330302": (14, 5, 1),
    "330303": (25, 8, 1),
    "330381": (48, 16, 2),
    "330382": (12, 4, 0),
}
TIER_STEPS_LAST_YEAR = {
    "330302": (9, 4, 0),
    "330303": (17, 6, 1),
    "330381": (36, 12, 1),
    "330382": (10, 3, 1),
}
# Manual figures for the year so far per district (money in yuan); percentages are levels.
MANUAL = {
    "330302": {
        "turnover": "412000000",
        "venture": "36000000",
        "platforms": 2,
        "talents": 38,
        "patents": 210,
        "rd-ratio": "2.61",
        "hi-tech-share": "58.2",
        "training": 5,
    },
    "330303": {
        "turnover": "1019000000",
        "venture": "115000000",
        "platforms": 3,
        "talents": 46,
        "patents": 185,
        "rd-ratio": "2.95",
        "hi-tech-share": "63.4",
        "training": 8,
    },
    "330381": {
        "turnover": "876000000",
        "venture": "92000000",
        "platforms": 4,
        "talents": 121,
        "patents": 356,
        "rd-ratio": "3.12",
        "hi-tech-share": "61.7",
        "training": 12,
    },
    "330382": {
        "turnover": "530000000",
        "venture": "41000000",
        "platforms": 1,
        "talents": 52,
        "patents": 298,
        "rd-ratio": "2.74",
        "hi-tech-share": "59.9",
        "training": 6,
    },
}
# Where each district stands against its target: the indicators it is behind on (all others met, the
# core ones exceeded). 龙湾区 misses four of nineteen, like the zone of seed 003.
BEHIND = {
    "330302": {
        "new-high-tech",
        "key-tech",
        "turnover",
        "venture",
        "talents",
        "rd-ratio",
        "projects-started",
        "vouchers-spent",
        "instrument-hours",
    },
    "330303": {"key-tech", "demands-matched", "rd-ratio", "patents"},
    "330381": {"venture", "hi-tech-share", "visits", "instrument-hours"},
    "330382": {
        "new-tech-sme",
        "turnover",
        "platforms",
        "training",
        "engagements-agreed",
        "vouchers-spent",
    },
}

RUIAN_2021 = [
    (
        "温州肯恩大学—瑞安市人民政府战略合作项目",
        "cooperation",
        "温州肯恩大学、瑞安市人民政府",
        None,
        "operating",
    ),
    (
        "日科年产3万台眼镜专用设备智造项目",
        "industrial",
        "瑞安市人民政府、浙江日科自动化设备有限公司",
        "600000000",
        "producing",
    ),
    (
        "谷宇院士团队智能传感器研究院项目",
        "talent",
        "瑞安市人民政府、谷宇院士团队",
        "50000000",
        "operating",
    ),
    (
        "智能汽车关键零部件产业创新服务综合体",
        "platform",
        "瑞安经济开发区管委会、中国汽车工程学会",
        "120000000",
        "operating",
    ),
    (
        "瑞安市科创产业基金",
        "fund",
        "瑞安市国有资产投资集团有限公司、浙江省产业基金有限公司",
        "1000000000",
        "operating",
    ),
    (
        "新能源汽车电控气源装置产业化项目",
        "industrial",
        "瑞安经济开发区管委会、瑞立集团有限公司",
        "350000000",
        "producing",
    ),
    (
        "汽车电子驻车制动系统智能工厂项目",
        "industrial",
        "瑞安经济开发区管委会、浙江万向精工有限公司",
        "280000000",
        "started",
    ),
    (
        "高分子合成材料中试基地",
        "platform",
        "瑞安市人民政府、浙江大学温州研究院",
        "80000000",
        "operating",
    ),
    (
        "东新科创园孵化器扩园项目",
        "platform",
        "瑞安市东新科创园、温州市科技创业投资有限公司",
        "60000000",
        "operating",
    ),
    (
        "长三角汽车部件产业创新中心",
        "platform",
        "瑞安市人民政府、上海交通大学汽车工程研究院",
        "100000000",
        "started",
    ),
    (
        "时尚轻工智能制造产业化项目",
        "industrial",
        "瑞安市人民政府、浙江飞织科技有限公司",
        "150000000",
        "stalled",
    ),
    (
        "高端装备海外人才创业团队项目",
        "talent",
        "瑞安市人才办、海外高层次人才创业团队",
        "20000000",
        "operating",
    ),
    (
        "汽车零部件产业链协同创新基金",
        "fund",
        "瑞安市国有资产投资集团有限公司、深圳市创新投资集团有限公司",
        "500000000",
        "operating",
    ),
    (
        "机械电子博士后工作站共建项目",
        "talent",
        "瑞安市人力资源和社会保障局、浙江工业大学",
        "5000000",
        "operating",
    ),
    (
        "中国汽车工程学会—瑞安市战略合作项目",
        "cooperation",
        "中国汽车工程学会、瑞安市人民政府",
        None,
        "operating",
    ),
    (
        "轻量化铝合金压铸件智造项目",
        "industrial",
        "瑞安经济开发区管委会、浙江瑞明汽车部件有限公司",
        "420000000",
        "stalled",
    ),
]
STALL_REASONS = {
    "时尚轻工智能制造产业化项目": "用地指标尚未落实，待国土空间规划调整",
    "轻量化铝合金压铸件智造项目": "环评批复延后，企业调整产能方案",
}
# The city's conference of this year (seed 001): 10 platforms and 14 projects, with the districts they land in.
WENZHOU_PLATFORMS = [
    ("中关村信息谷温州创新中心", "330302"),
    ("温州北大科技园", "330303"),
    ("温州市双碳研究院", "330303"),
    ("浙江中德智能制造创新研究院", "330303"),
    ("浙江大学温州技术转移中心", "330303"),
    ("航天云网浙南总部", "330303"),
    ("瑞安智能汽车零部件研究院", "330381"),
    ("乐清电气产业创新服务综合体", "330382"),
    ("鹿城数字经济研究院", "330302"),
    ("瓯江实验室分中心", "330382"),
]
WENZHOU_PROJECTS = [
    ("浙南科技城播思5G数字科技总部基地项目", "330303", "800000000"),
    ("中国基因药谷生物制品研发生产基地项目", "330303", "1200000000"),
    ("中国基因药谷恒升医疗项目", "330303", "300000000"),
    ("温州长江汽车电子智能制造灯塔项目", "330303", "450000000"),
    ("龙湾激光智能装备产业园项目", "330303", "380000000"),
    ("鹿城眼视光医疗器械产业化项目", "330302", "260000000"),
    ("鹿城智能鞋服数字工厂项目", "330302", "180000000"),
    ("瑞安新能源汽车热管理系统项目", "330381", "520000000"),
    ("瑞安高端汽车制动系统扩产项目", "330381", "340000000"),
    ("瑞安功能性薄膜新材料项目", "330381", "220000000"),
    ("乐清智能低压电器产业化项目", "330382", "610000000"),
    ("乐清工业互联网平台项目", "330382", "150000000"),
    ("乐清新能源储能装备项目", "330382", "480000000"),
    ("鹿城生命健康科创园项目", "330302", "300000000"),
]
STARTED_THIS_YEAR = {"330303": 5, "330302": 1, "330381": 3, "330382": 2}
PLAN_GOALS = {
    "micro": "一企一策：对照科技型中小企业评价标准补齐研发台账；建立研发费用辅助账；年内完成入库评价。",
    "small_high": "一企一策：梳理知识产权布局，新增发明专利申请 2 件以上；研发费用占比提升至 4%；次年申报高新技术企业。",
    "high_strong": "一企一策：组建省级企业研究院；牵头产业链创新联合体；对接“揭榜挂帅”攻关任务。",
}
VISIT_NOTES = [
    "走访了解研发投入和高企申报准备情况，协助梳理研发费用归集。",
    "对接中国汽车工程学会专家，现场诊断生产线自动化改造需求。",
    "宣讲“科创中国”瑞安政策十五条，指导申报创新券。",
    "了解企业技术需求，已在平台发布并推送匹配专家。",
    "协调高校院所共建研发中心事宜，约定下月再次对接。",
]


def _officer_pool(city: Region) -> tuple[User, User, User]:
    """The city operator, a second city operator (the four-eyes approver) and the Ruian operator."""
    operator = User.objects.get(username="wenzhou")
    second, _created = User.objects.update_or_create(
        username=SECOND_OPERATOR[0],
        defaults={
            "display_name": SECOND_OPERATOR[1],
            "email": f"{SECOND_OPERATOR[0]}@demo.kechuang.local",
            "password": operator.password,  # the same published demo password
            "is_staff": True,
            "is_active": True,
        },
    )
    OperatorMandate.objects.update_or_create(
        user=second, region=city, defaults={"office": SECOND_OPERATOR[2]}
    )
    return operator, second, User.objects.get(username="ruian")


def _day(rng: random.Random, year: int, last: datetime.date, first_month: int = 1) -> datetime.date:
    month = rng.randint(first_month, last.month if last.year == year else 12)
    limit = last.day if (last.year == year and month == last.month) else 28
    return datetime.date(year, month, rng.randint(1, max(1, min(28, limit))))


def load_demo_indicators(*, today: datetime.date | None = None) -> None:
    """Load the demo's indicators, targets, records and projects (see the module docstring)."""
    today = today or timezone.localdate()
    year = today.year
    now = timezone.now()
    rng = random.Random(2026)
    city = Region.objects.get(code=CITY)
    districts = {code: Region.objects.get(code=code) for code in DISTRICTS}
    operator, second, ruian_operator = _officer_pool(city)
    indicators: dict[str, Indicator] = {}
    for position, (code, name, unit, source, core, money, aggregation, description) in enumerate(
        INDICATORS, 1
    ):
        indicators[code] = services.define_indicator(
            operator,
            city,
            code=code,
            name=name,
            unit=unit,
            source=source if registry.get(source) else "",
            is_core=core,
            money=money,
            aggregation=aggregation,
            description=description,
            position=position,
        )

    # Tier steps of this year, and the cultivation lists with plans, officers and visits.
    for code, region in districts.items():
        firms = list(
            Organization.objects.filter(region=region, kind=Organization.Kind.ENTERPRISE).order_by(
                "pk"
            )
        )
        for step_year, steps in ((year - 1, TIER_STEPS_LAST_YEAR[code]), (year, TIER_STEPS[code])):
            by_tier = {
                tier: [f for f in firms if f.tier == tier] for tier in ("", "tech_sme", "high_tech")
            }
            last_day = today if step_year == year else datetime.date(step_year, 12, 31)
            for tier, from_tier, wanted in (
                ("tech_sme", "", 0),
                ("high_tech", "tech_sme", 1),
                ("leader", "high_tech", 2),
            ):
                for firm in by_tier[from_tier][: steps[wanted]]:
                    services.record_tier_step(
                        operator,
                        firm,
                        tier,
                        recognized_on=_day(rng, step_year, last_day),
                        plan_text=PLAN_GOALS["micro"],
                        now=now,
                    )
                    firm.tier = tier
        officer = ruian_operator if code == "330381" else operator
        candidates = list(
            Organization.objects.filter(region=region, kind=Organization.Kind.ENTERPRISE)
            .exclude(tier=Organization.Tier.LEADER)
            .order_by("-pk")[:18]
        )
        for n, firm in enumerate(candidates):
            plan = services.open_plan(
                operator,
                firm,
                goals=PLAN_GOALS[
                    {"": "micro", "tech_sme": "small_high"}.get(firm.tier, "high_strong")
                ],
                target_year=year + 1,
                officer=officer if n % 5 else None,
            )
            for _visit in range(rng.randint(0, 3)):
                services.record_visit(
                    officer,
                    plan,
                    visited_on=_day(rng, year, today),
                    notes=rng.choice(VISIT_NOTES),
                    now=now,
                )

    # The Ruian 2021 batch (seed 000) and its follow-up since.
    ruian = districts["330381"]
    batch = services.create_event(
        ruian_operator,
        ruian,
        name="2021世界青年科学家峰会瑞安云江科创大会重大项目集中签约",
        held_on=datetime.date(2021, 11, 14),
        venue="瑞安东新科创园",
        description="围绕科创主题，涵盖产业项目、科创平台、产业基金、人才团队等领域的16个重大项目集中签约。",
    )
    for name, kind, parties, amount, status in RUIAN_2021:
        project = services.add_project(
            ruian_operator,
            batch,
            name=name,
            kind=kind,
            parties=parties,
            region=ruian,
            amount=amount,
        )
        _follow(
            ruian_operator,
            project,
            status,
            datetime.date(2022, rng.randint(1, 12), rng.randint(1, 28)),
            now,
        )

    # This year's conference of the city (seed 001's batch): 10 platforms and 14 projects.
    held = datetime.date(year, max(1, min(today.month - 2, 8)), 20)
    if held > today:
        held = today
    event = services.create_event(
        operator,
        city,
        name=f"温州市{year}年科技创新大会暨“科创中国”试点建设推进会重大项目签约",
        held_on=held,
        venue="温州市会展中心",
        description="温州市政府与中国环境科学学会合作签约；10个重大创新平台和14个重大项目集中签约。",
    )
    services.add_project(
        operator,
        event,
        name="温州市人民政府—中国环境科学学会合作项目",
        kind="cooperation",
        parties="温州市人民政府、中国环境科学学会",
        region=city,
    )
    for name, code in WENZHOU_PLATFORMS:
        services.add_project(
            operator,
            event,
            name=name,
            kind="platform",
            parties=f"温州市人民政府、{DISTRICTS[code]}人民政府",
            region=districts[code],
            amount=str(rng.choice((5, 8, 10, 20)) * 10_000_000),
        )
    started = dict.fromkeys(DISTRICTS, 0)
    for name, code, amount in WENZHOU_PROJECTS:
        project = services.add_project(
            operator,
            event,
            name=name,
            kind="industrial",
            parties=f"{DISTRICTS[code]}人民政府、项目投资方",
            region=districts[code],
            amount=amount,
        )
        if started[code] < STARTED_THIS_YEAR[code] and held < today:
            started[code] += 1
            on = held + datetime.timedelta(days=rng.randint(1, max(1, (today - held).days)))
            services.advance_project(
                operator, project, SignedProject.Status.STARTED, on=min(on, today), now=now
            )

    # Manual figures: quarterly for flows, the latest quarter for levels; entered by one, approved by another.
    quarters = [m for m in (3, 6, 9, 12) if datetime.date(year, m, 1) <= today] or [today.month]
    for code, figures in MANUAL.items():
        region = districts[code]
        for key, total in figures.items():
            indicator = indicators[key]
            if not indicator.is_manual:
                continue  # read from the platform's records (the contracts' turnover)
            if indicator.aggregation == Indicator.Aggregation.LATEST:
                parts = [(quarters[-1], Decimal(str(total)))]
            else:
                amount = Decimal(str(total))
                share = (amount / len(quarters)).quantize(
                    Decimal("1") if not indicator.money else Decimal("0.01")
                )
                parts = [(m, share) for m in quarters[:-1]] + [
                    (quarters[-1], amount - share * (len(quarters) - 1))
                ]
            for month, value in parts:
                entry = services.enter_value(
                    operator,
                    indicator,
                    region,
                    year=year,
                    month=month,
                    value=value,
                    evidence=_evidence(indicator.name, region.name, year, month),
                    now=now,
                )
                services.approve_value(second, entry, now=now)
    # Waiting for a second person, and one sent back, so the review queue and lineage show both.
    services.enter_value(
        second,
        indicators["talents"],
        districts["330382"],
        year=year,
        month=today.month,
        value=7,
        evidence=f"乐清市人才办{year}年{today.month}月高层次人才引进备案表",
        now=now,
    )
    refused = services.enter_value(
        operator,
        indicators["patents"],
        districts["330302"],
        year=year,
        month=today.month,
        value=40,
        evidence="区市场监管局口头报送",
        now=now,
    )
    services.reject_value(second, refused, "缺少盖章的统计报表，请补充后重新填报", now=now)

    # Targets: set so that each district is behind exactly on BEHIND and meets (core: exceeds) the rest.
    last = queries.board(city, year - 1, today=today)
    for region in districts.values():
        for key in ("new-tech-sme", "new-high-tech"):
            cell = last.cell(indicators[key].pk, region.pk)
            services.set_target(
                operator,
                indicators[key],
                region,
                year - 1,
                max(cell.actual - (cell.actual // 8), 1),
            )
    board = queries.board(city, year, today=today)
    for code, region in districts.items():
        for key, indicator in indicators.items():
            cell = board.cell(indicator.pk, region.pk)
            behind = key in BEHIND[code]
            if not cell.actual and behind and key in BEHIND_FROM_NOTHING:
                target = BEHIND_FROM_NOTHING[key]
            else:
                target = _target(cell, behind, key in CORE)
            if target or indicator.direction == Indicator.Direction.DOWN:
                services.set_target(operator, indicator, region, year, target)
    return None


def _follow(actor, project: SignedProject, status: str, started_on: datetime.date, now) -> None:
    """Take a project of an old batch through its follow-up to ``status``."""
    S = SignedProject.Status
    if status == S.SIGNED:
        return
    if status == S.STALLED:
        services.advance_project(
            actor, project, S.STALLED, on=started_on, reason=STALL_REASONS[project.name], now=now
        )
        return
    services.advance_project(actor, project, S.STARTED, on=started_on, now=now)
    if status in (S.PRODUCING, S.OPERATING):
        landed = started_on + datetime.timedelta(days=300)
        services.advance_project(actor, project, status, on=landed, now=now)


def _target(cell, behind: bool, core: bool) -> Decimal:
    actual = cell.actual
    if cell.indicator.aggregation == Indicator.Aggregation.LATEST:
        return (actual * Decimal("1.08") if behind else actual * Decimal("0.97")).quantize(
            Decimal("0.01")
        )
    pace = Decimal(max(cell.completed, 1)) / 12
    if behind:
        needed = actual / pace if actual else Decimal(2)
        figure = needed * Decimal("1.25") + 1
    else:
        figure = actual * Decimal("0.85") if core else actual
    if cell.indicator.money:
        return (figure / 10_000).to_integral_value(
            rounding="ROUND_CEILING" if behind else "ROUND_FLOOR"
        ) * 10_000
    return Decimal(math.ceil(figure) if behind else max(math.floor(figure), 0))


def _evidence(name: str, region: str, year: int, month: int) -> str:
    return f"{region}{year}年1–{month}月{name}统计快报（区科技局、统计局盖章），附明细表"
