"""The indicator sources over the records that exist today (see :mod:`kechuang.indicators.registry`).

Each is registered here, where the indicators app is ready, rather than in the owning app: the
capabilities beside ``challenges/`` (vouchers, booking, contracts) sit below indicators in the README's
layout and may not import it. The owning app still says which of its records count — the querysets come
from its ``queries`` module (``contracts.queries.turnover_contracts``, ``vouchers.queries.
spent_redemptions``, ``booking.queries.used_bookings``) — and each is registered only when that app is
installed.
"""

from decimal import Decimal

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


def _spent_redemptions():
    from kechuang.vouchers.queries import spent_redemptions

    return spent_redemptions()


def _redemption_row(redemption) -> LineageRow:
    voucher = redemption.hold.voucher
    return LineageRow(
        title=f"{voucher.holder.name} · {redemption.provider.name}",
        url=redemption.get_absolute_url(),
        on=timezone.localdate(redemption.decided_at) if redemption.decided_at else None,
        region=voucher.holder.region.name,
        amount=redemption.amount,
        note=f"{voucher.code} · {redemption.get_status_display()}",
    )


def _used_bookings(external_only: bool):
    def queryset():
        from kechuang.booking.queries import used_bookings

        return used_bookings(external_only=external_only)

    return queryset


def _used_duration():
    from kechuang.booking.queries import used_duration

    return used_duration()


def _hours(duration) -> Decimal:
    from kechuang.booking.queries import hours

    return hours(duration)


def _booking_row(booking) -> LineageRow:
    instrument = booking.instrument
    start, end = timezone.localtime(booking.actual_start), timezone.localtime(booking.actual_end)
    return LineageRow(
        title=f"{instrument.name} · {booking.organization.name}",
        url=booking.get_absolute_url(),
        on=start.date(),
        region=instrument.region.name,
        quantity=_hours(booking.actual_end - booking.actual_start),
        note=f"{start:%H:%M}–{end:%H:%M} · {instrument.owner.name}",
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
    if apps.is_installed("kechuang.vouchers"):
        register(
            Source(
                key="vouchers.spent",
                label=_("创新券兑付金额（已批准的兑付，按持券企业所在区域）"),
                queryset=_spent_redemptions,
                date_field="decided_at",
                region_field="hold__voucher__holder__region",
                row=_redemption_row,
                amount_field="amount",
                money=True,
                owner="vouchers",
            )
        )
    if apps.is_installed("kechuang.booking"):
        for key, label, external_only in (
            (
                "booking.hours_used",
                _("仪器共享机时（已完成预约的实际使用小时，按仪器所在区域）"),
                False,
            ),
            (
                "booking.hours_used_external",
                _("对外共享机时（仪器所属单位以外的用户实际使用小时）"),
                True,
            ),
        ):
            register(
                Source(
                    key=key,
                    label=label,
                    queryset=_used_bookings(external_only),
                    date_field="actual_start",
                    region_field="instrument__region",
                    row=_booking_row,
                    amount_expression=_used_duration,
                    to_figure=_hours,
                    quantity_label=_("使用机时（小时）"),
                    owner="booking",
                )
            )
