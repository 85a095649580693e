"""The booking pages as each role uses them: bad input answers in Chinese and changes nothing, other
people's bookings stay private, exports are safe."""

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from kechuang.booking import calendar_feed, queries, services
from kechuang.booking.models import Booking
from kechuang.booking.tests.conftest import NOW, SHANGHAI, at

S = Booking.Status


@pytest.fixture
def soon(world):
    """A booking of the enterprise three days from the real now (pages use the real clock)."""
    start = timezone.localtime(timezone.now() + timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    return services.book(
        world.user,
        services.Request(
            world.instrument,
            world.enterprise,
            start,
            start + timedelta(hours=2),
            purpose="断口形貌",
        ),
        now=timezone.now(),
    )


def test_the_calendar_shows_free_gaps_and_hides_who_booked(
    client, world, soon, django_assert_max_num_queries
):
    url = f"/booking/instruments/{world.instrument.pk}/?date={timezone.localtime(soon.starts_at):%Y-%m-%d}"
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert page.status_code == 200
    assert "已占用" in page.text and world.enterprise.name not in page.text
    assert "空闲" in page.text and "/book/?date=" in page.text
    client.force_login(world.manager)
    assert world.enterprise.name in client.get(url).text
    for bad in ("?date=2026-13-45", "?view=day&date=x", "?view=month"):
        assert client.get(f"/booking/instruments/{world.instrument.pk}/{bad}").status_code == 200


def test_the_week_calendar_reads_three_rows_sets(client, world, soon, django_assert_num_queries):
    """The instrument with its rules, the week's bookings, and the closures (those in the week and the
    coming ones the notice lists) — one query each, whatever the week holds."""
    start = timezone.localtime(soon.starts_at)
    for offset, reason in ((1, "更换灯丝"), (30, "年度校准")):
        services.add_closure(
            world.manager,
            world.instrument,
            starts_at=start.replace(hour=8) + timedelta(days=offset),
            ends_at=start.replace(hour=12) + timedelta(days=offset),
            reason=reason,
            now=timezone.now(),
        )
    url = f"/booking/instruments/{world.instrument.pk}/?view=week&date={start:%Y-%m-%d}"
    with django_assert_num_queries(3):
        page = client.get(url)
    days = page.context["days"]
    assert [b.kind for b in days[0].blocks] == ["free", "booking", "free"]
    assert [(b.kind, b.label) for b in days[1].blocks if b.kind != "free"] == [
        ("closure", "更换灯丝")
    ]
    assert [c.reason for c in page.context["closures"]] == ["更换灯丝", "年度校准"]
    assert page.text.count("维护停机：") == 2
    # a week after both closures lists neither in its days, but the notice still tells of what is coming
    later = client.get(
        f"/booking/instruments/{world.instrument.pk}/?view=week&date={start + timedelta(days=2):%Y-%m-%d}"
    )
    assert all(b.kind != "closure" for day in later.context["days"] for b in day.blocks)
    assert [c.reason for c in later.context["closures"]] == ["更换灯丝", "年度校准"]


def test_booking_through_the_form(client, world):
    client.force_login(world.user)
    url = f"/booking/instruments/{world.instrument.pk}/book/"
    assert client.get(url).status_code == 200
    day = timezone.localdate() + timedelta(days=4)
    data = {
        "organization": world.enterprise.pk,
        "day": day.isoformat(),
        "start": "10:00",
        "end": "09:00",
    }
    page = client.post(url, data)
    assert page.status_code == 200 and "结束时间须晚于开始时间" in page.text
    page = client.post(url, {**data, "start": "06:00", "end": "07:00"})
    assert "请在开放时间 08:00–20:00 内预约。" in page.text
    assert Booking.objects.count() == 0
    response = client.post(url, {**data, "end": "11:30", "idempotency_key": "k1"})
    assert response.status_code == 302
    again = client.post(url, {**data, "end": "11:30", "idempotency_key": "k1"})  # a double click
    assert again.status_code == 302 and Booking.objects.count() == 1
    client.force_login(world.partner_user)
    taken = client.post(url, {**data, "organization": world.partner_enterprise.pk, "end": "11:00"})
    assert "该时段已被预约，请选择其他时间。" in taken.text
    assert (
        client.post(
            url, {**data, "organization": world.enterprise.pk, "start": "12:00", "end": "13:00"}
        ).status_code
        == 200
    )
    assert Booking.objects.count() == 1


def test_someone_without_an_organisation_cannot_book(client, world):
    client.force_login(world.outsider)
    assert client.get(f"/booking/instruments/{world.instrument.pk}/book/").status_code == 403


def test_the_owner_approves_and_rejects_from_the_queue(client, world):
    services.save_rules(world.manager, world.instrument, needs_approval=True)
    start = timezone.localtime(timezone.now() + timedelta(days=5)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    first = services.book(
        world.user,
        services.Request(world.instrument, world.enterprise, start, start + timedelta(hours=1)),
        now=timezone.now(),
    )
    second = services.book(
        world.user,
        services.Request(
            world.instrument,
            world.enterprise,
            start + timedelta(hours=2),
            start + timedelta(hours=3),
        ),
        now=timezone.now(),
    )
    client.force_login(world.user)
    assert client.get("/booking/queue/").status_code == 403
    assert client.post(f"/booking/{first.pk}/approve/").status_code == 403
    first.refresh_from_db()
    assert first.status == S.PENDING  # refused: the user is not the owner
    client.force_login(world.manager)
    page = client.get("/booking/queue/")
    assert page.status_code == 200 and page.context["pending_count"] == 2
    client.post(f"/booking/{first.pk}/approve/", {"next": "/booking/queue/"})
    client.post(f"/booking/{second.pk}/reject/", {"note": ""})
    second.refresh_from_db()
    assert second.status == S.PENDING
    client.post(f"/booking/{second.pk}/reject/", {"note": "设备维护"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.note) == (S.CONFIRMED, S.REJECTED, "设备维护")
    assert client.post(f"/booking/{first.pk}/nonsense/").status_code == 404


def test_a_booking_is_private_to_its_parties(client, world, soon):
    client.force_login(world.partner_user)
    assert client.get(f"/booking/{soon.pk}/").status_code == 403
    client.force_login(world.user)
    page = client.get(f"/booking/{soon.pk}/")
    assert page.status_code == 200 and "取消预约" in page.text


def test_the_rules_form_saves_and_explains(client, world):
    client.force_login(world.user)
    assert client.get(f"/booking/instruments/{world.instrument.pk}/rules/").status_code == 403
    client.force_login(world.manager)
    url = f"/booking/instruments/{world.instrument.pk}/rules/"
    page = client.get(url)
    assert page.status_code == 200 and "取消与爽约" in page.text
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    data.update(
        {"min_minutes": "600", "max_minutes": "60", "opens_at": "08:00", "closes_at": "20:00"}
    )
    page = client.post(url, data)
    assert page.status_code == 200 and "最长时段不能短于最短时段" in page.text
    data.update({"min_minutes": "60", "max_minutes": "240", "external_rate": "abc"})
    assert client.post(url, data).status_code == 200
    data.update({"external_rate": "350"})
    assert client.post(url, data).status_code == 302
    world.rules.refresh_from_db()
    assert (world.rules.min_minutes, world.rules.external_rate) == (60, Decimal("350.00"))
    response = client.post(
        f"/booking/instruments/{world.instrument.pk}/trainings/",
        {"username": "engineer", "trained_on": "2026-01-01"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/booking/instruments/{world.instrument.pk}/closures/",
        {"starts_at": "x", "ends_at": "", "reason": ""},
    )
    assert response.status_code == 302
    assert world.instrument.closures.count() == 0


def test_the_statement_exports_xlsx_without_formulas(client, world):
    booking = services.book(
        world.user,
        services.Request(
            world.instrument,
            world.enterprise,
            at(9, 10),
            at(9, 12),
            purpose='=HYPERLINK("http://x")',
        ),
        now=NOW,
    )
    services.record_use(world.manager, booking, now=at(9, 13))
    client.force_login(world.user)
    page = client.get(f"/booking/statements/?org={world.enterprise.pk}&month=2026-12")
    assert page.status_code == 200 and page.context["statement"].fee == Decimal("800.00")
    response = client.get(
        f"/booking/statements/?org={world.enterprise.pk}&month=2026-12&format=xlsx"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    purposes = [row[10] for row in sheet.iter_rows(min_row=3, values_only=True) if row[10]]
    assert purposes == ['\'=HYPERLINK("http://x")']
    client.force_login(world.partner_user)
    assert client.get(f"/booking/statements/?org={world.enterprise.pk}").status_code == 403
    assert client.get("/booking/statements/?month=garbage").status_code == 200


def test_ical_feeds(client, world, soon):
    body = client.get(f"/booking/instruments/{world.instrument.pk}/calendar.ics").content.decode()
    assert "BEGIN:VEVENT" in body and world.enterprise.name not in body
    token = calendar_feed.user_token(world.user)
    mine = client.get(f"/booking/feeds/{token}.ics").content.decode()
    assert "BEGIN:VEVENT" in mine and f"booking-{soon.pk}@kechuang" in mine
    assert client.get("/booking/feeds/forged.ics").status_code == 404


def test_free_search_and_the_directory_filter(client, world, soon, django_assert_num_queries):
    day = timezone.localtime(soon.starts_at).date()
    page = client.get(f"/booking/free/?day={day}&start=10:30&end=11:00")
    assert page.status_code == 200 and page.context["results"] == []
    with django_assert_num_queries(1):  # the instruments, the taken and the closed in one query
        page = client.get(f"/booking/free/?day={day}&start=13:00&end=14:00")
    pk = world.instrument.pk
    assert page.context["results"] == [
        {
            "pk": pk,
            "name": "场发射扫描电子显微镜",
            "url": f"/instruments/{pk}/",
            "book_url": f"/booking/instruments/{pk}/book/?date={day}&start=13:00&end=14:00",
            "mode": "自主上机",
            "owner": "温州大学",
            "region": "温州市",
            "rate": world.rules.external_rate,
            "price_group": "对外",
            "unit": "小时",
        }
    ]
    assert f'href="/booking/instruments/{pk}/book/?date={day}&amp;start=13:00' in page.text
    # a closure over the window takes the instrument out; the next day it is free again
    services.add_closure(
        world.manager,
        world.instrument,
        starts_at=timezone.localtime(soon.starts_at).replace(hour=12),
        ends_at=timezone.localtime(soon.starts_at).replace(hour=15),
        reason="更换灯丝",
        now=timezone.now(),
    )
    page = client.get(f"/booking/free/?day={day}&start=13:00&end=14:00")
    assert page.context["results"] == []
    page = client.get(f"/booking/free/?day={day + timedelta(days=1)}&start=10:30&end=11:00")
    assert [row["pk"] for row in page.context["results"]] == [pk]
    assert client.get("/booking/free/?day=bad&start=&end=").status_code == 200
    listing = client.get("/instruments/?bookable=on")
    assert world.instrument.name in listing.text and "可预约" in listing.text


def test_free_search_shows_the_rate_of_the_users_price_group(client, world, soon):
    day = timezone.localtime(soon.starts_at).date()
    window = f"/booking/free/?day={day}&start=13:00&end=14:00"
    expected = {
        world.manager: (Decimal(200), "校内/院内"),  # the owner's own member
        world.partner_user: (Decimal(300), "联盟区域"),  # Jiading: another federation member region
        world.user: (Decimal(400), "对外"),  # Ruian lies in the instrument's own member region
        world.outsider: (Decimal(400), "对外"),  # no organisation
    }
    for user, (rate, group) in expected.items():
        client.force_login(user)
        (row,) = client.get(window).context["results"]
        assert (row["rate"], row["price_group"]) == (rate, group)
    client.force_login(world.manager)
    assert "校内/院内价" in client.get(window).text


def test_free_search_refuses_a_window_that_has_begun(client, world):
    today = timezone.localdate()
    page = client.get(f"/booking/free/?day={today - timedelta(days=1)}&start=10:00&end=11:00")
    assert page.status_code == 200
    assert page.context["results"] is None
    assert "该时段已经开始或已过去，请选择以后的时间" in page.text


def test_operators_see_the_sharing_figures(client, world):
    booking = services.book(
        world.user,
        services.Request(world.instrument, world.enterprise, at(9, 10), at(9, 12)),
        now=NOW,
    )
    services.record_use(world.manager, booking, now=at(9, 13))
    client.force_login(world.user)
    assert client.get("/booking/figures/").status_code == 403
    client.force_login(world.operator)
    page = client.get("/booking/figures/?year=2026")
    figures = page.context["figures"]
    assert (figures.hours_used, figures.external_users, figures.income) == (
        2.0,
        1,
        Decimal("800.00"),
    )
    assert client.get("/booking/figures/?year=abc").status_code == 200
    # utilisation counts the opening hours that have passed: 2 h of 9 days × 12 h × 5/7 on 10 December
    december = queries.figures(
        [world.instrument.region], at(1, 0), datetime(2027, 1, 1, tzinfo=SHANGHAI), now=at(10, 0)
    )
    assert [(i.pk, used, share) for i, used, share in december.by_instrument] == [
        (world.instrument.pk, 2.0, 2.6)
    ]


def test_my_bookings_show_an_estimate_only_while_the_booking_stands(client, world, soon):
    client.force_login(world.user)
    row = client.get("/booking/").text.split(f'href="/booking/{soon.pk}/"')[1].split("</tr>")[0]
    assert "预计" in row and "800元" in row
    services.cancel(world.user, soon, now=timezone.now())  # three days ahead: free of charge
    row = client.get("/booking/").text.split(f'href="/booking/{soon.pk}/"')[1].split("</tr>")[0]
    assert "预计" not in row and "800元" not in row and '<span class="muted">—</span>' in row
