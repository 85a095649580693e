"""Who may see and do what. Every view, API endpoint and service asks these functions."""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from kechuang.core.models import Region


def managed_regions(user) -> QuerySet[Region]:
    """The regions ``user`` operates: each mandate's region and everything below it (all for a superuser)."""
    if not getattr(user, "is_authenticated", False):
        return Region.objects.none()
    if user.is_superuser:
        return Region.objects.all()
    paths = list(user.mandates.values_list("region__path", flat=True))
    if not paths:
        return Region.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Region.objects.filter(condition)


def is_operator(user) -> bool:
    return getattr(user, "is_authenticated", False) and (
        user.is_superuser or user.mandates.exists()
    )


def operates(user, region: Region | None) -> bool:
    """Whether ``user`` operates ``region`` (directly or through a region above it)."""
    if region is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(
        region.path.startswith(p) for p in user.mandates.values_list("region__path", flat=True)
    )


def member_organization_ids(user) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(user.memberships.values_list("organization_id", flat=True))


def acts_for(user, organization_id: int | None) -> bool:
    """Whether ``user`` is a member of the organisation with this id."""
    return organization_id is not None and organization_id in member_organization_ids(user)


def operators_of(region: Region):
    """The users holding a mandate over ``region`` (on it or on a region above it): who is told of what
    happens there."""
    codes = [code for code in region.path.split("/") if code]
    return get_user_model().objects.filter(mandates__region__code__in=codes).distinct()


def users_of(*organization_ids: int | None):
    """The users acting for any of these organisations (``None`` ids are ignored)."""
    ids = [pk for pk in organization_ids if pk is not None]
    return get_user_model().objects.filter(memberships__organization_id__in=ids).distinct()
