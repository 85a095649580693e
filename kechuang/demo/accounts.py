"""The demo's log-ins: one per role, all with the same published password."""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext as _

from kechuang.accounts.models import Membership, OperatorMandate, User
from kechuang.core.models import Region
from kechuang.directory.models import Expert, Organization

DEMO_PASSWORD = "kechuang2026"

# username, display name, region code, office
OPERATORS = [
    ("ruian", "瑞安市科协运营专员", "330381", "瑞安市科协"),
    ("wenzhou", "温州市科协运营专员", "330300", "温州市科协"),
    ("jiading", "嘉定区科协运营专员", "310114", "嘉定区科协"),
    ("suzhou", "苏州市科协运营专员", "320500", "苏州市科协"),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    detail: str


def demo_operators() -> dict[str, User]:
    """The demo operators by the code of the region they operate."""
    users = User.objects.filter(username__in=[row[0] for row in OPERATORS]).in_bulk(
        field_name="username"
    )
    return {
        code: users[username] for username, _name, code, _office in OPERATORS if username in users
    }


def create_demo_users(
    *, enterprise: Organization, institution: Organization, expert: Expert
) -> None:
    """Create the superuser, the four operators (staff, with a mandate over their region), an admin
    member of ``enterprise`` and of ``institution``, and a user owning ``expert``'s profile.

    The password is hashed once and shared: hashing is deliberately slow, and these accounts are public.
    """
    password = make_password(DEMO_PASSWORD)

    def user(username: str, display_name: str, **flags) -> User:
        # update_or_create: a database may already have, say, an "admin" made by createsuperuser.
        account, _created = User.objects.update_or_create(
            username=username,
            defaults={
                "display_name": display_name,
                "email": f"{username}@demo.kechuang.local",
                "password": password,
                "is_active": True,
                **flags,
            },
        )
        return account

    user("admin", "平台管理员", is_superuser=True, is_staff=True)
    for username, display_name, code, office in OPERATORS:
        region = Region.objects.get(code=code)
        OperatorMandate.objects.update_or_create(
            user=user(username, display_name, is_staff=True),
            region=region,
            defaults={"office": office},
        )
    Membership.objects.update_or_create(
        user=user("enterprise", f"{enterprise.name}管理员"),
        organization=enterprise,
        defaults={"role": Membership.Role.ADMIN},
    )
    Membership.objects.update_or_create(
        user=user("institution", f"{institution.name}科研处"),
        organization=institution,
        defaults={"role": Membership.Role.ADMIN},
    )
    expert.user = user("expert", expert.name)
    expert.save(update_fields=["user"])


def demo_logins() -> list[DemoLogin]:
    """The demo log-ins present in the database, one per role, in the order they are listed."""
    logins = []
    if User.objects.filter(username="admin", is_superuser=True).exists():
        logins.append(DemoLogin("admin", _("超级管理员"), _("平台全部数据与后台")))
    usernames = [row[0] for row in OPERATORS]
    mandates = OperatorMandate.objects.filter(user__username__in=usernames).select_related("user")
    for mandate in sorted(mandates, key=lambda m: usernames.index(m.user.username)):
        logins.append(DemoLogin(mandate.user.username, _("区域运营"), mandate.office))
    for username, role in (("enterprise", _("企业")), ("institution", _("高校院所"))):
        membership = (
            Membership.objects.filter(user__username=username)
            .select_related("organization")
            .first()
        )
        if membership:
            logins.append(DemoLogin(username, role, membership.organization.name))
    expert = Expert.objects.filter(user__username="expert").select_related("affiliation").first()
    if expert:
        logins.append(DemoLogin("expert", _("专家"), f"{expert.name}（{expert.affiliation}）"))
    provider = Membership.objects.filter(user__username="provider").select_related("organization")
    if provider := provider.first():
        logins.append(DemoLogin("provider", _("创新券服务机构"), provider.organization.name))
    if User.objects.filter(username="auditor").exists():
        logins.append(DemoLogin("auditor", _("审计"), _("创新券账务与跨区域清算")))
    return logins
