"""Demo data: the 三地 双创券 federation (嘉定区, 苏州市, 温州市, sharing vouchers since 28 November 2018 —
seed 002) running this year's programmes, everything written through the real services.

Each member region has a programme honouring the other two; its shared institutions with service items
are onboarded as providers (two more wait in the operator's check and in 公示); a hundred-odd enterprises
of the three regions apply (most approved in full, some partly, a few refused or still waiting) and hold
a few hundred vouchers; they order services at home and across regions; providers deliver and redeem
with evidence; the issuing regions approve (a few redemptions are flagged as related parties: two shared
addresses or phones and one pair trading far above the norm — one approved with a written override, one
rejected, one still waiting); last month's settlement batches are paid and its clearing run is closed,
this month's is open. Log-ins: ``provider`` (a Jiading testing institution) and ``auditor``.
"""

import datetime
import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kechuang.accounts.models import Membership, OperatorMandate, User
from kechuang.core.actions import Refused
from kechuang.core.models import Federation
from kechuang.directory.models import Organization, ServiceItem, Status
from kechuang.vouchers import clearing, providers, redemptions, services
from kechuang.vouchers.models import Redemption, SettlementBatch, VoucherApplication
from kechuang.vouchers.redemptions import SHANGHAI

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
AUDITORS = "审计"

# region code: name stem, budget, cap, co-pay %, service categories ([] = all)
PROGRAMMES = {
    "310114": ("嘉定区", Decimal("5000000"), Decimal("300000"), Decimal("50"), []),
    "320500": ("苏州市", Decimal("8000000"), Decimal("500000"), Decimal("40"), []),
    "330300": ("温州市", Decimal("6000000"), Decimal("300000"), Decimal("60"), []),
}
ISSUERS = {
    "310114": "嘉定区科学技术委员会",
    "320500": "苏州市科学技术局",
    "330300": "温州市科学技术局",
}
PROVIDERS_PER_REGION = 12
ENTERPRISES_PER_REGION = 30


def _user(username: str, display_name: str, password: str) -> User:
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={
            "display_name": display_name,
            "email": f"{username}@demo.kechuang.local",
            "password": password,
        },
    )
    return user


def _members(organizations, prefix: str, password: str) -> dict[int, User]:
    """One user per organisation (the demo's people acting for them), made in two bulk inserts."""
    users = User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{o.pk}",
                display_name=f"{o.name}经办人",
                email=f"{prefix}{o.pk}@demo.kechuang.local",
                password=password,
            )
            for o in organizations
        ]
    )
    users = list(User.objects.filter(username__in=[u.username for u in users]))
    by_name = {u.username: u for u in users}
    Membership.objects.bulk_create(
        [Membership(user=by_name[f"{prefix}{o.pk}"], organization=o) for o in organizations],
        ignore_conflicts=True,
    )
    return {o.pk: by_name[f"{prefix}{o.pk}"] for o in organizations}


def _evidence() -> dict:
    return {
        kind: SimpleUploadedFile(f"{name}.pdf", PDF, content_type="application/pdf")
        for kind, name in (
            ("contract", "技术服务合同"),
            ("invoice", "增值税发票"),
            ("receipt", "企业自付部分付款凭证"),
            ("report", "服务报告"),
        )
    }


def load_demo_vouchers(federation: Federation, *, enterprise: Organization, now=None) -> dict:
    """Load the voucher demo over ``federation``; ``enterprise`` (the demo's enterprise log-in) gets
    vouchers of its region's programme. Returns counts."""
    now = now or timezone.now()
    rng = random.Random(2018_11_28)
    password = make_password("kechuang2026")
    local = now.astimezone(SHANGHAI)
    this_month = datetime.datetime(local.year, local.month, 1, 9, tzinfo=SHANGHAI)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    start = last_month - timedelta(days=45)
    members = {r.code: r for r in federation.members.all()}
    operators = {
        code: OperatorMandate.objects.filter(region=region).select_related("user").first().user
        for code, region in members.items()
    }

    # programmes -------------------------------------------------------------------------------------
    programmes = {}
    for code, (stem, budget, cap, percent, categories) in PROGRAMMES.items():
        programmes[code] = services.define_programme(
            operators[code],
            region=members[code],
            year=local.year,
            name=f"{stem}{local.year}年度双创券",
            issuer=ISSUERS[code],
            description=f"{stem}支持科技型中小企业在长三角三地共享机构购买检验检测、研发设计等服务，"
            "跨区域通认通用、三地结算。",
            budget=budget,
            annual_cap=cap,
            copay_percent=percent,
            face_values=[1000, 5000, 10000],
            validity_days=365,
            applications_open=start.date(),
            applications_close=(now + timedelta(days=120)).date(),
            service_categories=categories,
            partner_regions=[r for c, r in members.items() if c != code],
            federation=federation,
            pair_norm=6,
            now=start,
        )

    # providers --------------------------------------------------------------------------------------
    with_items = set(
        ServiceItem.objects.filter(status=Status.PUBLISHED).values_list("provider_id", flat=True)
    )
    chosen: dict[str, list[Organization]] = {}
    for code, region in members.items():
        candidates = list(
            Organization.objects.filter(
                is_shared=True, pk__in=with_items, region__path__startswith=region.path
            ).order_by("pk")[: PROVIDERS_PER_REGION + 2]
        )
        chosen[code] = candidates
    everyone = [o for rows in chosen.values() for o in rows]
    jiading_testing = next(
        (o for o in chosen["310114"] if o.kind == Organization.Kind.TESTING), chosen["310114"][0]
    )
    provider_login = _user("provider", f"{jiading_testing.name}业务主管", password)
    Membership.objects.update_or_create(
        user=provider_login, organization=jiading_testing, defaults={"role": Membership.Role.ADMIN}
    )
    people = _members([o for o in everyone if o.pk != jiading_testing.pk], "pv", password)
    people[jiading_testing.pk] = provider_login
    active: dict[str, list[Organization]] = {}
    for code, rows in chosen.items():
        active[code] = []
        for n, org in enumerate(rows):
            enrolment = providers.request_enrolment(
                people[org.pk],
                org,
                self_assessment=f"{org.name}具备独立法人资格，近三年服务企业 {rng.randint(60, 400)} 家，"
                f"专业技术人员 {rng.randint(15, 120)} 名。",
                qualifications=f"CMA 资质认定证书 {2016 + n % 3}{rng.randint(10**9, 10**10 - 1)}",
                legal_representative=f"{'王李张刘陈杨黄赵周吴'[n % 10]}{'建国志强海峰文博立新'[n % 10]}",
                phone=org.contact_phone
                or f"0{rng.randint(510, 599)}-{rng.randint(5000_0000, 8999_9999)}",
                now=start,
            )
            if n == len(rows) - 1:
                continue  # waits for the operator's check
            notice_at = start if n < len(rows) - 2 else now - timedelta(days=2)
            providers.check_enrolment(operators[code], enrolment, passed=True, now=notice_at)
            if n < len(rows) - 2:
                active[code].append(org)
    providers.activate_after_notice(start + timedelta(days=8))

    # enterprises and their vouchers -----------------------------------------------------------------
    firms: dict[str, list[Organization]] = {}
    for code, region in members.items():
        firms[code] = list(
            Organization.objects.filter(
                kind=Organization.Kind.ENTERPRISE, region__path__startswith=region.path
            )
            .exclude(pk=enterprise.pk)
            .order_by("pk")[:ENTERPRISES_PER_REGION]
        )
    home = next(c for c, r in members.items() if enterprise.region.path.startswith(r.path))
    firms[home].insert(0, enterprise)
    firm_people = _members(
        [o for rows in firms.values() for o in rows if o.pk != enterprise.pk], "qy", password
    )
    firm_people[enterprise.pk] = Membership.objects.filter(organization=enterprise).first().user
    holdings: list = []
    decided_at = start + timedelta(days=12)
    for code, rows in firms.items():
        programme = programmes[code]
        for n, firm in enumerate(rows):
            requested = Decimal(rng.choice([20000, 30000, 50000]))
            application = services.apply_for_vouchers(
                firm_people[firm.pk],
                programme,
                organization=firm,
                plan=rng.choice(
                    [
                        "新产品材料成分与力学性能检测，约 12 批次。",
                        "扫描电镜与能谱分析机时 30 小时，用于失效分析。",
                        "委托高校开展控制算法联合研发与样机测试。",
                        "产品 EMC 电磁兼容预测试与整改咨询。",
                        "专利导航与知识产权布局分析服务。",
                    ]
                ),
                estimated_fee=requested * 2,
                requested=requested,
                legal_representative=f"{'钱孙周吴郑冯陈褚卫蒋'[n % 10]}{'国庆海涛红梅晓东立群'[n % 10]}",
                now=start + timedelta(days=1 + n % 10),
            )
            if n % 13 == 12:
                continue  # still waiting for the operator
            if n % 17 == 16:
                granted, reason = Decimal(0), "企业不符合“科技型中小企业”入库条件，暂不支持。"
            elif n % 5 == 4:
                granted, reason = requested / 2, "本年度预算有限，先按申请金额的一半发放。"
            else:
                granted, reason = requested, ""
            services.decide_application(
                operators[code], application, granted=granted, reason=reason, now=decided_at
            )
            if granted:
                holdings.append((firm, programme))

    # orders, deliveries, redemptions --------------------------------------------------------------------
    items_by_provider: dict[int, list[ServiceItem]] = {}
    for item in ServiceItem.objects.filter(
        provider__in=[o for rows in active.values() for o in rows], status=Status.PUBLISHED
    ):
        items_by_provider.setdefault(item.provider_id, []).append(item)
    all_active = {
        code: [o for o in rows if o.pk in items_by_provider] for code, rows in active.items()
    }
    # related parties the screening will find: shared address, shared phone
    suspects = []
    for code in ("310114", "320500"):
        if len(firms[code]) < 4 or not all_active[code]:
            continue
        firm, provider = firms[code][3], all_active[code][0]
        if code == "310114":
            Organization.objects.filter(pk=firm.pk).update(
                address=provider.address or "上海市嘉定区城北路 88 号"
            )
            Organization.objects.filter(pk=provider.pk).update(
                address=provider.address or "上海市嘉定区城北路 88 号"
            )
        else:
            Organization.objects.filter(pk=firm.pk).update(contact_phone="0512-62880000")
            Organization.objects.filter(pk=provider.pk).update(contact_phone="0512-62880000")
        suspects.append((firm.pk, provider.pk))
    plans = []  # (firm, programme, provider, when)
    for n, (firm, programme) in enumerate(holdings):
        code = programme.region.code
        for _k in range(1 + n % 2):
            target = rng.choice([c for c in members if c != code]) if rng.random() < 0.3 else code
            provider = rng.choice(all_active[target])
            plans.append((firm, programme, provider, ""))
    for firm_pk, provider_pk in suspects:
        firm = Organization.objects.get(pk=firm_pk)
        provider = Organization.objects.get(pk=provider_pk)
        programme = next((p for f, p in holdings if f.pk == firm_pk), None)
        if programme:
            plans.append((firm, programme, provider, ""))
    # one pair trading far above the programme's norm of 6 a year
    frequent_firm, frequent_programme = holdings[1]
    pool = all_active[frequent_programme.region.code]
    if len(pool) > 1:
        plans += [(frequent_firm, frequent_programme, pool[1], "cheapest")] * 8
    rng.shuffle(plans)

    last_span = (this_month - last_month).days
    orders = []
    for n, (firm, programme, provider, choice) in enumerate(plans):
        recent = n % 4 == 0  # a quarter this month, the rest last month
        if recent:
            placed_at = min(this_month + timedelta(hours=2 + n % 40), now - timedelta(hours=6))
        else:
            placed_at = last_month + timedelta(days=n % max(last_span - 6, 1), hours=n % 7)
        voucher = (
            programme.vouchers.filter(holder=firm, status="active", account__balance__gt=0)
            .order_by("pk")
            .first()
        )
        if voucher is None:
            continue
        offered = items_by_provider[provider.pk]
        if choice == "cheapest":
            item = min(offered, key=lambda i: (i.price or Decimal(10**9), i.pk))
        else:
            item = rng.choice(offered)
        fee = item.price or Decimal(rng.randrange(2000, 30000, 100))
        try:
            order = redemptions.place_order(
                firm_people[firm.pk],
                service_item=item,
                voucher=voucher,
                fee=fee,
                idempotency_key=f"demo-{n}",
                now=placed_at,
            )
        except Refused:  # this voucher cannot pay for it (say, a category the programme leaves out)
            continue
        orders.append((order, placed_at, recent))

    counts = {"orders": len(orders), "redemptions": 0, "flagged": 0}
    flagged_seen = 0
    for n, (order, placed_at, recent) in enumerate(orders):
        provider_user = people[order.provider_id]
        if n % 11 == 10:
            redemptions.cancel_order(provider_user, order, now=placed_at + timedelta(hours=3))
            continue
        if n % 9 == 8:
            continue  # still being delivered
        delivered_at = (
            placed_at + timedelta(days=2)
            if not recent
            else min(placed_at + timedelta(hours=4), now - timedelta(hours=2))
        )
        order = redemptions.deliver_order(provider_user, order, now=delivered_at)
        if n % 7 == 6:
            continue  # delivered, not yet redeemed
        submitted_at = (
            delivered_at + timedelta(hours=6)
            if not recent
            else min(delivered_at + timedelta(hours=1), now - timedelta(hours=1))
        )
        redemption = redemptions.submit_redemption(
            provider_user, order.hold, files=_evidence(), now=submitted_at
        )
        counts["redemptions"] += 1
        operator = operators[redemption.issuing_region.code]
        decided = (
            submitted_at + timedelta(days=1)
            if not recent
            else min(submitted_at + timedelta(minutes=30), now - timedelta(minutes=30))
        )
        if redemption.flags:
            counts["flagged"] += 1
            flagged_seen += 1
            if flagged_seen == 1:
                redemptions.decide_redemption(
                    operator,
                    redemption,
                    approve=True,
                    override="经现场核查，双方为同一园区内不同楼栋的独立法人，无股权与人员关联，同意兑付。",
                    now=decided,
                )
            elif flagged_seen == 2:
                redemptions.decide_redemption(
                    operator,
                    redemption,
                    approve=False,
                    reason="双方联系电话相同且无法说明，疑似关联交易，不予兑付。",
                    now=decided,
                )
            continue  # the others wait for a written override
        if n % 10 == 3 and recent:
            continue  # waiting for the issuing region
        if n % 23 == 5:
            redemptions.decide_redemption(
                operator,
                redemption,
                approve=False,
                reason="发票金额与合同金额不一致，请补正后重新申请。",
                now=decided,
            )
            continue
        redemptions.decide_redemption(operator, redemption, approve=True, now=decided)

    # last month's batches paid, its clearing closed; this month's open ----------------------------------
    for batch in SettlementBatch.objects.filter(
        month=last_month.date(), status=SettlementBatch.Status.OPEN
    ):
        code = batch.region.code
        redemptions.mark_batch_paid(
            operators[code],
            batch,
            reference=f"{code}-{last_month:%Y%m}-{rng.randint(1000, 9999)}",
            now=this_month + timedelta(hours=1) if this_month + timedelta(hours=1) < now else now,
        )
    runner = operators["310114"]
    closed = clearing.open_run(
        runner,
        federation,
        period_start=last_month.date(),
        period_end=(this_month - timedelta(days=1)).date(),
        now=this_month,
    )
    clearing.close_run(runner, closed, now=min(this_month + timedelta(hours=2), now))
    month_end = (this_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    clearing.open_run(
        runner, federation, period_start=this_month.date(), period_end=month_end.date(), now=now
    )

    # the auditor ---------------------------------------------------------------------------------------
    group, _ = Group.objects.get_or_create(name=AUDITORS)
    group.permissions.add(
        Permission.objects.get(codename="audit_ledger", content_type__app_label="vouchers")
    )
    _user("auditor", "长三角双创券审计专员", password).groups.add(group)
    counts["vouchers"] = sum(p.vouchers.count() for p in programmes.values())
    counts["pending_applications"] = VoucherApplication.objects.filter(status="submitted").count()
    counts["awaiting"] = Redemption.objects.filter(status="submitted").count()
    return counts
