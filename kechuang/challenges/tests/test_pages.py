"""Public pages and API, the proposal form, the demo loader and the report."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from kechuang.challenges import queries, services
from kechuang.challenges.demo import load_demo_challenges
from kechuang.challenges.factories import operator_for
from kechuang.challenges.models import SHANGHAI, Agreement, Challenge, ChallengeList
from kechuang.challenges.tests.conftest import (
    INDICATOR,
    contracted,
    publish,
    rows,
    two_submitted,
)
from kechuang.contracts.models import TechContract
from kechuang.core.factories import RegionFactory

pytestmark = pytest.mark.django_db


def test_public_list_page_shows_tasks_bounty_total_and_hides_counts_during_window(
    world, client, django_assert_max_num_queries
):
    world.challenge_list.closes_on = timezone.localdate() + datetime.timedelta(days=30)
    world.challenge_list.opens_on = timezone.localdate() - datetime.timedelta(days=1)
    world.challenge_list.save()
    publish(world)
    with django_assert_max_num_queries(12):
        page = client.get(world.challenge_list.get_absolute_url()).content.decode()
    assert world.challenge.title in page
    assert "¥5,000,000.00" in page and 'id="countdown"' in page
    assert "揭榜团队数" not in page
    assert (
        client.get(f"/api/challenges/lists/{world.challenge_list.pk}").json()["tasks"][0][
            "applicants"
        ]
        is None
    )


def test_applicant_count_shown_once_the_window_closed(world, client):
    two_submitted(world)  # the window (March 2026) is over by now
    page = client.get(world.challenge_list.get_absolute_url()).content.decode()
    assert '<td class="applicant-count" data-label="揭榜团队数">2</td>' in page
    body = client.get(f"/api/challenges/lists/{world.challenge_list.pk}").json()
    assert body["total_bounty"] == "5000000.00" and body["tasks"][0]["applicants"] == 2
    assert [row["id"] for row in client.get("/api/challenges/lists").json()] == [
        world.challenge_list.pk
    ]


def test_draft_list_is_not_public(world, client):
    assert client.get(world.challenge_list.get_absolute_url()).status_code == 404
    assert client.get("/api/challenges/lists").json() == []


def test_propose_through_the_form(world, client):
    client.force_login(world.users["enterprise"])
    response = client.post(
        "/challenges/tasks/propose/",
        {
            "proposer": world.orgs["enterprise"].pk,
            "title": "电动空压机降噪",
            "problem": "噪声过大",
            **rows(
                "indicators",
                INDICATOR,
                ("整机噪声", "lte", "70", "dB(A)"),
                ("排气量", "gte", "280", "L/min"),
                ("", "gte", "", ""),  # a blank row left over is ignored
            ),
            "bounty": "2000000",
            "issuer_share": "800000",
            "government_share": "1200000",
            "completion_deadline": "2028-06-30",
            "eligible_kinds": ["university", "new_rnd"],
        },
    )
    assert response.status_code == 302
    challenge = Challenge.objects.get(title="电动空压机降噪")
    assert [(i.name, i.comparator, i.target, i.unit) for i in challenge.indicators.all()] == [
        ("整机噪声", "lte", Decimal("70.0000"), "dB(A)"),
        ("排气量", "gte", Decimal("280.0000"), "L/min"),
    ]
    assert challenge.eligible_kinds == ["university", "new_rnd"]


def test_release_api_pays_once_and_answers_409_on_repeat(world, client):
    agreement = contracted(world)
    milestone = agreement.milestones.get(order=1)
    services.submit_milestone(world.users["university"], milestone, evidence="完成")
    services.review_milestone(world.operator, milestone, accepted=True)
    url = f"/api/challenges/tranches/{milestone.tranche.pk}/release"
    client.force_login(world.users["university"])
    assert client.post(url).status_code == 403
    client.force_login(world.operator)
    first = client.post(url)
    assert first.status_code == 200 and first.json()["agreement_released_total"] == "4000000.00"
    assert client.post(url).status_code == 409
    agreement.refresh_from_db()
    assert agreement.released_total == Decimal("4000000.00")


def test_report_and_results(world, client):
    agreement = contracted(world)
    for m in agreement.milestones.all():
        services.submit_milestone(world.users["university"], m, evidence="完成")
        services.review_milestone(world.operator, m, accepted=True)
        services.release_tranche(world.operator, m.tranche)
    indicator = world.challenge.indicators.get()
    services.accept_final(world.operator, agreement, measured={indicator.pk: Decimal(310)})
    report = queries.list_report(world.challenge_list)
    assert report["bounty_committed"] == Decimal("5000000.00")
    assert report["paid"] == Decimal("5000000.00")
    assert (report["tasks"], report["tasks_solved"]) == (1, 1)
    assert report["applicants_by_kind"] == [
        ("企业", 1),
        ("新型研发机构", 1),
        ("科研院所", 1),
        ("高校", 1),
    ]
    assert report["applicants_by_region"] == [("瑞安市", 4)]
    page = client.get(f"/challenges/lists/{world.challenge_list.pk}/report/").content.decode()
    assert "echarts.min.js" in page and 'id="by-kind"' in page
    results = client.get("/challenges/results/").content.decode()
    assert world.challenge.title in results and "310" in results


def test_demo_loader_creates_ruians_2021_list():
    from kechuang.core.factories import TechFieldFactory
    from kechuang.directory.factories import ExpertFactory, OrganizationFactory

    region = RegionFactory(code="330381", name="瑞安市")
    operator = operator_for(region)
    issuers = [OrganizationFactory(region=region), OrganizationFactory(region=region)]
    # the research organisations that take tasks on (the first ones; reviewers' own come after)
    for name, kind in (
        ("温州新能源汽车电驱动创新中心", "new_rnd"),
        ("上海汽车工程学院", "university"),
        ("苏州工业园区纳米技术研究所", "institute"),
    ):
        OrganizationFactory(region=region, name=name, kind=kind)
    tech_field = TechFieldFactory(name="车辆工程")
    reviewers = [ExpertFactory(region=region, user=None) for _ in range(3)]
    for expert in reviewers:
        expert.fields.add(tech_field)
    challenge_list = load_demo_challenges(region, operator, issuers, reviewers)
    tasks = list(challenge_list.challenges.order_by("pk"))
    assert len(tasks) == 8
    assert sum(t.bounty for t in tasks) == Decimal("44600000.00")
    assert queries.list_bounty(challenge_list) == Decimal("44600000.00")
    assert all(t.issuer_share + t.government_share == t.bounty for t in tasks)
    assert tasks[0].title == "新能源车用集成式电控气源装置"
    assert [t.proposer for t in tasks[:3]] == [issuers[0], issuers[1], issuers[0]]
    assert all(list(t.fields.all()) == [tech_field] for t in tasks)
    assert all(t.indicators.count() >= 2 and all(i.unit for i in t.indicators.all()) for t in tasks)
    # carried through its whole cycle by the services: every task applied for, seven contracted, five
    # solved, one failed at acceptance, one still running on an extended milestone, one not taken
    assert challenge_list.status == ChallengeList.Status.CONCLUDED
    agreements = Agreement.objects.filter(challenge__challenge_list=challenge_list)
    assert sorted(agreements.values_list("status", flat=True)) == [
        "accepted",
        "accepted",
        "accepted",
        "accepted",
        "accepted",
        "active",
        "failed",
    ]
    first = agreements.get(challenge=tasks[0])
    assert first.application.lead.name == "温州新能源汽车电驱动创新中心"
    assert [m.organization.name for m in first.application.members.order_by("pk")] == [
        "温州新能源汽车电驱动创新中心",
        "上海汽车工程学院",
    ]
    assert first.tranches.filter(status="released").aggregate(s=Sum("amount"))["s"] == Decimal(
        "8000000.00"
    )
    assert first.accepted_at.astimezone(SHANGHAI).date() == datetime.date(2024, 1, 10)
    assert not tasks[7].applications.filter(status__in=["selected", "contracted"]).exists()
    assert list(Challenge.objects.solved().order_by("pk")) == [tasks[n] for n in (0, 1, 2, 3, 6)]
    assert TechContract.objects.filter(source="challenge").count() == 7
    assert challenge_list.criteria.count() == 4
    # This year's list is open for applications on the day the demo is loaded.
    current = ChallengeList.objects.exclude(pk=challenge_list.pk).get()
    assert current.status == ChallengeList.Status.PUBLISHED
    assert current.phase(timezone.now()) == "open"
    assert current.closes_on - timezone.localdate() == datetime.timedelta(days=45)
    titles = list(current.challenges.in_list().values_list("title", flat=True))
    assert len(titles) == 4 and "鞋类三维足型扫描与个性化楦型设计系统" in titles
    assert all(t.indicators.count() == 3 for t in current.challenges.all())


def test_consortium_suggestion_and_invitations_come_from_the_index(world, client):
    from kechuang.directory.factories import OrganizationFactory
    from kechuang.search.indexing import rebuild_all

    compressor = OrganizationFactory(
        region=world.region,
        name="瑞安空压机研究所",
        kind="institute",
        description="专注车用空压机排气量提升与气源系统集成。",
    )
    publish(world)
    rebuild_all()
    # Suggestions are offered while one can still apply: the window is open now.
    today = timezone.localdate()
    ChallengeList.objects.filter(pk=world.challenge_list.pk).update(
        opens_on=today - datetime.timedelta(days=1), closes_on=today + datetime.timedelta(days=9)
    )
    world.refresh()
    client.force_login(world.users["enterprise"])
    page = client.get(world.challenge.get_absolute_url() + "?consortium=1").content.decode()
    assert "覆盖 1/1 项指标" in page and compressor.name in page
    # searched with the task's context: the indicator's phrase and the task's words it stands beside
    assert "专注<mark>车用空压机排气量</mark>提升与气源系统集成。" in page
    # an institute named for the capability the indicator asks for reads as 较强 (capability strength)
    assert '<span class="badge strength strength-good">较强</span>' in page
    application = services.start_application(
        world.users["enterprise"],
        world.challenge,
        world.orgs["enterprise"],
        now=world.challenge_list.window_opens_at,
    )
    page = client.get(application.get_absolute_url()).content.decode()
    _before, _heading, suggestions = page.partition("推荐邀请的专家与机构")
    assert compressor.name in suggestions


def test_tasks_are_searchable_once_their_list_is_public(world, django_capture_on_commit_callbacks):
    from kechuang.search.indexing import rebuild_all, search

    rebuild_all()
    assert search("电控气源装置", types=["challenge"]) == []
    with django_capture_on_commit_callbacks(execute=True):
        publish(world)
    hits = search("电控气源装置", types=["challenge"], filters={"region": ["330381"]})
    assert [h.id for h in hits] == [f"challenge:{world.challenge.pk}"]


def test_operator_plans_a_tranche_on_the_agreement_page_within_the_bounty(world, client):
    from kechuang.challenges.tests.conftest import OBJECTIONS_OVER, announced

    announced(world)
    agreement = services.sign_agreement(
        world.operator,
        world.applications["consortium"],
        first_tranche=Decimal("3000000"),
        milestones=[{"title": "装车验证", "due_on": datetime.date(2028, 6, 30)}],
        now=OBJECTIONS_OVER,
    )
    milestone = agreement.milestones.get()
    client.force_login(world.operator)
    url = agreement.get_absolute_url()
    assert 'value="tranche"' in client.get(url).content.decode()
    client.post(url, {"op": "tranche", "milestone": milestone.pk, "amount": "2000000.01"})
    agreement.refresh_from_db()
    assert agreement.committed_total == Decimal("3000000.00")
    client.post(url, {"op": "tranche", "milestone": milestone.pk, "amount": "2000000"})
    agreement.refresh_from_db()
    assert agreement.committed_total == Decimal("5000000.00")
    assert milestone.tranche.amount == Decimal("2000000.00")
    client.force_login(world.users["university"])
    client.post(url, {"op": "release", "tranche": milestone.tranche.pk})
    agreement.refresh_from_db()
    assert agreement.released_total == Decimal("3000000.00")
    # final acceptance is offered once every milestone has passed, not before
    client.force_login(world.operator)
    page = client.get(url).content.decode()
    assert 'id="final-pending"' in page and 'value="final"' not in page
    services.submit_milestone(world.users["university"], milestone, evidence="装车验证报告")
    services.review_milestone(world.operator, milestone, accepted=True)
    page = client.get(url).content.decode()
    assert 'id="final-pending"' not in page and 'value="final"' in page
