"""The demo's local mailbox: an e-mail backend that keeps each outgoing message as an ``.eml`` file in
``settings.MAILBOX_DIR`` (``var/mailbox/``) instead of printing raw MIME on the terminal, and the reader
behind the mailbox page, which shows them decoded. Production never uses it: settings refuse the backend
there and the page answers 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class MailboxBackend(BaseEmailBackend):
    """Writes every message to its own file, named so that the names sort by sending time."""

    def send_messages(self, email_messages) -> int:
        folder = Path(settings.MAILBOX_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            name = f"{timezone.now():%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
            partial = folder / f".{name}.part"
            try:
                partial.write_bytes(message.message().as_bytes(linesep="\n"))
                partial.replace(folder / name)  # readers never see half a message
            except OSError:
                partial.unlink(missing_ok=True)
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent


@dataclass
class MailboxMessage:
    """One stored message, decoded for reading."""

    name: str
    sent_at: datetime | None
    sender: str
    to: str
    subject: str
    body: str


def read_mailbox(limit: int = 200) -> list[MailboxMessage]:
    """The newest ``limit`` stored messages, newest first, with headers and plain-text body decoded."""
    folder = Path(settings.MAILBOX_DIR)
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.glob("*.eml")), reverse=True)[:limit]
    parser = BytesParser(policy=policy.default)
    messages = []
    for name in names:
        try:
            parsed = parser.parsebytes((folder / name).read_bytes())
        except OSError:  # removed meanwhile
            continue
        part = parsed.get_body(preferencelist=("plain", "html"))
        date = parsed.get("Date")
        messages.append(
            MailboxMessage(
                name=name,
                sent_at=_sent_at(str(date)) if date else None,
                sender=_header(parsed, "From"),
                to=_header(parsed, "To"),
                subject=_header(parsed, "Subject"),
                body=part.get_content() if part is not None else "",
            )
        )
    return messages


def _header(message, name: str) -> str:
    """A decoded header without the folding whitespace a long encoded one leaves at its start."""
    return " ".join(str(message.get(name, "")).split())


def _sent_at(date: str) -> datetime:
    """The Date header as an aware datetime (Django writes UTC as ``-0000``, which parses naive)."""
    moment = parsedate_to_datetime(date)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
