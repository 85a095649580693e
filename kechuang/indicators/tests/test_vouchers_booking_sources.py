"""The formulas over vouchers and instrument booking: vouchers spent (approved redemptions, by the holding
enterprise's district, in yuan) and instrument hours shared (actual use of completed bookings on the
district's instruments; all users, or only users other than the owner). Every record is made through the
vouchers and booking services; figures, months and lineage rows are checked to the exact value."""

import datetime
import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kechuang.accounts.factories import MembershipFactory, UserFactory
from kechuang.booking import services as booking_services
from kechuang.booking.factories import BookingRulesFactory
from kechuang.booking.models import Booking
from kechuang.directory.factories import (
    InstrumentFactory,
    OrganizationFactory,
    ServiceItemFactory,
)
from kechuang.directory.models import Organization
from kechuang.indicators import queries, registry, services
from kechuang.indicators.tests.conftest import TODAY
from kechuang.vouchers import redemptions
from kechuang.vouchers.factories import (
    active_provider,
    issued_vouchers,
    member,
    operator_of,
    programme_in,
)
from kechuang.vouchers.models import Redemption

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_sources_are_registered_by_key_with_what_they_sum():
    spent = registry.get("vouchers.spent")
    hours = registry.get("booking.hours_used")
    external = registry.get("booking.hours_used_external")
    assert (spent.owner, spent.money, spent.amount_field, spent.sums) == (
        "vouchers",
        True,
        "amount",
        True,
    )
    assert (hours.owner, hours.money, hours.amount_field, hours.sums) == (
        "booking",
        False,
        None,
        True,
    )
    assert (external.owner, external.money, external.sums) == ("booking", False, True)


# --- vouchers spent -------------------------------------------------------------------------------------


def evidence():
    return {
        kind: SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")
        for kind in redemptions.REQUIRED_EVIDENCE
    }


def redemption(voucher, provider, fee: str, key: str, *, on):
    """A delivered order of ``provider``'s service paid half by ``voucher``, submitted for redemption."""
    item = ServiceItemFactory(provider=provider, category="testing", price=fee)
    order = redemptions.place_order(
        member(voucher.holder),
        service_item=item,
        voucher=voucher,
        fee=Decimal(fee),
        idempotency_key=key,
        now=on,
    )
    order = redemptions.deliver_order(member(provider), order, now=on)
    return redemptions.submit_redemption(member(provider), order.hold, files=evidence(), now=on)


@pytest.fixture
def vouchers(city):
    """温州市's programme (50 % co-pay); a Ruian and a Longwan enterprise spend vouchers at a Ruian
    testing centre: Ruian 3,000 approved in March and 2,000 approved in May (then paid), 1,500 rejected;
    Longwan 5,000 approved in April and 4,000 still waiting."""
    start = at(1, 10)
    programme = programme_in(city.city, now=start)
    provider = active_provider(
        OrganizationFactory(
            name="瑞安市质量技术检测中心", region=city.ruian, kind=Organization.Kind.TESTING
        ),
        now=start,
        phone="0577-65800001",
        legal_representative="陈检",
    )
    ruian_firm = OrganizationFactory(name="瑞安华丰汽车电子有限公司", region=city.ruian)
    longwan_firm = OrganizationFactory(name="龙湾激光装备有限公司", region=city.longwan)
    ruian_voucher = issued_vouchers(ruian_firm, programme, "20000", now=start)[-1]
    longwan_voucher = issued_vouchers(longwan_firm, programme, "20000", now=start)[-1]
    decider = operator_of(city.city)
    march = redemption(ruian_voucher, provider, "6000", "r1", on=at(2, 20))
    may = redemption(ruian_voucher, provider, "4000", "r2", on=at(4, 28))
    refused = redemption(ruian_voucher, provider, "3000", "r3", on=at(4, 28))
    april = redemption(longwan_voucher, provider, "10000", "l1", on=at(3, 30))
    waiting = redemption(longwan_voucher, provider, "8000", "l2", on=at(6, 1))
    redemptions.decide_redemption(decider, march, approve=True, now=at(3, 5))
    may = redemptions.decide_redemption(decider, may, approve=True, now=at(5, 6))
    redemptions.decide_redemption(
        decider, refused, approve=False, reason="服务报告与合同不符", now=at(5, 6)
    )
    redemptions.decide_redemption(decider, april, approve=True, now=at(4, 1))
    redemptions.mark_batch_paid(decider, may.batch, reference="WZ-202605-001", now=at(6, 10))
    indicator = services.define_indicator(
        city.operator,
        city.city,
        code="vouchers-spent",
        name="创新券兑付金额",
        unit="万元",
        source="vouchers.spent",
    )
    return indicator, {"march": march, "may": may, "april": april, "waiting": waiting}


def test_vouchers_spent_sums_the_approved_and_paid_redemptions_by_district(city, vouchers):
    indicator, made = vouchers
    assert indicator.money is True  # a money source makes the indicator's figures yuan
    made["may"].refresh_from_db()
    assert made["may"].status == Redemption.Status.PAID
    services.set_target(city.operator, indicator, city.ruian, 2026, 10000)
    services.set_target(city.operator, indicator, city.longwan, 2026, 4000)

    board = queries.board(city.city, 2026, today=TODAY)

    ruian = board.cell(indicator.pk, city.ruian.pk)
    longwan = board.cell(indicator.pk, city.longwan.pk)
    assert ruian.actual == Decimal("5000.00") and ruian.percent == 50
    assert ruian.months[2] == Decimal("3000.00") and ruian.months[4] == Decimal("2000.00")
    assert sum(ruian.months) == ruian.actual
    assert longwan.actual == Decimal("5000.00") and longwan.months[3] == Decimal("5000.00")
    assert longwan.percent == 125 and longwan.exceeded


def test_vouchers_spent_lineage_lists_exactly_the_redemptions_with_links(city, client, vouchers):
    indicator, made = vouchers

    found = queries.lineage(indicator, city.ruian, 2026)

    assert found.value == Decimal("5000.00")
    rows = found.rows(found.records)
    assert [(r.url, r.amount, r.on) for r in rows] == [
        (made["march"].get_absolute_url(), Decimal("3000.00"), datetime.date(2026, 3, 5)),
        (made["may"].get_absolute_url(), Decimal("2000.00"), datetime.date(2026, 5, 6)),
    ]
    assert rows[0].title == "瑞安华丰汽车电子有限公司 · 瑞安市质量技术检测中心"
    assert rows[1].note.endswith("已支付")
    april = queries.lineage(indicator, city.longwan, 2026, month=4)
    assert april.value == Decimal("5000.00")
    assert [r.pk for r in april.records] == [made["april"].pk]

    client.force_login(city.operator)
    page = client.get(
        f"/indicators/{indicator.pk}/lineage/?region={city.ruian.pk}&year=2026"
    ).content.decode()
    assert re.findall(r'href="(/vouchers/redemptions/\d+/)"', page) == [
        made["march"].get_absolute_url(),
        made["may"].get_absolute_url(),
    ]
    # The linked record opens for the operator who reads the figure.
    assert client.get(made["march"].get_absolute_url()).status_code == 200


def test_a_corrected_redemption_corrects_the_vouchers_figure(city, vouchers):
    indicator, made = vouchers
    Redemption.objects.filter(pk=made["march"].pk).update(amount=Decimal("2500.00"))

    assert queries.board(city.city, 2026, today=TODAY).cell(
        indicator.pk, city.ruian.pk
    ).actual == Decimal("4500.00")
    assert queries.lineage(indicator, city.ruian, 2026).value == Decimal("4500.00")


# --- instrument hours shared ----------------------------------------------------------------------------


def used(instrument, organization, user, manager, start, minutes: int) -> Booking:
    """A two-hour booking of ``instrument`` by ``organization`` starting at ``start``, used for
    ``minutes`` from its start, recorded by ``manager`` the day after."""
    booking = booking_services.book(
        user,
        booking_services.Request(
            instrument=instrument,
            organization=organization,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
        ),
        now=start - timedelta(days=1),
    )
    return booking_services.record_use(
        manager,
        booking,
        actual_start=start,
        actual_end=start + timedelta(minutes=minutes),
        now=start + timedelta(days=1),
    )


@pytest.fixture
def bookings(city):
    """A Ruian lab's spectrometer used 90 min by an enterprise (February) and 45 min by the lab itself
    (March), 60 min by the enterprise last December; one booking confirmed but never used, one
    cancelled; a Longwan institute's microscope used 120 min by the enterprise in June."""
    lab = OrganizationFactory(
        name="温州大学瑞安研究院", region=city.ruian, kind=Organization.Kind.UNIVERSITY
    )
    institute = OrganizationFactory(
        name="龙湾激光研究所", region=city.longwan, kind=Organization.Kind.INSTITUTE
    )
    firm = OrganizationFactory(name="瑞安华丰汽车电子有限公司", region=city.ruian)
    spectrometer = InstrumentFactory(name="傅里叶红外光谱仪", owner=lab, region=city.ruian)
    microscope = InstrumentFactory(
        name="场发射扫描电子显微镜", owner=institute, region=city.longwan
    )
    for instrument in (spectrometer, microscope):
        BookingRulesFactory(instrument=instrument)
    engineer, researcher = UserFactory(username="engineer"), UserFactory(username="researcher")
    MembershipFactory(user=engineer, organization=firm)
    MembershipFactory(user=researcher, organization=lab)
    manager = city.operator
    made = {
        "february": used(spectrometer, firm, engineer, manager, at(2, 3, 10), 90),
        "march": used(spectrometer, lab, researcher, manager, at(3, 2, 9), 45),
        "december": used(spectrometer, firm, engineer, manager, at(12, 15, 14, year=2025), 60),
        "june": used(microscope, firm, engineer, manager, at(6, 5, 14), 120),
    }
    confirmed = booking_services.book(
        engineer,
        booking_services.Request(
            instrument=spectrometer,
            organization=firm,
            starts_at=at(4, 7, 10),
            ends_at=at(4, 7, 12),
        ),
        now=at(4, 1),
    )
    cancelled = booking_services.book(
        engineer,
        booking_services.Request(
            instrument=spectrometer,
            organization=firm,
            starts_at=at(4, 8, 10),
            ends_at=at(4, 8, 12),
        ),
        now=at(4, 1),
    )
    booking_services.cancel(engineer, cancelled, now=at(4, 2))
    assert confirmed.status == Booking.Status.CONFIRMED
    indicators = {
        key: services.define_indicator(
            city.operator, city.city, code=code, name=name, unit="小时", source=key
        )
        for key, code, name in (
            ("booking.hours_used", "hours", "大型仪器共享机时"),
            ("booking.hours_used_external", "hours-external", "大型仪器对外共享机时"),
        )
    }
    return indicators, made


def test_instrument_hours_sum_the_actual_use_of_the_district_instruments(city, bookings):
    indicators, _made = bookings
    hours, external = indicators["booking.hours_used"], indicators["booking.hours_used_external"]
    services.set_target(city.operator, hours, city.ruian, 2026, 3)

    board = queries.board(city.city, 2026, today=TODAY)

    ruian = board.cell(hours.pk, city.ruian.pk)
    assert ruian.actual == Decimal("2.25") and ruian.percent == 75
    assert ruian.months[1] == Decimal("1.5") and ruian.months[2] == Decimal("0.75")
    assert board.cell(hours.pk, city.longwan.pk).actual == Decimal("2")
    assert board.cell(external.pk, city.ruian.pk).actual == Decimal(
        "1.5"
    )  # the lab's own use left out
    assert board.cell(external.pk, city.longwan.pk).actual == Decimal("2")
    last_year = queries.board(city.city, 2025, today=TODAY)
    assert last_year.cell(hours.pk, city.ruian.pk).months[11] == Decimal("1")


def test_instrument_hours_lineage_lists_exactly_the_bookings_with_their_hours(
    city, client, bookings
):
    indicators, made = bookings
    hours = indicators["booking.hours_used"]

    found = queries.lineage(hours, city.ruian, 2026)

    assert found.value == Decimal("2.25")
    rows = found.rows(found.records)
    assert [(r.url, r.quantity, r.on) for r in rows] == [
        (made["february"].get_absolute_url(), Decimal("1.5"), datetime.date(2026, 2, 3)),
        (made["march"].get_absolute_url(), Decimal("0.75"), datetime.date(2026, 3, 2)),
    ]
    assert rows[0].title == "傅里叶红外光谱仪 · 瑞安华丰汽车电子有限公司"
    assert rows[0].note == "10:00–11:30 · 温州大学瑞安研究院"
    external = queries.lineage(indicators["booking.hours_used_external"], city.ruian, 2026)
    assert [r.pk for r in external.records] == [made["february"].pk]

    client.force_login(city.operator)
    page = client.get(
        f"/indicators/{hours.pk}/lineage/?region={city.ruian.pk}&year=2026"
    ).content.decode()
    assert re.findall(r'href="(/booking/\d+/)"', page) == [
        made["february"].get_absolute_url(),
        made["march"].get_absolute_url(),
    ]
    assert "使用机时（小时）" in page and ">1.50<" in page and ">0.75<" in page
    assert client.get(made["february"].get_absolute_url()).status_code == 200


def test_a_corrected_use_corrects_the_hours(city, bookings):
    indicators, made = bookings
    hours = indicators["booking.hours_used"]
    Booking.objects.filter(pk=made["march"].pk).update(
        actual_end=at(3, 2, 10, 30)
    )  # 90 min, not 45

    assert queries.board(city.city, 2026, today=TODAY).cell(
        hours.pk, city.ruian.pk
    ).actual == Decimal("3")
    assert queries.lineage(hours, city.ruian, 2026, month=3).value == Decimal("1.5")
