"""Notifications are written in the transaction of their change, e-mailed after it commits (once, however
often the delivery runs) and rendered in the reader's language; a rollback notifies nobody."""

import pytest
from django.core import mail
from django.db import transaction

from kechuang.accounts.factories import UserFactory
from kechuang.notifications.models import Notification
from kechuang.notifications.services import localized, mark_read, notify
from kechuang.notifications.tasks import deliver


@pytest.fixture
def users(db):
    return UserFactory(username="a", email="a@example.cn"), UserFactory(username="b", email="")


def test_delivered_after_commit_in_platform_and_by_mail(users, django_capture_on_commit_callbacks):
    a, b = users
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([a, b, a, None], "demand.pending", "待审核需求：X", "请审核", "/demands/1/")
    # Written with the change, e-mailed only once it has committed.
    assert sorted(Notification.objects.values_list("recipient__username", "delivered_at")) == [
        ("a", None),
        ("b", None),
    ]
    assert mail.outbox == []
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


def test_a_second_call_for_the_same_event_writes_nothing_new(
    users, django_capture_on_commit_callbacks
):
    a, b = users
    with django_capture_on_commit_callbacks(execute=True):
        assert notify([a, b], "demand.pending", "待审核需求：X", "请审核", "/demands/1/") == 2
        assert notify([a, b], "demand.pending", "待审核需求：X", "请审核", "/demands/1/") == 0
    assert Notification.objects.count() == 2 and len(mail.outbox) == 1
    # Once read, the same event happening again is news again.
    mark_read(a)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify([a, b], "demand.pending", "待审核需求：X", "请审核", "/demands/1/") == 1
    assert Notification.objects.filter(recipient=a).count() == 2
    assert Notification.objects.filter(recipient=b).count() == 1
    assert len(mail.outbox) == 2


def test_a_retried_delivery_does_not_e_mail_twice(users, django_capture_on_commit_callbacks):
    a, _b = users
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([a], "demand.pending", "待审核需求：X", "请审核", "/demands/1/")
    key = Notification.objects.get().key
    for callback in callbacks:
        callback()
    assert deliver.call(key) == 0  # the task run again (a retry, a second worker)
    assert len(mail.outbox) == 1
    note = Notification.objects.get()
    assert note.emailed is True and note.delivered_at is not None


def test_rendered_in_the_recipient_s_language(db, client, django_capture_on_commit_callbacks):
    english = UserFactory(username="en", email="en@example.cn", language="en")
    chinese = UserFactory(username="zh", email="zh@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            [english, chinese],
            "engagement.accepted",
            localized("对接已接受：%(t)s", t="高温合金焊接"),
            localized("%(s)s 接受了对接请求，现在可以查看联系方式并预约会谈。", s="吴工"),
            "/demands/1/",
        )
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects == {
        "en@example.cn": "Engagement accepted: 高温合金焊接",
        "zh@example.cn": "对接已接受：高温合金焊接",
    }
    note = Notification.objects.get(recipient=english)
    assert (note.title, note.title_params) == ("对接已接受：%(t)s", {"t": "高温合金焊接"})
    client.force_login(english)
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Engagement accepted: 高温合金焊接" in page


def test_the_language_switch_sets_the_language_of_one_s_notifications(users, client):
    a, b = users
    assert (a.language, b.language) == ("zh-hans", "zh-hans")  # the default
    client.force_login(a)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/notifications/"})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.language, b.language) == ("en", "zh-hans")
    client.post("/i18n/setlang/", {"language": "xx"})  # not a language of the platform
    a.refresh_from_db()
    assert a.language == "en"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_inbox_at_desk_and_phone_width(page, live_server, artifacts_dir):
    reader = UserFactory(username="reader", email="")
    notify(
        [reader],
        "engagement.accepted",
        localized("对接已接受：%(t)s", t="高温合金焊接"),
        localized("%(s)s 接受了对接请求，现在可以查看联系方式并预约会谈。", s="吴工"),
        "/demands/1/",
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "reader")
    page.fill("input[name=password]", "kechuang-test-pw")
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()
    for width, height in ((1366, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/notifications/")
        row = page.get_by_role("row").filter(has_text="对接已接受：高温合金焊接")
        assert "吴工 接受了对接请求" in row.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=artifacts_dir / f"inbox-{width}.png", full_page=True)
