"""Notifications are written and e-mailed after the transaction commits, and never for a rollback."""

import pytest
from django.core import mail
from django.db import transaction

from kechuang.accounts.factories import UserFactory
from kechuang.notifications.models import Notification
from kechuang.notifications.services import mark_read, notify


@pytest.fixture
def users(db):
    return UserFactory(username="a", email="a@example.cn"), UserFactory(username="b", email="")


def test_delivered_after_commit_in_platform_and_by_mail(users, django_capture_on_commit_callbacks):
    a, b = users
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([a, b, a, None], "demand.pending", "待审核需求：X", "请审核", "/demands/1/")
    assert Notification.objects.count() == 0  # nothing before commit
    for callback in callbacks:
        callback()
    assert sorted(Notification.objects.values_list("recipient__username", "emailed")) == [
        ("a", True),
        ("b", False),
    ]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["a@example.cn"] and mail.outbox[0].subject == "待审核需求：X"
    assert "http://127.0.0.1:8000/demands/1/" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_notifies_nobody():
    user = UserFactory(username="c", email="c@example.cn")
    with pytest.raises(RuntimeError), transaction.atomic():
        notify([user], "x", "标题")
        raise RuntimeError("rolled back")
    assert Notification.objects.count() == 0 and mail.outbox == []
    with transaction.atomic():
        notify([user], "x", "标题")
    assert Notification.objects.filter(recipient=user).count() == 1


def test_inbox_and_mark_read_touch_only_ones_own(users, client, django_capture_on_commit_callbacks):
    a, b = users
    with django_capture_on_commit_callbacks(execute=True):
        notify([a, b], "e", "给两人的通知")
    client.force_login(a)
    assert "给两人的通知" in client.get("/notifications/").content.decode()
    client.post("/notifications/read/")
    assert Notification.objects.get(recipient=a).read_at is not None
    assert Notification.objects.get(recipient=b).read_at is None
    assert mark_read(a) == 0
