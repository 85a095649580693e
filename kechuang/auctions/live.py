"""The live block that watchers of a lot poll, made cheap enough that hundreds of watchers do not slow
the bids down.

A lot's *version* is ``(rank, bid_count)``: ``rank`` moves with its state (draft 0 → open 1 → sold or
unsold 2) and ``bid_count`` with every accepted bid (an extension of the close only ever comes with one).
Everything the live block shows follows from the lot at one version, except the time left, which the
page's script counts down from ``data-ends-at`` against the server clock it was given when the page
loaded. So:

* the version of each lot sits in the cache (Redis when ``REDIS_URL`` is set) for
  :data:`VERSION_SECONDS`; the bid services set it when their transaction commits (:func:`changed`),
  and a miss reads it from the lot row — one primary-key query;
* the rendered block is cached per lot, version, view and language, and never goes stale: a new
  version is a new key;
* the block carries its version as an ETag, which htmx sends back as ``If-None-Match``; an unchanged
  lot is answered ``304 Not Modified`` without touching the database or rendering a template.

A version set by two bids committing out of order, or written back by a reader that read just before a
commit, is wrong for at most :data:`VERSION_SECONDS`; and a watcher whose ETag is newer than the cached
version (it saw a later state) makes the view read the row again, so nobody is ever shown an older
price than the one they have.

A poll needs none of the rest of the Django stack: :class:`PollMiddleware`, placed right after the
security middleware, answers the poll of a public lot that sends back an ETag (every poll of the page
does) as above — ``304``, the cached block, or the block rendered once for its version — before
sessions, authentication, CSRF and the rest run. Anything else (a draft session, a poll without an ETag,
a database error) goes on to :func:`~kechuang.auctions.views.lot_live`.
"""

import json
import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language

from kechuang.auctions import queries
from kechuang.auctions.models import AuctionSession, Lot

logger = logging.getLogger(__name__)

VERSION_SECONDS = 2
RENDER_GAP = 0.5  # seconds: a lot's block is rendered at most about this often while bids pour in
MAX_ID = 2**63 - 1
UNREAD = object()  # a cache entry not read yet
FRAGMENT_SECONDS = 600
VIEWS = {"lot": "auctions/_live.html", "projector": "auctions/_projector_live.html"}
RANK = {Lot.Status.DRAFT: 0, Lot.Status.OPEN: 1, Lot.Status.SOLD: 2, Lot.Status.UNSOLD: 2}
PUBLIC = frozenset(
    str(status) for status in (AuctionSession.Status.PUBLISHED, AuctionSession.Status.CONCLUDED)
)


@dataclass(frozen=True, order=True)
class Stamp:
    """A lot's version, and whether everyone may watch it (its session is published or concluded)."""

    rank: int
    bids: int
    public: bool = True

    @property
    def version(self) -> tuple[int, int]:
        return (self.rank, self.bids)


def stamp_of(lot: Lot, session_status: str) -> Stamp:
    return Stamp(RANK.get(lot.status, 0), lot.bid_count, str(session_status) in PUBLIC)


def _cached(operation, *args):
    """A cache call that an unreachable cache turns into a miss (``None``): the lot row is the truth, so
    watching and bidding go on without Redis, only dearer."""
    try:
        return operation(*args)
    except Exception:  # the backends raise their own connection errors
        logger.warning("auctions.live: cache unavailable", exc_info=True)
        return None


def _version_key(pk: int) -> str:
    return f"auctions:live:{pk}"


def _fragment_key(pk: int, stamp: Stamp, view: str, language: str) -> str:
    return f"auctions:live:{pk}:{stamp.rank}.{stamp.bids}:{view}:{language}"


def etag(pk: int, stamp: Stamp, view: str, language: str | None = None) -> str:
    return f'"{pk}.{stamp.rank}.{stamp.bids}.{view}.{language or get_language()}"'


def version_in(etag_value: str, pk: int) -> tuple[int, int] | None:
    """The version an ETag of this lot names (``None`` if it is not one of ours)."""
    parts = etag_value.strip().removeprefix("W/").strip('"').split(".")
    if len(parts) < 3 or parts[0] != str(pk):
        return None
    try:
        return (int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def language_in(etag_value: str) -> str | None:
    """The language of the block an ETag names (the last part, one of ``LANGUAGES``), else ``None``."""
    language = etag_value.strip().removeprefix("W/").strip('"').rsplit(".", 1)[-1]
    return language if language in _languages() else None


def _languages() -> frozenset:
    return frozenset(code for code, _name in settings.LANGUAGES)


def sent_tags(request) -> list[str]:
    """The ETags of a poll's ``If-None-Match``."""
    return [t.strip() for t in request.headers.get("If-None-Match", "").split(",") if t.strip()]


def current(pk: int, *, fresh: bool = False) -> Stamp | None:
    """The lot's stamp: from the cache, else (or when ``fresh``) from its row. ``None``: no such lot."""
    key = _version_key(pk)
    if not fresh:
        stamp = _cached(cache.get, key)
        if stamp is not None:
            return stamp
    row = Lot.objects.filter(pk=pk).values_list("status", "bid_count", "session__status").first()
    if row is None:
        return None
    status, bids, session_status = row
    stamp = Stamp(RANK.get(status, 0), bids, session_status in PUBLIC)
    # add, not set: a bid committed since our read has already put a newer version there.
    _cached(cache.set if fresh else cache.add, key, stamp, VERSION_SECONDS)
    return stamp


def _latest_key(pk: int, view: str, language: str) -> str:
    return f"auctions:live:{pk}:latest:{view}:{language}"


def fragment(
    pk: int, stamp: Stamp, view: str, seen: tuple[int, int] | None = None, latest=UNREAD
) -> tuple[str, Stamp]:
    """The rendered block of the lot at ``stamp`` (or at the newer state the row holds by now), and the
    stamp it shows.

    A watcher who has seen version ``seen`` may instead be given the latest block rendered, if it was
    rendered less than :data:`RENDER_GAP` seconds ago, shows a state newer than ``seen`` and the same
    rank (bids only: a close is never held back): however fast the bids come, a lot's block is
    rendered at most about once per gap, not once per bid. Such a watcher is never shown an older
    price than it has, and gets the next version at its next poll. (``latest``: the latest block's
    cache entry, when the caller has read it already.)"""
    language = get_language()
    if latest is UNREAD:
        latest = _cached(cache.get, _latest_key(pk, view, language))
    if latest is not None:
        shown, rendered_at, html = latest
        if shown == stamp or (
            seen is not None
            and seen < shown.version < stamp.version
            and shown.rank == stamp.rank
            and time.time() - rendered_at < RENDER_GAP
        ):
            return html, shown
    html = _cached(cache.get, _fragment_key(pk, stamp, view, language))
    if html is not None:
        return html, stamp
    state = queries.live_state(Lot(pk=pk))
    context, shown = block(state, view, language)
    html = render_to_string(VIEWS[view], context)
    _cached(cache.set, _fragment_key(pk, shown, view, language), html, FRAGMENT_SECONDS)
    _cached(
        cache.set, _latest_key(pk, view, language), (shown, time.time(), html), FRAGMENT_SECONDS
    )
    if shown.version > stamp.version:
        _cached(cache.set, _version_key(pk), shown, VERSION_SECONDS)
    return html, shown


def respond(
    pk: int, stamp: Stamp, tags: list[str], view: str, language: str, latest=UNREAD
) -> HttpResponse | None:
    """The answer to a poll that sent back ``tags``, of a lot at ``stamp`` (cached): ``304`` while the
    watcher's block is current, else the block. A watcher who has seen a newer state than the cache
    makes it read the row (``None`` if the lot is gone by then)."""
    seen = max((v for v in (version_in(t, pk) for t in tags) if v is not None), default=None)
    if seen is not None and seen > stamp.version:
        stamp = current(pk, fresh=True)
        if stamp is None:
            return None
    tag = etag(pk, stamp, view, language)
    if tag in tags:
        response = HttpResponseNotModified()
    else:
        with translation.override(language):
            html, shown = fragment(pk, stamp, view, seen, latest)
        tag = etag(pk, shown, view, language)
        if tag in tags:
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(html)
            response["Content-Language"] = language
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-cache"
    return response


def block(state: queries.LiveState, view: str, language: str | None = None) -> tuple[dict, Stamp]:
    """The template context of the live block showing ``state``, and its stamp: the block carries its
    ETag as the ``If-None-Match`` header of its next poll (``hx-headers``)."""
    stamp = stamp_of(state.lot, state.lot.session.status)
    tag = etag(state.lot.pk, stamp, view, language)
    return {
        "live": state,
        "live_etag": tag,
        "live_headers": json.dumps({"If-None-Match": tag}),
    }, stamp


def changed(lot: Lot) -> None:
    """Called by a service that changed ``lot`` (its ``status`` and ``bid_count`` as they now are):
    once the transaction commits, watchers get the new version."""
    stamp = stamp_of(lot, lot.session.status)
    transaction.on_commit(
        lambda: _cached(cache.set, _version_key(lot.pk), stamp, VERSION_SECONDS), robust=True
    )


def forget(pks) -> None:
    """Once the transaction commits, the next poll of these lots reads their rows (publishing a session
    opens all its lots at once)."""
    keys = [_version_key(pk) for pk in pks]
    if keys:
        transaction.on_commit(lambda: _cached(cache.delete_many, keys), robust=True)


def server_now_ms() -> int:
    """The server clock for the page's countdown, in epoch milliseconds."""
    return int(timezone.now().timestamp() * 1000)


class PollMiddleware:
    """Answers a lot's poll before the rest of the stack runs (see the module's notes).

    Only for what everyone may see, exactly as :func:`~kechuang.auctions.views.lot_live` would answer
    it: a lot whose stamp is public (published or concluded session); the block in the language of the
    ETag the watcher sends back, i.e. of the page it sits in. No session is read and no cookie set; an
    unchanged lot costs no query, a new version is rendered once for all its watchers."""

    HEADERS = {
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    }

    def __init__(self, get_response):
        self.get_response = get_response
        self.path = None

    def __call__(self, request):
        if request.method == "GET" and "If-None-Match" in request.headers:
            if self.path is None:  # the URLconf is not loaded when the middleware is built
                pattern = re.escape(reverse("auctions:live", args=[0])).replace("/0/", r"/(\d+)/")
                self.path = re.compile(f"^{pattern}$")
            match = self.path.match(request.path)
            if match is not None:
                response = self.answer(request, int(match[1]))
                if response is not None:
                    return response
        return self.get_response(request)

    def answer(self, request, pk: int) -> HttpResponse | None:
        tags = sent_tags(request)
        language = next((lang for lang in map(language_in, reversed(tags)) if lang), None)
        if language is None or pk > MAX_ID:  # (an id out of range: the stack's middleware answers)
            return None
        view = "projector" if request.GET.get("view") == "projector" else "lot"
        try:
            # One round trip to the cache for the version and the latest block (most polls need both).
            keys = (_version_key(pk), _latest_key(pk, view, language))
            got = _cached(cache.get_many, keys) or {}
            stamp = got.get(keys[0]) or current(pk)
            if stamp is None or not stamp.public:  # no such lot, or its operators only: the view
                return None
            response = respond(pk, stamp, tags, view, language, got.get(keys[1]))
        except DatabaseError:  # the view's stack answers with the page that says so
            return None
        if response is None:
            return None
        for header, value in self.HEADERS.items():
            response[header] = value
        return response
