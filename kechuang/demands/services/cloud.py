"""The engineer cloud (工程师对接云: pools of part-time engineers per industry chain and region) and the
expert service teams of societies (科技服务团) with their visits to enterprises."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kechuang.accounts.permissions import acts_for, operates, operators_of, users_of
from kechuang.core.actions import Refused, create_unique
from kechuang.core.audit import record
from kechuang.core.models import IndustryChain
from kechuang.demands.events import DemandEvent
from kechuang.demands.models import (
    Demand,
    EngineerPool,
    PoolMember,
    ServiceTeam,
    ServiceVisit,
)
from kechuang.directory.models import (
    Expert,
    Organization,
    Status,
)
from kechuang.notifications.services import localized, notify

# --- engineer cloud (工程师对接云) -------------------------------------------------------------------


@transaction.atomic
def create_pool(actor, industry_chain: IndustryChain, region, name: str, description: str = ""):
    """An operator of ``region`` opens the engineer pool of one industry chain there (one per chain and
    region)."""

    if not operates(actor, region):
        raise PermissionDenied(_("您不负责该区域"))
    name = (name or "").strip() or f"{region.name}{industry_chain.name}工程师资源池"
    refusal = _("该区域已有此产业链的工程师资源池")
    if EngineerPool.objects.filter(industry_chain=industry_chain, region=region).exists():
        raise Refused(refusal)
    pool = create_unique(
        EngineerPool,
        refusal,
        name=name[:100],
        industry_chain=industry_chain,
        region=region,
        description=(description or "").strip(),
        created_by=actor,
    )
    record(actor, DemandEvent.POOL_CREATE, pool, pool.name)
    return pool


@transaction.atomic
def enrol_engineer(actor, pool, expert: Expert, specialities: str = ""):
    """Enrol a published expert in a pool with their specialities along the chain."""

    if not operates(actor, pool.region):
        raise PermissionDenied(_("您不负责该区域"))
    if expert.status != Status.PUBLISHED:
        raise Refused(_("只能吸纳已发布的专家"))
    refusal = _("%(e)s 已在资源池中") % {"e": expert}
    if PoolMember.objects.filter(pool=pool, expert=expert).exists():
        raise Refused(refusal)
    member = create_unique(
        PoolMember,
        refusal,
        pool=pool,
        expert=expert,
        specialities=(specialities or "").strip()[:200],
        enrolled_by=actor,
    )
    record(actor, DemandEvent.POOL_ENROL, pool, str(expert), expert_id=expert.pk)
    return member


@transaction.atomic
def remove_engineer(actor, pool, expert: Expert) -> None:

    if not operates(actor, pool.region):
        raise PermissionDenied(_("您不负责该区域"))
    deleted, _rows = PoolMember.objects.filter(pool=pool, expert=expert).delete()
    if not deleted:
        raise Refused(_("%(e)s 不在资源池中") % {"e": expert})
    record(actor, DemandEvent.POOL_REMOVE, pool, str(expert), expert_id=expert.pk)


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
    record(actor, DemandEvent.TEAM_CREATE, team, team.name)
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
    record(actor, DemandEvent.VISIT_PLAN, visit, str(visit))
    notify(
        users_of(enterprise.pk),
        DemandEvent.VISIT_PLANNED,
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
        record(actor, DemandEvent.DEMAND_COLLECT, demand, demand.title, visit_id=visit.pk)
    record(actor, DemandEvent.VISIT_RECORD, visit, outcomes[:100], demands=len(collected))
    if collected:
        notify(
            operators_of(visit.enterprise.region),
            DemandEvent.DEMAND_PENDING,
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
    record(actor, DemandEvent.VISIT_CANCEL, visit, reason)
    return ServiceVisit.objects.get(pk=visit.pk)
