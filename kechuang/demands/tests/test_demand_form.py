"""The demand form as people see it: grouped fields with prompts and an example, required markers, grouped
and filterable technical fields, Chinese messages next to the fields, and nothing saved when refused."""

import re

from kechuang.accounts.factories import MembershipFactory
from kechuang.core.factories import IndustryChainFactory, TechFieldFactory
from kechuang.core.models import AuditEntry
from kechuang.demands.factories import DemandFactory
from kechuang.demands.models import Demand
from kechuang.directory.factories import OrganizationFactory


def form_html(client) -> str:
    response = client.get("/demands/new/")
    assert response.status_code == 200
    return response.content.decode()


def test_form_is_grouped_with_prompts_required_markers_and_an_example(world, client):
    IndustryChainFactory(name="汽车零部件")
    engineering = TechFieldFactory(name="工学")
    TechFieldFactory(name="材料科学与工程", parent=engineering)
    client.force_login(world.owner)
    html = form_html(client)
    assert re.findall(r"<legend>([^<]+)</legend>", html) == [
        "要解决的问题",
        "所属领域",
        "预算、期限与合作方式",
        "联系方式与公开范围",
    ]
    assert "---------" not in html
    assert "请选择所属产业链（选填）" in html and "请选择技术领域（选填）" in html
    # one enterprise: shown by name, not asked for
    assert f'<input type="hidden" name="organization" value="{world.enterprise.pk}"' in html
    assert "需求企业：<strong>瑞安汽车电机有限公司</strong>" in html
    required = re.findall(r'<label for="id_(\w+)">[^<]+<span class="required-mark"', html)
    assert required == ["title", "description", "visibility"]
    assert 'placeholder="例如：汽车制动阀铝合金压铸件气孔缺陷控制"' in html
    assert "3. 目标指标：希望达到的参数" in html  # the description's prompt
    assert "看一个写得好的需求" in html and "200 万次循环无泄漏" in html
    # the technical fields are grouped by category and filterable
    select = re.search(r'<select name="field"[^>]*>', html).group(0)
    assert ' data-searchable="" ' in select and 'data-search-label="筛选技术领域"' in select
    assert '<optgroup label="工学">' in html
    assert f'<option value="{engineering.pk}">工学（整个大类）</option>' in html
    # a category whose one discipline bears its name is one option, not two that read alike
    philosophy = TechFieldFactory(name="哲学")
    discipline = TechFieldFactory(name="哲学", parent=philosophy)
    group = re.search(r'<optgroup label="哲学">(.*?)</optgroup>', form_html(client), re.S).group(1)
    assert re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', group) == [
        (str(discipline.pk), "哲学")
    ]
    assert "demands/searchable-select" in html


def test_enterprise_with_two_organisations_chooses_one(world, client):
    second = OrganizationFactory(name="瑞安第二公司", region=world.district)
    MembershipFactory(user=world.owner, organization=second)
    client.force_login(world.owner)
    html = form_html(client)
    assert '<option value="" selected>请选择发布需求的企业</option>' not in html  # preselected
    assert '<select name="organization"' in html and "瑞安第二公司" in html


def test_missing_and_wrong_values_get_chinese_messages_and_nothing_is_saved(world, client):
    client.force_login(world.owner)
    response = client.post(
        "/demands/new/",
        {
            "organization": world.enterprise.pk,
            "title": "",
            "description": "",
            "budget_min": "五十万",
            "budget_max": "",
            "deadline": "2026/13/40",
            "visibility": "public",
            "contact_email": "not-an-email",
            "submit": "1",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors == {
        "title": ["请填写需求名称。"],
        "description": ["请描述要解决的问题、现状和目标指标。"],
        "budget_min": ["请输入金额数字，例如 300000。"],
        "deadline": ["请选择有效的日期。"],
        "contact_email": ["请输入有效的邮箱地址。"],
    }
    html = response.content.decode()
    assert "请按提示修改标红的内容后再保存。" in html
    assert '<span class="field-errors">请填写需求名称。</span>' in html
    assert not Demand.objects.exists() and not AuditEntry.objects.exists()


def test_reversed_budget_is_refused_on_the_field(world, client):
    client.force_login(world.owner)
    response = client.post(
        "/demands/new/",
        {
            "organization": world.enterprise.pk,
            "title": "注塑件翘曲",
            "description": "翘曲 0.5 mm",
            "budget_min": "600000",
            "budget_max": "300000",
            "visibility": "public",
        },
    )
    assert response.context["form"].errors == {"budget_max": ["预算上限不能低于下限。"]}
    assert not Demand.objects.exists()


def test_a_good_demand_is_saved_with_its_field_and_the_edit_form_shows_iso_dates(world, client):
    engineering = TechFieldFactory(name="工学")
    materials = TechFieldFactory(name="材料科学与工程", parent=engineering)
    client.force_login(world.owner)
    response = client.post(
        "/demands/new/",
        {
            "organization": world.enterprise.pk,
            "title": "注塑件翘曲变形控制",
            "description": "翘曲 0.5 mm,目标 0.1 mm 以内。",
            "field": str(materials.pk),
            "budget_min": "300000",
            "budget_max": "600000",
            "deadline": "2027-08-03",
            "cooperation_modes": ["development", "consulting"],
            "visibility": "public",
            "submit": "0",
        },
        follow=True,
    )
    demand = Demand.objects.get()
    assert (demand.status, demand.field, str(demand.deadline)) == ("draft", materials, "2027-08-03")
    html = response.content.decode()
    assert "草稿已保存。" in html and 'data-step="submit" aria-current="step"' in html
    edit = client.get(f"/demands/{demand.pk}/edit/").content.decode()
    assert '<input type="date" name="deadline" value="2027-08-03"' in edit
    assert f'<option value="{materials.pk}" selected>材料科学与工程</option>' in edit


def test_a_demand_of_a_one_discipline_category_keeps_it_on_its_edit_form(world, client):
    """哲学 is offered by its one discipline alone; a demand filed under the category itself (before,
    or through the API) still finds it selected when edited, so saving does not drop it."""
    philosophy = TechFieldFactory(name="哲学")
    TechFieldFactory(name="哲学", parent=philosophy)
    demand = DemandFactory(organization=world.enterprise, region=world.district, field=philosophy)
    client.force_login(world.owner)
    edit = client.get(f"/demands/{demand.pk}/edit/").content.decode()
    assert f'<option value="{philosophy.pk}" selected>哲学（整个大类）</option>' in edit
