"""Requests a person makes about their personal information (《个人信息保护法》): a copy of their data,
the deletion of their account. Operators read these records; they hold no personal data themselves (the
account is named by its pseudonym once deleted)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonalDataRequest(models.Model):
    """One request and what the platform did about it: when it was made and completed, and how many rows
    of each kind were exported, removed or anonymised (``outcome``). Written by
    :mod:`kechuang.privacy.services` only."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("下载个人信息")
        DELETION = "deletion", _("注销账号")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pseudonym = models.CharField(_("账号代号"), max_length=40)
    requested_at = models.DateTimeField(_("申请时间"), db_index=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    outcome = models.JSONField(_("处理结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("个人信息请求")
        verbose_name_plural = _("个人信息请求")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.pseudonym} {self.get_kind_display()}"
