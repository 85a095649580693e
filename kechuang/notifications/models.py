"""In-platform notifications: one row per recipient per event that needs their attention."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def render(template: str, params: dict | None) -> str:
    """A stored message in the active language: ``template`` is a message id formatted with ``params``
    (whose values may themselves be ``{"msgid": …, "params": …}`` messages), or, when ``params`` is ``None``,
    text the caller already wrote (a reason typed by a person, or a caller that renders its own text)."""
    if params is None:
        return template
    values = {
        name: render(value["msgid"], value.get("params", {})) if isinstance(value, dict) else value
        for name, value in params.items()
    }
    return gettext(template) % values if values else gettext(template)


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def undelivered(self):
        return self.filter(delivered_at__isnull=True)


class Notification(models.Model):
    """A message to one user about an event (a demand to review, a request to answer…).

    Rows are written by :func:`kechuang.notifications.services.notify` in the transaction of the change that
    causes them, so a notification exists exactly when its change does. They store the event's message ids
    and parameters, not rendered text: :attr:`subject` and :attr:`text` render them in the active language
    (the reader's on the inbox page, the recipient's :attr:`~kechuang.accounts.models.User.language` in the
    e-mail). ``key`` identifies the event: an unread notification with the same recipient and key is not
    written twice. The e-mail copy is sent after commit by :func:`kechuang.notifications.tasks.deliver`,
    which claims the row (``delivered_at``) before sending, so a retried task never e-mails twice;
    ``emailed`` records whether the mail backend accepted it.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.CharField(_("事件"), max_length=60, db_index=True)
    key = models.CharField(_("事件键"), max_length=64, db_index=True)
    # Message ids (or literal text when the matching params are null) and their parameters.
    title = models.CharField(_("标题"), max_length=200)
    title_params = models.JSONField(_("标题参数"), null=True, blank=True)
    body = models.TextField(_("内容"), blank=True)
    body_params = models.JSONField(_("内容参数"), null=True, blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("投递时间"), null=True, blank=True)
    emailed = models.BooleanField(_("已发邮件"), default=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=models.Q(read_at__isnull=True),
                name="notification_once_per_unread_event",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"

    @property
    def subject(self) -> str:
        return render(self.title, self.title_params)

    @property
    def text(self) -> str:
        return render(self.body, self.body_params)
