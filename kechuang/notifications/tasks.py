"""Delivering notifications in the background (Django Tasks)."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

from kechuang.core.tasks import DEFAULT_QUEUE
from kechuang.notifications.models import Notification


@task(queue_name=DEFAULT_QUEUE)
def deliver(
    recipient_ids: list[int],
    event: str,
    title: str,
    body: str = "",
    url: str = "",
    occurred_at: str = "",
) -> int:
    """Write one in-platform notification per active recipient and e-mail those with an address.

    Returns the number of notifications written. Arguments are plain values so that any task backend can
    serialise them; ``occurred_at`` (ISO 8601, the time of the event) stamps the notifications, so a
    delivery that waited in the queue still shows when the thing happened.
    """
    at = datetime.fromisoformat(occurred_at) if occurred_at else timezone.now()
    users = get_user_model().objects.filter(pk__in=recipient_ids, is_active=True).order_by("pk")
    written = 0
    for user in users:
        emailed = False
        if user.email:
            link = f"\n\n{settings.SITE_URL.rstrip('/')}{url}" if url else ""
            emailed = bool(send_mail(title, body + link, None, [user.email], fail_silently=True))
        Notification.objects.create(
            recipient=user,
            event=event,
            title=title,
            body=body,
            url=url,
            emailed=emailed,
            created_at=at,
        )
        written += 1
    return written
