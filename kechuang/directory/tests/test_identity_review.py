"""A member's change of a published organisation's name, kind or credit code goes back to review before it
is live (those fields decide 揭榜 eligibility and name every record the organisation owns); other edits
and an operator's own edits stay live."""

import pytest
from django.urls import reverse

from kechuang.accounts.tests.scenario import build_world
from kechuang.core.models import AuditEntry
from kechuang.directory import services
from kechuang.directory.factories import make_credit_code
from kechuang.directory.models import Organization, Status


@pytest.fixture
def world(db):
    return build_world()


def form_data(org: Organization, **changes) -> dict:
    data = {
        "name": org.name,
        "credit_code": org.credit_code,
        "kind": org.kind,
        "region": org.region_id,
        "description": org.description,
        "main_products": org.main_products,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "瑞安汽配集团有限公司"),
        ("kind", "university"),
        ("credit_code", make_credit_code(9876)),
    ],
)
def test_a_members_identity_change_goes_to_review(client, world, field, value):
    org = world.org_a
    client.force_login(world.member_a)
    url = reverse("manage:edit", args=["organization", org.pk])
    response = client.post(url, form_data(org, **{field: value}), follow=True)
    assert response.status_code == 200
    assert "需经运营方审核后重新发布" in response.content.decode()
    org.refresh_from_db()
    assert getattr(org, field) == value
    assert org.status == Status.PENDING
    assert not Organization.objects.published().filter(pk=org.pk).exists()
    assert AuditEntry.objects.filter(action="directory.record.edit_for_review").count() == 1
    # Anonymous visitors no longer see it until an operator approves.
    client.logout()
    assert client.get(f"/api/directory/organization/{org.pk}").status_code == 404
    services.approve(world.ruian_operator, org)
    assert client.get(f"/api/directory/organization/{org.pk}").status_code == 200


def test_other_member_edits_stay_live(client, world):
    org = world.org_a
    client.force_login(world.member_a)
    url = reverse("manage:edit", args=["organization", org.pk])
    client.post(url, form_data(org, main_products="电机控制器、电控气源"))
    org.refresh_from_db()
    assert org.main_products == "电机控制器、电控气源" and org.status == Status.PUBLISHED


def test_an_operators_identity_edit_stays_live(world):
    org = world.org_a
    org.name = "瑞安汽配集团有限公司"
    services.save_record(world.ruian_operator, org)
    org.refresh_from_db()
    assert org.status == Status.PUBLISHED and org.name == "瑞安汽配集团有限公司"


def test_an_organisation_under_review_cannot_take_a_challenge(world):
    from kechuang.challenges.factories import ChallengeFactory
    from kechuang.challenges.services import eligibility_problems

    org = world.org_a
    challenge = ChallengeFactory()
    assert eligibility_problems(challenge, org) == []
    org.name = "瑞安汽配集团有限公司"
    services.save_record(world.member_a, org)
    org.refresh_from_db()
    assert eligibility_problems(challenge, org) == [
        "瑞安汽配集团有限公司 的机构信息修改正在审核中，审核通过后方可揭榜"
    ]
