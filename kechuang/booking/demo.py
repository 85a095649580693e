"""Demo data: three months of shared-instrument bookings on a few dozen of the federation's instruments,
everything written through the booking services at the moment it would have happened (``now=`` of each
step), so every rule, fee, voucher hold and ledger posting is the real one.

The demo institution's own instruments take bookings with approval (two wait in its queue, one of them a
sample-testing request), one needs training, one is closed for maintenance next week; instruments of the
voucher providers in 温州, 嘉定 and 苏州 are booked by enterprises of all three regions (partner-region
prices), about half paying partly by voucher; past bookings are used and billed, a few cancelled late
and one is a no-show released by the clock's rule.
"""

import random
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from kechuang.accounts.models import Membership
from kechuang.booking import billing, services
from kechuang.booking.models import Booking
from kechuang.core.actions import Refused
from kechuang.directory.models import Instrument, Organization, Status
from kechuang.vouchers.models import ProviderEnrolment, Voucher

SEED = 2026_12
PAST_DAYS = 90
AHEAD_DAYS = 14
# where the voucher providers' shared instruments are taken from (region code prefix, how many): 瑞安,
# the rest of 温州, 嘉定 and 苏州 — each operator's figures then have instruments of their own region
AREAS = [("330381", 3), ("3303", 3), ("310114", 3), ("3205", 3)]
PURPOSES = [
    "铝合金压铸件断口形貌观察与能谱分析",
    "制动阀阀体表面粗糙度与轮廓测量",
    "高分子密封材料热失重与差示扫描量热分析",
    "电机定子绕组绝缘材料红外光谱表征",
    "锂电池正极材料 X 射线衍射物相分析",
    "PCB 焊点金相切片与微观结构观察",
    "弹簧钢疲劳试样拉伸性能测试",
    "服装面料色牢度与纤维成分检测",
]


def _at(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _spread(candidates) -> list[Instrument]:
    """Up to the number :data:`AREAS` gives for each area, taken from ``candidates`` in order (at most two
    per owner), so that every region's operators — 瑞安's as well as 嘉定's — have bookable instruments,
    bookings and figures to look at."""
    buckets: dict[str, list[Instrument]] = {prefix: [] for prefix, _n in AREAS}
    per_owner: dict[int, int] = {}
    for instrument in candidates:
        code = instrument.region.code if instrument.region else ""
        prefix = next((p for p, _n in AREAS if code.startswith(p)), None)
        if prefix is None or per_owner.get(instrument.owner_id, 0) >= 2:
            continue
        wanted = dict(AREAS)[prefix]
        if len(buckets[prefix]) < wanted:
            buckets[prefix].append(instrument)
            per_owner[instrument.owner_id] = per_owner.get(instrument.owner_id, 0) + 1
    return [instrument for prefix, _n in AREAS for instrument in buckets[prefix]]


def load_demo_bookings(*, institution: Organization, enterprise: Organization, now=None) -> dict:
    """Load the booking demo; returns counts by status."""
    now = now or timezone.now()
    rng = random.Random(SEED)
    admin = get_user_model().objects.get(username="admin")
    manager = (
        Membership.objects.filter(organization=institution).select_related("user").first().user
    )
    own = list(
        Instrument.objects.filter(
            owner=institution, status=Status.PUBLISHED, state=Instrument.State.AVAILABLE
        ).order_by("pk")[:4]
    )
    providers = ProviderEnrolment.objects.filter(status=ProviderEnrolment.Status.ACTIVE).values(
        "organization"
    )
    shared = _spread(
        Instrument.objects.filter(
            owner__in=providers,
            status=Status.PUBLISHED,
            state=Instrument.State.AVAILABLE,
            accepts_vouchers=True,
            unit=Instrument.Unit.HOUR,
        )
        .exclude(owner=institution)
        .select_related("owner", "region")
        .order_by("pk")
    )
    # rules: the institution's own with approval (one operated, one needing training), the others mixed
    for n, instrument in enumerate(own + shared):
        actor = manager if instrument.owner_id == institution.pk else admin
        rate = instrument.external_rate or 300
        values = {
            "needs_approval": instrument in own or n % 3 == 0,
            "weekly_quota_hours": 16 if n % 4 == 1 else 0,
            "late_cancel_fee": (rate / 2).quantize(rate) if rate else 0,
            "no_show_fee": rate,
            "partner_rate": instrument.internal_rate or rate,
        }
        if instrument is own[0] and len(own) > 1:
            values.update(
                mode="operated",
                unit=Instrument.Unit.SAMPLE,
                external_rate=480,
                internal_rate=240,
                partner_rate=360,
            )
        if instrument is own[-1]:
            values["training_required"] = True
        services.save_rules(actor, instrument, now=now, **values)
    # bookers: the demo enterprise and the members of voucher-holding enterprises of the three regions
    bookers = [(Membership.objects.filter(organization=enterprise).first().user, enterprise)]
    others = (
        Membership.objects.filter(organization__kind=Organization.Kind.ENTERPRISE)
        .exclude(organization=enterprise)
        .filter(organization__in=Voucher.objects.values("holder"))
        .select_related("user", "organization__region")
        .distinct()
        .order_by("organization__region__code", "pk")
    )
    by_region: dict[str, list] = {}
    for membership in others:
        by_region.setdefault(membership.organization.region.path[:13], []).append(membership)
    for rows in by_region.values():
        bookers += [(m.user, m.organization) for m in rows[:4]]
    trained = own[-1] if own else None
    if trained is not None:
        for user, _org in bookers:
            services.record_training(
                manager,
                trained,
                user,
                trained_on=(now - timedelta(days=200)).date(),
                lapses_on=(now + timedelta(days=165)).date(),
            )
    made = 0
    today = timezone.localdate(now)
    usable: dict = {}
    issued = Voucher.objects.order_by("issued_at").values_list("issued_at", flat=True).first()
    usable_from = (issued or now) + timedelta(days=4)
    for instrument in own + shared:
        rules = services.rules_of(instrument)
        day = today - timedelta(days=PAST_DAYS)
        while day < today + timedelta(days=AHEAD_DAYS):
            day += timedelta(days=rng.choice([3, 5, 7, 8]))
            if day.weekday() >= 5:
                continue
            user, organization = rng.choice(bookers)
            start = _at(day, rng.choice([9, 10, 13, 14, 15]), rng.choice([0, 30]))
            end = start + timedelta(minutes=rng.choice([60, 90, 120, 180]))
            if end > _at(day, rules.closes_at.hour):
                continue
            operated = rules.mode == "operated"
            key = (organization.pk, instrument.pk)
            if (
                key not in usable
            ):  # asked once per payer and instrument, after the vouchers were issued
                usable[key] = billing.usable_vouchers([organization], instrument, now=usable_from)
            vouchers = usable[key] if start > usable_from else []
            request = services.Request(
                instrument,
                organization,
                start,
                end,
                kind=Booking.Kind.SAMPLE if operated else Booking.Kind.SLOT,
                samples=rng.randint(2, 8) if operated else 0,
                purpose=rng.choice(PURPOSES),
                voucher=vouchers[0] if vouchers and rng.random() < 0.6 else None,
            )
            booked_at = start - timedelta(days=rng.choice([2, 3, 5]))
            try:
                booking = services.book(user, request, now=booked_at)
            except Refused:
                continue
            made += 1
            mgr = manager if instrument.owner_id == institution.pk else admin
            future = start > now
            if booking.status == Booking.Status.PENDING:
                if future and instrument in own and rng.random() < 0.7:
                    continue  # waits in the institution's approval queue
                services.approve(mgr, booking, now=booked_at + timedelta(hours=5))
            if future:
                continue
            roll = rng.random()
            if roll < 0.06:
                services.cancel(
                    user, booking, now=start - timedelta(hours=3), reason="样品未能按时寄到"
                )
            elif roll < 0.09:
                services.cancel(
                    user, booking, now=start - timedelta(days=1, hours=2), reason="项目计划调整"
                )
            elif booking.starts_at > now - timedelta(days=2) or roll < 0.11:
                if booking.ends_at < now:
                    services.mark_no_show(
                        None, booking, now=start + timedelta(minutes=rules.no_show_minutes)
                    )
            else:
                arrived = start + timedelta(minutes=rng.choice([0, 5, 10]))
                left = end + timedelta(minutes=rng.choice([-30, -15, 0, 0, 10]))
                services.record_use(
                    mgr,
                    booking,
                    actual_start=arrived,
                    actual_end=left,
                    samples=booking.samples + rng.choice([0, 0, 1]) if operated else None,
                    now=left + timedelta(hours=1),
                )
    if len(own) > 1:
        closing = _at(today + timedelta(days=8 - today.weekday()), 8)  # next week's Tuesday
        services.add_closure(
            manager,
            own[1],
            starts_at=closing,
            ends_at=closing + timedelta(days=1, hours=12),
            reason="年度维护保养与校准（厂家工程师上门）",
            now=now,
        )
    counts: dict[str, int] = {}
    for status in Booking.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    counts["made"] = made
    return counts
