"""Permission grants: memberships (a user acting for an organisation) and operator mandates (a user
operating a region). They decide what everyone may do on the platform, so they change only here — the
admin calls these too — each in one transaction with an audit row on the person concerned.

Who may grant: a superuser grants anything; an ``admin`` member of an organisation, or an operator of its
region, manages that organisation's memberships. Operator mandates are granted and revoked by superusers
only (an operator cannot widen their own or anyone's reach). Refusals raise ``PermissionDenied`` or
:class:`kechuang.core.actions.Refused` with a Chinese message; nothing is written then.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kechuang.accounts.events import AccountEvent
from kechuang.accounts.models import Membership, OperatorMandate, User
from kechuang.accounts.permissions import operates
from kechuang.core.actions import Refused, checked_by, create_unique, locked
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
