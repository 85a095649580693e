"""Users and what they may do: organisation membership and operator mandates over regions."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import Region


class User(AbstractUser):
    """A person who signs in. Roles come from :class:`Membership`, :class:`OperatorMandate` and a linked
    expert profile, so one person can be, say, an expert and a member of a university at once."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    # The language notifications and e-mails are written in for this person (rendered when delivered or
    # shown, not when the event happened).
    language = models.CharField(
        _("通知语言"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class Membership(models.Model):
    """A user acting for an organisation. ``admin`` members also manage the organisation's members."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("管理员")
        MEMBER = "member", _("成员")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("机构"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("机构成员")
        verbose_name_plural = _("机构成员")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_unique_user_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}"


class OperatorMandate(models.Model):
    """A user who operates the platform for a region (科协 / 科技局 staff): they curate, approve and run
    programmes for that region and every region below it, and nothing outside it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mandates")
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+"
    )
    office = models.CharField(_("单位"), max_length=100, blank=True, help_text=_("如：瑞安市科协"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("运营授权")
        verbose_name_plural = _("运营授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "region"], name="mandate_unique_user_region")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.region}"


class ApiToken(models.Model):
    """A personal API token: ``Authorization: Bearer kc_…`` acts as its owner through the JSON API, within
    its scopes (``<capability>:read`` / ``<capability>:write``, see :mod:`kechuang.accounts.tokens`).
    Only a SHA-256 digest of the secret is stored; the secret is shown once, when the token is created.
    Revoked and expired tokens stay for the record and authenticate nobody."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=60)
    # The first characters of the secret, shown in the list so that a person can tell tokens apart.
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("权限范围"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
