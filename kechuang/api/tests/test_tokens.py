"""API tokens at the API: a token acts as its owner within its scopes; a bad one answers 401 everywhere."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from kechuang.accounts import services
from kechuang.accounts.models import ApiToken
from kechuang.accounts.tests.scenario import build_world
from kechuang.core.models import AuditEntry
from kechuang.demands.models import Demand

DEMAND = {
    "title": "新能源汽车电机控制器散热",
    "description": "需要电机控制器散热方案。",
    "cooperation_modes": ["development"],
    "visibility": "public",
}


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def api():
    """A client that checks CSRF like a browser's would: a token needs no CSRF token, a session does."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def token_for(user, *scopes, **fields):
    return services.create_api_token(user, name="集成", scopes=list(scopes), **fields)


def post_demand(api, world, headers):
    body = {**DEMAND, "organization_id": world.org_a.pk}
    return api.post("/api/demands/", body, content_type="application/json", **headers)


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert set(body) == {"code", "detail", "errors"}
    assert body["detail"]


def test_a_write_token_acts_as_its_owner_without_csrf(world, api):
    _token, secret = token_for(world.member_a, "demands:write")
    response = post_demand(api, world, bearer(secret))
    assert response.status_code == 201, response.content
    demand = Demand.objects.get(pk=response.json()["id"])
    assert (demand.organization_id, demand.author_id) == (world.org_a.pk, world.member_a.pk)
    # write includes read
    assert api.get(f"/api/demands/{demand.pk}", **bearer(secret)).json()["id"] == demand.pk


def test_the_session_still_needs_csrf_and_anonymous_gets_401(world, api):
    assert_error(post_demand(api, world, {}), 401, "unauthorized")
    api.force_login(world.member_a)
    response = post_demand(api, world, {})
    assert_error(response, 403, "forbidden")
    assert Demand.objects.count() == 0


def test_a_read_token_cannot_write(world, api):
    _token, secret = token_for(world.member_a, "demands:read", "directory:write")
    response = post_demand(api, world, bearer(secret))
    assert_error(response, 403, "insufficient_scope")
    assert "demands:write" in response.json()["detail"]
    assert Demand.objects.count() == 0
    assert api.get("/api/demands/", **bearer(secret)).status_code == 200


def test_a_token_reaches_only_its_capabilities(world, api):
    _token, secret = token_for(world.member_a, "directory:read")
    assert_error(api.get("/api/demands/engagements", **bearer(secret)), 403, "insufficient_scope")
    assert api.get("/api/directory/organization/", **bearer(secret)).status_code == 200


def test_a_token_does_not_widen_its_owners_permissions(world, api):
    _token, secret = token_for(world.member_a, "demands:write")
    body = {**DEMAND, "organization_id": world.org_b.pk}  # member_a does not act for org_b
    response = api.post("/api/demands/", body, content_type="application/json", **bearer(secret))
    assert_error(response, 403, "forbidden")
    assert Demand.objects.count() == 0


@pytest.mark.parametrize("case", ["wrong", "revoked", "expired", "inactive", "basic", "empty"])
def test_bad_credentials_answer_401_and_change_nothing(world, api, case):
    now = timezone.now()
    token, secret = token_for(world.member_a, "demands:write")
    headers = bearer(secret)
    if case == "wrong":
        headers = bearer(secret[:-2] + ("AA" if not secret.endswith("AA") else "BB"))
    elif case == "revoked":
        services.revoke_api_token(world.member_a, token)
    elif case == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=now - datetime.timedelta(seconds=1))
    elif case == "inactive":
        type(world.member_a).objects.filter(pk=world.member_a.pk).update(is_active=False)
    elif case == "basic":
        headers = {"HTTP_AUTHORIZATION": "Basic bWVtYmVyX2E6cHc="}
    elif case == "empty":
        headers = bearer("")
    assert_error(post_demand(api, world, headers), 401, "unauthorized")
    # a public read too: bad credentials are never silently read as an anonymous visitor
    assert_error(api.get("/api/demands/", **headers), 401, "unauthorized")
    assert Demand.objects.count() == 0


def test_a_token_outranks_the_session_cookie(world, api):
    """The request runs as the token's owner, whoever the browser's session is."""
    _token, secret = token_for(world.member_b, "demands:write")
    api.force_login(world.member_a)
    response = post_demand(api, world, bearer(secret))  # member_b does not act for org_a
    assert_error(response, 403, "forbidden")
    assert Demand.objects.count() == 0


def test_use_is_stamped_at_most_once_a_minute(world, api):
    token, secret = token_for(world.member_a, "demands:read")
    assert token.last_used_at is None
    api.get("/api/demands/", **bearer(secret))
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    api.get("/api/demands/", **bearer(secret))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    assert AuditEntry.objects.filter(action="accounts.token.create").count() == 1


def test_the_schema_documents_tokens_and_401(client, db):
    spec = client.get("/api/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    create = spec["paths"]["/api/demands/"]["post"]
    assert create["security"] == [{"TokenAuth": []}, {"SessionAuth": []}]
    listing = spec["paths"]["/api/demands/"]["get"]
    assert listing["security"] == [{"TokenAuth": []}, {}]
    assert "401" in create["responses"] and "401" in listing["responses"]
