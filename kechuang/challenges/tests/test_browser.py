"""The full cycle in Chromium: publish, two competing applications (one a three-member consortium whose
members confirm), formal check, panel, sealed scoring, selection, 公示, agreement and a tranche; and the
second review round (终评) run through the pages.

People and organisations come from factories; the clock moves by editing the list's dates (the window
closes, the objection period ends) since the browser runs in real time.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kechuang.challenges import services
from kechuang.challenges.factories import (
    ChallengeFactory,
    ChallengeListFactory,
    member_of,
    operator_for,
    organization_in,
)
from kechuang.challenges.models import Agreement, Application, ChallengeList
from kechuang.challenges.tests.conftest import (
    AFTER,
    all_score,
    first_round,
    make_world,
    under_review,
)
from kechuang.core.factories import RegionFactory, TechFieldFactory
from kechuang.directory.factories import ExpertFactory, OrganizationFactory

PASSWORD = "kechuang-test-pw"


def login(page, base, user):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()


def post_op(page, label):
    page.get_by_role("button", name=label, exact=True).first.click()
    page.wait_for_load_state()


def fill_rows(form, field, columns, values):
    """Type ``values`` (one tuple per row) into add-a-row input ``field``, adding rows as needed."""
    first = f"[name='{field}-{columns[0]}']"
    box = form.locator("[data-rows]").filter(has=form.page.locator(first))
    for index, row in enumerate(values):
        while box.locator(first).count() <= index:
            box.locator("[data-rows-add]").click()
        for column, value in zip(columns, row, strict=True):
            cell = box.locator(f"[name='{field}-{column}']").nth(index)
            if cell.evaluate("e => e.tagName") == "SELECT":
                cell.select_option(value)
            else:
                cell.fill(value)


TEAM = ("name", "title", "affiliation", "duty")
PLAN = ("title", "months", "deliverable")


def fill_application(page, *, mode, route, budget, team, plan):
    form = page.locator("#application-form")
    form.locator(f"input[name=mode][value={mode}]").check()
    form.locator("textarea[name=technical_route]").fill(route)
    form.locator("input[name=budget_total]").fill(budget)
    fill_rows(form, "team", TEAM, team)
    fill_rows(form, "plan", PLAN, plan)
    form.locator("input[name=declaration_accepted]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def add_member(page, org, share, budget):
    """Set ``org``'s shares: in its row of the members table when it is in already (the lead), else
    found with the search picker and added."""
    row = page.locator("#members tr", has_text=org.name)
    if row.count():
        row.locator("input[name=work_share]").fill(share)
        row.locator("input[name=budget_share]").fill(budget)
        # the reading stands after the unit beside the input (1800000 元), not between them
        reading = row.locator(".with-unit:has(input[name=budget_share]) + output.amount-reading")
        expect(reading).to_have_text(f"即{int(budget) // 10000}万元")
        row.get_by_role("button", name="保存").click()
        page.wait_for_load_state()
        return
    form = page.locator("#member-form")
    form.locator("input[type=search]").fill(org.name)
    form.locator(".org-option", has_text=org.name).locator("input").check()
    form.locator("input[name=work_share]").fill(share)
    form.locator("input[name=budget_share]").fill(budget)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_full_cycle_with_two_competitors_one_a_consortium(page, live_server, artifacts_dir):
    base = live_server.url
    today = timezone.localdate()
    region = RegionFactory(code="330381", name="瑞安市")
    operator = operator_for(region)
    challenge_list = ChallengeListFactory(
        region=region,
        opens_on=today - datetime.timedelta(days=1),
        closes_on=today + datetime.timedelta(days=10),
    )
    field = TechFieldFactory(name="车辆工程")
    challenge = ChallengeFactory(region=region, title="新能源车用集成式电控气源装置")
    challenge.fields.add(field)
    services.accept_challenge(operator, challenge, challenge_list)
    orgs = {
        k: organization_in(region, kind=kind, name=name)
        for k, kind, name in [
            ("university", "university", "温州大学"),
            ("institute", "institute", "瑞安汽车零部件研究院"),
            ("enterprise", "enterprise", "瑞立集团"),
            ("rnd", "new_rnd", "浙南新能源研究院"),
        ]
    }
    users = {k: member_of(o) for k, o in orgs.items()}
    elsewhere = OrganizationFactory(region=region, kind="university", name="浙江工业大学")
    reviewers = []
    for n in range(2):
        expert = ExpertFactory(
            name=f"评审专家{n}", affiliation=elsewhere, region=region, user=member_of(elsewhere)
        )
        expert.fields.add(field)
        reviewers.append(expert)

    # The operator publishes the list.
    login(page, base, operator)
    page.goto(f"{base}/challenges/manage/lists/{challenge_list.pk}/")
    post_op(page, "发布榜单")
    expect(page.locator("#list-status")).to_have_text("征集中")
    page.goto(f"{base}{challenge_list.get_absolute_url()}")
    expect(page.locator("#total-bounty")).to_have_text("500万元")
    expect(page.locator("#countdown")).to_contain_text("距截止还有")

    # The university leads a three-member consortium.
    login(page, base, users["university"])
    page.goto(f"{base}{challenge.get_absolute_url()}")
    page.locator("input[name=mode][value=consortium]").check()
    page.get_by_role("button", name="开始填写申请").click()
    page.wait_for_url(re.compile(r"/challenges/applications/\d+/"))
    consortium_url = page.url
    add_member(page, orgs["university"], "50", "2000000")
    add_member(page, orgs["institute"], "30", "1500000")
    add_member(page, orgs["enterprise"], "20", "1000000")
    fill_application(
        page,
        mode="consortium",
        route="高校负责控制算法,研究院负责台架测试,企业负责量产装车。",
        budget="4500000",
        team=[("李教授", "教授", "温州大学", "项目负责人"), ("陈工", "工程师", "瑞立集团", "工艺")],
        plan=[("样机研制", "12", "样机一台"), ("装车验证", "24", "验证报告")],
    )
    expect(page.locator(".form-errors")).to_contain_text("还有成员单位未确认参与")
    for key in ("institute", "enterprise"):
        login(page, base, users[key])
        page.goto(consortium_url)
        page.get_by_role("button", name="确认参与").click()
        page.wait_for_load_state()
    login(page, base, users["university"])
    page.goto(consortium_url)
    expect(page.locator("#members")).not_to_contain_text("待确认")
    page.locator("#submit-application").click()
    expect(page.locator("#application-status")).to_have_text("已提交")

    # A new R&D institution competes alone.
    login(page, base, users["rnd"])
    page.goto(f"{base}{challenge.get_absolute_url()}")
    page.get_by_role("button", name="开始填写申请").click()
    page.wait_for_url(re.compile(r"/challenges/applications/\d+/"))
    fill_application(
        page,
        mode="alone",
        route="采用无油涡旋压缩与集成电控方案。",
        budget="4000000",
        team=[("周研究员", "研究员", "浙南新能源研究院", "负责人")],
        plan=[("样机", "18", "样机")],
    )
    page.locator("#submit-application").click()
    expect(page.locator("#application-status")).to_have_text("已提交")

    # Time passes: the window is over.
    ChallengeList.objects.filter(pk=challenge_list.pk).update(
        opens_on=today - datetime.timedelta(days=20), closes_on=today - datetime.timedelta(days=1)
    )
    login(page, base, operator)
    manage_url = f"{base}/challenges/manage/lists/{challenge_list.pk}/"
    page.goto(manage_url)
    post_op(page, "截止征集")
    for _ in range(2):
        post_op(page, "形式审查通过")
    post_op(page, "开始专家评审")
    page.locator("input[name=size]").fill("2")
    post_op(page, "按领域抽取专家")
    expect(page.locator(".round")).to_contain_text("尚缺 4 份评分")

    # Each reviewer scores both applications; scores stay sealed.
    marks = {"温州大学": "90", "浙南新能源研究院": "75"}
    for expert in reviewers:
        login(page, base, expert.user)
        page.goto(f"{base}/challenges/review/")
        for lead, mark in marks.items():
            card = page.locator(f".application[data-lead='{lead}']")
            for number_input in card.locator("input[type=number]").all():
                number_input.fill(mark)
            card.get_by_role("button", name="提交评分").click()
            page.wait_for_load_state()
        expect(page.locator(".my-score")).to_have_count(2)
        expect(page.locator("body")).not_to_contain_text("本轮全部评分")

    login(page, base, operator)
    page.goto(manage_url)
    expect(page.locator(".round")).to_contain_text("尚缺 0 份评分")
    expect(page.locator(".spreads")).to_have_count(0)
    post_op(page, "启封评分")
    expect(page.locator(".spreads .mean").first).to_have_text("90.00")
    page.locator(".spreads tr", has_text="温州大学").get_by_role(
        "button", name="确定揭榜单位"
    ).click()
    page.wait_for_load_state()
    post_op(page, "发布公示")
    expect(page.locator("#list-status")).to_have_text("公示中")
    page.goto(f"{base}{challenge_list.get_absolute_url()}")
    expect(page.locator("#announcement .winner")).to_have_text("温州大学")
    expect(page.locator(".applicant-count")).to_have_text("2")
    page.get_by_role("link", name="榜单统计报告").click()
    expect(page.locator("#money-chart canvas")).to_have_count(1)
    expect(page.locator("#kind-chart canvas")).to_have_count(1)

    # The objection period ends; the operator signs the task book, releasing the first tranche.
    ChallengeList.objects.filter(pk=challenge_list.pk).update(
        objection_ends_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    page.goto(manage_url)
    page.get_by_role("link", name="签订任务书").click()
    page.locator("input[name=first_tranche]").fill("3000000")
    fill_rows(
        page.locator("form", has=page.locator("input[name=first_tranche]")),
        "milestones",
        ("title", "due_on", "amount"),
        [("样机通过台架试验", "2027-06-30", "1000000"), ("装车验证", "2028-06-30", "1000000")],
    )
    page.get_by_role("button", name="签约并拨付首期").click()
    page.wait_for_url(re.compile(r"/challenges/agreements/\d+/"))
    agreement_url = page.url
    expect(page.locator("#released-total")).to_have_text("300万元")

    # The lead reports the first milestone; the operator accepts it and releases its tranche.
    login(page, base, users["university"])
    page.goto(agreement_url)
    page.locator("textarea[name=evidence]").first.fill("台架试验报告 TJ-2027-01")
    page.get_by_role("button", name="提交验收").first.click()
    page.wait_for_load_state()
    login(page, base, operator)
    page.goto(agreement_url)
    page.get_by_role("button", name="通过", exact=True).first.click()
    page.wait_for_load_state()
    page.get_by_role("button", name="拨付", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("#released-total")).to_have_text("400万元")
    page.screenshot(path=str(artifacts_dir / "challenges-agreement.png"), full_page=True)

    agreement = Agreement.objects.get()
    assert agreement.released_total == 4_000_000
    statuses = dict(Application.objects.values_list("lead__name", "status"))
    assert statuses == {"温州大学": "contracted", "浙南新能源研究院": "not_selected"}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_final_round_through_the_pages(page, live_server):
    """After an unsealed first round (set up through the services), the operator shortlists both
    applications for 终评, draws its panel, the reviewers score the final round on their page, and the
    operator unseals it, picks the winner from the final round and announces; the shortlisted applicant
    finds the news in its inbox and follows the link to its application."""
    base = live_server.url
    world = under_review(make_world())
    first = first_round(world)
    services.draw_panel(world.operator, first, size=3, seed=1, now=AFTER)
    consortium, rnd = world.applications["consortium"], world.applications["rnd"]
    all_score(world, first, {consortium.pk: 90, rnd.pk: 85})
    services.unseal_round(world.operator, first, now=AFTER)
    manage_url = f"{base}/challenges/manage/lists/{world.challenge_list.pk}/"

    login(page, base, world.operator)
    page.goto(manage_url)
    first_section = page.locator(f"#round-{first.pk}")
    for application in (consortium, rnd):
        first_section.locator(f"input[name=applications][value='{application.pk}']").check()
    first_section.get_by_role("button", name="所选申请进入终评").click()
    page.wait_for_load_state()
    expect(page.locator("#applications .status")).to_have_text(["进入终评", "进入终评"])
    final = world.challenge.rounds.get(number=2)
    final_section = page.locator(f"#round-{final.pk}")
    expect(final_section).to_contain_text("终评")
    final_section.locator("input[name=size]").fill("2")
    final_section.get_by_role("button", name="按领域抽取专家").click()
    page.wait_for_load_state()
    expect(page.locator(f"#round-{final.pk}")).to_contain_text("尚缺 4 份评分")

    # The final panel scores on the review page; the first round's scores are done and stay put.
    marks = {consortium.lead.name: "78", rnd.lead.name: "92"}
    for seat in final.seats.select_related("expert__user"):
        login(page, base, seat.expert.user)
        page.goto(f"{base}/challenges/review/")
        card = page.locator(f"#seat-{seat.pk}")
        expect(card).to_contain_text("终评")
        for lead, mark in marks.items():
            application = card.locator(f".application[data-lead='{lead}']")
            for number_input in application.locator("input[type=number]").all():
                number_input.fill(mark)
            application.get_by_role("button", name="提交评分").click()
            page.wait_for_load_state()
        expect(page.locator(f"#seat-{seat.pk} .my-score")).to_have_text(["78.00", "92.00"])

    login(page, base, world.operator)
    page.goto(manage_url)
    final_section = page.locator(f"#round-{final.pk}")
    expect(final_section).to_contain_text("尚缺 0 份评分")
    final_section.get_by_role("button", name="启封评分").click()
    page.wait_for_load_state()
    final_section = page.locator(f"#round-{final.pk}")
    expect(final_section.locator(".spreads .mean").first).to_have_text("92.00")
    final_section.locator(".spreads tr", has_text=rnd.lead.name).get_by_role(
        "button", name="确定揭榜单位"
    ).click()
    page.wait_for_load_state()
    post_op(page, "发布公示")
    expect(page.locator("#list-status")).to_have_text("公示中")
    page.goto(f"{base}{world.challenge_list.get_absolute_url()}")
    expect(page.locator("#announcement .winner")).to_have_text(rnd.lead.name)

    # The consortium's member learns both the shortlisting and the outcome in its inbox.
    login(page, base, world.users["institute"])
    page.goto(f"{base}/notifications/")
    expect(page.locator("body")).to_contain_text("揭榜申请进入终评")
    page.get_by_role("link", name=re.compile("揭榜申请未入选")).click()
    page.wait_for_load_state()
    expect(page.locator("#application-status")).to_have_text("未入选")
    statuses = dict(Application.objects.values_list("lead__name", "status"))
    assert statuses == {consortium.lead.name: "not_selected", rnd.lead.name: "selected"}


def fits(page, width):
    """Nothing on the page is wider than the viewport (no sideways scrolling on a phone)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_apply_alone_and_as_a_consortium_with_rows_and_the_picker(page, live_server, artifacts_dir):
    """An enterprise proposes a task with indicator rows, then applies alone to an open task with no
    member step; a university leads a consortium, finds its partner with the search picker, fills the
    team and plan rows, and submits once the partner confirms. At 1366 px and at 390 px."""
    base = live_server.url
    today = timezone.localdate()
    region = RegionFactory(code="330381", name="瑞安市")
    operator = operator_for(region)
    challenge_list = ChallengeListFactory(
        region=region,
        opens_on=today - datetime.timedelta(days=1),
        closes_on=today + datetime.timedelta(days=30),
    )
    challenge = ChallengeFactory(region=region, title="商用车电控空气悬架（ECAS）控制系统")
    services.accept_challenge(operator, challenge, challenge_list)
    services.publish_list(operator, challenge_list)
    enterprise = organization_in(region, kind="enterprise", name="瑞立集团")
    university = organization_in(region, kind="university", name="温州大学")
    institute = organization_in(region, kind="institute", name="瑞安汽车零部件研究院")
    users = {o.pk: member_of(o) for o in (enterprise, university, institute)}

    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        Application.objects.all().delete()

        # The enterprise proposes a task, its indicators typed row by row.
        login(page, base, users[enterprise.pk])
        page.goto(f"{base}/challenges/tasks/propose/")
        form = page.locator("form.form-card")
        expect(form.locator("legend")).to_contain_text(
            ["任务内容", "技术指标", "榜金与期限", "揭榜条件"]
        )
        expect(form).not_to_contain_text("---------")
        form.locator("input[name=title]").fill(f"车用空气悬架高度传感器（{width}）")
        form.locator("textarea[name=problem]").fill("高度传感器依赖进口，需国产化并装车验证。")
        fill_rows(
            form,
            "indicators",
            ("name", "comparator", "target", "unit"),
            [("测量精度", "lte", "0.5", "mm"), ("工作温度上限", "gte", "105", "℃")],
        )
        form.locator("input[name=bounty]").fill("1000000")
        form.locator("input[name=issuer_share]").fill("400000")
        form.locator("input[name=government_share]").fill("600000")
        form.locator("input[name=completion_deadline]").fill("2028-06-30")
        fits(page, width)
        page.screenshot(path=str(artifacts_dir / f"challenges-propose-{width}.png"), full_page=True)
        form.get_by_role("button", name="提交任务").click()
        page.wait_for_load_state()
        proposed = challenge.__class__.objects.get(title=f"车用空气悬架高度传感器（{width}）")
        assert [str(i) for i in proposed.indicators.all()] == [
            "测量精度 ≤ 0.5 mm",
            "工作温度上限 ≥ 105 ℃",
        ]

        # It applies alone to the open task: no consortium step.
        page.goto(f"{base}{challenge.get_absolute_url()}")
        expect(page.locator("#apply")).to_contain_text("征集中")
        fits(page, width)
        page.screenshot(
            path=str(artifacts_dir / f"challenges-task-open-{width}.png"), full_page=True
        )
        page.get_by_role("button", name="开始填写申请").click()
        page.wait_for_url(re.compile(r"/challenges/applications/\d+/"))
        expect(page.locator("#members")).to_contain_text("独立揭榜，承担全部任务和预算")
        fill_application(
            page,
            mode="alone",
            route="自主研发控制器与高度闭环算法，联合整车厂完成标定。",
            budget="2800000",
            team=[
                ("陈工", "高级工程师", "瑞立集团", "总体设计"),
                ("林工", "工程师", "瑞立集团", "软件"),
            ],
            plan=[("样机研制", "10", "控制器样机"), ("装车验证", "20", "验证报告")],
        )
        expect(page.locator("#problems")).to_have_count(0)
        fits(page, width)
        page.screenshot(
            path=str(artifacts_dir / f"challenges-apply-alone-{width}.png"), full_page=True
        )
        page.locator("#submit-application").click()
        expect(page.locator("#application-status")).to_have_text("已提交")

        # The university leads a consortium and finds the institute by typing part of its name.
        login(page, base, users[university.pk])
        page.goto(f"{base}{challenge.get_absolute_url()}")
        page.locator("input[name=mode][value=consortium]").check()
        page.get_by_role("button", name="开始填写申请").click()
        page.wait_for_url(re.compile(r"/challenges/applications/\d+/"))
        consortium_url = page.url
        fill_application(
            page,
            mode="consortium",
            route="高校负责高度控制算法，研究院负责台架与可靠性试验。",
            budget="3000000",
            team=[
                ("李教授", "教授", "温州大学", "项目负责人"),
                ("王研究员", "研究员", "瑞安汽车零部件研究院", "试验"),
            ],
            plan=[
                ("算法验证", "6", "仿真报告"),
                ("样机台架试验", "14", "试验报告"),
                ("装车", "24", ""),
            ],
        )
        picker = page.locator("#member-form")
        picker.locator("input[type=search]").fill("零部件研究")
        option = picker.locator(".org-option", has_text="瑞安汽车零部件研究院")
        expect(option).to_have_count(1)
        expect(picker.locator(".org-option", has_text="温州大学")).to_have_count(0)
        option.locator("input").check()
        picker.locator("input[name=responsibility]").fill("台架与可靠性试验")
        picker.locator("input[name=work_share]").fill("40")
        picker.locator("input[name=budget_share]").fill("1200000")
        fits(page, width)
        page.screenshot(
            path=str(artifacts_dir / f"challenges-consortium-picker-{width}.png"), full_page=True
        )
        picker.get_by_role("button", name="添加到联合体").click()
        page.wait_for_load_state()
        add_member(page, university, "60", "1800000")
        expect(page.locator("#problems")).to_contain_text("还有成员单位未确认参与")
        expect(page.locator("#problems")).not_to_contain_text("预算份额")
        login(page, base, users[institute.pk])
        page.goto(consortium_url)
        page.get_by_role("button", name="确认参与").click()
        page.wait_for_load_state()
        login(page, base, users[university.pk])
        page.goto(consortium_url)
        fits(page, width)
        page.screenshot(
            path=str(artifacts_dir / f"challenges-consortium-{width}.png"), full_page=True
        )
        page.locator("#submit-application").click()
        expect(page.locator("#application-status")).to_have_text("已提交")

        alone = Application.objects.get(lead=enterprise)
        assert list(alone.members.values_list("work_share", "budget_share")) == [(100, 2800000)]
        consortium = Application.objects.get(lead=university)
        assert consortium.plan.count() == 3 and consortium.team.count() == 2
        assert sorted(consortium.members.values_list("organization__name", "budget_share")) == [
            ("温州大学", 1800000),
            ("瑞安汽车零部件研究院", 1200000),
        ]
