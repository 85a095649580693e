"""A challenge cycle built step by step through the real services.

The list's window is March 2026 (Shanghai time). ``World`` holds the cast: an operator of the region, a
task on the list, three organisations with one user each (an enterprise, a university, an institute) and
three reviewers in the task's field.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict

from kechuang.challenges import services
from kechuang.challenges.factories import (
    ChallengeFactory,
    ChallengeListFactory,
    member_of,
    operator_for,
    organization_in,
)
from kechuang.challenges.models import SHANGHAI, Application, ReviewRound
from kechuang.core.factories import RegionFactory, TechFieldFactory
from kechuang.core.models import AuditEntry
from kechuang.directory.factories import ExpertFactory, OrganizationFactory
from kechuang.directory.models import Organization

DURING = datetime.datetime(2026, 3, 15, 10, 0, tzinfo=SHANGHAI)
AFTER = datetime.datetime(2026, 4, 1, 10, 0, tzinfo=SHANGHAI)
ANNOUNCED = datetime.datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI)
OBJECTIONS_OVER = ANNOUNCED + datetime.timedelta(days=7)


@dataclass
class World:
    region: object
    operator: object
    challenge_list: object
    challenge: object
    field: object
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    reviewers: list = field(default_factory=list)
    applications: dict = field(default_factory=dict)

    def refresh(self):
        for obj in (self.challenge_list, self.challenge, *self.applications.values()):
            obj.refresh_from_db()
        return self


def make_world() -> World:
    region = RegionFactory(code="330381", name="瑞安市")
    operator = operator_for(region)
    challenge_list = ChallengeListFactory(region=region)
    challenge = ChallengeFactory(region=region)
    tech_field = TechFieldFactory(name="车辆工程")
    challenge.fields.add(tech_field)
    services.accept_challenge(operator, challenge, challenge_list)
    world = World(region, operator, challenge_list, challenge, tech_field)
    for key, kind in (
        ("enterprise", Organization.Kind.ENTERPRISE),
        ("university", Organization.Kind.UNIVERSITY),
        ("institute", Organization.Kind.INSTITUTE),
    ):
        world.orgs[key] = organization_in(region, kind=kind, name=f"瑞安{key}单位")
        world.users[key] = member_of(world.orgs[key])
    elsewhere = OrganizationFactory(region=region, kind=Organization.Kind.UNIVERSITY)
    for n in range(3):
        expert = ExpertFactory(
            name=f"评审专家{n}", affiliation=elsewhere, region=region, user=member_of(elsewhere)
        )
        expert.fields.add(tech_field)
        world.reviewers.append(expert)
    return world.refresh()


INDICATOR = "name comparator target unit"
TEAM = "name title affiliation duty"
PLAN = "title months deliverable"


def rows(field_name: str, columns: str, *values: tuple) -> dict:
    """The form data of add-a-row input ``field_name`` (:mod:`kechuang.core.rows`): one list per column
    (``columns``, space-separated), one tuple of strings per row."""
    return {
        f"{field_name}-{column}": [row[i] for row in values]
        for i, column in enumerate(columns.split())
    }


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Factories hash a password per user; the default hasher would spend seconds on each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    return make_world()


def publish(world: World) -> World:
    services.publish_list(world.operator, world.challenge_list, now=DURING)
    return world.refresh()


def complete_alone(world: World, key: str, now=DURING) -> Application:
    """A complete single-organisation draft by ``key`` (budget 4 M, all of it the lead's: no member
    step)."""
    user, org = world.users[key], world.orgs[key]
    application = services.start_application(user, world.challenge, org, now=now)
    services.save_application(
        user,
        application,
        technical_route="采用一体化集成与无油涡旋压缩技术路线。",
        budget_total=Decimal("4000000"),
        declaration_accepted=True,
        team=[{"name": "王工", "title": "高级工程师", "affiliation": org.name, "duty": "总体设计"}],
        plan=[{"title": "样机研制", "months": 12, "deliverable": "样机一台"}],
    )
    world.applications[key] = application
    return application


def complete_consortium(world: World, now=DURING) -> Application:
    """The university leads a three-member consortium with the institute and the enterprise."""
    lead_user, lead = world.users["university"], world.orgs["university"]
    application = services.start_application(
        lead_user, world.challenge, lead, mode=Application.Mode.CONSORTIUM, now=now
    )
    services.save_application(
        lead_user,
        application,
        technical_route="产学研联合攻关:高校负责控制算法,院所负责测试,企业负责量产。",
        budget_total=Decimal("4500000"),
        declaration_accepted=True,
        team=[{"name": "李教授", "title": "教授", "affiliation": lead.name, "duty": "负责人"}],
        plan=[{"title": "方案验证", "months": 6, "deliverable": "验证报告"}],
    )
    shares = {
        "university": ("50", "2000000"),
        "institute": ("30", "1500000"),
        "enterprise": ("20", "1000000"),
    }
    for key, (work, budget) in shares.items():
        services.save_member(
            lead_user,
            application,
            world.orgs[key],
            work_share=Decimal(work),
            budget_share=Decimal(budget),
            now=now,
        )
    for member in application.members.filter(confirmed_at__isnull=True):
        key = next(k for k, o in world.orgs.items() if o.pk == member.organization_id)
        services.confirm_participation(world.users[key], member, now=now)
    world.applications["consortium"] = application
    return application


def two_submitted(world: World) -> World:
    """The list published; the university's three-member consortium and, competing with it, a new R&D
    institution alone (``"rnd"``) submitted on time."""
    publish(world)
    fourth = organization_in(world.region, kind=Organization.Kind.NEW_RND, name="瑞安新型研发机构")
    world.orgs["rnd"], world.users["rnd"] = fourth, member_of(fourth)
    complete_consortium(world)
    complete_alone(world, "rnd")
    for application in world.applications.values():
        services.submit_application(application.created_by, application, now=DURING)
    return world.refresh()


def under_review(world: World) -> World:
    two_submitted(world)
    services.close_list(world.operator, world.challenge_list, now=AFTER)
    for application in world.applications.values():
        services.formal_check(world.operator, application, passed=True)
    services.start_review(world.operator, world.challenge_list)
    return world.refresh()


def first_round(world: World) -> ReviewRound:
    return world.challenge.rounds.get(number=1)


def all_score(world: World, review_round: ReviewRound, marks_by_app=None) -> None:
    """Every active reviewer scores every application of the round (the consortium higher)."""
    criteria = list(world.challenge_list.criteria.all())
    for seat in review_round.seats.filter(status="active"):
        for application in review_round.applications.all():
            mark = (marks_by_app or {}).get(application.pk, 80)
            services.submit_score(
                seat.expert.user,
                seat,
                application,
                marks={c.pk: Decimal(mark) for c in criteria},
            )


def selected(world: World) -> World:
    """Reviewed in one round; the consortium selected."""
    under_review(world)
    review_round = first_round(world)
    services.draw_panel(world.operator, review_round, size=3, seed=1, now=AFTER)
    consortium = world.applications["consortium"]
    all_score(world, review_round, {consortium.pk: 90, world.applications["rnd"].pk: 70})
    services.unseal_round(world.operator, review_round, now=AFTER)
    services.select_application(world.operator, consortium)
    return world.refresh()


def announced(world: World) -> World:
    selected(world)
    services.announce_list(world.operator, world.challenge_list, now=ANNOUNCED)
    return world.refresh()


def contracted(world: World):
    announced(world)
    return services.sign_agreement(
        world.operator,
        world.applications["consortium"],
        first_tranche=Decimal("3000000"),
        milestones=[
            {
                "title": "样机通过台架试验",
                "due_on": datetime.date(2027, 6, 30),
                "amount": "1000000",
            },
            {"title": "装车验证", "due_on": datetime.date(2028, 6, 30), "amount": "1000000"},
        ],
        now=OBJECTIONS_OVER,
    )


def snapshot(*objs):
    """The stored state of ``objs`` and the audit log's length, to prove a refusal changed nothing."""
    rows = [model_to_dict(type(o).objects.get(pk=o.pk)) for o in objs]
    return rows, AuditEntry.objects.count()


def assert_refused(action, *objs, error=(services.Refused, PermissionDenied)):
    before = snapshot(*objs)
    with pytest.raises(error):
        action()
    assert snapshot(*objs) == before
