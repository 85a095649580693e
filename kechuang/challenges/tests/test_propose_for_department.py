"""An operator proposes a task for a department of their region tree through a page: validated in
Chinese, open to that region's operators only, audited."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kechuang.challenges import forms, services
from kechuang.challenges.factories import member_of, operator_for, organization_in
from kechuang.challenges.models import Challenge
from kechuang.challenges.tests.conftest import INDICATOR, rows
from kechuang.core.factories import RegionFactory
from kechuang.core.models import AuditEntry
from kechuang.directory.models import Organization

pytestmark = pytest.mark.django_db

URL = "/challenges/manage/tasks/propose/"
# 00:30 on 16 March in Beijing is still 15 March in UTC: "today" must be the Beijing date.
NOW = datetime.datetime(2026, 3, 15, 16, 30, tzinfo=datetime.UTC)


@pytest.fixture
def department(world):
    return organization_in(world.region, kind=Organization.Kind.INSTITUTE, name="瑞安市经信局")


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(forms.timezone, "now", lambda: NOW)


def proposal(department, **changes) -> dict:
    data = {
        "proposer": department.pk,
        "title": "汽车电子控制器国产芯片替代",
        "problem": "控制器芯片依赖进口,需完成国产替代与车规验证。",
        **rows(
            "indicators",
            INDICATOR,
            ("工作温度上限", "gte", "125", "℃"),
            ("失效率", "lte", "10", "FIT"),
        ),
        "bounty": "8000000.00",
        "issuer_share": "3000000",
        "government_share": "5000000",
        "completion_deadline": "2027-12-31",
        "eligible_kinds": ["enterprise", "university"],
        "eligible_region": "",
        "min_tier": "high_tech",
        "credit_code_required": "on",
        "qualifications": "近三年无重大安全事故",
    }
    data.update(changes)
    return data


def test_operator_proposes_for_a_department_of_their_region(world, department, client, frozen):
    client.force_login(world.operator)
    assert "瑞安市经信局" in client.get(URL).content.decode()
    response = client.post(URL, proposal(department, eligible_region=world.region.pk))
    assert response.status_code == 302 and response["Location"] == "/challenges/manage/"
    challenge = Challenge.objects.get(title="汽车电子控制器国产芯片替代")
    assert (challenge.proposer, challenge.region, challenge.proposed_by) == (
        department,
        world.region,
        world.operator,
    )
    assert (challenge.bounty, challenge.status) == (Decimal("8000000.00"), "proposed")
    assert (challenge.min_tier, challenge.credit_code_required) == ("high_tech", True)
    assert challenge.eligible_region == world.region
    assert [str(i) for i in challenge.indicators.all()] == [
        "工作温度上限 ≥ 125 ℃",
        "失效率 ≤ 10 FIT",
    ]
    entry = AuditEntry.objects.get(action="challenges.challenge.propose")
    assert (entry.actor, entry.target_id) == (world.operator, str(challenge.pk))
    # It waits on the draft list's management page.
    page = client.get(f"/challenges/manage/lists/{world.challenge_list.pk}/")
    assert "汽车电子控制器国产芯片替代" in page.content.decode()


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"bounty": "0"}, "bounty", "榜金必须大于零"),
        ({"bounty": "-5"}, "bounty", "榜金必须大于零"),
        ({"bounty": "abc"}, "bounty", "请输入金额数字（元），如：300000。"),
        (
            {"government_share": "4000000"},
            "government_share",
            "出题单位出资与政府资助之和必须等于榜金",
        ),
        (
            {"completion_deadline": "2026-03-16"},
            "completion_deadline",
            "完成期限必须晚于今天（北京时间）",
        ),
        (
            rows("indicators", INDICATOR, ("", "gte", "", "")),
            "indicators",
            "至少需要一项可量化的技术指标",
        ),
        (
            rows("indicators", INDICATOR, ("排气量", "~", "300", "L/min")),
            "indicators",
            "第 1 行：请选择“要求”",
        ),
        (
            rows(
                "indicators",
                INDICATOR,
                ("排气量", "gte", "300", "L/min"),
                ("噪声", "lte", "七十", ""),
            ),
            "indicators",
            "第 2 行：“目标值”应为数字",
        ),
        (
            rows(
                "indicators",
                INDICATOR,
                ("排气量", "gte", "300", "L/min"),
                ("噪声", "lte", "70", ""),
            ),
            "indicators",
            "第 2 行：请填写“单位”",
        ),
    ],
)
def test_invalid_proposals_refused_in_chinese(
    world, department, client, frozen, changes, field, message
):
    client.force_login(world.operator)
    count = Challenge.objects.count()
    response = client.post(URL, proposal(department, **changes))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert Challenge.objects.count() == count


def test_the_day_after_today_in_beijing_is_accepted(world, department, client, frozen):
    client.force_login(world.operator)
    response = client.post(URL, proposal(department, completion_deadline="2026-03-17"))
    assert response.status_code == 302


def test_only_departments_of_the_operators_region_tree(world, department, client, frozen):
    elsewhere = RegionFactory(code="310114", name="嘉定区")
    foreign = organization_in(elsewhere, kind=Organization.Kind.INSTITUTE, name="嘉定区科委")
    client.force_login(world.operator)
    assert "嘉定区科委" not in client.get(URL).content.decode()
    response = client.post(URL, proposal(foreign))
    assert response.context["form"].errors["proposer"] == ["请选择您运营区域内的部门或单位"]
    # The service refuses too, whatever region it is given.
    with pytest.raises(PermissionDenied):
        services.propose_challenge(
            world.operator,
            region=world.region,
            proposer=foreign,
            title="x",
            problem="y",
            bounty=Decimal(1),
            issuer_share=Decimal(0),
            government_share=Decimal(1),
            completion_deadline=datetime.date(2028, 1, 1),
            indicators=[{"name": "a", "target": 1, "unit": "个"}],
        )
    assert not Challenge.objects.filter(proposer=foreign).exists()


def test_page_is_for_operators_only(world, department, client):
    client.force_login(member_of(department))
    assert client.get(URL).status_code == 403
    assert client.post(URL, proposal(department)).status_code == 403
    client.force_login(operator_for(RegionFactory(code="310114")))
    assert "瑞安市经信局" not in client.get(URL).content.decode()
    assert Challenge.objects.filter(proposer=department).count() == 0
