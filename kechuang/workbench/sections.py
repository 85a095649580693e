"""The workbench (工作台): for each of a person's roles, what waits for them and where to act on it.

Each section is read in a fixed number of queries whatever the data (counts and short lists, never a
loop of queries), so the landing page stays fast for an operator of a large region. The view in
:mod:`kechuang.workbench.views` renders the sections :func:`workbench_for` returns.
"""

from dataclasses import dataclass, field

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.permissions import Roles, managed_regions, roles_of
from kechuang.auctions.models import AuctionSession
from kechuang.challenges.models import Application, Challenge, ChallengeList, PanelSeat, ReviewRound
from kechuang.contracts.models import TechContract
from kechuang.demands.models import Demand, Engagement
from kechuang.demands.queries import stalled_engagements
from kechuang.directory.models import Status
from kechuang.directory.services import RECORD_TYPES
from kechuang.indicators.queries import indicator_queues

SHORT_LIST = 8  # rows of each "latest" list; the full list is one link away


@dataclass
class Queue:
    """A count that links to the page where it is worked through."""

    label: str
    count: int
    url: str


@dataclass
class OperatorSection:
    offices: list[str]
    queues: list[Queue]
    challenge_lists: list
    idle: bool  # nothing waits in any queue


@dataclass
class EnterpriseSection:
    queues: list[Queue]
    demands: list
    engagements: list
    applications: list


@dataclass
class OrganizationRow:
    membership: object
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def organization(self):
        return self.membership.organization

    @property
    def has_records(self) -> bool:
        return any(self.counts.values())


@dataclass
class OrganizationSection:
    rows: list[OrganizationRow]
    queues: list[Queue]
    records: list  # the latest achievements, instruments and services, newest first

    @property
    def requests_waiting(self) -> int:
        return self.queues[0].count


@dataclass
class ExpertSection:
    profile: object
    waiting: int
    open_count: int
    engagements: list
    review_seats: int


@dataclass
class Workbench:
    roles: Roles
    operator: OperatorSection | None = None
    enterprise: EnterpriseSection | None = None
    organizations: OrganizationSection | None = None
    expert: ExpertSection | None = None
    vouchers: list[Queue] | None = None  # innovation vouchers, for every role that works with them


def voucher_queues(user, roles: Roles) -> list[Queue]:
    """What waits in the voucher capability: an operator's applications, onboarding and redemptions to
    decide; an enterprise's usable vouchers; a provider's orders to deliver and uses to redeem; an
    auditor's ledger."""
    from kechuang.vouchers.models import (
        ProviderEnrolment,
        Redemption,
        ServiceOrder,
        Voucher,
        VoucherApplication,
        VoucherHold,
    )

    queues = []
    if roles.operator:
        regions = managed_regions(user)
        manage = reverse("vouchers:manage")
        queues += [
            Queue(
                _("待审核的创新券申请"),
                VoucherApplication.objects.filter(
                    programme__region__in=regions, status=VoucherApplication.Status.SUBMITTED
                ).count(),
                manage + "#applications",
            ),
            Queue(
                _("待审核的服务机构入库"),
                ProviderEnrolment.objects.filter(
                    organization__region__in=regions, status=ProviderEnrolment.Status.SUBMITTED
                ).count(),
                manage + "#providers",
            ),
            Queue(
                _("待审核的兑付申请"),
                Redemption.objects.filter(
                    issuing_region__in=regions, status=Redemption.Status.SUBMITTED
                ).count(),
                manage + "#redemptions",
            ),
        ]
    if roles.enterprises:
        ids = [o.pk for o in roles.enterprises]
        queues.append(
            Queue(
                _("可用的创新券"),
                Voucher.objects.usable(timezone.now()).filter(holder_id__in=ids).count(),
                reverse("vouchers:wallet"),
            )
        )
    if roles.institutions:
        ids = [o.pk for o in roles.institutions]
        provider = reverse("vouchers:provider")
        queues += [
            Queue(
                _("待交付的创新券订单"),
                ServiceOrder.objects.filter(
                    provider_id__in=ids, status=ServiceOrder.Status.PLACED
                ).count(),
                provider,
            ),
            Queue(
                _("可申请兑付"),
                VoucherHold.objects.filter(
                    provider_id__in=ids,
                    status=VoucherHold.Status.SETTLED,
                    settled_amount__gt=0,
                    redemption__isnull=True,
                ).count(),
                provider,
            ),
        ]
    if roles.auditor:
        queues.append(Queue(_("创新券账务审计"), 0, reverse("vouchers:audit")))
    return queues


def operator_section(user) -> OperatorSection:
    """The region's queues: records and demands awaiting review, open and stalled engagements, challenge
    tasks proposed and applications awaiting the formal check, and the lists still running."""

    regions = managed_regions(user)  # a lazy subquery: every count below reuses it
    offices = [
        m.office or m.region.name
        for m in user.mandates.select_related("region").order_by("region__path")
    ]
    records = sum(model.objects.awaiting_review(regions).count() for model in RECORD_TYPES.values())
    console, manage = reverse("demands:console"), reverse("challenges:manage")
    queues = [
        Queue(_("待审核的资源记录"), records, reverse("manage:review")),
        Queue(
            _("待审核的技术需求"),
            Demand.objects.awaiting_review(regions).count(),
            reverse("manage:review") + "?type=demand",
        ),
        Queue(
            _("进行中的对接"),
            Engagement.objects.open().filter(demand__region__in=regions).count(),
            reverse("demands:engagements"),
        ),
        Queue(
            _("七天无进展的对接"),
            stalled_engagements(regions, timezone.now()).count(),
            console,
        ),
        Queue(
            _("待审核的榜单任务"),
            Challenge.objects.filter(status=Challenge.Status.PROPOSED, region__in=regions).count(),
            manage,
        ),
        Queue(
            _("待形式审查的揭榜申请"),
            Application.objects.filter(
                challenge__challenge_list__region__in=regions,
                status=Application.Status.SUBMITTED,
            ).count(),
            manage,
        ),
        *(Queue(*queue) for queue in indicator_queues(regions)),
        Queue(
            _("待审核的拍卖专场"),
            AuctionSession.objects.filter(
                status=AuctionSession.Status.IN_REVIEW, region__in=regions
            ).count(),
            reverse("auctions:manage"),
        ),
        Queue(
            _("待认定登记的技术合同"),
            TechContract.objects.awaiting_review(regions).count(),
            reverse("contracts:register") + "?queue=1",
        ),
    ]
    challenge_lists = list(
        ChallengeList.objects.filter(region__in=regions)
        .exclude(status=ChallengeList.Status.CONCLUDED)
        .select_related("region")
        .order_by("-pk")[:SHORT_LIST]
    )
    return OperatorSection(
        offices=offices,
        queues=queues,
        challenge_lists=challenge_lists,
        idle=not any(q.count for q in queues),
    )


def enterprise_section(roles: Roles) -> EnterpriseSection:
    """The enterprises' demands (by status), their open engagements and their 揭榜 applications."""

    ids = [o.pk for o in roles.enterprises]
    demands = Demand.objects.filter(organization_id__in=ids)
    by_status = dict(
        demands.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    own = reverse("demands:list")
    queues = [
        Queue(
            _("草稿与退回待修改"),
            by_status.get(Demand.Status.DRAFT, 0) + by_status.get(Demand.Status.RETURNED, 0),
            own,
        ),
        Queue(_("待科协审核"), by_status.get(Demand.Status.PENDING, 0), own),
        Queue(_("已发布的需求"), by_status.get(Demand.Status.PUBLISHED, 0), own),
    ]
    return EnterpriseSection(
        queues=queues,
        demands=list(
            demands.select_related("organization").order_by("-updated_at", "-pk")[:SHORT_LIST]
        ),
        engagements=list(
            Engagement.objects.open()
            .filter(demand__organization_id__in=ids)
            .select_related("demand", "expert", "provider")[:SHORT_LIST]
        ),
        applications=list(
            Application.objects.of_organizations(ids)
            .select_related("challenge", "lead")
            .order_by("-pk")[:SHORT_LIST]
        ),
    )


def organization_section(roles: Roles) -> OrganizationSection:
    """The organisations the person acts for, with how many achievements, instruments and services each
    lists; the requests from enterprises still waiting for an answer, the records returned or awaiting
    review, and the latest records."""

    ids = roles.organization_ids
    rows = {m.organization_id: OrganizationRow(m) for m in roles.memberships}
    by_status: dict[str, int] = {}
    records = []
    for name in ("achievement", "instrument", "service"):
        model = RECORD_TYPES[name]
        owner = f"{model.OWNER_FIELD}_id"
        own = model.objects.filter(**{f"{owner}__in": ids})
        for row in rows.values():
            row.counts[name] = 0
        grouped = own.order_by().values_list(owner, "status").annotate(n=Count("pk"))
        for org_id, status, n in grouped.values_list(owner, "status", "n"):
            rows[org_id].counts[name] += n
            by_status[status] = by_status.get(status, 0) + n
        for record in own.order_by("-updated_at", "-pk")[:SHORT_LIST]:
            record.type_name, record.type_label = name, model._meta.verbose_name
            records.append(record)
    records.sort(key=lambda r: (r.updated_at, r.pk), reverse=True)
    waiting = Engagement.objects.filter(
        provider_id__in=ids, status=Engagement.Status.REQUESTED
    ).count()
    first = roles.memberships[0].organization_id
    own_records = reverse("manage:organization", args=[first])
    queues = [
        Queue(_("待回应的对接请求"), waiting, reverse("demands:inbox")),
        Queue(_("退回待修改的记录"), by_status.get(Status.RETURNED, 0), own_records),
        Queue(_("待科协审核的记录"), by_status.get(Status.PENDING, 0), own_records),
        Queue(_("已发布的记录"), by_status.get(Status.PUBLISHED, 0), own_records),
    ]
    return OrganizationSection(
        rows=list(rows.values()), queues=queues, records=records[:SHORT_LIST]
    )


def expert_section(roles: Roles) -> ExpertSection:
    """The expert's requests waiting for an answer, their open engagements and their review seats."""

    expert = roles.expert
    mine = Engagement.objects.filter(expert=expert)
    return ExpertSection(
        profile=expert,
        waiting=mine.filter(status=Engagement.Status.REQUESTED).count(),
        open_count=mine.open().count(),
        engagements=list(mine.open().select_related("demand__organization")[:SHORT_LIST]),
        review_seats=PanelSeat.objects.filter(
            expert=expert, status=PanelSeat.Status.ACTIVE, round__status=ReviewRound.Status.OPEN
        ).count(),
    )


def workbench_for(user) -> Workbench:
    """Every section ``user``'s roles call for; a person with several roles sees each of them."""
    roles = roles_of(user)
    return Workbench(
        roles=roles,
        operator=operator_section(user) if roles.operator else None,
        enterprise=enterprise_section(roles) if roles.enterprises else None,
        organizations=organization_section(roles) if roles.memberships else None,
        expert=expert_section(roles) if roles.expert is not None else None,
        vouchers=voucher_queues(user, roles) or None,
    )
