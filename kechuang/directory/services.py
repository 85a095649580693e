"""State changes of directory records: save an edit, submit for review, approve, return, archive.

Every function here checks that the acting user may do it, runs in one transaction, re-reads the record
under a row lock (``select_for_update``; on SQLite the IMMEDIATE transaction mode serialises writers
instead), and writes one audit row through :func:`kechuang.core.audit.record`. Refusals raise
``PermissionDenied`` (the user may not act on this record), :class:`kechuang.core.actions.Refused` (the
transition is not allowed in the record's current state) or ``ValidationError`` (the input is not allowed),
all with a Chinese message; nothing is written when they are raised.

The publication state machine (``Status``)::

    draft ──submit──▶ pending ──approve──▶ published
    returned ──submit──▶ pending ──return──▶ returned
    any but archived ──archive──▶ archived

Members of the owning organisation (and an expert for their own profile) edit and submit; the operators
of the record's region edit, approve, return and archive. Saving an edit does not change the status: a new
record starts as a draft, and an edit of a published record keeps it published (the audit log shows it) —
except a member's change of a published organisation's name, kind or credit code, which goes back to
review (published → pending) before it is live.
"""

from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from kechuang.accounts.permissions import acts_for, operates
from kechuang.core.actions import Refused, checked_by, locked, transition
from kechuang.core.audit import record as audit
from kechuang.directory.events import DirectoryEvent
from kechuang.directory.models import (
    Achievement,
    Expert,
    InnovationPlatform,
    Instrument,
    Listing,
    Organization,
    ServiceItem,
    Status,
)

# The record types by the names the search index, the API and the management pages use.
RECORD_TYPES: dict[str, type[Listing]] = {
    "organization": Organization,
    "expert": Expert,
    "achievement": Achievement,
    "instrument": Instrument,
    "service": ServiceItem,
    "platform": InnovationPlatform,
}

SUBMITTABLE = (Status.DRAFT, Status.RETURNED)
# An organisation's identity: what 揭榜 eligibility and every other record's owner name rest on. A
# member's change of one of them to a published organisation goes back to review before it is live.
REVIEWED_ORGANIZATION_FIELDS = ("name", "kind", "credit_code")
ARCHIVABLE = (Status.DRAFT, Status.PENDING, Status.PUBLISHED, Status.RETURNED)
RETURN_REASON_MAX = 300


def type_name(record: Listing) -> str:
    """The type name (``"expert"``…) of a directory record."""
    for name, model in RECORD_TYPES.items():
        if isinstance(record, model):
            return name
    raise TypeError(f"{type(record).__name__} is not a directory record type")


def can_curate(user, record: Listing) -> bool:
    """Whether ``user`` operates the record's region (and so may approve, return and archive it)."""
    return operates(user, record.region)


def can_edit(user, record: Listing) -> bool:
    """Whether ``user`` may edit ``record`` as it stands (saved or not): an operator of its region, a
    member of its owning organisation, or the expert whose own profile it is.

    The same rule as ``ListingQuerySet.editable_by``, evaluated on one instance so that an edit can be
    checked *after* its changes too (an edit must not hand the record to another organisation or region).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if isinstance(record, Expert) and record.user_id is not None and record.user_id == user.pk:
        return True
    return acts_for(user, record.owner_id) or can_curate(user, record)


def _locked(record: Listing) -> Listing:
    return locked(record)


def _set_status(
    user, record: Listing, event: DirectoryEvent, status: str, note: str, summary: str
) -> Listing:
    """Move a locked record to ``status`` (:func:`kechuang.core.actions.transition`: conditional UPDATE,
    audit row with the states before and after, explicit re-index)."""
    return transition(
        user,
        record,
        event=event,
        expected=(record.status,),
        to=status,
        summary=summary,
        values={"review_note": note},
        data={"from": record.status, "to": status, "note": note},
        queryset=type(record).objects.select_related("region"),
        code="status",
    )


def save_record(
    user,
    record: Listing,
    *,
    relations: Mapping[str, Iterable[models.Model]] | None = None,
) -> Listing:
    """Save ``record`` (new or edited, its field values already set) and its many-to-many ``relations``.

    Guarantees: the user may edit the record both as stored and as changed (so an edit cannot move a
    record to an organisation or region the user does not act for); a new record is saved as a draft; an
    edit keeps the stored status and review note whatever the instance carries — except that a member's
    change of a published organisation's name, kind or credit code sends it back to review (→ pending,
    out of the public directory and of 揭榜 eligibility until an operator approves it); the model's
    validation (``full_clean``) passes; one audit row lists the changed fields.
    """
    if not can_edit(user, record):
        raise PermissionDenied(_("您无权编辑该记录"))
    with transaction.atomic():
        if record.pk is None:
            record.status = Status.DRAFT
            record.review_note = ""
            changed = sorted(f.name for f in record._meta.concrete_fields if not f.primary_key)
            action = DirectoryEvent.RECORD_CREATE
        else:
            stored = _locked(record)
            if not can_edit(user, stored):
                raise PermissionDenied(_("您无权编辑该记录"))
            record.status = stored.status
            record.review_note = stored.review_note
            changed = [
                f.name
                for f in record._meta.concrete_fields
                if f.value_from_object(record) != f.value_from_object(stored)
                and f.name != "updated_at"
            ]
            action = DirectoryEvent.RECORD_EDIT
            identity = sorted(set(changed) & set(REVIEWED_ORGANIZATION_FIELDS))
            if (
                isinstance(record, Organization)
                and stored.status == Status.PUBLISHED
                and identity
                and not can_curate(user, stored)
            ):
                record.status = Status.PENDING
                action = DirectoryEvent.RECORD_EDIT_FOR_REVIEW
        if isinstance(record, Expert):
            vouch_expert_email(user, record, email_changed="email" in changed)
        record.full_clean(validate_unique=True)
        record.save()
        for name, values in (relations or {}).items():
            values = list(values)
            manager = getattr(record, name)
            if set(manager.values_list("pk", flat=True)) != {v.pk for v in values}:
                changed.append(name)
            manager.set(values)
        audit(user, action, record, str(record), fields=changed)
    return record


def vouch_expert_email(user, expert: Expert, *, email_changed: bool) -> None:
    """Set ``expert.email_verified`` for a save by ``user``: an operator of the expert's region vouches
    for the address they save; anyone else who changes it (an institution's member, the expert's own
    login) leaves it unverified, so that it cannot claim the profile's login by an answer link."""
    if expert.email and can_curate(user, expert):
        expert.email_verified = True
    elif email_changed or not expert.email:
        expert.email_verified = False


def check_submit(user, record: Listing) -> None:
    """Its editors send a draft or returned record for review."""
    if not can_edit(user, record):
        raise PermissionDenied(_("您无权提交该记录"))
    if record.status not in SUBMITTABLE:
        raise Refused(_("只有草稿或已退回的记录可以提交审核"), code="status")


def check_approve(user, record: Listing) -> None:
    """An operator of its region publishes a pending record."""
    if not can_curate(user, record):
        raise PermissionDenied(_("您无权审核该区域的记录"))
    if record.status != Status.PENDING:
        raise Refused(_("只有待审核的记录可以批准发布"), code="status")


def check_return(user, record: Listing) -> None:
    """An operator of its region returns a pending record (the reason is checked by the action)."""
    if not can_curate(user, record):
        raise PermissionDenied(_("您无权审核该区域的记录"))
    if record.status != Status.PENDING:
        raise Refused(_("只有待审核的记录可以退回"), code="status")


def check_archive(user, record: Listing) -> None:
    """An operator of its region takes a record that is not archived out of the directory."""
    if not can_curate(user, record):
        raise PermissionDenied(_("您无权归档该区域的记录"))
    if record.status not in ARCHIVABLE:
        raise Refused(_("该记录已归档"), code="status")


@checked_by(check_submit)
def submit(user, record: Listing) -> Listing:
    """Send a draft or returned record to its region's operators for review (→ pending)."""
    with transaction.atomic():
        record = _locked(record)
        check_submit(user, record)
        return _set_status(
            user, record, DirectoryEvent.RECORD_SUBMIT, Status.PENDING, "", _("提交审核")
        )


@checked_by(check_approve)
def approve(user, record: Listing) -> Listing:
    """Publish a pending record (→ published). Only an operator of the record's region may."""
    with transaction.atomic():
        record = _locked(record)
        check_approve(user, record)
        return _set_status(
            user, record, DirectoryEvent.RECORD_APPROVE, Status.PUBLISHED, "", _("批准发布")
        )


@checked_by(check_return)
def return_for_revision(user, record: Listing, reason: str) -> Listing:
    """Send a pending record back to its owner with a reason (→ returned). The reason is required."""
    reason = (reason or "").strip()
    with transaction.atomic():
        record = _locked(record)
        check_return(user, record)
        if not reason:
            raise ValidationError(_("请填写退回理由"), code="reason")
        if len(reason) > RETURN_REASON_MAX:
            raise ValidationError(
                _("退回理由不能超过%(n)d字") % {"n": RETURN_REASON_MAX}, code="reason"
            )
        return _set_status(
            user, record, DirectoryEvent.RECORD_RETURN, Status.RETURNED, reason, reason
        )


@checked_by(check_archive)
def archive(user, record: Listing) -> Listing:
    """Take a record out of the directory (→ archived). Only an operator of its region may."""
    with transaction.atomic():
        record = _locked(record)
        check_archive(user, record)
        return _set_status(
            user, record, DirectoryEvent.RECORD_ARCHIVE, Status.ARCHIVED, "", _("归档")
        )
