"""Reading auctions: the live state of a lot (what its page and the projector poll), and the bid
history as chart rows. Bidders appear as paddle numbers only."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from kechuang.auctions.models import AuctionSession, Bid, Lot
from kechuang.core.templatetags.kechuang import SHANGHAI

HISTORY = 50  # bids in the chart
TABLE = 20  # of which the latest in the table under it


@dataclass
class LiveState:
    lot: Lot
    price: Decimal | None
    next_minimum: Decimal
    leader_paddle: int | None
    bid_count: int
    ends_at: datetime
    seconds_left: int
    bids: list  # the latest HISTORY bids, newest first
    reserve_met: bool | None  # None while there is no bid; the reserve itself is never shown
    counting: bool  # an open online lot: the page counts down to ``ends_at``

    @property
    def ends_at_ms(self) -> int:
        """The close in epoch milliseconds, for the page's countdown."""
        return int(self.ends_at.timestamp() * 1000)

    @property
    def table(self) -> list:
        return self.bids[:TABLE]

    @property
    def chart(self) -> list[list]:
        """``[time, amount]`` rows, oldest first, for the bid-history chart: the time of day, or the
        day with the minute when the bids run over more than one day (an online session runs for
        days), in Asia/Shanghai."""
        moments = [timezone.localtime(b.placed_at, SHANGHAI) for b in reversed(self.bids)]
        label = "%H:%M:%S" if len({m.date() for m in moments}) <= 1 else "%m-%d %H:%M"
        return [
            [moment.strftime(label), str(b.amount)]
            for moment, b in zip(moments, reversed(self.bids), strict=True)
        ]


def live_state(lot: Lot, now: datetime | None = None) -> LiveState:
    """Two queries: the lot with its leader, and its latest bids with their paddles."""
    now = now or timezone.now()
    lot = Lot.objects.select_related("session", "leader", "winner").get(pk=lot.pk)
    bids = list(
        Bid.objects.filter(lot=lot)
        .select_related("registration")
        .only("amount", "kind", "placed_at", "extended_to", "registration__paddle")
        .order_by("-amount")[:HISTORY]
    )
    counting = lot.session.mode == AuctionSession.Mode.ONLINE and lot.status == Lot.Status.OPEN
    left = int((lot.ends_at - now).total_seconds()) if counting else 0
    return LiveState(
        lot=lot,
        price=lot.current_price,
        next_minimum=lot.next_minimum,
        leader_paddle=lot.leader.paddle if lot.leader_id else None,
        bid_count=lot.bid_count,
        ends_at=lot.ends_at,
        seconds_left=max(left, 0),
        counting=counting,
        bids=bids,
        reserve_met=None
        if lot.current_price is None
        else (lot.reserve_price is None or lot.current_price >= lot.reserve_price),
    )


def session_summary(session: AuctionSession) -> dict:
    """Totals of a session: lots, starting prices, sold lots and hammer prices, the premium."""
    lots = list(session.lots.all())
    starting = sum((lot.starting_price for lot in lots), Decimal(0))
    sold = [lot for lot in lots if lot.status == Lot.Status.SOLD]
    sold_start = sum((lot.starting_price for lot in sold), Decimal(0))
    hammer = sum((lot.hammer_price for lot in sold), Decimal(0))
    premium = (
        ((hammer - sold_start) / sold_start * 100).quantize(Decimal("0.01")) if sold_start else None
    )
    return {
        "lots": len(lots),
        "portfolios": sum(1 for lot in lots if len(lot.patents.all()) > 1),
        "starting_total": starting,
        "sold": len(sold),
        "hammer_total": hammer,
        "premium_percent": premium,
    }
