"""The demo's local mailbox: e-mails kept as files and shown decoded to the superuser and operators, in
the demo only — refused to everyone else, absent in production, and never configurable there."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.mail import send_mail

from kechuang.accounts.factories import OperatorMandateFactory, UserFactory
from kechuang.notifications.mailbox import read_mailbox

pytestmark = pytest.mark.django_db

SUBJECT = "新的对接请求：高温合金叶片精密铸造"
BODY = "钟老师您好：\n\n请打开下面的链接查看需求：\nhttp://127.0.0.1:8001/demands/7/answer/abc/\n"


@pytest.fixture
def mailbox(settings, tmp_path):
    settings.EMAIL_BACKEND = django_settings.MAILBOX_BACKEND
    settings.MAILBOX_DIR = tmp_path / "mailbox"
    settings.MODE = "demo"
    return settings.MAILBOX_DIR


def test_a_sent_message_is_kept_and_read_back_decoded(mailbox):
    assert send_mail(SUBJECT, BODY, None, ["expert@example.cn"]) == 1
    files = list(mailbox.glob("*.eml"))
    assert len(files) == 1
    assert b"=?utf-8?" in files[0].read_bytes()  # stored as real MIME
    [message] = read_mailbox()
    assert message.subject == SUBJECT
    assert message.to == "expert@example.cn"
    assert message.body == BODY
    assert message.sent_at is not None


def test_messages_are_listed_newest_first(mailbox):
    send_mail("第一封", "一", None, ["a@example.cn"])
    send_mail("第二封", "二", None, ["b@example.cn"])
    assert [m.subject for m in read_mailbox()] == ["第二封", "第一封"]


def test_operators_and_the_superuser_read_the_mailbox(client, mailbox):
    send_mail(SUBJECT, BODY, None, ["expert@example.cn"])
    for user in (OperatorMandateFactory().user, UserFactory(is_superuser=True)):
        client.force_login(user)
        response = client.get("/notifications/mailbox/")
        assert response.status_code == 200
        page = response.content.decode()
        assert SUBJECT in page
        assert '<a href="http://127.0.0.1:8001/demands/7/answer/abc/"' in page


def test_other_users_are_refused(client, mailbox):
    send_mail(SUBJECT, BODY, None, ["expert@example.cn"])
    client.force_login(UserFactory())
    response = client.get("/notifications/mailbox/")
    assert response.status_code == 403
    assert SUBJECT not in response.content.decode()
    client.logout()
    response = client.get("/notifications/mailbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_in_production_the_page_does_not_exist_even_for_the_superuser(client, mailbox, settings):
    send_mail(SUBJECT, BODY, None, ["expert@example.cn"])
    settings.MODE = "production"
    client.force_login(UserFactory(is_superuser=True))
    response = client.get("/notifications/mailbox/")
    assert response.status_code == 404
    assert SUBJECT not in response.content.decode()


def production_settings(**environ) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "EMAIL_BACKEND"}
    env.update(
        KECHUANG_MODE="production",
        SECRET_KEY="x" * 40,
        ALLOWED_HOSTS="kechuang.example.cn",
        **environ,
    )
    return subprocess.run(
        [sys.executable, "-c", "from kechuang import settings; print(settings.EMAIL_BACKEND)"],
        env=env,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
    )


def test_production_never_uses_the_mailbox():
    assert production_settings().stdout.strip() != django_settings.MAILBOX_BACKEND
    refused = production_settings(EMAIL_BACKEND=django_settings.MAILBOX_BACKEND)
    assert refused.returncode == 1
    assert "The local mailbox is for the demo" in refused.stderr
