"""Auction API (``/api/auctions/``).

Public: ``GET /sessions`` (published sessions), ``GET /lots/{id}`` (the live state: price, next minimum,
leading paddle, close, latest bids by paddle — never the reserve or a bidder's name). Bidders: ``POST
/lots/{id}/bids`` ``{"amount": "110000.00"}`` with an ``Idempotency-Key`` header (a repeated key returns the
first bid), ``POST /lots/{id}/proxy`` ``{"maximum": …}``. Refusals (too low, closed, no deposit) answer 409
with their code.
"""

from datetime import datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from kechuang.auctions import queries, services
from kechuang.auctions.models import AuctionSession, Lot

router = Router(tags=["auctions"])


class SessionOut(Schema):
    id: int
    title: str
    organizer: str
    mode: str
    status: str
    starts_at: datetime
    closes_at: datetime
    lots: int


class BidOut(Schema):
    paddle: int
    amount: Decimal
    kind: str
    placed_at: datetime


class LiveOut(Schema):
    id: int
    title: str
    status: str
    starting_price: Decimal
    increment: Decimal
    current_price: Decimal | None
    next_minimum: Decimal
    leader_paddle: int | None
    bid_count: int
    ends_at: datetime
    seconds_left: int
    reserve_met: bool | None
    bids: list[BidOut]


class BidIn(Schema):
    amount: Decimal = Field(max_digits=14, decimal_places=2)


class ProxyIn(Schema):
    maximum: Decimal = Field(max_digits=14, decimal_places=2)


class PlacedOut(Schema):
    id: int
    amount: Decimal
    paddle: int
    lot: LiveOut


def _public_lot(lot_id: int) -> Lot:
    return get_object_or_404(
        Lot,
        pk=lot_id,
        session__status__in=[AuctionSession.Status.PUBLISHED, AuctionSession.Status.CONCLUDED],
    )


def _live(lot: Lot) -> dict:
    state = queries.live_state(lot)
    return {
        "id": lot.pk,
        "title": state.lot.title,
        "status": state.lot.status,
        "starting_price": state.lot.starting_price,
        "increment": state.lot.increment,
        "current_price": state.price,
        "next_minimum": state.next_minimum,
        "leader_paddle": state.leader_paddle,
        "bid_count": state.bid_count,
        "ends_at": state.ends_at,
        "seconds_left": state.seconds_left,
        "reserve_met": state.reserve_met,
        "bids": [
            {
                "paddle": b.registration.paddle,
                "amount": b.amount,
                "kind": b.kind,
                "placed_at": b.placed_at,
            }
            for b in state.bids
        ],
    }


@router.get("/sessions", response=list[SessionOut])
def sessions(request):
    from django.db.models import Count

    rows = AuctionSession.objects.public().annotate(n=Count("lots"))
    return [
        {
            **{
                k: getattr(s, k)
                for k in ("id", "title", "organizer", "mode", "status", "starts_at", "closes_at")
            },
            "lots": s.n,
        }
        for s in rows
    ]


@router.get("/lots/{lot_id}", response=LiveOut)
def lot(request, lot_id: int):
    return _live(_public_lot(lot_id))


@router.post("/lots/{lot_id}/bids", response={201: PlacedOut}, auth=django_auth)
def bid(request, lot_id: int, payload: BidIn):
    lot = _public_lot(lot_id)
    placed = services.place_bid(
        request.auth,
        lot,
        payload.amount,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    return Status(
        201,
        {
            "id": placed.pk,
            "amount": placed.amount,
            "paddle": placed.registration.paddle,
            "lot": _live(lot),
        },
    )


@router.post("/lots/{lot_id}/proxy", response=LiveOut, auth=django_auth)
def proxy(request, lot_id: int, payload: ProxyIn):
    lot = _public_lot(lot_id)
    services.set_proxy(request.auth, lot, payload.maximum)
    return _live(lot)
