"""Signing in under attack: wrong passwords are throttled (django-axes), a forgotten password is reset by
an e-mailed single-use link, and private pages are never stored by browsers or proxies."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from kechuang.accounts.tests.scenario import PASSWORD, person

LOGIN = "/accounts/login/"


@pytest.fixture
def member(db):
    return person("zhang_san", email="zhang@motor.example.cn")


def attempt(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_wrong_passwords_lock_the_login_and_the_right_one_then_fails_too(client, member, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "zhang_san", "wrong-password").status_code == 200
    locked = attempt(client, "zhang_san", "wrong-password")
    assert locked.status_code == 429
    assert "登录尝试过多" in locked.content.decode()
    right = attempt(client, "zhang_san", PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked out by it.
    person("li_si")
    assert attempt(client, "li_si", PASSWORD).status_code == 302


def test_thirty_wrong_passwords_never_reach_a_login(client, member):
    statuses = {attempt(client, "zhang_san", f"guess-{n}").status_code for n in range(30)}
    assert attempt(client, "zhang_san", PASSWORD).status_code == 429
    assert statuses == {200, 429} and "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(client, member, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "zhang_san", "wrong-password")
    assert attempt(client, "zhang_san", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "zhang_san", "wrong-password").status_code == 200
    assert attempt(client, "zhang_san", PASSWORD).status_code == 302


def test_password_reset_by_emailed_link(client, member):
    page = client.get(LOGIN).content.decode()
    assert reverse("accounts:password_reset") in page
    response = client.post(reverse("accounts:password_reset"), {"email": "zhang@motor.example.cn"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhang@motor.example.cn"] and "重设密码" in message.subject
    assert "zhang_san" in message.body
    link = re.search(r"https?://\S+/accounts/reset/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form = client.get("/" + path, follow=True)
    assert "设置新密码" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "Kechuang-New-2026", "new_password2": "Kechuang-New-2026"}
    )
    assert done.status_code == 302 and done["Location"] == reverse(
        "accounts:password_reset_complete"
    )
    member.refresh_from_db()
    assert member.check_password("Kechuang-New-2026")
    # The link works once.
    again = client.get("/" + path, follow=True).content.decode()
    assert "链接已失效" in again


def test_password_reset_tells_nobody_who_is_registered(client, member):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.cn"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []
    done = client.get(reverse("accounts:password_reset_done")).content.decode()
    assert "如果该邮箱对应平台上的账号" in done


def test_signed_in_pages_are_not_stored_public_pages_may_be(client, member):
    public = client.get("/organizations/")
    assert "no-store" not in public.get("Cache-Control", "")
    client.force_login(member)
    for url in ("/organizations/", "/manage/", "/demands/engagements/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    export = client.get("/demands/engagements/export.csv")
    assert "no-store" in export["Cache-Control"]


def test_every_page_carries_a_strict_content_security_policy(client, member):
    for url in ("/", "/organizations/", LOGIN):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
