"""The booking journey in headless Chromium at phone width: the owner requires approval; an enterprise
engineer finds a free gap in the week calendar, books it; the owner confirms it from the queue; the
engineer sees it confirmed in their bookings."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kechuang.booking import services
from kechuang.booking.models import Booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "kechuang-test-pw")
    page.click("form button[type=submit]:has-text('登录')")
    page.wait_for_load_state()


def test_book_a_free_gap_and_the_owner_confirms(world, page, live_server, artifacts_dir):
    services.save_rules(world.manager, world.instrument, needs_approval=True)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "engineer")
    day = timezone.localdate() + timedelta(days=3)
    page.goto(f"{live_server.url}/booking/instruments/{world.instrument.pk}/?date={day:%Y-%m-%d}")
    page.click(".slot-free a >> nth=0")
    page.fill("#id_start", "10:00")
    page.fill("#id_end", "11:30")
    page.fill("#id_purpose", "电机壳体铸件断口形貌观察")
    page.click("button[type=submit]:has-text('提交预约')")
    page.wait_for_selector("#booking-status:has-text('待审批')")
    booking = Booking.objects.get()
    assert (booking.status, booking.estimated_fee) == ("pending", 600)
    page.screenshot(path=str(artifacts_dir / "booking-pending-390.png"), full_page=True)

    login(page, live_server, "lab")
    page.goto(f"{live_server.url}/booking/queue/")
    page.click(f"form[action='/booking/{booking.pk}/approve/'] button")
    page.wait_for_selector("#pending-count:has-text('0')")

    login(page, live_server, "engineer")
    page.goto(f"{live_server.url}/booking/")
    page.wait_for_selector("text=已确认")
    booking.refresh_from_db()
    assert booking.status == "confirmed"
