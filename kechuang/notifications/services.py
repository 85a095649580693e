"""Scheduling notifications. Services call :func:`notify` inside their transaction."""

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone

from kechuang.notifications.models import Notification
from kechuang.notifications.tasks import deliver


def notify(recipients: Iterable, event: str, title: str, body: str = "", url: str = "") -> None:
    """Queue a notification to ``recipients`` (users; ``None`` and duplicates ignored) for after the current
    transaction commits — if it rolls back, nobody is told about a change that did not happen. The
    notification carries the time of this call, not the time the worker delivers it."""
    ids = sorted({user.pk for user in recipients if user is not None and user.pk is not None})
    if not ids:
        return
    transaction.on_commit(
        partial(
            deliver.enqueue,
            ids,
            event,
            str(title),
            str(body),
            str(url),
            timezone.now().isoformat(),
        ),
        robust=True,
    )


def mark_read(user, notification_ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s unread notifications read (all, or only these ids); returns how many changed.
    Other users' notifications are never touched."""
    rows = Notification.objects.for_user(user).unread()
    if notification_ids is not None:
        rows = rows.filter(pk__in=list(notification_ids))
    return rows.update(read_at=timezone.now())
