"""Signing in and out through the login page."""

import pytest
from django.urls import reverse

from kechuang.accounts.tests.scenario import PASSWORD, person


@pytest.fixture
def member(db):
    return person("zhang_san")


def test_login_page_is_chinese(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "<title>登录" in response.text
    assert 'name="username"' in response.text
    assert 'name="password"' in response.text


def test_wrong_password_is_refused_in_chinese(client, member):
    response = client.post(
        reverse("accounts:login"), {"username": "zhang_san", "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "form-errors" in response.text
    assert "请输入一个正确的" in response.text
    assert "_auth_user_id" not in client.session


def test_login_goes_to_next_and_logout_signs_out(client, member):
    response = client.post(
        reverse("accounts:login"),
        {"username": "zhang_san", "password": PASSWORD, "next": reverse("manage:dashboard")},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:dashboard")
    assert client.session["_auth_user_id"] == str(member.pk)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_refuses_an_offsite_next(client, member):
    response = client.post(
        reverse("accounts:login"),
        {"username": "zhang_san", "password": PASSWORD, "next": "https://evil.example.com/"},
    )
    assert response.status_code == 302
    assert "evil.example.com" not in response["Location"]
