"""Writing the audit log. Services call :func:`record` inside their transaction."""

from typing import Any

from django.db import models

from kechuang.core.models import AuditEntry


def record(actor, action: str, target: models.Model, summary: str = "", **data: Any) -> AuditEntry:
    """Append one audit row for ``action`` on ``target`` by ``actor`` (a user, or None for the system)."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        summary=summary[:300],
        data=data,
    )
