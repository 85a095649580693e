"""Engagements (对接): request, push, answer (also by an e-mailed link), meet, agree, close, expire.

Engagement transitions are conditional ``UPDATE … WHERE status IN (…)`` statements
(:func:`kechuang.core.actions.transition`), so two racing transitions (say an accept and the expiry job)
cannot both succeed on either database; each writes a timeline event, an audit row and its notifications.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from kechuang.accounts.permissions import acts_for, operates, operators_of, users_of
from kechuang.contracts.services import contract_from_engagement
from kechuang.core.actions import Refused, checked_by, locked, transition
from kechuang.core.audit import record
from kechuang.core.money import to_yuan
from kechuang.demands.events import DemandEvent
from kechuang.demands.models import (
    AnswerLink,
    CooperationMode,
    Demand,
    Engagement,
    EngagementEvent,
    MatchType,
)
from kechuang.directory.models import (
    Achievement,
    Expert,
    Instrument,
    Organization,
    ServiceItem,
    Status,
)
from kechuang.notifications.services import localized, notify

S = Engagement.Status


def resolve_match(match_type: str, match_id: int) -> tuple[Expert | None, Organization | None, str]:
    """The supplier behind a published record: ``(expert, None, label)`` or ``(None, organisation, label)``.
    Raises :class:`Refused` when the record does not exist or is not published."""
    models = {
        MatchType.EXPERT: (Expert, None),
        MatchType.ACHIEVEMENT: (Achievement, "owner"),
        MatchType.ORGANIZATION: (Organization, None),
        MatchType.INSTRUMENT: (Instrument, "owner"),
        MatchType.SERVICE: (ServiceItem, "provider"),
    }
    if match_type not in models:
        raise Refused(_("不支持的匹配类型"))
    model, owner_field = models[match_type]
    obj = model.objects.filter(pk=match_id, status=Status.PUBLISHED).first()
    if obj is None:
        raise Refused(_("匹配对象不存在或未发布"))
    if match_type == MatchType.EXPERT:
        return obj, None, obj.name
    provider = getattr(obj, owner_field) if owner_field else obj
    if provider.status != Status.PUBLISHED:
        raise Refused(_("匹配对象所属机构未发布"))
    return None, provider, str(obj)


def _open_engagement(
    actor, demand: Demand, match_type: str, match_id: int, message: str, pushed: bool
) -> Engagement:
    demand = locked(demand)
    if demand.status != Demand.Status.PUBLISHED:
        raise Refused(_("只有已发布的需求可以发起对接"))
    expert, provider, label = resolve_match(match_type, match_id)
    if provider is not None and provider.pk == demand.organization_id:
        raise Refused(_("不能与本企业自己对接"))
    if expert is not None and expert.user_id is not None and expert.user_id == actor.pk:
        raise Refused(_("不能与自己对接"))
    if (
        Engagement.objects.open()
        .filter(demand=demand, match_type=match_type, match_id=match_id)
        .exists()
    ):
        raise Refused(_("已有进行中的对接：%(l)s") % {"l": label})
    now = timezone.now()
    try:
        with transaction.atomic():
            engagement = Engagement.objects.create(
                demand=demand,
                match_type=match_type,
                match_id=match_id,
                match_label=label[:200],
                expert=expert,
                provider=provider,
                message=(message or "").strip(),
                requested_by=actor,
                pushed_by=actor if pushed else None,
                status=S.REQUESTED,
                requested_at=now,
            )
    except IntegrityError as error:  # a concurrent request for the same match won the race
        raise Refused(_("已有进行中的对接：%(l)s") % {"l": label}) from error
    if expert is not None and demand.visibility == Demand.Visibility.RESTRICTED:
        demand.invited_experts.add(expert)
    note = _("运营方推送对接") if pushed else _("企业发起对接")
    if engagement.message:
        note = f"{note}:{engagement.message}"
    EngagementEvent.objects.create(
        engagement=engagement, at=now, actor=actor, kind="status", status=S.REQUESTED, note=note
    )
    if expert is not None and expert.user_id is None:
        _reach_expert_without_login(engagement)
    return engagement


def _reach_expert_without_login(engagement: Engagement) -> None:
    """An expert without an account has no inbox. E-mail the address on their profile a link to answer
    (made and sent by a task after commit, so that the token never sits in the task queue); without an
    address, tell the region's operators and the members of the expert's institution — who keep the
    profile and can add one — that nobody can answer the request."""
    expert = engagement.expert
    if expert.email:
        from kechuang.demands.tasks import send_answer_link

        transaction.on_commit(partial(send_answer_link.enqueue, engagement.pk), robust=True)
        return
    title = localized(gettext_noop("专家无法收到对接请求：%(e)s"), e=expert.name)
    body = localized(
        gettext_noop("%(e)s 没有平台账号，专家档案中也没有邮箱，无人能回应“%(t)s”的对接请求。"),
        e=expert.name,
        t=engagement.demand.title,
    )
    notify(
        operators_of(engagement.demand.region),
        DemandEvent.ENGAGEMENT_UNREACHABLE,
        title,
        body,
        engagement.get_absolute_url(),
    )
    if expert.affiliation_id:
        notify(
            users_of(expert.affiliation_id),
            DemandEvent.ENGAGEMENT_UNREACHABLE,
            title,
            localized(gettext_noop("%(body)s请在专家档案中补充邮箱。"), body=body),
            expert.get_absolute_url(),
        )


@transaction.atomic
def issue_answer_link(engagement: Engagement) -> tuple[AnswerLink, str]:
    """A new single-use link for the expert (without a login) of a request to answer it, to the address on
    their profile and valid until the request would expire. Returns the link and its token: the token is
    for the e-mail only, the row keeps its hash. A system action: only the task
    :func:`kechuang.demands.tasks.send_answer_link` calls it."""
    token = secrets.token_urlsafe(32)
    link = AnswerLink.objects.create(
        engagement=engagement,
        email=engagement.expert.email,
        token_hash=AnswerLink.hash(token),
        expires_at=engagement.requested_at + timedelta(days=settings.ENGAGEMENT_EXPIRY_DAYS),
    )
    record(None, DemandEvent.ENGAGEMENT_LINK, engagement, link.email, link_id=link.pk)
    return link, token


@transaction.atomic
def request_engagement(
    actor, demand: Demand, match_type: str, match_id: int, message: str = ""
) -> Engagement:
    """The enterprise asks the supplier behind a match to take up its published demand."""
    if not acts_for(actor, demand.organization_id):
        raise PermissionDenied(_("您不是该企业的成员"))
    engagement = _open_engagement(actor, demand, match_type, match_id, message, pushed=False)
    record(actor, DemandEvent.ENGAGEMENT_REQUEST, engagement, str(engagement))
    notify(
        engagement.supplier_users(),
        DemandEvent.ENGAGEMENT_REQUESTED,
        localized(gettext_noop("新的对接请求：%(t)s"), t=demand.title),
        engagement.message
        or localized(gettext_noop("%(org)s 希望与您对接。"), org=demand.organization),
        engagement.get_absolute_url(),
    )
    return engagement


@transaction.atomic
def push_match(
    actor, demand: Demand, match_type: str, match_id: int, message: str = ""
) -> Engagement:
    """An operator of the demand's region pushes a match (精准对接): the engagement opens as requested and
    both sides are told in one action."""
    if not operates(actor, demand.region):
        raise PermissionDenied(_("您不负责该区域"))
    engagement = _open_engagement(actor, demand, match_type, match_id, message, pushed=True)
    record(actor, DemandEvent.ENGAGEMENT_PUSH, engagement, str(engagement))
    title = localized(gettext_noop("运营方推送对接：%(t)s"), t=demand.title)
    body = engagement.message or localized(
        gettext_noop("%(a)s 与 %(b)s 的对接由运营方推送，请及时处理。"),
        a=demand.organization,
        b=engagement.supplier_name,
    )
    notify(
        [*engagement.supplier_users(), *engagement.enterprise_users()],
        DemandEvent.ENGAGEMENT_PUSHED,
        title,
        body,
        engagement.get_absolute_url(),
    )
    return engagement


@dataclass
class PushResult:
    demand_id: int
    match_type: str
    match_id: int
    engagement: Engagement | None
    error: str = ""


def push_matches(actor, items: list[tuple[int, str, int]], message: str = "") -> list[PushResult]:
    """Push many ``(demand_id, match_type, match_id)`` matches; each succeeds or is refused on its own, so
    one duplicate does not undo the others."""
    results = []
    for demand_id, match_type, match_id in items:
        demand = Demand.objects.filter(pk=demand_id).first()
        try:
            if demand is None:
                raise Refused(_("需求不存在"))
            engagement = push_match(actor, demand, match_type, match_id, message)
            results.append(PushResult(demand_id, match_type, match_id, engagement))
        except (Refused, PermissionDenied) as error:
            results.append(
                PushResult(
                    demand_id, match_type, match_id, None, str(getattr(error, "message", error))
                )
            )
    return results


def _transition(
    actor, engagement: Engagement, allowed: tuple, target: str, note: str, event, **values
) -> Engagement:
    """Move ``engagement`` from one of ``allowed`` to ``target`` (:func:`kechuang.core.actions.transition`:
    one conditional UPDATE, refused and nothing changed when another transition got there first) and add
    the step to its timeline."""
    now = timezone.now()
    current = transition(
        actor,
        engagement,
        event=event,
        expected=allowed,
        to=target,
        refusal=_("对接当前状态为“%(s)s”，不能执行此操作"),
        summary=note,
        now=now,
        values=values,
        queryset=Engagement.objects.select_related(
            "demand__organization", "demand__region", "expert__user", "provider"
        ),
    )
    EngagementEvent.objects.create(
        engagement=current, at=now, actor=actor, kind="status", status=target, note=note
    )
    return current


def _require_supplier(actor, engagement: Engagement, link: AnswerLink | None) -> None:
    """The supplier answers: a user on the supplier side, or whoever holds an answer link of this
    engagement (which is spent)."""
    if link is not None:
        _spend_link(link, engagement)
    elif not engagement.is_supplier(actor):
        raise PermissionDenied(_("只有被邀请方可以回应对接请求"))


def _spend_link(link: AnswerLink, engagement: Engagement) -> None:
    """Use ``link`` for ``engagement`` with one conditional UPDATE, so that it serves once even when two
    uses race; if the caller's change is then refused, its transaction rolls back and the link stays
    unused. Refused for a link of another engagement, an expired one or a used one."""
    if link.engagement_id != engagement.pk:
        raise PermissionDenied(_("链接与该对接不符"))
    now = timezone.now()
    if not AnswerLink.objects.filter(pk=link.pk).usable(now).update(used_at=now):
        raise Refused(_("链接已过期或已使用"))


def claimable_by_link(link: AnswerLink, expert) -> bool:
    """Whether the holder of ``link`` may claim ``expert``'s login with it: the link went to the address
    on the profile, and the region's operators vouch for that address (``Expert.email_verified``) — an
    address an institution's member typed in proves nothing about who the expert is."""
    return bool(
        expert.email_verified and expert.email and link.email.lower() == expert.email.lower()
    )


@transaction.atomic
def claim_expert_profile(link: AnswerLink, engagement: Engagement, password: str):
    """The expert holding an answer link creates their account and takes over their profile, spending
    the link; from then on they answer in the inbox like any expert. The user name and e-mail are the
    address the link was sent to, which they have just shown they read (as a password reset would).
    Refused when the address is not vouched for by an operator (:func:`claimable_by_link`), when an
    account already uses that address or the profile has been claimed meanwhile;
    ``ValidationError`` for a password the validators reject."""
    _spend_link(link, engagement)
    expert = Expert.objects.get(pk=engagement.expert_id)  # as stored now, not as the page read it
    if not claimable_by_link(link, expert):
        raise Refused(
            _(
                "该专家档案的邮箱尚未经运营方核实，不能通过邮件链接创建账号；"
                "您仍可以接受或婉拒本次对接，如需账号请联系运营方。"
            ),
            code="email_unverified",
        )
    users = get_user_model()
    email = link.email
    if users.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        raise Refused(_("该邮箱已有平台账号，请登录后联系运营方关联专家档案"))
    user = users(username=email, email=email, display_name=expert.name)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    if not Expert.objects.filter(pk=expert.pk, user__isnull=True).update(user=user):
        raise Refused(_("该专家档案已关联账号"))
    record(user, DemandEvent.EXPERT_CLAIM, expert, email, engagement_id=engagement.pk)
    return user


def _require_party(actor, engagement: Engagement) -> None:
    if not (
        engagement.is_supplier(actor)
        or engagement.is_enterprise(actor)
        or engagement.is_operator(actor)
    ):
        raise PermissionDenied(_("您不是该对接的参与方"))


ENGAGEMENT_STATE_REFUSAL = gettext_lazy("对接当前状态为“%(s)s”，不能执行此操作")


def _require_status(engagement: Engagement, allowed: tuple) -> None:
    if engagement.status not in allowed:
        raise Refused(ENGAGEMENT_STATE_REFUSAL % {"s": engagement.get_status_display()})


def check_answer_engagement(actor, engagement: Engagement, *args, link=None, **kwargs) -> None:
    """The supplier (or whoever holds an answer link) accepts or declines a request."""
    if link is None and not engagement.is_supplier(actor):
        raise PermissionDenied(_("只有被邀请方可以回应对接请求"))
    _require_status(engagement, (S.REQUESTED,))


def check_schedule_meeting(actor, engagement: Engagement, *args, **kwargs) -> None:
    """A party schedules (or moves) the meeting of an accepted engagement."""
    _require_party(actor, engagement)
    _require_status(engagement, (S.ACCEPTED, S.MEETING_SCHEDULED))


def check_record_meeting(actor, engagement: Engagement, *args, **kwargs) -> None:
    """A party records that the scheduled meeting was held."""
    _require_party(actor, engagement)
    _require_status(engagement, (S.MEETING_SCHEDULED,))


def check_agree_cooperation(actor, engagement: Engagement, *args, **kwargs) -> None:
    """A party records the agreement reached after the meeting."""
    _require_party(actor, engagement)
    _require_status(engagement, (S.MET,))


def check_close_engagement(actor, engagement: Engagement, *args, **kwargs) -> None:
    """A party ends an accepted engagement without agreement."""
    _require_party(actor, engagement)
    _require_status(engagement, (S.ACCEPTED, S.MEETING_SCHEDULED, S.MET))


def check_post_message(actor, engagement: Engagement, *args, **kwargs) -> None:
    """A party writes to the other side while the engagement is open."""
    _require_party(actor, engagement)
    if engagement.status not in Engagement.OPEN_STATUSES:
        raise Refused(_("对接已结束，不能再留言"))


@checked_by(check_answer_engagement)
@transaction.atomic
def accept_engagement(actor, engagement: Engagement, link: AnswerLink | None = None) -> Engagement:
    """The supplier accepts a request; from now on each side may read the other's contact details. An
    expert without a login accepts with the ``link`` e-mailed to them (``actor`` is then ``None``)."""
    _require_supplier(actor, engagement, link)
    now = timezone.now()
    engagement = _transition(
        actor,
        engagement,
        (S.REQUESTED,),
        S.ACCEPTED,
        _("接受对接（邮件链接）") if link else _("接受对接"),
        DemandEvent.ENGAGEMENT_ACCEPT,
        responded_at=now,
        accepted_at=now,
    )
    notify(
        engagement.enterprise_users(),
        DemandEvent.ENGAGEMENT_ACCEPTED,
        localized(gettext_noop("对接已接受：%(t)s"), t=engagement.demand.title),
        localized(
            gettext_noop("%(s)s 接受了对接请求，现在可以查看联系方式并预约会谈。"),
            s=engagement.supplier_name,
        ),
        engagement.get_absolute_url(),
    )
    return engagement


@checked_by(check_answer_engagement)
@transaction.atomic
def decline_engagement(
    actor, engagement: Engagement, reason: str, link: AnswerLink | None = None
) -> Engagement:
    """The supplier declines a request, saying why (with an e-mailed ``link``, like
    :func:`accept_engagement`)."""
    _require_supplier(actor, engagement, link)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("婉拒时请填写原因"))
    engagement = _transition(
        actor,
        engagement,
        (S.REQUESTED,),
        S.DECLINED,
        (_("婉拒（邮件链接）：%(r)s") if link else _("婉拒：%(r)s")) % {"r": reason},
        DemandEvent.ENGAGEMENT_DECLINE,
        responded_at=timezone.now(),
        decline_reason=reason[:300],
    )
    notify(
        engagement.enterprise_users(),
        DemandEvent.ENGAGEMENT_DECLINED,
        localized(gettext_noop("对接被婉拒：%(t)s"), t=engagement.demand.title),
        reason,
        engagement.get_absolute_url(),
    )
    return engagement


def expire_stale_engagements(now: datetime | None = None) -> int:
    """Expire every request unanswered for ``settings.ENGAGEMENT_EXPIRY_DAYS`` days before ``now``; returns
    how many expired. Each row expires in its own transaction with a conditional UPDATE, so a request
    accepted or declined meanwhile stays accepted or declined."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ENGAGEMENT_EXPIRY_DAYS)
    stale = list(
        Engagement.objects.filter(status=S.REQUESTED, requested_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in stale:
        with transaction.atomic():
            engagement = Engagement(pk=pk)
            try:
                engagement = _transition(
                    None,
                    engagement,
                    (S.REQUESTED,),
                    S.EXPIRED,
                    _("超过 %(n)d 天未回应，自动过期") % {"n": settings.ENGAGEMENT_EXPIRY_DAYS},
                    DemandEvent.ENGAGEMENT_EXPIRE,
                    responded_at=now,
                )
            except Refused:
                continue
            expired += 1
            notify(
                engagement.enterprise_users(),
                DemandEvent.ENGAGEMENT_EXPIRED,
                localized(gettext_noop("对接请求已过期：%(t)s"), t=engagement.demand.title),
                localized(gettext_noop("%(s)s 未在期限内回应。"), s=engagement.supplier_name),
                engagement.get_absolute_url(),
            )
    return expired


@checked_by(check_schedule_meeting)
@transaction.atomic
def schedule_meeting(
    actor, engagement: Engagement, at: datetime, place: str = "", link: str = ""
) -> Engagement:
    """Either side or the operator schedules (or reschedules) the meeting of an accepted engagement: a
    time and a place or a video link."""
    check_schedule_meeting(actor, locked(engagement))
    place, link = (place or "").strip(), (link or "").strip()
    if at is None or timezone.is_naive(at):
        raise Refused(_("请填写会谈时间"))
    if not (place or link):
        raise Refused(_("请填写会谈地点或视频会议链接"))
    if link and not link.startswith(("https://", "http://")):
        raise Refused(_("视频会议链接应以 http:// 或 https:// 开头"))
    local = timezone.localtime(at)
    engagement = _transition(
        actor,
        engagement,
        (S.ACCEPTED, S.MEETING_SCHEDULED),
        S.MEETING_SCHEDULED,
        _("约定会谈：%(at)s %(where)s") % {"at": f"{local:%Y-%m-%d %H:%M}", "where": place or link},
        DemandEvent.ENGAGEMENT_SCHEDULE,
        meeting_at=at,
        meeting_place=place[:200],
        meeting_link=link[:200],
    )
    others = [
        u
        for u in [*engagement.enterprise_users(), *engagement.supplier_users()]
        if u.pk != getattr(actor, "pk", None)
    ]
    notify(
        others,
        DemandEvent.ENGAGEMENT_MEETING,
        localized(gettext_noop("会谈已约定：%(t)s"), t=engagement.demand.title),
        f"{local:%Y-%m-%d %H:%M} {place or link}",
        engagement.get_absolute_url(),
    )
    return engagement


@checked_by(check_record_meeting)
@transaction.atomic
def record_meeting(actor, engagement: Engagement, minutes: str, attendees: str = "") -> Engagement:
    """Record that the scheduled meeting was held, with its minutes and attendees."""
    check_record_meeting(actor, locked(engagement))
    minutes = (minutes or "").strip()
    if not minutes:
        raise Refused(_("请填写会谈纪要"))
    return _transition(
        actor,
        engagement,
        (S.MEETING_SCHEDULED,),
        S.MET,
        _("会谈已举行"),
        DemandEvent.ENGAGEMENT_MET,
        met_at=timezone.now(),
        minutes=minutes,
        attendees=(attendees or "").strip()[:300],
    )


@checked_by(check_agree_cooperation)
@transaction.atomic
def agree_cooperation(
    actor, engagement: Engagement, cooperation_mode: str, amount: Decimal | int | str
) -> Engagement:
    """Record the outcome of a held meeting: the sides agreed to cooperate in ``cooperation_mode`` for
    ``amount`` yuan (Decimal, not negative)."""
    check_agree_cooperation(actor, locked(engagement))
    if cooperation_mode not in CooperationMode.values:
        raise Refused(_("请选择合作方式"))
    try:
        amount = to_yuan(amount)
    except (TypeError, ArithmeticError, ValueError) as error:
        raise Refused(_("合作金额无效")) from error
    if amount < 0 or amount >= Decimal("1e12"):
        raise Refused(_("合作金额无效"))
    engagement = _transition(
        actor,
        engagement,
        (S.MET,),
        S.AGREED,
        _("达成合作：%(m)s ¥%(a)s")
        % {"m": CooperationMode(cooperation_mode).label, "a": f"{amount:,.2f}"},
        DemandEvent.ENGAGEMENT_AGREE,
        agreed_at=timezone.now(),
        cooperation_mode=cooperation_mode,
        amount=amount,
    )
    # The agreement is a technology contract for the seller region's registration (认定登记).
    contract_from_engagement(actor, engagement)
    notify(
        operators_of(engagement.demand.region),
        DemandEvent.ENGAGEMENT_AGREED,
        localized(gettext_noop("对接达成合作：%(t)s"), t=engagement.demand.title),
        f"{engagement.demand.organization} ↔ {engagement.supplier_name}",
        engagement.get_absolute_url(),
    )
    return engagement


@checked_by(check_close_engagement)
@transaction.atomic
def close_engagement(actor, engagement: Engagement, reason: str) -> Engagement:
    """End an accepted engagement without agreement, saying why."""
    check_close_engagement(actor, locked(engagement))
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("结束时请填写原因"))
    engagement = _transition(
        actor,
        engagement,
        (S.ACCEPTED, S.MEETING_SCHEDULED, S.MET),
        S.CLOSED,
        _("结束对接：%(r)s") % {"r": reason},
        DemandEvent.ENGAGEMENT_CLOSE,
        closed_at=timezone.now(),
        close_reason=reason[:300],
    )
    others = [
        u
        for u in [*engagement.enterprise_users(), *engagement.supplier_users()]
        if u.pk != getattr(actor, "pk", None)
    ]
    notify(
        others,
        DemandEvent.ENGAGEMENT_CLOSED,
        localized(gettext_noop("对接已结束：%(t)s"), t=engagement.demand.title),
        reason,
        engagement.get_absolute_url(),
    )
    return engagement


@checked_by(check_post_message)
@transaction.atomic
def post_message(actor, engagement: Engagement, body: str) -> EngagementEvent:
    """A message from one side to the other through the platform (no contact details needed)."""
    check_post_message(actor, locked(engagement))
    body = (body or "").strip()
    if not body:
        raise Refused(_("留言不能为空"))
    engagement = Engagement.objects.select_related("demand", "expert__user", "provider").get(
        pk=engagement.pk
    )
    if engagement.status not in Engagement.OPEN_STATUSES:
        raise Refused(_("对接已结束，不能再留言"))
    event = EngagementEvent.objects.create(
        engagement=engagement,
        at=timezone.now(),
        actor=actor,
        kind="message",
        status=engagement.status,
        note=body[:2000],
    )
    record(actor, DemandEvent.ENGAGEMENT_MESSAGE, engagement, body[:100])
    others = [
        u
        for u in [*engagement.enterprise_users(), *engagement.supplier_users()]
        if u.pk != actor.pk
    ]
    notify(
        others,
        DemandEvent.ENGAGEMENT_MESSAGE,
        localized(gettext_noop("对接留言：%(t)s"), t=engagement.demand.title),
        body,
        engagement.get_absolute_url(),
        key=f"engagement.message.{event.pk}",  # two equal messages are two notifications
    )
    return event


# What a user may do to an engagement, by the action names of the page and the API.
ENGAGEMENT_ACTIONS = {
    "accept": accept_engagement,
    "decline": decline_engagement,
    "schedule": schedule_meeting,
    "held": record_meeting,
    "agree": agree_cooperation,
    "close": close_engagement,
    "message": post_message,
}


def allowed_engagement_actions(actor, engagement: Engagement) -> list[str]:
    """The names of the actions ``actor`` may take on ``engagement`` now (each service's own check)."""
    return [
        name for name, service in ENGAGEMENT_ACTIONS.items() if service.allowed(actor, engagement)
    ]
