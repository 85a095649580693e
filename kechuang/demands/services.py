"""Every state change of demands and engagements, one function each.

Each service checks permission (``PermissionDenied``) and state (:class:`kechuang.core.actions.Refused`, with a Chinese message
for the user), runs in one transaction, writes an audit row and its notifications (e-mailed after commit).
Engagement transitions are conditional ``UPDATE … WHERE status IN (…)`` statements, so two racing
transitions (say an accept and the expiry job) cannot both succeed on either database.
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kechuang.accounts.permissions import acts_for, operates, operators_of, users_of
from kechuang.contracts.services import contract_from_engagement
from kechuang.core.actions import Refused
from kechuang.core.audit import record
from kechuang.core.models import IndustryChain, TechField
from kechuang.core.money import to_yuan
from kechuang.demands.attachments import check_attachment
from kechuang.demands.models import (
    AnswerLink,
    CooperationMode,
    Demand,
    DemandAttachment,
    Engagement,
    EngagementEvent,
    EngineerPool,
    MatchType,
    PoolMember,
    ServiceTeam,
    ServiceVisit,
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


# --- demands -----------------------------------------------------------------------------------------


@dataclass
class DemandInput:
    """What an enterprise fills in for a demand."""

    title: str
    description: str
    industry_chain_id: int | None = None
    field_id: int | None = None
    region_id: int | None = None
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    deadline: date | None = None
    cooperation_modes: list[str] | None = None
    visibility: str = Demand.Visibility.PUBLIC
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


def _clean_demand_input(data: DemandInput) -> dict:
    errors: dict[str, str] = {}
    title, description = data.title.strip(), data.description.strip()
    if not title:
        errors["title"] = _("请填写需求名称")
    if not description:
        errors["description"] = _("请填写需求描述")
    modes = list(dict.fromkeys(data.cooperation_modes or []))
    if any(mode not in CooperationMode.values for mode in modes):
        errors["cooperation_modes"] = _("合作方式无效")
    if data.visibility not in Demand.Visibility.values:
        errors["visibility"] = _("可见范围无效")
    budget_min = to_yuan(data.budget_min) if data.budget_min is not None else None
    budget_max = to_yuan(data.budget_max) if data.budget_max is not None else None
    if (budget_min is not None and budget_min < 0) or (budget_max is not None and budget_max < 0):
        errors["budget_min"] = _("预算不能为负数")
    elif budget_min is not None and budget_max is not None and budget_min > budget_max:
        errors["budget_max"] = _("预算上限不能低于下限")
    if (
        data.industry_chain_id
        and not IndustryChain.objects.filter(pk=data.industry_chain_id).exists()
    ):
        errors["industry_chain"] = _("产业链不存在")
    if data.field_id and not TechField.objects.filter(pk=data.field_id).exists():
        errors["field"] = _("技术领域不存在")
    if errors:
        raise ValidationError(errors)
    return {
        "title": title[:200],
        "description": description,
        "industry_chain_id": data.industry_chain_id or None,
        "field_id": data.field_id or None,
        "budget_min": budget_min,
        "budget_max": budget_max,
        "deadline": data.deadline,
        "cooperation_modes": modes,
        "visibility": data.visibility,
        "contact_name": data.contact_name.strip()[:50],
        "contact_phone": data.contact_phone.strip()[:30],
        "contact_email": data.contact_email.strip(),
    }


@transaction.atomic
def save_demand(
    actor, organization: Organization, data: DemandInput, demand: Demand | None = None
) -> Demand:
    """Create a draft demand for ``organization`` or update one still in draft or returned.

    Only members of the organisation may write it; the region defaults to the organisation's."""
    if not acts_for(actor, organization.pk):
        raise PermissionDenied(_("您不是该企业的成员"))
    values = _clean_demand_input(data)
    if demand is None:
        demand = Demand(organization=organization, author=actor)
    else:
        if demand.organization_id != organization.pk:
            raise PermissionDenied(_("该需求不属于此企业"))
        demand = Demand.objects.select_for_update().get(pk=demand.pk)
        if not demand.is_editable:
            raise Refused(_("需求当前状态为“%(s)s”，不能修改") % {"s": demand.get_status_display()})
    for name, value in values.items():
        setattr(demand, name, value)
    demand.region_id = data.region_id or demand.region_id or organization.region_id
    demand.full_clean(exclude=["organization", "author", "invited_experts"])
    is_new = demand.pk is None
    demand.save()
    record(actor, "demand.create" if is_new else "demand.update", demand, demand.title)
    return demand


@transaction.atomic
def add_attachment(actor, demand: Demand, uploaded) -> DemandAttachment:
    """Store ``uploaded`` on a demand its organisation may still edit, after the content checks of
    :func:`kechuang.demands.attachments.check_attachment`."""
    if not acts_for(actor, demand.organization_id):
        raise PermissionDenied(_("您不是该企业的成员"))
    if not demand.is_editable:
        raise Refused(_("需求已提交，不能再添加附件"))
    content_type = check_attachment(uploaded)
    attachment = DemandAttachment(
        demand=demand,
        name=uploaded.name[-200:],
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=actor,
    )
    attachment.file.save(uploaded.name, uploaded, save=True)
    record(actor, "demand.attach", demand, attachment.name, size=attachment.size)
    return attachment


@transaction.atomic
def post_demand(
    actor,
    organization: Organization,
    data: DemandInput,
    demand: Demand | None = None,
    uploads=(),
    submit: bool = False,
) -> Demand:
    """What the demand form does in one step: save the demand (:func:`save_demand`), store its new files
    (:func:`add_attachment`) and, if ``submit``, send it for review (:func:`submit_demand`).

    All or nothing: if any part is refused, no row is written and the files already stored are removed,
    so the enterprise never finds a half-saved demand or a submission without its attachment."""
    stored: list[DemandAttachment] = []
    try:
        demand = save_demand(actor, organization, data, demand)
        for upload in uploads:
            stored.append(add_attachment(actor, demand, upload))
        if submit:
            demand = submit_demand(actor, demand)
    except BaseException:
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return demand


def _change_demand(demand: Demand, allowed: tuple, **values) -> Demand:
    updated = Demand.objects.filter(pk=demand.pk, status__in=allowed).update(
        updated_at=timezone.now(), **values
    )
    if not updated:
        current = Demand.objects.get(pk=demand.pk)
        raise Refused(
            _("需求当前状态为“%(s)s”，不能执行此操作") % {"s": current.get_status_display()}
        )
    return Demand.objects.get(pk=demand.pk)


@transaction.atomic
def submit_demand(actor, demand: Demand) -> Demand:
    """Send a draft or returned demand to its region's operators for review."""
    if not acts_for(actor, demand.organization_id):
        raise PermissionDenied(_("您不是该企业的成员"))
    demand = _change_demand(
        demand,
        (Demand.Status.DRAFT, Demand.Status.RETURNED),
        status=Demand.Status.PENDING,
        submitted_at=timezone.now(),
        review_note="",
    )
    record(actor, "demand.submit", demand, demand.title)
    notify(
        operators_of(demand.region),
        "demand.pending",
        localized(gettext_noop("待审核需求：%(t)s"), t=demand.title),
        localized(gettext_noop("%(org)s 提交了技术需求，请审核。"), org=demand.organization),
        demand.get_absolute_url(),
    )
    return demand


@transaction.atomic
def approve_demand(actor, demand: Demand) -> Demand:
    """Publish a pending demand. Only an operator of its region may; it then enters the search index and a
    task counts its matches for the funnel."""
    if not operates(actor, demand.region):
        raise PermissionDenied(_("您不负责该区域"))
    demand = _change_demand(
        demand,
        (Demand.Status.PENDING,),
        status=Demand.Status.PUBLISHED,
        published_at=timezone.now(),
        review_note="",
    )
    demand.save(update_fields=["updated_at"])  # lets the search registry index the published row
    record(actor, "demand.approve", demand, demand.title)
    notify(
        users_of(demand.organization_id),
        "demand.published",
        localized(gettext_noop("需求已发布：%(t)s"), t=demand.title),
        localized(gettext_noop("您的技术需求已通过审核，可查看匹配结果并发起对接。")),
        demand.get_absolute_url(),
    )
    from kechuang.demands.tasks import count_matches

    transaction.on_commit(lambda: count_matches.enqueue(demand.pk), robust=True)
    return demand


@transaction.atomic
def return_demand(actor, demand: Demand, reason: str) -> Demand:
    """Return a pending demand to its enterprise with the reason it must address."""
    if not operates(actor, demand.region):
        raise PermissionDenied(_("您不负责该区域"))
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("退回时请填写原因"))
    demand = _change_demand(
        demand, (Demand.Status.PENDING,), status=Demand.Status.RETURNED, review_note=reason[:300]
    )
    record(actor, "demand.return", demand, reason)
    notify(
        users_of(demand.organization_id),
        "demand.returned",
        localized(gettext_noop("需求被退回：%(t)s"), t=demand.title),
        reason,
        demand.get_absolute_url(),
    )
    return demand


@transaction.atomic
def close_demand(actor, demand: Demand, reason: str) -> Demand:
    """Close a published demand (its enterprise or its region's operator); it leaves the search index.
    Open engagements keep running to their own outcome."""
    if not (acts_for(actor, demand.organization_id) or operates(actor, demand.region)):
        raise PermissionDenied(_("无权关闭该需求"))
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("关闭时请填写原因"))
    demand = _change_demand(
        demand,
        (Demand.Status.PUBLISHED,),
        status=Demand.Status.CLOSED,
        closed_at=timezone.now(),
        close_reason=reason[:300],
    )
    demand.save(update_fields=["updated_at"])
    record(actor, "demand.close", demand, reason)
    return demand


# --- engagements -------------------------------------------------------------------------------------


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
    demand = Demand.objects.select_for_update().get(pk=demand.pk)
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
        "engagement.unreachable",
        title,
        body,
        engagement.get_absolute_url(),
    )
    if expert.affiliation_id:
        notify(
            users_of(expert.affiliation_id),
            "engagement.unreachable",
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
    record(None, "engagement.link", engagement, link.email, link_id=link.pk)
    return link, token


@transaction.atomic
def request_engagement(
    actor, demand: Demand, match_type: str, match_id: int, message: str = ""
) -> Engagement:
    """The enterprise asks the supplier behind a match to take up its published demand."""
    if not acts_for(actor, demand.organization_id):
        raise PermissionDenied(_("您不是该企业的成员"))
    engagement = _open_engagement(actor, demand, match_type, match_id, message, pushed=False)
    record(actor, "engagement.request", engagement, str(engagement))
    notify(
        engagement.supplier_users(),
        "engagement.requested",
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
    record(actor, "engagement.push", engagement, str(engagement))
    title = localized(gettext_noop("运营方推送对接：%(t)s"), t=demand.title)
    body = engagement.message or localized(
        gettext_noop("%(a)s 与 %(b)s 的对接由运营方推送，请及时处理。"),
        a=demand.organization,
        b=engagement.supplier_name,
    )
    notify(
        [*engagement.supplier_users(), *engagement.enterprise_users()],
        "engagement.pushed",
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
    actor, engagement: Engagement, allowed: tuple, target: str, note: str, action: str, **values
) -> Engagement:
    """Move ``engagement`` from one of ``allowed`` to ``target`` with one conditional UPDATE; refuse, and
    change nothing, when another transition got there first."""
    now = timezone.now()
    updated = Engagement.objects.filter(pk=engagement.pk, status__in=allowed).update(
        status=target, updated_at=now, **values
    )
    current = Engagement.objects.select_related(
        "demand__organization", "demand__region", "expert__user", "provider"
    ).get(pk=engagement.pk)
    if not updated:
        raise Refused(
            _("对接当前状态为“%(s)s”，不能执行此操作") % {"s": current.get_status_display()}
        )
    EngagementEvent.objects.create(
        engagement=current, at=now, actor=actor, kind="status", status=target, note=note
    )
    record(actor, action, current, note)
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


@transaction.atomic
def claim_expert_profile(link: AnswerLink, engagement: Engagement, password: str):
    """The expert holding an answer link creates their account and takes over their profile, spending
    the link; from then on they answer in the inbox like any expert. The user name and e-mail are the
    address the link was sent to, which they have just shown they read (as a password reset would).
    Refused when an account already uses that address or the profile has been claimed meanwhile;
    ``ValidationError`` for a password the validators reject."""
    _spend_link(link, engagement)
    users = get_user_model()
    email = link.email
    if users.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        raise Refused(_("该邮箱已有平台账号，请登录后联系运营方关联专家档案"))
    expert = engagement.expert
    user = users(username=email, email=email, display_name=expert.name)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    if not Expert.objects.filter(pk=expert.pk, user__isnull=True).update(user=user):
        raise Refused(_("该专家档案已关联账号"))
    record(user, "expert.claim", expert, email, engagement_id=engagement.pk)
    return user


def _require_party(actor, engagement: Engagement) -> None:
    if not (
        engagement.is_supplier(actor)
        or engagement.is_enterprise(actor)
        or engagement.is_operator(actor)
    ):
        raise PermissionDenied(_("您不是该对接的参与方"))


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
        "engagement.accept",
        responded_at=now,
        accepted_at=now,
    )
    notify(
        engagement.enterprise_users(),
        "engagement.accepted",
        localized(gettext_noop("对接已接受：%(t)s"), t=engagement.demand.title),
        localized(
            gettext_noop("%(s)s 接受了对接请求，现在可以查看联系方式并预约会谈。"),
            s=engagement.supplier_name,
        ),
        engagement.get_absolute_url(),
    )
    return engagement


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
        "engagement.decline",
        responded_at=timezone.now(),
        decline_reason=reason[:300],
    )
    notify(
        engagement.enterprise_users(),
        "engagement.declined",
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
                    "engagement.expire",
                    responded_at=now,
                )
            except Refused:
                continue
            expired += 1
            notify(
                engagement.enterprise_users(),
                "engagement.expired",
                localized(gettext_noop("对接请求已过期：%(t)s"), t=engagement.demand.title),
                localized(gettext_noop("%(s)s 未在期限内回应。"), s=engagement.supplier_name),
                engagement.get_absolute_url(),
            )
    return expired


@transaction.atomic
def schedule_meeting(
    actor, engagement: Engagement, at: datetime, place: str = "", link: str = ""
) -> Engagement:
    """Either side or the operator schedules (or reschedules) the meeting of an accepted engagement: a
    time and a place or a video link."""
    _require_party(actor, engagement)
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
        "engagement.schedule",
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
        "engagement.meeting",
        localized(gettext_noop("会谈已约定：%(t)s"), t=engagement.demand.title),
        f"{local:%Y-%m-%d %H:%M} {place or link}",
        engagement.get_absolute_url(),
    )
    return engagement


@transaction.atomic
def record_meeting(actor, engagement: Engagement, minutes: str, attendees: str = "") -> Engagement:
    """Record that the scheduled meeting was held, with its minutes and attendees."""
    _require_party(actor, engagement)
    minutes = (minutes or "").strip()
    if not minutes:
        raise Refused(_("请填写会谈纪要"))
    return _transition(
        actor,
        engagement,
        (S.MEETING_SCHEDULED,),
        S.MET,
        _("会谈已举行"),
        "engagement.met",
        met_at=timezone.now(),
        minutes=minutes,
        attendees=(attendees or "").strip()[:300],
    )


@transaction.atomic
def agree_cooperation(
    actor, engagement: Engagement, cooperation_mode: str, amount: Decimal | int | str
) -> Engagement:
    """Record the outcome of a held meeting: the sides agreed to cooperate in ``cooperation_mode`` for
    ``amount`` yuan (Decimal, not negative)."""
    _require_party(actor, engagement)
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
        "engagement.agree",
        agreed_at=timezone.now(),
        cooperation_mode=cooperation_mode,
        amount=amount,
    )
    # The agreement is a technology contract for the seller region's registration (认定登记).
    contract_from_engagement(actor, engagement)
    notify(
        operators_of(engagement.demand.region),
        "engagement.agreed",
        localized(gettext_noop("对接达成合作：%(t)s"), t=engagement.demand.title),
        f"{engagement.demand.organization} ↔ {engagement.supplier_name}",
        engagement.get_absolute_url(),
    )
    return engagement


@transaction.atomic
def close_engagement(actor, engagement: Engagement, reason: str) -> Engagement:
    """End an accepted engagement without agreement, saying why."""
    _require_party(actor, engagement)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("结束时请填写原因"))
    engagement = _transition(
        actor,
        engagement,
        (S.ACCEPTED, S.MEETING_SCHEDULED, S.MET),
        S.CLOSED,
        _("结束对接：%(r)s") % {"r": reason},
        "engagement.close",
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
        "engagement.closed",
        localized(gettext_noop("对接已结束：%(t)s"), t=engagement.demand.title),
        reason,
        engagement.get_absolute_url(),
    )
    return engagement


@transaction.atomic
def post_message(actor, engagement: Engagement, body: str) -> EngagementEvent:
    """A message from one side to the other through the platform (no contact details needed)."""
    _require_party(actor, engagement)
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
    record(actor, "engagement.message", engagement, body[:100])
    others = [
        u
        for u in [*engagement.enterprise_users(), *engagement.supplier_users()]
        if u.pk != actor.pk
    ]
    notify(
        others,
        "engagement.message",
        localized(gettext_noop("对接留言：%(t)s"), t=engagement.demand.title),
        body,
        engagement.get_absolute_url(),
        key=f"engagement.message.{event.pk}",  # two equal messages are two notifications
    )
    return event


# --- engineer cloud (工程师对接云) -------------------------------------------------------------------


@transaction.atomic
def create_pool(actor, industry_chain: IndustryChain, region, name: str, description: str = ""):
    """An operator of ``region`` opens the engineer pool of one industry chain there (one per chain and
    region)."""

    if not operates(actor, region):
        raise PermissionDenied(_("您不负责该区域"))
    name = (name or "").strip() or f"{region.name}{industry_chain.name}工程师资源池"
    if EngineerPool.objects.filter(industry_chain=industry_chain, region=region).exists():
        raise Refused(_("该区域已有此产业链的工程师资源池"))
    pool = EngineerPool.objects.create(
        name=name[:100],
        industry_chain=industry_chain,
        region=region,
        description=(description or "").strip(),
        created_by=actor,
    )
    record(actor, "pool.create", pool, pool.name)
    return pool


@transaction.atomic
def enrol_engineer(actor, pool, expert: Expert, specialities: str = ""):
    """Enrol a published expert in a pool with their specialities along the chain."""

    if not operates(actor, pool.region):
        raise PermissionDenied(_("您不负责该区域"))
    if expert.status != Status.PUBLISHED:
        raise Refused(_("只能吸纳已发布的专家"))
    if PoolMember.objects.filter(pool=pool, expert=expert).exists():
        raise Refused(_("%(e)s 已在资源池中") % {"e": expert})
    member = PoolMember.objects.create(
        pool=pool, expert=expert, specialities=(specialities or "").strip()[:200], enrolled_by=actor
    )
    record(actor, "pool.enrol", pool, str(expert), expert_id=expert.pk)
    return member


@transaction.atomic
def remove_engineer(actor, pool, expert: Expert) -> None:

    if not operates(actor, pool.region):
        raise PermissionDenied(_("您不负责该区域"))
    deleted, _rows = PoolMember.objects.filter(pool=pool, expert=expert).delete()
    if not deleted:
        raise Refused(_("%(e)s 不在资源池中") % {"e": expert})
    record(actor, "pool.remove", pool, str(expert), expert_id=expert.pk)


# --- expert service teams (科技服务团) -------------------------------------------------------------------


def _may_run_team(actor, society: Organization) -> bool:
    return acts_for(actor, society.pk) or operates(actor, society.region)


@transaction.atomic
def create_team(actor, society: Organization, name: str, experts=(), description: str = ""):
    """A society (its members, or the operator of its region) forms a service team of published experts."""

    if society.kind != Organization.Kind.SOCIETY:
        raise Refused(_("科技服务团须由学会组建"))
    if not _may_run_team(actor, society):
        raise PermissionDenied(_("您不是该学会的成员"))
    name = (name or "").strip()
    if not name:
        raise Refused(_("请填写服务团名称"))
    team = ServiceTeam.objects.create(
        name=name[:100], society=society, description=(description or "").strip(), created_by=actor
    )
    team.members.set([e for e in experts if e.status == Status.PUBLISHED])
    record(actor, "team.create", team, team.name)
    return team


@transaction.atomic
def plan_visit(actor, team, enterprise: Organization, planned_on: date):
    """Plan a team's visit to a published enterprise."""

    if not _may_run_team(actor, team.society):
        raise PermissionDenied(_("您不是该学会的成员"))
    if enterprise.kind != Organization.Kind.ENTERPRISE or enterprise.status != Status.PUBLISHED:
        raise Refused(_("只能走访已发布的企业"))
    if planned_on is None:
        raise Refused(_("请填写计划日期"))
    visit = ServiceVisit.objects.create(
        team=team, enterprise=enterprise, planned_on=planned_on, created_by=actor
    )
    record(actor, "visit.plan", visit, str(visit))
    notify(
        users_of(enterprise.pk),
        "visit.planned",
        localized(gettext_noop("科技服务团走访预告：%(t)s"), t=team.name),
        localized(gettext_noop("计划日期：%(d)s"), d=planned_on.isoformat()),
        team.get_absolute_url(),
    )
    return visit


@transaction.atomic
def record_visit(
    actor, visit, visited_on: date, outcomes: str, demands: list[tuple[str, str]] = ()
):
    """Record a planned visit as done with its outcomes. Each demand collected (title, description) becomes
    a demand of the visited enterprise sent for review — the normal flow from there on."""

    if not _may_run_team(actor, visit.team.society):
        raise PermissionDenied(_("您不是该学会的成员"))
    outcomes = (outcomes or "").strip()
    if not outcomes:
        raise Refused(_("请填写走访成效"))
    collected = [(t.strip(), d.strip()) for t, d in demands if t.strip()]
    updated = ServiceVisit.objects.filter(pk=visit.pk, status=ServiceVisit.Status.PLANNED).update(
        status=ServiceVisit.Status.DONE,
        visited_on=visited_on,
        outcomes=outcomes,
        updated_at=timezone.now(),
    )
    if not updated:
        raise Refused(_("只有计划中的走访可以记录"))
    visit = ServiceVisit.objects.select_related("team", "enterprise__region").get(pk=visit.pk)
    now = timezone.now()
    for title, description in collected:
        demand = Demand.objects.create(
            organization=visit.enterprise,
            region=visit.enterprise.region,
            author=actor,
            title=title[:200],
            description=description or title,
            status=Demand.Status.PENDING,
            submitted_at=now,
            source_visit=visit,
        )
        record(actor, "demand.collect", demand, demand.title, visit_id=visit.pk)
    record(actor, "visit.record", visit, outcomes[:100], demands=len(collected))
    if collected:
        notify(
            operators_of(visit.enterprise.region),
            "demand.pending",
            localized(gettext_noop("服务团收集需求 %(n)d 项待审核"), n=len(collected)),
            f"{visit.team} → {visit.enterprise}",
            reverse("demands:console"),
        )
    return visit


@transaction.atomic
def cancel_visit(actor, visit, reason: str):

    if not _may_run_team(actor, visit.team.society):
        raise PermissionDenied(_("您不是该学会的成员"))
    updated = ServiceVisit.objects.filter(pk=visit.pk, status=ServiceVisit.Status.PLANNED).update(
        status=ServiceVisit.Status.CANCELLED,
        outcomes=(reason or "").strip(),
        updated_at=timezone.now(),
    )
    if not updated:
        raise Refused(_("只有计划中的走访可以取消"))
    record(actor, "visit.cancel", visit, reason)
    return ServiceVisit.objects.get(pk=visit.pk)
