"""Pages of supply–demand matching. Views parse input, call one service and render; the rules live in
:mod:`kechuang.demands.services`, the contact rule in :mod:`kechuang.demands.disclosure`."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kechuang.accounts.permissions import acts_for, managed_regions, may_post_demands, operates
from kechuang.core.models import Region
from kechuang.core.params import id_param
from kechuang.core.spreadsheet_cells import GuardedCSVWriter
from kechuang.demands import services
from kechuang.demands.disclosure import contact_for
from kechuang.demands.forms import (
    AgreementForm,
    ClaimProfileForm,
    DemandForm,
    EnrolForm,
    MeetingForm,
    MessageForm,
    MinutesForm,
    PeriodForm,
    PoolForm,
    ReasonForm,
    RequestForm,
    TeamForm,
    VisitForm,
    VisitRecordForm,
)
from kechuang.demands.models import (
    AnswerLink,
    Demand,
    DemandAttachment,
    Engagement,
    EngineerPool,
    ServiceTeam,
    ServiceVisit,
)
from kechuang.demands.queries import (
    SCOPES,
    STRENGTH_LEGEND,
    demand_matches,
    demand_progress,
    expert_inbox,
    funnel,
    picked_enterprises,
    picked_experts,
    stalled_engagements,
)
from kechuang.directory.models import Expert, Organization


def _run(request, action, *args, success: str = "", **kwargs):
    """Call a service as the signed-in user; report refusals as messages. Returns the service's result or
    ``None``."""
    return _report(request, lambda: action(request.user, *args, **kwargs), success)


def _report(request, call, success: str = ""):
    """Run ``call()`` (one service call); report refusals as messages. Returns its result or ``None``."""
    try:
        result = call()
    except services.Refused as error:
        messages.error(request, error.message)
        return None
    except PermissionDenied as error:
        messages.error(request, str(error) or _("无权执行此操作"))
        return None
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return None
    if success:
        messages.success(request, success)
    return result


def _visible_demand(request, pk: int) -> Demand:
    return get_object_or_404(
        Demand.objects.visible_to(request.user).select_related(
            "organization", "region", "industry_chain", "field"
        ),
        pk=pk,
    )


def _visible_engagement(request, pk: int) -> Engagement:
    return get_object_or_404(
        Engagement.objects.visible_to(request.user).select_related(
            "demand__organization", "demand__region", "expert__user", "provider"
        ),
        pk=pk,
    )


def demand_list(request):
    published = (
        Demand.objects.visible_to(request.user)
        .published()
        .select_related("organization", "region", "industry_chain")[:50]
    )
    own = (
        Demand.objects.owned_by(request.user).select_related("organization", "region")
        if request.user.is_authenticated
        else Demand.objects.none()
    )
    return render(request, "demands/demand_list.html", {"published": published, "own": own})


def _member_organizations(user):
    return Organization.objects.filter(memberships__user=user).order_by("name")


@login_required
def demand_edit(request, pk: int | None = None):
    demand = None
    organizations = _member_organizations(request.user)
    if pk is not None:
        demand = get_object_or_404(Demand.objects.owned_by(request.user), pk=pk)
    if not may_post_demands(request.user):
        raise PermissionDenied(_("只有企业成员可以发布需求"))
    initial = DemandForm.initial_from(demand) if demand else {"organization": organizations.first()}
    form = DemandForm(
        request.POST or None, request.FILES or None, initial=initial, organizations=organizations
    )
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("submit") == "1"
        upload = form.cleaned_data.get("attachment")
        try:
            saved = services.post_demand(
                request.user,
                form.cleaned_data["organization"],
                form.to_input(),
                demand,
                uploads=[upload] if upload else [],
                submit=submit,
            )
        except ValidationError as error:  # the service's field errors go next to their fields
            errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
            for name, texts in errors.items():
                form.add_error(name if name in form.fields else None, texts)
        except services.Refused as error:
            messages.error(request, error.message)
        except PermissionDenied as error:
            messages.error(request, str(error) or _("无权执行此操作"))
        else:
            messages.success(
                request, _("需求已提交，等待科协审核。") if submit else _("草稿已保存。")
            )
            return redirect(saved)
    return render(request, "demands/demand_form.html", {"form": form, "demand": demand})


def demand_detail(request, pk: int):
    demand = _visible_demand(request, pk)
    is_member = acts_for(request.user, demand.organization_id)
    is_op = operates(request.user, demand.region)
    scope = request.GET.get("scope", "own")
    scope = scope if scope in SCOPES else "own"
    groups = []
    if demand.status == Demand.Status.PUBLISHED and (is_member or is_op):
        groups = demand_matches(demand, scope)
    engagements = (
        Engagement.objects.visible_to(request.user)
        .filter(demand=demand)
        .select_related("expert", "provider")
    )
    context = {
        "demand": demand,
        "attachments": demand.attachments.all(),
        "is_member": is_member,
        "is_operator": is_op,
        "scope": scope,
        "scopes": SCOPES,
        "groups": groups,
        "strength_legend": STRENGTH_LEGEND,
        "engagements": engagements,
        "progress": demand_progress(demand) if is_member or is_op else [],
        "match_preview": [(group.label, len(group.matches)) for group in groups if group.matches],
        "reason_form": ReasonForm(),
        "actions": dict.fromkeys(services.allowed_demand_actions(request.user, demand), True),
    }
    return render(request, "demands/demand_detail.html", context)


DEMAND_ACTIONS = {
    "submit": (services.submit_demand, False, _("已提交审核")),
    "approve": (services.approve_demand, False, _("需求已发布")),
    "return": (services.return_demand, True, _("需求已退回")),
    "close": (services.close_demand, True, _("需求已关闭")),
}


@require_POST
@login_required
def demand_action(request, pk: int, action: str):
    demand = _visible_demand(request, pk)
    if action not in DEMAND_ACTIONS:
        raise Http404
    service, needs_reason, success = DEMAND_ACTIONS[action]
    args = (request.POST.get("reason", ""),) if needs_reason else ()
    _run(request, service, demand, *args, success=success)
    return redirect(demand)


def attachment_download(request, pk: int):
    attachment = get_object_or_404(DemandAttachment, pk=pk)
    _visible_demand(request, attachment.demand_id)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )


@require_POST
@login_required
def engagement_request(request, pk: int):
    """The enterprise requests a match, or an operator pushes it, depending on who asks."""
    demand = _visible_demand(request, pk)
    form = RequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("对接对象无效"))
        return redirect(demand)
    data = form.cleaned_data
    if acts_for(request.user, demand.organization_id):
        service, success = services.request_engagement, _("对接请求已发送")
    else:
        service, success = services.push_match, _("已推送给双方")
    engagement = _run(
        request,
        service,
        demand,
        data["match_type"],
        data["match_id"],
        data["message"],
        success=success,
    )
    return redirect(engagement or demand)


@login_required
def engagement_list(request):
    engagements = Engagement.objects.visible_to(request.user).select_related(
        "demand__organization", "expert", "provider"
    )[:200]
    return render(request, "demands/engagement_list.html", {"engagements": engagements})


def _engagement_context(request, engagement: Engagement) -> dict:
    user = request.user
    return {
        "engagement": engagement,
        "demand": engagement.demand,
        "events": engagement.events.select_related("actor"),
        "enterprise_contact": contact_for(user, engagement, "enterprise"),
        "supplier_contact": contact_for(user, engagement, "supplier"),
        "is_supplier": engagement.is_supplier(user),
        "is_party": engagement.is_supplier(user)
        or engagement.is_enterprise(user)
        or engagement.is_operator(user),
        "reason_form": ReasonForm(),
        "meeting_form": MeetingForm(),
        "minutes_form": MinutesForm(),
        "agreement_form": AgreementForm(),
        "message_form": MessageForm(),
        "actions": dict.fromkeys(services.allowed_engagement_actions(user, engagement), True),
    }


@login_required
def engagement_detail(request, pk: int):
    engagement = _visible_engagement(request, pk)
    return render(
        request, "demands/engagement_detail.html", _engagement_context(request, engagement)
    )


@require_POST
@login_required
def engagement_action(request, pk: int, action: str):
    engagement = _visible_engagement(request, pk)
    post = request.POST
    if action == "accept":
        _run(request, services.accept_engagement, engagement, success=_("已接受对接"))
    elif action == "decline":
        _run(
            request,
            services.decline_engagement,
            engagement,
            post.get("reason", ""),
            success=_("已婉拒"),
        )
    elif action == "close":
        _run(
            request,
            services.close_engagement,
            engagement,
            post.get("reason", ""),
            success=_("对接已结束"),
        )
    elif action == "message":
        _run(
            request,
            services.post_message,
            engagement,
            post.get("body", ""),
            success=_("留言已发送"),
        )
    elif action == "schedule":
        form = MeetingForm(post)
        if form.is_valid():
            d = form.cleaned_data
            _run(
                request,
                services.schedule_meeting,
                engagement,
                d["at"],
                d["place"],
                d["link"],
                success=_("会谈已约定"),
            )
        else:
            messages.error(request, _("请填写有效的会谈时间与地点"))
    elif action == "held":
        form = MinutesForm(post)
        if form.is_valid():
            d = form.cleaned_data
            _run(
                request,
                services.record_meeting,
                engagement,
                d["minutes"],
                d["attendees"],
                success=_("会谈纪要已保存"),
            )
        else:
            messages.error(request, _("请填写会谈纪要"))
    elif action == "agree":
        form = AgreementForm(post)
        if form.is_valid():
            d = form.cleaned_data
            _run(
                request,
                services.agree_cooperation,
                engagement,
                d["cooperation_mode"],
                d["amount"],
                success=_("已记录合作"),
            )
        else:
            messages.error(request, _("请选择合作方式并填写金额"))
    else:
        raise Http404
    return redirect("demands:engagement", pk=engagement.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def answer_by_link(request, pk: int, token: str):
    """Where an expert without a login lands from the e-mailed link: the demand and the request, the
    enterprise's contact hidden until acceptance (:func:`contact_for` with the link as viewer), and accept
    or decline through the same services as the inbox — or claim the profile with a password and go on
    in the inbox. An unknown or altered token, or one of another engagement, is a 404; a used or expired
    link shows only the request's status."""
    link = get_object_or_404(
        AnswerLink.objects.select_related(
            "engagement__demand__organization",
            "engagement__demand__region",
            "engagement__demand__industry_chain",
            "engagement__expert",
        ),
        token_hash=AnswerLink.hash(token),
        engagement_id=pk,
    )
    engagement = link.engagement
    answered = None
    claim_form = ClaimProfileForm(request.POST if request.POST.get("action") == "claim" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "claim":
            user = None
            if claim_form.is_valid():
                user = _report(
                    request,
                    lambda: services.claim_expert_profile(
                        link, engagement, claim_form.cleaned_data["password1"]
                    ),
                    _("账号已创建，您已登录"),
                )
            if user is not None:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(engagement)
        elif action == "accept":
            answered = _report(
                request,
                lambda: services.accept_engagement(None, engagement, link),
                _("已接受对接"),
            )
        elif action == "decline":
            answered = _report(
                request,
                lambda: services.decline_engagement(
                    None, engagement, request.POST.get("reason", ""), link
                ),
                _("已婉拒"),
            )
        else:
            raise Http404
        engagement = answered or engagement
        link.refresh_from_db(fields=["used_at"])
    usable = link.usable_at(timezone.now())
    context = {
        "link": link,
        "engagement": engagement,
        "demand": engagement.demand,
        "answered": answered is not None,
        "usable": usable,
        "enterprise_contact": contact_for(link, engagement, "enterprise"),
        "claim_form": claim_form,
        "claimable": services.claimable_by_link(link, engagement.expert),
    }
    status = 200 if usable or answered else 410
    return render(request, "demands/answer_by_link.html", context, status=status)


@login_required
def inbox(request):
    """The expert's inbox: requests waiting for an answer, their engagements, and matching demands."""
    expert = Expert.objects.filter(user=request.user).first()
    waiting = (
        Engagement.objects.with_supplier(request.user)
        .filter(status=Engagement.Status.REQUESTED)
        .select_related("demand__organization", "demand__region")
    )
    mine = (
        Engagement.objects.with_supplier(request.user)
        .exclude(status=Engagement.Status.REQUESTED)
        .select_related("demand__organization")[:50]
    )
    items = expert_inbox(expert, request.user) if expert else []
    show_all = request.GET.get("all") == "1"
    weaker = [item for item in items if not item.relevant]
    return render(
        request,
        "demands/inbox.html",
        {
            "expert": expert,
            "waiting": waiting,
            "mine": mine,
            "items": [item for item in items if item.relevant],
            "weaker": weaker if show_all else [],
            "weaker_count": len(weaker),
            "reason_form": ReasonForm(),
        },
    )


def _console_region(request) -> tuple[Region, list]:
    regions = list(
        managed_regions(request.user).filter(level__in=["province", "city", "district"])[:500]
    )
    if not regions:
        raise PermissionDenied(_("运营控制台仅供区域运营方使用"))
    chosen = next((r for r in regions if r.code == request.GET.get("region")), None)
    if chosen is None:  # the highest region the user operates
        chosen = min(regions, key=lambda r: len(r.path))
    return chosen, regions


def _period(request) -> tuple[datetime, datetime, PeriodForm, list[str]]:
    """The console's period: the dates given, an empty end replaced by its default (the last twelve months
    up to today), an invalid pair by both defaults with the reason. The form shows the dates used."""
    today = timezone.localdate()
    data = {"start": today - timedelta(days=365), "end": today}
    errors: list[str] = []
    if {"start", "end"} & request.GET.keys():
        given = PeriodForm(request.GET)
        if given.is_valid():
            chosen = {**data, **{k: v for k, v in given.cleaned_data.items() if v}}
            if chosen["start"] <= chosen["end"]:
                data = chosen
            else:
                errors.append(_("起始日期不能晚于截止日期。"))
        else:
            errors = [text for field_errors in given.errors.values() for text in field_errors]
    tz = timezone.get_current_timezone()
    start = datetime.combine(data["start"], time.min, tzinfo=tz)
    end = datetime.combine(data["end"] + timedelta(days=1), time.min, tzinfo=tz)
    return start, end, PeriodForm(initial=data), errors


@login_required
def console(request):
    """The operator console (精准对接): reviews, open demands with best matches, push (also in bulk),
    stalled engagements and the funnel."""
    region, regions = _console_region(request)
    subtree = region.subtree()
    start, end, period_form, period_errors = _period(request)
    pending = Demand.objects.filter(
        region__in=subtree, status=Demand.Status.PENDING
    ).select_related("organization", "region")
    open_demands = list(
        Demand.objects.filter(region__in=subtree)
        .published()
        .select_related("organization", "region")[:10]
    )
    stages = funnel(subtree, start, end)
    context = {
        "region": region,
        "regions": regions,
        "pending": pending,
        "open_demands": open_demands,
        "stalled": stalled_engagements(subtree, timezone.now())[:50],
        "funnel": stages,
        "funnel_data": [{"name": label, "value": n} for _key, label, n in stages],
        "period_form": period_form,
        "period_errors": period_errors,
    }
    return render(request, "demands/console.html", context)


@login_required
def console_matches(request, pk: int):
    """One open demand's best matches on the console, fetched after the page: ten demands' searches
    would otherwise hold the whole console back for seconds."""
    demand = get_object_or_404(
        Demand.objects.published().select_related("organization", "region"), pk=pk
    )
    if not operates(request.user, demand.region):
        raise PermissionDenied(_("运营控制台仅供区域运营方使用"))
    return render(
        request,
        "demands/_console_matches.html",
        {
            "demand": demand,
            "matches": [
                (group.label, match)
                for group in demand_matches(demand, "own", k=2)
                for match in group.matches
            ],
        },
    )


@require_POST
@login_required
def console_push(request):
    """Push every ticked ``demand:type:id`` match in one action."""
    items = []
    for value in request.POST.getlist("match"):
        parts = value.split(":")
        if len(parts) == 3 and id_param(parts[0]) and id_param(parts[2]):
            items.append((id_param(parts[0]), parts[1], id_param(parts[2])))
    if not items:
        messages.error(request, _("请选择要推送的匹配"))
    for result in services.push_matches(request.user, items, request.POST.get("message", "")):
        if result.engagement:
            messages.success(request, _("已推送：%(e)s") % {"e": result.engagement})
        else:
            messages.error(request, result.error)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "demands:console"
    return redirect(target)


@login_required
def export_engagements(request):
    """Engagements the user may see, as CSV; contact columns follow the disclosure rule row by row."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="engagements.csv"'
    response.write("\ufeff")  # so that Excel opens UTF-8 Chinese correctly
    writer = GuardedCSVWriter(response)
    writer.writerow(
        [
            _("编号"),
            _("需求"),
            _("企业"),
            _("供给方"),
            _("状态"),
            _("发起时间"),
            _("企业联系电话"),
            _("企业联系邮箱"),
            _("供给方联系电话"),
            _("供给方联系邮箱"),
            _("合作金额（元）"),
        ]
    )
    rows = Engagement.objects.visible_to(request.user).select_related(
        "demand__organization", "demand__region", "expert__user", "provider"
    )
    for e in rows:
        enterprise = contact_for(request.user, e, "enterprise")
        supplier = contact_for(request.user, e, "supplier")
        writer.writerow(
            [
                e.pk,
                e.demand.title,
                e.demand.organization.name,
                e.supplier_name,
                e.get_status_display(),
                timezone.localtime(e.requested_at).strftime("%Y-%m-%d %H:%M"),
                enterprise.phone if enterprise else "",
                enterprise.email if enterprise else "",
                supplier.phone if supplier else "",
                supplier.email if supplier else "",
                f"{e.amount:.2f}" if e.amount is not None else "",
            ]
        )
    return response


# --- engineer cloud and service teams ------------------------------------------------------------------


@login_required
def pool_list(request):
    """Operators' engineer pools (工程师对接云), one per industry chain and region, and a form to open one."""
    regions = managed_regions(request.user)
    if not regions.exists():
        raise PermissionDenied(_("仅供区域运营方使用"))
    form = PoolForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        pool = _run(
            request,
            services.create_pool,
            d["industry_chain"],
            d["region"],
            d["name"],
            d["description"],
            success=_("资源池已创建"),
        )
        if pool is not None:
            return redirect(pool)
    pools = (
        EngineerPool.objects.filter(region__in=regions)
        .select_related("industry_chain", "region")
        .annotate(size=Count("members"))
    )
    return render(request, "demands/pool_list.html", {"pools": pools, "form": form})


@login_required
def pool_detail(request, pk: int):
    pool = get_object_or_404(
        EngineerPool.objects.filter(region__in=managed_regions(request.user)).select_related(
            "industry_chain", "region"
        ),
        pk=pk,
    )
    form = EnrolForm(None if request.POST.get("remove") else request.POST or None)
    if request.POST.get("remove"):
        member = get_object_or_404(pool.members, expert_id=id_param(request.POST.get("expert")))
        _run(request, services.remove_engineer, pool, member.expert, success=_("已移出资源池"))
        return redirect(pool)
    if form.is_bound and form.is_valid():
        _run(
            request,
            services.enrol_engineer,
            pool,
            form.cleaned_data["expert"],
            form.cleaned_data["specialities"],
            success=_("已吸纳入池"),
        )
        return redirect(pool)
    members = pool.members.select_related("expert__affiliation", "expert__region")
    return render(
        request, "demands/pool_detail.html", {"pool": pool, "members": members, "form": form}
    )


@login_required
def expert_picker(request):
    """Options for the expert picker of the pool and team forms as one types (see
    :class:`kechuang.demands.forms.ExpertPicker`): for operators and for those who may form a team."""
    if not (managed_regions(request.user).exists() or _team_societies(request.user).exists()):
        raise PermissionDenied(_("仅供区域运营方与学会成员使用"))
    field_name = request.GET.get("field", "")
    if field_name not in ("expert", "experts"):
        raise Http404
    options = picked_experts(
        field_name,
        request.GET.get("multiple") == "1",
        request.GET.getlist(field_name),
        request.GET.get("q", ""),
    )
    return render(request, "demands/_expert_options.html", {"options": options})


@login_required
def enterprise_picker(request):
    """Options for the enterprise picker of the visit form as one types (see
    :class:`kechuang.demands.forms.EnterprisePicker`): for those who may run a team."""
    if not (managed_regions(request.user).exists() or _team_societies(request.user).exists()):
        raise PermissionDenied(_("仅供区域运营方与学会成员使用"))
    if request.GET.get("field") != "enterprise":
        raise Http404
    options = picked_enterprises(
        "enterprise", request.GET.getlist("enterprise"), request.GET.get("q", "")
    )
    return render(request, "demands/_enterprise_options.html", {"options": options})


def _team_societies(user):
    """Societies ``user`` may form teams for: those they are a member of, and those in regions they operate."""
    return (
        Organization.objects.filter(kind=Organization.Kind.SOCIETY)
        .filter(Q(memberships__user=user) | Q(region__in=managed_regions(user)))
        .distinct()
    )


def team_list(request):
    teams = ServiceTeam.objects.select_related("society").annotate(
        visit_count=Count("visits", distinct=True), member_count=Count("members", distinct=True)
    )[:100]
    form = None
    if request.user.is_authenticated:
        societies = _team_societies(request.user)
        if societies.exists():
            form = TeamForm(request.POST or None, societies=societies)
            if request.method == "POST" and form.is_valid():
                d = form.cleaned_data
                team = _run(
                    request,
                    services.create_team,
                    d["society"],
                    d["name"],
                    list(d["experts"]),
                    d["description"],
                    success=_("服务团已组建"),
                )
                if team is not None:
                    return redirect(team)
    return render(request, "demands/team_list.html", {"teams": teams, "form": form})


def team_detail(request, pk: int):
    team = get_object_or_404(ServiceTeam.objects.select_related("society"), pk=pk)
    may_run = request.user.is_authenticated and (
        acts_for(request.user, team.society_id) or operates(request.user, team.society.region)
    )
    visit_form = VisitForm(request.POST if request.POST.get("action") == "plan" else None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        action = request.POST.get("action")
        if action == "plan" and visit_form.is_valid():
            _run(
                request,
                services.plan_visit,
                team,
                visit_form.cleaned_data["enterprise"],
                visit_form.cleaned_data["planned_on"],
                success=_("走访已计划"),
            )
        elif action in ("record", "cancel"):
            visit = get_object_or_404(
                ServiceVisit, pk=id_param(request.POST.get("visit")), team=team
            )
            if action == "cancel":
                _run(
                    request,
                    services.cancel_visit,
                    visit,
                    request.POST.get("reason", ""),
                    success=_("走访已取消"),
                )
            else:
                form = VisitRecordForm(request.POST)
                if form.is_valid():
                    d = form.cleaned_data
                    _run(
                        request,
                        services.record_visit,
                        visit,
                        d["visited_on"],
                        d["outcomes"],
                        d["demands"],
                        success=_("走访已记录"),
                    )
                else:
                    messages.error(request, _("请填写走访日期与成效"))
        else:  # an unknown action, or a visit plan without a valid enterprise and date
            texts = [text for field_errors in visit_form.errors.values() for text in field_errors]
            for text in texts or [_("请选择走访企业并填写计划日期。")]:
                messages.error(request, text)
        return redirect(team)
    # The demands a visit collected link only where the viewer may read them (a collected demand is a
    # draft until its enterprise submits it and an operator publishes it); the others are only counted.
    visits = (
        team.visits.select_related("enterprise")
        .annotate(collected_count=Count("collected_demands"))
        .prefetch_related(
            Prefetch(
                "collected_demands",
                queryset=Demand.objects.visible_to(request.user).order_by("pk"),
                to_attr="visible_demands",
            )
        )
    )
    for visit in visits:
        visit.hidden_demand_count = visit.collected_count - len(visit.visible_demands)
    context = {
        "team": team,
        "members": team.members.select_related("affiliation"),
        "visits": visits,
        "may_run": may_run,
        "visit_form": visit_form,
        "record_form": VisitRecordForm(),
    }
    return render(request, "demands/team_detail.html", context)
