"""The JSON API (django-ninja), assembled from each app's ``api.py`` router. OpenAPI at ``/api/docs``.

Every error answers with one body, :class:`ErrorOut` ``{"code": str, "detail": str, "errors": [...]}``,
from the handlers registered here (no app maps exceptions to status codes itself):

- :class:`kechuang.core.actions.Refused` → **409** (``code`` is the refusal's code, ``detail`` its reason);
- no or bad credentials → **401** (``code`` ``"unauthorized"``): an operation that needs a signed-in person
  called anonymously, or a wrong, revoked or expired API token anywhere (see :mod:`kechuang.api.auth`);
- ``PermissionDenied`` → **403** (``code`` ``"forbidden"``, or ``"insufficient_scope"`` when an API
  token's scopes do not cover the request);
- invalid input → **422** (``code`` ``"invalid"``): django-ninja's request validation (``errors`` lists
  ``{"loc", "msg", "type"}``) and Django's ``ValidationError`` (``errors`` lists ``{"loc", "msg"}``);
- a body that is not JSON → **400** (``code`` ``"bad_request"``);
- ``Http404`` → **404** (``code`` ``"not_found"``);
- an explicit ``HttpError(status, detail)`` → that status, ``code`` as above for it.

Every operation declares 401, 403, 404, 409 and 422 with :class:`ErrorOut` in the OpenAPI document, and
accepts an API token (``Authorization: Bearer kc_…``) as well as the session (:mod:`kechuang.api.auth`).
"""

import re
from typing import Any

import ninja.openapi.schema
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.schema import NinjaGenerateJsonSchema

from kechuang.api import auth
from kechuang.auctions.api import router as auctions_router
from kechuang.booking.api import router as booking_router
from kechuang.challenges.api import router as challenges_router
from kechuang.contracts.api import router as contracts_router
from kechuang.core.actions import Refused
from kechuang.demands.api import router as demands_router
from kechuang.directory.api import router as directory_router
from kechuang.indicators.api import router as indicators_router
from kechuang.search.api import router as vocabulary_router
from kechuang.vouchers.api import router as vouchers_router


class _QualifiedNames(NinjaGenerateJsonSchema):
    """Component names that keep a nested class's owner: ``Demand.Status`` → ``DemandStatus``.

    django-ninja builds each operation's schema apart and merges their components by name, so the many
    ``Status`` choices of the models (a demand's, a booking's…) would otherwise all become one
    ``Status`` component — the last one written — and the document would list a booking's statuses for a
    demand's ``status`` filter."""

    def get_defs_ref(self, core_mode_ref):
        defs_ref = super().get_defs_ref(core_mode_ref)
        core_ref, _mode = core_mode_ref
        if not re.search(r"[\[\],]", core_ref):
            parts = core_ref.rsplit(":", 1)[0].split(".")
            if len(parts) >= 2 and parts[-2][:1].isupper():
                choices = self._prioritized_defsref_choices[defs_ref]
                choices[0] = self.normalize_name(parts[-2] + parts[-1])
        return defs_ref

    def get_decimal_pattern(self, schema):
        """Decimals given as strings: the digits the field allows, with no sign when it may not be
        negative (``""`` or ``"abc"`` are not schema-valid amounts)."""
        places = schema.get("decimal_places")
        digits = schema.get("max_digits")
        floor = schema.get("ge", schema.get("gt"))
        sign = "" if floor is not None and floor >= 0 else "-?"
        whole = f"[0-9]{{1,{digits - (places or 0)}}}" if digits else "[0-9]+"
        if places == 0:
            fraction = ""
        elif places:
            fraction = f"(\\.[0-9]{{1,{places}}})?"
        else:
            fraction = "(\\.[0-9]+)?"
        return f"^{sign}{whole}{fraction}$"


# The OpenAPI generator reads this name when it builds the document.
ninja.openapi.schema.NinjaGenerateJsonSchema = _QualifiedNames


class ErrorOut(Schema):
    """The body of every error answer."""

    code: str
    detail: str
    errors: list[dict[str, Any]] = []


ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "refused",
    422: "invalid",
}
ERROR_RESPONSES = dict.fromkeys(ERROR_CODES, ErrorOut)

api = NinjaAPI(
    title="Kechuang API",
    version="1",
    description="科创 · 科技经济融通平台 JSON API",
    urls_namespace="api",
)
api.add_router("/directory/", directory_router)
api.add_router("/demands/", demands_router)
api.add_router("/challenges/", challenges_router)
api.add_router("/vocabulary/", vocabulary_router)
api.add_router("/indicators/", indicators_router)
api.add_router("/contracts/", contracts_router)
api.add_router("/auctions/", auctions_router)

api.add_router("/booking/", booking_router)
api.add_router("/vouchers/", vouchers_router)


def _error(request, status: int, detail: str, code: str = "", errors: list | None = None):
    body = {
        "code": code or ERROR_CODES.get(status, "error"),
        "detail": detail,
        "errors": errors or [],
    }
    return api.create_response(request, body, status=status)


@api.exception_handler(Refused)
def _refused(request, exc: Refused):
    return _error(request, 409, str(exc.message), code=exc.code)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc: PermissionDenied):
    return _error(request, 403, str(exc) or "forbidden", code=getattr(exc, "code", "forbidden"))


@api.exception_handler(DjangoValidationError)
def _invalid(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        errors = [{"loc": [f], "msg": m} for f, ms in exc.message_dict.items() for m in ms]
    else:
        errors = [{"loc": [], "msg": m} for m in exc.messages]
    return _error(request, 422, "；".join(exc.messages), errors=errors)


@api.exception_handler(NinjaValidationError)
def _invalid_request(request, exc: NinjaValidationError):
    errors = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors]
    return _error(request, 422, "；".join(e["msg"] for e in errors if "msg" in e), errors=errors)


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return _error(request, 404, str(exc) or "Not Found")


@csrf_exempt  # it changes nothing; a POST with a session cookie must not get the HTML CSRF page
def not_found(request, rest: str = ""):
    """``/api/…`` paths that name no operation (``/api/demands/abc``: an id that is not a number) answer
    the one error body too, not the site's HTML 404 page."""
    return _error(request, 404, "Not Found")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, exc.status_code, str(exc))


# Tokens or the session on every operation (after the routers are added: they bind cloned operations).
auth.install(api)

# Declare the error answers on every operation, so the OpenAPI document lists them.
for _router in api._get_bound_routers():
    for _path_view in _router.path_operations.values():
        for _operation in _path_view.operations:
            for _status, _schema in ERROR_RESPONSES.items():
                _operation.response_models.setdefault(
                    _status, _operation._create_response_model(_schema)
                )
