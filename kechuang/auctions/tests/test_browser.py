"""In Chromium: a bidder opens a live lot, bids from the page, and sees a rival's bid arrive without
reloading (the htmx-polled live block); an operator registers a technology contract from the queue."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kechuang.accounts.factories import MembershipFactory, OperatorMandateFactory, UserFactory
from kechuang.auctions import services
from kechuang.contracts.tests.conftest import make_world as contracts_world
from kechuang.contracts.tests.conftest import submitted as submitted_contract
from kechuang.core.factories import RegionFactory
from kechuang.directory.factories import OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "kechuang-test-pw"


def person(**kwargs):
    user = UserFactory(**kwargs)
    user.set_password(PASSWORD)
    user.save()
    return user


def login(page, base, user):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()


def open_lot():
    """An open online lot (starting price 10万, increment 1万) and two bidders with their deposits."""
    region = RegionFactory(code="310114", name="嘉定区")
    operator = person()
    OperatorMandateFactory(user=operator, region=region)
    owner = OrganizationFactory(kind="institute", region=region)
    now = timezone.now()
    session = services.create_session(
        operator,
        region=region,
        title="浏览器专场",
        organizer="嘉定区科协",
        terms="须知",
        starts_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
    )
    lot = services.add_lot(
        operator,
        session,
        title="一种光纤激光器",
        owner=owner,
        patents=[{"number": "CN112345678A"}],
        starting_price="100000",
        increment="10000",
        deposit="1000",
    )
    services.submit_session(operator, session)
    services.publish_session(operator, session)
    bidders = []
    for n in range(2):
        user = person()
        org = OrganizationFactory(region=region, name=f"浏览器竞买企业{n}")
        MembershipFactory(user=user, organization=org)
        registration = services.register_bidder(user, session, org, accept_terms=True)
        services.record_deposit(operator, registration, Decimal("1000"), idempotency_key=f"b{n}")
        bidders.append(user)
    return lot, bidders


def test_bidder_bids_and_sees_a_rival_bid_arrive(page, live_server):
    lot, bidders = open_lot()
    login(page, live_server.url, bidders[0])
    page.goto(f"{live_server.url}{lot.get_absolute_url()}")
    page.fill("#bid-amount", "100000")
    page.click("#bid-form button[type=submit]")
    expect(page.locator("#live-price")).to_have_text("10万元")
    expect(page.locator("#live-leader")).to_contain_text("101")
    expect(page.locator("[data-bid-chart] canvas")).to_have_count(1)
    services.place_bid(bidders[1], lot, "120000")
    # No reload: the polled live block brings the rival's bid within a few seconds.
    expect(page.locator("#live-price")).to_have_text("12万元", timeout=10000)
    expect(page.locator("#live-leader")).to_contain_text("102")


def test_the_bid_amount_follows_the_live_minimum_unless_the_bidder_typed_more(
    page, live_server, artifacts_dir
):
    lot, bidders = open_lot()
    amount = page.locator("#bid-amount")
    login(page, live_server.url, bidders[0])
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}{lot.get_absolute_url()}")
    expect(amount).to_have_value("100000")
    expect(amount).to_have_attribute("min", "100000")
    # under the amount, how it reads: a zero more or less is seen before the bid is sent
    reading = page.locator("#bid-amount + output.amount-reading")
    expect(reading).to_have_text("即10万元")
    page.screenshot(path=str(artifacts_dir / "auctions-lot-bidder-1366.png"), full_page=True)

    # A rival's bid arrives with the live block: the suggested amount and the minimum move with it.
    services.place_bid(bidders[1], lot, "100000")
    expect(amount).to_have_attribute("min", "110000", timeout=10000)
    expect(amount).to_have_value("110000")
    expect(reading).to_have_text("即11万元")

    # An amount the bidder typed above the minimum stays as typed when the minimum moves under it.
    amount.fill("150000")
    expect(reading).to_have_text("即15万元")
    services.place_bid(bidders[0], lot, "110000")  # from another device of the same bidder
    services.place_bid(bidders[1], lot, "125000")
    expect(amount).to_have_attribute("min", "135000", timeout=10000)
    expect(amount).to_have_value("150000")

    # Typed above the old minimum but below the new one: left as typed (never raised behind the
    # bidder's back), and the browser refuses to send it — no bid reaches the server.
    amount.fill("140000")
    services.place_bid(bidders[0], lot, "135000")
    services.place_bid(bidders[1], lot, "145000")
    expect(amount).to_have_attribute("min", "155000", timeout=10000)
    expect(amount).to_have_value("140000")
    assert amount.evaluate("el => el.validity.rangeUnderflow")
    posted = []
    page.on("request", lambda request: posted.append(request) if request.method == "POST" else None)
    page.click("#bid-form button[type=submit]")
    assert posted == []
    lot.refresh_from_db()
    assert (lot.bid_count, lot.current_price) == (5, Decimal("145000"))
    expect(page.locator("#live-price")).to_have_text("14.5万元")

    page.set_viewport_size({"width": 390, "height": 844})
    amount.fill("")
    services.place_bid(bidders[0], lot, "160000")
    expect(amount).to_have_value("170000", timeout=10000)
    page.screenshot(path=str(artifacts_dir / "auctions-lot-bidder-390.png"), full_page=True)

    # The lot closes: the live block says so and the forms are disabled.
    services.close_lot(lot, now=timezone.now() + timedelta(days=2))
    expect(amount).to_be_disabled(timeout=10000)
    expect(page.locator("#bid-form button[type=submit]")).to_be_disabled()
    expect(page.locator("#proxy-max")).to_be_disabled()


def test_operator_registers_a_contract_from_the_queue(page, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = contracts_world()
    world.wenzhou_operator.set_password(PASSWORD)
    world.wenzhou_operator.save()
    contract = submitted_contract(world)
    login(page, live_server.url, world.wenzhou_operator)
    page.goto(f"{live_server.url}/contracts/?queue=1")
    page.get_by_role("link", name=contract.title).click()
    page.check("input[value=register]")
    page.check("input[name=attachments_checked]")
    page.click("#review-form button[type=submit]")
    expect(page.locator("#contract-status")).to_have_text("已登记")
    expect(page.locator("#contract-number")).to_have_text(
        f"{timezone.localdate().year}330300000001"
    )
