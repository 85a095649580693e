"""Each role's journey in headless Chromium: the enterprise posts a demand, the operator approves it, the
enterprise requests the matched expert, the expert accepts, the meeting is scheduled and held, and the
cooperation is agreed. A screenshot of the demand page with its matches is kept as a test artefact. An
expert without a login answers through the e-mailed link; operators and societies pick experts by
typing."""

import re

import pytest

from kechuang.accounts.factories import MembershipFactory, UserFactory
from kechuang.core.factories import IndustryChainFactory
from kechuang.demands import services
from kechuang.demands.models import Demand, Engagement
from kechuang.directory.factories import ExpertFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "kechuang-test-pw")
    page.click("form button[type=submit]:has-text('登录')")
    page.wait_for_load_state()


def test_demand_to_agreement_journey(world, reindex, page, live_server, artifacts_dir):
    reindex()

    # the enterprise posts a demand and submits it for review
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}/demands/new/")
    page.fill("#id_title", "新能源汽车永磁同步电机无传感器控制技术需求")
    page.fill("#id_description", "需要永磁同步电机无传感器控制方案,用于新能源汽车电驱动系统。")
    page.fill("#id_budget_min", "100000")
    page.fill("#id_budget_max", "300000")
    # under each amount, how it reads: a zero more or less is seen before the form is sent
    assert page.locator("#id_budget_min + output.amount-reading").text_content() == "即10万元"
    assert page.locator("#id_budget_max + output.amount-reading").text_content() == "即30万元"
    page.check("input[name=cooperation_modes][value=development]")
    page.fill("#id_contact_phone", "0577-65551234")
    page.click("button[name=submit][value='1']")
    page.wait_for_selector("#demand-status:has-text('待审核')")
    demand = Demand.objects.get()
    assert demand.status == "pending"

    # the operator of 温州市 approves it
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/demands/console/")
    page.click(f"#pending a:has-text('{demand.title}')")
    page.click("#approve")
    page.wait_for_selector("#demand-status:has-text('已发布')")

    # the enterprise sees ranked matches with evidence and requests the expert
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}{demand.get_absolute_url()}")
    expert_match = page.locator(f"li.match[data-type=expert][data-id='{world.expert.pk}']")
    expert_match.locator("mark").first.wait_for()
    page.screenshot(path=str(artifacts_dir / "demand-page.png"), full_page=True)
    expert_match.locator("input[name=message]").fill("想请您指导无传感器控制方案")
    expert_match.locator("button[type=submit]").click()
    page.wait_for_selector("#engagement-status:has-text('待回应')")
    assert "13900000001" not in page.content()  # the expert's phone is hidden before acceptance

    # the expert accepts from the inbox and schedules the meeting
    login(page, live_server, "expert")
    page.goto(f"{live_server.url}/demands/inbox/")
    page.click("#waiting button:has-text('接受')")
    page.wait_for_selector("#engagement-status:has-text('已接受')")
    assert "0577-65551234" in page.content()  # now the enterprise's phone shows
    page.fill("#schedule-form input[name=at]", "2026-12-01T10:00")
    page.fill("#schedule-form input[name=place]", "瑞安市科技大厦 3 楼")
    page.click("#schedule-form button[type=submit]")
    page.wait_for_selector("#engagement-status:has-text('已约见')")

    # the enterprise records the meeting and the agreement
    login(page, live_server, "owner")
    engagement = Engagement.objects.get()
    page.goto(f"{live_server.url}{engagement.get_absolute_url()}")
    assert "13900000001" in page.content()
    page.fill("#minutes-form textarea[name=minutes]", "双方确认技术路线与进度")
    page.fill("#minutes-form input[name=attendees]", "王工、陈教授")
    page.click("#minutes-form button[type=submit]")
    page.wait_for_selector("#engagement-status:has-text('已会谈')")
    page.select_option("#agree-form select[name=cooperation_mode]", "development")
    page.fill("#agree-form input[name=amount]", "280000")
    page.click("#agree-form button[type=submit]")
    page.wait_for_selector("#engagement-status:has-text('达成合作')")
    assert "金额：28万元" in page.locator("#agreement").inner_text()
    assert page.locator("#agreement .money").get_attribute("title") == "¥280,000.00"

    engagement.refresh_from_db()
    assert engagement.status == "agreed" and str(engagement.amount) == "280000.00"
    assert (artifacts_dir / "demand-page.png").stat().st_size > 10_000


def test_expert_without_login_answers_through_the_emailed_link(
    world, published_demand, page, live_server, mailoutbox, settings, artifacts_dir
):
    settings.SITE_URL = live_server.url
    zhou = ExpertFactory(name="周工", user=None, email="zhou@wzu.example.cn", region=world.district)
    engagement = services.request_engagement(
        world.owner, published_demand, "expert", zhou.pk, "想请教无传感器控制"
    )
    (mail,) = [m for m in mailoutbox if m.to == ["zhou@wzu.example.cn"]]
    link = re.search(
        rf"{re.escape(live_server.url)}/demands/engagements/\d+/answer/\S+/", mail.body
    )

    page.goto(link.group(0))
    page.wait_for_selector("#answer-actions")
    assert "想请教无传感器控制" in page.content()
    assert "0577-65551234" not in page.content()  # hidden until he accepts
    page.screenshot(path=str(artifacts_dir / "answer-link.png"), full_page=True)
    page.click("#accept")
    page.wait_for_selector("#engagement-status:has-text('已接受')")
    assert "0577-65551234" in page.locator("#enterprise-contact").inner_text()

    page.goto(link.group(0))
    page.wait_for_selector("#answer-closed:has-text('此链接已使用')")
    assert "0577-65551234" not in page.content()
    engagement.refresh_from_db()
    assert engagement.status == "accepted"


def test_operators_and_societies_pick_experts_by_typing(
    world, reindex, page, live_server, artifacts_dir
):
    zhao = ExpertFactory(name="赵工", keywords=["精密铸造", "压铸模具"], region=world.district)
    chain = IndustryChainFactory(name="汽车零部件", slug="auto-parts")
    pool = services.create_pool(world.operator, chain, world.city, "温州汽配池")
    society = OrganizationFactory(name="中国汽车工程学会", kind="society", region=world.province)
    MembershipFactory(user=UserFactory(username="secretary"), organization=society)
    reindex()

    # the operator enrols an engineer found by what they do, not by an id
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}{pool.get_absolute_url()}")
    page.fill("#enrol-form input[type=search]", "压铸")
    page.check(f"#enrol-form input[name=expert][value='{zhao.pk}']")
    page.fill("#enrol-form input[name=specialities]", "精密铸造")
    page.click("#enrol-form button[type=submit]")
    page.wait_for_selector("table td:has-text('精密铸造')")
    assert list(pool.members.values_list("expert__name", flat=True)) == ["赵工"]

    # the society forms a team from two searches; the first pick stays ticked during the second
    login(page, live_server, "secretary")
    page.goto(f"{live_server.url}/demands/teams/")
    page.select_option("#team-form select[name=society]", str(society.pk))
    page.fill("#team-form input[name=name]", "汽车电驱服务团")
    page.fill("#team-form input[type=search]", "陈教授")
    page.check(f"#team-form input[name=experts][value='{world.expert.pk}']")
    page.fill("#team-form input[type=search]", "压铸")
    page.check(f"#team-form input[name=experts][value='{zhao.pk}']")
    page.locator("#team-form").screenshot(path=str(artifacts_dir / "expert-picker.png"))
    assert page.is_checked(f"#team-form input[name=experts][value='{world.expert.pk}']")
    page.click("#team-form button[type=submit]")
    page.wait_for_selector("h1:has-text('汽车电驱服务团')")
    team = society.service_teams.get()
    assert sorted(team.members.values_list("name", flat=True)) == ["赵工", "陈教授"]


def test_match_list_reads_at_desktop_and_phone_width(
    noise_world, reindex, page, live_server, artifacts_dir
):
    """The enterprise reads its demand's matches: a strength badge and the legend, each key phrase
    beside the sentence that answers it, the expert taking no work folded under "更多"."""
    demand, busy, free, *_rest = noise_world
    reindex()
    login(page, live_server, "owner")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}{demand.get_absolute_url()}?scope=own")
        page.reload()  # the second round: the folded list closed again
        first = page.locator("li.match[data-type=expert]").first
        assert first.get_attribute("data-id") == str(free.pk)
        assert first.locator(".strength").inner_text() == "匹配强度：较强"
        assert first.locator(".evidence li").first.inner_text() == (
            "空气压缩机、噪声 ← 关键词：空气压缩机 噪声"
        )
        folded = page.locator(
            f"details.more-matches li.match[data-type=expert][data-id='{busy.pk}']"
        )
        assert not folded.is_visible()
        page.screenshot(path=str(artifacts_dir / f"demand-matches-{width}.png"), full_page=True)
        page.locator("details.more-matches summary").first.click()
        assert folded.is_visible()
        assert "暂不对接" in folded.inner_text()
