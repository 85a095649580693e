"""The Django admin as operators use it: scoped to their regions, in Chinese, review actions via services."""

import datetime

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from kechuang.accounts.models import OperatorMandate, User
from kechuang.accounts.tests.scenario import build_world, person
from kechuang.core.models import AuditEntry
from kechuang.directory.factories import (
    ExpertFactory,
    ExpertWorkFactory,
    InstrumentFactory,
    ServiceItemFactory,
)
from kechuang.directory.models import Organization, ServiceItem, Status, TierRecord


@pytest.fixture
def world(db):
    return build_world()


def changelist(model) -> str:
    return reverse(f"admin:directory_{model._meta.model_name}_changelist")


def change(obj) -> str:
    return reverse(f"admin:directory_{obj._meta.model_name}_change", args=[obj.pk])


def organization_form(org, **changes) -> dict:
    data = {
        "name": org.name,
        "credit_code": org.credit_code,
        "kind": org.kind,
        "tier": org.tier,
        "region": org.region_id,
        "description": org.description,
        "tier_records-TOTAL_FORMS": "0",
        "tier_records-INITIAL_FORMS": "0",
        "tier_records-MIN_NUM_FORMS": "0",
        "tier_records-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_admin_index_is_chinese_and_shows_the_directory_to_operators(client, world):
    client.force_login(world.ruian_operator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "科创平台管理" in response.text
    assert "大型仪器" in response.text
    assert reverse("admin:directory_instrument_changelist") in response.text
    assert reverse("admin:accounts_user_changelist") not in response.text
    assert reverse("admin:accounts_operatormandate_changelist") not in response.text


def test_operator_sees_only_their_regions_records(client, world):
    InstrumentFactory(owner=world.org_a, name="瑞安的显微镜")
    InstrumentFactory(owner=world.org_b, name="嘉定的显微镜")
    client.force_login(world.ruian_operator)
    response = client.get(changelist(InstrumentFactory._meta.model))
    assert response.status_code == 200
    assert "瑞安的显微镜" in response.text
    assert "嘉定的显微镜" not in response.text


def test_superuser_sees_every_region(client, world):
    InstrumentFactory(owner=world.org_a, name="瑞安的显微镜")
    InstrumentFactory(owner=world.org_b, name="嘉定的显微镜")
    client.force_login(person("root", is_staff=True, is_superuser=True))
    response = client.get(changelist(InstrumentFactory._meta.model))
    assert "瑞安的显微镜" in response.text
    assert "嘉定的显微镜" in response.text


def test_operator_cannot_open_or_change_another_regions_record(client, world):
    client.force_login(world.ruian_operator)
    org = world.org_b
    assert client.get(change(org)).status_code in (302, 403, 404)
    response = client.post(change(org), organization_form(org, name="被改名"))
    assert response.status_code in (302, 403, 404)
    org.refresh_from_db()
    assert org.name == "嘉定检测中心"
    assert not AuditEntry.objects.exists()


def test_operator_edits_their_regions_record_through_the_service(client, world):
    client.force_login(world.ruian_operator)
    org = world.org_a
    response = client.post(change(org), organization_form(org, name="瑞安汽配股份有限公司"))
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "瑞安汽配股份有限公司"
    assert org.status == Status.PUBLISHED
    entry = AuditEntry.objects.get(target_type="directory.organization", target_id=str(org.pk))
    assert (entry.action, entry.actor, entry.data["fields"]) == (
        "directory.record.edit",
        world.ruian_operator,
        ["name"],
    )


def test_operator_cannot_move_a_record_to_another_region(client, world):
    client.force_login(world.ruian_operator)
    org = world.org_a
    response = client.post(change(org), organization_form(org, region=world.jiading.pk))
    assert response.status_code == 200  # the form is shown again with the error
    assert "errornote" in response.text
    org.refresh_from_db()
    assert org.region == world.ruian


def test_cultivation_steps_are_read_only_in_the_admin(client, world):
    """Steps are recorded on the cultivation ladder through the service (upward only, audited); the
    admin shows them and a posted inline row changes nothing."""
    TierRecord.objects.create(
        organization=world.org_a, tier="tech_sme", recognized_on=datetime.date(2024, 5, 1)
    )
    client.force_login(world.ruian_operator)
    org = world.org_a
    page = client.get(change(org)).text
    assert "2024年5月1日" in page and "在“梯次培育”页面登记" in page
    assert 'name="tier_records-0-tier"' not in page
    before = (list(TierRecord.objects.values_list("tier", "recognized_on")), org.tier)
    data = organization_form(
        org,
        **{
            "tier_records-TOTAL_FORMS": "2",
            "tier_records-INITIAL_FORMS": "1",
            "tier_records-1-tier": "leader",
            "tier_records-1-recognized_on": "2030-01-01",
        },
    )
    client.post(change(org), data)
    org.refresh_from_db()
    assert (list(TierRecord.objects.values_list("tier", "recognized_on")), org.tier) == before


def test_expert_change_form_shows_works_inline(client, world):
    expert = ExpertFactory(affiliation=world.org_a, region=world.ruian)
    ExpertWorkFactory(expert=expert, title="永磁同步电机控制")
    client.force_login(world.ruian_operator)
    response = client.get(change(expert))
    assert response.status_code == 200
    assert "永磁同步电机控制" in response.text
    assert 'name="user"' not in response.text  # linking accounts is for superusers


def post_action(client, model, action, records, **extra):
    return client.post(
        changelist(model),
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [r.pk for r in records], **extra},
    )


def test_approve_action_publishes_through_the_service(client, world):
    items = ServiceItemFactory.create_batch(2, provider=world.org_a, status=Status.PENDING)
    client.force_login(world.ruian_operator)
    response = post_action(client, ServiceItem, "approve_selected", items)
    assert response.status_code == 302
    assert set(ServiceItem.objects.values_list("status", flat=True)) == {Status.PUBLISHED}
    assert AuditEntry.objects.filter(action="directory.record.approve").count() == 2


def test_approve_action_ignores_another_regions_records(client, world):
    ours = ServiceItemFactory(provider=world.org_a, status=Status.PENDING)
    theirs = ServiceItemFactory(provider=world.org_b, status=Status.PENDING)
    client.force_login(world.ruian_operator)
    post_action(client, ServiceItem, "approve_selected", [ours, theirs])
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.status, theirs.status) == (Status.PUBLISHED, Status.PENDING)
    assert not AuditEntry.objects.filter(target_id=str(theirs.pk)).exists()


def test_approve_action_reports_a_forbidden_transition(client, world):
    draft = ServiceItemFactory(provider=world.org_a, status=Status.DRAFT, title="草稿服务")
    client.force_login(world.ruian_operator)
    response = post_action(client, ServiceItem, "approve_selected", [draft])
    page = client.get(response["Location"])
    assert "草稿服务：只有待审核的记录可以批准发布" in page.text
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_return_action_asks_for_a_reason(client, world):
    item = ServiceItemFactory(provider=world.org_a, status=Status.PENDING)
    client.force_login(world.ruian_operator)
    response = post_action(client, ServiceItem, "return_selected", [item])
    assert response.status_code == 200
    assert "以下记录将退回给提交方" in response.text
    response = post_action(client, ServiceItem, "return_selected", [item], apply="1", reason="")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.status == Status.PENDING
    response = post_action(
        client, ServiceItem, "return_selected", [item], apply="1", reason="缺少资质证明"
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.review_note) == (Status.RETURNED, "缺少资质证明")


def test_operator_cannot_delete(client, world):
    item = ServiceItemFactory(provider=world.org_a)
    client.force_login(world.ruian_operator)
    url = reverse("admin:directory_serviceitem_delete", args=[item.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert ServiceItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_user_changelist",
        "admin:accounts_operatormandate_changelist",
        "admin:accounts_membership_changelist",
        "admin:core_auditentry_changelist",
        "admin:core_industrychain_changelist",
    ],
)
def test_operator_cannot_reach_users_mandates_or_reference_data(client, world, url_name):
    client.force_login(world.ruian_operator)
    assert client.get(reverse(url_name)).status_code == 403


def test_operator_cannot_grant_themselves_a_mandate(client, world):
    client.force_login(world.ruian_operator)
    response = client.post(
        reverse("admin:accounts_operatormandate_add"),
        {"user": world.ruian_operator.pk, "region": world.jiading.pk, "office": "嘉定区科协"},
    )
    assert response.status_code == 403
    assert OperatorMandate.objects.filter(user=world.ruian_operator).count() == 1


def test_operator_cannot_make_themselves_superuser(client, world):
    client.force_login(world.ruian_operator)
    url = reverse("admin:accounts_user_change", args=[world.ruian_operator.pk])
    assert client.post(url, {"username": "ruian_op", "is_superuser": "on"}).status_code == 403
    assert not User.objects.get(pk=world.ruian_operator.pk).is_superuser


def test_region_autocomplete_offers_only_managed_regions(client, world):
    client.force_login(world.wenzhou_operator)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "directory",
            "model_name": "organization",
            "field_name": "region",
            "term": "",
        },
    )
    assert response.status_code == 200
    names = sorted(result["text"] for result in response.json()["results"])
    assert names == ["温州市", "瑞安市"]


def test_member_without_mandate_cannot_use_the_admin(client, world):
    member = world.member_a
    member.is_staff = True
    member.save()
    client.force_login(member)
    assert client.get(changelist(Organization)).status_code == 403


def test_every_admin_page_opens_for_a_superuser(client, world):
    """Each registered model's change list, add form and a change form render (catches bad options)."""
    from django.contrib import admin

    ExpertWorkFactory(expert=ExpertFactory(affiliation=world.org_a, region=world.ruian))
    InstrumentFactory(owner=world.org_a)
    ServiceItemFactory(provider=world.org_a)
    client.force_login(person("root", is_staff=True, is_superuser=True))
    for model in admin.site._registry:
        if model._meta.app_label not in {"core", "accounts", "directory"}:
            continue
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.get(reverse(f"{prefix}_changelist")).status_code == 200, prefix
        add = client.get(reverse(f"{prefix}_add"))
        expected = 403 if model is AuditEntry else 200  # the audit log is read-only
        assert add.status_code == expected, prefix
        first = model._default_manager.first()
        if first is not None:
            response = client.get(reverse(f"{prefix}_change", args=[first.pk]))
            assert response.status_code == 200, prefix
