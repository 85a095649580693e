"""Applying to a task, alone or as a consortium, through the service, the pages and the API; the
add-a-row inputs, the organisation picker, what a closed task says, and POST-only URLs opened with GET.

Alone (独立揭榜) the lead is the sole member with the whole work and budget, with no member step; a
consortium adds its members on top."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kechuang.challenges import services
from kechuang.challenges.models import Application, ChallengeList, ConsortiumMember
from kechuang.challenges.tests.conftest import (
    DURING,
    PLAN,
    TEAM,
    assert_refused,
    publish,
    rows,
)
from kechuang.core.models import AuditEntry
from kechuang.directory.models import Organization

pytestmark = pytest.mark.django_db


def open_now(world):
    """The list published and its window open at the real current time (for pages and the API)."""
    publish(world)
    today = timezone.localdate()
    ChallengeList.objects.filter(pk=world.challenge_list.pk).update(
        opens_on=today - datetime.timedelta(days=1), closes_on=today + datetime.timedelta(days=9)
    )
    return world.refresh()


def content(**changes) -> dict:
    data = {
        "op": "save",
        "mode": "alone",
        "technical_route": "采用无油涡旋压缩与集成电控方案。",
        "budget_total": "4000000",
        "declaration_accepted": "on",
        **rows("team", TEAM, ("周研究员", "研究员", "浙南研究院", "负责人"), ("", "", "", "")),
        **rows("plan", PLAN, ("样机研制", "12", "样机一台"), ("装车验证", "24", "")),
    }
    data.update(changes)
    return data


def test_alone_the_lead_carries_the_whole_budget_without_a_member_step(world):
    publish(world)
    user, org = world.users["enterprise"], world.orgs["enterprise"]
    application = services.start_application(user, world.challenge, org, now=DURING)
    services.save_application(
        user,
        application,
        technical_route="路线",
        budget_total=Decimal("3500000"),
        declaration_accepted=True,
        team=[{"name": "王工"}],
        plan=[{"title": "样机", "months": 12}],
    )
    application.refresh_from_db()
    lead = application.members.get()
    assert (lead.organization, lead.role) == (org, ConsortiumMember.Role.LEAD)
    assert (lead.work_share, lead.budget_share) == (Decimal(100), Decimal("3500000.00"))
    assert services.submission_problems(application) == []
    # The budget changes: the lead's share follows.
    services.save_application(
        user,
        application,
        technical_route="路线",
        budget_total=Decimal(3),
        declaration_accepted=True,
    )
    assert application.members.get().budget_share == Decimal("3.00")
    services.submit_application(user, application, now=DURING)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_alone_takes_no_members_and_a_consortium_cannot_turn_alone_with_members(world):
    publish(world)
    user = world.users["university"]
    alone = services.start_application(user, world.challenge, world.orgs["university"], now=DURING)
    assert_refused(
        lambda: services.save_member(
            user, alone, world.orgs["institute"], work_share=10, budget_share=0
        ),
        alone,
    )
    assert alone.members.count() == 1
    # A consortium adds members on top of the lead …
    services.save_application(
        user,
        alone,
        technical_route="联合攻关",
        budget_total=Decimal(100),
        declaration_accepted=True,
        mode=Application.Mode.CONSORTIUM,
    )
    # While the lead is the only member it carries everything, in any mode.
    lead = alone.members.get()
    assert (lead.work_share, lead.budget_share) == (Decimal(100), Decimal("100.00"))
    services.save_member(user, alone, world.orgs["institute"], work_share=40, budget_share=40)
    services.save_member(user, alone, world.orgs["university"], work_share=60, budget_share=60)
    assert sorted(alone.members.values_list("work_share", "budget_share")) == [
        (Decimal(40), Decimal(40)),
        (Decimal(60), Decimal(60)),
    ]
    # … and cannot go back to alone while it has them.
    with pytest.raises(services.Refused, match="不能改为独立揭榜"):
        services.save_application(
            user,
            alone,
            technical_route="联合攻关",
            budget_total=Decimal(100),
            declaration_accepted=True,
            mode=Application.Mode.ALONE,
        )
    alone.refresh_from_db()
    assert alone.mode == Application.Mode.CONSORTIUM and alone.members.count() == 2


def test_the_service_checks_team_and_plan_rows(world):
    publish(world)
    user = world.users["enterprise"]
    application = services.start_application(
        user, world.challenge, world.orgs["enterprise"], now=DURING
    )
    for team, plan, message in (
        ([{"name": "甲"}, {"name": " "}], [], "团队成员第 2 行：请填写姓名"),
        ([], [{"title": "样机", "months": 0}], "实施计划第 1 行：签约后月数应为正整数"),
    ):
        with pytest.raises(services.Refused, match=message):
            services.save_application(
                user,
                application,
                technical_route="新路线",
                budget_total=Decimal(9),
                declaration_accepted=True,
                team=team,
                plan=plan,
            )
    application.refresh_from_db()
    assert (application.technical_route, application.team.count()) == ("", 0)


def test_alone_through_the_pages(world, client):
    open_now(world)
    client.force_login(world.users["enterprise"])
    task = client.get(world.challenge.get_absolute_url()).content.decode()
    assert "我要揭榜" in task and "开始填写申请" in task
    response = client.post(
        f"/challenges/tasks/{world.challenge.pk}/apply/",
        {"lead": world.orgs["enterprise"].pk, "mode": "alone"},
    )
    application = Application.objects.get()
    assert response["Location"] == application.get_absolute_url()
    page = client.get(application.get_absolute_url()).content.decode()
    assert 'id="member-form"' not in page and "无需添加成员单位" in page
    # The blank rows a page offers without scripts, and a script that adds more.
    assert page.count('name="team-name"') == 2 + 1  # two blank rows and the template row
    assert "js/rows.js" in page and "---------" not in page
    client.post(application.get_absolute_url(), content())
    client.post(application.get_absolute_url(), {"op": "submit"})
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert list(application.team.values_list("name", "duty")) == [("周研究员", "负责人")]
    assert list(application.plan.values_list("title", "months", "deliverable")) == [
        ("样机研制", 12, "样机一台"),
        ("装车验证", 24, ""),
    ]
    assert list(application.members.values_list("budget_share", flat=True)) == [
        Decimal("4000000.00")
    ]
    # The task page now leads to the application instead of offering to apply again.
    task = client.get(world.challenge.get_absolute_url()).content.decode()
    assert "查看申请" in task and "开始填写申请" not in task


def test_row_errors_are_shown_per_row_in_chinese_and_nothing_is_saved(world, client):
    open_now(world)
    user = world.users["enterprise"]
    application = services.start_application(user, world.challenge, world.orgs["enterprise"])
    client.force_login(user)
    before = AuditEntry.objects.count()
    response = client.post(
        application.get_absolute_url(),
        content(**rows("plan", PLAN, ("样机研制", "十二", ""), ("", "24", "验证报告"))),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["plan"] == [
        "第 1 行：“签约后第几个月”应为整数",
        "第 2 行：请填写“里程碑”",
    ]
    page = response.content.decode()
    assert "第 1 行：“签约后第几个月”应为整数" in page
    assert 'value="十二"' in page  # what was typed stays in the form
    assert AuditEntry.objects.count() == before
    application.refresh_from_db()
    assert (application.technical_route, application.plan.count()) == ("", 0)


def test_consortium_lead_picks_members_by_typing(world, client):
    open_now(world)
    lead_user = world.users["university"]
    application = services.start_application(
        lead_user, world.challenge, world.orgs["university"], mode="consortium"
    )
    client.force_login(lead_user)
    page = client.get(application.get_absolute_url()).content.decode()
    assert 'id="member-form"' in page and "/challenges/organizations/pick/" in page
    assert world.orgs["institute"].name not in page  # no list of every organisation
    picker = "/challenges/organizations/pick/"
    options = client.get(
        picker, {"field": "organization", "q": "瑞安", "application": application.pk}
    ).content.decode()
    assert world.orgs["institute"].name in options and world.orgs["enterprise"].name in options
    assert world.orgs["university"].name not in options  # already in the application
    none = client.get(picker, {"field": "organization", "q": "不存在的单位"}).content.decode()
    assert "没有找到匹配的单位" in none
    assert client.get(picker, {"field": "other", "q": "瑞安"}).status_code == 404
    client.post(
        application.get_absolute_url(),
        {
            "op": "member",
            "organization": world.orgs["institute"].pk,
            "responsibility": "台架测试",
            "work_share": "30",
            "budget_share": "1500000",
        },
    )
    member = application.members.get(organization=world.orgs["institute"])
    assert (member.work_share, member.budget_share, member.confirmed_at) == (
        Decimal(30),
        Decimal("1500000.00"),
        None,
    )
    # A member form without an organisation says what is missing and adds nothing.
    response = client.post(
        application.get_absolute_url(), {"op": "member", "work_share": "10", "budget_share": "0"}
    )
    assert "请搜索并选择成员单位" in response.content.decode()
    assert application.members.count() == 2
    # The lead's own row stays editable even while its directory record awaits review.
    Organization.objects.filter(pk=world.orgs["university"].pk).update(status="pending")
    client.post(
        application.get_absolute_url(),
        {
            "op": "member",
            "organization": world.orgs["university"].pk,
            "work_share": "70",
            "budget_share": "0",
        },
    )
    assert application.members.get(role="lead").work_share == Decimal(70)


def test_applying_through_the_api(world, client):
    open_now(world)
    client.force_login(world.users["enterprise"])
    started = client.post(
        f"/api/challenges/tasks/{world.challenge.pk}/applications",
        {"lead": world.orgs["enterprise"].pk},
        content_type="application/json",
    )
    assert started.status_code == 201
    body = started.json()
    assert (body["mode"], body["status"]) == ("alone", "draft")
    url = f"/api/challenges/applications/{body['id']}"
    saved = client.put(
        url,
        {
            "technical_route": "一体化集成方案",
            "budget_total": "2500000",
            "declaration_accepted": True,
            "team": [{"name": "王工", "duty": "总体设计"}],
            "plan": [{"title": "样机", "months": 12}],
        },
        content_type="application/json",
    )
    assert saved.status_code == 200
    assert saved.json()["members"] == [
        {
            "organization": world.orgs["enterprise"].pk,
            "name": world.orgs["enterprise"].name,
            "role": "lead",
            "work_share": "100.00",
            "budget_share": "2500000.00",
            "confirmed": True,
        }
    ]
    assert saved.json()["problems"] == []
    refused = client.post(
        f"{url}/members",
        {"organization": world.orgs["institute"].pk, "work_share": 10, "budget_share": 0},
        content_type="application/json",
    )
    assert refused.status_code == 409 and "独立揭榜" in refused.json()["detail"]
    bad_row = client.put(
        url,
        {
            "technical_route": "x",
            "budget_total": "1",
            "plan": [{"title": "样机", "months": 0}],
        },
        content_type="application/json",
    )
    assert bad_row.status_code == 422
    submitted = client.post(f"{url}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    # Someone else's application is not theirs to read.
    client.force_login(world.users["institute"])
    assert client.get(url).status_code == 403


def test_consortium_through_the_api(world, client):
    open_now(world)
    client.force_login(world.users["university"])
    body = client.post(
        f"/api/challenges/tasks/{world.challenge.pk}/applications",
        {"lead": world.orgs["university"].pk, "mode": "consortium"},
        content_type="application/json",
    ).json()
    url = f"/api/challenges/applications/{body['id']}"
    client.put(
        url,
        {"technical_route": "联合攻关", "budget_total": "100", "declaration_accepted": True},
        content_type="application/json",
    )
    for org, share in ((world.orgs["institute"], 40), (world.orgs["university"], 60)):
        response = client.post(
            f"{url}/members",
            {"organization": org.pk, "work_share": share, "budget_share": share},
            content_type="application/json",
        )
        assert response.status_code == 200
    members = {m["name"]: m for m in response.json()["members"]}
    assert {n: (m["work_share"], m["confirmed"]) for n, m in members.items()} == {
        world.orgs["university"].name: ("60.00", True),
        world.orgs["institute"].name: ("40.00", False),
    }
    assert "还有成员单位未确认参与" in response.json()["problems"]
    refused = client.post(f"{url}/submit")
    assert refused.status_code == 409
    assert Application.objects.get(pk=body["id"]).status == "draft"


def test_closed_tasks_say_why_and_offer_no_dead_buttons(world, client):
    publish(world)  # the window of March 2026 is over by the real clock
    client.force_login(world.users["enterprise"])
    page = client.get(world.challenge.get_absolute_url()).content.decode()
    assert "已截止" in page and "不再接受新的申请" in page
    assert "开始填写申请" not in page and "生成联合体建议" not in page
    services.close_list(
        world.operator, world.challenge_list, now=datetime.datetime.now(datetime.UTC)
    )
    page = client.get(world.challenge.get_absolute_url()).content.decode()
    assert "正在进行形式审查" in page
    listing = client.get(world.challenge_list.get_absolute_url()).content.decode()
    assert "正在进行形式审查" in listing
    index = client.get("/challenges/").content.decode()
    assert '<span class="badge badge-grey">征集截止</span>' in index
    assert "征集中，可揭榜" not in index


def test_post_only_urls_opened_with_get_lead_to_their_page(world, client):
    open_now(world)
    user = world.users["university"]
    application = services.start_application(
        user, world.challenge, world.orgs["university"], mode="consortium"
    )
    member = services.save_member(
        user, application, world.orgs["institute"], work_share=10, budget_share=0
    )
    client.force_login(user)
    for url, target in (
        (f"/challenges/tasks/{world.challenge.pk}/apply/", world.challenge.get_absolute_url()),
        (f"/challenges/applications/{application.pk}/withdraw/", application.get_absolute_url()),
        (f"/challenges/members/{member.pk}/confirm/", application.get_absolute_url()),
        (
            f"/challenges/applications/{application.pk}/object/",
            world.challenge_list.get_absolute_url(),
        ),
    ):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, target), url
    page = client.get(f"/challenges/tasks/{world.challenge.pk}/apply/", follow=True)
    assert page.status_code == 200
    assert "请在任务页面选择揭榜方式，再点击“开始填写申请”。" in page.content.decode()
    application.refresh_from_db()
    assert application.status == "draft" and Application.objects.count() == 1
