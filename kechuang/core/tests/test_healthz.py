"""``/healthz`` for load balancers: database and cache checked, no login, no session, never cached."""

import pytest


@pytest.mark.django_db
def test_healthy_instance_answers_200_without_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"]
    assert "Set-Cookie" not in response.headers and not response.cookies
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_cache_that_does_not_keep_values_makes_it_unhealthy(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    from django.core.cache import caches

    caches._settings = None
    try:
        response = client.get("/healthz")
    finally:
        caches._settings = None
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"ok": False, "error": "RuntimeError"}
    assert response.json()["checks"]["database"]["ok"] is True


def test_a_database_that_does_not_answer_makes_it_unhealthy(client, settings, tmp_path):
    """No database access allowed in this test: pytest-django refuses the query like a dead server."""
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"]["ok"] is False


def test_only_get(client, db):
    assert client.post("/healthz").status_code == 405
