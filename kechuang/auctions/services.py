"""Running patent auctions: sessions and lots, bidder registration and deposits, bids (online, proxy and
on the floor), closing by the clock or the hammer.

Every function runs in one transaction, checks who may act, refuses with
:class:`~kechuang.core.actions.Refused` (changing nothing) and writes an audit row. A bid locks its lot row
(``SELECT … FOR NO KEY UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers) and
re-reads it, so of concurrent bids each sees the one before it: prices strictly increase by at least the
increment, no two bids share a price (also a unique constraint), an extension is computed from the latest
close, and closing — which takes the same lock — never accepts a bid after it or picks two winners.
Deposits move on the ledger with idempotency keys.

Lock order. Every transaction here takes its row locks in this order, and none in another, so none waits
for a lock held by one that waits for it:

1. lots: one lot on the bid paths (online bid with its extension, proxy bid, floor bid) and on the close
   paths (the clock's close, the hammer); publishing takes all of its session's lots, by primary key;
2. the session: only where its status must not change under us — closing a lot (which concludes the
   session with its last lot), publishing, adding a lot, recording a deposit;
3. registrations: the winner's when a lot is sold, the one whose deposit is recorded (then the others
   released when the session concludes, all under the session's lock);
4. ledger accounts, by primary key (:mod:`kechuang.ledger.services`).

The lot lock reads the session with the lot but locks the lot alone (``of=("self",)``; a plain
``FOR UPDATE`` on the join would lock the session row too, and every bid of a session would queue on it):
a lot open under its lock is in a published session, which concludes only once that lot is closed, under
the same lock, and whose other columns never change once published. So bids and closes of different lots
of one session do not wait for each other — closes of one session do, on the session, so that the last
one concludes it. The locks are ``FOR NO KEY UPDATE``: they conflict with each other and with updates, not
with the key-share locks that rows referring to them take (a bid's row takes one on the bidder's
registration, a new registration on its session).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kechuang.accounts.permissions import acts_for, operates, operators_of
from kechuang.auctions import live
from kechuang.auctions.models import (
    DEPOSIT_APPLIED,
    DEPOSIT_HELD,
    DEPOSIT_PAID,
    DEPOSIT_RELEASED,
    AuctionSession,
    Bid,
    DataRoomDocument,
    Lot,
    LotPatent,
    ProxyBid,
    Registration,
)
from kechuang.auctions.validators import normalize_lot_patent, validate_lot_patent
from kechuang.contracts.services import contract_from_lot
from kechuang.core.actions import Refused
from kechuang.core.audit import record
from kechuang.core.money import to_yuan
from kechuang.core.uploads import check_attachment
from kechuang.ledger import services as ledger
from kechuang.notifications.services import localized, notify

SS = AuctionSession.Status
LS = Lot.Status
LEDGER_SCOPE = "auctions"
MAX_AMOUNT = Decimal("1e12")
PROXY_STEPS = (
    1000  # a bound on automatic bids per request; each step outbids the last by an increment
)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _money(value, label: str, *, zero: bool = False) -> Decimal:
    try:
        amount = to_yuan(value)
    except (TypeError, ArithmeticError, ValueError):
        raise Refused(_("%(label)s无效") % {"label": label}, "invalid_amount") from None
    if amount < 0 or (amount == 0 and not zero) or amount >= MAX_AMOUNT:
        raise Refused(_("%(label)s必须大于零") % {"label": label}, "invalid_amount")
    return amount


def _require_operator(actor, session: AuctionSession) -> None:
    if not operates(actor, session.region):
        raise PermissionDenied(_("只有主办区域的运营人员可以执行此操作"))


# --- sessions and lots -----------------------------------------------------------------------------


@transaction.atomic
def create_session(
    actor,
    *,
    region,
    title: str,
    organizer: str,
    terms: str,
    starts_at: datetime,
    closes_at: datetime,
    mode: str = AuctionSession.Mode.ONLINE,
    venue: str = "",
    description: str = "",
    extension_minutes: int = 5,
    extension_cap_minutes: int = 30,
) -> AuctionSession:
    """A draft session of ``region``, assembled by one of its operators."""
    if not operates(actor, region):
        raise PermissionDenied(_("只有该区域的运营人员可以组织拍卖专场"))
    if not (title or "").strip() or not (organizer or "").strip():
        raise Refused(_("请填写专场名称和主办单位"), "title")
    if not (terms or "").strip():
        raise Refused(_("请填写竞买须知与保密条款"), "terms")
    if closes_at <= starts_at:
        raise Refused(_("竞价截止时间必须晚于开始时间"), "window")
    if mode not in AuctionSession.Mode.values:
        raise Refused(_("请选择拍卖方式"), "mode")
    if not (1 <= extension_minutes <= 60) or extension_cap_minutes > 24 * 60:
        raise Refused(_("延时周期应为 1–60 分钟，最长延时不超过 24 小时"), "extension")
    session = AuctionSession.objects.create(
        region=region,
        title=title.strip()[:200],
        organizer=organizer.strip()[:100],
        terms=terms.strip(),
        starts_at=starts_at,
        closes_at=closes_at,
        mode=mode,
        venue=(venue or "").strip()[:200],
        description=(description or "").strip(),
        extension_minutes=extension_minutes,
        extension_cap_minutes=extension_cap_minutes,
        created_by=actor,
    )
    record(actor, "auctions.session.create", session, session.title)
    return session


@transaction.atomic
def add_lot(
    actor,
    session: AuctionSession,
    *,
    title: str,
    owner,
    patents: Sequence[dict],
    starting_price,
    increment,
    reserve_price=None,
    deposit=0,
    description: str = "",
    achievements=(),
) -> Lot:
    """Add a lot to a draft session: one patent or a portfolio (``patents``: ``{"number", "title",
    "legal_status", "ipc"}``, numbers validated, none repeated, none already in another open lot)."""
    session = AuctionSession.objects.select_for_update(no_key=True).get(pk=session.pk)
    _require_operator(actor, session)
    if session.status != SS.DRAFT:
        raise Refused(_("专场已提交审核，不能再添加拍品"), "state")
    if not (title or "").strip():
        raise Refused(_("请填写拍品名称"), "title")
    if not patents:
        raise Refused(_("拍品至少包含一件专利"), "no_patent")
    starting = _money(starting_price, _("起拍价"))
    step = _money(increment, _("加价幅度"))
    reserve = None if reserve_price in (None, "") else _money(reserve_price, _("保留价"))
    if reserve is not None and reserve < starting:
        raise Refused(_("保留价不能低于起拍价"), "reserve_below_start")
    bond = _money(deposit or 0, _("保证金"), zero=True)
    rows, seen = [], set()
    for n, patent in enumerate(patents, start=1):
        raw = str(patent.get("number", "")).strip()
        try:
            validate_lot_patent(raw)
        except ValidationError as error:
            raise Refused(
                _("第 %(n)d 件：%(e)s") % {"n": n, "e": error.messages[0]}, "patent_number"
            ) from None
        number = normalize_lot_patent(raw)
        if number in seen:
            raise Refused(_("专利号“%(p)s”重复") % {"p": number}, "patent_repeated")
        seen.add(number)
        status = patent.get("legal_status") or LotPatent.LegalStatus.GRANTED
        if status not in LotPatent.LegalStatus.values:
            raise Refused(
                _("第 %(n)d 件专利的法律状态无效（仅有效或审中的专利可以拍卖）") % {"n": n},
                "legal_status",
            )
        rows.append(
            LotPatent(
                number=number,
                title=(str(patent.get("title", "")).strip() or title)[:200],
                legal_status=status,
                ipc=str(patent.get("ipc", "")).strip()[:100],
            )
        )
    busy = LotPatent.objects.filter(
        number__in=seen, lot__status__in=[LS.DRAFT, LS.OPEN]
    ).values_list("number", flat=True)
    if busy:
        raise Refused(_("专利“%(p)s”已在其他拍品中") % {"p": busy[0]}, "patent_busy")
    number = (session.lots.aggregate(n=Max("number"))["n"] or 0) + 1
    lot = Lot.objects.create(
        session=session,
        number=number,
        title=title.strip()[:200],
        description=(description or "").strip(),
        owner=owner,
        starting_price=starting,
        increment=step,
        reserve_price=reserve,
        deposit=bond,
        closes_at=session.closes_at,
        ends_at=session.closes_at,
    )
    for row in rows:
        row.lot = lot
    LotPatent.objects.bulk_create(rows)
    if achievements:
        lot.achievements.set(achievements)
    record(actor, "auctions.lot.add", lot, lot.title, patents=sorted(seen))
    return lot


def _move_session(actor, session, allowed, target, action, note="", **values) -> AuctionSession:
    updated = AuctionSession.objects.filter(pk=session.pk, status__in=allowed).update(
        status=target, **values
    )
    current = AuctionSession.objects.select_related("region").get(pk=session.pk)
    if not updated:
        raise Refused(
            _("专场当前状态为“%(s)s”，不能执行此操作") % {"s": current.get_status_display()},
            "state",
        )
    record(actor, action, current, note or current.title)
    return current


@transaction.atomic
def submit_session(actor, session: AuctionSession) -> AuctionSession:
    """draft → in_review, with at least one lot."""
    _require_operator(actor, session)
    if not session.lots.exists():
        raise Refused(_("专场还没有拍品"), "no_lots")
    session = _move_session(
        actor, session, (SS.DRAFT,), SS.IN_REVIEW, "auctions.session.submit", review_note=""
    )
    notify(
        operators_of(session.region),
        "auctions.session.submitted",
        localized(gettext_noop("拍卖专场待审核：%(t)s"), t=session.title),
        session.organizer,
        session.get_absolute_url(),
    )
    return session


@transaction.atomic
def return_session(actor, session: AuctionSession, reason: str) -> AuctionSession:
    """in_review → draft, saying what to correct."""
    _require_operator(actor, session)
    if not (reason or "").strip():
        raise Refused(_("请填写退回原因"), "reason")
    return _move_session(
        actor,
        session,
        (SS.IN_REVIEW,),
        SS.DRAFT,
        "auctions.session.return",
        reason,
        review_note=reason.strip()[:300],
    )


@transaction.atomic
def publish_session(
    actor, session: AuctionSession, *, now: datetime | None = None
) -> AuctionSession:
    """in_review → published: the lots open for registration and, from ``starts_at``, for bids."""
    now = _now(now)
    _require_operator(actor, session)
    if session.closes_at <= now:
        raise Refused(_("竞价截止时间已过，请调整时间后再发布"), "window")
    # The lots before the session (the lock order): they open with it.
    lots = list(
        session.lots.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True)
    )
    session = _move_session(
        actor, session, (SS.IN_REVIEW,), SS.PUBLISHED, "auctions.session.publish", published_at=now
    )
    Lot.objects.filter(pk__in=lots, status=LS.DRAFT).update(status=LS.OPEN)
    live.forget(lots)
    return session


# --- bidders and deposits ------------------------------------------------------------------------------


@transaction.atomic
def register_bidder(
    actor, session: AuctionSession, organization, *, accept_terms: bool, now: datetime | None = None
) -> Registration:
    """Register ``organization`` (the actor acts for it) as a bidder of a published session, once: it
    accepts the terms and gets the next paddle number. Bidding waits for the deposit."""
    now = _now(now)
    if not acts_for(actor, organization.pk):
        raise PermissionDenied(_("只能以本单位名义登记竞买"))
    session = AuctionSession.objects.get(pk=session.pk)
    if session.status != SS.PUBLISHED:
        raise Refused(_("专场未在报名中"), "state")
    if not accept_terms:
        raise Refused(_("请阅读并确认竞买须知与保密条款"), "terms")
    existing = Registration.objects.filter(session=session, organization=organization).first()
    if existing:
        return existing
    for _attempt in range(5):
        paddle = (
            Registration.objects.filter(session=session).aggregate(n=Max("paddle"))["n"] or 100
        ) + 1
        try:
            with transaction.atomic():
                registration = Registration.objects.create(
                    session=session,
                    organization=organization,
                    user=actor,
                    paddle=paddle,
                    terms_accepted_at=now,
                )
            break
        except IntegrityError:
            existing = Registration.objects.filter(
                session=session, organization=organization
            ).first()
            if existing:
                return existing
    else:
        raise Refused(_("登记人数较多，请稍后重试"), "busy")
    record(actor, "auctions.bidder.register", registration, str(organization), paddle=paddle)
    return registration


def _account(registration: Registration, purpose: str):
    return ledger.open_account(registration, purpose, may_go_negative=purpose == DEPOSIT_PAID)


@transaction.atomic
def record_deposit(
    actor,
    registration: Registration,
    amount,
    *,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Registration:
    """An operator records a deposit paid offline (bank transfer): it moves on the ledger from the
    bidder's payment to held, once per ``idempotency_key``."""
    now = _now(now)
    # The session, then the registration, then (in the transfer) the accounts — the lock order: a
    # deposit is not recorded in a session that a close is concluding (releasing every deposit), and a
    # close applying the same bidder's deposit (registration, then accounts) is waited for, not deadlocked.
    session = AuctionSession.objects.select_for_update(no_key=True).get(pk=registration.session_id)
    _require_operator(actor, session)
    if session.status != SS.PUBLISHED:
        raise Refused(_("专场未在进行中"), "state")
    registration = Registration.objects.select_for_update(no_key=True).get(pk=registration.pk)
    amount = _money(amount, _("保证金"))
    key = idempotency_key or f"deposit:{registration.pk}:{now.isoformat()}"
    ledger.transfer(
        _account(registration, DEPOSIT_PAID),
        _account(registration, DEPOSIT_HELD),
        amount,
        actor=actor,
        event="auctions.deposit.record",
        target=registration,
        memo=str(registration),
        scope=LEDGER_SCOPE,
        idempotency_key=key,
    )
    held = _account(registration, DEPOSIT_HELD)
    held.refresh_from_db()
    Registration.objects.filter(pk=registration.pk).update(
        deposit_held=held.balance, deposit_recorded_at=now, deposit_recorded_by=actor
    )
    record(actor, "auctions.deposit.record", registration, str(amount), key=key)
    registration.refresh_from_db()
    return registration


def registration_of(user, session: AuctionSession | int) -> Registration | None:
    """The user's organisations' registration for ``session`` (or a session id): the first, by paddle.
    One query."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Registration.objects.filter(session=session, organization__memberships__user=user)
        .order_by("paddle")
        .first()
    )


def may_open_data_room(user, lot: Lot) -> bool:
    """Registered bidders who accepted the terms, and the session's operators, open the data room."""
    if operates(user, lot.session.region):
        return True
    registration = registration_of(user, lot.session)
    return registration is not None and registration.terms_accepted_at is not None


@transaction.atomic
def add_document(actor, lot: Lot, title: str, uploaded) -> DataRoomDocument:
    _require_operator(actor, lot.session)
    try:
        content_type = check_attachment(uploaded)
    except ValidationError as error:
        raise Refused(error.messages[0], "attachment") from None
    document = DataRoomDocument.objects.create(
        lot=lot,
        title=(title or uploaded.name).strip()[:200],
        file=uploaded,
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=actor,
    )
    record(actor, "auctions.document.add", lot, document.title)
    return document


# --- bids ------------------------------------------------------------------------------------------------


def _locking_lot():
    """Lots read with their session, locking the lot's row alone (see the lock order above)."""
    return Lot.objects.select_for_update(no_key=True, of=("self",)).select_related("session")


def _locked(lot: Lot) -> Lot:
    return _locking_lot().get(pk=lot.pk)


def _check_open(lot: Lot, now: datetime, *, floor: bool = False) -> None:
    session = lot.session
    if lot.status != LS.OPEN or session.status != SS.PUBLISHED:
        raise Refused(_("拍品不在竞价中（%(s)s）") % {"s": lot.get_status_display()}, "closed")
    if now < session.starts_at:
        raise Refused(_("竞价尚未开始"), "not_started")
    if not floor and session.mode == AuctionSession.Mode.ONLINE and now >= lot.ends_at:
        raise Refused(_("竞价已截止"), "closed")


def _accept(
    lot: Lot, registration: Registration, amount: Decimal, kind: str, now: datetime, key=""
) -> Bid:
    """Write one bid on a locked, open lot; moves the price, the leader and — online, in the last
    ``extension_minutes`` — the close (never beyond the cap)."""
    if amount < lot.next_minimum:
        raise Refused(
            _("出价不得低于 %(m)s 元（当前价加一个加价幅度）") % {"m": f"{lot.next_minimum:,.2f}"}
            if lot.current_price is not None
            else _("出价不得低于起拍价 %(m)s 元") % {"m": f"{lot.starting_price:,.2f}"},
            "too_low",
        )
    if lot.leader_id == registration.pk:
        raise Refused(_("您已是当前最高出价者"), "already_leading")
    session = lot.session
    extended = None
    if session.mode == AuctionSession.Mode.ONLINE:
        window = timedelta(minutes=session.extension_minutes)
        cap = lot.closes_at + timedelta(minutes=session.extension_cap_minutes)
        if lot.ends_at - now < window:
            target = min(now + window, cap)
            if target > lot.ends_at:
                extended = target
    bid = Bid.objects.create(
        lot=lot,
        registration=registration,
        amount=amount,
        kind=kind,
        placed_at=now,
        extended_to=extended,
        idempotency_key=key,
    )
    values = {"current_price": amount, "leader": registration, "bid_count": F("bid_count") + 1}
    if extended:
        values["ends_at"] = extended
    Lot.objects.filter(pk=lot.pk).update(**values)
    lot.current_price, lot.leader_id, lot.leader = amount, registration.pk, registration
    lot.bid_count += 1
    if extended:
        lot.ends_at = extended
    return bid


def _registration(actor, lot: Lot, registration: Registration | None = None) -> Registration:
    registration = registration or registration_of(actor, lot.session_id)
    if registration is None:
        raise Refused(_("请先登记竞买并确认竞买须知"), "not_registered")
    return registration


def _bidder(actor, lot: Lot, registration: Registration | None = None) -> Registration:
    registration = registration or _registration(actor, lot)
    if registration.deposit_held < lot.deposit:
        raise Refused(
            _("保证金未到账：本拍品需缴纳保证金 %(d)s 元") % {"d": f"{lot.deposit:,.2f}"},
            "no_deposit",
        )
    return registration


def _run_proxies(lot: Lot, now: datetime) -> list[Bid]:
    """Bid for the proxies that the current price leaves behind, until the highest maximum leads."""
    placed = []
    for _step in range(PROXY_STEPS):
        proxies = list(
            ProxyBid.objects.filter(lot=lot, maximum__gte=lot.next_minimum)
            .select_related("registration")
            .order_by("-maximum", "created_at")
        )
        challengers = [p for p in proxies if p.registration_id != lot.leader_id]
        if not challengers:
            break
        challenger = challengers[0]
        if challenger.registration.deposit_held < lot.deposit:
            ProxyBid.objects.filter(pk=challenger.pk).delete()
            continue
        leader_proxy = ProxyBid.objects.filter(lot=lot, registration_id=lot.leader_id).first()
        if leader_proxy is None or leader_proxy.maximum < lot.next_minimum:
            amount = lot.next_minimum
        elif challenger.maximum > leader_proxy.maximum:
            amount = min(challenger.maximum, leader_proxy.maximum + lot.increment)
        else:
            amount = challenger.maximum
        placed.append(_accept(lot, challenger.registration, amount, Bid.Kind.PROXY, now))
    return placed


def _registration_before_bid(actor, lot: Lot, key: str, now: datetime) -> Registration | None:
    """The bidder's registration for the lot's session (as :func:`registration_of`), read in the same
    query as the lot's next minimum while it is open and has a bid (``lot_next_minimum``, else None)
    and whether ``key`` was used by this registration (``repeated``). No lock."""
    if not getattr(actor, "is_authenticated", False):
        return None
    open_lot = Lot.objects.filter(
        pk=lot.pk, status=LS.OPEN, ends_at__gt=now, current_price__isnull=False
    )  # (a closed lot's bid is refused as such, under the lock)
    return (
        Registration.objects.filter(session=lot.session_id, organization__memberships__user=actor)
        .annotate(
            lot_next_minimum=Subquery(
                open_lot.annotate(m=F("current_price") + F("increment")).values("m")[:1]
            ),
            repeated=Exists(Bid.objects.filter(registration=OuterRef("pk"), idempotency_key=key))
            if key
            else Value(False),
        )
        .order_by("paddle")
        .first()
    )


def place_bid(
    actor, lot: Lot, amount, *, now: datetime | None = None, idempotency_key: str = ""
) -> Bid:
    """An online bid by a registered bidder with their deposit recorded. A repeated ``idempotency_key``
    returns the first bid. Proxies outbid by it answer at once.

    Lean, because every bid of a lot queues on its row lock, and on a busy machine each statement's
    round trip is a wait for the CPU: the bidder's registration is read (one query, which also reads
    the lot's next minimum, so that a bid already too low is refused without the lock) before the
    transaction; inside it, one statement locks and re-reads the lot row and also answers whether this
    key was used before and whether any proxy could answer the bid; then the bid is written, the lot
    moved and the audit row written — four statements. The proxies are asked only when one could
    answer."""
    now = _now(now)
    amount = _money(amount, _("出价"))
    key = (idempotency_key or "")[:80]
    registration = _registration_before_bid(actor, lot, key, now)
    if registration is not None and not registration.repeated:
        # A price only rises: a bid below the next minimum read now can never be accepted, so it is
        # refused without queueing on the lot's lock (most refusals, when many bid at once).
        floor = registration.lot_next_minimum
        if floor is not None and amount < floor:
            raise Refused(
                _("出价不得低于 %(m)s 元（当前价加一个加价幅度）") % {"m": f"{floor:,.2f}"},
                "too_low",
            )
    with transaction.atomic():
        locked = _locking_lot()
        if registration is not None and key:
            repeated = Bid.objects.filter(registration=registration, idempotency_key=key)
            locked = locked.annotate(repeated=Subquery(repeated.values("pk")[:1]))
        answering = ProxyBid.objects.filter(lot=OuterRef("pk"), maximum__gt=amount)
        lot = locked.annotate(proxied=Exists(answering)).get(pk=lot.pk)
        if lot.session.mode != AuctionSession.Mode.ONLINE:
            raise Refused(_("现场拍卖请在拍卖厅举牌出价"), "mode")
        registration = _registration(actor, lot, registration)
        if getattr(lot, "repeated", None):
            return Bid.objects.get(pk=lot.repeated)
        _check_open(lot, now)
        _bidder(actor, lot, registration)
        bid = _accept(lot, registration, amount, Bid.Kind.ONLINE, now, key)
        if lot.proxied:  # a proxy's maximum above this bid: it may answer
            _run_proxies(lot, now)
        record(
            actor, "auctions.bid.place", bid, str(amount), lot=lot.pk, paddle=registration.paddle
        )
        live.changed(lot)
    return bid


@transaction.atomic
def set_proxy(actor, lot: Lot, maximum, *, now: datetime | None = None) -> ProxyBid:
    """Set (or raise) the actor's proxy maximum for an open online lot; the platform bids for them at
    once if they are not leading."""
    now = _now(now)
    maximum = _money(maximum, _("最高代理价"))
    lot = _locked(lot)
    if lot.session.mode != AuctionSession.Mode.ONLINE:
        raise Refused(_("现场拍卖不支持代理出价"), "mode")
    registration = _registration(actor, lot)
    _check_open(lot, now)
    _bidder(actor, lot, registration)
    floor = lot.current_price if lot.leader_id == registration.pk else lot.next_minimum
    if maximum < floor:
        raise Refused(_("最高代理价不得低于 %(m)s 元") % {"m": f"{floor:,.2f}"}, "too_low")
    proxy, _created = ProxyBid.objects.update_or_create(
        lot=lot, registration=registration, defaults={"maximum": maximum}
    )
    _run_proxies(lot, now)
    record(actor, "auctions.proxy.set", lot, str(maximum), paddle=registration.paddle)
    live.changed(lot)
    return proxy


@transaction.atomic
def record_floor_bid(actor, lot: Lot, paddle: int, amount, *, now: datetime | None = None) -> Bid:
    """The auctioneer records a bid raised in the hall by ``paddle`` (on-site sessions)."""
    now = _now(now)
    amount = _money(amount, _("出价"))
    lot = _locked(lot)
    _require_operator(actor, lot.session)
    if lot.session.mode != AuctionSession.Mode.ONSITE:
        raise Refused(_("网络竞价的拍品不能现场记录出价"), "mode")
    registration = Registration.objects.filter(session=lot.session, paddle=paddle).first()
    if registration is None:
        raise Refused(_("没有 %(p)s 号号牌") % {"p": paddle}, "no_paddle")
    if registration.deposit_held < lot.deposit:
        raise Refused(_("%(p)s 号保证金未到账") % {"p": paddle}, "no_deposit")
    _check_open(lot, now, floor=True)
    bid = _accept(lot, registration, amount, Bid.Kind.FLOOR, now)
    record(actor, "auctions.bid.floor", bid, str(amount), lot=lot.pk, paddle=paddle)
    live.changed(lot)
    return bid


# --- closing -----------------------------------------------------------------------------------------------


def _close(lot: Lot, now: datetime, actor=None) -> Lot:
    """Close a locked open lot: sold to the leader at the current price if it reaches the reserve, else
    unsold (post-auction negotiation). A sold lot applies the winner's deposit to the price and becomes a
    patent-transfer contract."""
    # The session next (the lock order): closes of one session queue here, so that the last one to
    # commit sees every other lot closed and concludes the session.
    AuctionSession.objects.select_for_update(no_key=True).filter(pk=lot.session_id).exists()
    sold = lot.leader_id is not None and (
        lot.reserve_price is None or lot.current_price >= lot.reserve_price
    )
    if sold:
        Lot.objects.filter(pk=lot.pk, status=LS.OPEN).update(
            status=LS.SOLD, winner_id=lot.leader_id, hammer_price=lot.current_price, closed_at=now
        )
        winner = Registration.objects.select_for_update(no_key=True).get(pk=lot.leader_id)
        applied = min(lot.deposit, winner.deposit_held)
        if applied > 0:
            ledger.transfer(
                _account(winner, DEPOSIT_HELD),
                _account(winner, DEPOSIT_APPLIED),
                applied,
                actor=actor,
                event="auctions.deposit.apply",
                target=lot,
                memo=str(lot),
                scope=LEDGER_SCOPE,
                idempotency_key=f"lot:{lot.pk}:apply",
            )
            Registration.objects.filter(pk=winner.pk).update(
                deposit_held=F("deposit_held") - applied
            )
        lot.refresh_from_db()
        contract_from_lot(
            actor, lot, buyer=winner.organization, price=lot.hammer_price, deposit=applied, now=now
        )
        record(actor, "auctions.lot.sell", lot, str(lot.hammer_price), paddle=winner.paddle)
        notify(
            [winner.user],
            "auctions.lot.won",
            localized(gettext_noop("恭喜竞得拍品：%(t)s"), t=lot.title),
            "",
            lot.get_absolute_url(),
        )
    else:
        Lot.objects.filter(pk=lot.pk, status=LS.OPEN).update(status=LS.UNSOLD, closed_at=now)
        lot.refresh_from_db()
        record(actor, "auctions.lot.unsold", lot, lot.title)
    _conclude_if_done(lot.session, now, actor)
    live.changed(lot)
    return lot


def _conclude_if_done(session: AuctionSession, now: datetime, actor=None) -> None:
    """Once every lot is closed the session ends and every bidder's remaining deposit is released."""
    if session.lots.exclude(status__in=Lot.CLOSED).exists():
        return
    if not AuctionSession.objects.filter(pk=session.pk, status=SS.PUBLISHED).update(
        status=SS.CONCLUDED
    ):
        return
    for registration in Registration.objects.filter(session=session, deposit_held__gt=0).order_by(
        "pk"
    ):
        ledger.transfer(
            _account(registration, DEPOSIT_HELD),
            _account(registration, DEPOSIT_RELEASED),
            registration.deposit_held,
            actor=actor,
            event="auctions.deposit.release",
            target=registration,
            memo=str(registration),
            scope=LEDGER_SCOPE,
            idempotency_key=f"registration:{registration.pk}:release",
        )
        Registration.objects.filter(pk=registration.pk).update(
            deposit_held=0, deposit_released_at=now
        )
    record(actor, "auctions.session.conclude", session, session.title)


@transaction.atomic
def hammer(actor, lot: Lot, *, now: datetime | None = None) -> Lot:
    """The auctioneer drops the hammer on an on-site lot (落槌)."""
    now = _now(now)
    lot = _locked(lot)
    _require_operator(actor, lot.session)
    if lot.session.mode != AuctionSession.Mode.ONSITE:
        raise Refused(_("网络竞价的拍品按时自动结束"), "mode")
    _check_open(lot, now, floor=True)
    return _close(lot, now, actor)


def close_lot(lot: Lot, *, now: datetime | None = None) -> Lot:
    """Close one online lot if its time is up (idempotent: a closed or not yet due lot is returned
    unchanged)."""
    now = _now(now)
    with transaction.atomic():
        lot = _locked(lot)
        if (
            lot.status != LS.OPEN
            or lot.session.mode != AuctionSession.Mode.ONLINE
            or now < lot.ends_at
        ):
            return lot
        return _close(lot, now)


def close_due_lots(now: datetime | None = None) -> int:
    """The clock's job (``auctions.close``): close every online lot whose time is up. Returns how many
    closed; each in its own transaction, so one failure does not hold the others."""
    now = _now(now)
    closed = 0
    for pk in Lot.objects.due(now).order_by("ends_at", "pk").values_list("pk", flat=True):
        lot = close_lot(Lot(pk=pk), now=now)
        closed += lot.status in Lot.CLOSED
    return closed
