"""Demand page with ranked matches and evidence, scope filters, the expert inbox, the operator console with
push and bulk push, and the funnel."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kechuang.demands import services
from kechuang.demands.factories import DemandFactory
from kechuang.demands.models import Engagement
from kechuang.demands.queries import demand_matches, funnel, scope_filters
from kechuang.directory.factories import ExpertFactory, OrganizationFactory

MOTOR = ["永磁同步电机", "无传感器控制"]


@pytest.fixture
def far_expert(world):
    """An equally good expert in 嘉定区 (federated with 温州) and one in Shenzhen (not federated)."""
    jiading = ExpertFactory(
        name="嘉定周工",
        region=world.partner,
        affiliation=OrganizationFactory(
            name="同济嘉定研究院", kind="institute", region=world.partner
        ),
        keywords=MOTOR,
        profile="永磁同步电机无传感器控制",
    )
    shenzhen = ExpertFactory(
        name="深圳刘工",
        keywords=MOTOR,
        profile="永磁同步电机无传感器控制",
        affiliation=OrganizationFactory(name="深圳电机研究所", kind="institute"),
    )
    return jiading, shenzhen


def expert_names(groups) -> list[str]:
    return [m.obj.name for g in groups if g.type == "expert" for m in g.matches]


def test_scope_filters(world):
    assert scope_filters(world.district, "own") == {"region": ["330381"]}
    assert scope_filters(world.district, "federation") == {"region": ["310114", "330300", "330381"]}
    assert scope_filters(world.district, "all") is None


def test_matches_per_scope_with_evidence(world, published_demand, far_expert, reindex):
    reindex()
    own = demand_matches(published_demand, "own")
    assert expert_names(own) == ["陈教授"]
    match = next(m for g in own for m in g.matches if m.type == "expert")
    assert "<mark>" in match.hit.evidence[0].snippet
    assert "永磁同步电机" in match.terms or "电机" in match.terms

    assert set(expert_names(demand_matches(published_demand, "federation"))) == {
        "陈教授",
        "嘉定周工",
    }
    assert set(expert_names(demand_matches(published_demand, "all"))) == {
        "陈教授",
        "嘉定周工",
        "深圳刘工",
    }


def test_demand_page_shows_matches_to_the_enterprise(
    world, published_demand, reindex, client, django_assert_max_num_queries
):
    reindex()
    client.force_login(world.owner)
    with django_assert_max_num_queries(40):
        response = client.get(f"/demands/{published_demand.pk}/?scope=own")
    html = response.content.decode()
    assert response.status_code == 200
    # the demand's facts as a label-value list (the site's facts, stacked on a phone), not cards
    assert '<dl class="facts">\n    <dt>预算</dt>' in html
    # one date form in one list: the deadline's day and the moment it was published both read 年月日
    published = timezone.localtime(published_demand.published_at, ZoneInfo("Asia/Shanghai"))
    day = f"{published.year}年{published.month}月{published.day}日"
    assert f"<dt>发布时间</dt><dd>{day} {published:%H:%M}</dd>" in html
    assert "陈教授" in html
    assert '<span class="badge strength strength-good">匹配强度：较强</span>' in html
    # the demand's key phrases, each beside the sentence of the expert's record that answers it
    assert (
        '<span class="phrases"><mark>永磁同步电机</mark>、<mark>传感器</mark>、<mark>新能源汽车</mark>'
        '</span><span class="muted"> ← 关键词：</span>'
        "<mark>永磁同步电机</mark> 无<mark>传感器</mark>控制 <mark>新能源汽车</mark>"
    ) in html
    assert (
        '<mark>新能源汽车</mark>、<mark>驱动</mark></span><span class="muted"> ← 简介：</span>'
        "长期从事<mark>新能源汽车</mark>电<mark>驱动</mark>系统研究。"
    ) in html
    assert f'name="match_id" value="{world.expert.pk}"' in html
    assert "13900000001" not in html  # the expert's phone is never on the match list


def test_demand_page_request_button_creates_an_engagement(world, published_demand, client):
    client.force_login(world.owner)
    response = client.post(
        f"/demands/{published_demand.pk}/engage/",
        {"match_type": "expert", "match_id": world.expert.pk, "message": "请联系"},
    )
    engagement = Engagement.objects.get()
    assert response.status_code == 302 and response["Location"] == engagement.get_absolute_url()
    assert engagement.requested_by == world.owner and engagement.message == "请联系"


def test_pages_refuse_what_the_rules_refuse(world, published_demand, client):
    client.force_login(world.outsider)
    response = client.post(f"/demands/{published_demand.pk}/close/", {"reason": "x"}, follow=True)
    assert "无权关闭该需求" in response.content.decode()
    client.force_login(world.expert_user)
    e = services.request_engagement(world.owner, published_demand, "expert", world.expert.pk)
    response = client.post(f"/demands/engagements/{e.pk}/held/", {"minutes": "x"}, follow=True)
    assert "不能执行此操作" in response.content.decode()
    assert Engagement.objects.get(pk=e.pk).status == "requested"


def test_restricted_demand_page_is_hidden(world, client):
    demand = DemandFactory(organization=world.enterprise, visibility="restricted")
    assert client.get(f"/demands/{demand.pk}/").status_code == 404
    assert client.get(f"/api/demands/{demand.pk}").status_code == 404
    client.force_login(world.expert_user)
    assert client.get(f"/demands/{demand.pk}/").status_code == 404
    demand.invited_experts.add(world.expert)
    assert client.get(f"/demands/{demand.pk}/").status_code == 200


def test_expert_inbox_ranks_matching_visible_demands(world, published_demand, reindex, client):
    unrelated = DemandFactory(
        title="服装面料印染废水处理", description="印染废水色度高,需要处理工艺。"
    )
    restricted = DemandFactory(
        organization=world.enterprise,
        visibility="restricted",
        title="永磁同步电机无传感器控制保密需求",
        description="永磁同步电机无传感器控制",
    )
    reindex()
    client.force_login(world.expert_user)
    html = client.get("/demands/inbox/").content.decode()
    assert published_demand.title in html
    assert unrelated.title not in html and restricted.title not in html
    assert "相关度" not in html  # the evidence says why; a raw score says nothing to a reader
    items = client.get("/api/demands/inbox").json()
    assert [i["demand"]["id"] for i in items] == [published_demand.pk]
    assert items[0]["evidence"]


def test_console_lists_pending_open_demands_and_pushes_in_bulk(
    world, published_demand, reindex, client
):
    pending = DemandFactory(
        organization=world.enterprise, status="pending", published_at=None, title="待审需求A"
    )
    reindex()
    client.force_login(world.operator)
    html = client.get("/demands/console/").content.decode()
    assert pending.title in html and published_demand.title in html
    assert "funnel-data" in html
    # each open demand's matches arrive after the page, one fragment per demand
    fragment_url = f"/demands/console/matches/{published_demand.pk}/"
    assert f'hx-get="{fragment_url}"' in html
    value = f"{published_demand.pk}:expert:{world.expert.pk}"
    assert value not in html
    assert value in client.get(fragment_url).content.decode()

    response = client.post(
        "/demands/console/push/", {"match": [value, "junk", "1:expert:999999"]}, follow=True
    )
    engagement = Engagement.objects.get()
    assert engagement.pushed_by == world.operator and engagement.expert == world.expert
    assert (
        "匹配对象不存在或未发布" in response.content.decode()
        or "需求不存在" in response.content.decode()
    )


def test_console_is_for_operators_only(world, client, published_demand):
    client.force_login(world.owner)
    assert client.get("/demands/console/").status_code == 403
    assert client.get(f"/demands/console/matches/{published_demand.pk}/").status_code == 403


def test_funnel_counts_each_stage(world):
    now = timezone.now()
    demands = [DemandFactory(organization=world.enterprise, match_count=n) for n in (0, 3, 2, 5)]
    DemandFactory(organization=world.enterprise, published_at=now - timedelta(days=400))  # outside
    services.request_engagement(world.owner, demands[1], "expert", world.expert.pk)
    e = services.request_engagement(world.owner, demands[2], "expert", world.expert.pk)
    e = services.accept_engagement(world.expert_user, e)
    e = services.schedule_meeting(world.owner, e, now + timedelta(days=1), place="会议室")
    e = services.record_meeting(world.owner, e, "纪要")
    e3 = services.request_engagement(world.owner, demands[3], "expert", world.expert.pk)
    services.accept_engagement(world.expert_user, e3)

    stages = funnel(world.city.subtree(), now - timedelta(days=30), now + timedelta(days=1))
    assert [(key, n) for key, _label, n in stages] == [
        ("demands", 4),
        ("matched", 3),
        ("requested", 3),
        ("accepted", 2),
        ("met", 1),
        ("agreed", 0),
    ]
    assert [n for _k, _l, n in funnel(world.partner.subtree(), now - timedelta(days=30), now)] == [
        0
    ] * 6


def test_demand_list_shows_public_to_all_and_drafts_to_members(world, published_demand, client):
    draft = DemandFactory(
        organization=world.enterprise, status="draft", published_at=None, title="草稿需求Z"
    )
    restricted = DemandFactory(
        organization=world.enterprise, visibility="restricted", title="保密需求Y"
    )
    html = client.get("/demands/").content.decode()
    assert published_demand.title in html
    assert draft.title not in html and restricted.title not in html
    client.force_login(world.owner)
    html = client.get("/demands/").content.decode()
    assert draft.title in html and restricted.title in html
    assert client.get("/demands/new/").status_code == 200
    client.force_login(world.expert_user)
    assert client.get("/demands/new/").status_code == 403  # only enterprise members post demands


def date_input(html: str, name: str) -> str:
    """The ``value`` of the date input called ``name`` (empty when it has none)."""
    import re

    tag = re.search(rf'<input type="date" name="{name}"[^>]*>', html).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else ""


def test_console_period_is_iso_optional_and_defaults_to_the_last_year(world, client):
    """Date inputs only show ISO values; the console opens with the last twelve months filled in, nothing
    in the filter is required, and a period the user gives is kept."""
    today = timezone.localdate()
    client.force_login(world.operator)
    html = client.get("/demands/console/").content.decode()
    assert date_input(html, "start") == (today - timedelta(days=365)).isoformat()
    assert date_input(html, "end") == today.isoformat()
    assert "required" not in html[html.index('id="console-filter"') : html.index("</form>")]

    html = client.get(
        "/demands/console/", {"region": "330300", "start": "2026-01-01", "end": "2026-03-31"}
    ).content.decode()
    assert (date_input(html, "start"), date_input(html, "end")) == ("2026-01-01", "2026-03-31")
    assert 'id="period-errors"' not in html

    # an empty end means today; an empty start a year before
    html = client.get("/demands/console/", {"start": "2026-01-01", "end": ""}).content.decode()
    assert (date_input(html, "start"), date_input(html, "end")) == ("2026-01-01", today.isoformat())


def test_console_period_counts_only_demands_published_within_it(world, client):
    now = timezone.now()
    DemandFactory(organization=world.enterprise, published_at=now - timedelta(days=40))
    DemandFactory(organization=world.enterprise, published_at=now - timedelta(days=2))
    client.force_login(world.operator)
    start = (timezone.localdate() - timedelta(days=10)).isoformat()
    html = client.get("/demands/console/", {"start": start}).content.decode()
    assert re.search(r'<td data-stage="demands"[^>]*>1</td>', html)
    html = client.get("/demands/console/").content.decode()
    assert re.search(r'<td data-stage="demands"[^>]*>2</td>', html)


def test_console_reversed_or_broken_period_falls_back_with_a_reason(world, client):
    today = timezone.localdate()
    client.force_login(world.operator)
    for params, reason in (
        ({"start": "2026-05-01", "end": "2026-01-01"}, "起始日期不能晚于截止日期。"),
        ({"start": "2026-13-45", "end": ""}, "有效的日期"),
    ):
        response = client.get("/demands/console/", params)
        html = response.content.decode()
        assert response.status_code == 200
        errors = html[html.index('id="period-errors"') :].split("</p>")[0]
        assert reason in errors and "已按最近一年统计。" in errors
        assert date_input(html, "end") == today.isoformat()
        assert date_input(html, "start") == (today - timedelta(days=365)).isoformat()


def progress_states(demand) -> list[tuple[str, str]]:
    from kechuang.demands.queries import demand_progress

    return [(step.key, step.state) for step in demand_progress(demand)]


def test_demand_progress_says_where_the_demand_is(world):
    steps = ["submit", "review", "match", "engage", "agree"]
    demand = DemandFactory(organization=world.enterprise, status="draft", published_at=None)
    assert progress_states(demand) == list(
        zip(steps, ["current", "todo", "todo", "todo", "todo"], strict=True)
    )
    demand = services.submit_demand(world.owner, demand)
    assert progress_states(demand) == list(
        zip(steps, ["done", "current", "todo", "todo", "todo"], strict=True)
    )
    demand = services.return_demand(world.operator, demand, "请补充目标指标。")
    assert progress_states(demand) == list(
        zip(steps, ["done", "returned", "todo", "todo", "todo"], strict=True)
    )
    from kechuang.demands.queries import demand_progress

    assert (
        demand_progress(demand)[1].note
        == "科协退回了需求：请补充目标指标。请按意见修改后再次提交。"
    )
    demand = services.approve_demand(world.operator, services.submit_demand(world.owner, demand))
    assert progress_states(demand) == list(
        zip(steps, ["done", "done", "current", "todo", "todo"], strict=True)
    )
    engagement = services.request_engagement(world.owner, demand, "expert", world.expert.pk)
    assert progress_states(demand) == list(
        zip(steps, ["done", "done", "done", "current", "todo"], strict=True)
    )
    assert demand_progress(demand)[3].note.startswith("已发起 1 项对接，1 项进行中。")
    engagement = services.accept_engagement(world.expert_user, engagement)
    engagement = services.schedule_meeting(
        world.owner, engagement, timezone.now() + timedelta(days=1), place="会议室"
    )
    engagement = services.record_meeting(world.owner, engagement, "纪要")
    services.agree_cooperation(world.owner, engagement, "development", "200000")
    assert progress_states(demand) == list(zip(steps, ["done"] * 5, strict=True))
    assert demand_progress(demand)[4].note == "已与 1 方达成合作。"


def test_demand_page_shows_what_happens_next_to_its_enterprise_and_operator_only(
    world, published_demand, reindex, client
):
    reindex()
    pending = DemandFactory(
        organization=world.enterprise, status="pending", published_at=None, title="待审需求"
    )
    client.force_login(world.owner)
    html = client.get(pending.get_absolute_url()).content.decode()
    assert 'data-step="review" aria-current="step"' in html
    assert "瑞安市科协正在审核。" in html
    assert 'id="matches"' not in html  # no matches before publication

    html = client.get(published_demand.get_absolute_url()).content.decode()
    assert 'data-step="match" aria-current="step"' in html
    # the expert, and their university through them
    assert (
        "匹配预览：专家 1 · 机构 1 <a" in html
        and 'href="#matches"' in html
        and 'id="matches"' in html
    )

    client.force_login(world.operator)
    html = client.get(pending.get_absolute_url()).content.decode()
    assert 'id="progress"' in html and 'id="approve"' in html

    client.force_login(world.outsider)  # a published public demand: readable, but not its progress
    response = client.get(published_demand.get_absolute_url())
    assert response.status_code == 200 and 'id="progress"' not in response.content.decode()


def test_an_expert_engagement_names_the_expert_once(world, published_demand, client):
    engagement = services.request_engagement(
        world.owner, published_demand, "expert", world.expert.pk
    )
    client.force_login(world.owner)
    html = client.get(published_demand.get_absolute_url()).content.decode()
    assert (
        f'<a href="{engagement.get_absolute_url()}">陈教授</a> <span class="muted">专家</span>'
        in html
    )
    html = client.get(engagement.get_absolute_url()).content.decode()
    assert '<p>陈教授 <span class="muted">专家</span></p>' in html


def test_published_demand_without_matches_says_how_to_widen_the_search(world, reindex, client):
    lonely = DemandFactory(
        organization=world.enterprise, title="服装面料印染废水处理", description="印染废水色度高。"
    )
    reindex()
    client.force_login(world.owner)
    html = client.get(lonely.get_absolute_url()).content.decode()
    assert 'data-step="match" aria-current="step"' in html
    assert "当前范围内暂未找到匹配对象，可在下方把范围扩大到联盟伙伴区域或全部区域。" in html
    assert "匹配预览" not in html
