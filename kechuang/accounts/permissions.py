"""Who may see and do what. Every view, API endpoint and service asks these functions."""

from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.functions import Length

from kechuang.core.models import Region

# Set by :class:`PermissionsPerRequestMiddleware` on the user the authentication middleware loaded for a
# request: that object lives for one request, so what it may do is read once and kept on it. A user
# object made any other way (a test, a task, a shell) is asked afresh every time, so a membership or
# mandate granted a moment ago always counts.
REQUEST_SCOPED = "_kechuang_request_scoped"


def _once_per_request(user, key: str, compute):
    if not getattr(user, REQUEST_SCOPED, False):
        return compute()
    memo = user.__dict__.setdefault("_kechuang_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


class PermissionsPerRequestMiddleware:
    """Marks the request's signed-in user so that its memberships and mandates are read once per request
    (a demand page asks ``acts_for`` and ``operates`` a dozen times). After ``AuthenticationMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            setattr(user, REQUEST_SCOPED, True)
        return self.get_response(request)


def _mandate_paths(user) -> list[str]:
    return _once_per_request(
        user,
        "mandate_paths",
        lambda: list(user.mandates.values_list("region__path", flat=True)),
    )


def managed_regions(user) -> QuerySet[Region]:
    """The regions ``user`` operates: each mandate's region and everything below it (all for a superuser)."""
    if not getattr(user, "is_authenticated", False):
        return Region.objects.none()
    if user.is_superuser:
        return Region.objects.all()
    paths = _mandate_paths(user)
    if not paths:
        return Region.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Region.objects.filter(condition)


def is_operator(user) -> bool:
    return getattr(user, "is_authenticated", False) and (
        user.is_superuser or bool(_mandate_paths(user))
    )


def operates(user, region: Region | None) -> bool:
    """Whether ``user`` operates ``region`` (directly or through a region above it)."""
    if region is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(region.path.startswith(p) for p in _mandate_paths(user))


def member_organization_ids(user) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    ids = _once_per_request(
        user,
        "organization_ids",
        lambda: frozenset(user.memberships.values_list("organization_id", flat=True)),
    )
    return set(ids)


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


# --- roles: what one person is on the platform ----------------------------------------------------------


ENTERPRISE = "enterprise"  # Organization.Kind.ENTERPRISE, without importing the directory here


@dataclass(frozen=True)
class Roles:
    """What a signed-in person is on the platform, read once per request (three queries at most): an
    operator (科协 / 科技局, or a superuser), a member of enterprises and of institutions, an expert with a
    profile — any mix of these. The menus, the workbench and the actions on resource pages all ask it, so
    that a menu shows exactly what the view behind it allows."""

    operator: bool = False
    memberships: tuple = ()
    expert: object | None = None  # the user's :class:`~kechuang.directory.models.Expert` profile
    user: object | None = field(default=None, compare=False, repr=False)

    @property
    def organizations(self) -> list:
        return [m.organization for m in self.memberships]

    @property
    def organization_ids(self) -> set[int]:
        return {m.organization_id for m in self.memberships}

    @property
    def enterprises(self) -> list:
        """The enterprises the person acts for (they post demands and take challenges)."""
        return [o for o in self.organizations if o.kind == ENTERPRISE]

    @property
    def may_manage_instruments(self) -> bool:
        """Operators and members of institutions (non-enterprises, which own the shared instruments)
        see the instrument-booking queue; the booking services check each instrument's owner."""
        return self.operator or bool(self.institutions)

    @property
    def institutions(self) -> list:
        """The non-enterprise organisations the person acts for (they may provide voucher services)."""
        return [o for o in self.organizations if o.kind != ENTERPRISE]

    @cached_property
    def auditor(self) -> bool:
        """An auditor (审计) reads the voucher ledger: the ``vouchers.audit_ledger`` permission, given
        through a group. Asked only where an auditor's menu is shown, so other pages pay no query."""
        user = self.user
        return bool(user is not None and user.has_perm("vouchers.audit_ledger"))

    @property
    def may_post_demands(self) -> bool:
        """Any organisation's member may post its technical demands (the service checks ``acts_for``)."""
        return bool(self.memberships)

    @property
    def may_enter_contracts(self) -> bool:
        """Operators and members of any organisation register technology contracts (技术合同登记)."""
        return self.operator or bool(self.memberships)

    @property
    def has_role(self) -> bool:
        return self.operator or bool(self.memberships) or self.expert is not None or self.auditor


NO_ROLES = Roles()


def roles_of(user) -> Roles:
    """The :class:`Roles` of ``user``, computed once and kept on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return NO_ROLES
    cached = user.__dict__.get("_kechuang_roles")
    if cached is None:
        cached = Roles(
            operator=is_operator(user),
            memberships=tuple(
                user.memberships.select_related("organization__region").order_by(
                    "organization__name"
                )
            ),
            expert=expert_profile_of(user),
            user=user,
        )
        user.__dict__["_kechuang_roles"] = cached
    return cached


def expert_profile_of(user):
    """The directory's expert profile linked to ``user`` (with its region), or ``None``: read through the
    profile's one-to-one relation to the user (``expert_profile``), so accounts needs no import of the
    directory, which builds on it."""
    profiles = get_user_model()._meta.get_field("expert_profile").related_model._default_manager
    return profiles.filter(user=user).select_related("region").first()


def may_post_demands(user) -> bool:
    """Whether ``user`` may post a technical demand: the demand form and the menus ask this."""
    return roles_of(user).may_post_demands


def offices_for(user) -> list[str]:
    """The operators' offices (e.g. 瑞安市科协) over the regions of the user's organisations and expert
    profile: whom to ask for access. Empty for someone with no region on the platform."""
    from kechuang.accounts.models import OperatorMandate

    roles = roles_of(user)
    paths = [o.region.path for o in roles.organizations if o.region_id]
    if roles.expert is not None and roles.expert.region_id:
        paths.append(roles.expert.region.path)
    codes = {code for path in paths for code in path.split("/") if code}
    if not codes:
        return []
    offices = (
        OperatorMandate.objects.filter(region__code__in=codes)
        .exclude(office="")
        .order_by(Length("region__path").desc(), "office")  # the nearest office first
        .values_list("office", flat=True)
    )
    return list(dict.fromkeys(offices))
