"""Auction pages: sessions and lots for everyone, bidding for registered bidders, the live block that
lot pages and the projector poll (htmx), and the operators' pages (assembling, review, deposits, the
auctioneer's screen)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts.permissions import managed_regions, operates, roles_of
from kechuang.auctions import live, queries, services
from kechuang.auctions.forms import LotForm, SessionForm
from kechuang.auctions.models import AuctionSession, DataRoomDocument, Lot, Registration
from kechuang.core.actions import Refused
from kechuang.core.feedback import attempt
from kechuang.directory.models import Organization


def _visible_session(request, pk: int) -> AuctionSession:
    session = get_object_or_404(AuctionSession.objects.select_related("region"), pk=pk)
    _check_visible(request, session)
    return session


def _check_visible(request, session: AuctionSession) -> None:
    """Draft and in-review sessions (and their lots) are their operators' only: 404 for the others."""
    if session.status in (
        AuctionSession.Status.DRAFT,
        AuctionSession.Status.IN_REVIEW,
    ) and not operates(request.user, session.region):
        raise Http404


def _lots(session):
    return (
        session.lots.select_related("leader", "winner")
        .prefetch_related("patents")
        .order_by("number")
    )


# --- public and bidders -----------------------------------------------------------------------------


def index(request):
    sessions = list(AuctionSession.objects.public().select_related("region"))
    return render(request, "auctions/index.html", {"sessions": sessions})


def session_detail(request, pk: int):
    session = _visible_session(request, pk)
    registration = (
        services.registration_of(request.user, session) if request.user.is_authenticated else None
    )
    organizations = (
        [o for o in roles_of(request.user).organizations] if request.user.is_authenticated else []
    )
    return render(
        request,
        "auctions/session.html",
        {
            "session": session,
            "lots": _lots(session),
            "summary": queries.session_summary(session),
            "registration": registration,
            "organizations": organizations,
            "is_operator": operates(request.user, session.region),
        },
    )


@require_POST
@login_required
def register(request, pk: int):
    session = _visible_session(request, pk)
    organization = get_object_or_404(Organization, pk=request.POST.get("organization") or 0)
    attempt(
        request,
        lambda: services.register_bidder(
            request.user,
            session,
            organization,
            accept_terms=request.POST.get("accept_terms") == "on",
        ),
        _("竞买登记成功；保证金到账登记后即可出价"),
    )
    return redirect(session)


def _visible_lot(request, pk: int) -> Lot:
    lot = get_object_or_404(Lot.objects.select_related("session__region", "owner"), pk=pk)
    _check_visible(request, lot.session)  # the session as the lot's query read it: no second query
    return lot


def lot_detail(request, pk: int):
    lot = _visible_lot(request, pk)
    registration = (
        services.registration_of(request.user, lot.session)
        if request.user.is_authenticated
        else None
    )
    data_room = (
        services.may_open_data_room(request.user, lot) if request.user.is_authenticated else False
    )
    return render(
        request,
        "auctions/lot.html",
        {
            "lot": lot,
            "patents": list(lot.patents.all()),
            "achievements": list(lot.achievements.all()),
            **_live_page_context(lot, "lot"),
            "registration": registration,
            "documents": list(lot.documents.all()) if data_room else None,
            "is_operator": operates(request.user, lot.session.region),
        },
    )


def _live_page_context(lot: Lot, view: str) -> dict:
    """The live block as a page first shows it, fresh from the database, with the server clock the
    page's countdown runs against."""
    context, _stamp = live.block(queries.live_state(lot), view)
    return {**context, "server_now": live.server_now_ms()}


def lot_live(request, pk: int):
    """The live block (price, countdown, history) that htmx polls every few seconds. Cheap for the many
    watchers of a lot (see :mod:`kechuang.auctions.live`): an unchanged lot answers 304 from the cache
    alone, a changed one the block rendered once per version. Most polls of a public lot are answered
    before they get here, by :class:`~kechuang.auctions.live.PollMiddleware`, the same way."""
    view = "projector" if request.GET.get("view") == "projector" else "lot"
    stamp = live.current(pk)
    if stamp is None:
        raise Http404
    if not stamp.public:
        _visible_lot(request, pk)  # draft and in-review sessions: their operators only
    response = live.respond(pk, stamp, live.sent_tags(request), view, get_language())
    if response is None:
        raise Http404
    return response


@require_POST
@login_required
def bid(request, pk: int):
    lot = _visible_lot(request, pk)
    attempt(
        request,
        lambda: services.place_bid(
            request.user,
            lot,
            request.POST.get("amount", ""),
            idempotency_key=request.POST.get("key", ""),
        ),
        _("出价成功"),
    )
    return redirect(lot)


@require_POST
@login_required
def proxy(request, pk: int):
    lot = _visible_lot(request, pk)
    attempt(
        request,
        lambda: services.set_proxy(request.user, lot, request.POST.get("maximum", "")),
        _("代理出价已设置"),
    )
    return redirect(lot)


@login_required
def document(request, pk: int):
    document = get_object_or_404(
        DataRoomDocument.objects.select_related("lot__session__region"), pk=pk
    )
    if not services.may_open_data_room(request.user, document.lot):
        raise PermissionDenied
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=document.file.name.rsplit("/", 1)[-1],
        content_type=document.content_type,
    )


def projector(request, pk: int):
    lot = _visible_lot(request, pk)
    return render(
        request, "auctions/projector.html", {"lot": lot, **_live_page_context(lot, "projector")}
    )


# --- operators ----------------------------------------------------------------------------------------


def _require_operator(request) -> None:
    if not roles_of(request.user).operator:
        raise PermissionDenied


@login_required
def manage(request):
    _require_operator(request)
    regions = managed_regions(request.user)
    form = SessionForm(request.POST or None)
    region_choices = list(regions.order_by("path"))
    if request.method == "POST" and form.is_valid():
        region = next((r for r in region_choices if str(r.pk) == request.POST.get("region")), None)
        if region is None:
            form.add_error(None, _("请选择主办区域"))
        else:
            try:
                session = services.create_session(request.user, region=region, **form.cleaned_data)
            except Refused as refused:
                form.add_error(None, refused.message)
            else:
                return redirect("auctions:manage_session", session.pk)
    sessions = AuctionSession.objects.filter(region__in=regions).select_related("region")
    return render(
        request,
        "auctions/manage.html",
        {"sessions": sessions, "form": form, "regions": region_choices},
    )


def _managed_session(request, pk: int) -> AuctionSession:
    session = get_object_or_404(AuctionSession.objects.select_related("region"), pk=pk)
    if not operates(request.user, session.region):
        raise PermissionDenied
    return session


@login_required
def manage_session(request, pk: int):
    session = _managed_session(request, pk)
    owners = Organization.objects.filter(region__in=managed_regions(request.user)).exclude(
        kind=Organization.Kind.ENTERPRISE
    ).order_by("name") | Organization.objects.filter(auction_lots__session=session)
    form = LotForm(request.POST or None, owners=owners.distinct())
    if request.method == "POST" and form.is_valid():
        try:
            services.add_lot(request.user, session, **form.cleaned_data)
        except Refused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("拍品已添加"))
            return redirect("auctions:manage_session", session.pk)
    registrations = session.registrations.select_related("organization").order_by("paddle")
    return render(
        request,
        "auctions/manage_session.html",
        {
            "session": session,
            "lots": _lots(session),
            "form": form,
            "registrations": registrations,
            "summary": queries.session_summary(session),
        },
    )


@require_POST
@login_required
def session_action(request, pk: int, action: str):
    session = _managed_session(request, pk)
    calls = {
        "submit": (lambda: services.submit_session(request.user, session), _("已提交审核")),
        "publish": (lambda: services.publish_session(request.user, session), _("专场已发布")),
        "return": (
            lambda: services.return_session(request.user, session, request.POST.get("reason", "")),
            _("已退回修改"),
        ),
    }
    if action not in calls:
        raise Http404
    attempt(request, *calls[action])
    return redirect("auctions:manage_session", session.pk)


@require_POST
@login_required
def record_deposit(request, pk: int):
    registration = get_object_or_404(Registration.objects.select_related("session__region"), pk=pk)
    _managed_session(request, registration.session_id)
    attempt(
        request,
        lambda: services.record_deposit(
            request.user,
            registration,
            request.POST.get("amount", ""),
            idempotency_key=request.POST.get("reference", "").strip()[:100],
        ),
        _("保证金到账已登记"),
    )
    return redirect("auctions:manage_session", registration.session_id)


@require_POST
@login_required
def upload_document(request, pk: int):
    lot = get_object_or_404(Lot.objects.select_related("session__region"), pk=pk)
    _managed_session(request, lot.session_id)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, _("请选择要上传的文件"))
    else:
        attempt(
            request,
            lambda: services.add_document(
                request.user, lot, request.POST.get("title", ""), uploaded
            ),
            _("资料已上传"),
        )
    return redirect("auctions:manage_session", lot.session_id)


@login_required
def floor(request, pk: int):
    """The auctioneer's screen for one lot: record bids by paddle and drop the hammer."""
    lot = get_object_or_404(Lot.objects.select_related("session__region"), pk=pk)
    session = _managed_session(request, lot.session_id)
    if request.method == "POST":
        if request.POST.get("action") == "hammer":
            attempt(request, lambda: services.hammer(request.user, lot), _("落槌"))
        else:
            try:
                paddle = int(request.POST.get("paddle", ""))
            except ValueError:
                messages.error(request, _("请填写号牌号码"))
            else:
                attempt(
                    request,
                    lambda: services.record_floor_bid(
                        request.user, lot, paddle, request.POST.get("amount", "")
                    ),
                    _("已记录出价"),
                )
        return redirect("auctions:floor", lot.pk)
    return render(
        request,
        "auctions/floor.html",
        {"lot": lot, "session": session, "lots": _lots(session), **_live_page_context(lot, "lot")},
    )
