"""Pages of the pilot indicators: the board (比拼), an indicator, a figure's lineage, the review queue of
manual values, signed projects and the cultivation ladder. Views parse input, call
:mod:`kechuang.indicators.services` and render; a refusal comes back as a message on the same page."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import is_operator, managed_regions, operates
from kechuang.core.feedback import attempt
from kechuang.core.models import Region
from kechuang.directory.models import Organization, TierRecord
from kechuang.indicators import queries, reports, services
from kechuang.indicators.forms import (
    AdvanceForm,
    EventForm,
    IndicatorForm,
    ManualValueForm,
    PlanForm,
    ProjectForm,
    RejectForm,
    TargetForm,
    TierStepForm,
    VisitForm,
)
from kechuang.indicators.models import (
    CultivationPlan,
    Indicator,
    ManualValue,
    SignedProject,
    SigningEvent,
    Track,
)

MONTHS = range(1, 13)


def _operator(request) -> None:
    if not is_operator(request.user):
        raise PermissionDenied


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _region_param(request, name: str = "region", *, query_only: bool = False) -> Region | None:
    """The region named by a form field (on a POST) or the query string."""
    posted = request.method == "POST" and name in request.POST and not query_only
    try:
        pk = int((request.POST if posted else request.GET).get(name, ""))
    except ValueError:
        return None
    return Region.objects.filter(pk=pk).first()


def lineage_url(indicator_id: int, region_id: int, year: int, month: int | None = None) -> str:
    params = {"region": region_id, "year": year}
    if month:
        params["month"] = month
    return reverse("indicators:lineage", args=[indicator_id]) + "?" + urlencode(params)


def _scope(request) -> tuple[list[Region], Region | None]:
    scopes = list(queries.visible_scopes(request.user))
    wanted = _region_param(request)
    if wanted is not None and operates(request.user, wanted):
        if wanted not in scopes:
            scopes.append(wanted)
        return scopes, wanted
    return scopes, scopes[0] if scopes else None


def _month_labels() -> list[str]:
    return [_("%(m)s月") % {"m": m} for m in MONTHS]


@login_required
def board(request):
    """The 比拼 board: each district's completion per indicator and overall, ranked, with trends."""
    _operator(request)
    scopes, scope = _scope(request)
    year = _year(request)
    context = {"scopes": scopes, "scope": scope, "year": year, "years": _years(year)}
    if scope is None:
        return render(request, "indicators/board.html", context)
    b = queries.board(scope, year)
    matrix = []
    for indicator in b.indicators:
        by_region = {c.region.pk: c for c in b.by_indicator.get(indicator.pk, [])}
        cells = [
            (by_region[unit.region.pk], lineage_url(indicator.pk, unit.region.pk, year))
            for unit in b.units
        ]
        page = reverse("indicators:indicator", args=[indicator.pk])
        matrix.append((indicator, f"{page}?region={scope.pk}&year={year}", cells))
    by_code = sorted(b.units, key=lambda u: u.region.code)
    score_rows = [{"name": u.region.name, "value": float(u.score)} for u in b.units]
    trend = {
        "categories": _month_labels()[: max(b.elapsed, 1)],
        "series": [
            {
                "name": u.region.name,
                "data": [
                    float(s) if (s := u.score_at(m)) is not None else None
                    for m in range(1, max(b.elapsed, 1) + 1)
                ],
            }
            for u in by_code
        ],
    }
    context.update(
        board=b,
        matrix=matrix,
        score_rows=score_rows,
        trend=trend,
        may_define=operates(request.user, scope),
    )
    return render(request, "indicators/board.html", context)


def _years(year: int) -> list[int]:
    this = timezone.localdate().year
    return sorted({this - 2, this - 1, this, year}, reverse=True)


@login_required
def indicator_detail(request, pk: int):
    """One indicator across a region's districts: figures, monthly and yearly trends, targets, entries."""
    _operator(request)
    indicator = get_object_or_404(Indicator.objects.select_related("region"), pk=pk)
    scope = _region_param(request, query_only=True) or indicator.region
    if not operates(request.user, scope):
        scope = next(
            (
                r
                for r in managed_regions(request.user).order_by("path")
                if r.path.startswith(indicator.region.path)
            ),
            None,
        )
        if scope is None:
            raise PermissionDenied
    year = _year(request)
    if request.method == "POST":
        _indicator_post(request, indicator, scope)
        return redirect(
            reverse("indicators:indicator", args=[pk])
            + "?"
            + urlencode({"region": scope.pk, "year": year})
        )
    b = queries.board(scope, year, only=[indicator])
    cells = b.by_indicator.get(indicator.pk, [])
    units = [c.region for c in cells]
    monthly = {
        "categories": _month_labels(),
        "series": [
            {
                "name": c.region.name,
                "data": [float(v) if v is not None else None for v in c.cumulative],
                "urls": [lineage_url(indicator.pk, c.region.pk, year, m) for m in MONTHS],
            }
            for c in cells
        ],
    }
    years = sorted(_years(year))
    trend_data = queries.years_trend(indicator, scope, years)
    yearly = {
        "categories": [str(y) for y in years],
        "series": [
            {
                "name": u.name,
                "data": [float(trend_data[y].get(u.pk, 0)) for y in years],
                "urls": [lineage_url(indicator.pk, u.pk, y) for y in years],
            }
            for u in units
        ],
    }
    entries = (
        ManualValue.objects.filter(indicator=indicator, region__path__startswith=scope.path)
        .select_related("region", "entered_by", "approved_by")
        .order_by("-entered_at")[:30]
        if indicator.is_manual
        else []
    )
    context = {
        "indicator": indicator,
        "scope": scope,
        "year": year,
        "years": _years(year),
        "cells": [(c, lineage_url(indicator.pk, c.region.pk, year)) for c in cells],
        "monthly": monthly,
        "yearly": yearly,
        "entries": [(e, services.check_review(request.user, e)) for e in entries],
        "value_form": ManualValueForm(initial={"year": year, "month": timezone.localdate().month}),
        "entry_regions": [r for r in [scope, *units] if operates(request.user, r)],
        "unit_regions": units,
        "money_unit": indicator.money,
        "source_label": indicator.source_label,
    }
    return render(request, "indicators/indicator.html", context)


def _indicator_post(request, indicator: Indicator, scope: Region) -> None:
    action = request.POST.get("action")
    if action == "target":
        form = TargetForm(request.POST)
        region = _region_param(request)
        if not form.is_valid() or region is None:
            messages.error(request, _("请填写有效的目标值（不小于 0 的数字）"))
            return
        d = form.cleaned_data
        attempt(
            request,
            lambda: services.set_target(request.user, indicator, region, d["year"], d["value"]),
            _("目标已保存"),
        )
    elif action == "enter":
        form = ManualValueForm(request.POST)
        region = _region_param(request)
        if not form.is_valid() or region is None:
            errors = "；".join(
                f"{form.fields[f].label}：{e[0]}"
                for f, e in form.errors.items()
                if f in form.fields
            )
            messages.error(request, errors or _("请检查填写的内容"))
            return
        d = form.cleaned_data
        attempt(
            request,
            lambda: services.enter_value(
                request.user,
                indicator,
                region,
                year=d["year"],
                month=d["month"],
                value=d["value"],
                evidence=d["evidence"],
                evidence_url=d["evidence_url"],
            ),
            _("已提交，待另一位工作人员审核后计入"),
        )
    elif action in ("approve", "reject"):
        _review(request, action)


def _review(request, action: str) -> None:
    try:
        entry = ManualValue.objects.select_related("region", "indicator").get(
            pk=int(request.POST.get("entry", ""))
        )
    except (ValueError, ManualValue.DoesNotExist):
        raise Http404 from None
    if action == "approve":
        attempt(
            request, lambda: services.approve_value_safely(request.user, entry), _("已审核通过")
        )
    else:
        form = RejectForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写退回原因"))
            return
        attempt(
            request,
            lambda: services.reject_value(request.user, entry, form.cleaned_data["reason"]),
            _("已退回"),
        )


@login_required
def review_queue(request):
    """Manual values waiting for a second person (four eyes)."""
    _operator(request)
    if request.method == "POST":
        _review(request, request.POST.get("action", ""))
        return redirect("indicators:review")
    entries = (
        ManualValue.objects.filter(
            status=ManualValue.Status.PENDING, region__in=managed_regions(request.user)
        )
        .select_related("indicator", "region", "entered_by")
        .order_by("entered_at")
    )
    return render(
        request,
        "indicators/review.html",
        {"entries": [(e, services.check_review(request.user, e)) for e in entries[:200]]},
    )


@login_required
def lineage(request, pk: int):
    """The records behind one figure, with links; a manual figure's evidence, author and approver."""
    _operator(request)
    indicator = get_object_or_404(Indicator.objects.select_related("region"), pk=pk)
    region = _region_param(request)
    if region is None or not operates(request.user, region):
        raise PermissionDenied
    year = _year(request)
    try:
        month = int(request.GET.get("month", "") or 0) or None
    except ValueError:
        month = None
    if month is not None and not 1 <= month <= 12:
        month = None
    found = queries.lineage(indicator, region, year, month)
    page = None
    rows = []
    if found.records is not None:
        paginator = Paginator(found.records, 50)
        if not found.source.sums:
            paginator.count = int(found.value)  # the figure is the count: no second COUNT query
        page = paginator.get_page(request.GET.get("page"))
        rows = found.rows(page.object_list)
    return render(
        request,
        "indicators/lineage.html",
        {
            "indicator": indicator,
            "region": region,
            "year": year,
            "month": month,
            "found": found,
            "page": page,
            "rows": rows,
            "source": found.source,
            "back": reverse("indicators:indicator", args=[pk])
            + "?"
            + urlencode({"region": region.pk, "year": year}),
        },
    )


@login_required
def define(request):
    """Define an indicator for a region the operator runs."""
    _operator(request)
    regions = list(
        managed_regions(request.user)
        .exclude(level=Region.Level.PROVINCE)
        .select_related("parent__parent")
        .order_by("path")[:200]
    )
    form = IndicatorForm(request.POST or None)
    if request.method == "POST":
        region = _region_param(request)
        if region is None or not operates(request.user, region):
            messages.error(request, _("请选择您负责的区域"))
        elif form.is_valid():
            d = form.cleaned_data
            indicator = None

            def act():
                nonlocal indicator
                indicator = services.define_indicator(
                    request.user,
                    region,
                    code=d["code"],
                    name=d["name"],
                    unit=d["unit"],
                    source=d["source"],
                    direction=d["direction"],
                    is_core=d["is_core"],
                    money=d["money"],
                    aggregation=d["aggregation"] or Indicator.Aggregation.SUM,
                    description=d["description"],
                    position=d["position"] or 0,
                )

            if attempt(request, act, _("指标已保存")):
                return redirect(indicator.get_absolute_url() + f"?region={region.pk}")
    indicators = Indicator.objects.filter(region__in=managed_regions(request.user)).select_related(
        "region"
    )
    return render(
        request,
        "indicators/define.html",
        {"form": form, "regions": regions, "indicators": indicators},
    )


# --- reports -----------------------------------------------------------------------------------------


def _report_scope(request) -> tuple[Region, int]:
    _operator(request)
    region = _region_param(request)
    if region is None or not operates(request.user, region):
        raise PermissionDenied
    return region, _year(request)


@login_required
def report_xlsx(request):
    region, year = _report_scope(request)
    data = reports.xlsx_report(region, year, base_url=request.build_absolute_uri("/")[:-1])
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="indicators-{region.code}-{year}.xlsx"'
    return response


@login_required
def report_pdf(request):
    region, year = _report_scope(request)
    data = reports.pdf_report(region, year, base_url=request.build_absolute_uri("/")[:-1])
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="indicators-{region.code}-{year}.pdf"'
    return response


# --- signed projects ---------------------------------------------------------------------------------


@login_required
def events(request):
    _operator(request)
    regions = managed_regions(request.user)
    form = EventForm(request.POST or None)
    if request.method == "POST":
        region = _region_param(request)
        if region is None or not operates(request.user, region):
            messages.error(request, _("请选择您负责的区域"))
        elif form.is_valid():
            d = form.cleaned_data
            created = []
            if attempt(
                request,
                lambda: created.append(
                    services.create_event(
                        request.user,
                        region,
                        name=d["name"],
                        held_on=d["held_on"],
                        venue=d["venue"],
                        description=d["description"],
                    )
                ),
                _("签约活动已创建"),
            ):
                return redirect(created[0].get_absolute_url())
    items = (
        SigningEvent.objects.filter(region__in=regions)
        .select_related("region")
        .annotate(
            n=Count("projects"),
            started=Count("projects", filter=Q(projects__started_on__isnull=False)),
            stalled=Count("projects", filter=Q(projects__status=SignedProject.Status.STALLED)),
        )
    )
    return render(
        request,
        "indicators/events.html",
        {
            "events": items,
            "form": form,
            "regions": regions.exclude(level=Region.Level.PROVINCE)
            .select_related("parent__parent")
            .order_by("path")[:200],
        },
    )


@login_required
def event_detail(request, pk: int):
    _operator(request)
    event = get_object_or_404(SigningEvent.objects.select_related("region"), pk=pk)
    if not operates(request.user, event.region):
        raise PermissionDenied
    form = ProjectForm(request.POST or None, initial={"region": event.region_id})
    if request.method == "POST":
        region = _region_param(request)
        if region is None:
            messages.error(request, _("请选择落地区域"))
        elif form.is_valid():
            d = form.cleaned_data
            if attempt(
                request,
                lambda: services.add_project(
                    request.user,
                    event,
                    name=d["name"],
                    kind=d["kind"],
                    parties=d["parties"],
                    region=region,
                    amount=d["amount"],
                ),
                _("项目已加入签约批次"),
            ):
                return redirect(event.get_absolute_url())
    projects = event.projects.select_related("region")
    by_kind = {}
    by_status = {}
    for p in projects:
        by_kind[p.get_kind_display()] = by_kind.get(p.get_kind_display(), 0) + 1
        by_status[p.get_status_display()] = by_status.get(p.get_status_display(), 0) + 1
    return render(
        request,
        "indicators/event.html",
        {
            "event": event,
            "projects": projects,
            "form": form,
            "regions": Region.objects.filter(path__startswith=event.region.path).order_by("path"),
            "by_kind": list(by_kind.items()),
            "by_status": list(by_status.items()),
            "total": sum((p.amount or 0) for p in projects),
        },
    )


@login_required
def project_detail(request, pk: int):
    _operator(request)
    project = get_object_or_404(SignedProject.objects.select_related("event", "region"), pk=pk)
    if not operates(request.user, project.region):
        raise PermissionDenied
    if request.method == "POST":
        form = AdvanceForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            attempt(
                request,
                lambda: services.advance_project(
                    request.user, project, d["status"], on=d["on"], reason=d["reason"]
                ),
                _("进展已更新"),
            )
        else:
            messages.error(request, _("请选择新进展并填写有效日期"))
        return redirect(project.get_absolute_url())
    from kechuang.core.models import AuditEntry

    history = (
        AuditEntry.objects.filter(target_type="indicators.signedproject", target_id=str(project.pk))
        .select_related("actor")
        .order_by("at")
    )
    nexts = services.next_statuses(project)
    return render(
        request,
        "indicators/project.html",
        {
            "project": project,
            "history": history,
            "next_choices": [(s, SignedProject.Status(s).label) for s in nexts],
            "today": timezone.localdate(),
        },
    )


# --- cultivation ladder ------------------------------------------------------------------------------


@login_required
def ladder(request):
    """The three cultivation lists of a region, and the tier flows per year."""
    _operator(request)
    regions = managed_regions(request.user)
    scope = _region_param(request)
    if scope is None or not operates(request.user, scope):
        scope = regions.order_by("path").first()
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            text = d["organization"].strip()
            organization = (
                Organization.objects.filter(
                    region__path__startswith=scope.path, kind=Organization.Kind.ENTERPRISE
                )
                .filter(Q(name=text) | Q(credit_code=text.upper()))
                .select_related("region")
                .first()
            )
            officer = (
                get_user_model().objects.filter(pk=d["officer"]).first() if d["officer"] else None
            )
            if organization is None:
                messages.error(
                    request,
                    _("本区域没有名为“%(t)s”的企业，请输入企业全称或统一社会信用代码")
                    % {"t": text},
                )
            else:
                created = []
                if attempt(
                    request,
                    lambda: created.append(
                        services.open_plan(
                            request.user,
                            organization,
                            goals=d["goals"],
                            target_year=d["target_year"],
                            officer=officer,
                        )
                    ),
                    _("已列入培育清单"),
                ):
                    return redirect(created[0].get_absolute_url())
        else:
            messages.error(request, _("请填写企业、培育目标和目标年度"))
        return redirect(reverse("indicators:ladder") + f"?region={scope.pk}")
    track = request.GET.get("track") if request.GET.get("track") in Track.values else Track.MICRO
    plans = (
        CultivationPlan.objects.filter(organization__region__path__startswith=scope.path)
        .select_related("organization__region", "officer")
        .annotate(visits_n=Count("visits"), last_visit=Max("visits__visited_on"))
    )
    counts = dict(plans.values_list("track").annotate(n=Count("pk")).values_list("track", "n"))
    listed = Paginator(plans.filter(track=track).order_by("organization__name"), 50).get_page(
        request.GET.get("page")
    )
    flows = tier_flows(scope)
    officers = (
        get_user_model()
        .objects.filter(mandates__region__path__in=[p for p in _ancestor_paths(scope)])
        .distinct()
    )
    return render(
        request,
        "indicators/ladder.html",
        {
            "scope": scope,
            "scopes": regions.exclude(level=Region.Level.PROVINCE)
            .select_related("parent__parent")
            .order_by("path")[:200],
            "tracks": [(t, label, counts.get(t, 0)) for t, label in Track.choices],
            "track": track,
            "page": listed,
            "flows": flows,
            "officers": officers,
            "form": PlanForm(initial={"target_year": timezone.localdate().year + 1}),
        },
    )


def _ancestor_paths(region: Region) -> list[str]:
    codes = [c for c in region.path.split("/") if c]
    return ["".join(f"{c}/" for c in codes[: n + 1]) for n in range(len(codes))]


def tier_flows(scope: Region, years: int = 6) -> dict:
    """Firms recognised at each tier per year in ``scope`` (the steps up the ladder), one query."""
    last = timezone.localdate().year
    first = last - years + 1
    rows = (
        TierRecord.objects.filter(
            organization__region__path__startswith=scope.path,
            recognized_on__gte=datetime.date(first, 1, 1),
        )
        .values_list("tier", "recognized_on__year")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {(tier, year): n for tier, year, n in rows}
    labels = {
        "tech_sme": _("未入库 → 科技型中小企业"),
        "high_tech": _("科技型中小企业 → 高新技术企业"),
        "leader": _("高新技术企业 → 创新型领军企业"),
    }
    return {
        "categories": [str(y) for y in range(first, last + 1)],
        "series": [
            {
                "name": str(labels[tier]),
                "data": [counts.get((tier, y), 0) for y in range(first, last + 1)],
            }
            for tier in ("tech_sme", "high_tech", "leader")
        ],
    }


@login_required
def plan_detail(request, pk: int):
    _operator(request)
    plan = get_object_or_404(
        CultivationPlan.objects.select_related("organization__region", "officer"), pk=pk
    )
    region = plan.organization.region
    if not operates(request.user, region):
        raise PermissionDenied
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "visit":
            form = VisitForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                attempt(
                    request,
                    lambda: services.record_visit(
                        request.user, plan, visited_on=d["visited_on"], notes=d["notes"]
                    ),
                    _("走访已记录"),
                )
            else:
                messages.error(request, _("请填写走访日期和走访记录"))
        elif action == "officer":
            officer = get_user_model().objects.filter(pk=request.POST.get("officer") or 0).first()
            attempt(
                request,
                lambda: services.assign_officer(request.user, plan, officer),
                _("服务专员已指定"),
            )
        elif action == "tier":
            form = TierStepForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                attempt(
                    request,
                    lambda: services.record_tier_step(
                        request.user, plan.organization, d["tier"], recognized_on=d["recognized_on"]
                    ),
                    _("认定已登记"),
                )
            else:
                messages.error(request, _("请选择认定梯次和日期"))
        return redirect(plan.get_absolute_url())
    officers = (
        get_user_model()
        .objects.filter(mandates__region__path__in=_ancestor_paths(region))
        .distinct()
    )
    return render(
        request,
        "indicators/plan.html",
        {
            "plan": plan,
            "visits": plan.visits.select_related("officer"),
            "history": plan.organization.tier_records.order_by("recognized_on"),
            "officers": officers,
            "visit_form": VisitForm(initial={"visited_on": timezone.localdate()}),
            "tier_form": TierStepForm(initial={"recognized_on": timezone.localdate()}),
        },
    )
