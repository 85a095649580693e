"""Proposals (出题) and lists (榜单): propose a task, start a list, accept or reject tasks onto it, publish it and
close its call."""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import acts_for, operates
from kechuang.challenges.events import ChallengeEvent
from kechuang.challenges.models import (
    SHANGHAI,
    Challenge,
    ChallengeList,
    Indicator,
    RubricCriterion,
)
from kechuang.challenges.services.common import (
    DEFAULT_RUBRIC,
    HUNDRED,
    _require_operator,
    check_close_list,
    check_publish_list,
)
from kechuang.core.actions import (
    checked_by,
    lock,
    locked,
    now_or_default,
    require,
)
from kechuang.core.audit import record
from kechuang.core.money import to_yuan
from kechuang.directory.models import Organization

# --- proposals and lists --------------------------------------------------------------------------


def deadline_problem(deadline: datetime.date | None, now: datetime.datetime) -> str:
    """Why a task's completion deadline is not acceptable (empty when it is): it must lie after today in
    Beijing time. The proposal form shows it beside the field; :func:`propose_challenge` refuses with it."""
    if deadline is None:
        return _("请填写完成期限")
    if deadline <= now.astimezone(SHANGHAI).date():
        return _("完成期限必须晚于今天（北京时间）")
    return ""


@transaction.atomic
def propose_challenge(
    actor,
    *,
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
    now: datetime.datetime | None = None,
) -> Challenge:
    """An enterprise (for itself) or an operator (for a department of their region tree) proposes a task
    with at least one indicator; its bounty is the issuer's share plus the government's. The structured
    eligibility rules (kinds, region, minimum tier, credit code) are checked by
    :func:`eligibility_problems`; ``qualifications`` stays free text."""
    member = proposer is not None and acts_for(actor, proposer.pk)
    operator = operates(actor, region) and (proposer is None or operates(actor, proposer.region))
    if not (member or operator):
        raise PermissionDenied(_("只有出题单位成员或区域运营人员可以提出任务"))
    bounty, issuer_share, government_share = (
        to_yuan(bounty),
        to_yuan(issuer_share),
        to_yuan(government_share),
    )
    require(bounty > 0, _("榜金必须大于零"))
    require(issuer_share >= 0 and government_share >= 0, _("出资不能为负"))
    require(issuer_share + government_share == bounty, _("出题单位出资与政府资助之和必须等于榜金"))
    require(bool(indicators), _("至少需要一项可量化的技术指标"))
    valid_kinds = set(Organization.Kind.values)
    require(set(eligible_kinds) <= valid_kinds, _("揭榜主体类型无效"))
    require(min_tier in Organization.Tier.values, _("培育梯次无效"))
    problem = deadline_problem(completion_deadline, now_or_default(now))
    require(not problem, problem)
    challenge = Challenge.objects.create(
        region=region,
        proposer=proposer,
        proposed_by=actor,
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
        require(bool(item.get("name")) and bool(item.get("unit")), _("指标需要名称和单位"))
        Indicator.objects.create(
            challenge=challenge,
            name=item["name"],
            comparator=item.get("comparator", Indicator.Comparator.AT_LEAST),
            target=Decimal(item["target"]),
            unit=item["unit"],
            order=order,
        )
    record(actor, ChallengeEvent.CHALLENGE_PROPOSE, challenge, title, bounty=str(bounty))
    return challenge


@transaction.atomic
def create_list(
    actor,
    *,
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
    _require_operator(actor, region)
    require(closes_on >= opens_on, _("截止日期不能早于开始日期"))
    require(0 <= first_tranche_min_percent <= 100, _("首期拨付比例应在 0–100% 之间"))
    require(objection_days >= 1, _("公示期至少一天"))
    require(sum(w for _n, w in rubric) == HUNDRED, _("评分权重之和必须为 100"))
    challenge_list = ChallengeList.objects.create(
        region=region,
        title=title,
        issuer=issuer,
        description=description,
        opens_on=opens_on,
        closes_on=closes_on,
        first_tranche_min_percent=first_tranche_min_percent,
        objection_days=objection_days,
        created_by=actor,
    )
    for order, (name, weight) in enumerate(rubric):
        RubricCriterion.objects.create(
            challenge_list=challenge_list, name=name, weight=weight, order=order
        )
    record(actor, ChallengeEvent.LIST_CREATE, challenge_list, title)
    return challenge_list


@transaction.atomic
def accept_challenge(actor, challenge: Challenge, challenge_list: ChallengeList) -> Challenge:
    """proposed → accepted: the operator puts the task on a draft list of their region."""
    challenge_list, challenge = lock(challenge_list, challenge)
    _require_operator(actor, challenge_list.region)
    require(challenge.status == Challenge.Status.PROPOSED, _("该任务不在待审核状态"))
    require(challenge_list.status == ChallengeList.Status.DRAFT, _("只能向草稿榜单加入任务"))
    require(
        challenge.region.path.startswith(challenge_list.region.path),
        _("任务不在榜单的区域内"),
    )
    challenge.status = Challenge.Status.ACCEPTED
    challenge.challenge_list = challenge_list
    challenge.save(update_fields=["status", "challenge_list"])
    record(
        actor, ChallengeEvent.CHALLENGE_ACCEPT, challenge, challenge.title, list=challenge_list.pk
    )
    return challenge


@transaction.atomic
def reject_challenge(actor, challenge: Challenge, *, note: str) -> Challenge:
    """proposed → rejected, with the reason."""
    challenge = locked(challenge)
    _require_operator(actor, challenge.region)
    require(challenge.status == Challenge.Status.PROPOSED, _("该任务不在待审核状态"))
    require(bool(note.strip()), _("请填写不予入榜的理由"))
    challenge.status = Challenge.Status.REJECTED
    challenge.review_note = note[:300]
    challenge.save(update_fields=["status", "review_note"])
    record(actor, ChallengeEvent.CHALLENGE_REJECT, challenge, note)
    return challenge


@checked_by(check_publish_list)
@transaction.atomic
def publish_list(actor, challenge_list: ChallengeList, *, now=None) -> ChallengeList:
    """draft → published: the list goes public with at least one task and a window not yet over."""
    now = now_or_default(now)
    challenge_list = locked(challenge_list)
    check_publish_list(actor, challenge_list)
    require(challenge_list.challenges.in_list().exists(), _("榜单中还没有任务"))
    require(now < challenge_list.window_closes_at, _("揭榜截止日期已过"))
    challenge_list.status = ChallengeList.Status.PUBLISHED
    challenge_list.published_at = now
    challenge_list.save(update_fields=["status", "published_at"])
    record(actor, ChallengeEvent.LIST_PUBLISH, challenge_list, challenge_list.title)
    return challenge_list


@checked_by(check_close_list)
@transaction.atomic
def close_list(actor, challenge_list: ChallengeList, *, now=None) -> ChallengeList:
    """published → closed, once the application window is over."""
    now = now_or_default(now)
    challenge_list = locked(challenge_list)
    check_close_list(actor, challenge_list)
    require(now >= challenge_list.window_closes_at, _("揭榜窗口尚未结束"))
    challenge_list.status = ChallengeList.Status.CLOSED
    challenge_list.save(update_fields=["status"])
    record(actor, ChallengeEvent.LIST_CLOSE, challenge_list, challenge_list.title)
    return challenge_list
