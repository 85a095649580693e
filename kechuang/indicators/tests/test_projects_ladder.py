"""Signed projects follow signed → started → in production / operating, or stall with a reason; the
cultivation ladder keeps one plan per firm on the list of its next step, with officer and visits."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kechuang.core.actions import Refused
from kechuang.directory.factories import OrganizationFactory
from kechuang.directory.models import Organization, TierRecord
from kechuang.indicators import queries, services
from kechuang.indicators.models import CultivationPlan, SignedProject, Track, Visit
from kechuang.indicators.tests.conftest import NOW, TODAY
from kechuang.notifications.models import Notification


@pytest.fixture
def event(city):
    return services.create_event(
        city.operator, city.city, name="温州市科技创新大会", held_on=datetime.date(2026, 3, 18)
    )


def project(city, event, kind="industrial", region=None):
    return services.add_project(
        city.operator,
        event,
        name="播思5G数字科技总部基地项目",
        kind=kind,
        parties="温州市人民政府、播思通讯",
        region=region or city.longwan,
        amount="800000000",
    )


def test_a_project_goes_from_signed_to_started_to_production(city, event):
    p = project(city, event)
    assert services.next_statuses(p) == ["started", "stalled"]
    services.advance_project(city.operator, p, "started", on=datetime.date(2026, 5, 1), now=NOW)
    services.advance_project(city.operator, p, "producing", on=datetime.date(2026, 7, 1), now=NOW)
    p.refresh_from_db()
    assert (p.status, p.started_on, p.landed_on) == (
        "producing",
        datetime.date(2026, 5, 1),
        datetime.date(2026, 7, 1),
    )
    assert services.next_statuses(p) == []


def test_a_platform_operates_rather_than_producing(city, event):
    p = project(city, event, kind="platform")
    services.advance_project(city.operator, p, "started", on=datetime.date(2026, 4, 1), now=NOW)
    with pytest.raises(Refused):
        services.advance_project(city.operator, p, "producing", now=NOW)
    services.advance_project(city.operator, p, "operating", on=datetime.date(2026, 6, 1), now=NOW)
    assert SignedProject.objects.get(pk=p.pk).status == "operating"


def test_stalling_needs_a_reason_and_a_stalled_project_can_resume(city, event):
    p = project(city, event)
    with pytest.raises(Refused) as refused:
        services.advance_project(city.operator, p, "stalled", reason=" ", now=NOW)
    assert refused.value.code == "no_reason"
    assert SignedProject.objects.get(pk=p.pk).status == "signed"
    services.advance_project(city.operator, p, "stalled", reason="用地指标尚未落实", now=NOW)
    services.advance_project(city.operator, p, "started", on=datetime.date(2026, 7, 1), now=NOW)
    p.refresh_from_db()
    assert (
        p.status == "started"
        and p.stalled_reason == ""
        and p.started_on == datetime.date(2026, 7, 1)
    )


@pytest.mark.parametrize(
    "status, on",
    [
        ("producing", None),
        ("operating", None),
        ("signed", None),
        ("started", datetime.date(2026, 3, 1)),
        ("started", datetime.date(2026, 8, 1)),
        ("bogus", None),
    ],
)
def test_forbidden_steps_and_dates_change_nothing(city, event, status, on):
    p = project(city, event)
    with pytest.raises(Refused):
        services.advance_project(city.operator, p, status, on=on, now=NOW)
    p.refresh_from_db()
    assert (p.status, p.started_on) == ("signed", None)


def test_started_projects_feed_the_indicator_with_lineage(city, event):
    indicator = services.define_indicator(
        city.operator,
        city.city,
        code="started",
        name="重大科技项目新开工",
        unit="个",
        source="indicators.projects_started",
    )
    started = project(city, event)
    project(city, event)  # signed, not started: not counted
    services.advance_project(
        city.operator, started, "started", on=datetime.date(2026, 5, 1), now=NOW
    )
    found = queries.lineage(indicator, city.longwan, 2026)
    assert found.value == 1
    assert [r.title for r in found.rows(found.records)] == [started.name]
    amount = services.define_indicator(
        city.operator,
        city.city,
        code="amount",
        name="签约金额",
        unit="亿元",
        source="indicators.projects_amount",
    )
    assert amount.money is True
    assert queries.board(city.city, 2026, today=TODAY).cell(
        amount.pk, city.longwan.pk
    ).actual == Decimal("1600000000.00")


def test_a_district_operator_cannot_add_to_a_city_event(city, event):
    with pytest.raises(PermissionDenied):
        project_by = services.add_project
        project_by(
            city.ruian_operator, event, name="x", kind="fund", parties="甲、乙", region=city.ruian
        )
    assert SignedProject.objects.count() == 0


def firm(region, tier=""):
    return OrganizationFactory(region=region, tier=tier, name=f"瑞安{tier or '初创'}科技有限公司")


def test_one_plan_per_firm_on_the_list_of_its_next_step(city):
    f = firm(city.ruian, "tech_sme")
    plan = services.open_plan(
        city.operator, f, goals="一企一策：申报高企", target_year=2027, officer=city.ruian_operator
    )
    assert plan.track == Track.SMALL_TO_HIGH
    assert (
        Notification.objects.filter(
            recipient=city.ruian_operator, event="indicators.plan.assigned"
        ).count()
        == 1
    )
    with pytest.raises(Refused) as refused:
        services.open_plan(city.operator, f, goals="再来一份", target_year=2027)
    assert refused.value.code == "plan_exists"
    assert CultivationPlan.objects.count() == 1


def test_the_officer_must_operate_the_firms_region(city):
    f = firm(city.longwan)
    with pytest.raises(Refused):
        services.open_plan(
            city.operator, f, goals="一企一策", target_year=2027, officer=city.ruian_operator
        )
    assert CultivationPlan.objects.count() == 0


def test_a_tier_step_moves_the_firm_up_and_its_plan_to_the_next_list(city):
    f = firm(city.ruian)
    plan = services.open_plan(city.operator, f, goals="一企一策：入库评价", target_year=2026)
    assert plan.track == Track.MICRO
    services.record_tier_step(
        city.ruian_operator, f, "tech_sme", recognized_on=datetime.date(2026, 6, 1), now=NOW
    )
    plan.refresh_from_db()
    f.refresh_from_db()
    assert (f.tier, plan.track) == ("tech_sme", Track.SMALL_TO_HIGH)
    assert TierRecord.objects.filter(organization=f, tier="tech_sme").count() == 1
    with pytest.raises(Refused) as refused:
        services.record_tier_step(
            city.ruian_operator, f, "tech_sme", recognized_on=datetime.date(2026, 6, 2), now=NOW
        )
    assert refused.value.code == "not_upward"
    with pytest.raises(Refused):
        services.record_tier_step(
            city.ruian_operator, f, "high_tech", recognized_on=datetime.date(2026, 8, 1), now=NOW
        )
    assert TierRecord.objects.filter(organization=f).count() == 1


def test_visits_are_recorded_never_in_the_future(city):
    plan = services.open_plan(city.operator, firm(city.ruian), goals="一企一策", target_year=2026)
    services.record_visit(
        city.ruian_operator,
        plan,
        visited_on=datetime.date(2026, 7, 1),
        notes="走访了解研发投入",
        now=NOW,
    )
    with pytest.raises(Refused):
        services.record_visit(
            city.ruian_operator, plan, visited_on=datetime.date(2026, 7, 11), notes="明天", now=NOW
        )
    with pytest.raises(PermissionDenied):
        services.record_visit(
            city.outsider, plan, visited_on=datetime.date(2026, 7, 1), notes="越权", now=NOW
        )
    assert Visit.objects.count() == 1


def test_non_enterprises_have_no_ladder(city):
    university = OrganizationFactory(region=city.ruian, kind=Organization.Kind.UNIVERSITY)
    with pytest.raises(Refused):
        services.open_plan(city.operator, university, goals="一企一策", target_year=2026)
