"""Writing the audit log. Services call :func:`record` inside their transaction.

Each row carries the region its record belongs to, so that a region's operators read their own region's
trail (:meth:`~kechuang.core.models.AuditEntryQuerySet.visible_to`). A record with a ``region`` of its own
gives it directly; the others reach a region through the record they belong to, as
:data:`REGION_PATHS` says (an engagement through its demand, a score through its round's task…). Records
of no region (a user's grants, a ledger entry) give none: only platform operators read those rows.
"""

from typing import Any

from django.db import models

from kechuang.core.models import AuditEntry

# Where a record without a ``region`` of its own finds one: model label → ORM path to a Region.
REGION_PATHS: dict[str, str] = {
    "accounts.membership": "organization__region",
    "directory.tierrecord": "organization__region",
    "directory.expertwork": "expert__region",
    "demands.demandattachment": "demand__region",
    "demands.engagement": "demand__region",
    "demands.engagementevent": "engagement__demand__region",
    "demands.answerlink": "engagement__demand__region",
    "demands.poolmember": "pool__region",
    "demands.serviceteam": "society__region",
    "demands.servicevisit": "enterprise__region",
    "challenges.indicator": "challenge__region",
    "challenges.rubriccriterion": "challenge_list__region",
    "challenges.application": "challenge__region",
    "challenges.consortiummember": "challenge__region",
    "challenges.teammember": "application__challenge__region",
    "challenges.planmilestone": "application__challenge__region",
    "challenges.reviewround": "challenge__region",
    "challenges.panelseat": "round__challenge__region",
    "challenges.conflictrecord": "round__challenge__region",
    "challenges.score": "round__challenge__region",
    "challenges.objection": "application__challenge__region",
    "challenges.agreement": "challenge__region",
    "challenges.milestone": "agreement__challenge__region",
    "challenges.tranche": "agreement__challenge__region",
    "challenges.indicatorresult": "agreement__challenge__region",
    "indicators.cultivationplan": "organization__region",
    "indicators.visit": "plan__organization__region",
    # A contract is registered where its seller is (its turnover counts there).
    "contracts.techcontract": "seller_region",
    "contracts.paymentterm": "contract__seller_region",
    "contracts.contractattachment": "contract__seller_region",
    "auctions.lot": "session__region",
    "auctions.registration": "session__region",
    "auctions.bid": "lot__session__region",
    "auctions.proxybid": "lot__session__region",
    "auctions.dataroomdocument": "lot__session__region",
    "booking.bookingrules": "instrument__region",
    "booking.training": "instrument__region",
    "booking.closure": "instrument__region",
    "booking.booking": "instrument__region",
    "vouchers.voucherapplication": "programme__region",
    "vouchers.voucher": "programme__region",
    "vouchers.providerenrolment": "organization__region",
    "vouchers.enrolmentobjection": "enrolment__organization__region",
    "vouchers.voucherhold": "voucher__programme__region",
    "vouchers.serviceorder": "hold__voucher__programme__region",
    "vouchers.redemption": "issuing_region",
    "vouchers.redemptionevidence": "redemption__issuing_region",
}


def region_path(label: str, model: type[models.Model]) -> str | None:
    """The ORM path from a record of ``model`` (label ``app.model``) to its region, or ``None``."""
    if label in REGION_PATHS:
        return REGION_PATHS[label]
    if any(f.name == "region" and f.is_relation for f in model._meta.concrete_fields):
        return "region"
    return None


def region_of(target: models.Model) -> int | None:
    """The id of the region ``target`` belongs to (``None`` for records of no region)."""
    model = target._meta.model  # not type(target): a request's user is a lazy proxy
    path = region_path(target._meta.label_lower, model)
    if path is None or target.pk is None:
        return None
    if path == "region" or "__" not in path:
        return getattr(target, f"{path}_id", None)
    loaded, region_id = _through_loaded_relations(target, path)
    if loaded:
        return region_id
    return model._base_manager.filter(pk=target.pk).values_list(f"{path}__pk", flat=True).first()


def _through_loaded_relations(target: models.Model, path: str) -> tuple[bool, int | None]:
    """Follow ``path`` through the relations ``target`` already holds in memory (a bid made on the lot the
    service locked, with its session), so that writing the audit row costs no query; ``(False, None)``
    when a hop is not loaded."""
    record = target
    *hops, last = path.split("__")
    for hop in hops:
        if not record._meta.get_field(hop).is_cached(record):
            return False, None
        record = getattr(record, hop)
        if record is None:
            return True, None
    return True, getattr(record, f"{last}_id", None)


def _entry(actor, action: str, target: models.Model, summary: str, data: dict) -> AuditEntry:
    return AuditEntry(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        summary=summary[:300],
        data=data,
        region_id=region_of(target),
    )


def record(actor, action: str, target: models.Model, summary: str = "", **data: Any) -> AuditEntry:
    """Append one audit row for ``action`` on ``target`` by ``actor`` (a user, or None for the system)."""
    entry = _entry(actor, action, target, summary, data)
    entry.save(force_insert=True)
    return entry


def record_many(actor, action: str, rows: list[tuple[models.Model, str, dict]]) -> list[AuditEntry]:
    """Append one audit row for ``action`` by ``actor`` on each ``(target, summary, data)``, in one
    statement (a batch of decisions made at once)."""
    return AuditEntry.objects.bulk_create(
        _entry(actor, action, target, summary, data) for target, summary, data in rows
    )
