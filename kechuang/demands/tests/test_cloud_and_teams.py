"""Engineer cloud pools (pool-first matching) and expert service teams (visits whose collected demands enter
the normal review flow)."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from kechuang.accounts.factories import MembershipFactory
from kechuang.core.factories import IndustryChainFactory
from kechuang.demands import services
from kechuang.demands.factories import DemandFactory
from kechuang.demands.models import Demand, EngineerPool, PoolMember, ServiceVisit
from kechuang.demands.queries import demand_matches
from kechuang.directory.factories import ExpertFactory, OrganizationFactory

TEXT = "永磁同步电机无传感器控制"


@pytest.fixture
def chain(db):
    return IndustryChainFactory(name="智能汽车零部件", slug="auto-parts")


@pytest.fixture
def engineer(world):
    """A part-time engineer who matches the demand less well than the professor."""
    return ExpertFactory(
        name="兼职工程师赵工",
        region=world.district,
        talent="engineer",
        is_part_time_engineer=True,
        keywords=["电机控制", "传感器"],
        profile="汽车电机控制器调试",
        affiliation=OrganizationFactory(name="瑞安汽配厂", region=world.district),
    )


def test_operator_creates_pool_and_enrols(world, chain, engineer):
    pool = services.create_pool(world.operator, chain, world.city, "", "温州汽配工程师")
    assert pool.name == "温州市智能汽车零部件工程师资源池"
    with pytest.raises(services.Refused):
        services.create_pool(world.operator, chain, world.city, "重复")
    with pytest.raises(PermissionDenied):
        services.create_pool(world.owner, chain, world.district, "企业不能建池")
    assert EngineerPool.objects.count() == 1

    services.enrol_engineer(world.operator, pool, engineer, "电控系统")
    with pytest.raises(services.Refused):
        services.enrol_engineer(world.operator, pool, engineer)
    with pytest.raises(PermissionDenied):
        services.enrol_engineer(world.owner, pool, world.expert)
    assert list(PoolMember.objects.values_list("expert__name", "specialities")) == [
        ("兼职工程师赵工", "电控系统")
    ]
    services.remove_engineer(world.operator, pool, engineer)
    with pytest.raises(services.Refused):
        services.remove_engineer(world.operator, pool, engineer)


def test_the_pool_breaks_ties_among_equally_strong_experts_and_lifts_no_weaker_one(
    world, chain, engineer, reindex
):
    """The engineer cloud prefers its engineers only among equally capable candidates: an engineer as
    strong as the professor is listed before him once enrolled, the weaker engineer is not lifted."""
    twin = ExpertFactory(
        name="兼职工程师钱工",
        region=world.district,
        talent="engineer",
        is_part_time_engineer=True,
        keywords=["永磁同步电机", "无传感器控制"],
        profile="长期在汽配企业从事生产管理、质量体系建设与供应商审核工作，熟悉整车厂的供货要求。",
        affiliation=OrganizationFactory(name="瑞安电机厂", region=world.district),
    )
    demand = DemandFactory(
        organization=world.enterprise, title=TEXT, description=TEXT, industry_chain=chain
    )
    other_chain = DemandFactory(organization=world.enterprise, title=TEXT, description=TEXT)
    reindex()

    def experts(d):
        [group] = demand_matches(d, "own", ["expert"])
        return [(m.obj.name, m.pool_specialities, m.band) for m in group.matches], [
            (m.obj.name, m.pool_specialities, m.band) for m in group.more
        ]

    before = experts(demand)
    assert before == (
        [
            ("陈教授", None, "strong"),
            ("兼职工程师钱工", None, "strong"),
            ("兼职工程师赵工", None, "good"),
        ],
        [],
    )

    pool = services.create_pool(world.operator, chain, world.city, "温州汽配池")
    services.enrol_engineer(world.operator, pool, engineer, "电控系统")
    services.enrol_engineer(world.operator, pool, twin, "电机")
    assert experts(demand) == (
        [
            ("兼职工程师钱工", "电机", "strong"),
            ("陈教授", None, "strong"),
            ("兼职工程师赵工", "电控系统", "good"),
        ],
        [],
    )
    assert experts(other_chain) == before  # demands outside the chain are unaffected


def test_pool_pages(world, chain, engineer, client):
    client.force_login(world.operator)
    response = client.post(
        "/demands/pools/", {"industry_chain": chain.pk, "region": world.city.pk, "name": "池"}
    )
    pool = EngineerPool.objects.get()
    assert response["Location"] == pool.get_absolute_url()
    client.post(pool.get_absolute_url(), {"expert": engineer.pk, "specialities": "热管理"})
    assert "热管理" in client.get(pool.get_absolute_url()).content.decode()
    client.force_login(world.owner)
    assert client.get(pool.get_absolute_url()).status_code == 404


@pytest.fixture
def society(world):
    org = OrganizationFactory(name="中国汽车工程学会", kind="society", region=world.province)
    secretary = MembershipFactory(organization=org).user
    return org, secretary


def test_team_visit_collects_demands_into_the_review_flow(
    world, society, django_capture_on_commit_callbacks
):
    org, secretary = society
    with pytest.raises(PermissionDenied):
        services.create_team(world.owner, org, "服务团")
    with pytest.raises(services.Refused):
        services.create_team(secretary, world.enterprise, "企业不能组团")
    team = services.create_team(secretary, org, "汽车工程学会瑞安服务团", [world.expert])
    visit = services.plan_visit(secretary, team, world.enterprise, date(2026, 12, 3))
    with pytest.raises(services.Refused):
        services.record_visit(secretary, visit, date(2026, 12, 3), "  ")

    with django_capture_on_commit_callbacks(execute=True):
        visit = services.record_visit(
            secretary,
            visit,
            date(2026, 12, 3),
            "座谈 2 小时,梳理技术难题 2 项",
            [("电机低速抖动", "低速时转矩脉动大"), ("电控散热", "")],
        )
    assert visit.status == ServiceVisit.Status.DONE
    collected = Demand.objects.filter(source_visit=visit).order_by("pk")
    assert [(d.title, d.status, d.organization_id) for d in collected] == [
        ("电机低速抖动", "pending", world.enterprise.pk),
        ("电控散热", "pending", world.enterprise.pk),
    ]
    assert collected[1].description == "电控散热"
    assert world.operator.notifications.filter(event="demands.demand.pending").count() == 1
    # from here the normal flow: the operator of the region reviews it
    assert services.approve_demand(world.operator, collected[0]).status == "published"

    for call in (
        lambda: services.record_visit(secretary, visit, date(2026, 12, 4), "再记一次"),
        lambda: services.cancel_visit(secretary, visit, "取消"),
    ):
        with pytest.raises(services.Refused):
            call()
    assert Demand.objects.filter(source_visit=visit).count() == 2


def test_cancelled_visit_cannot_be_recorded(world, society):
    org, secretary = society
    team = services.create_team(secretary, org, "服务团")
    visit = services.plan_visit(secretary, team, world.enterprise, date(2026, 12, 3))
    with pytest.raises(PermissionDenied):
        services.cancel_visit(world.outsider, visit, "x")
    services.cancel_visit(secretary, visit, "企业停产检修")
    with pytest.raises(services.Refused):
        services.record_visit(secretary, visit, date(2026, 12, 3), "成效")
    assert ServiceVisit.objects.get().status == "cancelled"


def test_team_pages(world, society, client):
    org, secretary = society
    client.force_login(secretary)
    response = client.post(
        "/demands/teams/",
        {"society": org.pk, "name": "瑞安服务团", "experts": str(world.expert.pk)},
    )
    team = org.service_teams.get()
    assert response["Location"] == team.get_absolute_url()
    assert list(team.members.all()) == [world.expert]
    client.post(
        team.get_absolute_url(),
        {"action": "plan", "enterprise": world.enterprise.pk, "planned_on": "2026-12-03"},
    )
    visit = team.visits.get()
    client.post(
        team.get_absolute_url(),
        {
            "action": "record",
            "visit": visit.pk,
            "visited_on": "2026-12-03",
            "outcomes": "收集需求",
            "demands": "注塑翘曲|模具冷却不均",
        },
    )
    html = client.get(team.get_absolute_url()).content.decode()
    # the collected demand awaits review: the society's secretary may not read it, so it is only counted
    assert "已走访" in html and "注塑翘曲" not in html
    assert "另有 1 项收集的需求尚未发布。" in html
    client.force_login(world.outsider)
    client.post(
        team.get_absolute_url(),
        {"action": "plan", "enterprise": world.enterprise.pk, "planned_on": "2026-12-09"},
    )
    assert team.visits.count() == 1


def test_team_page_links_only_to_demands_the_viewer_may_read(world, society, client):
    """A public team page lists what its visits collected: published demands link to their page, the
    others (pending review) are counted, never linked; their operator sees and can open all of them."""
    import re

    org, secretary = society
    team = services.create_team(secretary, org, "瑞安服务团", [world.expert])
    visit = services.plan_visit(secretary, team, world.enterprise, date(2026, 12, 3))
    services.record_visit(
        secretary,
        visit,
        date(2026, 12, 3),
        "座谈",
        [("电机低速抖动", "转矩脉动"), ("电控散热", "")],
    )
    shaking, cooling = Demand.objects.filter(source_visit=visit).order_by("pk")
    services.approve_demand(world.operator, shaking)

    def demand_links(html: str) -> list[str]:
        return re.findall(r'href="(/demands/\d+/)"', html)

    html = client.get(team.get_absolute_url()).content.decode()
    assert demand_links(html) == [shaking.get_absolute_url()]
    assert "电控散热" not in html and "另有 1 项收集的需求尚未发布。" in html
    for url in demand_links(html):
        assert client.get(url).status_code == 200
    assert client.get(cooling.get_absolute_url()).status_code == 404

    client.force_login(world.operator)
    html = client.get(team.get_absolute_url()).content.decode()
    assert demand_links(html) == [shaking.get_absolute_url(), cooling.get_absolute_url()]
    assert "尚未发布" not in html
    for url in demand_links(html):
        assert client.get(url).status_code == 200


def test_visit_form_picks_the_enterprise_by_typing_its_name(world, society, reindex, client):
    """The visit plan asks for an enterprise by name through the search engine, never for its number;
    only published enterprises can be picked, and a refused plan changes nothing."""
    org, secretary = society
    team = services.create_team(secretary, org, "瑞安服务团", [world.expert])
    draft = OrganizationFactory(name="瑞安未发布电机厂", region=world.district, status="draft")
    university = world.expert.affiliation
    reindex()
    client.force_login(secretary)

    page = client.get(team.get_absolute_url()).content.decode()
    assert "企业编号" not in page
    assert 'placeholder="输入企业名称、主营产品或所在地搜索企业"' in page
    assert 'hx-get="/demands/enterprises/pick/"' in page

    html = client.get(
        "/demands/enterprises/pick/", {"field": "enterprise", "q": "瑞安汽车电机"}
    ).content.decode()
    assert f'type="radio" name="enterprise" value="{world.enterprise.pk}"' in html
    assert f'value="{draft.pk}"' not in html and f'value="{university.pk}"' not in html

    for refused in (draft.pk, university.pk, ""):
        response = client.post(
            team.get_absolute_url(),
            {"action": "plan", "enterprise": refused, "planned_on": "2026-12-09"},
            follow=True,
        )
        message = "请搜索并选择要走访的企业。" if refused == "" else "只能走访已发布的企业。"
        assert message in response.content.decode()
    assert not team.visits.exists()

    client.post(
        team.get_absolute_url(),
        {"action": "plan", "enterprise": world.enterprise.pk, "planned_on": "2026-12-09"},
    )
    assert [(v.enterprise, str(v.planned_on)) for v in team.visits.all()] == [
        (world.enterprise, "2026-12-09")
    ]


def test_enterprise_picker_is_for_those_who_run_teams(world, society, client):
    client.force_login(world.owner)
    assert client.get("/demands/enterprises/pick/", {"field": "enterprise"}).status_code == 403
    _org, secretary = society
    client.force_login(secretary)
    assert client.get("/demands/enterprises/pick/", {"field": "other"}).status_code == 404
