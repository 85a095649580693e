"""The live block that watchers poll: ``304 Not Modified`` from the cache alone while the lot is unchanged,
the new block as soon as a bid commits, never an older price than a watcher has already seen, one
rendering per version and language shared by every watcher; and the bid path's statements."""

import html
import json
import re
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kechuang.auctions import live, services
from kechuang.auctions.tests.conftest import DURING, STARTS, valid_number
from kechuang.core.actions import Refused

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def versions_kept(monkeypatch):
    """A cached version lives 2 s in production; a slow test machine must not see it expire mid-test.
    Every new version is rendered (no render gap) unless a test says otherwise."""
    monkeypatch.setattr(live, "VERSION_SECONDS", 3600)
    monkeypatch.setattr(live, "RENDER_GAP", 0)


@pytest.fixture
def during():
    with mock.patch("django.utils.timezone.now", return_value=DURING):
        yield


def poll(client, lot, etag="", view=""):
    url = reverse("auctions:live", args=[lot.pk]) + (f"?view={view}" if view else "")
    return client.get(url, headers={"if-none-match": etag} if etag else {})


def sent_back(block: str) -> str:
    """The If-None-Match header the block tells htmx to send with its next poll."""
    attribute = re.search(r'hx-headers="([^"]*)"', block).group(1)
    return json.loads(html.unescape(attribute))["If-None-Match"]


def test_an_unchanged_lot_answers_304_without_the_database(
    client, world, during, django_assert_num_queries
):
    first = poll(client, world.single)
    assert first.status_code == 200 and "暂无出价" in first.text
    etag = first["ETag"]
    assert etag == f'"{world.single.pk}.1.0.lot.zh-hans"'
    assert sent_back(first.text) == etag
    assert first["Cache-Control"] == "private, no-cache"
    with django_assert_num_queries(0):
        again = poll(client, world.single, etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)


def test_a_committed_bid_reaches_the_next_poll_rendered_once_for_all_watchers(
    client, world, during, django_assert_num_queries, django_capture_on_commit_callbacks
):
    etag = poll(client, world.single)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        services.place_bid(world.user(0), world.single, "100000", now=DURING)
    with django_assert_num_queries(2):  # the new version rendered once: the lot, its latest bids
        new = poll(client, world.single, etag)
    assert new.status_code == 200 and "10万元" in new.text and "领先：101 号" in new.text
    assert new["ETag"] == sent_back(new.text) == f'"{world.single.pk}.1.1.lot.zh-hans"'
    with django_assert_num_queries(0):  # another watcher at the old version: the same block, cached
        other = poll(Client(), world.single, etag)
    assert (other.status_code, other.text) == (200, new.text)
    assert poll(client, world.single, new["ETag"]).status_code == 304


def test_a_watcher_is_never_shown_an_older_price_than_it_has(client, world, during):
    old = poll(client, world.single)["ETag"]
    # The commit's cache update is lost (as when two commits set the version out of order): the cache
    # still holds the version before the bid, for at most live.VERSION_SECONDS.
    services.place_bid(world.user(0), world.single, "100000", now=DURING)
    assert poll(client, world.single, old).status_code == 304
    page = client.get(world.single.get_absolute_url())  # a page loaded now shows the bid …
    newer = sent_back(page.text)
    assert newer == f'"{world.single.pk}.1.1.lot.zh-hans"' and "10万元" in page.text
    # … and its watcher, newer than the cache, makes the view read the row: no step back, and the
    # cache is right again for everyone.
    assert poll(client, world.single, newer).status_code == 304
    caught_up = poll(client, world.single, old)
    assert caught_up.status_code == 200 and caught_up["ETag"] == newer


def test_each_language_and_view_has_its_own_block(client, world, during):
    chinese = poll(client, world.single)
    english = client.get(
        reverse("auctions:live", args=[world.single.pk]), headers={"accept-language": "en"}
    )
    assert "No bids yet" in english.text and "暂无出价" not in english.text
    assert english["ETag"] == f'"{world.single.pk}.1.0.lot.en"'
    projector = poll(Client(), world.single, chinese["ETag"], view="projector")
    assert projector.status_code == 200 and "projector-live" in projector.text
    assert projector["ETag"] == f'"{world.single.pk}.1.0.projector.zh-hans"'


def test_the_block_counts_down_on_the_server_clock(client, world, during):
    page = client.get(world.single.get_absolute_url())
    ends_at_ms = int(world.single.ends_at.timestamp() * 1000)
    assert f'data-ends-at="{ends_at_ms}" data-counting' in page.text
    assert f'data-server-now="{int(DURING.timestamp() * 1000)}"' in page.text
    block = poll(client, world.single).text  # shared by all watchers: no clock of its own
    assert f'data-ends-at="{ends_at_ms}" data-counting' in block and "data-server-now" not in block


def test_the_close_reaches_watchers(client, world, django_capture_on_commit_callbacks):
    services.place_bid(world.user(0), world.single, "160000", now=DURING)
    etag = poll(client, world.single)["ETag"]
    after = world.single.ends_at + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.close_due_lots(now=after)
    closed = poll(client, world.single, etag)
    assert closed.status_code == 200 and "成交价" in closed.text and "hx-trigger" not in closed.text
    assert closed["ETag"] == f'"{world.single.pk}.2.1.lot.zh-hans"'


def draft_lot(world, number: str):
    """A lot in a session still in draft: only its operators may watch it."""
    session = services.create_session(
        world.operator,
        region=world.region,
        title="草稿专场",
        organizer="上海技术交易所",
        terms="须知",
        starts_at=STARTS + timedelta(days=10),
        closes_at=STARTS + timedelta(days=11),
    )
    return services.add_lot(
        world.operator,
        session,
        title="草稿拍品",
        owner=world.owner,
        patents=[{"number": number}],
        starting_price="1000",
        increment="100",
    )


def test_a_draft_lot_is_watched_by_its_operators_only(
    client, world, django_capture_on_commit_callbacks
):
    lot = draft_lot(world, valid_number(2017, 1000001))
    session = lot.session
    assert poll(client, lot).status_code == 404
    client.force_login(world.operator)
    assert poll(client, lot).status_code == 200
    client.logout()
    assert poll(client, lot).status_code == 404  # the cached version keeps it private
    services.submit_session(world.operator, session)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_session(world.operator, session, now=STARTS)
    opened = poll(client, lot)
    assert opened.status_code == 200 and opened["ETag"] == f'"{lot.pk}.1.0.lot.zh-hans"'


def test_no_such_lot_is_404(client, world):
    assert client.get(reverse("auctions:live", args=[world.single.pk + 100])).status_code == 404


def test_a_bid_reads_the_registration_before_its_transaction_and_locks_one_row(world):
    services.place_bid(world.user(0), world.single, "100000", now=DURING)
    with CaptureQueriesContext(connection) as queries:
        services.place_bid(
            world.user(1), world.single, "110000", now=DURING, idempotency_key="page-1"
        )
    statements = [  # a statement's table: the last named (the select list's subqueries come first)
        (q["sql"].split()[0], (re.findall(r'(?:FROM|INTO|UPDATE) "(\w+)"', q["sql"]) or [None])[-1])
        for q in queries.captured_queries
    ]
    assert statements == [
        ("SELECT", "auctions_registration"),  # before the transaction: nobody waits on it
        ("SAVEPOINT", None),  # (the test's transaction makes the bid's a savepoint)
        ("SELECT", "auctions_lot"),  # the lot row, locked, with the key's first use and the proxies
        ("INSERT", "auctions_bid"),
        ("UPDATE", "auctions_lot"),
        ("INSERT", "core_auditentry"),  # no proxy to ask: none above the bid
        ("RELEASE", None),
    ]
    locks = [q["sql"] for q in queries.captured_queries if " FOR " in q["sql"]]
    if connection.vendor == "postgresql":  # the lot's row alone, not the session's it is read with
        assert len(locks) == 1 and locks[0].endswith('FOR NO KEY UPDATE OF "auctions_lot"')
    else:
        assert locks == []
    lot_read = queries.captured_queries[2]["sql"]
    assert 'FROM "auctions_bid"' in lot_read and 'FROM "auctions_proxybid"' in lot_read


def test_without_the_cache_watching_and_bidding_go_on_from_the_database(
    client, world, during, django_capture_on_commit_callbacks
):
    broken = mock.Mock(
        **{f"{m}.side_effect": ConnectionError for m in ("get", "get_many", "set", "add")}
    )
    broken.delete_many.side_effect = ConnectionError
    with mock.patch.object(live, "cache", broken):
        first = poll(client, world.single)
        with django_capture_on_commit_callbacks(execute=True):
            services.place_bid(world.user(0), world.single, "100000", now=DURING)
        second = poll(client, world.single, first["ETag"])
    assert first.status_code == 200 and "暂无出价" in first.text
    assert second.status_code == 200 and "10万元" in second.text
    assert broken.set.called  # the commit tried, and its failure did not undo the bid


def test_a_poll_is_answered_before_the_session_is_read(
    client, world, during, django_assert_num_queries, django_capture_on_commit_callbacks
):
    client.force_login(world.user(1))
    etag = sent_back(client.get(world.single.get_absolute_url()).text)
    with django_capture_on_commit_callbacks(execute=True):
        services.place_bid(world.user(0), world.single, "100000", now=DURING)
    with django_assert_num_queries(2):  # the new block rendered (lot, bids): no session, no user
        new = poll(client, world.single, etag)
    assert new.status_code == 200 and "10万元" in new.text and "领先：101 号" in new.text
    assert new["ETag"] == sent_back(new.text) == f'"{world.single.pk}.1.1.lot.zh-hans"'
    assert "Set-Cookie" not in new and new.cookies == {}
    assert (new["Cache-Control"], new["X-Frame-Options"], new["Content-Language"]) == (
        "private, no-cache",
        "DENY",
        "zh-hans",
    )
    assert "frame-ancestors 'none'" in new["Content-Security-Policy"]
    assert "Reserve" not in new.text and "保留价 " not in new.text  # met or not, never the amount
    with django_assert_num_queries(0):
        same = poll(client, world.single, new["ETag"])
    assert (same.status_code, same["ETag"]) == (304, new["ETag"])


def test_the_block_comes_in_the_language_of_the_page_it_sits_in(client, world, during):
    english = client.get(
        reverse("auctions:live", args=[world.single.pk]), headers={"accept-language": "en"}
    )
    changed = f'"{world.single.pk}.1.0.lot.zh-hans", "{world.single.pk}.0.0.lot.en"'
    again = client.get(
        reverse("auctions:live", args=[world.single.pk]), headers={"if-none-match": changed}
    )  # no Accept-Language: the language of the ETag it sends back
    assert (again.status_code, again["ETag"]) == (200, english["ETag"])
    assert "No bids yet" in again.text and again["Content-Language"] == "en"
    unknown = poll(client, world.single, f'"{world.single.pk}.1.0.lot.xx"')
    assert unknown.status_code == 200 and "暂无出价" in unknown.text  # the page's language, as ever


def test_a_draft_lot_stays_private_whatever_etag_is_sent(client, world):
    lot = draft_lot(world, valid_number(2017, 1000002))
    for tag in (f'"{lot.pk}.0.0.lot.zh-hans"', f'"{lot.pk}.9.9.lot.zh-hans"', '"x.lot.zh-hans"'):
        assert poll(client, lot, tag).status_code == 404
    huge = reverse("auctions:live", args=[2**70])
    assert client.get(huge, headers={"if-none-match": '"1.1.0.lot.zh-hans"'}).status_code == 404


def test_bids_inside_the_render_gap_share_one_rendering(
    client,
    world,
    during,
    monkeypatch,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(live, "RENDER_GAP", 3600)
    before = poll(client, world.single)["ETag"]  # a watcher at no bid
    with django_capture_on_commit_callbacks(execute=True):
        services.place_bid(world.user(0), world.single, "100000", now=DURING)
    first = poll(Client(), world.single, before)  # rendered: the latest block now shows bid one
    assert first["ETag"] == f'"{world.single.pk}.1.1.lot.zh-hans"'
    with django_capture_on_commit_callbacks(execute=True):
        services.place_bid(world.user(1), world.single, "110000", now=DURING)
    with django_assert_num_queries(0):  # inside the gap: the latest block, newer than it has
        late = poll(client, world.single, before)
    assert (late.status_code, late["ETag"], late.text) == (200, first["ETag"], first.text)
    with django_assert_num_queries(2):  # a watcher already at the latest block gets bid two
        second = poll(client, world.single, late["ETag"])
    assert second["ETag"] == f'"{world.single.pk}.1.2.lot.zh-hans"' and "11万元" in second.text
    after = world.single.ends_at + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.close_due_lots(now=after)
    closed = poll(client, world.single, before)  # a close is never held back by the gap
    assert (
        closed["ETag"] == f'"{world.single.pk}.2.2.lot.zh-hans"' and "hx-trigger" not in closed.text
    )


def test_a_bid_already_too_low_is_refused_without_the_lock(world):
    services.place_bid(world.user(0), world.single, "100000", now=DURING)
    with CaptureQueriesContext(connection) as queries, pytest.raises(Refused) as refused:
        services.place_bid(
            world.user(1), world.single, "100000", now=DURING, idempotency_key="late"
        )
    assert refused.value.code == "too_low" and "110,000.00" in refused.value.message
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]  # no transaction
    world.single.refresh_from_db()
    assert (world.single.bid_count, world.single.current_price) == (1, Decimal("100000"))
    # A repeated key still returns its first bid, however far the price has moved since.
    first = services.place_bid(
        world.user(1), world.single, "110000", now=DURING, idempotency_key="k"
    )
    services.place_bid(world.user(2), world.single, "150000", now=DURING)
    assert (
        services.place_bid(world.user(1), world.single, "110000", now=DURING, idempotency_key="k")
        == first
    )
