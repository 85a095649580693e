"""Pages of the challenge cycle. Views parse input, call :mod:`kechuang.challenges.services` and render;
a refused action comes back as a message on the same page."""

import datetime
import functools
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kechuang.accounts.permissions import acts_for, is_operator, managed_regions, operates
from kechuang.challenges import consortium, queries, services
from kechuang.challenges.forms import (
    ApplicationForm,
    DepartmentProposalForm,
    FinalAcceptanceForm,
    ListForm,
    MemberForm,
    ProposalForm,
    ScoreForm,
    SignForm,
)
from kechuang.challenges.models import (
    Agreement,
    Application,
    Challenge,
    ChallengeList,
    ConsortiumMember,
    Milestone,
    Objection,
    PanelSeat,
    ReviewRound,
    Score,
    Tranche,
)
from kechuang.core.models import TechField
from kechuang.core.params import id_param
from kechuang.core.spreadsheet_cells import GuardedCSVWriter
from kechuang.directory.models import Organization


def _post_only(target, message):
    """For a URL that only acts on POST: a GET (a bookmark, a reload, a shared link) goes to the page
    where the action lives, ``target(request, **kwargs)``, with ``message`` saying what to do there,
    instead of a bare 405."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method != "POST":
                messages.info(request, message)
                return redirect(target(request, **kwargs))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _to_challenge(request, pk: int):
    return get_object_or_404(Challenge, pk=pk)


def _to_application(request, pk: int):
    return get_object_or_404(Application, pk=pk)


def _to_member_application(request, pk: int):
    return get_object_or_404(ConsortiumMember, pk=pk).application


def _to_objection_list(request, pk: int):
    return get_object_or_404(Application, pk=pk).challenge.challenge_list


def _attempt(request, action) -> None:
    """Run a service call; a refusal becomes an error message on the next page."""
    try:
        action()
    except services.Refused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("操作成功"))


# --- public ---------------------------------------------------------------------------------------


def index(request):
    now = timezone.now()
    lists = list(ChallengeList.objects.public().select_related("region"))
    for challenge_list in lists:
        challenge_list.current_phase = challenge_list.phase(now)
    return render(request, "challenges/index.html", {"lists": lists})


def list_detail(request, pk: int):
    challenge_list = get_object_or_404(ChallengeList.objects.public(), pk=pk)
    now = timezone.now()
    winners = Application.objects.filter(
        challenge__challenge_list=challenge_list,
        status__in=[Application.Status.SELECTED, Application.Status.CONTRACTED],
    ).select_related("lead", "challenge")
    return render(
        request,
        "challenges/list_detail.html",
        {
            "challenge_list": challenge_list,
            "tasks": queries.list_tasks(challenge_list),
            "total": queries.list_bounty(challenge_list),
            "window_open": challenge_list.window_is_open(now),
            "phase": challenge_list.phase(now),
            "window_over": now >= challenge_list.window_closes_at,
            "winners": winners,
            "objections_open": challenge_list.status == ChallengeList.Status.ANNOUNCED
            and now < challenge_list.objection_ends_at,
        },
    )


def challenge_detail(request, pk: int):
    challenge = get_object_or_404(
        Challenge.objects.in_list().exclude(challenge_list__status=ChallengeList.Status.DRAFT),
        pk=pk,
    )
    organizations = (
        Organization.objects.filter(memberships__user=request.user)
        if request.user.is_authenticated
        else Organization.objects.none()
    )
    phase = challenge.challenge_list.phase(timezone.now())
    mine = (
        Application.objects.filter(
            challenge=challenge,
            members__organization__in=organizations,
            members__withdrawn=False,
        )
        .select_related("lead")
        .distinct()
    )
    suggestions = []
    if request.user.is_authenticated and phase == "open" and request.GET.get("consortium"):
        suggestions = consortium.suggest_for_challenge(challenge)
        records = queries.records_for_hits([m for s in suggestions for m in s.members])
        for suggestion in suggestions:
            suggestion.records = [records.get(m, m) for m in suggestion.members]
            for coverage in suggestion.coverage:
                coverage.record = records.get(coverage.member, coverage.member)
    return render(
        request,
        "challenges/challenge_detail.html",
        {
            "challenge": challenge,
            "window_open": phase == "open",
            "phase": phase,
            "challenge_list": challenge.challenge_list,
            "organizations": organizations,
            "mine": mine,
            "modes": Application.Mode.choices,
            "suggestions": suggestions,
        },
    )


def results(request):
    solved = (
        Challenge.objects.solved()
        .select_related("challenge_list", "agreement__application__lead")
        .prefetch_related("agreement__indicator_results__indicator")
    )
    return render(request, "challenges/results.html", {"solved": solved})


def report(request, pk: int):
    challenge_list = get_object_or_404(ChallengeList.objects.public(), pk=pk)
    return render(
        request,
        "challenges/report.html",
        {"challenge_list": challenge_list, "report": queries.list_report(challenge_list)},
    )


@_post_only(_to_objection_list, _lazy("如对公示结果有异议，请在榜单页面的公示栏中填写并提交。"))
@login_required
def object_to(request, pk: int):
    application = get_object_or_404(Application, pk=pk)
    _attempt(
        request,
        lambda: services.file_objection(
            request.user, application, text=request.POST.get("text", "")
        ),
    )
    return redirect(application.challenge.challenge_list)


# --- proposing and applying -----------------------------------------------------------------------


def _proposed(request, form: ProposalForm) -> bool:
    """Propose the task of a valid, posted form in its proposer's region; a refusal becomes a form
    error. Whether it was proposed."""
    if not (request.method == "POST" and form.is_valid()):
        return False
    data = dict(form.cleaned_data)
    proposer = data.pop("proposer")
    try:
        services.propose_challenge(request.user, region=proposer.region, proposer=proposer, **data)
    except services.Refused as error:
        form.add_error(None, str(error))
        return False
    return True


@login_required
def propose(request):
    organizations = Organization.objects.filter(memberships__user=request.user)
    form = ProposalForm(request.POST or None, organizations=organizations)
    if _proposed(request, form):
        messages.success(request, _("任务已提交，等待运营人员审核入榜"))
        return redirect("challenges:index")
    return render(request, "challenges/propose.html", {"form": form})


@login_required
def propose_for_department(request):
    """An operator proposes a task for a department of their region tree; it waits on the management
    page of a draft list to be put on it."""
    _operator_only(request)
    form = DepartmentProposalForm(request.POST or None, operator=request.user)
    if _proposed(request, form):
        messages.success(request, _("任务已登记，可在草稿榜单的管理页面审核入榜"))
        return redirect("challenges:manage")
    return render(
        request,
        "challenges/propose.html",
        {"form": form, "heading": _("为部门提出攻关任务")},
    )


@_post_only(_to_challenge, _lazy("请在任务页面选择揭榜方式，再点击“开始填写申请”。"))
@login_required
def apply(request, pk: int):
    challenge = get_object_or_404(Challenge, pk=pk)
    lead = get_object_or_404(Organization, pk=id_param(request.POST.get("lead")))
    try:
        application = services.start_application(
            request.user, challenge, lead, mode=request.POST.get("mode", "alone")
        )
    except services.Refused as error:
        messages.error(request, str(error))
        return redirect(challenge)
    return redirect(application)


def _application_for(request, pk: int) -> Application:
    """Applications are seen by their members' users and by the list's operators."""
    application = get_object_or_404(
        Application.objects.select_related("challenge__challenge_list", "lead"), pk=pk
    )
    if not queries.application_readable_by(request.user, application):
        raise PermissionDenied
    return application


@login_required
def application_detail(request, pk: int):
    application = _application_for(request, pk)
    lead = acts_for(request.user, application.lead_id)
    editable = application.status == Application.Status.DRAFT and lead
    form = ApplicationForm(
        initial={
            "mode": application.mode,
            "technical_route": application.technical_route,
            "budget_total": application.budget_total or None,
            "declaration_accepted": application.declaration_accepted,
            "team": list(application.team.values("name", "title", "affiliation", "duty")),
            "plan": list(application.plan.values("title", "months", "deliverable")),
        }
    )
    member_form = MemberForm(application=application)
    if request.method == "POST" and editable:
        op = request.POST.get("op")
        if op == "save":
            form = ApplicationForm(request.POST)
            if form.is_valid():
                _attempt(
                    request,
                    lambda: services.save_application(
                        request.user, application, **form.cleaned_data
                    ),
                )
                return redirect(application)
        elif op == "member":
            member_form = MemberForm(request.POST, application=application)
            if member_form.is_valid():
                data = member_form.cleaned_data
                _attempt(
                    request,
                    lambda: services.save_member(
                        request.user, application, data.pop("organization"), **data
                    ),
                )
                return redirect(application)
            messages.error(request, _("成员信息不完整，请按提示修改。"))
        elif op == "remove":
            member = get_object_or_404(
                ConsortiumMember, pk=id_param(request.POST.get("member")), application=application
            )
            _attempt(request, lambda: services.remove_member(request.user, member))
            return redirect(application)
        elif op == "submit":
            _attempt(request, lambda: services.submit_application(request.user, application))
            return redirect(application)
    suggestions = []
    if editable:
        from kechuang.search.indexing import search

        hits = search(
            f"{application.challenge.title} {application.challenge.problem}",
            types=["expert", "organization"],
            k=6,
            diversify=1,
        )
        records = queries.records_for_hits([h.id for h in hits])
        suggestions = [(records[h.id], h) for h in hits if h.id in records]
    members = sorted(
        application.members.select_related("organization"),
        key=lambda m: m.role != ConsortiumMember.Role.LEAD,
    )
    return render(
        request,
        "challenges/application.html",
        {
            "application": application,
            "editable": editable,
            "form": form,
            "member_form": member_form,
            "members": members,
            "to_confirm": [
                m
                for m in members
                if application.status == Application.Status.DRAFT
                and m.confirmed_at is None
                and acts_for(request.user, m.organization_id)
            ],
            "problems": services.submission_problems(application) if editable else [],
            "withdrawable": lead
            and not services.withdrawal_refusal(application, application.challenge.challenge_list),
            "suggestions": suggestions,
            "scores": Score.objects.visible_to(request.user)
            .filter(application=application)
            .select_related("round"),
        },
    )


@_post_only(_to_application, _lazy("撤回申请请在申请页面填写原因后点击“撤回申请”。"))
@login_required
def withdraw(request, pk: int):
    application = _application_for(request, pk)
    _attempt(
        request,
        lambda: services.withdraw_application(
            request.user, application, reason=request.POST.get("reason", "")
        ),
    )
    return redirect(application)


@_post_only(_to_member_application, _lazy("请在申请页面点击“确认参与”。"))
@login_required
def confirm_member(request, pk: int):
    member = get_object_or_404(ConsortiumMember, pk=pk)
    _attempt(request, lambda: services.confirm_participation(request.user, member))
    return redirect(member.application)


@login_required
def organization_picker(request):
    """Options for the consortium member picker as one types (see
    :class:`kechuang.challenges.forms.OrganizationPicker`); with ``application``, that draft's lead leaves
    out the organisations already in it."""
    field_name = request.GET.get("field", "")
    if field_name != "organization":
        raise Http404
    exclude = []
    application = Application.objects.filter(pk=id_param(request.GET.get("application"))).first()
    if application is not None and acts_for(request.user, application.lead_id):
        exclude = list(application.members.values_list("organization_id", flat=True))
    options = queries.picked_organizations(
        field_name, request.GET.get(field_name, ""), request.GET.get("q", ""), exclude
    )
    return render(request, "challenges/_organization_options.html", {"options": options})


# --- operators ------------------------------------------------------------------------------------


def _operator_only(request) -> None:
    if not is_operator(request.user):
        raise PermissionDenied


@login_required
def manage(request):
    _operator_only(request)
    form = ListForm(request.POST or None)
    regions = managed_regions(request.user)
    if request.method == "POST" and form.is_valid():
        region = regions.filter(pk=id_param(request.POST.get("region"))).first()
        if region is None:
            form.add_error(None, _("请选择您运营的区域"))
        else:
            try:
                challenge_list = services.create_list(
                    request.user, region=region, **form.cleaned_data
                )
            except services.Refused as error:
                form.add_error(None, str(error))
            else:
                return redirect("challenges:manage_list", challenge_list.pk)
    return render(
        request,
        "challenges/manage.html",
        {
            "form": form,
            "regions": regions,
            "lists": ChallengeList.objects.managed_by(request.user),
        },
    )


def _list_action(request, challenge_list: ChallengeList):
    """The operator's buttons on the list page, by ``op``."""
    op, post, by = request.POST.get("op"), request.POST, request.user

    def get(model, key):
        return get_object_or_404(model, pk=post.get(key))

    actions = {
        "accept": lambda: services.accept_challenge(
            by, get(Challenge, "challenge"), challenge_list
        ),
        "reject": lambda: services.reject_challenge(
            by, get(Challenge, "challenge"), note=post.get("note", "")
        ),
        "publish": lambda: services.publish_list(by, challenge_list),
        "close": lambda: services.close_list(by, challenge_list),
        "formal": lambda: services.formal_check(
            by,
            get(Application, "application"),
            passed=post.get("passed") == "1",
            note=post.get("note", ""),
        ),
        "start_review": lambda: services.start_review(by, challenge_list),
        "draw": lambda: services.draw_panel(
            by,
            get(ReviewRound, "round"),
            size=int(post.get("size") or 5),
            field_ids=[int(f) for f in post.getlist("fields")] or None,
        ),
        "unseal": lambda: services.unseal_round(by, get(ReviewRound, "round")),
        "final_round": lambda: services.start_final_round(
            by,
            get(ReviewRound, "round"),
            list(Application.objects.filter(pk__in=post.getlist("applications"))),
        ),
        "select": lambda: services.select_application(by, get(Application, "application")),
        "announce": lambda: services.announce_list(by, challenge_list),
        "resolve": lambda: services.resolve_objection(
            by,
            get(Objection, "objection"),
            upheld=post.get("upheld") == "1",
            resolution=post.get("resolution", ""),
        ),
        "conclude": lambda: services.conclude_list(by, challenge_list),
    }
    if op not in actions:
        messages.error(request, _("未知操作"))
        return
    try:
        _attempt(request, actions[op])
    except ValueError:
        messages.error(request, _("输入无效"))


@login_required
def manage_list(request, pk: int):
    challenge_list = get_object_or_404(ChallengeList, pk=pk)
    if not operates(request.user, challenge_list.region):
        raise PermissionDenied
    if request.method == "POST":
        _list_action(request, challenge_list)
        return redirect("challenges:manage_list", pk)
    tasks = list(queries.list_tasks(challenge_list))
    rounds = (
        ReviewRound.objects.filter(challenge__challenge_list=challenge_list)
        .select_related("challenge")
        .prefetch_related("seats__expert", "applications__lead", "conflicts__expert")
    )
    visible = Score.objects.visible_to(request.user)
    round_rows = [
        {
            "round": r,
            "missing": services.missing_scores(r),
            "spreads": queries.score_spreads(visible.filter(round=r)),
        }
        for r in rounds
    ]
    return render(
        request,
        "challenges/manage_list.html",
        {
            "challenge_list": challenge_list,
            "actions": dict.fromkeys(
                services.allowed_list_actions(request.user, challenge_list), True
            ),
            "tasks": tasks,
            "proposed": Challenge.objects.filter(
                status=Challenge.Status.PROPOSED, region__in=managed_regions(request.user)
            ),
            "applications": Application.objects.submitted()
            .filter(challenge__challenge_list=challenge_list)
            .select_related("lead", "challenge"),
            "rounds": round_rows,
            "objections": Objection.objects.filter(
                application__challenge__challenge_list=challenge_list
            ).select_related("application__lead"),
            "fields": TechField.objects.select_related("parent"),
        },
    )


@login_required
def scores_csv(request, pk: int):
    """A round's scores as CSV: only what ``Score.objects.visible_to`` lets the user read."""
    review_round = get_object_or_404(ReviewRound, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="round-{review_round.pk}-scores.csv"'
    writer = GuardedCSVWriter(response)
    writer.writerow([_("申请"), _("评审专家"), _("加权总分"), _("评审意见")])
    reviewers = queries.reviewer_labels(request.user, review_round)
    for score in (
        Score.objects.visible_to(request.user)
        .filter(round=review_round)
        .select_related("application__lead")
    ):
        writer.writerow(
            [str(score.application.lead), reviewers[score.seat_id], score.total, score.comment]
        )
    return response


@login_required
def sign(request, pk: int):
    application = get_object_or_404(Application, pk=pk)
    if not operates(request.user, application.challenge.challenge_list.region):
        raise PermissionDenied
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.sign_agreement(request.user, application, **form.cleaned_data)
        except services.Refused as error:
            form.add_error(None, str(error))
        else:
            return redirect(agreement)
    return render(request, "challenges/sign.html", {"application": application, "form": form})


@login_required
def agreement_detail(request, pk: int):
    agreement = get_object_or_404(
        Agreement.objects.select_related("application__lead", "challenge__challenge_list"), pk=pk
    )
    operator = operates(request.user, agreement.challenge.challenge_list.region)
    lead = acts_for(request.user, agreement.application.lead_id)
    if not (operator or lead):
        raise PermissionDenied
    final_form = FinalAcceptanceForm(
        request.POST or None, indicators=agreement.challenge.indicators.all()
    )
    if request.method == "POST":
        op, post, by = request.POST.get("op"), request.POST, request.user
        milestone = Milestone.objects.filter(pk=post.get("milestone"), agreement=agreement).first()
        tranche = Tranche.objects.filter(pk=post.get("tranche"), agreement=agreement).first()
        if op == "evidence" and milestone:
            _attempt(
                request,
                lambda: services.submit_milestone(by, milestone, evidence=post.get("evidence", "")),
            )
        elif op == "review" and milestone:
            _attempt(
                request,
                lambda: services.review_milestone(
                    by,
                    milestone,
                    accepted=post.get("accepted") == "1",
                    note=post.get("note", ""),
                ),
            )
        elif op == "extend" and milestone:
            try:
                due_on = datetime.date.fromisoformat(post.get("due_on", ""))
            except ValueError:
                messages.error(request, _("日期无效"))
            else:
                _attempt(request, lambda: services.extend_milestone(by, milestone, due_on=due_on))
        elif op == "tranche" and milestone:
            try:
                amount = Decimal(post.get("amount", ""))
            except InvalidOperation:
                messages.error(request, _("金额无效"))
            else:
                _attempt(request, lambda: services.add_tranche(by, agreement, milestone, amount))
        elif op == "release" and tranche:
            _attempt(request, lambda: services.release_tranche(by, tranche))
        elif op == "final" and final_form.is_valid():
            _attempt(
                request,
                lambda: services.accept_final(by, agreement, measured=final_form.measured()),
            )
        return redirect(agreement)
    milestones = list(agreement.milestones.select_related("tranche"))
    return render(
        request,
        "challenges/agreement.html",
        {
            "agreement": agreement,
            "operator": operator,
            "lead": lead,
            "milestones": milestones,
            "milestones_done": all(m.status == Milestone.Status.ACCEPTED for m in milestones),
            "tranches": agreement.tranches.select_related("milestone"),
            "final_form": final_form,
            "results": agreement.indicator_results.select_related("indicator"),
        },
    )


# --- reviewers ------------------------------------------------------------------------------------


@login_required
def reviews(request):
    """The signed-in expert's panel seats: score each application of an open round, or recuse."""
    seats = (
        PanelSeat.objects.filter(expert__user=request.user)
        .select_related("round__challenge__challenge_list")
        .prefetch_related("round__applications__lead", "round__applications__plan")
    )
    if request.method == "POST":
        seat = get_object_or_404(seats, pk=id_param(request.POST.get("seat")))
        if request.POST.get("op") == "recuse":
            _attempt(
                request,
                lambda: services.declare_conflict(
                    request.user, seat, detail=request.POST.get("detail", "")
                ),
            )
        else:
            application = get_object_or_404(
                seat.round.applications, pk=id_param(request.POST.get("application"))
            )
            form = ScoreForm(
                request.POST, criteria=seat.round.challenge.challenge_list.criteria.all()
            )
            if form.is_valid():
                _attempt(
                    request,
                    lambda: services.submit_score(
                        request.user,
                        seat,
                        application,
                        marks=form.marks(),
                        comment=form.cleaned_data["comment"],
                    ),
                )
            else:
                messages.error(request, _("每项得分应在 0–100 之间"))
        return redirect("challenges:reviews")
    visible = Score.objects.visible_to(request.user)
    rows = []
    for seat in seats:
        criteria = seat.round.challenge.challenge_list.criteria.all()
        mine = {s.application_id: s for s in visible.filter(seat=seat)}
        rows.append(
            {
                "seat": seat,
                "items": [
                    (a, mine.get(a.pk), ScoreForm(criteria=criteria))
                    for a in seat.round.applications.all()
                ],
                "others": visible.filter(round=seat.round).exclude(seat=seat),
            }
        )
    return render(request, "challenges/reviews.html", {"rows": rows})
