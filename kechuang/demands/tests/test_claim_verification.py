"""An address typed onto an expert's profile by an institution's member proves nothing about who the
expert is: the holder of an answer link sent to it may answer that one request, but may not claim the
expert's login with it. Once the region's operator saves the address, it is vouched for and may."""

import re

import pytest

from kechuang.accounts.factories import MembershipFactory, UserFactory
from kechuang.accounts.models import User
from kechuang.core.models import AuditEntry
from kechuang.demands import services
from kechuang.demands.models import AnswerLink, Engagement
from kechuang.directory import services as directory_services
from kechuang.directory.factories import ExpertFactory
from kechuang.directory.models import Expert

LINK = re.compile(r"https://kc\.example\.cn(/demands/engagements/(\d+)/answer/([\w-]+)/)")
PASSWORD = "Kechuang-Claim-2026"
ATTACKER = "attacker@evil.example.cn"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://kc.example.cn/"


@pytest.fixture
def zhou(world):
    """周工 of 温州大学, without a login; a member of the university edits his profile's e-mail."""
    expert = ExpertFactory(
        name="周工",
        user=None,
        email="zhou@wzu.example.cn",
        affiliation=world.expert.affiliation,
        region=world.district,
    )
    member = UserFactory(username="wzu_member")
    MembershipFactory(user=member, organization=expert.affiliation)
    expert.email = ATTACKER
    directory_services.save_record(member, expert)
    return Expert.objects.get(pk=expert.pk)


def request_path(world, demand, expert, mailoutbox, capture) -> tuple[Engagement, str]:
    with capture(execute=True):
        engagement = services.request_engagement(world.owner, demand, "expert", expert.pk, "您好")
    (mail,) = [m for m in mailoutbox if m.to == [expert.email]]
    return engagement, LINK.search(mail.body).group(1)


def test_a_members_address_cannot_claim_the_experts_login(
    world, published_demand, zhou, client, mailoutbox, django_capture_on_commit_callbacks
):
    assert zhou.email == ATTACKER and zhou.email_verified is False
    engagement, path = request_path(
        world, published_demand, zhou, mailoutbox, django_capture_on_commit_callbacks
    )
    page = client.get(path).content.decode()
    assert 'id="claim-form"' not in page
    response = client.post(path, {"action": "claim", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 200
    assert "尚未经运营方核实" in response.content.decode()
    zhou.refresh_from_db()
    assert zhou.user is None
    assert not User.objects.filter(username=ATTACKER).exists()
    assert AnswerLink.objects.get().used_at is None
    assert not AuditEntry.objects.filter(action="expert.claim").exists()
    assert "_auth_user_id" not in client.session
    # Answering the one request still works.
    client.post(path, {"action": "decline", "reason": "没时间"})
    assert Engagement.objects.get(pk=engagement.pk).status == Engagement.Status.DECLINED


def test_an_operator_saving_the_address_vouches_for_it(
    world, published_demand, zhou, client, mailoutbox, django_capture_on_commit_callbacks
):
    zhou.email = "zhou.new@wzu.example.cn"
    directory_services.save_record(world.operator, zhou)
    zhou.refresh_from_db()
    assert zhou.email_verified is True
    _engagement, path = request_path(
        world, published_demand, zhou, mailoutbox, django_capture_on_commit_callbacks
    )
    assert 'id="claim-form"' in client.get(path).content.decode()
    response = client.post(path, {"action": "claim", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    zhou.refresh_from_db()
    assert zhou.user.username == "zhou.new@wzu.example.cn"


def test_a_members_other_edit_keeps_a_vouched_address(world):
    expert = ExpertFactory(email="li@wzu.example.cn", affiliation=world.expert.affiliation)
    member = UserFactory(username="wzu_member2")
    MembershipFactory(user=member, organization=expert.affiliation)
    expert.phone = "13900009999"
    directory_services.save_record(member, expert)
    expert.refresh_from_db()
    assert expert.email_verified is True  # the address itself did not change
