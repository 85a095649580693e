"""Personal information (《个人信息保护法》, PIPL): a person's copy of their data, the deletion of their
account, and the bounded retention of notification e-mail bodies.

- :func:`export_personal_data` gathers every row tied to the account — the account itself, and every
  record whose user column names it (memberships, the expert profile and its works, demands posted,
  engagements requested or received as the expert, engagement messages, bookings, voucher applications
  and orders, applications, registrations, notifications, audit rows by or about them…). The rows are
  found from the model graph, so a new app's records are included without changing this module.
- :func:`delete_account` removes what exists only for the person (notifications, memberships, their expert
  profile's contact details and works, failed-login records) and anonymises the account itself, which must
  stay as the pseudonymous reference of what is kept for the record: contracts, payments, the ledger,
  bookings and the audit trail still point at the same row, whose name, e-mail, phone and password are
  gone. One audit row and one :class:`~kechuang.privacy.models.PersonalDataRequest` record it.
- :func:`purge_notification_bodies` (the clock, daily) empties the bodies of notifications older than
  ``settings.NOTIFICATION_BODY_RETENTION_DAYS``.
"""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from kechuang.core.actions import Refused, checked_by, lock, now_or_default, reindex
from kechuang.core.audit import record
from kechuang.core.models import AuditEntry
from kechuang.privacy.events import PrivacyEvent
from kechuang.privacy.models import PersonalDataRequest

# Columns never written into an export, whoever's row it is: secrets at rest.
SECRET_MARKERS = ("password", "hash", "secret", "digest")
ACCOUNT_FIELDS = (
    "username",
    "display_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "language",
    "date_joined",
    "last_login",
    "is_active",
)


def pseudonym(user) -> str:
    """The account's name in records kept after deletion: its number, nothing else."""
    return f"U{user.pk:06d}"


# --- export ---------------------------------------------------------------------------------------------


def _user_columns() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with columns pointing at the user model, with those columns."""
    user_model = get_user_model()
    found = []
    for model in apps.get_models():
        if model is PersonalDataRequest:
            continue
        columns = [
            f.name
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is user_model
        ]
        if columns:
            found.append((model, columns))
    return found


def _value(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool | list | dict) or value is None:
        return value
    return str(value)


def _row(obj: models.Model) -> dict[str, Any]:
    row: dict[str, Any] = {"record": str(obj)}
    for f in obj._meta.concrete_fields:
        if any(marker in f.name for marker in SECRET_MARKERS):
            continue
        row[f.attname] = _value(getattr(obj, f.attname))
    return row


def _section(model: type[models.Model], queryset) -> dict[str, Any]:
    return {
        "model": model._meta.label_lower,
        "name": str(model._meta.verbose_name_plural),
        "rows": [_row(obj) for obj in queryset.order_by("pk").iterator(chunk_size=500)],
    }


def personal_data(user) -> dict[str, Any]:
    """Everything tied to ``user``'s account, as JSON-ready data."""
    sections = []
    for model, columns in _user_columns():
        condition = models.Q()
        for column in columns:
            condition |= models.Q(**{column: user})
        if model is AuditEntry:
            condition |= models.Q(target_type=user._meta.label_lower, target_id=str(user.pk))
        rows = model._default_manager.filter(condition)
        if rows.exists():
            sections.append(_section(model, rows))
    expert = getattr(user, "expert_profile", None)
    if expert is not None:
        works = expert.works.all()
        if works.exists():
            sections.append(_section(works.model, works))
        engagements = apps.get_model("demands", "Engagement")._default_manager.filter(expert=expert)
        if engagements.exists():
            section = _section(engagements.model, engagements)
            section["name"] = _("作为专家收到的对接")
            sections.append(section)
    return {
        "account": {name: _value(getattr(user, name, "")) for name in ACCOUNT_FIELDS},
        "records": sections,
    }


def check_own_account(actor, user) -> None:
    if not getattr(actor, "is_authenticated", False) or actor.pk != user.pk:
        raise PermissionDenied(_("只能办理本人账号的个人信息请求"))


@checked_by(check_own_account)
@transaction.atomic
def export_personal_data(actor, user, *, now: datetime.datetime | None = None) -> dict[str, Any]:
    """A copy of ``user``'s personal data for ``user`` themself, recorded as a request and an audit row."""
    check_own_account(actor, user)
    now = now_or_default(now)
    data = personal_data(user)
    counts = {s["model"]: len(s["rows"]) for s in data["records"]}
    PersonalDataRequest.objects.create(
        kind=PersonalDataRequest.Kind.EXPORT,
        user=user,
        pseudonym=pseudonym(user),
        requested_at=now,
        completed_at=now,
        outcome={"exported": counts},
    )
    record(actor, PrivacyEvent.DATA_EXPORT, user, _("下载个人信息副本"), exported=counts)
    data["exported_at"] = now.isoformat()
    return data


# --- deletion -------------------------------------------------------------------------------------------


def check_delete_account(actor, user, *args, **kwargs) -> None:
    """A person deletes their own account; an operator's mandate must first be revoked (their decisions
    are the record of a region), and a superuser's account is not deleted from the platform's pages."""
    check_own_account(actor, user)
    if user.is_superuser or user.mandates.exists():
        raise Refused(
            _("运营人员的账号不能自行注销：请先请平台管理员撤销您的运营授权。"), code="operator"
        )
    if not user.is_active:
        raise Refused(_("该账号已注销"), code="deleted")


@checked_by(check_delete_account)
@transaction.atomic
def delete_account(
    actor, user, *, password: str, now: datetime.datetime | None = None
) -> PersonalDataRequest:
    """Delete ``user``'s account at their request: remove what exists only for them, anonymise the
    account row that records kept for the record point at. Refused (nothing changed) without the right
    password."""
    (user,) = lock(user)
    check_delete_account(actor, user)
    if not user.check_password(password):
        raise Refused(_("密码不正确，账号未注销"), code="password")
    now = now_or_default(now)
    removed: Counter[str] = Counter()
    removed["notifications"] = user.notifications.all().delete()[0]
    removed["memberships"] = user.memberships.all().delete()[0]
    # API tokens stay for the record (their audit rows point at them) but authenticate nobody from now on
    removed["api_tokens"] = user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
    expert = getattr(user, "expert_profile", None)
    if expert is not None:
        removed["expert_works"] = expert.works.all().delete()[0]
        _anonymise_expert(expert)
    removed["login_records"] = _forget_login_attempts(user.username)
    anonymised = _anonymise_account(user)
    outcome = {"removed": dict(removed), "anonymised": anonymised}
    request = PersonalDataRequest.objects.create(
        kind=PersonalDataRequest.Kind.DELETION,
        user=user,
        pseudonym=pseudonym(user),
        requested_at=now,
        completed_at=now,
        outcome=outcome,
    )
    record(actor, PrivacyEvent.ACCOUNT_DELETE, user, _("注销账号"), **outcome)
    return request


def _anonymise_expert(expert) -> None:
    """The profile stays (engagements, panel seats and scores point at it) but names no one and is
    withdrawn from the directory and the search index."""
    status = type(expert)._meta.get_field("status")
    type(expert)._base_manager.filter(pk=expert.pk).update(
        user=None,
        name=_("已注销专家"),
        title="",
        phone="",
        email="",
        email_verified=False,
        profile="",
        keywords=[],
        status="archived" if "archived" in dict(status.choices) else expert.status,
    )
    reindex(expert)


def _forget_login_attempts(username: str) -> int:
    """django-axes keeps failed logins by user name and address; they name the person."""
    count = 0
    for label in ("axes.AccessAttempt", "axes.AccessLog", "axes.AccessFailureLog"):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        count += model._default_manager.filter(username=username).delete()[0]
    return count


def _anonymise_account(user) -> list[str]:
    """The account row keeps its number (the pseudonymous reference) and nothing that names the person;
    it can no longer sign in, and its sessions end (the password hash they were bound to is gone)."""
    user.username = f"deleted-{user.pk}"
    user.display_name = _("已注销用户 %(code)s") % {"code": pseudonym(user)}
    user.first_name = user.last_name = user.email = user.phone = ""
    user.is_active = user.is_staff = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return ["username", "display_name", "first_name", "last_name", "email", "phone", "password"]


# --- retention ------------------------------------------------------------------------------------------


def purge_notification_bodies(now: datetime.datetime | None = None) -> int:
    """Empty the bodies (text and parameters, which name people and records) of notifications older than
    ``settings.NOTIFICATION_BODY_RETENTION_DAYS``, and delete the local mailbox's copies as old; the title
    and link stay so the inbox still lists them. Idempotent; returns how many notifications it emptied."""
    now = now_or_default(now)
    cutoff = now - datetime.timedelta(days=settings.NOTIFICATION_BODY_RETENTION_DAYS)
    notification = apps.get_model("notifications", "Notification")
    purged = (
        notification._default_manager.filter(created_at__lt=cutoff)
        .exclude(body="", body_params=None)
        .update(body="", body_params=None)
    )
    mailbox = getattr(settings, "MAILBOX_DIR", None)
    if mailbox and Path(mailbox).is_dir():
        for message in Path(mailbox).glob("*.eml"):
            if datetime.datetime.fromtimestamp(message.stat().st_mtime, datetime.UTC) < cutoff:
                message.unlink(missing_ok=True)
    if purged:
        AuditEntry.objects.create(
            action=PrivacyEvent.NOTIFICATIONS_PURGE,
            target_type="notifications.notification",
            target_id="*",
            summary=_("清除 %(n)d 条超过保存期限的通知正文") % {"n": purged},
            data={"purged": purged, "before": cutoff.isoformat()},
        )
    return purged
