"""Voucher records for tests, made through the real services (no back doors): a programme, an active
provider (request → check → notice over), issued vouchers (application → approval).

Other apps' tests (instrument booking) use these to get a voucher they can pay with::

    programme = programme_in(region, now=NOW)
    provider = active_provider(organization_in(region, kind=Organization.Kind.TESTING), now=NOW)
    voucher = issued_vouchers(enterprise, programme, "10000", now=NOW)[0]
"""

import datetime
from datetime import timedelta
from decimal import Decimal

from kechuang.accounts.factories import MembershipFactory, OperatorMandateFactory, UserFactory
from kechuang.vouchers import providers, services


def operator_of(region):
    mandate = region.__dict__.get("_voucher_operator")
    if mandate is None:
        mandate = OperatorMandateFactory(region=region).user
        region.__dict__["_voucher_operator"] = mandate
    return mandate


def member(organization):
    existing = organization.memberships.select_related("user").first()
    if existing:
        return existing.user
    return MembershipFactory(organization=organization, user=UserFactory()).user


def programme_in(region, *, now, **overrides):
    """An open programme of ``region`` for ``now``'s year: budget 1,000,000, cap 50,000, 50 % co-pay,
    faces 1,000 / 5,000 / 10,000, valid a year, applications open all year."""
    today = now.date()
    fields = {
        "year": today.year,
        "name": f"{region.name}{today.year}年度创新券",
        "issuer": f"{region.name}科学技术局",
        "budget": Decimal("1000000"),
        "annual_cap": Decimal("50000"),
        "copay_percent": Decimal("50"),
        "face_values": [1000, 5000, 10000],
        "validity_days": 365,
        "applications_open": datetime.date(today.year, 1, 1),
        "applications_close": datetime.date(today.year, 12, 31),
    }
    fields.update(overrides)
    return services.define_programme(operator_of(region), region=region, now=now, **fields)


def active_provider(organization, *, now, phone="0512-00000000", legal_representative="张三"):
    """``organization`` onboarded as a voucher provider whose notice ended a moment before ``now``."""
    start = now - timedelta(days=providers.ProviderEnrolment.NOTICE_DAYS + 1)
    enrolment = providers.request_enrolment(
        member(organization),
        organization,
        self_assessment="具备 CMA 资质，检测人员 20 名。",
        qualifications="CMA 证书 201819000001",
        legal_representative=legal_representative,
        phone=phone,
        now=start,
    )
    providers.check_enrolment(operator_of(organization.region), enrolment, passed=True, now=start)
    providers.activate_after_notice(now - timedelta(seconds=1))
    return organization


def issued_vouchers(enterprise, programme, amount, *, now):
    """Vouchers worth ``amount`` issued to ``enterprise`` (applied for and approved in full)."""
    application = services.apply_for_vouchers(
        member(enterprise),
        programme,
        organization=enterprise,
        plan="材料检测与仪器机时",
        estimated_fee=Decimal(amount) * 2,
        requested=amount,
        now=now,
    )
    services.decide_application(operator_of(programme.region), application, granted=amount, now=now)
    return list(application.vouchers.order_by("pk"))
