"""Applications (揭榜): start, edit, build the consortium, confirm, check eligibility, submit, withdraw, the
formal check, and the start of the review."""

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import acts_for, operators_of
from kechuang.challenges.events import ChallengeEvent
from kechuang.challenges.models import (
    Application,
    Challenge,
    ChallengeList,
    ConsortiumMember,
    PlanMilestone,
    ReviewRound,
    TeamMember,
)
from kechuang.challenges.services.common import (
    HUNDRED,
    _applicants,
    _manage_url,
    _require_operator,
    check_start_review,
)
from kechuang.core.actions import (
    Refused,
    checked_by,
    locked,
    now_or_default,
    refuse_duplicates,
    require,
)
from kechuang.core.audit import record
from kechuang.core.money import to_yuan
from kechuang.directory.models import Organization, Status
from kechuang.notifications.services import notify

# --- applications ---------------------------------------------------------------------------------


def _require_draft_editor(application: Application, actor) -> None:
    if not acts_for(actor, application.lead_id):
        raise PermissionDenied(_("只有牵头单位成员可以编辑申请"))
    require(application.status == Application.Status.DRAFT, _("申请已提交，不能再修改"))


@transaction.atomic
def start_application(
    actor, challenge: Challenge, lead: Organization, *, mode: str = Application.Mode.ALONE, now=None
) -> Application:
    """A member of ``lead`` opens a draft application while the window is open and the lead meets the
    task's structured eligibility rules (refused with the reasons otherwise); the lead becomes the
    application's first (confirmed) consortium member, with the whole work and (once set) the whole
    budget — all an application alone (独立揭榜) needs. One live application per organisation per task."""
    now = now_or_default(now)
    if not acts_for(actor, lead.pk):
        raise PermissionDenied(_("您不是该单位的成员"))
    challenge = Challenge.objects.select_related("challenge_list").get(pk=challenge.pk)
    require(
        challenge.status == Challenge.Status.ACCEPTED
        and challenge.challenge_list.window_is_open(now),
        _("该任务当前不在揭榜期内"),
    )
    require(mode in Application.Mode.values, _("揭榜方式无效"))
    problems = eligibility_problems(challenge, lead)
    require(not problems, "；".join(problems))
    require(
        not ConsortiumMember.objects.filter(
            challenge=challenge, organization=lead, withdrawn=False
        ).exists(),
        _("该单位已参与本任务的一份申请"),
    )
    with refuse_duplicates(_("该单位已参与本任务的一份申请")):
        application = Application.objects.create(
            challenge=challenge, lead=lead, mode=mode, created_by=actor
        )
        ConsortiumMember.objects.create(
            application=application,
            challenge=challenge,
            organization=lead,
            role=ConsortiumMember.Role.LEAD,
            work_share=HUNDRED,
            budget_share=0,
            confirmed_at=now,
            confirmed_by=actor,
        )
    record(actor, ChallengeEvent.APPLICATION_START, application, str(application))
    return application


@transaction.atomic
def save_application(
    actor,
    application: Application,
    *,
    technical_route: str,
    budget_total: Decimal,
    declaration_accepted: bool,
    mode: str | None = None,
    team: Sequence[dict] | None = None,
    plan: Sequence[dict] | None = None,
) -> Application:
    """Save the draft's route, budget, declarations and (when given) its team and plan, replacing them.

    While the lead is the only member — always when applying alone (独立揭榜) — it carries the whole work
    and budget: its shares follow the budget here, so no consortium step is needed; a consortium's
    members come on top. A draft with other members cannot turn alone."""
    application = locked(application)
    _require_draft_editor(application, actor)
    budget_total = to_yuan(budget_total)
    require(budget_total >= 0, _("预算不能为负"))
    for number, member in enumerate(team or (), start=1):
        require(
            bool(str(member.get("name", "")).strip()),
            _("团队成员第 %(n)d 行：请填写姓名") % {"n": number},
        )
    for number, milestone in enumerate(plan or (), start=1):
        require(
            bool(str(milestone.get("title", "")).strip()),
            _("实施计划第 %(n)d 行：请填写里程碑") % {"n": number},
        )
        require(
            isinstance(milestone.get("months"), int) and milestone["months"] >= 1,
            _("实施计划第 %(n)d 行：签约后月数应为正整数") % {"n": number},
        )
    application.technical_route = technical_route
    application.budget_total = budget_total
    application.declaration_accepted = declaration_accepted
    if mode is not None:
        require(mode in Application.Mode.values, _("揭榜方式无效"))
        application.mode = mode
    others = application.members.exclude(organization_id=application.lead_id).exists()
    require(
        not (others and application.mode == Application.Mode.ALONE),
        _("申请中还有参与单位，不能改为独立揭榜；请先移除参与单位。"),
    )
    if not others:
        application.members.filter(organization_id=application.lead_id).update(
            work_share=HUNDRED, budget_share=budget_total
        )
    application.save(
        update_fields=["technical_route", "budget_total", "declaration_accepted", "mode"]
    )
    if team is not None:
        application.team.all().delete()
        TeamMember.objects.bulk_create(TeamMember(application=application, **m) for m in team)
    if plan is not None:
        application.plan.all().delete()
        PlanMilestone.objects.bulk_create(PlanMilestone(application=application, **m) for m in plan)
    record(actor, ChallengeEvent.APPLICATION_SAVE, application, str(application))
    return application


@transaction.atomic
def save_member(
    actor,
    application: Application,
    organization: Organization,
    *,
    work_share: Decimal,
    budget_share: Decimal,
    responsibility: str = "",
    now=None,
) -> ConsortiumMember:
    """Add a consortium member or change its shares (consortium and project group only: alone, the lead's
    shares follow the budget, see :func:`save_application`). A new member must meet the task's member
    rules (a credit code where required). A member other than the lead must confirm (again) after its
    terms change; the lead's own changes count as confirmed."""
    now = now_or_default(now)
    application = locked(application)
    _require_draft_editor(application, actor)
    require(
        application.mode != Application.Mode.ALONE,
        _(
            "独立揭榜由本单位承担全部任务和预算，无需添加成员；如需联合攻关，请先将揭榜方式改为创新联合体或项目群。"
        ),
    )
    work_share, budget_share = Decimal(work_share), to_yuan(budget_share)
    require(0 <= work_share <= 100, _("分工占比应在 0–100% 之间"))
    require(budget_share >= 0, _("预算份额不能为负"))
    is_lead = organization.pk == application.lead_id
    member = application.members.filter(organization=organization).first()
    if member is None:
        problems = eligibility_problems(application.challenge, organization, lead=False)
        require(not problems, "；".join(problems))
        try:
            with transaction.atomic():
                member = ConsortiumMember.objects.create(
                    application=application,
                    challenge_id=application.challenge_id,
                    organization=organization,
                    role=ConsortiumMember.Role.MEMBER,
                    responsibility=responsibility,
                    work_share=work_share,
                    budget_share=budget_share,
                )
        except IntegrityError:
            raise Refused(_("该单位已参与本任务的另一份申请")) from None
    else:
        member.work_share = work_share
        member.budget_share = budget_share
        member.responsibility = responsibility
        member.confirmed_at = now if is_lead else None
        member.confirmed_by = actor if is_lead else None
        member.save()
    record(actor, ChallengeEvent.APPLICATION_MEMBER, application, organization.name)
    return member


@transaction.atomic
def remove_member(actor, member: ConsortiumMember) -> None:
    """Remove a non-lead member from a draft."""
    application = locked(member.application)
    _require_draft_editor(application, actor)
    require(member.role != ConsortiumMember.Role.LEAD, _("不能移除牵头单位"))
    record(actor, ChallengeEvent.APPLICATION_REMOVE_MEMBER, application, member.organization.name)
    member.delete()


@transaction.atomic
def confirm_participation(actor, member: ConsortiumMember, *, now=None) -> ConsortiumMember:
    """A member of the invited organisation confirms it takes part on the terms shown."""
    now = now_or_default(now)
    if not acts_for(actor, member.organization_id):
        raise PermissionDenied(_("您不是该单位的成员"))
    member = locked(member)
    require(member.application.status == Application.Status.DRAFT, _("申请已提交"))
    require(member.confirmed_at is None, _("已确认参与"))
    member.confirmed_at = now
    member.confirmed_by = actor
    member.save(update_fields=["confirmed_at", "confirmed_by"])
    record(actor, ChallengeEvent.APPLICATION_CONFIRM, member.application, member.organization.name)
    return member


TIER_RANK = {tier: rank for rank, tier in enumerate(Organization.Tier.values)}


def eligibility_problems(
    challenge: Challenge, organization: Organization, *, lead: bool = True
) -> list[str]:
    """Why ``organization`` may not take ``challenge`` as its lead (or, with ``lead=False``, as a
    consortium member); empty when it may. One reason per rule broken:

    - the lead's kind is one of ``eligible_kinds`` (when any are listed);
    - the lead lies in ``eligible_region`` or a region below it (when one is set);
    - an enterprise lead has reached ``min_tier`` of the cultivation tiers (when set; other kinds of
      lead are not tiered);
    - with ``credit_code_required``, every organisation, lead and members, has a unified social credit
      code (统一社会信用代码), i.e. is an independent legal entity;
    - no organisation is awaiting review of a change of its name, kind or credit code.

    No degree, age or title limits. ``qualifications`` is free text that people check at the formal
    check; nothing here reads it."""
    problems = []
    if lead:
        if challenge.eligible_kinds and organization.kind not in challenge.eligible_kinds:
            problems.append(_("牵头单位类型不在本任务的揭榜主体范围内"))
        if challenge.eligible_region_id and not organization.region.path.startswith(
            challenge.eligible_region.path
        ):
            problems.append(_("牵头单位不在本任务要求的区域内"))
        if (
            challenge.min_tier
            and organization.kind == Organization.Kind.ENTERPRISE
            and TIER_RANK[organization.tier] < TIER_RANK[challenge.min_tier]
        ):
            problems.append(
                _("牵头企业须为“%(tier)s”及以上") % {"tier": challenge.get_min_tier_display()}
            )
    if challenge.credit_code_required and not organization.credit_code:
        problems.append(_("%(org)s 没有统一社会信用代码") % {"org": organization.name})
    if organization.status == Status.PENDING:
        # Its name, kind or credit code changed and awaits the operators' review: not live yet.
        problems.append(
            _("%(org)s 的机构信息修改正在审核中，审核通过后方可揭榜") % {"org": organization.name}
        )
    return problems


def submission_problems(application: Application) -> list[str]:
    """What still keeps a draft from being submitted (window aside)."""
    problems = eligibility_problems(application.challenge, application.lead)
    members = list(application.members.select_related("organization"))
    for member in members:
        if member.role != ConsortiumMember.Role.LEAD:
            problems += eligibility_problems(application.challenge, member.organization, lead=False)
    if not application.technical_route.strip():
        problems.append(_("请填写技术路线"))
    if application.budget_total <= 0:
        problems.append(_("请填写总预算"))
    if not application.declaration_accepted:
        problems.append(_("请确认承诺声明"))
    if application.mode == Application.Mode.ALONE and len(members) != 1:
        problems.append(_("独立揭榜不能有参与单位"))
    if application.mode != Application.Mode.ALONE and len(members) < 2:
        problems.append(_("联合揭榜至少需要两家单位"))
    if any(m.confirmed_at is None for m in members):
        problems.append(_("还有成员单位未确认参与"))
    if sum(m.work_share for m in members) != HUNDRED:
        problems.append(_("各单位任务分工占比之和必须为 100%"))
    if sum(m.budget_share for m in members) != application.budget_total:
        problems.append(_("各单位预算份额之和必须等于总预算"))
    if not application.team.exists():
        problems.append(_("请填写团队成员"))
    if not application.plan.exists():
        problems.append(_("请填写实施计划里程碑"))
    return problems


@transaction.atomic
def submit_application(actor, application: Application, *, now=None) -> Application:
    """draft → submitted, only inside the window (until 24:00 Shanghai time of the closing day) and only
    when complete: every member confirmed, shares adding up, declarations accepted."""
    now = now_or_default(now)
    application = locked(application)
    _require_draft_editor(application, actor)
    challenge_list = application.challenge.challenge_list
    require(challenge_list.window_is_open(now), _("已超过揭榜截止时间，不能提交"))
    problems = submission_problems(application)
    require(not problems, "；".join(problems))
    application.status = Application.Status.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["status", "submitted_at"])
    record(actor, ChallengeEvent.APPLICATION_SUBMIT, application, str(application))
    title = _("收到揭榜申请：%(t)s") % {"t": application.challenge.title}
    notify(
        _applicants(application),
        ChallengeEvent.APPLICATION_RECEIVED,
        title,
        _("%(lead)s 牵头的揭榜申请已提交，揭榜截止后进行形式审查。") % {"lead": application.lead},
        application.get_absolute_url(),
    )
    notify(
        operators_of(challenge_list.region),
        ChallengeEvent.APPLICATION_RECEIVED,
        title,
        _("%(lead)s 提交了揭榜申请，揭榜截止后请进行形式审查。") % {"lead": application.lead},
        _manage_url(challenge_list),
    )
    return application


WITHDRAWABLE = (
    Application.Status.DRAFT,
    Application.Status.SUBMITTED,
    Application.Status.FORMAL_PASSED,
)


def withdrawal_refusal(application: Application, challenge_list: ChallengeList) -> str:
    """Why ``application`` (of ``challenge_list``) can no longer be withdrawn, empty when it can; the
    rule is explained on :class:`Application`."""
    if challenge_list.status not in (
        ChallengeList.Status.PUBLISHED,
        ChallengeList.Status.CLOSED,
    ):
        return _("专家评审已开始，申请不能再撤回")
    if application.status not in WITHDRAWABLE:
        return _("申请当前状态为“%(s)s”，不能撤回") % {"s": application.get_status_display()}
    return ""


@transaction.atomic
def withdraw_application(
    actor, application: Application, *, reason: str = "", now=None
) -> Application:
    """draft / submitted / formal_passed → withdrawn, by a member of the lead organisation, until the
    operator starts the expert review (the rule is explained on :class:`Application`). Its organisations
    are freed to apply again; the other consortium members are told, and so are the operators once the
    application had been submitted."""
    now = now_or_default(now)
    if not acts_for(actor, application.lead_id):
        raise PermissionDenied(_("只有牵头单位成员可以撤回申请"))
    # The list first, as start_review locks it, so that a withdrawal and the start of the review queue.
    challenge_list = locked(application.challenge.challenge_list)
    application = locked(application)
    refusal = withdrawal_refusal(application, challenge_list)
    require(not refusal, refusal)
    was_submitted = application.status != Application.Status.DRAFT
    reason = reason.strip()[:300]
    application.status = Application.Status.WITHDRAWN
    application.withdrawn_at = now
    application.withdrawal_reason = reason
    application.save(update_fields=["status", "withdrawn_at", "withdrawal_reason"])
    application.members.update(withdrawn=True)
    record(actor, ChallengeEvent.APPLICATION_WITHDRAW, application, reason, submitted=was_submitted)
    title = _("揭榜申请已撤回：%(t)s") % {"t": application.challenge.title}
    body = _("%(lead)s 撤回了牵头的揭榜申请。%(reason)s") % {
        "lead": application.lead,
        "reason": reason,
    }
    notify(
        _applicants(application, lead=False),
        ChallengeEvent.APPLICATION_WITHDRAWN,
        title,
        body,
        application.get_absolute_url(),
    )
    if was_submitted:
        notify(
            operators_of(challenge_list.region),
            ChallengeEvent.APPLICATION_WITHDRAWN,
            title,
            body,
            _manage_url(challenge_list),
        )
    return application


@transaction.atomic
def formal_check(actor, application: Application, *, passed: bool, note: str = "") -> Application:
    """submitted → formal_passed / formal_failed, after the window closed (a failure needs a reason)."""
    application = locked(application)
    challenge_list = application.challenge.challenge_list
    _require_operator(actor, challenge_list.region)
    require(application.status == Application.Status.SUBMITTED, _("申请不在待形式审查状态"))
    require(challenge_list.status == ChallengeList.Status.CLOSED, _("揭榜截止后才能形式审查"))
    require(passed or bool(note.strip()), _("请填写形式审查不通过的理由"))
    application.status = (
        Application.Status.FORMAL_PASSED if passed else Application.Status.FORMAL_FAILED
    )
    application.formal_note = note[:300]
    application.save(update_fields=["status", "formal_note"])
    record(actor, ChallengeEvent.APPLICATION_FORMAL, application, note, passed=passed)
    if not passed:
        notify(
            _applicants(application),
            ChallengeEvent.APPLICATION_RETURNED,
            _("揭榜申请未通过形式审查：%(t)s") % {"t": application.challenge.title},
            application.formal_note,
            application.get_absolute_url(),
        )
    return application


@checked_by(check_start_review)
@transaction.atomic
def start_review(actor, challenge_list: ChallengeList) -> ChallengeList:
    """closed → reviewing once every submission is formally checked; the passed applications go under
    review and each task with any gets its first round (初评)."""
    challenge_list = locked(challenge_list)
    check_start_review(actor, challenge_list)
    applications = Application.objects.filter(challenge__challenge_list=challenge_list)
    require(
        not applications.filter(status=Application.Status.SUBMITTED).exists(),
        _("还有申请未完成形式审查"),
    )
    passed = applications.filter(status=Application.Status.FORMAL_PASSED)
    for challenge in challenge_list.challenges.in_list().filter(applications__in=passed).distinct():
        review_round = ReviewRound.objects.create(challenge=challenge, number=1)
        review_round.applications.set(passed.filter(challenge=challenge))
    passed.update(status=Application.Status.UNDER_REVIEW)
    challenge_list.status = ChallengeList.Status.REVIEWING
    challenge_list.save(update_fields=["status"])
    record(actor, ChallengeEvent.LIST_START_REVIEW, challenge_list, challenge_list.title)
    return challenge_list
