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

import decimal
import functools
import json
import math
import re
from decimal import Decimal
from typing import Any

import ninja.openapi.schema
import ninja.parser
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy
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


def _power_of_ten(value) -> int | None:
    """``k`` when ``value`` is 10**k (k ≥ 0), else ``None``."""
    if value is None:
        return None
    value = Decimal(value)
    if value <= 0 or value != value.to_integral_value():
        return None
    k = len(str(int(value))) - 1
    return k if value == 10**k else None


@functools.cache
def _shared_schema_names() -> frozenset[str]:
    """Names of the API's schema classes defined in more than one module (``ReasonIn`` of the demands and
    of the vouchers): their components are named with the app (``DemandsReasonIn``)."""
    modules: dict[str, set[str]] = {}
    pending = [Schema]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("kechuang.") and cls.__qualname__ == cls.__name__:
            modules.setdefault(cls.__name__, set()).add(cls.__module__)
    return frozenset(name for name, found in modules.items() if len(found) > 1)


class _QualifiedNames(NinjaGenerateJsonSchema):
    """Component names that keep a nested class's owner: ``Demand.Status`` → ``DemandStatus``, and a
    schema name that two apps use keeps its app: ``ReasonIn`` → ``DemandsReasonIn`` / ``VouchersReasonIn``.

    django-ninja builds each operation's schema apart and merges their components by name, so the many
    ``Status`` choices of the models (a demand's, a booking's…) would otherwise all become one
    ``Status`` component — the last one written — and the document would list a booking's statuses for a
    demand's ``status`` filter (and a voucher's ``reason``, which may be blank, for a demand's)."""

    def get_defs_ref(self, core_mode_ref):
        defs_ref = super().get_defs_ref(core_mode_ref)
        core_ref, _mode = core_mode_ref
        if not re.search(r"[\[\],]", core_ref):
            parts = core_ref.rsplit(":", 1)[0].split(".")
            choices = self._prioritized_defsref_choices[defs_ref]
            if len(parts) >= 2 and parts[-2][:1].isupper():
                choices[0] = self.normalize_name(parts[-2] + parts[-1])
            elif parts[0] == "kechuang" and len(parts) >= 3 and parts[-1] in _shared_schema_names():
                choices[0] = self.normalize_name(parts[1].capitalize() + parts[-1])
        return defs_ref

    @staticmethod
    def _whole_digits(schema) -> int | None:
        """How many digits the whole part of an amount may have: from ``max_digits`` and
        ``decimal_places``, or from an upper bound that is a power of ten (``lt=10**12``: 12)."""
        places = schema.get("decimal_places") or 0
        limits = []
        if schema.get("max_digits"):
            limits.append(schema["max_digits"] - places)
        if (k := _power_of_ten(schema.get("lt"))) is not None:
            limits.append(k)
        if (k := _power_of_ten(schema.get("le"))) is not None:
            limits.append(k + 1)  # 10**k itself is allowed: handled apart in the pattern
        return min(limits) if limits else None

    def decimal_schema(self, schema):
        """An amount is a string of digits (``"1200.50"``) or a whole JSON number (``1200``): a JSON number
        with a fraction is a binary float (``0.1 + 0.2``), which no amount should pass through. The
        integer branch carries the bounds the field checks."""
        json_schema = super().decimal_schema(schema)
        if self.mode != "validation":
            return json_schema
        bounds: dict[str, int] = {}
        if schema.get("ge") is not None:
            bounds["minimum"] = math.ceil(Decimal(schema["ge"]))
        if schema.get("gt") is not None:
            bounds["minimum"] = math.floor(Decimal(schema["gt"])) + 1
        highs = []
        if schema.get("le") is not None:
            highs.append(math.floor(Decimal(schema["le"])))
        if schema.get("lt") is not None:
            highs.append(math.ceil(Decimal(schema["lt"])) - 1)
        if schema.get("max_digits"):
            highs.append(10 ** (schema["max_digits"] - (schema.get("decimal_places") or 0)) - 1)
        if highs:
            bounds["maximum"] = min(highs)
        if "minimum" not in bounds and "maximum" in bounds:
            bounds["minimum"] = -bounds["maximum"]
        branches = json_schema["anyOf"]
        branches[0] = {"type": "integer", **bounds}
        return json_schema

    def get_decimal_pattern(self, schema):
        """Decimals given as strings: the digits the field allows, with no sign when it may not be
        negative (``""`` or ``"abc"`` are not schema-valid amounts), no zero when it must be positive, and
        nothing above an upper bound that is a power of ten (``le=100``: up to ``100.00``)."""
        places = schema.get("decimal_places")
        floor = schema.get("ge", schema.get("gt"))
        sign = "" if floor is not None and floor >= 0 else "-?"
        whole_digits = self._whole_digits(schema)
        if places == 0:
            fraction = ""
        elif places:
            fraction = f"(\\.[0-9]{{1,{places}}})?"
        else:
            fraction = "(\\.[0-9]+)?"
        ceiling = _power_of_ten(schema.get("le"))
        if ceiling is not None and whole_digits == ceiling + 1:
            # up to 10**k: fewer whole digits, or 10**k with a zero fraction
            zeros = f"(\\.0{{1,{places}}})?" if places else ("" if places == 0 else "(\\.0+)?")
            top = "1" + "0" * ceiling + zeros
            below = f"[0-9]{{1,{ceiling}}}{fraction}" if ceiling else f"0{fraction}"
            return f"^{sign}({top}|{below})$"
        whole = f"[0-9]{{1,{whole_digits}}}" if whole_digits else "[0-9]+"
        if schema.get("gt") is not None and Decimal(schema["gt"]) == 0:
            # more than zero: a non-zero whole part, or zero and a non-zero fraction
            nonzero = f"0*[1-9][0-9]{{0,{whole_digits - 1}}}" if whole_digits else "0*[1-9][0-9]*"
            if places == 0:
                return f"^{nonzero}$"
            small = (
                "|".join(f"[0-9]{{{k}}}[1-9][0-9]{{0,{places - 1 - k}}}" for k in range(places))
                if places
                else "[0-9]*[1-9][0-9]*"
            )
            return f"^({nonzero}{fraction}|0+\\.({small}))$"
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


FRACTION_MESSAGE = gettext_lazy('带小数的数值请写成字符串，如 "12.50"')


class Parser(ninja.parser.Parser):
    """JSON bodies with fractional numbers kept apart (:class:`JsonFraction`)."""

    def parse_body(self, request):
        return json.loads(request.body, parse_float=_fraction)


def _fraction(text: str):
    """A JSON number written with a point or an exponent: a whole one (``2.0``, ``1e3``: JSON Schema counts
    them as integers, and clients write them) is read as that integer; any other is kept apart."""
    value = decimal.Decimal(text)
    if value.is_finite() and value.adjusted() < 19 and value == value.to_integral_value():
        return int(value)
    return _Fraction(text)


class _Fraction:
    """A JSON number with a fraction or an exponent (``12.5``, ``1e3``), kept as its text. No field of the
    API takes one — amounts are whole numbers or strings of digits, as the OpenAPI document says — so the
    field answers 422 rather than reading a binary float's approximation as an amount. (A ``str`` subclass
    would pass as a string, a ``float`` as a number.)"""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


api = NinjaAPI(
    parser=Parser(),
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
    errors = [
        {k: e[k] for k in ("loc", "msg", "type") if k in e}
        | ({"msg": str(FRACTION_MESSAGE)} if isinstance(e.get("input"), _Fraction) else {})
        for e in exc.errors
    ]
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
