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
"""

import json
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from kechuang.auctions import queries
from kechuang.auctions.models import AuctionSession, Lot

logger = logging.getLogger(__name__)

VERSION_SECONDS = 2
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


def fragment(pk: int, stamp: Stamp, view: str) -> tuple[str, Stamp]:
    """The rendered block of the lot at ``stamp`` (or at the newer state the row holds by now), and the
    stamp it shows."""
    language = get_language()
    html = _cached(cache.get, _fragment_key(pk, stamp, view, language))
    if html is not None:
        return html, stamp
    state = queries.live_state(Lot(pk=pk))
    context, shown = block(state, view, language)
    html = render_to_string(VIEWS[view], context)
    _cached(cache.set, _fragment_key(pk, shown, view, language), html, FRAGMENT_SECONDS)
    if shown.version > stamp.version:
        _cached(cache.set, _version_key(pk), shown, VERSION_SECONDS)
    return html, shown


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
