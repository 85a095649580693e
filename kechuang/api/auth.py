"""Who is calling the API: a personal API token (``Authorization: Bearer kc_…``) or the session cookie.

Every operation authenticates through :func:`install`, which the API assembly calls once:

- an operation that needs a signed-in person (``auth=django_auth`` in its router) accepts a token first,
  then the session (with Django's CSRF check, as before); neither → **401**;
- a public operation also accepts a token (its owner then reads what the owner's session would) and
  otherwise runs as whoever the session says (anonymous included).

A token request runs as the token's owner — ``request.user`` and ``request.auth`` are that user — so every
permission check is the one the owner's session meets; the token's scopes narrow it further: the request
needs ``<capability>:read`` (GET, HEAD, OPTIONS) or ``<capability>:write`` (anything else) for
``/api/<capability>/…``, else **403** ``insufficient_scope`` before the operation runs. A wrong, revoked or
expired token, or an ``Authorization`` header of another kind, answers **401** ``unauthorized`` even on a
public operation: an integration learns at once that its credentials are bad rather than silently reading
as an anonymous visitor.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, django_auth
from ninja.security import SessionAuth as NinjaSessionAuth

from kechuang.accounts.services import authenticate_token
from kechuang.accounts.tokens import covers, scope_for


class InsufficientScope(PermissionDenied):
    """The token is valid, but its scopes do not cover this request."""

    code = "insufficient_scope"


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: the token's owner, within the token's scopes."""

    def __call__(self, request):
        header = request.headers.get(self.header)
        if not header:
            return None
        scheme, _space, secret = header.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            raise AuthenticationError(message=_("请使用 Authorization: Bearer <令牌>"))
        return self.authenticate(request, secret.strip())

    def authenticate(self, request, token):
        found = authenticate_token(token)
        if found is None:
            raise AuthenticationError(message=_("令牌无效、已撤销或已过期"))
        needed = scope_for(request.path_info, request.method)
        if needed is not None and not covers(found.scopes, needed):
            raise InsufficientScope(
                _("令牌的权限范围不含 %(scope)s") % {"scope": needed},
            )
        request.user = found.user
        request.api_token = found
        return found.user


class SessionAuth(NinjaSessionAuth):
    """The session cookie, with Django's CSRF check — asked only when someone is signed in, so an anonymous
    caller learns it must authenticate (401) rather than that a CSRF token is missing (403)."""

    def __call__(self, request):
        if not getattr(request.user, "is_authenticated", False):
            return None
        return super().__call__(request)


def _anyone(request):
    """A public operation runs as whoever the session says (an ``AnonymousUser`` is truthy)."""
    return request.user


token_auth = TokenAuth()
SIGNED_IN = [token_auth, SessionAuth()]
PUBLIC = [token_auth, _anyone]


def install(api) -> None:
    """Give every operation of ``api`` the token-then-session authentication described above."""
    # The bound routers: their operations are the ones served and documented, with each router's own
    # ``auth`` (e.g. ``Router(auth=django_auth)``) already applied.
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                needs_person = any(cb is django_auth for cb in operation.auth_callbacks)
                operation.auth_callbacks = list(SIGNED_IN if needs_person else PUBLIC)
                if not needs_person:
                    # The OpenAPI document: a token, a session, or nobody ({}) may call it.
                    extra = dict(operation.openapi_extra or {})
                    extra["security"] = [*extra.get("security", []), {}]
                    operation.openapi_extra = extra
