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

from django.db import transaction
from django.utils import timezone

from kechuang.challenges.events import ChallengeEvent
from kechuang.challenges.models import (
    SHANGHAI,
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
    """A published list with the default rubric and ``tasks``, proposed in turn by ``issuer_orgs``, in
    the technical fields of ``experts``: published while its window is open, closed after it."""
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
    now = timezone.now()
    challenge_list.status = (
        ChallengeList.Status.PUBLISHED
        if now < challenge_list.window_closes_at
        else ChallengeList.Status.CLOSED
    )
    challenge_list.published_at = challenge_list.window_opens_at
    challenge_list.save(update_fields=["status", "published_at"])
    record(None, ChallengeEvent.LIST_DEMO, challenge_list, challenge_list.title)
    return challenge_list


@transaction.atomic
def load_open_list(
    region: Region,
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
    issuer_orgs: Sequence[Organization],
    experts: Sequence[Expert],
    *,
    opens_on: datetime.date = datetime.date(2021, 11, 14),
    days_open: int = 60,
) -> ChallengeList:
    """Create Ruian's 2021 list in ``region`` — 8 tasks proposed in turn by ``issuer_orgs`` (may be empty:
    then the government issues them), each in the technical fields of ``experts`` so that review panels
    can be drawn from them; published while its window is open, closed after it — and this year's open
    list (:func:`load_open_list`). Returns the 2021 list."""
    closes_on = opens_on + datetime.timedelta(days=days_open)
    challenge_list = _create_list(
        region,
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
    load_open_list(region, issuer_orgs, experts)
    return challenge_list
