"""The management pages at /manage/: members edit and submit, operators review, through the real views."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kechuang.accounts.tests.scenario import PASSWORD, build_world, person
from kechuang.core.models import AuditEntry
from kechuang.directory.factories import (
    AchievementFactory,
    ExpertFactory,
    InstrumentFactory,
    ServiceItemFactory,
)
from kechuang.directory.models import Instrument, ServiceItem, Status


@pytest.fixture
def world(db):
    return build_world()


def signed_in(client, user):
    client.force_login(user)
    return client


INSTRUMENT_FORM = {
    "name": "三坐标测量机",
    "asset_code": "YQ-RA-0001",
    "category": "metrology",
    "unit": "hour",
    "internal_rate": "100.00",
    "external_rate": "300.50",
    "state": "available",
    "accepts_vouchers": "on",
}


def test_anonymous_is_sent_to_the_login_page(client, world):
    response = client.get(reverse("manage:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_dashboard_lists_the_members_organisations_only(client, world):
    response = signed_in(client, world.member_a).get(reverse("manage:dashboard"))
    assert response.status_code == 200
    assert "瑞安汽配有限公司" in response.text
    assert "嘉定检测中心" not in response.text
    assert reverse("manage:review") not in response.text


def test_organisation_page_lists_records_by_type(client, world, django_assert_max_num_queries):
    InstrumentFactory.create_batch(3, owner=world.org_a, status=Status.DRAFT)
    ServiceItemFactory(provider=world.org_a, title="模具设计服务")
    InstrumentFactory(owner=world.org_b, name="别家的显微镜")
    client = signed_in(client, world.member_a)
    with django_assert_max_num_queries(15):
        response = client.get(
            reverse("manage:organization", args=[world.org_a.pk]) + "?type=instrument"
        )
    assert response.status_code == 200
    assert response.text.count('id="record-') == 3
    assert "别家的显微镜" not in response.text
    assert "服务项目（1）" in response.text
    assert "大型仪器（3）" in response.text


def test_member_creates_a_draft_instrument(client, world):
    client = signed_in(client, world.member_a)
    url = reverse("manage:create", args=[world.org_a.pk, "instrument"])
    assert client.get(url).status_code == 200
    response = client.post(url, {**INSTRUMENT_FORM, "fields": [], "industry_chains": []})
    instrument = Instrument.objects.get(asset_code="YQ-RA-0001")
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:edit", args=["instrument", instrument.pk])
    assert instrument.owner == world.org_a
    assert instrument.region == world.ruian
    assert instrument.status == Status.DRAFT
    assert str(instrument.external_rate) == "300.50"
    assert (
        AuditEntry.objects.filter(action="directory.record.create", actor=world.member_a).count()
        == 1
    )


def test_form_errors_are_shown_in_chinese_next_to_the_fields(client, world):
    client = signed_in(client, world.member_a)
    url = reverse("manage:create", args=[world.org_a.pk, "achievement"])
    response = client.post(
        url,
        {
            "title": "",
            "kind": "invention",
            "patent_number": "ZL202110000001.0",
            "maturity": "pilot",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert len(errors) >= 3
    # every field error stands under its field
    shown = sum(len(messages) for name, messages in errors.items() if name != "__all__")
    assert response.text.count('class="field-error"') == shown
    assert "这个字段是必填项。" in response.text
    assert "专利号校验位错误" in response.text
    assert not AuditEntry.objects.exists()


def test_patent_achievement_needs_a_patent_number(client, world):
    client = signed_in(client, world.member_a)
    url = reverse("manage:create", args=[world.org_a.pk, "achievement"])
    response = client.post(
        url,
        {
            "title": "集成式电控气源装置",
            "kind": "invention",
            "description": "简介",
            "maturity": "pilot",
        },
    )
    assert "专利类成果须填写专利号" in response.text


def test_member_cannot_create_under_another_organisation(client, world):
    client = signed_in(client, world.member_a)
    url = reverse("manage:create", args=[world.org_b.pk, "instrument"])
    assert client.get(url).status_code == 404
    assert client.post(url, INSTRUMENT_FORM).status_code == 404
    assert not Instrument.objects.exists()


def test_member_cannot_edit_another_organisations_record(client, world):
    item = ServiceItemFactory(provider=world.org_b, title="材料检测")
    client = signed_in(client, world.member_a)
    url = reverse("manage:edit", args=["service", item.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, {"title": "被篡改", "category": "testing", "description": "x"})
    assert response.status_code == 404
    assert client.post(reverse("manage:submit", args=["service", item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.title == "材料检测"
    assert not AuditEntry.objects.exists()


def test_member_edits_a_published_record_which_stays_published(client, world):
    item = ServiceItemFactory(provider=world.org_a, title="模具设计", price=800)
    client = signed_in(client, world.member_a)
    url = reverse("manage:edit", args=["service", item.pk])
    response = client.post(
        url,
        {
            "title": "精密模具设计",
            "category": "rnd",
            "description": "注塑模具设计",
            "price": "1200",
            "price_unit": "次",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.status, str(item.price)) == (
        "精密模具设计",
        Status.PUBLISHED,
        "1200.00",
    )
    page = client.get(url)
    assert "directory.record.edit" in page.text  # the history on the edit page shows the change


def test_expert_keywords_are_typed_as_one_line(client, world):
    expert = ExpertFactory(affiliation=world.org_a, region=world.ruian, keywords=["电机"])
    client = signed_in(client, world.member_a)
    url = reverse("manage:edit", args=["expert", expert.pk])
    assert "电机" in client.get(url).text
    client.post(
        url,
        {
            "name": expert.name,
            "talent": "scholar",
            "availability": "available",
            "keywords": "电机控制、新能源汽车，电机控制; 热管理",
        },
    )
    expert.refresh_from_db()
    assert expert.keywords == ["电机控制", "新能源汽车", "热管理"]


def test_member_submits_a_draft(client, world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.DRAFT)
    client = signed_in(client, world.member_a)
    response = client.post(reverse("manage:submit", args=["service", item.pk]))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.PENDING
    # Submitting again is refused with a message, not an error page.
    response = client.post(reverse("manage:submit", args=["service", item.pk]), follow=True)
    assert "只有草稿或已退回的记录可以提交审核" in response.text


def test_review_is_for_operators(client, world):
    response = signed_in(client, world.member_a).get(reverse("manage:review"))
    assert response.status_code == 403


def test_review_queue_shows_the_operators_regions_only(
    client, world, django_assert_max_num_queries
):
    ServiceItemFactory.create_batch(3, provider=world.org_a, status=Status.PENDING)
    ServiceItemFactory(provider=world.org_a, status=Status.DRAFT)
    AchievementFactory(owner=world.org_a, region=world.ruian, status=Status.PENDING)
    ServiceItemFactory(provider=world.org_b, status=Status.PENDING, title="嘉定的服务")
    client = signed_in(client, world.wenzhou_operator)
    # 16: the review queue's own queries plus the role menu of the header, read once per request
    with django_assert_max_num_queries(16):
        response = client.get(reverse("manage:review") + "?type=service")
    assert response.status_code == 200
    assert response.text.count('class="review-row"') == 3
    assert "嘉定的服务" not in response.text
    assert "瑞安汽配有限公司" in response.text  # the provider is shown
    counts = response.context["tabs"]
    assert {tab["name"]: tab["count"] for tab in counts} == {
        "demand": 0,
        "organization": 0,
        "expert": 0,
        "achievement": 1,
        "instrument": 0,
        "service": 3,
        "platform": 0,
    }


def test_operator_approves_with_htmx_and_gets_the_row(client, world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.PENDING)
    client = signed_in(client, world.ruian_operator)
    response = client.post(
        reverse("manage:approve", args=["service", item.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.strip().startswith(f'<tr id="review-service-{item.pk}"')
    assert "已发布" in response.text
    assert "批准发布" not in response.text
    item.refresh_from_db()
    assert item.status == Status.PUBLISHED


def test_operator_return_needs_a_reason(client, world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.PENDING)
    client = signed_in(client, world.ruian_operator)
    url = reverse("manage:return", args=["service", item.pk])
    response = client.post(url, {"reason": ""}, headers={"HX-Request": "true"})
    assert "请填写退回理由" in response.text
    item.refresh_from_db()
    assert item.status == Status.PENDING
    response = client.post(url, {"reason": "价格依据不足"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.review_note) == (Status.RETURNED, "价格依据不足")
    # The member sees the reason on the record's page.
    page = signed_in(client, world.member_a).get(reverse("manage:edit", args=["service", item.pk]))
    assert "价格依据不足" in page.text


def test_operator_cannot_approve_another_regions_record(client, world):
    item = ServiceItemFactory(provider=world.org_b, status=Status.PENDING)
    client = signed_in(client, world.ruian_operator)
    for name, data in [("manage:approve", {}), ("manage:return", {"reason": "不符合要求"})]:
        response = client.post(reverse(name, args=["service", item.pk]), data)
        assert response.status_code == 404
    assert client.get(reverse("manage:edit", args=["service", item.pk])).status_code == 404
    item.refresh_from_db()
    assert (item.status, item.review_note) == (Status.PENDING, "")
    assert not AuditEntry.objects.exists()


def test_operator_edits_a_record_of_their_region(client, world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.PENDING, title="旧标题")
    client = signed_in(client, world.wenzhou_operator)
    response = client.post(
        reverse("manage:edit", args=["service", item.pk]),
        {"title": "新标题", "category": "testing", "description": "检测", "price_unit": "次"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.status) == ("新标题", Status.PENDING)


def test_unknown_type_is_404(client, world):
    client = signed_in(client, world.ruian_operator)
    assert client.get(reverse("manage:edit", args=["voucher", 1])).status_code == 404
    assert client.get(reverse("manage:review") + "?type=voucher").status_code == 404


def test_expert_with_a_profile_sees_it_on_the_dashboard(client, world):
    user = person("expert_self")
    expert = ExpertFactory(user=user, affiliation=world.org_b, region=world.jiading)
    response = signed_in(client, user).get(reverse("manage:dashboard"))
    assert reverse("manage:edit", args=["expert", expert.pk]) in response.text


def test_service_item_price_is_decimal_yuan(client, world):
    client = signed_in(client, world.member_a)
    client.post(
        reverse("manage:create", args=[world.org_a.pk, "service"]),
        {"title": "检测", "category": "testing", "description": "金属检测", "price": "99.5"},
    )
    item = ServiceItem.objects.get(title="检测")
    assert str(item.price) == "99.50"


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form button[type="submit"]:has-text("登录")')
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.browser
def test_member_submits_and_operator_approves_in_the_browser(
    page, live_server, transactional_db, artifacts_dir
):
    world = build_world()
    # The member signs in, adds a service item to their organisation and submits it.
    sign_in(page, live_server, "member_a")
    page.goto(f"{live_server.url}{reverse('manage:dashboard')}")
    page.click("text=瑞安汽配有限公司")
    page.click("nav.tabs a:has-text('服务项目')")
    page.click("a:has-text('新增服务项目')")
    page.fill('input[name="title"]', "汽车零部件疲劳试验")
    page.select_option('select[name="category"]', "testing")
    page.click('button:has-text("保存")')  # description missing: the form says so next to the field
    error = page.locator(".form-field.has-error .field-error").first
    assert error.inner_text() == "这个字段是必填项。"
    assert page.locator(".form-field.has-error textarea[name=description]").count() == 1
    page.fill('textarea[name="description"]', "按国标开展零部件台架疲劳试验。")
    page.click('button:has-text("保存")')
    page.wait_for_url("**/service/*/edit/")
    page.click('button:has-text("提交审核")')
    page.wait_for_selector("text=已提交审核")
    item = ServiceItem.objects.get(title="汽车零部件疲劳试验")
    assert item.status == Status.PENDING

    # The Wenzhou operator approves it from the review queue; htmx swaps the row in place.
    page.context.clear_cookies()
    sign_in(page, live_server, "wenzhou_op")
    page.goto(f"{live_server.url}{reverse('manage:review')}?type=service")
    row = page.locator(f"#review-service-{item.pk}")
    row.locator('button:has-text("批准发布")').click()
    page.wait_for_selector(f"#review-service-{item.pk} .badge:has-text('已发布')")
    assert page.url.endswith("?type=service")  # swapped in place, no navigation
    page.screenshot(path=str(artifacts_dir / "manage-review-approved.png"), full_page=True)
    item.refresh_from_db()
    assert item.status == Status.PUBLISHED
    assert world.org_a.service_items.get() == item


def test_achievement_inventors_are_the_organisations_experts_and_stay_linked(client, world):
    own = ExpertFactory(affiliation=world.org_a, region=world.ruian, name="本单位专家")
    ExpertFactory(affiliation=world.org_b, region=world.jiading, name="外单位专家")
    guest = ExpertFactory(affiliation=world.org_b, region=world.jiading, name="合作专家")
    achievement = AchievementFactory(owner=world.org_a, region=world.ruian, title="气源装置")
    achievement.inventors.add(guest)  # linked by an operator in the admin
    client = signed_in(client, world.member_a)
    url = reverse("manage:edit", args=["achievement", achievement.pk])
    page = client.get(url).text
    assert "本单位专家" in page
    assert "合作专家" in page
    assert "外单位专家" not in page
    response = client.post(
        url,
        {
            "title": "气源装置",
            "kind": "invention",
            "patent_number": achievement.patent_number,
            "description": "集成式电控气源装置",
            "maturity": "pilot",
            "inventors": [own.pk, guest.pk],
        },
    )
    assert response.status_code == 302
    assert set(achievement.inventors.values_list("name", flat=True)) == {"本单位专家", "合作专家"}


# --- technical demands in the review queue -------------------------------------------------------------


def pending_demand(org, title="注塑件翘曲变形控制"):
    from kechuang.demands.factories import DemandFactory

    return DemandFactory(
        organization=org,
        title=title,
        status="pending",
        published_at=None,
        submitted_at=timezone.now(),
        description="注塑件冷却后翘曲超过 0.5 mm,目标控制在 0.1 mm 以内。",
    )


def test_review_queue_has_a_demand_tab_with_counts_and_links(
    client, world, django_assert_max_num_queries
):
    demand = pending_demand(world.org_a)
    pending_demand(world.org_b, title="嘉定的需求")
    ServiceItemFactory(provider=world.org_a, status=Status.PENDING, title="检测服务")
    client = signed_in(client, world.wenzhou_operator)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("manage:review"))  # opens on the demands tab
    assert response.context["selected"] == "demand"
    assert [(tab["name"], str(tab["label"]), tab["count"]) for tab in response.context["tabs"]] == [
        ("demand", "技术需求", 1),
        ("organization", "机构", 0),
        ("expert", "专家", 0),
        ("achievement", "科技成果", 0),
        ("instrument", "大型仪器", 0),
        ("service", "服务项目", 1),
        ("platform", "创新平台", 0),
    ]
    html = response.text
    assert html.count('class="review-row"') == 1 and "嘉定的需求" not in html
    assert f'<a class="record-link" href="/demands/{demand.pk}/">注塑件翘曲变形控制</a>' in html
    assert "瑞安汽配有限公司" in html and "目标控制在 0.1 mm 以内" in html
    assert client.get(f"/demands/{demand.pk}/").status_code == 200  # the operator can open it

    html = client.get(reverse("manage:review") + "?type=service").text
    item = ServiceItem.objects.get(title="检测服务")
    assert f'<a class="record-link" href="/services/{item.pk}/">检测服务</a>' in html
    assert (
        client.get(f"/services/{item.pk}/").status_code == 200
    )  # pending, yet open to its operator
    signed_in(client, world.outsider)
    assert client.get(f"/services/{item.pk}/").status_code == 404
    assert client.get(f"/demands/{demand.pk}/").status_code == 404


def test_operator_approves_a_demand_from_the_queue_through_the_demand_service(
    client, world, django_capture_on_commit_callbacks
):
    demand = pending_demand(world.org_a)
    client = signed_in(client, world.ruian_operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("manage:approve", args=["demand", demand.pk]), headers={"HX-Request": "true"}
        )
    assert response.status_code == 200
    assert response.text.strip().startswith(f'<tr id="review-demand-{demand.pk}"')
    assert "已发布" in response.text and "批准发布" not in response.text
    demand.refresh_from_db()
    assert demand.status == "published" and demand.published_at is not None
    assert list(AuditEntry.objects.values_list("action", "actor")) == [
        ("demands.demand.approve", world.ruian_operator.pk)
    ]
    assert world.member_a.notifications.filter(event="demands.demand.published").count() == 1
    # a second approval is refused with the reason, and changes nothing
    response = client.post(reverse("manage:approve", args=["demand", demand.pk]), follow=True)
    assert "需求当前状态为“已发布”" in response.text
    assert AuditEntry.objects.count() == 1


def test_operator_returns_a_demand_only_with_a_reason(client, world):
    demand = pending_demand(world.org_a)
    client = signed_in(client, world.ruian_operator)
    url = reverse("manage:return", args=["demand", demand.pk])
    response = client.post(url, {"reason": "  "}, headers={"HX-Request": "true"})
    assert "退回时请填写原因" in response.text
    demand.refresh_from_db()
    assert (demand.status, demand.review_note) == ("pending", "")
    assert not AuditEntry.objects.exists()
    response = client.post(url, {"reason": "请补充目标指标"})
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:review") + "?type=demand"
    demand.refresh_from_db()
    assert (demand.status, demand.review_note) == ("returned", "请补充目标指标")


def test_operator_cannot_decide_another_regions_demand(client, world):
    demand = pending_demand(world.org_b)
    client = signed_in(client, world.ruian_operator)
    for name, data in [("manage:approve", {}), ("manage:return", {"reason": "不符合要求"})]:
        assert client.post(reverse(name, args=["demand", demand.pk]), data).status_code == 404
    signed_in(client, world.member_a)
    assert client.post(reverse("manage:approve", args=["demand", demand.pk])).status_code == 403
    demand.refresh_from_db()
    assert (demand.status, demand.review_note, demand.published_at) == ("pending", "", None)
    assert not AuditEntry.objects.exists()


def test_a_record_s_fields_are_grouped_by_category_and_a_category_tag_is_kept(client, world):
    """80 boxes in one row read 哲学 twice (the category and its one discipline): the record form groups
    the disciplines under their categories; a record tagged with a category itself (an import, the
    API) is offered it, checked, so saving the form does not drop it."""
    from kechuang.core.factories import TechFieldFactory

    engineering = TechFieldFactory(name="工学")
    mechanical = TechFieldFactory(name="机械工程", parent=engineering)
    philosophy = TechFieldFactory(name="哲学")
    ethics = TechFieldFactory(name="哲学", parent=philosophy)
    item = ServiceItemFactory(provider=world.org_a, title="模具设计", price=800)
    client = signed_in(client, world.member_a)
    url = reverse("manage:edit", args=["service", item.pk])
    html = client.get(url).text
    boxes = re.findall(r'<input type="checkbox" name="fields" value="(\d+)"', html)
    assert boxes == [str(ethics.pk), str(mechanical.pk)]  # categories by name: 哲学, 工学
    assert html.count(" 哲学</label>") == 1  # one box reads 哲学
    assert "<legend>哲学</legend>" in html
    assert "<legend>工学</legend>" in html  # the group names its category

    item.fields.add(engineering)
    html = client.get(url).text
    boxes = re.findall(
        r'<input type="checkbox" name="fields" value="(\d+)"[^>]*?( checked)?>', html
    )
    assert boxes == [
        (str(ethics.pk), ""),
        (str(engineering.pk), " checked"),
        (str(mechanical.pk), ""),
    ]
    form = {"title": "模具设计", "category": "rnd", "description": "注塑模具设计", "price": "800"}
    response = client.post(url, {**form, "price_unit": "次", "fields": [engineering.pk]})
    assert response.status_code == 302
    assert list(item.fields.all()) == [engineering]
