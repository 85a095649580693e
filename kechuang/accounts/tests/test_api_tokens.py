"""API tokens: created on a page (shown once, stored hashed), scoped by the person's roles, revocable,
every creation and revocation audited."""

import datetime
import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kechuang.accounts import services
from kechuang.accounts.models import ApiToken
from kechuang.accounts.tests.scenario import build_world
from kechuang.accounts.tokens import ALL_SCOPES, allowed_scopes
from kechuang.core.actions import Refused
from kechuang.core.models import AuditEntry
from kechuang.directory.factories import ExpertFactory

READS = [s for s in ALL_SCOPES if s.endswith(":read")]


@pytest.fixture
def world(db):
    return build_world()


def state():
    return list(ApiToken.objects.values()), AuditEntry.objects.count()


def test_scopes_follow_the_roles(world):
    assert allowed_scopes(world.outsider) == READS
    member = set(allowed_scopes(world.member_a)) - set(READS)
    assert member == {
        f"{c}:write"
        for c in (
            "directory",
            "demands",
            "challenges",
            "vouchers",
            "booking",
            "auctions",
            "contracts",
        )
    }
    assert allowed_scopes(world.ruian_operator) == list(ALL_SCOPES)
    ExpertFactory(user=world.outsider, region=world.ruian)
    world.outsider.__dict__.pop("_kechuang_roles", None)
    assert set(allowed_scopes(world.outsider)) - set(READS) == {
        "directory:write",
        "demands:write",
        "challenges:write",
    }


def test_a_token_is_stored_hashed_and_audited(world):
    token, secret = services.create_api_token(
        world.member_a, name=" 统计系统 ", scopes=["demands:write", "directory:read"]
    )
    assert secret.startswith("kc_") and len(secret) == 46
    row = ApiToken.objects.get(pk=token.pk)
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values()))
    assert (row.name, row.scopes, row.prefix) == (
        "统计系统",
        ["directory:read", "demands:write"],
        secret[:9],
    )
    entry = AuditEntry.objects.get(action="accounts.token.create")
    assert (entry.actor, entry.target_id) == (world.member_a, str(token.pk))
    assert entry.data["scopes"] == ["directory:read", "demands:write"]
    assert secret not in str(entry.data) + entry.summary
    assert services.authenticate_token(secret) == row
    assert services.authenticate_token(secret + "x") is None


@pytest.mark.parametrize(
    ("who", "fields", "error"),
    [
        ("outsider", {"scopes": ["demands:write"]}, PermissionDenied),
        ("member_a", {"scopes": ["indicators:write"]}, PermissionDenied),
        ("member_a", {"scopes": ["nonsense:read"]}, PermissionDenied),
        ("member_a", {"scopes": []}, Refused),
        ("member_a", {"name": "  "}, Refused),
        ("member_a", {"name": "长" * 61}, Refused),
        ("member_a", {"expires_at": "past"}, Refused),
        ("member_a", {"expires_at": "far"}, Refused),
    ],
)
def test_a_refused_token_leaves_nothing(world, who, fields, error):
    now = timezone.now()
    fields = {"name": "集成", "scopes": ["demands:read"], **fields}
    if fields.get("expires_at") == "past":
        fields["expires_at"] = now - datetime.timedelta(minutes=1)
    elif fields.get("expires_at") == "far":
        fields["expires_at"] = now + datetime.timedelta(days=3 * 366)
    before = state()
    with pytest.raises(error):
        services.create_api_token(getattr(world, who), **fields)
    assert state() == before


def test_revocation_is_the_owners_once_and_audited(world):
    token, secret = services.create_api_token(world.member_a, name="集成", scopes=["demands:read"])
    before = state()
    with pytest.raises(PermissionDenied):
        services.revoke_api_token(world.member_b, token)
    assert state() == before
    services.revoke_api_token(world.member_a, token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert (
        AuditEntry.objects.filter(action="accounts.token.revoke", actor=world.member_a).count() == 1
    )
    assert services.authenticate_token(secret) is None
    before = state()
    with pytest.raises(Refused):
        services.revoke_api_token(world.member_a, token)
    assert state() == before


def test_the_token_page_shows_the_secret_once(world, client):
    client.force_login(world.member_a)
    page = client.get("/accounts/tokens/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="demands:write"' in body and 'value="indicators:write"' not in body
    response = client.post(
        "/accounts/tokens/",
        {"name": "区科技局统计系统", "scopes": ["demands:write", "directory:read"], "expiry": "90"},
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=world.member_a)
    secret = response.context["secret"]
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store, private"
    assert token.expires_at - timezone.now() > datetime.timedelta(days=89)
    again = client.get("/accounts/tokens/").content.decode()
    assert secret not in again and "区科技局统计系统" in again and token.prefix in again
    # a scope beyond the person's roles, posted by hand: refused, nothing created
    before = state()
    refused = client.post(
        "/accounts/tokens/", {"name": "越权", "scopes": ["indicators:write"], "expiry": ""}
    )
    assert refused.status_code == 400 and "超出" in refused.content.decode()
    assert state() == before
    # someone else's token cannot be revoked from the page
    client.force_login(world.member_b)
    before = state()
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert state() == before
    client.force_login(world.member_a)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_the_token_page_needs_a_sign_in(client, db):
    response = client.get("/accounts/tokens/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
