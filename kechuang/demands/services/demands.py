"""Writing demands: save a draft, attach files, submit, approve, return, close.

Each service checks permission (``PermissionDenied``) and state (:class:`kechuang.core.actions.Refused`, with a
Chinese message for the user), runs in one transaction, writes an audit row and its notifications. Status
changes go through :func:`kechuang.core.actions.transition` (a conditional ``UPDATE`` on the expected states),
and each has a check beside it (``submit_demand.allowed(user, demand)``) that pages and the API use to show the
button.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from kechuang.accounts.permissions import acts_for, operates, operators_of, users_of
from kechuang.core.actions import Refused, checked_by, locked, now_or_default, transition
from kechuang.core.audit import record
from kechuang.core.models import IndustryChain, TechField
from kechuang.core.money import to_yuan
from kechuang.demands.attachments import check_attachment
from kechuang.demands.events import DemandEvent
from kechuang.demands.models import (
    CooperationMode,
    Demand,
    DemandAttachment,
)
from kechuang.directory.models import (
    Organization,
)
from kechuang.notifications.services import localized, notify


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
        demand = locked(demand)
        if not demand.is_editable:
            raise Refused(_("需求当前状态为“%(s)s”，不能修改") % {"s": demand.get_status_display()})
    for name, value in values.items():
        setattr(demand, name, value)
    demand.region_id = data.region_id or demand.region_id or organization.region_id
    demand.full_clean(exclude=["organization", "author", "invited_experts"])
    is_new = demand.pk is None
    demand.save()
    record(
        actor,
        DemandEvent.DEMAND_CREATE if is_new else DemandEvent.DEMAND_UPDATE,
        demand,
        demand.title,
    )
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
    record(actor, DemandEvent.DEMAND_ATTACH, demand, attachment.name, size=attachment.size)
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


DEMAND_STATE_REFUSAL = gettext_lazy("需求当前状态为“%(s)s”，不能执行此操作")
SUBMITTABLE = (Demand.Status.DRAFT, Demand.Status.RETURNED)


def _require_state(demand: Demand, allowed: tuple) -> None:
    if demand.status not in allowed:
        raise Refused(DEMAND_STATE_REFUSAL % {"s": demand.get_status_display()})


def check_submit_demand(actor, demand: Demand) -> None:
    """A member of the demand's enterprise submits a draft or returned demand."""
    if not acts_for(actor, demand.organization_id):
        raise PermissionDenied(_("您不是该企业的成员"))
    _require_state(demand, SUBMITTABLE)


def check_review_demand(actor, demand: Demand) -> None:
    """An operator of the demand's region approves or returns a pending demand."""
    if not operates(actor, demand.region):
        raise PermissionDenied(_("您不负责该区域"))
    _require_state(demand, (Demand.Status.PENDING,))


def check_close_demand(actor, demand: Demand) -> None:
    """Its enterprise or its region's operator closes a published demand."""
    if not (acts_for(actor, demand.organization_id) or operates(actor, demand.region)):
        raise PermissionDenied(_("无权关闭该需求"))
    _require_state(demand, (Demand.Status.PUBLISHED,))


def _reason(reason: str, refusal: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Refused(refusal)
    return reason


@checked_by(check_submit_demand)
@transaction.atomic
def submit_demand(actor, demand: Demand, *, now: datetime | None = None) -> Demand:
    """Send a draft or returned demand to its region's operators for review."""
    now = now_or_default(now)
    check_submit_demand(actor, locked(demand))
    demand = transition(
        actor,
        demand,
        event=DemandEvent.DEMAND_SUBMIT,
        expected=SUBMITTABLE,
        to=Demand.Status.PENDING,
        refusal=DEMAND_STATE_REFUSAL,
        summary=demand.title,
        now=now,
        values={"submitted_at": now, "review_note": ""},
    )
    notify(
        operators_of(demand.region),
        DemandEvent.DEMAND_PENDING,
        localized(gettext_noop("待审核需求：%(t)s"), t=demand.title),
        localized(gettext_noop("%(org)s 提交了技术需求，请审核。"), org=demand.organization),
        demand.get_absolute_url(),
    )
    return demand


@checked_by(check_review_demand)
@transaction.atomic
def approve_demand(actor, demand: Demand, *, now: datetime | None = None) -> Demand:
    """Publish a pending demand. Only an operator of its region may; it then enters the search index and a
    task counts its matches for the funnel."""
    now = now_or_default(now)
    check_review_demand(actor, locked(demand))
    demand = transition(
        actor,
        demand,
        event=DemandEvent.DEMAND_APPROVE,
        expected=(Demand.Status.PENDING,),
        to=Demand.Status.PUBLISHED,
        refusal=DEMAND_STATE_REFUSAL,
        summary=demand.title,
        now=now,
        values={"published_at": now, "review_note": ""},
    )
    notify(
        users_of(demand.organization_id),
        DemandEvent.DEMAND_PUBLISHED,
        localized(gettext_noop("需求已发布：%(t)s"), t=demand.title),
        localized(gettext_noop("您的技术需求已通过审核，可查看匹配结果并发起对接。")),
        demand.get_absolute_url(),
    )
    from kechuang.demands.tasks import count_matches

    transaction.on_commit(lambda: count_matches.enqueue(demand.pk), robust=True)
    return demand


@checked_by(check_review_demand)
@transaction.atomic
def return_demand(actor, demand: Demand, reason: str, *, now: datetime | None = None) -> Demand:
    """Return a pending demand to its enterprise with the reason it must address."""
    check_review_demand(actor, locked(demand))
    reason = _reason(reason, _("退回时请填写原因"))
    demand = transition(
        actor,
        demand,
        event=DemandEvent.DEMAND_RETURN,
        expected=(Demand.Status.PENDING,),
        to=Demand.Status.RETURNED,
        refusal=DEMAND_STATE_REFUSAL,
        summary=reason,
        now=now,
        values={"review_note": reason[:300]},
    )
    notify(
        users_of(demand.organization_id),
        DemandEvent.DEMAND_RETURNED,
        localized(gettext_noop("需求被退回：%(t)s"), t=demand.title),
        reason,
        demand.get_absolute_url(),
    )
    return demand


@checked_by(check_close_demand)
@transaction.atomic
def close_demand(actor, demand: Demand, reason: str, *, now: datetime | None = None) -> Demand:
    """Close a published demand (its enterprise or its region's operator); it leaves the search index.
    Open engagements keep running to their own outcome."""
    now = now_or_default(now)
    check_close_demand(actor, locked(demand))
    reason = _reason(reason, _("关闭时请填写原因"))
    return transition(
        actor,
        demand,
        event=DemandEvent.DEMAND_CLOSE,
        expected=(Demand.Status.PUBLISHED,),
        to=Demand.Status.CLOSED,
        refusal=DEMAND_STATE_REFUSAL,
        summary=reason,
        now=now,
        values={"closed_at": now, "close_reason": reason[:300]},
    )


# What a user may do to a demand, by the action names of the pages and the API.
DEMAND_ACTIONS = {
    "submit": submit_demand,
    "approve": approve_demand,
    "return": return_demand,
    "close": close_demand,
}


def allowed_demand_actions(actor, demand: Demand) -> list[str]:
    """The names of the actions ``actor`` may take on ``demand`` now (each service's own check), for the
    page's buttons and the API's ``actions``."""
    return [name for name, service in DEMAND_ACTIONS.items() if service.allowed(actor, demand)]
