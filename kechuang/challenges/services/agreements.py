"""The task book (任务书): sign the agreement, milestones, bounty tranches through the ledger, final acceptance
(验收) and concluding the list."""

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import acts_for, users_of
from kechuang.challenges.events import ChallengeEvent
from kechuang.challenges.models import (
    BOUNTY_COMMITTED,
    BOUNTY_PLEDGED,
    BOUNTY_RELEASED,
    BOUNTY_UNPLANNED,
    Agreement,
    Application,
    ChallengeList,
    IndicatorResult,
    Milestone,
    Objection,
    Tranche,
)
from kechuang.challenges.services.common import (
    HUNDRED,
    _applicants,
    _department,
    _require_operator,
    check_conclude_list,
)
from kechuang.contracts.services import contract_from_challenge
from kechuang.core.actions import (
    Refused,
    checked_by,
    lock,
    locked,
    now_or_default,
    require,
)
from kechuang.core.audit import record
from kechuang.core.money import to_yuan
from kechuang.ledger import services as ledger
from kechuang.ledger.models import Account
from kechuang.notifications.services import notify

# --- agreement, milestones, tranches --------------------------------------------------------------


LEDGER_SCOPE = "challenges"


def _bounty_account(agreement: Agreement, purpose: str) -> Account:
    return ledger.open_account(agreement, purpose, may_go_negative=purpose == BOUNTY_PLEDGED)


def _move(actor, agreement, source, destination, amount, *, event, target, key, refusal="") -> None:
    """Post ``amount`` of ``agreement``'s bounty from one ledger account to another (once per ``key``);
    an overdraft of the source is refused with ``refusal`` (the pledge, a source, has no limit)."""
    try:
        ledger.transfer(
            _bounty_account(agreement, source),
            _bounty_account(agreement, destination),
            amount,
            actor=actor,
            event=event,
            target=target,
            memo=str(agreement),
            scope=LEDGER_SCOPE,
            idempotency_key=key,
        )
    except Refused as refused:
        raise Refused(
            refusal if refused.code == "insufficient" and refusal else refused.message
        ) from None


def _commit_tranche(
    agreement: Agreement, amount: Decimal, milestone: Milestone | None, actor
) -> Tranche:
    """Plan a tranche: commit its amount from what the bounty leaves unplanned."""
    require(amount > 0, _("拨付金额必须大于零"))
    tranche = Tranche.objects.create(agreement=agreement, milestone=milestone, amount=amount)
    _move(
        actor,
        agreement,
        BOUNTY_UNPLANNED,
        BOUNTY_COMMITTED,
        amount,
        event=ChallengeEvent.TRANCHE_COMMIT,
        target=tranche,
        key=f"tranche:{tranche.pk}:commit",
        refusal=_("拨付安排总额不能超过榜金"),
    )
    Agreement.objects.filter(pk=agreement.pk).update(committed_total=F("committed_total") + amount)
    return tranche


def _release(tranche: Tranche, actor, now: datetime.datetime) -> Tranche:
    """Pay a planned tranche once: flip it to released and move its amount from committed to released."""
    flipped = Tranche.objects.filter(pk=tranche.pk, status=Tranche.Status.PLANNED).update(
        status=Tranche.Status.RELEASED, released_at=now, released_by=actor
    )
    require(flipped == 1, _("该批次已拨付"))
    _move(
        actor,
        tranche.agreement,
        BOUNTY_COMMITTED,
        BOUNTY_RELEASED,
        tranche.amount,
        event=ChallengeEvent.TRANCHE_RELEASE,
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
    actor,
    application: Application,
    *,
    first_tranche: Decimal,
    milestones: Sequence[dict],
    now=None,
) -> Agreement:
    """selected → contracted: after the objection period with every objection resolved, the operator signs
    the task book with its milestones (each ``{"title", "due_on", "amount"}``). The first tranche, at least
    the list's minimum share of the bounty, is released on signing; the tranches never exceed the bounty."""
    now = now_or_default(now)
    application = locked(application)
    challenge = application.challenge
    challenge_list = challenge.challenge_list
    _require_operator(actor, challenge_list.region)
    require(application.status == Application.Status.SELECTED, _("该申请不是拟揭榜单位"))
    require(challenge_list.status == ChallengeList.Status.ANNOUNCED, _("榜单不在公示阶段"))
    require(now >= challenge_list.objection_ends_at, _("公示期尚未结束"))
    require(
        not Objection.objects.filter(
            application__challenge=challenge, status=Objection.Status.OPEN
        ).exists(),
        _("还有未处理的异议"),
    )
    require(bool(milestones), _("任务书至少需要一个里程碑"))
    first_tranche = to_yuan(first_tranche)
    minimum = to_yuan(challenge.bounty * challenge_list.first_tranche_min_percent / HUNDRED)
    require(
        first_tranche >= minimum,
        _("首期拨付不得低于榜金的 %(p)s%%（%(m)s 元）")
        % {"p": challenge_list.first_tranche_min_percent.normalize(), "m": minimum},
    )
    agreement = Agreement.objects.create(
        application=application, challenge=challenge, bounty=challenge.bounty, signed_at=now
    )
    _move(
        actor,
        agreement,
        BOUNTY_PLEDGED,
        BOUNTY_UNPLANNED,
        agreement.bounty,
        event=ChallengeEvent.BOUNTY_PLEDGE,
        target=agreement,
        key=f"agreement:{agreement.pk}:pledge",
    )
    signing = _commit_tranche(agreement, first_tranche, None, actor)
    for order, item in enumerate(milestones, start=1):
        milestone = Milestone.objects.create(
            agreement=agreement, order=order, title=item["title"], due_on=item["due_on"]
        )
        if item.get("amount"):
            _commit_tranche(agreement, to_yuan(item["amount"]), milestone, actor)
    _release(signing, actor, now)
    application.status = Application.Status.CONTRACTED
    application.save(update_fields=["status"])
    record(
        actor, ChallengeEvent.AGREEMENT_SIGN, agreement, str(agreement), first=str(first_tranche)
    )
    agreement.refresh_from_db()
    contract_from_challenge(
        actor, agreement, now=now
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
    event = ChallengeEvent.TRANCHE_RELEASED
    notify(users_of(application.lead_id), event, title, body, agreement.get_absolute_url())
    notify(_applicants(application, lead=False), event, title, body, application.get_absolute_url())
    notify(_department(challenge), event, title, body, challenge.get_absolute_url())


def _locked_active_agreement(agreement: Agreement, actor, *rows) -> list:
    """The agreement and ``rows`` (its milestones, tranches) locked in the kernel's one order — the
    agreement before the rows that belong to it — once the operator may act on an active agreement."""
    agreement, *rows = lock(agreement, *rows)
    _require_operator(actor, agreement.challenge.challenge_list.region)
    require(agreement.status == Agreement.Status.ACTIVE, _("任务书已验收结束"))
    return [agreement, *rows]


@transaction.atomic
def add_tranche(actor, agreement: Agreement, milestone: Milestone, amount: Decimal) -> Tranche:
    """Tie a further tranche to a milestone that has none, within what the bounty leaves."""
    agreement, milestone = _locked_active_agreement(agreement, actor, milestone)
    require(milestone.agreement_id == agreement.pk, _("里程碑不属于该任务书"))
    require(not Tranche.objects.filter(milestone=milestone).exists(), _("该里程碑已有拨付批次"))
    tranche = _commit_tranche(agreement, to_yuan(amount), milestone, actor)
    record(actor, ChallengeEvent.TRANCHE_ADD, tranche, str(tranche.amount))
    return tranche


@transaction.atomic
def submit_milestone(actor, milestone: Milestone, *, evidence: str, now=None) -> Milestone:
    """pending / returned → submitted: the lead organisation reports the milestone with its evidence."""
    now = now_or_default(now)
    agreement, milestone = lock(milestone.agreement, milestone)
    if not acts_for(actor, agreement.application.lead_id):
        raise PermissionDenied(_("只有牵头单位成员可以提交里程碑"))
    require(agreement.status == Agreement.Status.ACTIVE, _("任务书已验收结束"))
    require(
        milestone.status in (Milestone.Status.PENDING, Milestone.Status.RETURNED),
        _("该里程碑已提交"),
    )
    require(bool(evidence.strip()), _("请填写完成情况与证明材料"))
    milestone.status = Milestone.Status.SUBMITTED
    milestone.evidence = evidence
    milestone.submitted_at = now
    milestone.save(update_fields=["status", "evidence", "submitted_at"])
    record(actor, ChallengeEvent.MILESTONE_SUBMIT, milestone, milestone.title)
    return milestone


@transaction.atomic
def review_milestone(
    actor, milestone: Milestone, *, accepted: bool, note: str = "", now=None
) -> Milestone:
    """submitted → accepted / returned: the operator judges the evidence (a return needs a reason)."""
    now = now_or_default(now)
    _agreement, milestone = _locked_active_agreement(milestone.agreement, actor, milestone)
    require(milestone.status == Milestone.Status.SUBMITTED, _("该里程碑未提交或已验收"))
    require(accepted or bool(note.strip()), _("请填写退回理由"))
    milestone.status = Milestone.Status.ACCEPTED if accepted else Milestone.Status.RETURNED
    milestone.review_note = note[:300]
    milestone.accepted_at = now if accepted else None
    milestone.save(update_fields=["status", "review_note", "accepted_at"])
    record(actor, ChallengeEvent.MILESTONE_REVIEW, milestone, note, accepted=accepted)
    return milestone


@transaction.atomic
def extend_milestone(actor, milestone: Milestone, *, due_on: datetime.date) -> Milestone:
    """Move an unfinished milestone's due date later; an agreement allows this once."""
    agreement, milestone = _locked_active_agreement(milestone.agreement, actor, milestone)
    require(milestone.status != Milestone.Status.ACCEPTED, _("该里程碑已通过"))
    require(due_on > milestone.due_on, _("延期后的日期必须晚于原定日期"))
    used = Agreement.objects.filter(pk=agreement.pk, extension_used=False).update(
        extension_used=True
    )
    require(used == 1, _("任务书只允许延期一次"))
    milestone.extended_from = milestone.due_on
    milestone.due_on = due_on
    milestone.save(update_fields=["extended_from", "due_on"])
    record(actor, ChallengeEvent.MILESTONE_EXTEND, milestone, str(due_on))
    return milestone


@transaction.atomic
def release_tranche(actor, tranche: Tranche, *, now=None) -> Tranche:
    """planned → released, only after the operator accepted the tranche's milestone. The agreement row is
    locked first, so concurrent requests queue; a tranche is paid at most once and never beyond the plan."""
    now = now_or_default(now)
    agreement, _tranche = _locked_active_agreement(tranche.agreement, actor, tranche)
    tranche = Tranche.objects.select_related("milestone").get(pk=tranche.pk)
    require(tranche.status == Tranche.Status.PLANNED, _("该批次已拨付"))
    require(
        tranche.milestone is not None and tranche.milestone.status == Milestone.Status.ACCEPTED,
        _("里程碑验收通过后才能拨付"),
    )
    tranche = _release(tranche, actor, now)
    record(
        actor, ChallengeEvent.TRANCHE_RELEASE, tranche, str(tranche.amount), agreement=agreement.pk
    )
    agreement.refresh_from_db()
    _tell_tranche_released(agreement, tranche)
    return tranche


@transaction.atomic
def accept_final(
    actor, agreement: Agreement, *, measured: dict[int, Decimal], now=None
) -> Agreement:
    """active → accepted / failed: final acceptance (验收) measures every indicator after every milestone
    is accepted; the task is solved when all indicators meet their targets."""
    now = now_or_default(now)
    (agreement,) = _locked_active_agreement(agreement, actor)
    require(
        not agreement.milestones.exclude(status=Milestone.Status.ACCEPTED).exists(),
        _("还有里程碑未通过"),
    )
    indicators = list(agreement.challenge.indicators.all())
    require({i.pk for i in indicators} == set(measured), _("请填写每项指标的实测值"))
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
    record(actor, ChallengeEvent.AGREEMENT_ACCEPT, agreement, str(agreement), solved=solved)
    return agreement


@checked_by(check_conclude_list)
@transaction.atomic
def conclude_list(actor, challenge_list: ChallengeList, *, now=None) -> ChallengeList:
    """announced → concluded, after the objection period, with every objection resolved and every
    remaining winner contracted."""
    now = now_or_default(now)
    challenge_list = locked(challenge_list)
    check_conclude_list(actor, challenge_list)
    require(now >= challenge_list.objection_ends_at, _("公示期尚未结束"))
    applications = Application.objects.filter(challenge__challenge_list=challenge_list)
    require(
        not Objection.objects.filter(
            application__in=applications, status=Objection.Status.OPEN
        ).exists(),
        _("还有未处理的异议"),
    )
    require(
        not applications.filter(status=Application.Status.SELECTED).exists(),
        _("还有揭榜单位未签订任务书"),
    )
    challenge_list.status = ChallengeList.Status.CONCLUDED
    challenge_list.save(update_fields=["status"])
    record(actor, ChallengeEvent.LIST_CONCLUDE, challenge_list, challenge_list.title)
    return challenge_list
