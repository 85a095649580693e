"""Auction pages as bidders, operators and the public see them, and the API."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kechuang.auctions import services
from kechuang.auctions.models import AuctionSession, Bid, Lot
from kechuang.auctions.queries import live_state
from kechuang.auctions.tests.conftest import CLOSES, DURING, STARTS, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def during():
    with mock.patch("django.utils.timezone.now", return_value=DURING):
        yield


def test_public_pages_show_paddles_never_names_nor_the_reserve(
    client, world, during, django_assert_max_num_queries
):
    services.place_bid(world.user(0), world.single, "100000", now=DURING)
    assert client.get(reverse("auctions:index")).status_code == 200
    with django_assert_max_num_queries(12):
        page = client.get(world.session.get_absolute_url())
    assert page.status_code == 200 and "激光加工专利组合" in page.text
    page = client.get(world.single.get_absolute_url())
    assert page.status_code == 200
    assert "101" in page.text and "竞买企业0" not in page.text
    assert "150,000" not in page.text and "15万元" not in page.text  # the reserve
    live = client.get(reverse("auctions:live", args=[world.single.pk]))
    assert 'hx-trigger="every 3s"' in live.text and "10万元" in live.text
    assert client.get(reverse("auctions:projector", args=[world.single.pk])).status_code == 200
    assert "登记竞买并确认保密条款后可查阅资料室文件" in page.text


def test_bidder_bids_from_the_lot_page(client, world, during):
    client.force_login(world.user(1))
    page = client.get(world.single.get_absolute_url())
    assert 'id="bid-form"' in page.text
    client.post(reverse("auctions:bid", args=[world.single.pk]), {"amount": "120000", "key": "a"})
    client.post(reverse("auctions:bid", args=[world.single.pk]), {"amount": "120000", "key": "a"})
    response = client.post(
        reverse("auctions:bid", args=[world.single.pk]), {"amount": "1x"}, follow=True
    )
    assert "出价无效" in response.text
    assert list(Bid.objects.values_list("amount", flat=True)) == [120000]


def test_data_room_opens_to_registered_bidders_only(client, world, during):
    document = services.add_document(
        world.operator,
        world.single,
        "技术交底书",
        SimpleUploadedFile("交底书.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    client.force_login(world.user(0))
    assert "技术交底书" in client.get(world.single.get_absolute_url()).text
    assert client.get(reverse("auctions:document", args=[document.pk])).status_code == 200
    from kechuang.accounts.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("auctions:document", args=[document.pk])).status_code == 403


def test_operator_assembles_reviews_and_records_deposits(client, world, during):
    client.force_login(world.operator)
    response = client.post(
        reverse("auctions:manage"),
        {
            "region": world.region.pk,
            "title": "第二场",
            "organizer": "嘉定区科协",
            "mode": "onsite",
            "starts_at": "2026-12-20T14:00",
            "closes_at": "2026-12-20T17:00",
            "extension_minutes": "5",
            "extension_cap_minutes": "30",
            "terms": "须知",
        },
    )
    session = AuctionSession.objects.get(title="第二场")
    assert response.url == reverse("auctions:manage_session", args=[session.pk])
    response = client.post(
        reverse("auctions:manage_session", args=[session.pk]),
        {
            "title": "新拍品",
            "owner": world.owner.pk,
            "starting_price": "10000",
            "increment": "1000",
            "deposit": "0",
            "patents-number": ["ZL201910123456.1"],
            "patents-title": [""],
            "patents-legal_status": ["granted"],
            "patents-ipc": [""],
        },
    )
    assert response.status_code == 200 and "校验位正确" in response.text
    assert not session.lots.exists()
    client.post(reverse("auctions:session_action", args=[session.pk, "submit"]))
    session.refresh_from_db()
    assert session.status == AuctionSession.Status.DRAFT  # no lots: refused
    registration = world.registration(2)
    client.post(
        reverse("auctions:deposit", args=[registration.pk]), {"amount": "1000", "reference": "B-1"}
    )
    client.post(
        reverse("auctions:deposit", args=[registration.pk]), {"amount": "1000", "reference": "B-1"}
    )
    registration.refresh_from_db()
    assert registration.deposit_held == 51000


def test_strangers_cannot_manage(client, world):
    client.force_login(world.user(0))
    assert client.get(reverse("auctions:manage")).status_code == 403
    assert (
        client.get(reverse("auctions:manage_session", args=[world.session.pk])).status_code == 403
    )
    assert (
        client.post(
            reverse("auctions:floor", args=[world.single.pk]), {"action": "hammer"}
        ).status_code
        == 403
    )
    world.single.refresh_from_db()
    assert world.single.status == Lot.Status.OPEN


def test_auctioneer_screen_records_paddles_and_hammers(client, db):
    world = make_world(mode="onsite")
    client.force_login(world.operator)
    with mock.patch("django.utils.timezone.now", return_value=DURING):
        assert client.get(reverse("auctions:floor", args=[world.single.pk])).status_code == 200
        client.post(
            reverse("auctions:floor", args=[world.single.pk]), {"paddle": "102", "amount": "160000"}
        )
        client.post(
            reverse("auctions:floor", args=[world.single.pk]), {"paddle": "abc", "amount": "170000"}
        )
        client.post(reverse("auctions:floor", args=[world.single.pk]), {"action": "hammer"})
    world.single.refresh_from_db()
    assert (world.single.status, world.single.hammer_price) == (Lot.Status.SOLD, 160000)


def test_api_live_state_and_bids(client, world, during):
    body = client.get(f"/api/auctions/lots/{world.single.pk}").json()
    assert body["next_minimum"] == "100000.00" and "reserve_price" not in body
    client.force_login(world.user(0))
    url = f"/api/auctions/lots/{world.single.pk}/bids"
    first = client.post(
        url,
        {"amount": "100000"},
        content_type="application/json",
        headers={"Idempotency-Key": "x1"},
    )
    again = client.post(
        url,
        {"amount": "100000"},
        content_type="application/json",
        headers={"Idempotency-Key": "x1"},
    )
    assert (
        first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    )
    low = client.post(url, {"amount": "110000"}, content_type="application/json")
    assert low.status_code == 409 and low.json()["code"] == "already_leading"
    client.force_login(world.user(1))
    low = client.post(url, {"amount": "100001"}, content_type="application/json")
    assert low.status_code == 409 and low.json()["code"] == "too_low"
    assert client.post(url, {"amount": "abc"}, content_type="application/json").status_code == 422
    assert Bid.objects.count() == 1


def test_the_clock_closes_lots(world):
    from kechuang.core import clock

    services.place_bid(world.user(0), world.single, "150000", now=DURING)
    job = next(j for j in clock.JOBS if j.name == "auctions.close")
    assert clock.tick(now=CLOSES + timedelta(minutes=1), jobs=[job]) == {"auctions.close": "done"}
    world.single.refresh_from_db()
    assert world.single.status == Lot.Status.SOLD


def test_the_bid_chart_names_the_day_once_bids_run_over_days(world):
    """An online session runs for days: once its bids span two days (in Beijing time) the chart's
    labels carry the day; within one day the time of day is enough."""
    lot = world.single
    for minutes, amount in ((0, "100000"), (10, "110000"), (20, "120000")):
        services.place_bid(
            world.user(minutes // 10 % 2), lot, amount, now=STARTS + timedelta(minutes=minutes)
        )
    assert live_state(lot, now=DURING).chart == [
        ["10:00:00", "100000.00"],
        ["10:10:00", "110000.00"],
        ["10:20:00", "120000.00"],
    ]
    # the first two placed the evening before (an earlier day of a longer session)
    for bid in Bid.objects.filter(amount__lt=120000):
        Bid.objects.filter(pk=bid.pk).update(placed_at=bid.placed_at - timedelta(hours=14))
    assert live_state(lot, now=DURING).chart == [
        ["11-30 20:00", "100000.00"],
        ["11-30 20:10", "110000.00"],
        ["12-01 10:20", "120000.00"],
    ]
