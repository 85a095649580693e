"""API tokens: what a token may reach (scopes) and how a presented secret finds its token.

A scope is ``<capability>:read`` or ``<capability>:write``; a capability is one part of the JSON API
(``/api/<capability>/…``). ``read`` covers the safe methods (GET, HEAD, OPTIONS), ``write`` every other
method and includes ``read``. A token grants nothing by itself: its requests run the same permission checks
as its owner's session, so a scope only ever narrows what the owner may do. A person may give a token only
the scopes their roles allow (:func:`allowed_scopes`): anyone signed in may read; writing needs a role that
writes in that capability (an operator curates vocabularies and indicators, a member of an organisation
posts demands, books instruments, applies for vouchers, an expert answers engagements and scores…).

The secret is ``kc_`` followed by 43 URL-safe characters (256 random bits); only its SHA-256 digest is
stored (a slow password hash buys nothing for a random secret of that length and would slow every request).
"""

import hashlib
import secrets

from django.utils.translation import gettext_lazy as _

from kechuang.accounts.permissions import roles_of

SECRET_PREFIX = "kc_"
READ, WRITE = "read", "write"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The API's capabilities (its URL prefixes), in the order the token page lists them.
CAPABILITIES: dict[str, object] = {
    "directory": _("资源库"),
    "demands": _("技术需求与对接"),
    "challenges": _("揭榜挂帅"),
    "vouchers": _("创新券"),
    "booking": _("仪器预约"),
    "auctions": _("专利拍卖"),
    "contracts": _("技术合同"),
    "indicators": _("考核指标"),
    "vocabulary": _("检索词表"),
}

ALL_SCOPES = tuple(f"{c}:{a}" for c in CAPABILITIES for a in (READ, WRITE))


def _writers(roles) -> set[str]:
    """The capabilities in which a person with these roles has something to write."""
    if roles.operator:
        return set(CAPABILITIES)
    writes: set[str] = set()
    if roles.memberships:
        writes |= {"directory", "demands", "challenges", "vouchers", "booking", "auctions"}
        writes |= {"contracts"} if roles.may_enter_contracts else set()
    if roles.expert is not None:
        writes |= {"directory", "demands", "challenges"}
    if roles.auditor:
        writes |= {"vouchers"}
    return writes


def allowed_scopes(user) -> list[str]:
    """The scopes ``user`` may put on a token, in :data:`ALL_SCOPES` order (none when signed out)."""
    if not getattr(user, "is_authenticated", False):
        return []
    writes = _writers(roles_of(user))
    return [s for s in ALL_SCOPES if s.endswith(f":{READ}") or s.split(":")[0] in writes]


def scope_for(path: str, method: str) -> str | None:
    """The scope a request to the API needs, or ``None`` outside any capability (``/api/openapi.json``)."""
    parts = path.split("/")
    # "/api/<capability>/..." → ["", "api", "<capability>", ...]
    capability = parts[2] if len(parts) > 2 and parts[1] == "api" else ""
    if capability not in CAPABILITIES:
        return None
    return f"{capability}:{READ if method.upper() in SAFE_METHODS else WRITE}"


def covers(scopes, needed: str) -> bool:
    """Whether a token with ``scopes`` may make a request that needs ``needed`` (write includes read)."""
    if needed in scopes:
        return True
    capability, access = needed.split(":")
    return access == READ and f"{capability}:{WRITE}" in scopes


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
