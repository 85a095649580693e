"""The indicator sources over the records that exist today (see :mod:`kechuang.indicators.registry`).

Each is registered here rather than in the owning app so that the owning apps need not change; an app
that lands later (contracts, vouchers, booking) registers its own from its ``AppConfig.ready``.
"""

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.indicators.registry import LineageRow, Source, register


def _tier_row(record) -> LineageRow:
    organization = record.organization
    return LineageRow(
        title=organization.name,
        url=organization.get_absolute_url(),
        on=record.recognized_on,
        region=organization.region.name,
        note=str(record.get_tier_display()),
    )


def _tier_records(tier: str):
    def queryset():
        from kechuang.directory.models import TierRecord

        return TierRecord.objects.filter(tier=tier).select_related("organization__region")

    return queryset


def _agreement_row(agreement) -> LineageRow:
    challenge = agreement.challenge
    return LineageRow(
        title=challenge.title,
        url=challenge.get_absolute_url(),
        on=agreement.signed_at.date() if agreement.signed_at else None,
        region=challenge.region.name,
        amount=challenge.bounty,
        note=str(agreement.get_status_display()),
    )


def _agreements():
    from kechuang.challenges.models import Agreement

    return Agreement.objects.select_related("challenge__region")


def _listed_challenges():
    from kechuang.challenges.models import Challenge, ChallengeList

    return (
        Challenge.objects.filter(status=Challenge.Status.ACCEPTED)
        .exclude(challenge_list__status=ChallengeList.Status.DRAFT)
        .exclude(challenge_list__published_at=None)
        .select_related("region", "challenge_list")
    )


def _challenge_row(challenge) -> LineageRow:
    return LineageRow(
        title=challenge.title,
        url=challenge.get_absolute_url(),
        on=challenge.challenge_list.published_at.date(),
        region=challenge.region.name,
        amount=challenge.bounty,
        note=challenge.challenge_list.title,
    )


def _engagements(stamp: str):
    def queryset():
        from kechuang.demands.models import Engagement

        return Engagement.objects.exclude(**{stamp: None}).select_related("demand__region")

    return queryset


def _engagement_row(stamp: str):
    def row(engagement) -> LineageRow:
        when = getattr(engagement, stamp)
        return LineageRow(
            title=engagement.demand.title,
            url=engagement.get_absolute_url(),
            on=when.date() if when else None,
            region=engagement.demand.region.name,
            note=str(engagement.get_status_display()),
        )

    return row


def _projects(**filters):
    def queryset():
        from kechuang.indicators.models import SignedProject

        return SignedProject.objects.filter(**filters).select_related("region", "event")

    return queryset


def _project_row(project) -> LineageRow:
    return LineageRow(
        title=project.name,
        url=project.get_absolute_url(),
        on=project.started_on or project.event.held_on,
        region=project.region.name,
        amount=project.amount,
        note=f"{project.event.name} · {project.get_status_display()}",
    )


def _visits():
    from kechuang.indicators.models import Visit

    return Visit.objects.select_related("plan__organization__region")


def _visit_row(visit) -> LineageRow:
    organization = visit.plan.organization
    return LineageRow(
        title=organization.name,
        url=visit.plan.get_absolute_url(),
        on=visit.visited_on,
        region=organization.region.name,
        note=visit.notes[:60],
    )


def _contracts():
    from kechuang.contracts.queries import turnover_contracts

    # The queryset behind kechuang.contracts.queries.turnover: registered contracts, seller's region.
    return turnover_contracts().select_related("seller_region")


def _contract_row(contract) -> LineageRow:
    return LineageRow(
        title=contract.title,
        url=contract.get_absolute_url(),
        on=timezone.localdate(contract.registered_at) if contract.registered_at else None,
        region=contract.seller_region.name,
        amount=contract.tech_amount,
        note=f"{contract.number or ''} {contract.seller_name} → {contract.buyer_name}".strip(),
    )


def register_builtin_sources() -> None:
    tier_region = "organization__region"
    register(
        Source(
            key="directory.new_tech_sme",
            label=_("新增科技型中小企业（梯次培育记录）"),
            queryset=_tier_records("tech_sme"),
            date_field="recognized_on",
            region_field=tier_region,
            row=_tier_row,
            owner="directory",
        )
    )
    register(
        Source(
            key="directory.new_high_tech",
            label=_("新增高新技术企业（梯次培育记录）"),
            queryset=_tier_records("high_tech"),
            date_field="recognized_on",
            region_field=tier_region,
            row=_tier_row,
            owner="directory",
        )
    )
    register(
        Source(
            key="directory.new_leader",
            label=_("新增创新型领军企业（梯次培育记录）"),
            queryset=_tier_records("leader"),
            date_field="recognized_on",
            region_field=tier_region,
            row=_tier_row,
            owner="directory",
        )
    )
    register(
        Source(
            key="challenges.tasks_listed",
            label=_("发布“卡脖子”攻关任务（揭榜挂帅榜单）"),
            queryset=_listed_challenges,
            date_field="challenge_list__published_at",
            region_field="region",
            row=_challenge_row,
            owner="challenges",
        )
    )
    register(
        Source(
            key="challenges.tasks_contracted",
            label=_("攻坚“卡脖子”核心技术（揭榜任务签约）"),
            queryset=_agreements,
            date_field="signed_at",
            region_field="challenge__region",
            row=_agreement_row,
            owner="challenges",
        )
    )
    register(
        Source(
            key="demands.engagements_accepted",
            label=_("需求对接成功（专家或机构接受对接）"),
            queryset=_engagements("accepted_at"),
            date_field="accepted_at",
            region_field="demand__region",
            row=_engagement_row("accepted_at"),
            owner="demands",
        )
    )
    register(
        Source(
            key="demands.engagements_agreed",
            label=_("对接达成合作"),
            queryset=_engagements("agreed_at"),
            date_field="agreed_at",
            region_field="demand__region",
            row=_engagement_row("agreed_at"),
            owner="demands",
        )
    )
    register(
        Source(
            key="indicators.projects_signed",
            label=_("签约项目（个）"),
            queryset=_projects(),
            date_field="event__held_on",
            region_field="region",
            row=_project_row,
            owner="indicators",
        )
    )
    register(
        Source(
            key="indicators.projects_amount",
            label=_("签约项目金额"),
            queryset=_projects(),
            date_field="event__held_on",
            region_field="region",
            row=_project_row,
            amount_field="amount",
            money=True,
            owner="indicators",
        )
    )
    register(
        Source(
            key="indicators.projects_started",
            label=_("签约项目开工落地"),
            queryset=_projects(started_on__isnull=False),
            date_field="started_on",
            region_field="region",
            row=_project_row,
            owner="indicators",
        )
    )
    register(
        Source(
            key="indicators.visits",
            label=_("走访服务企业（一企一策走访记录）"),
            queryset=_visits,
            date_field="visited_on",
            region_field="plan__organization__region",
            row=_visit_row,
            owner="indicators",
        )
    )
    if apps.is_installed("kechuang.contracts"):
        register(
            Source(
                key="contracts.turnover",
                label=_("技术交易额（登记技术合同的技术交易额，按卖方区域）"),
                queryset=_contracts,
                date_field="registered_at",
                region_field="seller_region",
                row=_contract_row,
                amount_field="tech_amount",
                money=True,
                owner="contracts",
            )
        )
