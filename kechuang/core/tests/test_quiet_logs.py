"""The server log stays quiet about what is expected: a refused page (403) or a missing one (404) is
answered with its styled page and leaves no warning or traceback in the log, while a server error still
would; task workers log only warnings and failures in the demo."""

import logging

import pytest
from django.conf import settings

from kechuang.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_refusals_and_missing_pages_leave_nothing_in_the_log(client, caplog):
    client.force_login(UserFactory())
    with caplog.at_level(logging.DEBUG):
        assert client.get("/manage/search-index/").status_code == 403
        assert client.get("/favicon.ico").status_code == 404
        assert client.get("/no-such-page/").status_code == 404
    assert [r for r in caplog.records if r.name.startswith("django.request")] == []
    assert not any(r.exc_info for r in caplog.records)


def test_server_errors_are_still_logged():
    request_logger = logging.getLogger("django.request")
    assert request_logger.isEnabledFor(logging.ERROR)
    assert not request_logger.isEnabledFor(logging.WARNING)


def test_task_workers_log_only_failures_in_the_demo():
    assert settings.MODE == "demo"
    for name in ("django_tasks", "django_tasks_db"):
        # pytest adds capture handlers of its own beside the configured one
        handlers = [h for h in logging.getLogger(name).handlers if type(h) is logging.StreamHandler]
        assert [h.level for h in handlers] == [logging.ERROR]
        assert logging.getLogger(name).propagate is False


def test_pages_name_their_icon(client):
    page = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert client.get("/static/favicon.svg").status_code == 200
