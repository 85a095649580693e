"""Demo auctions, through the services: a finished CAS-style online session in 嘉定 (a dozen lots, two
portfolios, reserves, one lot unsold), a finished Zhejiang-style on-site session in 温州 with hammer prices
(11 lots, 895万元 of starting prices sold for 1,230万元, +37.43 %), and a live online session in 瑞安 that
the demo enterprise is registered for, so its lot pages tick."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from kechuang.accounts.models import Membership
from kechuang.auctions import services
from kechuang.core.models import Region
from kechuang.directory.models import Achievement, Organization
from kechuang.directory.validators import patent_check_digit

WAN = Decimal(10_000)
TERMS = (
    "一、竞买人须为依法设立的企业法人或其他组织，以单位名义登记竞买。\n"
    "二、竞买人须在竞价开始前缴纳保证金；未成交的保证金在专场结束后全额退还，成交的保证金转作价款。\n"
    "三、资料室文件仅供竞买人评估拍品使用，未经权利人书面同意不得复制、传播或用于其他目的。\n"
    "四、拍品以现状拍卖，竞买人应自行查验专利法律状态；成交后双方签订专利权转让合同并办理著录项目变更。"
)
# (starting price 万元, hammer price 万元): the 2020 Anji session, 11 lots, 895 → 1,230.
ZHEJIANG = [
    (50, 68),
    (60, 82),
    (65, 90),
    (70, 96),
    (75, 103),
    (80, 110),
    (85, 117),
    (90, 124),
    (95, 130),
    (110, 151),
    (115, 159),
]
IPC = [
    "H01S 3/067",
    "G02B 6/02",
    "B23K 26/38",
    "C03C 3/062",
    "G01N 21/65",
    "H01L 31/18",
    "F16K 31/06",
    "B60T 13/26",
    "C08L 23/12",
    "G06T 7/00",
]


def _number(rng: random.Random, year: int) -> str:
    digits = f"{year}1{rng.randint(0, 9_999_999):07d}"
    return f"ZL{digits}.{patent_check_digit(digits)}"


def _patents(rng, achievements, count, title):
    rows = [
        {
            "number": a.patent_number,
            "title": a.title,
            "legal_status": "granted",
            "ipc": rng.choice(IPC),
        }
        for a in achievements[:count]
    ]
    while len(rows) < count:
        rows.append(
            {
                "number": _number(rng, rng.randint(2016, 2022)),
                "title": f"{title}（{len(rows) + 1}）",
                "legal_status": "granted",
                "ipc": rng.choice(IPC),
            }
        )
    return rows


def _bidders(session, enterprises, count, tag):
    """Registered bidders: a representative (no log-in) of each of ``count`` enterprises."""
    User = get_user_model()
    registrations = []
    for n, organization in enumerate(enterprises[:count]):
        user, _created = User.objects.get_or_create(
            username=f"bidder-{tag}-{n + 1:02d}",
            defaults={"display_name": f"{organization.name}竞买代表"},
        )
        if _created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, organization=organization)
        registrations.append(
            (
                user,
                services.register_bidder(
                    user,
                    session,
                    organization,
                    accept_terms=True,
                    now=session.starts_at - timedelta(days=2),
                ),
            )
        )
    return registrations


def load_demo_auctions(
    operators: dict[str, object], *, now: datetime | None = None, seed: int = 2018
) -> int:
    """Create the three sessions; returns the number of lots. ``operators``: region code → operator."""
    rng = random.Random(seed)
    now = now or timezone.now()
    regions = {r.code: r for r in Region.objects.filter(code__in=["310114", "330300", "330381"])}
    if len(regions) < 3 or not {"310114", "330300", "330381"} <= set(operators):
        return 0
    lots = _cas_session(rng, regions["310114"], operators["310114"], now)
    lots += _zhejiang_session(rng, regions["330300"], operators["330300"], now)
    lots += _live_session(rng, regions["330381"], operators["330381"], now)
    return lots


def _institutions(region, count=3) -> list:
    """Universities and institutes of ``region`` to own lots; any organisation where it has none (a small
    demo)."""
    organizations = Organization.objects.order_by("pk")
    within = organizations.filter(region__path__startswith=region.path)
    for candidates in (within.filter(kind__in=["university", "institute"]), within, organizations):
        found = list(candidates[:count])
        if found:
            return found
    return []


def _enterprises(region, count=12):
    """Enterprises of ``region`` (any, where it has none) to bid."""
    enterprises = Organization.objects.filter(kind=Organization.Kind.ENTERPRISE).order_by("pk")
    return list(enterprises.filter(region__path__startswith=region.path)[:count]) or list(
        enterprises[:count]
    )


def _cas_session(rng, region, operator, now) -> int:
    starts = now - timedelta(days=40)
    closes = starts + timedelta(days=3)
    session = services.create_session(
        operator,
        region=region,
        title="中国科学院专利竞价（拍卖）会 · 上海专场",
        organizer="上海技术交易所",
        terms=TERMS,
        starts_at=starts,
        closes_at=closes,
        mode="online",
        venue="上海技术交易所网络竞价平台",
        description="中国科学院上海分院各研究所的专利竞价专场，涵盖激光与光电、先进材料、智能制造等领域，含两个专利组合。",
    )
    achievements = list(
        Achievement.objects.filter(region=region, patent_number__isnull=False)
        .exclude(owner__kind=Organization.Kind.ENTERPRISE)
        .select_related("owner")
        .order_by("pk")[:30]
    )
    owners = [a.owner for a in achievements] or _institutions(region)
    # Twelve lots: two portfolios (lots 4 and 9), reserves on five, lot 7 will not reach its reserve.
    for n in range(12):
        size = 4 if n == 3 else 3 if n == 8 else 1
        chosen = [achievements.pop(0) for _ in range(min(size, len(achievements)))]
        owner = chosen[0].owner if chosen else owners[n % len(owners)]
        title = (
            chosen[0].title
            if chosen and size == 1
            else f"{owner.name}专利组合（{size} 件）"
            if size > 1
            else f"专利拍品 {n + 1}"
        )
        start = Decimal(rng.choice((20, 30, 40, 50, 60, 80, 100))) * WAN
        reserve = None
        if n in (1, 3, 5, 6, 10):
            reserve = start * Decimal("1.3") if n == 6 else start * Decimal("1.1")
        services.add_lot(
            operator,
            session,
            title=title[:200],
            owner=owner,
            patents=_patents(rng, chosen, size, title),
            starting_price=start,
            increment=Decimal(2) * WAN if start < 50 * WAN else Decimal(5) * WAN,
            reserve_price=reserve,
            deposit=Decimal(5) * WAN,
            achievements=chosen,
            description=(chosen[0].description[:300] if chosen else ""),
        )
    services.submit_session(operator, session)
    services.publish_session(operator, session, now=starts - timedelta(days=7))
    bidders = _bidders(session, _enterprises(region, 6), 6, "cas")
    for _user, registration in bidders:
        services.record_deposit(
            operator,
            registration,
            Decimal(5) * WAN,
            idempotency_key=f"cas-{registration.paddle}",
            now=starts - timedelta(days=1),
        )
    moment = starts + timedelta(hours=2)
    for lot in session.lots.order_by("number"):
        rounds = 1 if lot.number == 7 else 4 if lot.reserve_price else rng.randint(2, 3)
        for step in range(rounds):
            lot.refresh_from_db()
            user, _registration = bidders[(lot.number + step) % len(bidders)]
            moment += timedelta(minutes=rng.randint(3, 40))
            services.place_bid(user, lot, lot.next_minimum, now=moment)
    services.close_due_lots(now=closes + timedelta(hours=1))
    return 12


def _zhejiang_session(rng, region, operator, now) -> int:
    day = now - timedelta(days=90)
    starts = day.replace(hour=1, minute=30, second=0, microsecond=0)
    session = services.create_session(
        operator,
        region=region,
        title="浙江省高校院所专利拍卖会 · 温州专场",
        organizer="浙江省知识产权交易中心",
        terms=TERMS,
        starts_at=starts,
        closes_at=starts + timedelta(hours=3),
        mode="onsite",
        venue="温州市科技大市场一楼拍卖厅",
        description="现场拍卖，拍卖师逐件落槌；竞买人凭号牌举牌。11 件拍品起拍价合计 895 万元。",
    )
    owners = _institutions(region, 6)
    achievements = list(
        Achievement.objects.filter(owner__in=owners, patent_number__isnull=False).order_by("pk")[
            :11
        ]
    )
    for n, (start, _hammer) in enumerate(ZHEJIANG):
        chosen = achievements[n : n + 1]
        owner = chosen[0].owner if chosen else owners[n % len(owners)]
        title = chosen[0].title if chosen else f"浙江高校专利 {n + 1}"
        services.add_lot(
            operator,
            session,
            title=title[:200],
            owner=owner,
            patents=_patents(rng, chosen, 1, title),
            starting_price=Decimal(start) * WAN,
            increment=WAN,
            deposit=Decimal(5) * WAN,
            achievements=chosen,
        )
    services.submit_session(operator, session)
    services.publish_session(operator, session, now=starts - timedelta(days=10))
    bidders = _bidders(session, _enterprises(region, 6), 6, "zj")
    for _user, registration in bidders:
        # Enough for the several lots a bidder may win in one afternoon.
        services.record_deposit(
            operator,
            registration,
            Decimal(20) * WAN,
            idempotency_key=f"zj-{registration.paddle}",
            now=starts - timedelta(days=1),
        )
    moment = starts
    for lot, (start, hammer) in zip(session.lots.order_by("number"), ZHEJIANG, strict=True):
        for step, amount in enumerate((start, hammer)):
            moment += timedelta(minutes=2)
            paddle = bidders[(lot.number + step) % len(bidders)][1].paddle
            services.record_floor_bid(operator, lot, paddle, Decimal(amount) * WAN, now=moment)
        moment += timedelta(minutes=3)
        services.hammer(operator, lot, now=moment)
    return len(ZHEJIANG)


def _live_session(rng, region, operator, now) -> int:
    starts = now - timedelta(days=1)
    closes = now + timedelta(days=3)
    session = services.create_session(
        operator,
        region=region,
        title="瑞安市汽车零部件专利竞价专场",
        organizer="瑞安市科协 · 温州科技大市场",
        terms=TERMS,
        starts_at=starts,
        closes_at=closes,
        mode="online",
        extension_minutes=5,
        extension_cap_minutes=60,
        description="面向瑞安汽车零部件产业链的专利竞价专场，网络竞价，截止前 5 分钟内有出价自动延时 5 分钟。",
    )
    wenzhou = Region.objects.get(code="330300")
    owners = _institutions(wenzhou, 4)
    achievements = list(
        Achievement.objects.filter(owner__in=owners, patent_number__isnull=False).order_by("-pk")[
            :4
        ]
    )
    for n in range(4):
        chosen = achievements[n : n + 1]
        owner = chosen[0].owner if chosen else owners[n % len(owners)]
        title = chosen[0].title if chosen else f"汽车零部件专利 {n + 1}"
        services.add_lot(
            operator,
            session,
            title=title[:200],
            owner=owner,
            patents=_patents(rng, chosen, 1, title),
            starting_price=Decimal(rng.choice((10, 15, 20, 30))) * WAN,
            increment=WAN,
            deposit=Decimal(2) * WAN,
            reserve_price=Decimal(25) * WAN if n == 0 else None,
            achievements=chosen,
        )
    services.submit_session(operator, session)
    services.publish_session(operator, session, now=starts - timedelta(days=3))
    enterprise = Organization.objects.filter(memberships__user__username="enterprise").first()
    enterprises = [
        o for o in _enterprises(region, 5) if enterprise is None or o.pk != enterprise.pk
    ][:4]
    bidders = _bidders(session, enterprises, 4, "ra")
    demo_user = get_user_model().objects.filter(username="enterprise").first()
    if enterprise is not None and demo_user is not None:
        registration = services.register_bidder(
            demo_user, session, enterprise, accept_terms=True, now=starts - timedelta(days=2)
        )
        services.record_deposit(
            operator,
            registration,
            Decimal(2) * WAN,
            idempotency_key="ra-demo",
            now=starts - timedelta(days=1),
        )
    for _user, registration in bidders:
        services.record_deposit(
            operator,
            registration,
            Decimal(2) * WAN,
            idempotency_key=f"ra-{registration.paddle}",
            now=starts - timedelta(days=1),
        )
    moment = starts + timedelta(hours=1)
    for lot in session.lots.order_by("number"):
        for step in range(rng.randint(1, 3)):
            lot.refresh_from_db()
            user, _registration = bidders[(lot.number + step) % len(bidders)]
            moment += timedelta(minutes=rng.randint(5, 30))
            services.place_bid(user, lot, lot.next_minimum, now=min(moment, now))
    return 4
