"""Each role sees the menus it may use, lands on its own workbench, gets a styled Chinese error page that
says what to do next, and finds on resource pages the action it may take (and only that)."""

import re

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse

from kechuang.accounts.factories import MembershipFactory
from kechuang.accounts.models import OperatorMandate
from kechuang.accounts.tests.scenario import build_world, person
from kechuang.core.models import AuditEntry
from kechuang.demands.factories import DemandFactory, EngagementFactory
from kechuang.demands.models import Demand, Engagement
from kechuang.directory.factories import (
    AchievementFactory,
    ExpertFactory,
    InnovationPlatformFactory,
    InstrumentFactory,
    OrganizationFactory,
    ServiceItemFactory,
)
from kechuang.directory.models import Expert, Organization, Status

NOT_A_MEMBER = "您还不是任何机构的成员"


@pytest.fixture
def world(db):
    world = build_world()
    OperatorMandate.objects.filter(user=world.ruian_operator).update(office="瑞安市科协")
    OperatorMandate.objects.filter(user=world.wenzhou_operator).update(office="温州市科协")
    return world


@pytest.fixture
def expert_user(world):
    user = person("expert_li")
    ExpertFactory(user=user, name="李教授", affiliation=world.org_b, region=world.jiading)
    return user


def role_menu(html: str) -> list[str]:
    """The links of the role's own menu in the header (empty when the header shows none)."""
    found = re.search(r'<nav class="role-nav"[^>]*>(.*?)</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', found.group(1)) if found else []


def action_state(html: str) -> str:
    found = re.search(r'data-resource-action="([a-z_]+)"', html)
    return found.group(1) if found else ""


# --- menus -------------------------------------------------------------------------------------------

OPERATOR_MENU = [
    reverse("manage:review"),
    reverse("demands:console"),
    reverse("challenges:manage"),
    reverse("indicators:board"),
    reverse("demands:pools"),
    reverse("auctions:manage"),
    reverse("vouchers:manage"),
    reverse("demands:engagements"),
    reverse("contracts:register"),
    reverse("booking:queue"),
    reverse("booking:figures"),
]
MEMBER_MENU = [
    reverse("demands:create"),
    reverse("vouchers:wallet"),
    reverse("demands:engagements"),
    reverse("contracts:register"),
    reverse("booking:mine"),
]
INSTITUTION_MENU = [
    reverse("demands:create"),
    reverse("vouchers:provider"),
    reverse("demands:engagements"),
    reverse("contracts:register"),
    reverse("booking:mine"),
    reverse("booking:queue"),
]
EXPERT_MENU = [
    reverse("demands:inbox"),
    reverse("challenges:reviews"),
    reverse("demands:engagements"),
]


def test_anonymous_and_role_less_people_see_no_role_menu(client, world):
    response = client.get(reverse("directory:home"))
    assert response.status_code == 200
    assert role_menu(response.text) == []
    assert reverse("accounts:login") in response.text
    client.force_login(world.outsider)
    assert role_menu(client.get(reverse("directory:home")).text) == []


@pytest.mark.parametrize(
    "who, menu",
    [
        ("member_a", MEMBER_MENU),  # enterprise member
        ("member_b", INSTITUTION_MENU),  # member of a testing institution
        ("ruian_operator", OPERATOR_MENU),
        ("expert", EXPERT_MENU),
        ("superuser", OPERATOR_MENU),
    ],
)
def test_each_role_sees_its_menu_and_every_link_in_it_opens(client, world, expert_user, who, menu):
    users = {
        "expert": expert_user,
        "superuser": person("root", is_superuser=True, is_staff=True),
    }
    client.force_login(users.get(who) or getattr(world, who))
    assert role_menu(client.get(reverse("directory:home")).text) == menu
    for url in menu:
        assert client.get(url).status_code == 200, url


def test_a_person_with_several_roles_sees_each_roles_menu(client, world, expert_user):
    MembershipFactory(user=world.ruian_operator, organization=world.org_a)
    Expert.objects.filter(user=expert_user).update(user=world.ruian_operator)
    client.force_login(world.ruian_operator)
    menu = role_menu(client.get(reverse("directory:home")).text)
    assert menu == [
        *OPERATOR_MENU[:7],
        reverse("demands:create"),
        reverse("vouchers:wallet"),
        reverse("demands:inbox"),
        reverse("challenges:reviews"),
        reverse("demands:engagements"),
        reverse("contracts:register"),
        reverse("booking:mine"),
        *OPERATOR_MENU[9:],
    ]


def test_post_demand_button_shows_only_to_who_may_post(client, world):
    create = reverse("demands:create")
    response = client.get(reverse("demands:list"))
    assert f'href="{create}"' not in response.text
    assert f"{reverse('accounts:login')}?next=/demands/new/" in response.text
    client.force_login(world.ruian_operator)
    response = client.get(reverse("demands:list"))
    assert f'href="{create}"' not in response.text
    assert "登录后发布需求" not in response.text
    client.force_login(world.member_a)
    assert f'href="{create}"' in client.get(reverse("demands:list")).text


# --- error pages -------------------------------------------------------------------------------------


def test_403_is_chinese_gives_the_reason_and_whom_to_ask(client, world):
    client.force_login(world.member_a)
    response = client.get(reverse("demands:console"))
    assert response.status_code == 403
    assert "没有访问权限" in response.text
    assert "运营控制台仅供区域运营方使用" in response.text
    # the operators over Ruian, where the member's enterprise is, nearest first
    assert "如有疑问，请联系瑞安市科协、温州市科协。" in response.text
    assert 'class="site-header"' in response.text
    assert "403 Forbidden" not in response.text


def test_operator_asking_for_the_demand_form_gets_the_styled_403(client, world):
    client.force_login(world.ruian_operator)
    response = client.get(reverse("demands:create"))
    assert response.status_code == 403
    assert "只有企业成员可以发布需求" in response.text
    assert reverse("manage:dashboard") in response.text


def test_404_is_chinese_and_offers_search(client, world):
    response = client.get("/experts/987654/")
    assert response.status_code == 404
    assert "页面不存在" in response.text
    assert f'action="{reverse("directory:search")}"' in response.text
    assert "如有疑问，请联系所在机构的管理员或本区域科协。" in response.text


def test_get_on_a_post_only_address_explains_instead_of_a_bare_405(client, world):
    demand = DemandFactory(organization=world.org_a)
    client.force_login(world.member_a)
    response = client.get(
        reverse("demands:request", args=[demand.pk]),
        HTTP_REFERER=f"http://testserver{demand.get_absolute_url()}",
    )
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "请通过页面上的按钮操作" in response.text
    assert f'href="http://testserver{demand.get_absolute_url()}"' in response.text  # 返回上一页
    assert Engagement.objects.count() == 0


def test_405_for_anonymous_offers_log_in(client, world):
    demand = DemandFactory(organization=world.org_a)
    response = client.get(reverse("demands:request", args=[demand.pk]))
    assert response.status_code == 405
    assert "请通过页面上的按钮操作" in response.text
    assert reverse("accounts:login") in response.text


def test_500_page_is_chinese_and_self_contained(db):
    handler = get_resolver().resolve_error_handler(500)
    response = handler(RequestFactory().get("/"))
    assert response.status_code == 500
    text = response.content.decode()
    assert "服务器出错了" in text
    assert "请联系本区域科协" in text


# --- workbench ---------------------------------------------------------------------------------------


def sections(html: str) -> list[str]:
    return re.findall(r'data-section="([a-z]+)"', html)


def test_operator_workbench_counts_its_regions_queues_only(client, world):
    OrganizationFactory(region=world.ruian, status=Status.PENDING)
    OrganizationFactory(region=world.jiading, status=Status.PENDING)  # not Ruian's
    DemandFactory(organization=world.org_a, status=Demand.Status.PENDING, published_at=None)
    EngagementFactory(demand=DemandFactory(organization=world.org_a))
    client.force_login(world.ruian_operator)
    response = client.get(reverse("manage:dashboard"))
    assert response.status_code == 200
    assert sections(response.text) == ["operator", "vouchers"]
    counts = {str(q.label): q.count for q in response.context["workbench"].operator.queues}
    assert counts == {
        "待审核的资源记录": 1,
        "待审核的技术需求": 1,
        "进行中的对接": 1,
        "七天无进展的对接": 0,
        "待审核的榜单任务": 0,
        "待形式审查的揭榜申请": 0,
        "待审核的指标填报": 0,
        "停滞的签约项目": 0,
        "待审核的拍卖专场": 0,
        "待认定登记的技术合同": 0,
    }
    assert NOT_A_MEMBER not in response.text
    assert "瑞安市科协" in response.text


def test_expert_workbench_has_inbox_and_no_membership_complaint(client, world, expert_user):
    expert = Expert.objects.get(user=expert_user)
    EngagementFactory(expert=expert, demand=DemandFactory(organization=world.org_a))
    client.force_login(expert_user)
    response = client.get(reverse("manage:dashboard"))
    assert sections(response.text) == ["expert"]
    section = response.context["workbench"].expert
    assert (section.waiting, section.open_count, section.review_seats) == (1, 1, 0)
    assert NOT_A_MEMBER not in response.text


def test_enterprise_without_demands_is_told_the_first_step(client, world):
    client.force_login(world.member_a)
    response = client.get(reverse("manage:dashboard"))
    assert sections(response.text) == ["enterprise", "organizations", "vouchers"]
    assert "第一步：发布一条技术需求。" in response.text
    assert (
        "第一步：添加本机构的科技成果" not in response.text
    )  # an enterprise's first step is a demand


def test_institution_without_records_is_told_the_first_step(client, world):
    client.force_login(world.member_b)
    response = client.get(reverse("manage:dashboard"))
    assert "第一步：添加本机构的科技成果、大型仪器或服务项目" in response.text
    assert reverse("manage:create", args=[world.org_b.pk, "instrument"]) in response.text


def test_institution_workbench_counts_its_records_and_waiting_requests(client, world):
    InstrumentFactory(owner=world.org_b)
    InstrumentFactory(owner=world.org_b, status=Status.DRAFT)
    ServiceItemFactory(provider=world.org_b)
    instrument = InstrumentFactory()  # another organisation's
    EngagementFactory(
        demand=DemandFactory(organization=world.org_a),
        expert=None,
        provider=world.org_b,
        match_type="instrument",
        match_id=instrument.pk,
        match_label="仪器",
    )
    client.force_login(world.member_b)
    response = client.get(reverse("manage:dashboard"))
    assert sections(response.text) == ["organizations", "vouchers"]
    section = response.context["workbench"].organizations
    assert section.rows[0].counts == {"achievement": 0, "instrument": 2, "service": 1}
    assert [(str(q.label), q.count) for q in section.queues] == [
        ("待回应的对接请求", 1),
        ("退回待修改的记录", 0),
        ("待科协审核的记录", 0),
        ("已发布的记录", 2),
    ]
    assert [r.type_name for r in section.records] == ["service", "instrument", "instrument"]


def test_role_less_user_is_told_how_to_get_a_role(client, world):
    client.force_login(world.outsider)
    response = client.get(reverse("manage:dashboard"))
    assert sections(response.text) == ["none"]
    assert "您的账号还没有开通任何角色" in response.text


def test_workbench_queries_stay_bounded_for_every_role_at_once(
    client, world, expert_user, django_assert_max_num_queries
):
    """Every section at once costs a fixed number of queries, however many records lie behind them."""
    user = world.ruian_operator
    MembershipFactory(user=user, organization=world.org_a)
    MembershipFactory(user=user, organization=world.org_b)
    Expert.objects.filter(user=expert_user).update(user=user)
    expert = Expert.objects.get(user=user)
    client.force_login(user)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("manage:dashboard")).status_code == 200
    for _ in range(15):
        EngagementFactory(demand=DemandFactory(organization=world.org_a), expert=expert)
        AchievementFactory(owner=world.org_b)
        OrganizationFactory(region=world.ruian, status=Status.PENDING)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("manage:dashboard"))
    # one count per queue: 36, then contracts and auctions two, the voucher section a fixed 8 (three
    # operator queues, one enterprise, two provider queues and the auditor permission (two)), indicators two
    assert len(few.captured_queries) <= 48
    assert sections(response.text) == [
        "operator",
        "enterprise",
        "organizations",
        "expert",
        "vouchers",
    ]


# --- actions on resource pages -----------------------------------------------------------------------


def test_anonymous_reader_is_invited_to_log_in(client, world):
    expert = ExpertFactory()
    response = client.get(expert.get_absolute_url())
    assert action_state(response.text) == "login"
    assert f"{reverse('accounts:login')}?next=/experts/{expert.pk}/" in response.text


@pytest.mark.parametrize(
    "factory, match_type, button",
    [
        (ExpertFactory, "expert", "发起对接"),
        (AchievementFactory, "achievement", "对接/咨询"),
        (InstrumentFactory, "instrument", "咨询"),
        (ServiceItemFactory, "service", "咨询"),
    ],
)
def test_member_with_a_published_demand_starts_an_engagement_from_the_page(
    client, world, factory, match_type, button
):
    record = factory()
    demand = DemandFactory(organization=world.org_a)
    client.force_login(world.member_a)
    response = client.get(record.get_absolute_url())
    assert action_state(response.text) == "choose"
    target = reverse("demands:request", args=[demand.pk])
    assert f'formaction="{target}">{button}</button>' in response.text
    response = client.post(
        target, {"match_type": match_type, "match_id": record.pk, "message": "想了解一下"}
    )
    engagement = Engagement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == engagement.get_absolute_url()
    assert (engagement.demand, engagement.match_type, engagement.match_id) == (
        demand,
        match_type,
        record.pk,
    )
    assert AuditEntry.objects.filter(
        action="demands.engagement.request", target_id=str(engagement.pk)
    ).exists()
    # the page now leads to the open engagement instead of offering a second one
    response = client.get(record.get_absolute_url())
    assert reverse("demands:engagement", args=[engagement.pk]) in response.text
    assert f'formaction="{target}"' not in response.text


def test_member_without_a_published_demand_is_led_to_post_one(client, world):
    DemandFactory(organization=world.org_a, status=Demand.Status.PENDING, published_at=None)
    client.force_login(world.member_a)
    response = client.get(AchievementFactory().get_absolute_url())
    assert action_state(response.text) == "post_first"
    assert reverse("demands:create") in response.text


def test_own_records_and_non_members_get_no_engagement_form(client, world, expert_user):
    instrument = InstrumentFactory(owner=world.org_b)
    client.force_login(world.member_b)
    assert action_state(client.get(instrument.get_absolute_url()).text) == "own"
    client.force_login(expert_user)
    own_profile = Expert.objects.get(user=expert_user)
    assert action_state(client.get(own_profile.get_absolute_url()).text) == "own"
    # an expert is not a member of their affiliation: engagements start from an organisation's demand
    assert action_state(client.get(instrument.get_absolute_url()).text) == "no_member"
    assert action_state(client.get(ExpertFactory().get_absolute_url()).text) == "no_member"
    client.force_login(world.ruian_operator)
    assert action_state(client.get(instrument.get_absolute_url()).text) == "operator"


def test_an_organisation_and_a_platform_offer_engaging_the_organisation(client, world):
    host = OrganizationFactory(kind=Organization.Kind.UNIVERSITY)
    platform = InnovationPlatformFactory(host=host)
    demand = DemandFactory(organization=world.org_a)
    client.force_login(world.member_a)
    target = reverse("demands:request", args=[demand.pk])
    for page in (host, platform):
        response = client.get(page.get_absolute_url())
        assert action_state(response.text) == "choose"
        assert f'formaction="{target}">发起对接</button>' in response.text
        assert f'name="match_id" value="{host.pk}"' in response.text


def test_refused_engagement_from_a_page_changes_nothing(client, world):
    """Someone who is neither the demand's member nor its region's operator cannot start one by posting."""
    demand = DemandFactory(organization=world.org_a)
    expert = ExpertFactory()
    audit_rows = AuditEntry.objects.count()
    client.force_login(world.member_b)
    response = client.post(
        reverse("demands:request", args=[demand.pk]),
        {"match_type": "expert", "match_id": expert.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert "您不负责该区域" in response.text
    assert Engagement.objects.count() == 0
    assert AuditEntry.objects.count() == audit_rows


def test_api_405_keeps_its_own_answer(client, db):
    response = client.delete("/api/demands/")
    assert response.status_code == 405
    assert response.content == b"Method not allowed"


def test_a_stale_form_gets_the_styled_403_not_djangos_csrf_page(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.member_a)
    demand = DemandFactory(organization=world.org_a)
    response = client.post(
        reverse("demands:request", args=[demand.pk]),
        {"match_type": "expert", "match_id": ExpertFactory().pk},
    )
    assert response.status_code == 403
    assert "页面已过期或浏览器未启用 Cookie，请刷新页面后重新提交。" in response.text
    assert "CSRF verification failed" not in response.text
    assert Engagement.objects.count() == 0


def test_an_unavailable_expert_is_flagged_before_requesting(client, world):
    DemandFactory(organization=world.org_a)
    busy = ExpertFactory(availability=Expert.Availability.UNAVAILABLE)
    client.force_login(world.member_a)
    response = client.get(busy.get_absolute_url())
    assert action_state(response.text) == "choose"
    assert "该专家目前暂不对接" in response.text
    assert "该专家目前暂不对接" not in client.get(ExpertFactory().get_absolute_url()).text


def test_demands_list_links_follow_the_role_menu(client, world, expert_user):
    console, pools, inbox = (
        reverse("demands:console"),
        reverse("demands:pools"),
        reverse("demands:inbox"),
    )

    def links(user):
        client.force_login(user)
        text = client.get(reverse("demands:list")).text
        return [url for url in (console, pools, inbox) if f'class="btn" href="{url}"' in text]

    assert links(world.member_a) == []
    assert links(world.ruian_operator) == [console, pools]
    assert links(expert_user) == [inbox]


def test_operator_workbench_shows_the_vector_progress_and_links_the_index_page(client, world):
    client.force_login(world.ruian_operator)
    text = client.get(reverse("manage:dashboard")).text
    assert f'hx-get="{reverse("search_index:vectors")}"' in text
    assert f'href="{reverse("search_index:status")}"' in text
    fragment = client.get(reverse("search_index:vectors"))
    assert fragment.status_code == 200
    assert 'id="vector-status"' in fragment.text
    client.force_login(world.member_a)
    text = client.get(reverse("manage:dashboard")).text
    assert reverse("search_index:vectors") not in text
    assert reverse("search_index:status") not in text
    assert client.get(reverse("search_index:vectors")).status_code == 403
