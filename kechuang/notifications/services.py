"""Writing notifications. Services call :func:`notify` inside their transaction."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.utils import timezone

from kechuang.core.inserts import insert_new
from kechuang.notifications.models import Notification
from kechuang.notifications.tasks import deliver, deliver_each


@dataclass(frozen=True)
class Message:
    """A text to render later, in the reader's language: a message id (mark it with ``gettext_noop`` so
    that it reaches the catalogue) and its parameters, plain values or other messages."""

    msgid: str
    params: dict = field(default_factory=dict)

    def stored(self) -> dict:
        return {name: _stored(value) for name, value in self.params.items()}

    def stored_value(self) -> dict:
        return {"msgid": self.msgid, "params": self.stored()}


def _stored(value):
    """A parameter as JSON: messages nested, numbers kept for ``%d``, anything else as its text."""
    if isinstance(value, Message):
        return value.stored_value()
    if isinstance(value, bool | int | float):
        return value
    return str(value)


def localized(msgid: str, **params) -> Message:
    return Message(msgid, params)


def _parts(content: "Message | str") -> tuple[str, dict | None]:
    """What the row stores for a title or body: the message id and parameters, or literal text."""
    if isinstance(content, Message):
        return content.msgid, content.stored()
    return str(content), None


def notify(
    recipients: Iterable,
    event: str,
    title: "Message | str",
    body: "Message | str" = "",
    url: str = "",
    key: str = "",
) -> int:
    """Write one notification per active recipient (users; ``None`` and duplicates ignored) in the current
    transaction — if it rolls back, nobody is told about a change that did not happen — and e-mail them after
    it commits. ``title`` and ``body`` are :class:`Message` (rendered in each reader's language) or text the
    caller has written. ``key`` names the event; by default the event, its content and its link, so calling
    twice for the same event writes nothing new while the first notification is unread. Returns the number
    of rows written."""
    key, rows = _rows(recipients, event, title, body, url, key)
    # One statement: a recipient who already has this event unread is skipped by the unique constraint.
    written = len(insert_new(rows))
    if written:
        transaction.on_commit(partial(deliver.enqueue, key), robust=True)
    return written


def _rows(recipients, event, title, body, url, key) -> tuple[str, list[Notification]]:
    """The key of the event and the unsaved notification of each active recipient."""
    users = {user.pk: user for user in recipients if user is not None and user.pk is not None}
    users = {pk: user for pk, user in users.items() if getattr(user, "is_active", True)}
    title_text, title_params = _parts(title)
    body_text, body_params = _parts(body)
    if not key:
        content = [event, title_text, title_params, body_text, body_params, url]
        key = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    now = timezone.now()
    return key, [
        Notification(
            recipient_id=pk,
            event=event,
            key=key,
            title=title_text[:200],
            title_params=title_params,
            body=body_text,
            body_params=body_params,
            url=url,
            created_at=now,
        )
        for pk in sorted(users)
    ]


def notify_many(notices: Iterable[dict]) -> int:
    """:func:`notify` for many events at once (a batch of decisions): each item holds its arguments
    (``recipients``, ``event``, ``title``, optional ``body``, ``url``, ``key``). All rows are written by one
    statement, and one task e-mails them all after the transaction commits. Returns the rows written."""
    keys, rows = [], []
    for notice in notices:
        key, more = _rows(
            notice["recipients"],
            notice["event"],
            notice["title"],
            notice.get("body", ""),
            notice.get("url", ""),
            notice.get("key", ""),
        )
        if more:
            keys.append(key)
            rows += more
    written = len(insert_new(rows)) if rows else 0
    if written:
        transaction.on_commit(partial(deliver_each.enqueue, sorted(set(keys))), robust=True)
    return written


def mark_read(user, notification_ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s unread notifications read (all, or only these ids); returns how many changed.
    Other users' notifications are never touched."""
    rows = Notification.objects.for_user(user).unread()
    if notification_ids is not None:
        rows = rows.filter(pk__in=list(notification_ids))
    return rows.update(read_at=timezone.now())
