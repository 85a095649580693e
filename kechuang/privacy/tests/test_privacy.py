"""Personal information (PIPL): a person downloads everything tied to their account, deletes the account
(removing what exists only for them, anonymising the row that records kept for the record point at), and
notification bodies older than the retention period are emptied by the clock."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.utils import timezone

from kechuang.accounts.models import ApiToken, Membership
from kechuang.accounts.services import create_api_token, revoke_api_token
from kechuang.accounts.tests.scenario import PASSWORD, build_world
from kechuang.core import clock
from kechuang.core.actions import Refused
from kechuang.core.audit import record
from kechuang.core.models import AuditEntry
from kechuang.demands.factories import DemandFactory, EngagementFactory
from kechuang.directory.factories import ExpertFactory, ExpertWorkFactory
from kechuang.directory.models import Expert
from kechuang.notifications.models import Notification
from kechuang.privacy import services
from kechuang.privacy.models import PersonalDataRequest

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def notification(user, body="您的需求已发布", **fields) -> Notification:
    return Notification.objects.create(
        recipient=user,
        event="demands.demand.approve",
        key=f"k{Notification.objects.count()}",
        title="需求已发布",
        body=body,
        body_params=None,
        **fields,
    )


@pytest.fixture
def world():
    world = build_world()
    member = world.member_a
    member.email, member.phone, member.display_name = "li@example.cn", "13900001111", "李工"
    member.save()
    world.expert = ExpertFactory(
        user=member, region=world.ruian, phone="13800002222", email="li@univ.example.cn"
    )
    world.work = ExpertWorkFactory(expert=world.expert, title="电机控制论文")
    world.demand = DemandFactory(organization=world.org_a, author=member, title="电驱控制需求")
    world.engagement = EngagementFactory(
        demand=DemandFactory(organization=world.org_b), expert=world.expert
    )
    world.note = notification(member)
    world.others_note = notification(world.member_b, body="别人的通知")
    world.by_them = record(member, "demands.demand.submit", world.demand, "提交需求")
    world.about_them = record(world.ruian_operator, "accounts.membership.grant", member, "授予成员")
    return world


def test_a_person_downloads_everything_tied_to_their_account(world):
    response = client_for(world.member_a).get("/privacy/my-data.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="personal-data-')
    data = json.loads(response.content)
    assert data["account"]["username"] == "member_a"
    assert (data["account"]["email"], data["account"]["phone"]) == ("li@example.cn", "13900001111")
    sections = {s["model"]: s["rows"] for s in data["records"]}
    assert [r["organization_id"] for r in sections["accounts.membership"]] == [world.org_a.pk]
    assert [r["title"] for r in sections["demands.demand"]] == ["电驱控制需求"]
    assert [r["id"] for r in sections["demands.engagement"]] == [world.engagement.pk]
    assert [r["phone"] for r in sections["directory.expert"]] == ["13800002222"]
    assert [r["title"] for r in sections["directory.expertwork"]] == ["电机控制论文"]
    assert [r["body"] for r in sections["notifications.notification"]] == ["您的需求已发布"]
    assert {r["id"] for r in sections["core.auditentry"]} == {world.by_them.pk, world.about_them.pk}
    assert "password" not in response.content.decode()
    assert "别人的通知" not in response.content.decode()
    request = PersonalDataRequest.objects.get()
    assert (request.kind, request.user, request.pseudonym) == (
        "export",
        world.member_a,
        f"U{world.member_a.pk:06d}",
    )
    assert request.outcome["exported"]["notifications.notification"] == 1
    assert (
        AuditEntry.objects.filter(
            action="privacy.data.export", target_id=str(world.member_a.pk)
        ).count()
        == 1
    )


def test_nobody_exports_another_person_s_data(world):
    with pytest.raises(PermissionDenied):
        services.export_personal_data(world.ruian_operator, world.member_a)
    assert PersonalDataRequest.objects.count() == 0
    assert Client().get("/privacy/my-data.json").status_code == 302


def test_a_wrong_password_or_missing_confirmation_deletes_nothing(world):
    client = client_for(world.member_a)
    for form in ({"password": "wrong", "confirm": "注销"}, {"password": PASSWORD, "confirm": ""}):
        assert client.post("/privacy/delete/", form).status_code == 302
    member = type(world.member_a).objects.get(pk=world.member_a.pk)
    assert (member.username, member.email, member.is_active) == ("member_a", "li@example.cn", True)
    assert member.check_password(PASSWORD)
    assert Notification.objects.filter(recipient=member).count() == 1
    assert Membership.objects.filter(user=member).count() == 1
    assert PersonalDataRequest.objects.count() == 0
    assert not AuditEntry.objects.filter(action="privacy.account.delete").exists()
    assert client.get("/privacy/delete/").status_code == 405


def test_deleting_an_account_removes_the_rest_and_anonymises_what_stays(world):
    client = client_for(world.member_a)
    response = client.post("/privacy/delete/", {"password": PASSWORD, "confirm": "注销"})
    assert response.status_code == 302
    member = type(world.member_a).objects.get(pk=world.member_a.pk)
    code = f"U{member.pk:06d}"
    assert (member.username, member.display_name, member.email, member.phone) == (
        f"deleted-{member.pk}",
        f"已注销用户 {code}",
        "",
        "",
    )
    assert (member.is_active, member.has_usable_password()) == (False, False)
    # removed
    assert Notification.objects.filter(recipient=member).count() == 0
    assert Membership.objects.filter(user=member).count() == 0
    assert world.expert.works.count() == 0
    expert = Expert.objects.get(pk=world.expert.pk)
    assert (
        expert.user,
        expert.name,
        expert.phone,
        expert.email,
        expert.profile,
        expert.status,
    ) == (
        None,
        "已注销专家",
        "",
        "",
        "",
        "archived",
    )
    # kept for the record, pointing at the pseudonymous account
    world.demand.refresh_from_db()
    assert world.demand.author_id == member.pk
    world.by_them.refresh_from_db()
    assert world.by_them.actor_id == member.pk
    world.engagement.refresh_from_db()
    assert world.engagement.expert_id == expert.pk
    # other people's data untouched
    assert Notification.objects.filter(pk=world.others_note.pk, body="别人的通知").exists()
    request = PersonalDataRequest.objects.get(kind="deletion")
    assert (request.user_id, request.pseudonym) == (member.pk, code)
    assert request.outcome["removed"] == {
        "notifications": 1,
        "memberships": 1,
        "expert_works": 1,
        "login_records": 0,
        "api_tokens": 0,
    }
    entry = AuditEntry.objects.get(action="privacy.account.delete")
    assert (entry.actor_id, entry.target_id) == (member.pk, str(member.pk))
    # the session ended
    assert client.get("/privacy/").status_code == 302


def test_deleting_an_account_revokes_its_api_tokens(world):
    member = world.member_a
    token, secret = create_api_token(member, name="集成", scopes=["demands:read"])
    spent, _spent_secret = create_api_token(member, name="旧", scopes=["demands:read"])
    revoke_api_token(member, spent, now=timezone.now() - datetime.timedelta(days=1))
    spent.refresh_from_db()
    others, others_secret = create_api_token(world.member_b, name="别人", scopes=["demands:read"])
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert Client().get("/api/demands/", **bearer).status_code == 200

    services.delete_account(member, member, password=PASSWORD)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.get(pk=spent.pk).revoked_at == spent.revoked_at  # kept as it was
    assert ApiToken.objects.get(pk=others.pk).revoked_at is None
    request = PersonalDataRequest.objects.get(kind="deletion")
    assert request.outcome["removed"]["api_tokens"] == 1
    assert Client().get("/api/demands/", **bearer).status_code == 401
    # even an account an administrator reactivates does not bring its old tokens back
    type(member).objects.filter(pk=member.pk).update(is_active=True)
    assert Client().get("/api/demands/", **bearer).status_code == 401
    others_bearer = {"HTTP_AUTHORIZATION": f"Bearer {others_secret}"}
    assert Client().get("/api/demands/", **others_bearer).status_code == 200


def test_operators_cannot_delete_their_own_account_while_they_hold_a_mandate(world):
    operator = world.ruian_operator
    with pytest.raises(Refused):
        services.delete_account(operator, operator, password=PASSWORD)
    page = client_for(operator).get("/privacy/")
    assert page.status_code == 200 and not page.context["may_delete"]
    client_for(operator).post("/privacy/delete/", {"password": PASSWORD, "confirm": "注销"})
    operator.refresh_from_db()
    assert (operator.username, operator.is_active) == ("ruian_op", True)
    with pytest.raises(PermissionDenied):
        services.delete_account(operator, world.member_a, password=PASSWORD)


def test_operators_see_the_requests_by_pseudonym(world):
    services.delete_account(world.member_a, world.member_a, password=PASSWORD)
    page = client_for(world.ruian_operator).get("/privacy/requests/")
    assert page.status_code == 200
    assert [r.pseudonym for r in page.context["page"].object_list] == [f"U{world.member_a.pk:06d}"]
    assert "li@example.cn" not in page.content.decode()
    assert client_for(world.member_b).get("/privacy/requests/").status_code == 403


@override_settings(NOTIFICATION_BODY_RETENTION_DAYS=180)
def test_the_clock_empties_notification_bodies_older_than_the_retention(world):
    now = timezone.now()
    old = notification(
        world.member_b, body="旧的正文", created_at=now - datetime.timedelta(days=181)
    )
    Notification.objects.filter(pk=old.pk).update(body_params={"name": "李工"})
    recent = notification(
        world.member_b, body="近期正文", created_at=now - datetime.timedelta(days=179)
    )
    assert services.purge_notification_bodies(now) == 1
    old.refresh_from_db(), recent.refresh_from_db()
    assert (old.body, old.body_params, old.title) == ("", None, "需求已发布")
    assert (recent.body, recent.body_params) == ("近期正文", None)
    assert services.purge_notification_bodies(now) == 0  # idempotent
    assert AuditEntry.objects.filter(action="privacy.notification.purge").count() == 1
    job = next(j for j in clock.JOBS if j.name == "notifications.purge")
    assert job.period == datetime.timedelta(days=1)
    assert clock.tick(now, [job]) == {"notifications.purge": "done"}
