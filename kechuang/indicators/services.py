"""Every change to indicators, targets, manual values, signed projects and cultivation plans.

Services take the actor first and ``now=`` where time matters; they check permission (an operator of the
region: ``PermissionDenied``) and input (:class:`~kechuang.core.actions.Refused` with a Chinese reason,
nothing changed), run in one transaction, write an audit row and notify after commit.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kechuang.accounts.permissions import operates
from kechuang.core.actions import Refused
from kechuang.core.audit import record
from kechuang.core.models import Region
from kechuang.directory.models import Organization, TierRecord
from kechuang.indicators import registry
from kechuang.indicators.models import (
    TRACK_OF_TIER,
    CultivationPlan,
    Indicator,
    ManualValue,
    SignedProject,
    SigningEvent,
    Target,
    Track,
    Visit,
)
from kechuang.notifications.services import localized, notify

FIGURE_LIMIT = Decimal("1e15")


def _require_operator(actor, region: Region) -> None:
    if not operates(actor, region):
        raise PermissionDenied


def _figure(value, label: str) -> Decimal:
    try:
        figure = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise Refused(_("%(f)s须为数字") % {"f": label}, "invalid_figure") from None
    if not figure.is_finite() or figure < 0 or figure >= FIGURE_LIMIT:
        raise Refused(_("%(f)s须为不小于 0 的数字") % {"f": label}, "invalid_figure")
    return figure


def _in_scope(indicator: Indicator, region: Region) -> None:
    if not region.path.startswith(indicator.region.path):
        raise Refused(
            _("%(r)s不在指标“%(i)s”的考核范围内") % {"r": region.name, "i": indicator.name},
            "out_of_scope",
        )


# --- indicators and targets ----------------------------------------------------------------------


@transaction.atomic
def define_indicator(
    actor,
    region: Region,
    *,
    code: str,
    name: str,
    unit: str,
    source: str = "",
    direction: str = Indicator.Direction.UP,
    is_core: bool = False,
    money: bool | None = None,
    aggregation: str = Indicator.Aggregation.SUM,
    description: str = "",
    position: int = 0,
) -> Indicator:
    """Define (or redefine, by ``code``) an indicator of ``region``. A ``source`` must be registered;
    a money source makes the indicator's figures yuan."""
    _require_operator(actor, region)
    name, unit, code = name.strip(), unit.strip(), code.strip()
    if not name or not unit or not code:
        raise Refused(_("请填写指标名称、代号和单位"), "incomplete")
    found = registry.get(source) if source else None
    if source and found is None:
        raise Refused(_("未知的取数公式：%(s)s") % {"s": source}, "unknown_source")
    if direction not in Indicator.Direction.values:
        raise Refused(_("指标方向无效"), "invalid_direction")
    if aggregation not in Indicator.Aggregation.values:
        raise Refused(_("年度汇总方式无效"), "invalid_aggregation")
    if found is not None:
        money = found.money
        aggregation = Indicator.Aggregation.SUM
    indicator, created = Indicator.objects.update_or_create(
        region=region,
        code=code,
        defaults={
            "name": name,
            "unit": unit,
            "source": source,
            "direction": direction,
            "is_core": is_core,
            "money": bool(money),
            "aggregation": aggregation,
            "description": description.strip(),
            "position": position,
        },
    )
    record(actor, "indicators.indicator." + ("define" if created else "change"), indicator, name)
    return indicator


@transaction.atomic
def set_target(actor, indicator: Indicator, region: Region, year: int, value) -> Target:
    """Set ``region``'s target of ``indicator`` for ``year`` (one per year; setting again replaces it)."""
    _require_operator(actor, region)
    _in_scope(indicator, region)
    if not 2000 <= int(year) <= 2100:
        raise Refused(_("年度须在 2000–2100 之间"), "invalid_year")
    figure = _figure(value, _("目标值"))
    target, _created = Target.objects.update_or_create(
        indicator=indicator,
        region=region,
        year=year,
        defaults={"value": figure, "set_by": actor if actor.is_authenticated else None},
    )
    record(
        actor,
        "indicators.target.set",
        target,
        f"{indicator.name} {region.name} {year}",
        value=str(figure),
    )
    return target


# --- manual values (four eyes) -------------------------------------------------------------------


@transaction.atomic
def enter_value(
    actor,
    indicator: Indicator,
    region: Region,
    *,
    year: int,
    month: int,
    value,
    evidence: str,
    evidence_url: str = "",
    now: datetime.datetime | None = None,
) -> ManualValue:
    """Enter a manual figure for one month with its evidence; it counts once a second person approves."""
    now = now or timezone.now()
    _require_operator(actor, region)
    _in_scope(indicator, region)
    if not indicator.is_manual:
        raise Refused(
            _("该指标由平台记录自动计算，不能人工填报；请更正其来源记录"), "computed_indicator"
        )
    if not 1 <= int(month) <= 12 or not 2000 <= int(year) <= 2100:
        raise Refused(_("请选择有效的年份和月份"), "invalid_period")
    if datetime.date(int(year), int(month), 1) > now.date():
        raise Refused(_("不能填报尚未到来的月份"), "future_period")
    evidence = (evidence or "").strip()
    if len(evidence) < 4:
        raise Refused(_("请说明佐证材料（文件名称、发文号或统计来源）"), "no_evidence")
    figure = _figure(value, _("数值"))
    entry = ManualValue.objects.create(
        indicator=indicator,
        region=region,
        year=year,
        month=month,
        value=figure,
        evidence=evidence,
        evidence_url=evidence_url.strip(),
        entered_by=actor,
        entered_at=now,
    )
    record(
        actor,
        "indicators.value.enter",
        entry,
        f"{indicator.name} {region.name} {year}-{month}",
        value=str(figure),
    )
    return entry


def check_review(actor, entry: ManualValue) -> str | None:
    """Why ``actor`` may not approve or refuse ``entry`` now (``None`` when they may): pages hide the
    buttons by it and the services refuse by it."""
    if entry.status != ManualValue.Status.PENDING:
        return _("该填报已处理（%(s)s）") % {"s": entry.get_status_display()}
    if entry.entered_by_id == getattr(actor, "pk", None):
        return _("填报人不能审核自己填报的数值，请由另一位工作人员审核")
    return None


def _pending_locked(actor, entry: ManualValue) -> ManualValue:
    _require_operator(actor, entry.region)
    locked = (
        ManualValue.objects.select_for_update()
        .select_related("indicator", "region")
        .get(pk=entry.pk)
    )
    reason = check_review(actor, locked)
    if reason:
        raise Refused(reason, "four_eyes" if locked.entered_by_id == actor.pk else "not_pending")
    return locked


@transaction.atomic
def approve_value(
    actor, entry: ManualValue, *, now: datetime.datetime | None = None
) -> ManualValue:
    """Approve a pending value (not one's own); it supersedes the value approved before for its month."""
    now = now or timezone.now()
    entry = _pending_locked(actor, entry)
    ManualValue.objects.filter(
        indicator=entry.indicator_id,
        region=entry.region_id,
        year=entry.year,
        month=entry.month,
        status=ManualValue.Status.APPROVED,
    ).update(status=ManualValue.Status.SUPERSEDED)
    # Conditional: a concurrent reviewer who got here first leaves nothing pending to approve.
    updated = ManualValue.objects.filter(pk=entry.pk, status=ManualValue.Status.PENDING).update(
        status=ManualValue.Status.APPROVED, approved_by=actor, approved_at=now
    )
    if updated != 1:
        raise Refused(_("该填报已处理"), "not_pending")
    entry.refresh_from_db()
    record(actor, "indicators.value.approve", entry, f"{entry.indicator.name} {entry.region.name}")
    notify(
        [entry.entered_by],
        "indicators.value.approved",
        localized(gettext_noop("填报已审核：%(i)s"), i=entry.indicator.name),
        localized(
            gettext_noop("%(r)s %(y)s年%(m)s月的填报值已审核通过。"),
            r=entry.region.name,
            y=entry.year,
            m=entry.month,
        ),
        entry.indicator.get_absolute_url(),
    )
    return entry


def approve_value_safely(actor, entry: ManualValue, **kwargs) -> ManualValue:
    """:func:`approve_value`, answering a lost race for the month's one approved value as a refusal."""
    try:
        return approve_value(actor, entry, **kwargs)
    except IntegrityError:
        raise Refused(_("同一月份的另一填报刚刚审核通过，请刷新后再试"), "conflict") from None


@transaction.atomic
def reject_value(actor, entry: ManualValue, reason: str, *, now=None) -> ManualValue:
    """Send a pending value back to its author with a reason (not one's own)."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("请填写退回原因"), "no_reason")
    entry = _pending_locked(actor, entry)
    entry.status = ManualValue.Status.REJECTED
    entry.approved_by = actor
    entry.approved_at = now or timezone.now()
    entry.review_note = reason[:300]
    entry.save(update_fields=["status", "approved_by", "approved_at", "review_note"])
    record(actor, "indicators.value.reject", entry, reason)
    notify(
        [entry.entered_by],
        "indicators.value.rejected",
        localized(gettext_noop("填报被退回：%(i)s"), i=entry.indicator.name),
        localized(gettext_noop("退回原因：%(r)s"), r=reason),
        entry.indicator.get_absolute_url(),
    )
    return entry


# --- signed projects ---------------------------------------------------------------------------------


@transaction.atomic
def create_event(
    actor,
    region: Region,
    *,
    name: str,
    held_on: datetime.date,
    venue: str = "",
    description: str = "",
) -> SigningEvent:
    """Record a signing event of ``region``."""
    _require_operator(actor, region)
    if not name.strip():
        raise Refused(_("请填写活动名称"), "incomplete")
    event = SigningEvent.objects.create(
        region=region,
        name=name.strip(),
        held_on=held_on,
        venue=venue.strip(),
        description=description.strip(),
        created_by=actor if actor.is_authenticated else None,
    )
    record(actor, "indicators.event.create", event, event.name)
    return event


@transaction.atomic
def add_project(
    actor,
    event: SigningEvent,
    *,
    name: str,
    kind: str,
    parties: str,
    region: Region,
    amount=None,
) -> SignedProject:
    """Add a project to an event's batch; it lands in ``region`` (the event's region or below it)."""
    _require_operator(actor, event.region)
    if not region.path.startswith(event.region.path) and not operates(actor, region):
        raise Refused(_("落地区域须在本区域范围内"), "out_of_scope")
    if kind not in SignedProject.Kind.values:
        raise Refused(_("请选择项目类别"), "invalid_kind")
    if not name.strip() or not parties.strip():
        raise Refused(_("请填写项目名称和签约各方"), "incomplete")
    figure = None if amount in (None, "") else _figure(amount, _("签约金额"))
    project = SignedProject.objects.create(
        event=event,
        name=name.strip(),
        kind=kind,
        parties=parties.strip(),
        region=region,
        amount=figure,
    )
    record(actor, "indicators.project.add", project, project.name)
    return project


def next_statuses(project: SignedProject) -> list[str]:
    """The follow-up steps open to ``project`` now (pages show these buttons, the service allows these)."""
    S = SignedProject.Status
    # An industrial project goes into production; a platform, fund, team or cooperation starts operating.
    landed = S.PRODUCING if project.kind == SignedProject.Kind.INDUSTRIAL else S.OPERATING
    return {
        S.SIGNED: [S.STARTED, S.STALLED],
        S.STARTED: [landed, S.STALLED],
        S.STALLED: [S.STARTED],
        S.PRODUCING: [],
        S.OPERATING: [],
    }[project.status]


@transaction.atomic
def advance_project(
    actor,
    project: SignedProject,
    status: str,
    *,
    on: datetime.date | None = None,
    reason: str = "",
    now=None,
) -> SignedProject:
    """Move a project one step of its follow-up (see :func:`next_statuses`); stalling needs a reason."""
    now = now or timezone.now()
    _require_operator(actor, project.region)
    project = SignedProject.objects.select_for_update().select_related("event").get(pk=project.pk)
    if status not in next_statuses(project):
        raise Refused(
            _("“%(p)s”当前为%(s)s，不能改为该进展")
            % {"p": project.name, "s": project.get_status_display()},
            "invalid_transition",
        )
    on = on or timezone.localdate(now)
    if on < project.event.held_on or on > timezone.localdate(now):
        raise Refused(_("日期须在签约日期之后、今天之前"), "invalid_date")
    S = SignedProject.Status
    fields = ["status", "stalled_reason"]
    if status == S.STALLED:
        reason = reason.strip()
        if not reason:
            raise Refused(_("请说明停滞原因"), "no_reason")
        project.stalled_reason = reason[:300]
    else:
        project.stalled_reason = ""
    if status == S.STARTED and project.started_on is None:
        project.started_on = on
        fields.append("started_on")
    if status in (S.PRODUCING, S.OPERATING):
        project.landed_on = on
        fields.append("landed_on")
    before = project.status
    project.status = status
    project.save(update_fields=[*fields, "updated_at"])
    summary = f"{SignedProject.Status(before).label} → {SignedProject.Status(status).label}"
    if project.stalled_reason:
        summary += f"：{project.stalled_reason}"
    record(actor, "indicators.project.advance", project, summary, on=on.isoformat(), status=status)
    return project


# --- cultivation ladder ------------------------------------------------------------------------------


def _enterprise(organization: Organization) -> None:
    if organization.kind != Organization.Kind.ENTERPRISE:
        raise Refused(_("梯次培育只适用于企业"), "not_enterprise")


def _officer_ok(officer, region: Region) -> None:
    if officer is not None and not operates(officer, region):
        raise Refused(_("服务专员须为本区域的科协或科技局工作人员"), "invalid_officer")


@transaction.atomic
def open_plan(
    actor, organization: Organization, *, goals: str, target_year: int, officer=None
) -> CultivationPlan:
    """Put a firm on the cultivation list of its next step, with its plan (one per firm)."""
    _require_operator(actor, organization.region)
    _enterprise(organization)
    _officer_ok(officer, organization.region)
    if organization.tier == Organization.Tier.LEADER:
        track = Track.HIGH_TO_STRONG
    else:
        track = TRACK_OF_TIER[organization.tier]
    if not goals.strip():
        raise Refused(_("请填写培育目标与措施"), "incomplete")
    try:
        with transaction.atomic():
            plan = CultivationPlan.objects.create(
                organization=organization,
                track=track,
                goals=goals.strip(),
                target_year=target_year,
                officer=officer,
            )
    except IntegrityError:
        raise Refused(_("该企业已有培育计划（一企一策），请修改原计划"), "plan_exists") from None
    record(actor, "indicators.plan.open", plan, str(plan))
    if officer is not None:
        _tell_officer(plan)
    return plan


def _tell_officer(plan: CultivationPlan) -> None:
    notify(
        [plan.officer],
        "indicators.plan.assigned",
        localized(gettext_noop("新的培育企业：%(o)s"), o=plan.organization.name),
        localized(
            gettext_noop("您被指定为%(o)s的服务专员（%(t)s）。"),
            o=plan.organization.name,
            t=plan.get_track_display(),
        ),
        plan.get_absolute_url(),
    )


@transaction.atomic
def assign_officer(actor, plan: CultivationPlan, officer) -> CultivationPlan:
    """Assign (or change) the plan's service officer, who is told."""
    region = plan.organization.region
    _require_operator(actor, region)
    _officer_ok(officer, region)
    plan.officer = officer
    plan.save(update_fields=["officer", "updated_at"])
    record(actor, "indicators.plan.assign", plan, str(officer))
    if officer is not None:
        _tell_officer(plan)
    return plan


@transaction.atomic
def record_visit(
    actor, plan: CultivationPlan, *, visited_on: datetime.date, notes: str, now=None
) -> Visit:
    """Record a visit to a firm on a list; a visit is never in the future."""
    now = now or timezone.now()
    _require_operator(actor, plan.organization.region)
    if visited_on > timezone.localdate(now):
        raise Refused(_("走访日期不能晚于今天"), "future_visit")
    if not notes.strip():
        raise Refused(_("请填写走访记录"), "incomplete")
    visit = Visit.objects.create(
        plan=plan, visited_on=visited_on, officer=actor, notes=notes.strip()
    )
    record(actor, "indicators.visit.record", visit, plan.organization.name)
    return visit


TIER_ORDER = ["", "tech_sme", "high_tech", "leader"]


@transaction.atomic
def record_tier_step(
    actor,
    organization: Organization,
    tier: str,
    *,
    recognized_on: datetime.date,
    plan_text: str = "",
    now=None,
) -> TierRecord:
    """Record a firm's recognition at a higher tier (认定): a tier-history row, the firm's tier, and its
    cultivation plan moved to the next list. Only upward steps; never in the future."""
    now = now or timezone.now()
    _require_operator(actor, organization.region)
    _enterprise(organization)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if tier not in TIER_ORDER[1:]:
        raise Refused(_("请选择认定的梯次"), "invalid_tier")
    if TIER_ORDER.index(tier) <= TIER_ORDER.index(organization.tier):
        raise Refused(
            _("%(o)s已是%(t)s，只能登记更高梯次的认定")
            % {"o": organization.name, "t": organization.get_tier_display()},
            "not_upward",
        )
    if recognized_on > timezone.localdate(now):
        raise Refused(_("认定日期不能晚于今天"), "future_date")
    step = TierRecord.objects.create(
        organization=organization,
        tier=tier,
        recognized_on=recognized_on,
        plan=plan_text.strip(),
        recorded_by=actor if actor.is_authenticated else None,
    )
    organization.tier = tier
    organization.save(update_fields=["tier"])
    track = TRACK_OF_TIER.get(tier, Track.HIGH_TO_STRONG)
    CultivationPlan.objects.filter(organization=organization).update(track=track, updated_at=now)
    record(actor, "indicators.tier.step", organization, tier, on=recognized_on.isoformat())
    return step
