"""Booking pages: the instrument calendar (day / week), the booking form, my bookings, the owner's rules
form and approval queue, statements with xlsx export, the operators' sharing figures, the free-instrument
search and iCalendar feeds. Views parse input, call a service and render; every rule is the service's."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts.permissions import (
    acts_for,
    is_operator,
    managed_regions,
    member_organization_ids,
    operates,
    roles_of,
)
from kechuang.booking import billing, calendar_feed, queries, services, statements
from kechuang.booking.forms import (
    BookingForm,
    ClosureForm,
    FreeSearchForm,
    RejectForm,
    RulesForm,
    TrainingForm,
    UseForm,
)
from kechuang.booking.models import Booking, BookingRules, Closure, PriceGroup, Training
from kechuang.core.actions import Refused
from kechuang.core.feedback import attempt
from kechuang.directory.models import Instrument, Organization

S = Booking.Status


def _instrument(pk: int) -> Instrument:
    return get_object_or_404(Instrument.objects.select_related("owner", "region"), pk=pk)


def _day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


# --- the calendar and booking -----------------------------------------------------------------------------


def instrument_calendar(request, pk: int):
    """An instrument's day or week: bookings (whose only to those who may see them), closures and free
    gaps that link to the booking form."""
    instrument = get_object_or_404(
        Instrument.objects.select_related("owner", "region", "booking_rules"), pk=pk
    )
    rules = getattr(instrument, "booking_rules", None)  # read with the instrument: one query less
    now = timezone.now()
    today = timezone.localdate()
    view = "day" if request.GET.get("view") == "day" else "week"
    first = _day(request.GET.get("date"), today)  # a week is the seven days from this one
    days = 1 if view == "day" else 7
    step = timedelta(days=days)
    manager = services.may_manage(request.user, instrument)
    closures = queries.closures_from(instrument, first, now=now)
    return render(
        request,
        "booking/calendar.html",
        {
            "instrument": instrument,
            "rules": rules,
            "bookable": rules is not None
            and rules.enabled
            and instrument.state == Instrument.State.AVAILABLE,
            "days": queries.calendar(instrument, rules, first, days, now=now, closures=closures),
            "view": view,
            "first": first,
            "previous": first - step,
            "next": first + step,
            "today": today,
            "manager": manager,
            "me": request.user.pk,
            "closures": [c for c in closures if c.ends_at > now][:5],
        },
    )


def _organizations(user):
    return list(roles_of(user).organizations)


@login_required
def book(request, pk: int):
    instrument = _instrument(pk)
    rules = services.rules_of(instrument)
    if rules is None or not rules.enabled:
        messages.error(request, _("该仪器尚未开放在线预约。"))
        return redirect("booking:calendar", pk=instrument.pk)
    organizations = _organizations(request.user)
    if not organizations:
        raise PermissionDenied(_("请先加入您所在的企业或机构，再以单位名义预约仪器"))
    operated = rules.mode == BookingRules.Mode.OPERATED
    vouchers = billing.usable_vouchers(organizations, instrument, now=timezone.now())
    initial = {
        "organization": organizations[0].pk,
        "day": request.GET.get("date") or "",
        "start": request.GET.get("start") or "",
        "end": request.GET.get("end") or "",
    }
    form = BookingForm(
        request.POST or None,
        initial=initial,
        organizations=organizations,
        operated=operated,
        vouchers=vouchers,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organization = next(o for o in organizations if o.pk == data["organization"])
        voucher = next((v for v in vouchers if v.pk == data.get("voucher")), None)
        try:
            booking = services.book(
                request.user,
                services.Request(
                    instrument,
                    organization,
                    data["starts_at"],
                    data["ends_at"],
                    kind=form.kind,
                    samples=data.get("samples") or 0,
                    purpose=data.get("purpose", ""),
                    voucher=voucher,
                    idempotency_key=request.POST.get("idempotency_key", "")[:120],
                ),
                now=timezone.now(),
            )
        except Refused as refused:
            form.add_error(None, refused.message)
        else:
            if booking.status == S.PENDING:
                messages.success(request, _("预约已提交，时段已为您保留，等待仪器管理员审批。"))
            else:
                messages.success(request, _("预约成功。"))
            return redirect(booking.get_absolute_url())
    return render(
        request,
        "booking/book.html",
        {
            "instrument": instrument,
            "rules": rules,
            "form": form,
            "operated": operated,
            "idempotency_key": get_random_string(24),
            "group_rates": [
                (_("校内/院内"), rules.internal_rate),
                (_("对外"), rules.external_rate),
                (_("联盟区域"), rules.partner_rate),
            ],
        },
    )


def _visible(request, booking: Booking) -> None:
    user = request.user
    if not (
        booking.user_id == user.pk
        or acts_for(user, booking.organization_id)
        or services.may_manage(user, booking.instrument)
    ):
        raise PermissionDenied(_("您无权查看这个预约"))


@login_required
def detail(request, pk: int):
    booking = get_object_or_404(
        Booking.objects.select_related(
            "instrument__owner", "instrument__region", "organization", "user"
        ),
        pk=pk,
    )
    _visible(request, booking)
    now = timezone.now()
    manager = services.may_manage(request.user, booking.instrument)
    rules = services.rules_of(booking.instrument)
    return render(
        request,
        "booking/detail.html",
        {
            "booking": booking,
            "manager": manager,
            "may_cancel": services.may_cancel(request.user, booking, now)
            and not (booking.status == S.CONFIRMED and now >= booking.starts_at),
            "late": services.is_late_cancellation(booking, now)
            and booking.user_id == request.user.pk,
            "rules": rules,
            "may_check_in": booking.status == S.CONFIRMED
            and booking.actual_start is None
            and now >= booking.starts_at - timedelta(minutes=30)
            and (booking.user_id == request.user.pk or manager),
            "may_record": manager and booking.status == S.CONFIRMED and now >= booking.starts_at,
            "may_no_show": manager
            and rules is not None
            and services.no_show_due(booking, rules, now),
            "use_form": UseForm(),
            "reject_form": RejectForm(),
        },
    )


def _booking_for_action(request, pk: int) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("instrument__region", "organization", "user"), pk=pk
    )


@login_required
@require_POST
def act(request, pk: int, action: str):
    """One button of the detail page or the approval queue: approve, reject, cancel, check in, record use,
    no-show."""
    booking = _booking_for_action(request, pk)
    now = timezone.now()
    user = request.user
    if action == "approve":
        attempt(request, lambda: services.approve(user, booking, now=now), _("已确认预约。"))
    elif action == "reject":
        form = RejectForm(request.POST)
        if form.is_valid():
            attempt(
                request,
                lambda: services.reject(user, booking, note=form.cleaned_data["note"], now=now),
                _("已不予通过，并通知预约人。"),
            )
        else:
            messages.error(request, _("请填写不予通过的原因。"))
    elif action == "cancel":
        attempt(
            request,
            lambda: services.cancel(user, booking, now=now, reason=request.POST.get("reason", "")),
            _("预约已取消。"),
        )
    elif action == "check-in":
        attempt(request, lambda: services.check_in(user, booking, now=now), _("已签到。"))
    elif action == "use":
        form = UseForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            attempt(
                request,
                lambda: services.record_use(
                    user,
                    booking,
                    actual_start=data.get("actual_start"),
                    actual_end=data.get("actual_end"),
                    samples=data.get("samples"),
                    now=now,
                ),
                _("已登记使用并计费。"),
            )
        else:
            messages.error(request, _("请按正确格式填写实际使用时间和样品数。"))
    elif action == "no-show":
        attempt(
            request,
            lambda: services.mark_no_show(user, booking, now=now),
            _("已按爽约处理，时段已释放。"),
        )
    else:
        raise Http404
    back = request.POST.get("next", "")
    if back.startswith("/booking/"):
        return redirect(back)
    return redirect(booking.get_absolute_url())


@login_required
def my_bookings(request):
    bookings = (
        Booking.objects.of_user(request.user)
        .select_related("instrument__owner", "organization")
        .order_by("-starts_at")
    )
    page = Paginator(bookings, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "booking/mine.html",
        {
            "page": page,
            "bookings": page.object_list,
            "feed_url": request.build_absolute_uri(
                reverse("booking:user_feed", args=[calendar_feed.user_token(request.user)])
            ),
        },
    )


# --- the owner's side ----------------------------------------------------------------------------------------


@login_required
def queue(request):
    """The approval queue: bookings awaiting decision, then ended bookings whose use is to be recorded."""
    now = timezone.now()
    pending = (
        queries.pending_for(request.user)
        .select_related("instrument", "organization", "user")
        .order_by("starts_at")
    )
    ended = (
        queries.awaiting_use(request.user, now)
        .select_related("instrument", "organization", "user")
        .order_by("starts_at")
    )
    instruments = (
        Instrument.objects.filter(owner_id__in=member_organization_ids(request.user))
        .select_related("booking_rules")
        .order_by("name")
    )
    if not roles_of(request.user).may_manage_instruments:
        raise PermissionDenied(_("仪器预约管理只对仪器所属单位成员和运营人员开放"))
    return render(
        request,
        "booking/queue.html",
        {
            "pending": pending[:100],
            "pending_count": pending.count(),
            "ended": ended[:100],
            "instruments": instruments[:200],
            "reject_form": RejectForm(),
        },
    )


@login_required
def rules(request, pk: int):
    instrument = _instrument(pk)
    if not services.may_manage(request.user, instrument):
        raise PermissionDenied(_("只有仪器所属单位或本区域运营人员可以设置预约规则"))
    current = services.rules_of(instrument) or services.default_rules(instrument)
    form = RulesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in RulesForm.Meta.fields}
        try:
            services.save_rules(request.user, instrument, **values)
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("预约规则已保存。"))
            return redirect("booking:rules", pk=instrument.pk)
    return render(
        request,
        "booking/rules.html",
        {
            "instrument": instrument,
            "form": form,
            "training_form": TrainingForm(),
            "closure_form": ClosureForm(),
            "trainings": Training.objects.filter(instrument=instrument)
            .select_related("user")
            .order_by("user__username"),
            "closures": Closure.objects.filter(
                instrument=instrument, ends_at__gt=timezone.now()
            ).order_by("starts_at"),
        },
    )


@login_required
@require_POST
def add_training(request, pk: int):
    instrument = _instrument(pk)
    form = TrainingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写用户名和培训日期（日期格式如 2026-12-01）。"))
        return redirect("booking:rules", pk=pk)
    user = get_user_model().objects.filter(username=form.cleaned_data["username"].strip()).first()
    if user is None:
        messages.error(request, _("没有找到该用户名。"))
        return redirect("booking:rules", pk=pk)
    attempt(
        request,
        lambda: services.record_training(
            request.user,
            instrument,
            user,
            trained_on=form.cleaned_data["trained_on"],
            lapses_on=form.cleaned_data["lapses_on"],
        ),
        _("已记录培训。"),
    )
    return redirect("booking:rules", pk=pk)


@login_required
@require_POST
def add_closure(request, pk: int):
    instrument = _instrument(pk)
    form = ClosureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写停机起止时间和原因。"))
        return redirect("booking:rules", pk=pk)
    attempt(
        request,
        lambda: services.add_closure(
            request.user, instrument, now=timezone.now(), **form.cleaned_data
        ),
        _("已登记维护停机；与之重叠的预约已取消并通知预约人。"),
    )
    return redirect("booking:rules", pk=pk)


# --- statements and figures --------------------------------------------------------------------------------


def _month(text: str | None) -> date:
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return timezone.localdate().replace(day=1)


@login_required
def statement(request):
    """The monthly statement of one of the user's organisations (or, for an operator, any organisation of
    their regions), as a page or an .xlsx file."""
    month = _month(request.GET.get("month"))
    organizations = _organizations(request.user)
    chosen = request.GET.get("org")
    organization = None
    if chosen and chosen.isdigit():
        organization = Organization.objects.filter(pk=int(chosen)).select_related("region").first()
        if organization and not (
            acts_for(request.user, organization.pk) or operates(request.user, organization.region)
        ):
            raise PermissionDenied(_("您无权查看该单位的结算单"))
    elif organizations:
        organization = organizations[0]
    if organization is None:
        raise PermissionDenied(_("结算单只对付费单位成员和运营人员开放"))
    result = queries.statement(organization, month)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            statements.to_xlsx(result),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="statement-{organization.pk}-{month:%Y-%m}.xlsx"'
        )
        return response
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    return render(
        request,
        "booking/statement.html",
        {
            "statement": result,
            "organizations": organizations,
            "previous": previous,
            "following": following,
        },
    )


@login_required
def figures(request):
    if not is_operator(request.user):
        raise PermissionDenied(_("共享统计只对运营人员开放"))
    year = request.GET.get("year", "")
    today = timezone.localdate()
    year = int(year) if year.isdigit() and 2000 < int(year) < 2100 else today.year
    start = queries.local_midnight(date(year, 1, 1))
    end = queries.local_midnight(date(year + 1, 1, 1))
    result = queries.figures(managed_regions(request.user), start, end)
    return render(
        request,
        "booking/figures.html",
        {
            "figures": result,
            "year": year,
            "years": list(range(today.year - 2, today.year + 2)),
            "hours_rows": [(m, b) for m, b, _u in result.by_month],
            "used_rows": [(m, u) for m, _b, u in result.by_month],
            "group_rows": result.by_group,
            "institution_rows": [(str(o), float(h)) for o, _n, h, _m in result.by_institution[:10]],
        },
    )


# --- search and feeds -------------------------------------------------------------------------------------


def free_search(request):
    """Instruments free for a time window on one day (可预约, open, no booking or closure then). The rows
    are plain dicts built here: 50 model rows resolved attribute by attribute in the template (display
    labels, the form's cleaned data, a URL tag per row) cost more than the query. Each row shows the rate
    the signed-in user's organisation would pay (its cheapest price group among their organisations), the
    external rate for anyone else."""
    form = FreeSearchForm(request.GET or None)
    results = None
    if request.GET and form.is_valid():
        data = form.cleaned_data
        instruments = queries.free_between(
            queries.bookable_instruments(), data["starts_at"], data["ends_at"]
        )
        if data["q"]:
            instruments = instruments.filter(name__contains=data["q"])
        window = f"?date={data['day']:%Y-%m-%d}&start={data['start']:%H:%M}&end={data['end']:%H:%M}"
        modes = dict(BookingRules.Mode.choices)
        units = dict(Instrument.Unit.choices)
        groups = dict(PriceGroup.choices)
        rows = instruments.order_by("name", "pk").values_list(
            "pk",
            "name",
            "booking_rules__mode",
            "owner_id",
            "owner__name",
            "region__path",
            "region__name",
            "booking_rules__internal_rate",
            "booking_rules__partner_rate",
            "booking_rules__external_rate",
            "booking_rules__unit",
        )[:50]
        organizations = _organizations(request.user) if request.user.is_authenticated else []
        members = services.federations() if organizations and rows else []
        results = []
        for (
            pk,
            name,
            mode,
            owner_id,
            owner,
            path,
            region,
            internal,
            partner,
            external,
            unit,
        ) in rows:
            rates = {
                PriceGroup.INTERNAL: internal,
                PriceGroup.PARTNER: partner,
                PriceGroup.EXTERNAL: external,
            }
            group = min(
                {services.group_of(owner_id, path, o, members) for o in organizations}
                or {PriceGroup.EXTERNAL},
                key=lambda g: (rates[g], g),
            )
            results.append(
                {
                    "pk": pk,
                    "name": name,
                    "url": reverse("directory:instrument", args=[pk]),
                    "book_url": reverse("booking:book", args=[pk]) + window,
                    "mode": modes.get(mode, ""),
                    "owner": owner,
                    "region": region,
                    "rate": rates[group],
                    "price_group": groups[group],
                    "unit": units.get(unit, ""),
                }
            )
    return render(request, "booking/free.html", {"form": form, "results": results})


def instrument_feed(request, pk: int):
    instrument = _instrument(pk)
    return _ics(calendar_feed.instrument_calendar(instrument), f"instrument-{instrument.pk}.ics")


def user_feed(request, token: str):
    user = calendar_feed.user_for(token)
    if user is None:
        raise Http404
    return _ics(calendar_feed.user_calendar(user), "my-bookings.ics")


def _ics(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
