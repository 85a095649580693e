"""The questions core's own pages and admin ask about a person — are they an operator, which regions do
they run, whose office to ask for access — answered by the module ``settings.ACCESS_RULES`` names
(``kechuang.accounts.permissions``, which holds the operator mandates and memberships).

Core sits below accounts (accounts' users, mandates and memberships point at core's regions), so core does
not import it: like ``AUTH_USER_MODEL`` for the user model, a setting says who answers. Every other app
asks :mod:`kechuang.accounts.permissions` directly.
"""

from functools import cache
from importlib import import_module
from types import ModuleType

from django.conf import settings
from django.db.models import QuerySet

from kechuang.core.models import Region


@cache
def _rules() -> ModuleType:
    return import_module(settings.ACCESS_RULES)


def is_operator(user) -> bool:
    """Whether ``user`` holds an operator mandate (or is a superuser)."""
    return _rules().is_operator(user)


def managed_regions(user) -> QuerySet[Region]:
    """The regions ``user`` operates (all for a superuser, none for others)."""
    return _rules().managed_regions(user)


def operates(user, region: Region | None) -> bool:
    """Whether ``user`` operates ``region`` (directly or through a region above it)."""
    return _rules().operates(user, region)


def offices_for(user) -> list[str]:
    """The operators' offices over the person's regions: whom to ask for access."""
    return _rules().offices_for(user)
