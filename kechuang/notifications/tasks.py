"""E-mailing notifications in the background (Django Tasks)."""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django_tasks import task

from kechuang.core.queues import DEFAULT_QUEUE
from kechuang.notifications.models import Notification


@task(queue_name=DEFAULT_QUEUE)
def deliver(key: str) -> int:
    """E-mail every not yet delivered notification of the event ``key`` to its recipient, in the recipient's
    language. Each row is claimed (``delivered_at`` set by a conditional update) before its e-mail goes out,
    so a retried or duplicated task sends nothing twice. Returns the number of e-mails sent."""
    return _deliver(key)


@task(queue_name=DEFAULT_QUEUE)
def deliver_each(keys: list[str]) -> int:
    """:func:`deliver` for several events at once (what one batch of decisions notified)."""
    return sum(_deliver(key) for key in keys)


def _deliver(key: str) -> int:
    sent = 0
    for notification in (
        Notification.objects.filter(key=key).undelivered().select_related("recipient")
    ):
        claimed = (
            Notification.objects.filter(pk=notification.pk)
            .undelivered()
            .update(delivered_at=timezone.now())
        )
        recipient = notification.recipient
        if not claimed or not recipient.email:
            continue
        with translation.override(recipient.language):
            link = (
                f"\n\n{settings.SITE_URL.rstrip('/')}{notification.url}" if notification.url else ""
            )
            subject, text = notification.subject, notification.text
        if send_mail(subject, text + link, None, [recipient.email], fail_silently=True):
            Notification.objects.filter(pk=notification.pk).update(emailed=True)
            sent += 1
    return sent
