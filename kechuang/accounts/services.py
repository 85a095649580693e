"""Permission grants: memberships (a user acting for an organisation) and operator mandates (a user
operating a region). They decide what everyone may do on the platform, so they change only here — the
admin calls these too — each in one transaction with an audit row on the person concerned.

Who may grant: a superuser grants anything; an ``admin`` member of an organisation, or an operator of its
region, manages that organisation's memberships. Operator mandates are granted and revoked by superusers
only (an operator cannot widen their own or anyone's reach). A person's API tokens are created and revoked here too, with an audit row each.
Refusals raise ``PermissionDenied`` or
:class:`kechuang.core.actions.Refused` with a Chinese message; nothing is written then.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kechuang.accounts.events import AccountEvent
from kechuang.accounts.models import ApiToken, Membership, OperatorMandate, User
from kechuang.accounts.permissions import operates
from kechuang.accounts.tokens import (
    ALL_SCOPES,
    SECRET_PREFIX,
    allowed_scopes,
    digest_of,
    new_secret,
)
from kechuang.core.actions import Refused, checked_by, create_unique, locked, now_or_default
from kechuang.core.audit import record
from kechuang.core.models import Region


def check_manage_members(actor, organization) -> None:
    """A superuser, an ``admin`` member of ``organization`` or an operator of its region manages who acts
    for it."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请先登录"))
    if actor.is_superuser or operates(actor, organization.region):
        return
    if Membership.objects.filter(
        user=actor, organization=organization, role=Membership.Role.ADMIN
    ).exists():
        return
    raise PermissionDenied(_("您无权管理该机构的成员"))


def check_manage_membership(actor, membership: Membership, *args, **kwargs) -> None:
    """Who may change or revoke ``membership``: see :func:`check_manage_members`."""
    check_manage_members(actor, membership.organization)


def check_manage_mandates(actor, *args, **kwargs) -> None:
    """Only a superuser grants, changes or revokes an operator mandate."""
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("只有系统管理员可以授予或撤销运营授权"))


def _role(role: str) -> str:
    if role not in Membership.Role.values:
        raise Refused(_("成员角色无效"))
    return role


@checked_by(check_manage_members)
@transaction.atomic
def grant_membership(
    actor, user: User, organization, *, role: str = Membership.Role.MEMBER
) -> Membership:
    """Let ``user`` act for ``organization`` (once: a second grant is refused)."""
    check_manage_members(actor, organization)
    role = _role(role)
    refusal = _("%(u)s 已是 %(o)s 的成员") % {"u": user, "o": organization}
    if Membership.objects.filter(user=user, organization=organization).exists():
        raise Refused(refusal)
    membership = create_unique(Membership, refusal, user=user, organization=organization, role=role)
    record(
        actor,
        AccountEvent.MEMBERSHIP_GRANT,
        user,
        str(membership),
        organization=organization.pk,
        role=role,
    )
    return membership


@checked_by(check_manage_membership)
@transaction.atomic
def change_membership_role(actor, membership: Membership, role: str) -> Membership:
    """Make a member an ``admin`` of the organisation or an ordinary member."""
    membership = locked(membership)
    check_manage_members(actor, membership.organization)
    role = _role(role)
    previous = membership.role
    if previous != role:
        membership.role = role
        membership.save(update_fields=["role"])
        record(
            actor,
            AccountEvent.MEMBERSHIP_CHANGE,
            membership.user,
            str(membership),
            organization=membership.organization_id,
            **{"from": previous, "to": role},
        )
    return membership


@checked_by(check_manage_membership)
@transaction.atomic
def revoke_membership(actor, membership: Membership) -> None:
    """Stop a user acting for an organisation."""
    membership = locked(membership)
    check_manage_members(actor, membership.organization)
    record(
        actor,
        AccountEvent.MEMBERSHIP_REVOKE,
        membership.user,
        str(membership),
        organization=membership.organization_id,
        role=membership.role,
    )
    membership.delete()


@checked_by(check_manage_mandates)
@transaction.atomic
def grant_mandate(actor, user: User, region: Region, *, office: str = "") -> OperatorMandate:
    """Let ``user`` operate ``region`` and every region below it (once: a second grant is refused)."""
    check_manage_mandates(actor)
    refusal = _("%(u)s 已有 %(r)s 的运营授权") % {"u": user, "r": region}
    if OperatorMandate.objects.filter(user=user, region=region).exists():
        raise Refused(refusal)
    mandate = create_unique(
        OperatorMandate, refusal, user=user, region=region, office=(office or "").strip()[:100]
    )
    record(
        actor,
        AccountEvent.MANDATE_GRANT,
        user,
        str(mandate),
        region=region.pk,
        office=mandate.office,
    )
    return mandate


@checked_by(check_manage_mandates)
@transaction.atomic
def change_mandate_office(actor, mandate: OperatorMandate, office: str) -> OperatorMandate:
    """Correct the office (单位) a mandate is held for; its region never changes (revoke and grant)."""
    check_manage_mandates(actor)
    mandate = locked(mandate)
    office = (office or "").strip()[:100]
    if office != mandate.office:
        previous, mandate.office = mandate.office, office
        mandate.save(update_fields=["office"])
        record(
            actor,
            AccountEvent.MANDATE_CHANGE,
            mandate.user,
            str(mandate),
            region=mandate.region_id,
            **{"from": previous, "to": office},
        )
    return mandate


@checked_by(check_manage_mandates)
@transaction.atomic
def revoke_mandate(actor, mandate: OperatorMandate) -> None:
    """End a user's operator mandate over a region."""
    check_manage_mandates(actor)
    mandate = locked(mandate)
    record(
        actor,
        AccountEvent.MANDATE_REVOKE,
        mandate.user,
        str(mandate),
        region=mandate.region_id,
        office=mandate.office,
    )
    mandate.delete()


# --- API tokens ------------------------------------------------------------------------------------------

TOKEN_LIMIT = 20  # live tokens per person
TOKEN_LONGEST = datetime.timedelta(days=366 * 2)


def check_own_token(actor, token: ApiToken, *args, **kwargs) -> None:
    """A person manages only their own tokens (a superuser may revoke anyone's)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请先登录"))
    if token.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied(_("这不是您的令牌"))


@transaction.atomic
def create_api_token(
    actor,
    *,
    name: str,
    scopes,
    expires_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token for ``actor`` and return it with its secret — the only time the secret exists
    outside the caller: the row keeps its SHA-256 digest. ``scopes`` must be among the ones ``actor``'s
    roles allow (:func:`kechuang.accounts.tokens.allowed_scopes`); ``expires_at`` (optional) lies ahead,
    at most two years away."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请先登录"))
    now = now_or_default(now)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise Refused(_("请填写令牌名称（不超过 60 个字）"), code="token_name")
    allowed = allowed_scopes(actor)
    wanted = [s for s in dict.fromkeys(scopes or []) if isinstance(s, str)]
    if not wanted:
        raise Refused(_("请至少选择一项权限范围"), code="token_scopes")
    if any(s not in allowed for s in wanted):
        raise PermissionDenied(_("令牌的权限范围超出了您的角色所允许的范围"))
    if expires_at is not None and not (now < expires_at <= now + TOKEN_LONGEST):
        raise Refused(_("有效期须在今后两年之内"), code="token_expiry")
    User.objects.select_for_update().get(pk=actor.pk)  # one creation at a time per person
    live = ApiToken.objects.filter(user=actor, revoked_at__isnull=True).exclude(expires_at__lte=now)
    if live.count() >= TOKEN_LIMIT:
        raise Refused(
            _("有效令牌已达 %(n)d 个，请先撤销不用的令牌") % {"n": TOKEN_LIMIT}, code="token_limit"
        )
    secret = new_secret()
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=secret[: len(SECRET_PREFIX) + 6],
        digest=digest_of(secret),
        scopes=[s for s in ALL_SCOPES if s in wanted],
        expires_at=expires_at,
    )
    record(
        actor,
        AccountEvent.TOKEN_CREATE,
        token,
        str(token),
        user=actor.pk,
        scopes=token.scopes,
        expires_at=expires_at.isoformat() if expires_at else None,
    )
    return token, secret


@checked_by(check_own_token)
@transaction.atomic
def revoke_api_token(actor, token: ApiToken, *, now: datetime.datetime | None = None) -> ApiToken:
    """Revoke a token: from now on it authenticates nobody. Revoking it again is refused."""
    check_own_token(actor, token)
    token = locked(token)
    if token.revoked_at is not None:
        raise Refused(_("该令牌已撤销"), code="token_revoked")
    token.revoked_at = now_or_default(now)
    token.save(update_fields=["revoked_at"])
    record(actor, AccountEvent.TOKEN_REVOKE, token, str(token), user=token.user_id)
    return token


def note_token_use(token: ApiToken, *, now: datetime.datetime | None = None) -> None:
    """Stamp when a token was last used — at most once a minute, so a busy integration does not write
    on every request (bookkeeping, not an audited change)."""
    now = now_or_default(now)
    if token.last_used_at is None or now - token.last_used_at >= datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def authenticate_token(secret: str, *, now: datetime.datetime | None = None) -> ApiToken | None:
    """The live token with this secret (its user active), or ``None`` for a wrong, revoked or expired one."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    now = now_or_default(now)
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest_of(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    note_token_use(token, now=now)
    return token
