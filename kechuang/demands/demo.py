"""Demo data: technical demands of Ruian's pillar chains and the engagements, engineer pool and service
team around them.

Twenty-four demands written as the engineers of Ruian (and a few Wenzhou) factories would write them, and
one more collected by a 科技服务团 visit: twenty-two published, two waiting for the 瑞安市 operator's review
(one submitted by its enterprise, the collected one) and one returned with the operator's reason. Every
state change goes through :mod:`kechuang.demands.services` with the demo's own accounts, so each record
has its audit rows, timeline events and notifications; demands of enterprises without a demo account are
written as submitted by the system and then reviewed through the services. The demo accounts each have
something to see: the demo enterprise owns demands in every review state, the demo expert has two
requests waiting in their inbox, an agreed engagement and a declined one, the demo institution an
accepted engagement with a meeting ahead and another accepted one.

Once written, the dates are spread over the past weeks (publication, timeline events), so lists and
timelines read like a working region; the audit log keeps the real time of writing.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, When
from django.utils import timezone

from kechuang.accounts.models import User
from kechuang.core.audit import record
from kechuang.core.models import IndustryChain, Region, TechField
from kechuang.demands import services
from kechuang.demands.events import DemandEvent
from kechuang.demands.models import (
    CooperationMode,
    Demand,
    Engagement,
    EngagementEvent,
    MatchType,
)
from kechuang.directory.models import Expert, Organization, Status

# Leading enterprises first: they post most demands.
TIER_RANK = Case(
    When(tier="leader", then=0),
    When(tier="high_tech", then=1),
    When(tier="tech_sme", then=2),
    default=3,
)
POOL_SIZE = 30  # engineers enrolled in the demo pool, whatever the scale
M = CooperationMode


@dataclass(frozen=True)
class DemandSpec:
    """One demo demand. ``owner`` is ``"demo"`` for the demo enterprise, else the region code where an
    enterprise of ``chain`` is found (one making ``product`` where there is one); ``age`` is how many days
    ago it was submitted (and published)."""

    key: str
    owner: str
    chain: str
    field: str
    title: str
    description: str
    budget: tuple[int, int] | None
    months: int
    modes: tuple[str, ...]
    age: int
    status: str = Demand.Status.PUBLISHED
    restricted: bool = False
    product: str = ""  # a word of the products of the enterprise that would post it


PENDING, RETURNED = Demand.Status.PENDING, Demand.Status.RETURNED
RUIAN = "330381"

DEMANDS = [
    DemandSpec(
        "brake-valve-seal",
        "demo",
        "auto-parts",
        "机械工程",
        "汽车制动系统电控气压调节阀密封寿命提升",
        "我司为商用车 EBS 电子制动系统配套生产电控气压调节阀（继动阀）。阀芯采用氟橡胶 O 形圈与聚四氟乙烯"
        "组合密封，在 -40℃~80℃ 交变工况台架耐久试验中，约 120 万次循环后出现内泄漏，主机厂新项目要求 200 万次"
        "无泄漏、泄漏量不大于 5 mL/min。希望专家从密封沟槽结构、胶料配方及阀座表面处理（硬质阳极氧化/镀层）"
        "等方面分析失效机理，提出改进方案并配合我司完成台架验证。",
        (300_000, 600_000),
        8,
        (M.DEVELOPMENT, M.CONSULTING),
        12,
    ),
    DemandSpec(
        "eapu-dryer",
        "demo",
        "auto-parts",
        "控制科学与工程",
        "商用车电控空气处理单元（EAPU）干燥再生控制策略优化",
        "我司电控空气处理单元集成了干燥器、多回路保护阀和压力传感器。目前再生控制按固定压力阈值触发，"
        "高湿地区用户反映储气筒积水、干燥剂寿命不足一年。需要基于湿度与用气量估算的自适应再生策略，"
        "在保证出气露点低于环境温度 15℃ 的前提下降低再生耗气量 20% 以上，并移植到我司 32 位控制器上。",
        (200_000, 500_000),
        10,
        (M.DEVELOPMENT,),
        25,
    ),
    DemandSpec(
        "chamber-diaphragm",
        "demo",
        "auto-parts",
        "材料科学与工程",
        "制动气室膜片橡胶件低温脆裂失效分析",
        "出口俄罗斯、北欧市场的弹簧制动气室，冬季在 -45℃ 以下出现膜片根部开裂漏气。膜片为氯丁橡胶夹"
        "尼龙布结构。需要对失效件做断口与成分分析，给出耐低温胶料配方或替代材料建议，低温脆性温度达到"
        "-55℃，并协助制定低温疲劳试验方法。",
        (150_000, 300_000),
        6,
        (M.CONSULTING, M.DEVELOPMENT),
        60,
    ),
    DemandSpec(
        "epb-clamp-force",
        "demo",
        "auto-parts",
        "控制科学与工程",
        "电子驻车制动（EPB）卡钳电机堵转电流检测与夹紧力估算",
        "我司 EPB 卡钳总成目前依靠电机电流阈值判断夹紧到位，不同温度和摩擦片磨损状态下夹紧力离散度超过"
        "±15%。希望开发基于电机电流、电压和转速模型的夹紧力估算算法，离散度控制在 ±5% 以内，并满足"
        "ISO 26262 ASIL B 的开发流程要求。",
        (400_000, 800_000),
        12,
        (M.DEVELOPMENT, M.LICENSE),
        3,
        status=PENDING,
    ),
    DemandSpec(
        "valve-casting-porosity",
        "demo",
        "auto-parts",
        "机械工程",
        "制动阀体铝合金压铸件气孔缺陷控制",
        "阀体采用 ADC12 铝合金压铸，加工后密封面气孔导致的废品率偏高，希望改进。",
        (100_000, 200_000),
        5,
        (M.SERVICE,),
        7,
        status=RETURNED,
    ),
    DemandSpec(
        "e-compressor-nvh",
        RUIAN,
        "auto-parts",
        "动力工程及工程热物理",
        "新能源汽车电动空压机噪声与振动抑制",
        "我司为新能源客车配套的无油涡旋电动空压机，满载运行时整机噪声 78 dB（A），主机厂要求降至 72 dB(A)"
        "以下，且安装支架处振动加速度降低 30%。需要开展模态分析与传递路径分析，优化涡旋盘型线、平衡配重和"
        "隔振悬置设计，提供样机测试报告。",
        (500_000, 1_000_000),
        12,
        (M.DEVELOPMENT,),
        9,
        product="电动空压机",
    ),
    DemandSpec(
        "knuckle-forging-die",
        RUIAN,
        "auto-parts",
        "机械工程",
        "汽车转向节精密锻造模具寿命提升",
        "转向节采用 42CrMo 热模锻成形，终锻模具平均寿命约 6000 件，型腔桥部易出现热裂纹与塌陷。希望通过"
        "模具材料选型、表面渗氮/涂层及锻造工艺参数优化，将模具寿命提高到 10000 件以上。",
        (200_000, 400_000),
        8,
        (M.SERVICE, M.CONSULTING),
        33,
        product="转向节",
    ),
    DemandSpec(
        "connector-fretting",
        RUIAN,
        "auto-parts",
        "电气工程",
        "汽车线束连接器端子镀层耐微动磨损研究",
        "新能源汽车高压线束连接器在振动工况下出现接触电阻升高、端子镀锡层微动磨损。需要研究镀银、镀锡"
        "及复合镀层在振动与温度循环下的微动腐蚀行为，给出镀层方案和接触正压力设计建议，接触电阻变化不超过"
        "1 mΩ。",
        (100_000, 250_000),
        6,
        (M.CONSULTING, M.SERVICE),
        41,
        product="线束连接器",
    ),
    DemandSpec(
        "clutch-booster-seal",
        RUIAN,
        "auto-parts",
        "机械工程",
        "离合器助力器活塞密封低摩擦设计",
        "重卡离合器助力器活塞密封圈摩擦力大，导致踏板回位迟滞，用户抱怨换挡顿挫。希望在保证 1.0 MPa"
        "气压下零泄漏的前提下，通过密封唇口结构与减摩涂层将启动摩擦力降低 30%。",
        (150_000, 300_000),
        6,
        (M.DEVELOPMENT,),
        18,
        product="离合器助力器",
    ),
    DemandSpec(
        "ecu-eol-tester",
        RUIAN,
        "auto-parts",
        "控制科学与工程",
        "汽车电子控制单元（ECU）产线下线检测装备开发",
        "我司 ECU 产品下线检测依靠人工插拔与半自动测试台，节拍 90 秒/件。需要开发自动上下料、CAN/LIN 通讯"
        "功能测试与视觉外观检测一体化的下线检测装备，节拍 30 秒/件以内，测试数据接入企业 MES 系统。",
        (600_000, 1_200_000),
        9,
        (M.DEVELOPMENT, M.SERVICE),
        15,
        restricted=True,
        product="电子控制单元",
    ),
    DemandSpec(
        "brake-disc-lightweight",
        RUIAN,
        "auto-parts",
        "交通运输工程",
        "新能源乘用车制动盘轻量化与防锈",
        "新能源车能量回收使机械制动使用频率降低，灰铸铁制动盘生锈导致异响与抖动。希望研究铝基复合材料或"
        "表面涂层制动盘方案，单件减重 30% 以上并通过 240 小时盐雾试验，评估量产成本。",
        (300_000, 700_000),
        12,
        (M.DEVELOPMENT, M.TRANSFER),
        48,
        product="制动盘",
    ),
    DemandSpec(
        "meter-welding-inspection",
        RUIAN,
        "mechatronics",
        "控制科学与工程",
        "智能电能表外壳超声波焊接质量在线检测",
        "电能表上下壳采用超声波焊接，虚焊、溢胶靠人工目检，漏检率约 0.5%。希望基于焊接过程的功率、振幅和"
        "下沉量曲线，建立焊接质量在线判别模型，实现 100% 在线检测，误判率低于 0.1%。",
        (150_000, 300_000),
        6,
        (M.DEVELOPMENT,),
        20,
        product="电能表",
    ),
    DemandSpec(
        "servo-encoder",
        RUIAN,
        "mechatronics",
        "电子科学与技术",
        "伺服电机编码器信号抗干扰与高分辨率细分",
        "我司中小功率伺服电机配套磁编码器，现场变频器干扰下出现位置跳变，分辨率仅 17 位。需要设计抗干扰"
        "信号调理电路与插值细分算法，分辨率提升到 23 位，并通过 EMC 四级群脉冲试验。",
        (300_000, 500_000),
        10,
        (M.DEVELOPMENT, M.LICENSE),
        27,
        product="伺服电机",
    ),
    DemandSpec(
        "breaker-assembly-vision",
        RUIAN,
        "mechatronics",
        "计算机科学与技术",
        "小型断路器自动化装配线视觉检测系统",
        "小型断路器装配线上弹簧、触头、灭弧罩等零件错装漏装时有发生。需要在 12 个工位部署视觉检测，识别"
        "准确率 99.8% 以上，单工位检测时间 0.5 秒以内，支持新型号快速换型。",
        (400_000, 800_000),
        8,
        (M.DEVELOPMENT, M.SERVICE),
        36,
        product="断路器",
    ),
    DemandSpec(
        "press-brake-sync",
        RUIAN,
        "mechatronics",
        "控制科学与工程",
        "数控折弯机电液伺服同步控制精度提升",
        "我司 4 米数控折弯机双油缸同步精度 ±0.05 mm，高端客户要求 ±0.01 mm。希望优化电液伺服阀控制算法"
        "与光栅尺反馈补偿，并解决长时间运行油温升高引起的同步漂移。",
        (250_000, 500_000),
        10,
        (M.DEVELOPMENT, M.CONSULTING),
        52,
        product="折弯机",
    ),
    DemandSpec(
        "packaging-sealer",
        RUIAN,
        "mechatronics",
        "机械工程",
        "高速包装机横封切刀温度均匀性控制",
        "枕式包装机速度提高到 200 包/分钟后，横封切刀两端与中部温差超过 12℃，封口强度不稳定。需要改进加热"
        "结构与温度控制方法，温差控制在 3℃ 以内。",
        None,
        5,
        (M.CONSULTING, M.DEVELOPMENT),
        64,
        product="包装机",
    ),
    DemandSpec(
        "pp-warpage",
        RUIAN,
        "polymer",
        "材料科学与工程",
        "长玻纤增强 PP 注塑件翘曲变形控制",
        "汽车门板骨架、仪表板支架采用长玻纤增强聚丙烯注塑成型，成型后翘曲变形 2~3 mm，装配困难。需要通过"
        "模流分析、浇口布置与保压工艺优化，结合材料改性，将翘曲量控制在 0.8 mm 以内。",
        (200_000, 400_000),
        6,
        (M.DEVELOPMENT, M.SERVICE),
        30,
        product="注塑件",
    ),
    DemandSpec(
        "pvc-leather-plasticizer",
        RUIAN,
        "polymer",
        "化学/化学工程与技术",
        "PVC 合成革低 VOC 环保增塑剂替代配方开发",
        "汽车座椅用 PVC 合成革需满足主机厂车内空气质量要求，现用 DOTP 增塑剂体系总挥发性有机物偏高、雾化值"
        "不达标。需要开发环保增塑剂替代配方，TVOC 降低 50%，雾化值（重量法）不大于 2 mg，保持手感与耐寒性。",
        (300_000, 600_000),
        9,
        (M.DEVELOPMENT, M.TRANSFER),
        44,
        product="PVC合成革",
    ),
    DemandSpec(
        "waterborne-pu-adhesive",
        "330303",
        "polymer",
        "化学/化学工程与技术",
        "水性聚氨酯胶粘剂初粘力与耐水解性能提升",
        "我司生产鞋用水性聚氨酯胶粘剂，替代溶剂型胶后初粘力不足、70℃ 湿热老化后剥离强度下降 40%。希望优化"
        "聚酯多元醇结构与交联体系，初粘力提高 30%，湿热老化 7 天后剥离强度保持率 80% 以上。",
        (200_000, 350_000),
        8,
        (M.DEVELOPMENT, M.TRANSFER),
        22,
        product="胶粘剂",
    ),
    DemandSpec(
        "pp-low-odor",
        RUIAN,
        "polymer",
        "材料科学与工程",
        "汽车内饰改性 PP 材料低气味与低散发",
        "改性聚丙烯内饰料气味等级 4.0 级，主机厂要求 3.0 级以下、甲醛与乙醛散发达标。需要研究除味剂与"
        "挥发分脱除工艺（真空脱挥、水萃取）对材料性能的影响，形成稳定量产配方。",
        (250_000, 500_000),
        7,
        (M.DEVELOPMENT,),
        57,
        product="改性聚丙烯",
    ),
    DemandSpec(
        "shoe-sole-wear",
        RUIAN,
        "fashion",
        "材料科学与工程",
        "运动鞋 EVA/橡胶复合鞋底耐磨与轻量化",
        "我司运动鞋底为 EVA 发泡中底加橡胶大底，出口客户要求整底减重 15%，同时 DIN 磨耗不大于 120 mm³、防滑"
        "系数达到 0.5 以上。需要在发泡配方、橡胶填充体系与结构设计上提出方案，并完成小批量试制。",
        (300_000, 500_000),
        8,
        (M.DEVELOPMENT, M.TRANSFER),
        16,
        product="运动鞋底",
    ),
    DemandSpec(
        "flyknit-programming",
        RUIAN,
        "fashion",
        "纺织科学与工程",
        "鞋面飞织工艺自动编程与快速打样",
        "飞织鞋面每个新款从设计稿到上机编程需 3~5 天，依赖少数熟练编程员。希望开发根据鞋面设计图自动生成"
        "横机编织程序的软件，打样周期缩短到 1 天，支持常用组织结构库。",
        (150_000, 300_000),
        6,
        (M.DEVELOPMENT, M.LICENSE),
        38,
        product="飞织鞋面",
    ),
    DemandSpec(
        "tpu-laminate-peel",
        RUIAN,
        "fashion",
        "纺织科学与工程",
        "箱包面料 TPU 复合层剥离强度提升",
        "拉杆箱面料采用尼龙布与 TPU 膜热压复合，经 500 次弯折后出现局部分层，剥离强度仅 8 N/3cm。希望改进"
        "复合工艺与界面处理，剥离强度达到 15 N/3cm，耐弯折 2000 次不分层。",
        (100_000, 200_000),
        5,
        (M.SERVICE, M.CONSULTING),
        70,
        product="拉杆箱",
    ),
    DemandSpec(
        "titanium-frame-sweat",
        "330302",
        "fashion",
        "材料科学与工程",
        "眼镜架钛合金表面处理耐汗蚀",
        "纯钛及 β 钛眼镜架电镀后在人工汗液试验中 48 小时出现起泡、变色，出口欧洲需满足 EN ISO 12870 要求。"
        "希望开发离子镀（PVD）或微弧氧化表面处理工艺，耐人工汗液 96 小时无变化。",
        None,
        8,
        (M.DEVELOPMENT, M.SERVICE),
        26,
        product="眼镜架",
    ),
]

# The demand the service team collects on its visit; it joins the operator's review queue.
COLLECTED = (
    "汽车制动软管总成脉冲疲劳寿命提升",
    "走访中企业提出：商用车气压制动软管总成在 100 万次脉冲试验后扣压接头处渗漏，主机厂要求 150 万次无渗漏。"
    "需分析扣压参数与胶管层结构，提出扣压工艺与接头结构改进方案。",
)


@dataclass(frozen=True)
class EngagementSpec:
    """One demo engagement: ``supplier`` is ``"expert"`` (the demo expert), ``"institution"`` (the demo
    institution), ``"pool"`` or ``"polymer"`` (an expert without an account); ``steps`` are the states it
    goes through after the request and ``days`` how many days ago each event (request first) happened."""

    demand: str
    supplier: str
    pushed: bool
    message: str
    steps: tuple[str, ...]
    days: tuple[float, ...]


S = Engagement.Status
ENGAGEMENTS = [
    EngagementSpec(
        "brake-valve-seal",
        "expert",
        False,
        "您好，看到您长期在企业一线做气压制动阀类产品的密封改进，想请您帮我们分析继动阀耐久泄漏问题。",
        (),
        (1.5,),
    ),
    EngagementSpec(
        "e-compressor-nvh",
        "expert",
        True,
        "该企业电动空压机为气制动系统供气，与您熟悉的气压制动方向相关，请尽快查看并回复。",
        (),
        (2.5,),
    ),
    EngagementSpec(
        "eapu-dryer",
        "institution",
        False,
        "希望与贵校控制方向团队合作开发干燥器自适应再生控制策略。",
        (S.ACCEPTED, S.MEETING_SCHEDULED),
        (10, 8, 7),
    ),
    EngagementSpec(
        "chamber-diaphragm",
        "expert",
        False,
        "膜片低温开裂影响出口订单，想请您牵头做失效分析并给出配方建议。",
        (S.ACCEPTED, S.MEETING_SCHEDULED, S.MET, S.AGREED),
        (45, 43, 40, 33, 20),
    ),
    EngagementSpec(
        "pp-warpage",
        "institution",
        True,
        "运营方推荐：贵校材料学科可承担长玻纤 PP 翘曲的模流分析与改性研究。",
        (S.ACCEPTED,),
        (12, 11),
    ),
    EngagementSpec(
        "meter-welding-inspection",
        "expert",
        True,
        "运营方推送，请评估能否承接超声波焊接在线检测项目。",
        (S.DECLINED,),
        (15, 14),
    ),
    EngagementSpec(
        "clutch-booster-seal",
        "pool",
        True,
        "工程师资源池推荐：请对接离合器助力器密封低摩擦设计需求。",
        (),
        (9,),
    ),
    EngagementSpec(
        "waterborne-pu-adhesive",
        "polymer",
        True,
        "请对接鞋用水性聚氨酯胶粘剂性能提升需求。",
        (),
        (5,),
    ),
]

MEETING_PLACE = "瑞安市汽车关键零部件产业创新服务综合体 3 楼会议室"
PAST_MEETING_PLACE = "企业技术中心会议室"
MINUTES = (
    "双方现场查看了失效件与低温试验台架。专家判断开裂源于氯丁胶低温结晶与夹布界面应力集中，建议改用"
    "耐寒型氯丁胶并调整增塑体系，同步修改膜片根部圆角。约定先做三轮配方对比试验，再进行 -55℃ 疲劳验证。"
)
AGREED_AMOUNT = Decimal("260000.00")
DECLINE_REASON = (
    "本人专业方向为汽车气压制动系统，与电能表焊接检测方向不符，建议对接机器视觉方向专家。"
)
RETURN_REASON = (
    "需求描述过于简略：请补充目前的气孔率与废品率、检测方法、验收标准及现有压铸工艺参数后重新提交。"
)
POOL_NAME = "瑞安市智能汽车零部件工程师资源池"
POOL_DESCRIPTION = (
    "工程师对接云平台：汇聚受聘于瑞安市汽车零部件产业链的兼职工程师，围绕智能汽车关键零部件的电控、制动、"
    "转向与精密制造环节，为链上企业提供驻企诊断、工艺改进与联合攻关服务。"
)
TEAM_NAME = "“科创中国”汽车零部件产业科技服务团"
TEAM_DESCRIPTION = (
    "由学会组织汽车工程领域专家组成，深入瑞安汽车零部件企业开展技术诊断、需求挖掘与成果对接。"
)
VISIT_OUTCOMES = (
    "服务团走访企业生产车间与检测中心，围绕制动软管总成可靠性、产线自动化改造开展技术诊断，"
    "梳理技术需求 1 项，推荐对接专家 2 名，并就共建企业研发中心提出建议。"
)


def _user_of(organization: Organization) -> User:
    user = User.objects.filter(memberships__organization=organization).order_by("pk").first()
    if user is None:
        raise ValueError(f"the demo has no account for {organization}")
    return user


def _operator_of(region: Region) -> User:
    """The operator with the closest mandate over ``region`` (a superuser if nobody has one)."""
    codes = [code for code in region.path.split("/") if code]
    operators = User.objects.filter(mandates__region__code__in=codes).values_list(
        "pk", "mandates__region__path"
    )
    if operators:
        pk, _path = max(operators, key=lambda row: len(row[1]))
        return User.objects.get(pk=pk)
    return User.objects.filter(is_superuser=True).order_by("pk").first()


def _enterprise_picker(demo_enterprise: Organization):
    """A function giving, for a chain, a region code and a product word, the next enterprise (in turn)
    of that chain making that product, there if possible, else anywhere; without such a maker, the
    chain's enterprises there, anywhere and then any enterprise — never the demo enterprise."""
    enterprises = Organization.objects.filter(
        kind=Organization.Kind.ENTERPRISE, status=Status.PUBLISHED
    ).exclude(pk=demo_enterprise.pk)
    turns: dict[tuple[str, str, str], int] = {}

    def pick(chain: str, region_code: str, product: str = "") -> Organization:
        of_chain = enterprises.filter(industry_chains__slug=chain)
        makers = of_chain.filter(main_products__contains=product) if product else of_chain.none()
        for candidates in (
            makers.filter(region__code=region_code),
            makers,
            of_chain.filter(region__code=region_code),
            of_chain,
            enterprises,
        ):
            rows = list(candidates.order_by(TIER_RANK, "pk").select_related("region")[:20])
            if rows:
                n = turns.get((chain, region_code, product), 0)
                turns[(chain, region_code, product)] = n + 1
                return rows[n % len(rows)]
        raise ValueError("the demo has no enterprises")

    return pick


def _write_demand(spec: DemandSpec, organization: Organization, enterprise_user: User | None):
    """The demand of ``spec`` as submitted: through the services when the enterprise has a demo account,
    else written by the system as submitted."""
    today = timezone.localdate()
    chain = IndustryChain.objects.get(slug=spec.chain)
    field = TechField.objects.filter(name=spec.field, parent__isnull=False).first()
    budget_min, budget_max = (Decimal(x) for x in spec.budget) if spec.budget else (None, None)
    values = {
        "title": spec.title,
        "description": spec.description,
        "industry_chain_id": chain.pk,
        "field_id": field.pk if field else None,
        "budget_min": budget_min,
        "budget_max": budget_max,
        "deadline": today + timedelta(days=30 * spec.months),
        "cooperation_modes": [str(mode) for mode in spec.modes],
        "visibility": Demand.Visibility.RESTRICTED if spec.restricted else Demand.Visibility.PUBLIC,
        "contact_name": organization.contact_name,
        "contact_phone": organization.contact_phone,
    }
    if enterprise_user is not None:
        demand = services.save_demand(enterprise_user, organization, services.DemandInput(**values))
        return services.submit_demand(enterprise_user, demand)
    demand = Demand.objects.create(
        organization=organization,
        region=organization.region,
        status=Demand.Status.PENDING,
        submitted_at=timezone.now(),
        **values,
    )
    record(None, DemandEvent.DEMAND_SUBMIT, demand, demand.title, demo=True)
    return demand


def _spread_timeline(engagement: Engagement, days: tuple[float, ...], now: datetime) -> None:
    """Date the engagement's events ``days`` ago, in order, and its timestamps with them."""
    events = list(engagement.events.order_by("pk"))
    if len(events) != len(days):
        raise ValueError(f"{engagement}: {len(events)} events, {len(days)} dates")
    first_at: dict[str, datetime] = {}
    for event, ago in zip(events, days, strict=True):
        event.at = now - timedelta(days=ago)
        first_at.setdefault(event.status, event.at)
    EngagementEvent.objects.bulk_update(events, ["at"])
    values = {"requested_at": events[0].at, "updated_at": events[-1].at}
    answered = first_at.get(S.ACCEPTED) or first_at.get(S.DECLINED)
    if answered:
        values["responded_at"] = answered
    for field, status in (
        ("accepted_at", S.ACCEPTED),
        ("met_at", S.MET),
        ("agreed_at", S.AGREED),
    ):
        if status in first_at:
            values[field] = first_at[status]
    Engagement.objects.filter(pk=engagement.pk).update(**values)


@transaction.atomic
def load_demo_demands(
    region: Region, *, enterprise: Organization, institution: Organization, expert: Expert
) -> list[Demand]:
    """Write the demo demands, engagements, the 智能汽车零部件 engineer pool of ``region`` and a society's
    service team with its visits (see the module docstring); returns the demands.

    ``enterprise``, ``institution`` and ``expert`` are those of the demo accounts, which must exist: the
    enterprise's and institution's member users and the expert's user act in the services.
    """
    now = timezone.now()
    enterprise_user, institution_user = _user_of(enterprise), _user_of(institution)
    expert_user = expert.user
    if expert_user is None:
        raise ValueError(f"the demo expert {expert} has no account")
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    pick = _enterprise_picker(enterprise)

    # --- demands, each submitted and then reviewed by its region's operator ------------------------
    demands: dict[str, Demand] = {}
    for spec in DEMANDS:
        own = spec.owner == "demo"
        organization = enterprise if own else pick(spec.chain, spec.owner, spec.product)
        demand = _write_demand(spec, organization, enterprise_user if own else None)
        operator = _operator_of(demand.region)
        if spec.status == Demand.Status.PUBLISHED:
            demand = services.approve_demand(operator, demand)
        elif spec.status == Demand.Status.RETURNED:
            demand = services.return_demand(operator, demand, RETURN_REASON)
        if spec.restricted:
            demand.invited_experts.add(expert)
        submitted = now - timedelta(days=spec.age, hours=6)
        Demand.objects.filter(pk=demand.pk).update(
            created_at=submitted - timedelta(hours=2),
            submitted_at=submitted,
            published_at=submitted + timedelta(hours=5) if demand.published_at else None,
        )
        demands[spec.key] = demand

    # --- the engineer pool of the auto-parts chain ------------------------------------------------
    operator = _operator_of(region)
    pool = services.create_pool(
        operator,
        IndustryChain.objects.get(slug="auto-parts"),
        region,
        POOL_NAME,
        POOL_DESCRIPTION,
    )
    colleagues = (
        Expert.objects.filter(
            is_part_time_engineer=True, industry_chains__slug="auto-parts", status=Status.PUBLISHED
        )
        .exclude(pk=expert.pk)
        .order_by("pk")
    )
    engineers = [expert, *colleagues[: POOL_SIZE - 1]]  # the demo expert first
    for engineer in engineers:
        services.enrol_engineer(operator, pool, engineer, "、".join(engineer.keywords[:3]))

    # --- engagements, through each side's account -------------------------------------------------
    others = [e for e in engineers if e.pk != expert.pk]
    of_polymer = (
        Expert.objects.filter(industry_chains__slug="polymer", status=Status.PUBLISHED)
        .exclude(pk=expert.pk)
        .order_by("pk")
    )
    polymer = of_polymer.filter(profile__contains="聚氨酯").first() or of_polymer.first()
    suppliers = {
        "expert": (MatchType.EXPERT, expert, expert_user),
        "institution": (MatchType.ORGANIZATION, institution, institution_user),
        "pool": (MatchType.EXPERT, others[0], None) if others else None,
        "polymer": (MatchType.EXPERT, polymer, None) if polymer else None,
    }
    for spec in ENGAGEMENTS:
        if suppliers[spec.supplier] is None:  # a small demo may lack such an expert
            continue
        match_type, supplier, supplier_user = suppliers[spec.supplier]
        demand = demands[spec.demand]
        if spec.pushed:
            engagement = services.push_match(
                _operator_of(demand.region), demand, match_type, supplier.pk, spec.message
            )
        else:
            engagement = services.request_engagement(
                enterprise_user, demand, match_type, supplier.pk, spec.message
            )
        for step in spec.steps:
            if step == S.ACCEPTED:
                engagement = services.accept_engagement(supplier_user, engagement)
            elif step == S.DECLINED:
                engagement = services.decline_engagement(supplier_user, engagement, DECLINE_REASON)
            elif step == S.MEETING_SCHEDULED:
                met = S.MET in spec.steps
                at = timezone.make_aware(
                    datetime.combine(
                        timezone.localdate() + timedelta(days=-34 if met else 5), time(14, 30)
                    )
                )
                engagement = services.schedule_meeting(
                    enterprise_user,
                    engagement,
                    at,
                    MEETING_PLACE if not met else PAST_MEETING_PLACE,
                )
            elif step == S.MET:
                engagement = services.record_meeting(
                    enterprise_user,
                    engagement,
                    MINUTES,
                    f"{enterprise.contact_name}（企业技术中心）、{supplier}",
                )
            elif step == S.AGREED:
                engagement = services.agree_cooperation(
                    enterprise_user, engagement, CooperationMode.DEVELOPMENT, AGREED_AMOUNT
                )
        _spread_timeline(engagement, spec.days, now)

    # --- a national society's service team and its visits -----------------------------------------
    society = (
        Organization.objects.filter(kind=Organization.Kind.SOCIETY, name="中国汽车工程学会").first()
        or Organization.objects.filter(kind=Organization.Kind.SOCIETY).order_by("pk").first()
    )
    if society is not None:
        members = list(
            Expert.objects.filter(
                industry_chains__slug="auto-parts",
                talent__in=[Expert.Talent.ACADEMICIAN, Expert.Talent.HIGH_LEVEL],
                status=Status.PUBLISHED,
            ).order_by("pk")[:5]
        )
        team = services.create_team(admin, society, TEAM_NAME, [*members, expert], TEAM_DESCRIPTION)
        today = timezone.localdate()
        host = pick("auto-parts", region.code, "制动")
        visit = services.plan_visit(admin, team, host, today - timedelta(days=10))
        services.record_visit(
            admin, visit, today - timedelta(days=4), VISIT_OUTCOMES, demands=[COLLECTED]
        )
        services.plan_visit(admin, team, enterprise, today + timedelta(days=12))
        demands["collected"] = Demand.objects.get(source_visit=visit)
    return list(demands.values())
