"""Every state change of the challenge cycle (揭榜挂帅), one function each.

Each service checks permission and input, runs in one transaction, re-reads the rows it changes under a
row lock (``select_for_update``; on SQLite the IMMEDIATE transaction already serialises writers), writes
an audit row with :func:`kechuang.core.audit.record`, and raises :class:`ChallengeError` (nothing changed)
or ``PermissionDenied``. Services that depend on the clock take ``now`` so that the page, the API and the
tests agree on what time it is.

The people an event concerns are told through :func:`kechuang.notifications.services.notify`, which
delivers after the transaction commits (never for a rolled-back change); event names start with
``challenges.``. Each inbox entry links to a page its recipient may open: applicants to their application
(the lead to the task book once signed), reviewers to their review page, operators to the list's
management page, the task's proposing department (出题单位) to the public task or list page.
"""

import datetime
import random
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import acts_for, operates, operators_of, users_of
from kechuang.challenges import conflicts
from kechuang.challenges.models import (
    BOUNTY_COMMITTED,
    BOUNTY_PLEDGED,
    BOUNTY_RELEASED,
    BOUNTY_UNPLANNED,
    SHANGHAI,
    Agreement,
    Application,
    Challenge,
    ChallengeList,
    ConflictRecord,
    ConsortiumMember,
    Indicator,
    IndicatorResult,
    Milestone,
    Objection,
    PanelSeat,
    PlanMilestone,
    ReviewRound,
    RubricCriterion,
    Score,
    TeamMember,
    Tranche,
)
from kechuang.contracts.services import contract_from_challenge
from kechuang.core.actions import Refused
from kechuang.core.audit import record
from kechuang.core.money import to_yuan
from kechuang.directory.models import Expert, Organization
from kechuang.ledger import services as ledger
from kechuang.ledger.models import Account
from kechuang.notifications.services import notify

HUNDRED = Decimal(100)

DEFAULT_RUBRIC = [
    ("技术路线先进性与可行性", Decimal(30)),
    ("团队实力与前期基础", Decimal(25)),
    ("指标承诺与实施计划", Decimal(25)),
    ("预算合理性与配套投入", Decimal(20)),
]


class ChallengeError(Refused):
    """A refused action: the message says why (in the interface language); nothing was changed."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ChallengeError(message)


def _require_operator(user, region) -> None:
    if not operates(user, region):
        raise PermissionDenied(_("您不是该区域的运营人员"))


def _locked(obj):
    """``obj`` re-read from the database under a row lock, so checks see the committed state."""
    return type(obj).objects.select_for_update().get(pk=obj.pk)


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


# --- who is told -----------------------------------------------------------------------------------


def _applicants(application: Application, *, lead: bool = True):
    """The users of the application's organisations (without the lead organisation's when ``lead`` is
    false)."""
    members = ConsortiumMember.objects.filter(application=application)
    if not lead:
        members = members.exclude(organization_id=application.lead_id)
    return users_of(*members.values_list("organization_id", flat=True))


def _department(challenge: Challenge):
    """The users of the task's proposing department (出题单位), if it has one."""
    return users_of(challenge.proposer_id)


def _manage_url(challenge_list: ChallengeList) -> str:
    return reverse("challenges:manage_list", args=[challenge_list.pk])


# --- proposals and lists --------------------------------------------------------------------------


@transaction.atomic
def propose_challenge(
    *,
    by,
    region,
    title: str,
    problem: str,
    bounty: Decimal,
    issuer_share: Decimal,
    government_share: Decimal,
    completion_deadline: datetime.date,
    indicators: Sequence[dict],
    proposer: Organization | None = None,
    eligible_kinds: Sequence[str] = (),
    eligible_region=None,
    credit_code_required: bool = False,
    min_tier: str = "",
    qualifications: str = "",
    ip_terms: str = "",
    fields: Iterable = (),
) -> Challenge:
    """An enterprise (for itself) or an operator (for a department of their region tree) proposes a task
    with at least one indicator; its bounty is the issuer's share plus the government's. The structured
    eligibility rules (kinds, region, minimum tier, credit code) are checked by
    :func:`eligibility_problems`; ``qualifications`` stays free text."""
    member = proposer is not None and acts_for(by, proposer.pk)
    operator = operates(by, region) and (proposer is None or operates(by, proposer.region))
    if not (member or operator):
        raise PermissionDenied(_("只有出题单位成员或区域运营人员可以提出任务"))
    bounty, issuer_share, government_share = (
        to_yuan(bounty),
        to_yuan(issuer_share),
        to_yuan(government_share),
    )
    _require(bounty > 0, _("榜金必须大于零"))
    _require(issuer_share >= 0 and government_share >= 0, _("出资不能为负"))
    _require(issuer_share + government_share == bounty, _("出题单位出资与政府资助之和必须等于榜金"))
    _require(bool(indicators), _("至少需要一项可量化的技术指标"))
    valid_kinds = set(Organization.Kind.values)
    _require(set(eligible_kinds) <= valid_kinds, _("揭榜主体类型无效"))
    _require(min_tier in Organization.Tier.values, _("培育梯次无效"))
    challenge = Challenge.objects.create(
        region=region,
        proposer=proposer,
        proposed_by=by,
        title=title,
        problem=problem,
        bounty=bounty,
        issuer_share=issuer_share,
        government_share=government_share,
        completion_deadline=completion_deadline,
        eligible_kinds=list(eligible_kinds),
        eligible_region=eligible_region,
        credit_code_required=credit_code_required,
        min_tier=min_tier,
        qualifications=qualifications,
        ip_terms=ip_terms,
    )
    challenge.fields.set(fields)
    for order, item in enumerate(indicators):
        _require(bool(item.get("name")) and bool(item.get("unit")), _("指标需要名称和单位"))
        Indicator.objects.create(
            challenge=challenge,
            name=item["name"],
            comparator=item.get("comparator", Indicator.Comparator.AT_LEAST),
            target=Decimal(item["target"]),
            unit=item["unit"],
            order=order,
        )
    record(by, "challenges.challenge.propose", challenge, title, bounty=str(bounty))
    return challenge


@transaction.atomic
def create_list(
    *,
    by,
    region,
    title: str,
    issuer: str,
    opens_on: datetime.date,
    closes_on: datetime.date,
    description: str = "",
    first_tranche_min_percent: Decimal = Decimal(60),
    objection_days: int = 7,
    rubric: Sequence[tuple[str, Decimal]] = DEFAULT_RUBRIC,
) -> ChallengeList:
    """An operator starts a draft list with its window, payment and announcement rules and a rubric whose
    weights sum to 100."""
    _require_operator(by, region)
    _require(closes_on >= opens_on, _("截止日期不能早于开始日期"))
    _require(0 <= first_tranche_min_percent <= 100, _("首期拨付比例应在 0–100% 之间"))
    _require(objection_days >= 1, _("公示期至少一天"))
    _require(sum(w for _n, w in rubric) == HUNDRED, _("评分权重之和必须为 100"))
    challenge_list = ChallengeList.objects.create(
        region=region,
        title=title,
        issuer=issuer,
        description=description,
        opens_on=opens_on,
        closes_on=closes_on,
        first_tranche_min_percent=first_tranche_min_percent,
        objection_days=objection_days,
        created_by=by,
    )
    for order, (name, weight) in enumerate(rubric):
        RubricCriterion.objects.create(
            challenge_list=challenge_list, name=name, weight=weight, order=order
        )
    record(by, "challenges.list.create", challenge_list, title)
    return challenge_list


@transaction.atomic
def accept_challenge(challenge: Challenge, challenge_list: ChallengeList, *, by) -> Challenge:
    """proposed → accepted: the operator puts the task on a draft list of their region."""
    challenge_list = _locked(challenge_list)
    _require_operator(by, challenge_list.region)
    challenge = _locked(challenge)
    _require(challenge.status == Challenge.Status.PROPOSED, _("该任务不在待审核状态"))
    _require(challenge_list.status == ChallengeList.Status.DRAFT, _("只能向草稿榜单加入任务"))
    _require(
        challenge.region.path.startswith(challenge_list.region.path),
        _("任务不在榜单的区域内"),
    )
    challenge.status = Challenge.Status.ACCEPTED
    challenge.challenge_list = challenge_list
    challenge.save(update_fields=["status", "challenge_list"])
    record(by, "challenges.challenge.accept", challenge, challenge.title, list=challenge_list.pk)
    return challenge


@transaction.atomic
def reject_challenge(challenge: Challenge, *, by, note: str) -> Challenge:
    """proposed → rejected, with the reason."""
    challenge = _locked(challenge)
    _require_operator(by, challenge.region)
    _require(challenge.status == Challenge.Status.PROPOSED, _("该任务不在待审核状态"))
    _require(bool(note.strip()), _("请填写不予入榜的理由"))
    challenge.status = Challenge.Status.REJECTED
    challenge.review_note = note[:300]
    challenge.save(update_fields=["status", "review_note"])
    record(by, "challenges.challenge.reject", challenge, note)
    return challenge


@transaction.atomic
def publish_list(challenge_list: ChallengeList, *, by, now=None) -> ChallengeList:
    """draft → published: the list goes public with at least one task and a window not yet over."""
    now = _now(now)
    challenge_list = _locked(challenge_list)
    _require_operator(by, challenge_list.region)
    _require(challenge_list.status == ChallengeList.Status.DRAFT, _("只有草稿榜单可以发布"))
    _require(challenge_list.challenges.in_list().exists(), _("榜单中还没有任务"))
    _require(now < challenge_list.window_closes_at, _("揭榜截止日期已过"))
    challenge_list.status = ChallengeList.Status.PUBLISHED
    challenge_list.published_at = now
    challenge_list.save(update_fields=["status", "published_at"])
    record(by, "challenges.list.publish", challenge_list, challenge_list.title)
    return challenge_list


@transaction.atomic
def close_list(challenge_list: ChallengeList, *, by, now=None) -> ChallengeList:
    """published → closed, once the application window is over."""
    now = _now(now)
    challenge_list = _locked(challenge_list)
    _require_operator(by, challenge_list.region)
    _require(challenge_list.status == ChallengeList.Status.PUBLISHED, _("榜单不在征集中"))
    _require(now >= challenge_list.window_closes_at, _("揭榜窗口尚未结束"))
    challenge_list.status = ChallengeList.Status.CLOSED
    challenge_list.save(update_fields=["status"])
    record(by, "challenges.list.close", challenge_list, challenge_list.title)
    return challenge_list


# --- applications ---------------------------------------------------------------------------------


def _require_draft_editor(application: Application, by) -> None:
    if not acts_for(by, application.lead_id):
        raise PermissionDenied(_("只有牵头单位成员可以编辑申请"))
    _require(application.status == Application.Status.DRAFT, _("申请已提交，不能再修改"))


@transaction.atomic
def start_application(
    challenge: Challenge, lead: Organization, *, by, mode: str = Application.Mode.ALONE, now=None
) -> Application:
    """A member of ``lead`` opens a draft application while the window is open and the lead meets the
    task's structured eligibility rules (refused with the reasons otherwise); the lead becomes the
    application's first (confirmed) consortium member, with the whole work and (once set) the whole
    budget — all an application alone (独立揭榜) needs. One live application per organisation per task."""
    now = _now(now)
    if not acts_for(by, lead.pk):
        raise PermissionDenied(_("您不是该单位的成员"))
    challenge = Challenge.objects.select_related("challenge_list").get(pk=challenge.pk)
    _require(
        challenge.status == Challenge.Status.ACCEPTED
        and challenge.challenge_list.window_is_open(now),
        _("该任务当前不在揭榜期内"),
    )
    _require(mode in Application.Mode.values, _("揭榜方式无效"))
    problems = eligibility_problems(challenge, lead)
    _require(not problems, "；".join(problems))
    _require(
        not ConsortiumMember.objects.filter(
            challenge=challenge, organization=lead, withdrawn=False
        ).exists(),
        _("该单位已参与本任务的一份申请"),
    )
    application = Application.objects.create(
        challenge=challenge, lead=lead, mode=mode, created_by=by
    )
    ConsortiumMember.objects.create(
        application=application,
        challenge=challenge,
        organization=lead,
        role=ConsortiumMember.Role.LEAD,
        work_share=HUNDRED,
        budget_share=0,
        confirmed_at=now,
        confirmed_by=by,
    )
    record(by, "challenges.application.start", application, str(application))
    return application


@transaction.atomic
def save_application(
    application: Application,
    *,
    by,
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
    application = _locked(application)
    _require_draft_editor(application, by)
    budget_total = to_yuan(budget_total)
    _require(budget_total >= 0, _("预算不能为负"))
    for number, member in enumerate(team or (), start=1):
        _require(
            bool(str(member.get("name", "")).strip()),
            _("团队成员第 %(n)d 行：请填写姓名") % {"n": number},
        )
    for number, milestone in enumerate(plan or (), start=1):
        _require(
            bool(str(milestone.get("title", "")).strip()),
            _("实施计划第 %(n)d 行：请填写里程碑") % {"n": number},
        )
        _require(
            isinstance(milestone.get("months"), int) and milestone["months"] >= 1,
            _("实施计划第 %(n)d 行：签约后月数应为正整数") % {"n": number},
        )
    application.technical_route = technical_route
    application.budget_total = budget_total
    application.declaration_accepted = declaration_accepted
    if mode is not None:
        _require(mode in Application.Mode.values, _("揭榜方式无效"))
        application.mode = mode
    others = application.members.exclude(organization_id=application.lead_id).exists()
    _require(
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
    record(by, "challenges.application.save", application, str(application))
    return application


@transaction.atomic
def save_member(
    application: Application,
    organization: Organization,
    *,
    by,
    work_share: Decimal,
    budget_share: Decimal,
    responsibility: str = "",
    now=None,
) -> ConsortiumMember:
    """Add a consortium member or change its shares (consortium and project group only: alone, the lead's
    shares follow the budget, see :func:`save_application`). A new member must meet the task's member
    rules (a credit code where required). A member other than the lead must confirm (again) after its
    terms change; the lead's own changes count as confirmed."""
    now = _now(now)
    application = _locked(application)
    _require_draft_editor(application, by)
    _require(
        application.mode != Application.Mode.ALONE,
        _(
            "独立揭榜由本单位承担全部任务和预算，无需添加成员；如需联合攻关，请先将揭榜方式改为创新联合体或项目群。"
        ),
    )
    work_share, budget_share = Decimal(work_share), to_yuan(budget_share)
    _require(0 <= work_share <= 100, _("分工占比应在 0–100% 之间"))
    _require(budget_share >= 0, _("预算份额不能为负"))
    is_lead = organization.pk == application.lead_id
    member = application.members.filter(organization=organization).first()
    if member is None:
        problems = eligibility_problems(application.challenge, organization, lead=False)
        _require(not problems, "；".join(problems))
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
            raise ChallengeError(_("该单位已参与本任务的另一份申请")) from None
    else:
        member.work_share = work_share
        member.budget_share = budget_share
        member.responsibility = responsibility
        member.confirmed_at = now if is_lead else None
        member.confirmed_by = by if is_lead else None
        member.save()
    record(by, "challenges.application.member", application, organization.name)
    return member


@transaction.atomic
def remove_member(member: ConsortiumMember, *, by) -> None:
    """Remove a non-lead member from a draft."""
    application = _locked(member.application)
    _require_draft_editor(application, by)
    _require(member.role != ConsortiumMember.Role.LEAD, _("不能移除牵头单位"))
    record(by, "challenges.application.remove_member", application, member.organization.name)
    member.delete()


@transaction.atomic
def confirm_participation(member: ConsortiumMember, *, by, now=None) -> ConsortiumMember:
    """A member of the invited organisation confirms it takes part on the terms shown."""
    now = _now(now)
    if not acts_for(by, member.organization_id):
        raise PermissionDenied(_("您不是该单位的成员"))
    member = _locked(member)
    _require(member.application.status == Application.Status.DRAFT, _("申请已提交"))
    _require(member.confirmed_at is None, _("已确认参与"))
    member.confirmed_at = now
    member.confirmed_by = by
    member.save(update_fields=["confirmed_at", "confirmed_by"])
    record(by, "challenges.application.confirm", member.application, member.organization.name)
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
      code (统一社会信用代码), i.e. is an independent legal entity.

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
def submit_application(application: Application, *, by, now=None) -> Application:
    """draft → submitted, only inside the window (until 24:00 Shanghai time of the closing day) and only
    when complete: every member confirmed, shares adding up, declarations accepted."""
    now = _now(now)
    application = _locked(application)
    _require_draft_editor(application, by)
    challenge_list = application.challenge.challenge_list
    _require(challenge_list.window_is_open(now), _("已超过揭榜截止时间，不能提交"))
    problems = submission_problems(application)
    _require(not problems, "；".join(problems))
    application.status = Application.Status.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["status", "submitted_at"])
    record(by, "challenges.application.submit", application, str(application))
    title = _("收到揭榜申请：%(t)s") % {"t": application.challenge.title}
    notify(
        _applicants(application),
        "challenges.application.received",
        title,
        _("%(lead)s 牵头的揭榜申请已提交，揭榜截止后进行形式审查。") % {"lead": application.lead},
        application.get_absolute_url(),
    )
    notify(
        operators_of(challenge_list.region),
        "challenges.application.received",
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
    application: Application, *, by, reason: str = "", now=None
) -> Application:
    """draft / submitted / formal_passed → withdrawn, by a member of the lead organisation, until the
    operator starts the expert review (the rule is explained on :class:`Application`). Its organisations
    are freed to apply again; the other consortium members are told, and so are the operators once the
    application had been submitted."""
    now = _now(now)
    if not acts_for(by, application.lead_id):
        raise PermissionDenied(_("只有牵头单位成员可以撤回申请"))
    # The list first, as start_review locks it, so that a withdrawal and the start of the review queue.
    challenge_list = _locked(application.challenge.challenge_list)
    application = _locked(application)
    refusal = withdrawal_refusal(application, challenge_list)
    _require(not refusal, refusal)
    was_submitted = application.status != Application.Status.DRAFT
    reason = reason.strip()[:300]
    application.status = Application.Status.WITHDRAWN
    application.withdrawn_at = now
    application.withdrawal_reason = reason
    application.save(update_fields=["status", "withdrawn_at", "withdrawal_reason"])
    application.members.update(withdrawn=True)
    record(by, "challenges.application.withdraw", application, reason, submitted=was_submitted)
    title = _("揭榜申请已撤回：%(t)s") % {"t": application.challenge.title}
    body = _("%(lead)s 撤回了牵头的揭榜申请。%(reason)s") % {
        "lead": application.lead,
        "reason": reason,
    }
    notify(
        _applicants(application, lead=False),
        "challenges.application.withdrawn",
        title,
        body,
        application.get_absolute_url(),
    )
    if was_submitted:
        notify(
            operators_of(challenge_list.region),
            "challenges.application.withdrawn",
            title,
            body,
            _manage_url(challenge_list),
        )
    return application


@transaction.atomic
def formal_check(application: Application, *, by, passed: bool, note: str = "") -> Application:
    """submitted → formal_passed / formal_failed, after the window closed (a failure needs a reason)."""
    application = _locked(application)
    challenge_list = application.challenge.challenge_list
    _require_operator(by, challenge_list.region)
    _require(application.status == Application.Status.SUBMITTED, _("申请不在待形式审查状态"))
    _require(challenge_list.status == ChallengeList.Status.CLOSED, _("揭榜截止后才能形式审查"))
    _require(passed or bool(note.strip()), _("请填写形式审查不通过的理由"))
    application.status = (
        Application.Status.FORMAL_PASSED if passed else Application.Status.FORMAL_FAILED
    )
    application.formal_note = note[:300]
    application.save(update_fields=["status", "formal_note"])
    record(by, "challenges.application.formal", application, note, passed=passed)
    if not passed:
        notify(
            _applicants(application),
            "challenges.application.returned",
            _("揭榜申请未通过形式审查：%(t)s") % {"t": application.challenge.title},
            application.formal_note,
            application.get_absolute_url(),
        )
    return application


@transaction.atomic
def start_review(challenge_list: ChallengeList, *, by) -> ChallengeList:
    """closed → reviewing once every submission is formally checked; the passed applications go under
    review and each task with any gets its first round (初评)."""
    challenge_list = _locked(challenge_list)
    _require_operator(by, challenge_list.region)
    _require(challenge_list.status == ChallengeList.Status.CLOSED, _("榜单不在征集截止状态"))
    applications = Application.objects.filter(challenge__challenge_list=challenge_list)
    _require(
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
    record(by, "challenges.list.start_review", challenge_list, challenge_list.title)
    return challenge_list


# --- expert review --------------------------------------------------------------------------------


def panel_candidates(review_round: ReviewRound, field_ids: Iterable[int] | None = None):
    """Published experts with a user account whose fields (or their parents) meet ``field_ids`` (by
    default the task's fields)."""
    ids = (
        set(field_ids)
        if field_ids is not None
        else set(review_round.challenge.fields.values_list("pk", flat=True))
    )
    return (
        Expert.objects.published()
        .filter(user__isnull=False)
        .filter(Q(fields__in=ids) | Q(fields__parent__in=ids))
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def draw_panel(
    review_round: ReviewRound,
    *,
    by,
    size: int,
    field_ids: Iterable[int] | None = None,
    seed: int | None = None,
    now=None,
) -> list[PanelSeat]:
    """Draw up to ``size`` reviewers at random from the experts of the task's fields. Experts in conflict
    with an applying organisation are left out automatically, each reason recorded."""
    now = _now(now)
    review_round = _locked(review_round)
    _require_operator(by, review_round.challenge.challenge_list.region)
    _require(review_round.status == ReviewRound.Status.OPEN, _("该轮评审已启封"))
    _require(not review_round.seats.exists(), _("该轮已抽取评审专家"))
    _require(size >= 1, _("评审专家人数至少为 1"))
    organizations = list(
        Organization.objects.filter(
            challenge_memberships__application__in=review_round.applications.all()
        ).distinct()
    )
    eligible = []
    for expert in panel_candidates(review_round, field_ids).select_related("affiliation", "user"):
        found = conflicts.find_conflicts(expert, organizations, now=now)
        ConflictRecord.objects.bulk_create(
            ConflictRecord(
                round=review_round,
                expert=expert,
                organization=c.organization,
                reason=c.reason,
                detail=c.detail[:300],
            )
            for c in found
        )
        if not found:
            eligible.append(expert)
    _require(bool(eligible), _("没有可抽取的无利益冲突专家"))
    chosen = random.Random(seed).sample(eligible, min(size, len(eligible)))
    seats = [PanelSeat.objects.create(round=review_round, expert=e) for e in chosen]
    notify(
        [e.user for e in chosen],
        "challenges.review.assigned",
        _("评审任务：%(r)s") % {"r": review_round},
        _("您被抽取为本轮评审专家，请在评审页面为每份申请打分；如有利益冲突请申报回避。"),
        reverse("challenges:reviews"),
    )
    record(
        by,
        "challenges.round.draw_panel",
        review_round,
        str(review_round),
        experts=[e.pk for e in chosen],
        excluded=len(set(review_round.conflicts.values_list("expert", flat=True))),
    )
    return seats


@transaction.atomic
def declare_conflict(seat: PanelSeat, *, by, detail: str) -> PanelSeat:
    """A reviewer declares a conflict not found automatically and steps down before scoring."""
    seat = _locked(seat)
    if seat.expert.user_id != getattr(by, "pk", None):
        raise PermissionDenied(_("只能由评审专家本人申报回避"))
    _require(seat.round.status == ReviewRound.Status.OPEN, _("该轮评审已启封"))
    _require(seat.status == PanelSeat.Status.ACTIVE, _("已申报回避"))
    _require(not seat.scores.exists(), _("已打分，不能再申报回避"))
    _require(bool(detail.strip()), _("请说明回避原因"))
    seat.status = PanelSeat.Status.RECUSED
    seat.save(update_fields=["status"])
    ConflictRecord.objects.create(
        round=seat.round, expert=seat.expert, reason=ConflictRecord.Reason.DECLARED, detail=detail
    )
    record(by, "challenges.seat.recuse", seat, detail)
    _tell_if_all_scored(seat.round)
    return seat


@transaction.atomic
def submit_score(
    seat: PanelSeat,
    application: Application,
    *,
    by,
    marks: dict[int, Decimal],
    comment: str = "",
    now=None,
) -> Score:
    """A reviewer scores an application of their round once: a 0–100 mark per rubric criterion, weighted
    into the total. The score stays sealed until the round is unsealed."""
    now = _now(now)
    seat = _locked(seat)
    if seat.expert.user_id != getattr(by, "pk", None):
        raise PermissionDenied(_("只能由评审专家本人打分"))
    review_round = seat.round
    _require(review_round.status == ReviewRound.Status.OPEN, _("该轮评审已启封"))
    _require(seat.status == PanelSeat.Status.ACTIVE, _("您已回避本任务评审"))
    _require(
        review_round.applications.filter(pk=application.pk).exists(), _("该申请不在本轮评审中")
    )
    criteria = list(review_round.challenge.challenge_list.criteria.all())
    _require({c.pk for c in criteria} == set(marks), _("请为每个评分项打分"))
    clean = {pk: Decimal(v) for pk, v in marks.items()}
    _require(all(0 <= v <= 100 for v in clean.values()), _("每项得分应在 0–100 之间"))
    total = to_yuan(sum(clean[c.pk] * c.weight for c in criteria) / HUNDRED)
    try:
        with transaction.atomic():
            score = Score.objects.create(
                round=review_round,
                seat=seat,
                application=application,
                marks={str(k): str(v) for k, v in clean.items()},
                total=total,
                comment=comment,
                submitted_at=now,
            )
    except IntegrityError:
        raise ChallengeError(_("您已为该申请打过分")) from None
    record(by, "challenges.score.submit", score, "")
    _tell_if_all_scored(review_round)
    return score


def missing_scores(review_round: ReviewRound) -> int:
    """How many (active seat, application) scores the round still waits for."""
    seats = review_round.seats.filter(status=PanelSeat.Status.ACTIVE)
    expected = seats.count() * review_round.applications.count()
    received = Score.objects.filter(round=review_round, seat__in=seats).count()
    return expected - received


def _tell_if_all_scored(review_round: ReviewRound) -> None:
    """Once the last score of a round is in (or the last reviewer still owing one recused), its sealed
    scores wait for the operators to unseal them."""
    if (
        review_round.seats.filter(status=PanelSeat.Status.ACTIVE).exists()
        and missing_scores(review_round) == 0
    ):
        challenge_list = review_round.challenge.challenge_list
        notify(
            operators_of(challenge_list.region),
            "challenges.scores.sealed",
            _("评分已齐待启封：%(r)s") % {"r": review_round},
            _("本轮评审专家已全部完成打分，评分密封保存，请启封。"),
            _manage_url(challenge_list) + f"#round-{review_round.pk}",
        )


@transaction.atomic
def unseal_round(review_round: ReviewRound, *, by, now=None) -> ReviewRound:
    """open → unsealed, once every active reviewer has scored every application of the round."""
    now = _now(now)
    review_round = _locked(review_round)
    _require_operator(by, review_round.challenge.challenge_list.region)
    _require(review_round.status == ReviewRound.Status.OPEN, _("该轮评审已启封"))
    _require(
        review_round.seats.filter(status=PanelSeat.Status.ACTIVE).exists(),
        _("该轮还没有评审专家"),
    )
    _require(missing_scores(review_round) == 0, _("还有评审专家未完成打分"))
    review_round.status = ReviewRound.Status.UNSEALED
    review_round.unsealed_at = now
    review_round.save(update_fields=["status", "unsealed_at"])
    record(by, "challenges.round.unseal", review_round, str(review_round))
    title = _("评分已启封：%(r)s") % {"r": review_round}
    notify(
        get_user_model().objects.filter(
            expert_profile__panel_seats__round=review_round,
            expert_profile__panel_seats__status=PanelSeat.Status.ACTIVE,
        ),
        "challenges.scores.opened",
        title,
        _("本轮评分已启封，可查看全部评审专家的评分。"),
        reverse("challenges:reviews"),
    )
    for application in review_round.applications.all():
        notify(
            _applicants(application),
            "challenges.scores.opened",
            title,
            _("本轮评分已启封，可在申请页面查看您的得分。"),
            application.get_absolute_url(),
        )
    return review_round


@transaction.atomic
def start_final_round(
    review_round: ReviewRound, applications: Sequence[Application], *, by
) -> ReviewRound:
    """After an unsealed first round (初评), shortlist some of its applications for a final round (终评);
    the shortlisted move under_review → shortlisted."""
    review_round = _locked(review_round)
    challenge_list = review_round.challenge.challenge_list
    _require_operator(by, challenge_list.region)
    _require(challenge_list.status == ChallengeList.Status.REVIEWING, _("榜单不在评审中"))
    _require(review_round.number == 1, _("只有初评之后可以进入终评"))
    _require(review_round.status == ReviewRound.Status.UNSEALED, _("初评尚未启封"))
    _require(
        not ReviewRound.objects.filter(challenge=review_round.challenge, number=2).exists(),
        _("终评已开始"),
    )
    ids = {a.pk for a in applications}
    _require(bool(ids), _("请选择进入终评的申请"))
    in_round = review_round.applications.filter(pk__in=ids, status=Application.Status.UNDER_REVIEW)
    _require(in_round.count() == len(ids), _("所选申请不在初评中"))
    final = ReviewRound.objects.create(challenge=review_round.challenge, number=2)
    final.applications.set(in_round)
    in_round.update(status=Application.Status.SHORTLISTED)
    record(by, "challenges.round.final", final, str(final), applications=sorted(ids))
    for application in final.applications.all():
        notify(
            _applicants(application),
            "challenges.application.shortlisted",
            _("揭榜申请进入终评：%(t)s") % {"t": application.challenge.title},
            _("您的揭榜申请通过初评，进入终评。"),
            application.get_absolute_url(),
        )
    return final


@transaction.atomic
def select_application(application: Application, *, by) -> Application:
    """under_review / shortlisted → selected: the operator picks the task's winner from its last,
    unsealed round. A task has at most one winner."""
    application = _locked(application)
    challenge = application.challenge
    _require_operator(by, challenge.challenge_list.region)
    _require(challenge.challenge_list.status == ChallengeList.Status.REVIEWING, _("榜单不在评审中"))
    last = challenge.rounds.order_by("-number").first()
    _require(
        last is not None and last.status == ReviewRound.Status.UNSEALED,
        _("评审尚未启封，不能确定揭榜单位"),
    )
    expected = (
        Application.Status.SHORTLISTED if last.number == 2 else Application.Status.UNDER_REVIEW
    )
    _require(
        application.status == expected and last.applications.filter(pk=application.pk).exists(),
        _("该申请不在最后一轮评审中"),
    )
    _require(
        not challenge.applications.filter(status=Application.Status.SELECTED).exists(),
        _("该任务已确定揭榜单位"),
    )
    application.status = Application.Status.SELECTED
    application.save(update_fields=["status"])
    record(by, "challenges.application.select", application, str(application))
    return application


@transaction.atomic
def announce_list(challenge_list: ChallengeList, *, by, now=None) -> ChallengeList:
    """reviewing → announced: the winners are published for the objection period (公示); every other
    application still in review becomes not_selected."""
    now = _now(now)
    challenge_list = _locked(challenge_list)
    _require_operator(by, challenge_list.region)
    _require(challenge_list.status == ChallengeList.Status.REVIEWING, _("榜单不在评审中"))
    pending = ReviewRound.objects.filter(
        challenge__challenge_list=challenge_list, status=ReviewRound.Status.OPEN
    )
    _require(not pending.exists(), _("还有评审轮次未启封"))
    in_review = Application.objects.filter(
        challenge__challenge_list=challenge_list,
        status__in=[Application.Status.UNDER_REVIEW, Application.Status.SHORTLISTED],
    )
    rejected = list(in_review.select_related("challenge"))
    in_review.update(status=Application.Status.NOT_SELECTED)
    challenge_list.status = ChallengeList.Status.ANNOUNCED
    challenge_list.announced_at = now
    challenge_list.objection_ends_at = now + datetime.timedelta(days=challenge_list.objection_days)
    challenge_list.save(update_fields=["status", "announced_at", "objection_ends_at"])
    record(by, "challenges.list.announce", challenge_list, challenge_list.title)
    ends = challenge_list.objection_ends_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    for application in rejected:
        notify(
            _applicants(application),
            "challenges.application.rejected",
            _("揭榜申请未入选：%(t)s") % {"t": application.challenge.title},
            _("评审结束，您的揭榜申请未入选。感谢参与。"),
            application.get_absolute_url(),
        )
    winners = Application.objects.filter(
        challenge__challenge_list=challenge_list, status=Application.Status.SELECTED
    ).select_related("challenge", "lead")
    for application in winners:
        title = _("揭榜单位公示：%(t)s") % {"t": application.challenge.title}
        body = _("拟揭榜单位：%(lead)s，公示至 %(ends)s（北京时间），公示期内可提出异议。") % {
            "lead": application.lead,
            "ends": ends,
        }
        notify(
            _applicants(application),
            "challenges.list.announced",
            title,
            body,
            application.get_absolute_url(),
        )
        notify(
            _department(application.challenge),
            "challenges.list.announced",
            title,
            body,
            challenge_list.get_absolute_url(),
        )
    return challenge_list


@transaction.atomic
def file_objection(application: Application, *, by, text: str, now=None) -> Objection:
    """Anyone signed in objects to an announced winner within the objection period."""
    now = _now(now)
    if not getattr(by, "is_authenticated", False):
        raise PermissionDenied(_("请先登录"))
    application = _locked(application)
    challenge_list = application.challenge.challenge_list
    _require(
        challenge_list.status == ChallengeList.Status.ANNOUNCED
        and application.status == Application.Status.SELECTED,
        _("只能对公示中的揭榜单位提出异议"),
    )
    _require(now < challenge_list.objection_ends_at, _("公示期已结束"))
    _require(bool(text.strip()), _("请填写异议内容"))
    objection = Objection.objects.create(
        application=application, filed_by=by, text=text, filed_at=now
    )
    record(by, "challenges.objection.file", objection, text[:100])
    title = _("公示异议：%(t)s") % {"t": application.challenge.title}
    notify(
        operators_of(challenge_list.region),
        "challenges.objection.filed",
        title,
        text,
        _manage_url(challenge_list),
    )
    notify(
        _applicants(application),
        "challenges.objection.filed",
        title,
        _("有人对您的拟揭榜公示提出异议，运营人员处理后将通知您。"),
        application.get_absolute_url(),
    )
    return objection


@transaction.atomic
def resolve_objection(
    objection: Objection, *, by, upheld: bool, resolution: str, now=None
) -> Objection:
    """open → upheld / dismissed. An upheld objection revokes the selection (selected → not_selected)."""
    now = _now(now)
    objection = _locked(objection)
    application = _locked(objection.application)
    _require_operator(by, application.challenge.challenge_list.region)
    _require(objection.status == Objection.Status.OPEN, _("该异议已处理"))
    _require(bool(resolution.strip()), _("请填写处理意见"))
    objection.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
    objection.resolution = resolution
    objection.resolved_at = now
    objection.save(update_fields=["status", "resolution", "resolved_at"])
    revoked = upheld and application.status == Application.Status.SELECTED
    if revoked:
        application.status = Application.Status.NOT_SELECTED
        application.save(update_fields=["status"])
    record(by, "challenges.objection.resolve", objection, resolution[:100], upheld=upheld)
    title = (_("异议成立：%(t)s") if upheld else _("异议不成立：%(t)s")) % {
        "t": application.challenge.title
    }
    notify(
        [objection.filed_by],
        "challenges.objection.resolved",
        title,
        resolution,
        application.challenge.challenge_list.get_absolute_url(),
    )
    notify(
        _applicants(application),
        "challenges.application.rejected" if revoked else "challenges.objection.resolved",
        title,
        "\n".join([resolution, _("入选资格已撤销。")]) if revoked else resolution,
        application.get_absolute_url(),
    )
    return objection


# --- agreement, milestones, tranches --------------------------------------------------------------


LEDGER_SCOPE = "challenges"


def _bounty_account(agreement: Agreement, purpose: str) -> Account:
    return ledger.open_account(agreement, purpose, may_go_negative=purpose == BOUNTY_PLEDGED)


def _move(agreement, source, destination, amount, *, by, event, target, key, refusal="") -> None:
    """Post ``amount`` of ``agreement``'s bounty from one ledger account to another (once per ``key``);
    an overdraft of the source is refused with ``refusal`` (the pledge, a source, has no limit)."""
    try:
        ledger.transfer(
            _bounty_account(agreement, source),
            _bounty_account(agreement, destination),
            amount,
            actor=by,
            event=event,
            target=target,
            memo=str(agreement),
            scope=LEDGER_SCOPE,
            idempotency_key=key,
        )
    except Refused as refused:
        raise ChallengeError(
            refusal if refused.code == "insufficient" and refusal else refused.message
        ) from None


def _commit_tranche(
    agreement: Agreement, amount: Decimal, milestone: Milestone | None, by
) -> Tranche:
    """Plan a tranche: commit its amount from what the bounty leaves unplanned."""
    _require(amount > 0, _("拨付金额必须大于零"))
    tranche = Tranche.objects.create(agreement=agreement, milestone=milestone, amount=amount)
    _move(
        agreement,
        BOUNTY_UNPLANNED,
        BOUNTY_COMMITTED,
        amount,
        by=by,
        event="challenges.tranche.commit",
        target=tranche,
        key=f"tranche:{tranche.pk}:commit",
        refusal=_("拨付安排总额不能超过榜金"),
    )
    Agreement.objects.filter(pk=agreement.pk).update(committed_total=F("committed_total") + amount)
    return tranche


def _release(tranche: Tranche, by, now: datetime.datetime) -> Tranche:
    """Pay a planned tranche once: flip it to released and move its amount from committed to released."""
    flipped = Tranche.objects.filter(pk=tranche.pk, status=Tranche.Status.PLANNED).update(
        status=Tranche.Status.RELEASED, released_at=now, released_by=by
    )
    _require(flipped == 1, _("该批次已拨付"))
    _move(
        tranche.agreement,
        BOUNTY_COMMITTED,
        BOUNTY_RELEASED,
        tranche.amount,
        by=by,
        event="challenges.tranche.release",
        target=tranche,
        key=f"tranche:{tranche.pk}:release",
        refusal=_("拨付总额不能超过榜金"),
    )
    Agreement.objects.filter(pk=tranche.agreement_id).update(
        released_total=F("released_total") + tranche.amount
    )
    tranche.refresh_from_db()
    return tranche


@transaction.atomic
def sign_agreement(
    application: Application,
    *,
    by,
    first_tranche: Decimal,
    milestones: Sequence[dict],
    now=None,
) -> Agreement:
    """selected → contracted: after the objection period with every objection resolved, the operator signs
    the task book with its milestones (each ``{"title", "due_on", "amount"}``). The first tranche, at least
    the list's minimum share of the bounty, is released on signing; the tranches never exceed the bounty."""
    now = _now(now)
    application = _locked(application)
    challenge = application.challenge
    challenge_list = challenge.challenge_list
    _require_operator(by, challenge_list.region)
    _require(application.status == Application.Status.SELECTED, _("该申请不是拟揭榜单位"))
    _require(challenge_list.status == ChallengeList.Status.ANNOUNCED, _("榜单不在公示阶段"))
    _require(now >= challenge_list.objection_ends_at, _("公示期尚未结束"))
    _require(
        not Objection.objects.filter(
            application__challenge=challenge, status=Objection.Status.OPEN
        ).exists(),
        _("还有未处理的异议"),
    )
    _require(bool(milestones), _("任务书至少需要一个里程碑"))
    first_tranche = to_yuan(first_tranche)
    minimum = to_yuan(challenge.bounty * challenge_list.first_tranche_min_percent / HUNDRED)
    _require(
        first_tranche >= minimum,
        _("首期拨付不得低于榜金的 %(p)s%%（%(m)s 元）")
        % {"p": challenge_list.first_tranche_min_percent.normalize(), "m": minimum},
    )
    agreement = Agreement.objects.create(
        application=application, challenge=challenge, bounty=challenge.bounty, signed_at=now
    )
    _move(
        agreement,
        BOUNTY_PLEDGED,
        BOUNTY_UNPLANNED,
        agreement.bounty,
        by=by,
        event="challenges.bounty.pledge",
        target=agreement,
        key=f"agreement:{agreement.pk}:pledge",
    )
    signing = _commit_tranche(agreement, first_tranche, None, by)
    for order, item in enumerate(milestones, start=1):
        milestone = Milestone.objects.create(
            agreement=agreement, order=order, title=item["title"], due_on=item["due_on"]
        )
        if item.get("amount"):
            _commit_tranche(agreement, to_yuan(item["amount"]), milestone, by)
    _release(signing, by, now)
    application.status = Application.Status.CONTRACTED
    application.save(update_fields=["status"])
    record(by, "challenges.agreement.sign", agreement, str(agreement), first=str(first_tranche))
    agreement.refresh_from_db()
    contract_from_challenge(
        by, agreement, now=now
    )  # the task book's technology-development contract
    _tell_tranche_released(agreement, signing)
    return agreement


def _tell_tranche_released(agreement: Agreement, tranche: Tranche) -> None:
    """The applicants and the proposing department learn that a tranche was paid: the lead with a link
    to the task book, the other members to the application, the department to the public task page."""
    application, challenge = agreement.application, agreement.challenge
    title = _("榜金已拨付：%(t)s") % {"t": challenge.title}
    body = _("本次拨付 %(a)s 元，累计已拨付 %(r)s 元（榜金 %(b)s 元）。") % {
        "a": tranche.amount,
        "r": agreement.released_total,
        "b": agreement.bounty,
    }
    event = "challenges.tranche.released"
    notify(users_of(application.lead_id), event, title, body, agreement.get_absolute_url())
    notify(_applicants(application, lead=False), event, title, body, application.get_absolute_url())
    notify(_department(challenge), event, title, body, challenge.get_absolute_url())


def _locked_active_agreement(agreement: Agreement, by) -> Agreement:
    agreement = _locked(agreement)
    _require_operator(by, agreement.challenge.challenge_list.region)
    _require(agreement.status == Agreement.Status.ACTIVE, _("任务书已验收结束"))
    return agreement


@transaction.atomic
def add_tranche(agreement: Agreement, milestone: Milestone, amount: Decimal, *, by) -> Tranche:
    """Tie a further tranche to a milestone that has none, within what the bounty leaves."""
    agreement = _locked_active_agreement(agreement, by)
    _require(milestone.agreement_id == agreement.pk, _("里程碑不属于该任务书"))
    _require(not Tranche.objects.filter(milestone=milestone).exists(), _("该里程碑已有拨付批次"))
    tranche = _commit_tranche(agreement, to_yuan(amount), milestone, by)
    record(by, "challenges.tranche.add", tranche, str(tranche.amount))
    return tranche


@transaction.atomic
def submit_milestone(milestone: Milestone, *, by, evidence: str, now=None) -> Milestone:
    """pending / returned → submitted: the lead organisation reports the milestone with its evidence."""
    now = _now(now)
    milestone = _locked(milestone)
    agreement = milestone.agreement
    if not acts_for(by, agreement.application.lead_id):
        raise PermissionDenied(_("只有牵头单位成员可以提交里程碑"))
    _require(agreement.status == Agreement.Status.ACTIVE, _("任务书已验收结束"))
    _require(
        milestone.status in (Milestone.Status.PENDING, Milestone.Status.RETURNED),
        _("该里程碑已提交"),
    )
    _require(bool(evidence.strip()), _("请填写完成情况与证明材料"))
    milestone.status = Milestone.Status.SUBMITTED
    milestone.evidence = evidence
    milestone.submitted_at = now
    milestone.save(update_fields=["status", "evidence", "submitted_at"])
    record(by, "challenges.milestone.submit", milestone, milestone.title)
    return milestone


@transaction.atomic
def review_milestone(
    milestone: Milestone, *, by, accepted: bool, note: str = "", now=None
) -> Milestone:
    """submitted → accepted / returned: the operator judges the evidence (a return needs a reason)."""
    now = _now(now)
    _locked_active_agreement(milestone.agreement, by)  # agreement before milestone, as everywhere
    milestone = _locked(milestone)
    _require(milestone.status == Milestone.Status.SUBMITTED, _("该里程碑未提交或已验收"))
    _require(accepted or bool(note.strip()), _("请填写退回理由"))
    milestone.status = Milestone.Status.ACCEPTED if accepted else Milestone.Status.RETURNED
    milestone.review_note = note[:300]
    milestone.accepted_at = now if accepted else None
    milestone.save(update_fields=["status", "review_note", "accepted_at"])
    record(by, "challenges.milestone.review", milestone, note, accepted=accepted)
    return milestone


@transaction.atomic
def extend_milestone(milestone: Milestone, *, by, due_on: datetime.date) -> Milestone:
    """Move an unfinished milestone's due date later; an agreement allows this once."""
    agreement = _locked_active_agreement(milestone.agreement, by)  # agreement before milestone
    milestone = _locked(milestone)
    _require(milestone.status != Milestone.Status.ACCEPTED, _("该里程碑已通过"))
    _require(due_on > milestone.due_on, _("延期后的日期必须晚于原定日期"))
    used = Agreement.objects.filter(pk=agreement.pk, extension_used=False).update(
        extension_used=True
    )
    _require(used == 1, _("任务书只允许延期一次"))
    milestone.extended_from = milestone.due_on
    milestone.due_on = due_on
    milestone.save(update_fields=["extended_from", "due_on"])
    record(by, "challenges.milestone.extend", milestone, str(due_on))
    return milestone


@transaction.atomic
def release_tranche(tranche: Tranche, *, by, now=None) -> Tranche:
    """planned → released, only after the operator accepted the tranche's milestone. The agreement row is
    locked first, so concurrent requests queue; a tranche is paid at most once and never beyond the plan."""
    now = _now(now)
    agreement = _locked_active_agreement(tranche.agreement, by)
    tranche = Tranche.objects.select_related("milestone").get(pk=tranche.pk)
    _require(tranche.status == Tranche.Status.PLANNED, _("该批次已拨付"))
    _require(
        tranche.milestone is not None and tranche.milestone.status == Milestone.Status.ACCEPTED,
        _("里程碑验收通过后才能拨付"),
    )
    tranche = _release(tranche, by, now)
    record(by, "challenges.tranche.release", tranche, str(tranche.amount), agreement=agreement.pk)
    agreement.refresh_from_db()
    _tell_tranche_released(agreement, tranche)
    return tranche


@transaction.atomic
def accept_final(agreement: Agreement, *, by, measured: dict[int, Decimal], now=None) -> Agreement:
    """active → accepted / failed: final acceptance (验收) measures every indicator after every milestone
    is accepted; the task is solved when all indicators meet their targets."""
    now = _now(now)
    agreement = _locked_active_agreement(agreement, by)
    _require(
        not agreement.milestones.exclude(status=Milestone.Status.ACCEPTED).exists(),
        _("还有里程碑未通过"),
    )
    indicators = list(agreement.challenge.indicators.all())
    _require({i.pk for i in indicators} == set(measured), _("请填写每项指标的实测值"))
    results = [
        IndicatorResult(
            agreement=agreement,
            indicator=i,
            measured=Decimal(measured[i.pk]),
            met=i.is_met_by(Decimal(measured[i.pk])),
        )
        for i in indicators
    ]
    IndicatorResult.objects.bulk_create(results)
    solved = all(r.met for r in results)
    agreement.status = Agreement.Status.ACCEPTED if solved else Agreement.Status.FAILED
    agreement.accepted_at = now
    agreement.save(update_fields=["status", "accepted_at"])
    record(by, "challenges.agreement.accept", agreement, str(agreement), solved=solved)
    return agreement


@transaction.atomic
def conclude_list(challenge_list: ChallengeList, *, by, now=None) -> ChallengeList:
    """announced → concluded, after the objection period, with every objection resolved and every
    remaining winner contracted."""
    now = _now(now)
    challenge_list = _locked(challenge_list)
    _require_operator(by, challenge_list.region)
    _require(challenge_list.status == ChallengeList.Status.ANNOUNCED, _("榜单不在公示阶段"))
    _require(now >= challenge_list.objection_ends_at, _("公示期尚未结束"))
    applications = Application.objects.filter(challenge__challenge_list=challenge_list)
    _require(
        not Objection.objects.filter(
            application__in=applications, status=Objection.Status.OPEN
        ).exists(),
        _("还有未处理的异议"),
    )
    _require(
        not applications.filter(status=Application.Status.SELECTED).exists(),
        _("还有揭榜单位未签订任务书"),
    )
    challenge_list.status = ChallengeList.Status.CONCLUDED
    challenge_list.save(update_fields=["status"])
    record(by, "challenges.list.conclude", challenge_list, challenge_list.title)
    return challenge_list
