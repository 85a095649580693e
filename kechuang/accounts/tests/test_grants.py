"""Permission grants (memberships, operator mandates) change only through audited services — in the admin
too — and a refused grant changes nothing."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kechuang.accounts import services
from kechuang.accounts.factories import MembershipFactory, OperatorMandateFactory, UserFactory
from kechuang.accounts.models import Membership, OperatorMandate
from kechuang.core.actions import Refused
from kechuang.core.factories import RegionFactory
from kechuang.core.models import AuditEntry
from kechuang.directory.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def root():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def grants():
    """Every grant and the audit log, to show that a refusal changed nothing."""
    return (
        sorted(Membership.objects.values_list("user_id", "organization_id", "role")),
        sorted(OperatorMandate.objects.values_list("user_id", "region_id", "office")),
        AuditEntry.objects.count(),
    )


def test_an_organisation_admin_grants_changes_and_revokes_a_membership_with_audit_rows():
    firm = OrganizationFactory(name="瑞安电机")
    boss = MembershipFactory(organization=firm, role="admin").user
    clerk = UserFactory(username="clerk")
    membership = services.grant_membership(boss, clerk, firm)
    services.change_membership_role(boss, membership, "admin")
    services.revoke_membership(boss, membership)
    rows = AuditEntry.objects.filter(target_id=str(clerk.pk)).order_by("pk")
    assert [(r.action, r.actor_id, r.data) for r in rows] == [
        ("accounts.membership.grant", boss.pk, {"organization": firm.pk, "role": "member"}),
        (
            "accounts.membership.change",
            boss.pk,
            {"organization": firm.pk, "from": "member", "to": "admin"},
        ),
        ("accounts.membership.revoke", boss.pk, {"organization": firm.pk, "role": "admin"}),
    ]
    assert not Membership.objects.filter(user=clerk).exists()


def test_refused_grants_change_nothing(root):
    firm = OrganizationFactory()
    member = MembershipFactory(organization=firm, role="member").user
    stranger = UserFactory(username="stranger")
    region = RegionFactory(code="330300")
    operator = OperatorMandateFactory(region=region).user
    before = grants()
    with pytest.raises(PermissionDenied):  # an ordinary member manages no one
        services.grant_membership(member, stranger, firm)
    with pytest.raises(PermissionDenied):  # an operator cannot widen anyone's reach
        services.grant_mandate(operator, stranger, region)
    with pytest.raises(Refused):  # twice
        services.grant_membership(root, member, firm)
    with pytest.raises(Refused):
        services.grant_mandate(root, operator, region)
    with pytest.raises(Refused):
        services.grant_membership(root, stranger, firm, role="owner")
    assert grants() == before
    assert services.grant_membership.allowed(root, firm)
    assert not services.grant_membership.allowed(member, firm)


def test_the_admin_grants_and_revokes_through_the_services(client, root):
    firm = OrganizationFactory(name="温州大学")
    person = UserFactory(username="teacher")
    region = RegionFactory(code="330381", name="瑞安市")
    client.force_login(root)
    added = client.post(
        reverse("admin:accounts_membership_add"),
        {"user": person.pk, "organization": firm.pk, "role": "member"},
    )
    assert added.status_code == 302
    membership = Membership.objects.get(user=person)
    client.post(
        reverse("admin:accounts_operatormandate_add"),
        {"user": person.pk, "region": region.pk, "office": "瑞安市科协"},
    )
    mandate = OperatorMandate.objects.get(user=person)
    # the grantee and the organisation are fixed once granted; the role changes through the service
    client.post(
        reverse("admin:accounts_membership_change", args=[membership.pk]),
        {"user": UserFactory(username="other").pk, "organization": firm.pk, "role": "admin"},
    )
    membership.refresh_from_db()
    assert (membership.user, membership.role) == (person, "admin")
    client.post(reverse("admin:accounts_membership_delete", args=[membership.pk]), {"post": "yes"})
    client.post(
        reverse("admin:accounts_operatormandate_delete", args=[mandate.pk]), {"post": "yes"}
    )
    actions = list(
        AuditEntry.objects.filter(target_id=str(person.pk))
        .order_by("pk")
        .values_list("action", "actor_id")
    )
    assert actions == [
        ("accounts.membership.grant", root.pk),
        ("accounts.mandate.grant", root.pk),
        ("accounts.membership.change", root.pk),
        ("accounts.membership.revoke", root.pk),
        ("accounts.mandate.revoke", root.pk),
    ]
    assert not Membership.objects.filter(user=person).exists()
    assert not OperatorMandate.objects.filter(user=person).exists()


def test_memberships_edited_on_the_users_admin_page_are_audited(client, root):
    firm = OrganizationFactory(name="瑞安汽配")
    person = UserFactory(username="engineer")
    client.force_login(root)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    form = {
        "username": person.username,
        "display_name": person.display_name,
        "email": person.email,
        "language": "zh-hans",
        "is_active": "on",
        "date_joined_0": "2026-12-01",
        "date_joined_1": "10:00:00",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-0-organization": firm.pk,
        "memberships-0-role": "member",
        "mandates-TOTAL_FORMS": "0",
        "mandates-INITIAL_FORMS": "0",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.filter(user=person, organization=firm).exists()
    entry = AuditEntry.objects.get(action="accounts.membership.grant")
    assert (entry.actor, entry.target_id) == (root, str(person.pk))
