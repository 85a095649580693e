"""The action kernel: the one way every app's services change state.

A *service* is one function per action in an app's ``services`` module (Zulip's ``zerver/actions/``). It
follows one convention:

- **actor first, keyword ``now=``**: ``publish_list(actor, challenge_list, *, now=None)``. ``actor`` is a
  user, or ``None`` for the platform itself (the clock); ``now`` is the moment the action happens (tests and
  the clock pass it; by default :func:`now_or_default`).
- **one transaction**; the rows the action depends on are re-read under row locks taken with :func:`lock`,
  which always locks in one fixed order (model, then primary key) so that two actions never wait on each
  other in opposite orders (no deadlock on PostgreSQL). On SQLite the IMMEDIATE transaction serialises
  writers instead, so state changes are also made with a conditional ``UPDATE … WHERE status IN (…)`` and a
  row-count check: :func:`transition`.
- **refusals** raise :class:`Refused` with a user-facing Chinese message (``PermissionDenied`` when the user
  may not act at all; Django's ``ValidationError`` for invalid input). Nothing is changed when they are
  raised: the transaction rolls back.
- **a check beside the action** (Wagtail's ``check()`` / ``execute()`` split): the rule that decides whether
  the action may run is one function, attached to the service with :func:`checked_by`. The service runs it
  on the locked rows; pages and the API call ``service.allowed(actor, obj)`` to show or hide the button, so
  a rule lives in one place.
- **one audit row** per change (:func:`kechuang.core.audit.record`) and notifications through the
  notifications app, both named by a typed event (:class:`EventName`, one shape ``app.noun.verb``).
- **explicit search-index sync**: a change made with ``UPDATE`` fires no signal; :func:`transition` (and any
  service that updates an indexed row in place) calls :func:`reindex` rather than saving the row again.
- **unique rows**: creating a row that a unique constraint guards goes through :func:`create_unique`, so
  two racing requests get one row and one :class:`Refused`, never a 500.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import cache
from importlib import import_module
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

M = TypeVar("M", bound=models.Model)
F = TypeVar("F", bound=Callable[..., Any])


class Refused(Exception):
    """A refused action: the message says why; nothing was changed.

    ``message`` is the user-facing reason in the interface language (Chinese first); ``code`` is a short
    stable identifier for programs (tests, the API's ``ErrorOut.code``)."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


def require(condition: object, message: str, code: str = "refused") -> None:
    """Refuse with ``message`` unless ``condition`` holds."""
    if not condition:
        raise Refused(message, code=code)


def now_or_default(now: datetime.datetime | None) -> datetime.datetime:
    """The moment of an action: ``now`` when the caller gives one (tests, the clock), else the current time."""
    return now or timezone.now()


# --- typed event names ---------------------------------------------------------------------------------

EVENT_SHAPE = re.compile(r"[a-z]+\.[a-z_]+\.[a-z_]+")
_events: dict[str, EventName] = {}


class EventName(StrEnum):
    """The base of each app's typed event names (``kechuang/<app>/events.py``).

    A member's value is ``app.noun.verb`` (``demands.demand.submit``); it names the audit row of an action
    and the notifications it sends. Members compare equal to their string values, so the database stores
    plain text. Every name is registered once across the platform: :func:`event_names` lists them."""

    def __init__(self, value: str) -> None:
        if not EVENT_SHAPE.fullmatch(value):
            raise ValueError(f"event name {value!r} is not of the shape app.noun.verb")
        if value in _events:
            raise ValueError(f"event name {value!r} is defined twice")
        _events[value] = self


def event_names() -> dict[str, EventName]:
    """Every registered event name, by value."""
    return dict(_events)


# --- checks beside actions -----------------------------------------------------------------------------


def passes(check: Callable[..., object], *args: Any, **kwargs: Any) -> bool:
    """Whether ``check(*args, **kwargs)`` lets the action run (raises neither :class:`Refused` nor
    ``PermissionDenied``)."""
    try:
        check(*args, **kwargs)
    except (Refused, PermissionDenied):
        return False
    return True


def checked_by(check: Callable[..., object]) -> Callable[[F], F]:
    """Attach ``check`` to a service: ``service.check(...)`` raises what the service would refuse with,
    ``service.allowed(...)`` says whether the button should show. The service calls the same check on the
    rows it has locked, so the page and the action never disagree."""

    def decorate(service: F) -> F:
        service.check = check  # type: ignore[attr-defined]
        service.allowed = lambda *args, **kwargs: passes(check, *args, **kwargs)  # type: ignore[attr-defined]
        return service

    return decorate


# --- locks ----------------------------------------------------------------------------------------------


@cache
def _model_rank(model: type[models.Model]) -> int:
    """A model's place in the fixed lock order: the order Django registers models in (apps in
    ``INSTALLED_APPS`` order, models in the order their module defines them, so a parent comes before the
    rows that belong to it: a list before its tasks, an agreement before its milestones and tranches)."""
    concrete = model._meta.concrete_model
    for rank, candidate in enumerate(apps.get_models(include_auto_created=True)):
        if candidate is concrete:
            return rank
    raise LookupError(f"{model} is not an installed model")


def lock(*rows: models.Model) -> list[models.Model]:
    """Re-read ``rows`` from the database under row locks (``SELECT … FOR UPDATE``) and return them in the
    order given, so checks see the committed state.

    The locks are taken in one fixed order whatever order the caller names the rows in — by model (see
    :func:`_model_rank`), then by primary key — so two actions locking the same rows queue instead of
    deadlocking. Take every lock an action needs in one call, at its start. Must run inside a transaction.
    On SQLite ``FOR UPDATE`` does nothing: the IMMEDIATE transaction already serialises writers."""
    by_model: dict[type[models.Model], set] = {}
    for row in rows:
        by_model.setdefault(row._meta.concrete_model, set()).add(row.pk)
    fresh: dict[tuple[type[models.Model], Any], models.Model] = {}
    for model in sorted(by_model, key=_model_rank):
        query = model._base_manager.select_for_update().filter(pk__in=by_model[model])
        for row in query.order_by("pk"):
            fresh[(model, row.pk)] = row
    missing = [row for row in rows if (row._meta.concrete_model, row.pk) not in fresh]
    if missing:
        raise missing[0].DoesNotExist(f"{missing[0]._meta.label} {missing[0].pk} does not exist")
    return [fresh[(row._meta.concrete_model, row.pk)] for row in rows]


def locked(row: M) -> M:
    """One row re-read under a row lock (:func:`lock` for a single row)."""
    return lock(row)[0]  # type: ignore[return-value]


# --- the search index ----------------------------------------------------------------------------------


def reindex(*rows: models.Model) -> None:
    """Have the search index re-read these rows (and the indexed rows that depend on them) once the
    transaction commits. Services call it after changing an indexed row with ``UPDATE``, which fires no
    signal — never by saving the row a second time.

    The index lives in the module ``settings.SEARCH_INDEXING`` names (``kechuang.search.indexing``): core
    sits below the search app, so, like ``AUTH_USER_MODEL``, a setting says where it is."""
    indexing = import_module(settings.SEARCH_INDEXING)
    registrations = indexing.registrations().values()
    for row in rows:
        model = row._meta.concrete_model
        for registration in registrations:
            if registration.model._meta.concrete_model is model:
                indexing.schedule_sync(registration.type_name, [row.pk])
            for related, to_pks in registration.related.items():
                if related._meta.concrete_model is model:
                    pks = [pk for pk in to_pks(row) if pk is not None]
                    indexing.schedule_sync(registration.type_name, pks)


# --- transitions ----------------------------------------------------------------------------------------


def _status_display(row: models.Model, field: str) -> str:
    display = getattr(row, f"get_{field}_display", None)
    return str(display()) if display else str(getattr(row, field))


def transition(
    actor,
    row: M,
    *,
    event: EventName,
    expected: Iterable[str],
    to: str,
    refusal: str = "",
    summary: str = "",
    field: str = "status",
    now: datetime.datetime | None = None,
    values: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    queryset: models.QuerySet | None = None,
    code: str = "refused",
) -> M:
    """Move ``row`` from one of the ``expected`` states to ``to`` with one conditional ``UPDATE … WHERE
    <field> IN expected`` (setting ``values`` too, and every ``auto_now`` field to ``now``), then write the
    audit row ``event`` and have the search index re-read the row.

    Guarantees: if the row is no longer in an expected state (another request got there first) nothing is
    changed and :class:`Refused` (with ``code``) is raised with ``refusal`` — which may name the current
    state as ``%(s)s`` — or a default message naming it. Returns the row re-read (from ``queryset`` when
    given, to load its relations in the same step)."""
    now = now_or_default(now)
    model = type(row)
    changes = {field: to, **(values or {})}
    for model_field in model._meta.concrete_fields:
        if getattr(model_field, "auto_now", False):
            changes.setdefault(model_field.name, now)
    updated = model._base_manager.filter(pk=row.pk, **{f"{field}__in": list(expected)}).update(
        **changes
    )
    fresh = (queryset if queryset is not None else model._base_manager).get(pk=row.pk)
    if updated != 1:
        message = str(refusal) if refusal else _("当前状态为“%(s)s”，不能执行此操作")
        if "%(s)s" in message:
            message = message % {"s": _status_display(fresh, field)}
        raise Refused(message, code=code)
    from kechuang.core.audit import record

    record(actor, event, fresh, summary, **(data or {}))
    reindex(fresh)
    return fresh


# --- unique rows ----------------------------------------------------------------------------------------


@contextmanager
def refuse_duplicates(refusal: str) -> Iterator[None]:
    """Run the block in a savepoint; if a unique constraint stops it (another request created the same
    row first: the check before the insert could not see that row yet), refuse with ``refusal`` — a
    :class:`Refused`, not a 500 — and leave the caller's transaction usable (on PostgreSQL a failed
    statement outside a savepoint would poison it)."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise Refused(refusal, code="exists") from None


def create_unique(model: type[M], refusal: str, **values: Any) -> M:
    """Create one row of ``model`` that a unique constraint guards; if the constraint finds it exists
    (two requests racing past the service's own check), refuse with ``refusal`` and change nothing."""
    with refuse_duplicates(refusal):
        return model._default_manager.create(**values)
