"""Expert review: draw a panel without conflicts of interest, sealed scoring, unsealing, the final round,
selecting the winner, announcing (公示) and objections."""

import datetime
import random
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import operators_of
from kechuang.challenges import conflicts
from kechuang.challenges.events import ChallengeEvent
from kechuang.challenges.models import (
    SHANGHAI,
    Application,
    ChallengeList,
    ConflictRecord,
    Objection,
    PanelSeat,
    ReviewRound,
    Score,
)
from kechuang.challenges.services.common import (
    HUNDRED,
    _applicants,
    _department,
    _manage_url,
    _require_operator,
    check_announce_list,
)
from kechuang.core.actions import (
    Refused,
    checked_by,
    lock,
    locked,
    now_or_default,
    refuse_duplicates,
    require,
)
from kechuang.core.audit import record
from kechuang.core.money import to_yuan
from kechuang.directory.models import Expert, Organization
from kechuang.notifications.services import notify

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
    actor,
    review_round: ReviewRound,
    *,
    size: int,
    field_ids: Iterable[int] | None = None,
    seed: int | None = None,
    now=None,
) -> list[PanelSeat]:
    """Draw up to ``size`` reviewers at random from the experts of the task's fields. Experts in conflict
    with an applying organisation are left out automatically, each reason recorded."""
    now = now_or_default(now)
    review_round = locked(review_round)
    _require_operator(actor, review_round.challenge.challenge_list.region)
    require(review_round.status == ReviewRound.Status.OPEN, _("该轮评审已启封"))
    require(not review_round.seats.exists(), _("该轮已抽取评审专家"))
    require(size >= 1, _("评审专家人数至少为 1"))
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
    require(bool(eligible), _("没有可抽取的无利益冲突专家"))
    chosen = random.Random(seed).sample(eligible, min(size, len(eligible)))
    seats = [PanelSeat.objects.create(round=review_round, expert=e) for e in chosen]
    notify(
        [e.user for e in chosen],
        ChallengeEvent.REVIEW_ASSIGNED,
        _("评审任务：%(r)s") % {"r": review_round},
        _("您被抽取为本轮评审专家，请在评审页面为每份申请打分；如有利益冲突请申报回避。"),
        reverse("challenges:reviews"),
    )
    record(
        actor,
        ChallengeEvent.ROUND_DRAW_PANEL,
        review_round,
        str(review_round),
        experts=[e.pk for e in chosen],
        excluded=len(set(review_round.conflicts.values_list("expert", flat=True))),
    )
    return seats


@transaction.atomic
def declare_conflict(actor, seat: PanelSeat, *, detail: str) -> PanelSeat:
    """A reviewer declares a conflict not found automatically and steps down before scoring."""
    seat = locked(seat)
    if seat.expert.user_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("只能由评审专家本人申报回避"))
    require(seat.round.status == ReviewRound.Status.OPEN, _("该轮评审已启封"))
    require(seat.status == PanelSeat.Status.ACTIVE, _("已申报回避"))
    require(not seat.scores.exists(), _("已打分，不能再申报回避"))
    require(bool(detail.strip()), _("请说明回避原因"))
    seat.status = PanelSeat.Status.RECUSED
    seat.save(update_fields=["status"])
    ConflictRecord.objects.create(
        round=seat.round, expert=seat.expert, reason=ConflictRecord.Reason.DECLARED, detail=detail
    )
    record(actor, ChallengeEvent.SEAT_RECUSE, seat, detail)
    _tell_if_all_scored(seat.round)
    return seat


@transaction.atomic
def submit_score(
    actor,
    seat: PanelSeat,
    application: Application,
    *,
    marks: dict[int, Decimal],
    comment: str = "",
    now=None,
) -> Score:
    """A reviewer scores an application of their round once: a 0–100 mark per rubric criterion, weighted
    into the total. The score stays sealed until the round is unsealed."""
    now = now_or_default(now)
    seat = locked(seat)
    if seat.expert.user_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("只能由评审专家本人打分"))
    review_round = seat.round
    require(review_round.status == ReviewRound.Status.OPEN, _("该轮评审已启封"))
    require(seat.status == PanelSeat.Status.ACTIVE, _("您已回避本任务评审"))
    require(review_round.applications.filter(pk=application.pk).exists(), _("该申请不在本轮评审中"))
    criteria = list(review_round.challenge.challenge_list.criteria.all())
    require({c.pk for c in criteria} == set(marks), _("请为每个评分项打分"))
    clean = {pk: Decimal(v) for pk, v in marks.items()}
    require(all(0 <= v <= 100 for v in clean.values()), _("每项得分应在 0–100 之间"))
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
        raise Refused(_("您已为该申请打过分")) from None
    record(actor, ChallengeEvent.SCORE_SUBMIT, score, "")
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
            ChallengeEvent.SCORES_SEALED,
            _("评分已齐待启封：%(r)s") % {"r": review_round},
            _("本轮评审专家已全部完成打分，评分密封保存，请启封。"),
            _manage_url(challenge_list) + f"#round-{review_round.pk}",
        )


@transaction.atomic
def unseal_round(actor, review_round: ReviewRound, *, now=None) -> ReviewRound:
    """open → unsealed, once every active reviewer has scored every application of the round."""
    now = now_or_default(now)
    review_round = locked(review_round)
    _require_operator(actor, review_round.challenge.challenge_list.region)
    require(review_round.status == ReviewRound.Status.OPEN, _("该轮评审已启封"))
    require(
        review_round.seats.filter(status=PanelSeat.Status.ACTIVE).exists(),
        _("该轮还没有评审专家"),
    )
    require(missing_scores(review_round) == 0, _("还有评审专家未完成打分"))
    review_round.status = ReviewRound.Status.UNSEALED
    review_round.unsealed_at = now
    review_round.save(update_fields=["status", "unsealed_at"])
    record(actor, ChallengeEvent.ROUND_UNSEAL, review_round, str(review_round))
    title = _("评分已启封：%(r)s") % {"r": review_round}
    notify(
        get_user_model().objects.filter(
            expert_profile__panel_seats__round=review_round,
            expert_profile__panel_seats__status=PanelSeat.Status.ACTIVE,
        ),
        ChallengeEvent.SCORES_OPENED,
        title,
        _("本轮评分已启封，可查看全部评审专家的评分。"),
        reverse("challenges:reviews"),
    )
    for application in review_round.applications.all():
        notify(
            _applicants(application),
            ChallengeEvent.SCORES_OPENED,
            title,
            _("本轮评分已启封，可在申请页面查看您的得分。"),
            application.get_absolute_url(),
        )
    return review_round


@transaction.atomic
def start_final_round(
    actor, review_round: ReviewRound, applications: Sequence[Application]
) -> ReviewRound:
    """After an unsealed first round (初评), shortlist some of its applications for a final round (终评);
    the shortlisted move under_review → shortlisted."""
    review_round = locked(review_round)
    challenge_list = review_round.challenge.challenge_list
    _require_operator(actor, challenge_list.region)
    require(challenge_list.status == ChallengeList.Status.REVIEWING, _("榜单不在评审中"))
    require(review_round.number == 1, _("只有初评之后可以进入终评"))
    require(review_round.status == ReviewRound.Status.UNSEALED, _("初评尚未启封"))
    require(
        not ReviewRound.objects.filter(challenge=review_round.challenge, number=2).exists(),
        _("终评已开始"),
    )
    ids = {a.pk for a in applications}
    require(bool(ids), _("请选择进入终评的申请"))
    in_round = review_round.applications.filter(pk__in=ids, status=Application.Status.UNDER_REVIEW)
    require(in_round.count() == len(ids), _("所选申请不在初评中"))
    final = ReviewRound.objects.create(challenge=review_round.challenge, number=2)
    final.applications.set(in_round)
    in_round.update(status=Application.Status.SHORTLISTED)
    record(actor, ChallengeEvent.ROUND_FINAL, final, str(final), applications=sorted(ids))
    for application in final.applications.all():
        notify(
            _applicants(application),
            ChallengeEvent.APPLICATION_SHORTLISTED,
            _("揭榜申请进入终评：%(t)s") % {"t": application.challenge.title},
            _("您的揭榜申请通过初评，进入终评。"),
            application.get_absolute_url(),
        )
    return final


@transaction.atomic
def select_application(actor, application: Application) -> Application:
    """under_review / shortlisted → selected: the operator picks the task's winner from its last,
    unsealed round. A task has at most one winner."""
    challenge, application = lock(application.challenge, application)
    _require_operator(actor, challenge.challenge_list.region)
    require(challenge.challenge_list.status == ChallengeList.Status.REVIEWING, _("榜单不在评审中"))
    last = challenge.rounds.order_by("-number").first()
    require(
        last is not None and last.status == ReviewRound.Status.UNSEALED,
        _("评审尚未启封，不能确定揭榜单位"),
    )
    expected = (
        Application.Status.SHORTLISTED if last.number == 2 else Application.Status.UNDER_REVIEW
    )
    require(
        application.status == expected and last.applications.filter(pk=application.pk).exists(),
        _("该申请不在最后一轮评审中"),
    )
    taken = _("该任务已确定揭榜单位")
    require(not challenge.applications.filter(status=Application.Status.SELECTED).exists(), taken)
    application.status = Application.Status.SELECTED
    with refuse_duplicates(taken):  # one winner per task, held by a constraint on both databases
        application.save(update_fields=["status"])
    record(actor, ChallengeEvent.APPLICATION_SELECT, application, str(application))
    return application


@checked_by(check_announce_list)
@transaction.atomic
def announce_list(actor, challenge_list: ChallengeList, *, now=None) -> ChallengeList:
    """reviewing → announced: the winners are published for the objection period (公示); every other
    application still in review becomes not_selected."""
    now = now_or_default(now)
    challenge_list = locked(challenge_list)
    check_announce_list(actor, challenge_list)
    pending = ReviewRound.objects.filter(
        challenge__challenge_list=challenge_list, status=ReviewRound.Status.OPEN
    )
    require(not pending.exists(), _("还有评审轮次未启封"))
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
    record(actor, ChallengeEvent.LIST_ANNOUNCE, challenge_list, challenge_list.title)
    ends = challenge_list.objection_ends_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    for application in rejected:
        notify(
            _applicants(application),
            ChallengeEvent.APPLICATION_REJECTED,
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
            ChallengeEvent.LIST_ANNOUNCED,
            title,
            body,
            application.get_absolute_url(),
        )
        notify(
            _department(application.challenge),
            ChallengeEvent.LIST_ANNOUNCED,
            title,
            body,
            challenge_list.get_absolute_url(),
        )
    return challenge_list


@transaction.atomic
def file_objection(actor, application: Application, *, text: str, now=None) -> Objection:
    """Anyone signed in objects to an announced winner within the objection period."""
    now = now_or_default(now)
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请先登录"))
    application = locked(application)
    challenge_list = application.challenge.challenge_list
    require(
        challenge_list.status == ChallengeList.Status.ANNOUNCED
        and application.status == Application.Status.SELECTED,
        _("只能对公示中的揭榜单位提出异议"),
    )
    require(now < challenge_list.objection_ends_at, _("公示期已结束"))
    require(bool(text.strip()), _("请填写异议内容"))
    objection = Objection.objects.create(
        application=application, filed_by=actor, text=text, filed_at=now
    )
    record(actor, ChallengeEvent.OBJECTION_FILE, objection, text[:100])
    title = _("公示异议：%(t)s") % {"t": application.challenge.title}
    notify(
        operators_of(challenge_list.region),
        ChallengeEvent.OBJECTION_FILED,
        title,
        text,
        _manage_url(challenge_list),
    )
    notify(
        _applicants(application),
        ChallengeEvent.OBJECTION_FILED,
        title,
        _("有人对您的拟揭榜公示提出异议，运营人员处理后将通知您。"),
        application.get_absolute_url(),
    )
    return objection


@transaction.atomic
def resolve_objection(
    actor, objection: Objection, *, upheld: bool, resolution: str, now=None
) -> Objection:
    """open → upheld / dismissed. An upheld objection revokes the selection (selected → not_selected)."""
    now = now_or_default(now)
    objection = locked(objection)
    application = locked(objection.application)
    _require_operator(actor, application.challenge.challenge_list.region)
    require(objection.status == Objection.Status.OPEN, _("该异议已处理"))
    require(bool(resolution.strip()), _("请填写处理意见"))
    objection.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
    objection.resolution = resolution
    objection.resolved_at = now
    objection.save(update_fields=["status", "resolution", "resolved_at"])
    revoked = upheld and application.status == Application.Status.SELECTED
    if revoked:
        application.status = Application.Status.NOT_SELECTED
        application.save(update_fields=["status"])
    record(actor, ChallengeEvent.OBJECTION_RESOLVE, objection, resolution[:100], upheld=upheld)
    title = (_("异议成立：%(t)s") if upheld else _("异议不成立：%(t)s")) % {
        "t": application.challenge.title
    }
    notify(
        [objection.filed_by],
        ChallengeEvent.OBJECTION_RESOLVED,
        title,
        resolution,
        application.challenge.challenge_list.get_absolute_url(),
    )
    notify(
        _applicants(application),
        ChallengeEvent.APPLICATION_REJECTED if revoked else ChallengeEvent.OBJECTION_RESOLVED,
        title,
        "\n".join([resolution, _("入选资格已撤销。")]) if revoked else resolution,
        application.get_absolute_url(),
    )
    return objection
