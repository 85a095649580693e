"""Record ids and numbers from outside (paths, query strings, forms, JSON), read so that no value reaches
the database that it cannot hold.

Django's own lookups turn an out-of-range integer into "no result" for plain integer columns but not for
foreign keys, and ``get_object_or_404(pk="abc")`` raises ``ValueError``: either answered 500. Everything
here answers "no such record" (404) or a refusal (4xx) instead.
"""

import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from pydantic import AfterValidator, Field, WithJsonSchema

MAX_ID = 2**63 - 1  # the largest BIGINT, on PostgreSQL and SQLite alike

# A record id in an API schema: documented and validated as 1…MAX_ID (422 otherwise).
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]


def id_param(value) -> int | None:
    """``value`` (a query-string or form value) as a record id, or ``None`` when it cannot name one: not
    ASCII digits (``abc``, ``²``, ``-1``, ``1e3``), zero, or beyond the database's range. ``None`` matches
    no row, so ``get_object_or_404(…, pk=id_param(v))`` answers 404 for garbage."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= MAX_ID else None
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def id_params(values) -> list[int]:
    """The values that are record ids (see :func:`id_param`), in order, the rest dropped."""
    return [number for number in map(id_param, values) if number is not None]


class IdsInRangeMiddleware:
    """A path whose ``<int:…>`` part is beyond the database's range names no record: 404 (JSON under
    ``/api/``) before the view runs, so no view has to think about it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        values = list(view_args) + list(view_kwargs.values())
        if any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in values):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "not_found", "detail": _("未找到该记录"), "errors": []}, status=404
                )
            raise Http404(_("未找到该记录"))
        return None


# Dates people enter (deadlines, meetings, windows, visits, report periods) lie in this range: a year 1
# or 9999 is a typing slip, and at the edges of the calendar a time-zone shift or "the day after"
# overflows Python's date.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2099, 12, 31)


def date_out_of_range(value) -> str:
    """Why ``value`` (a date or datetime) cannot be entered, in Chinese; "" when it can."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime.datetime) else value
    if EARLIEST_DATE <= day <= LATEST_DATE:
        return ""
    return _("日期须在 %(first)s 至 %(last)s 之间") % {
        "first": f"{EARLIEST_DATE.year}年1月1日",
        "last": f"{LATEST_DATE.year}年12月31日",
    }


def validate_platform_date(value) -> None:
    """Form and model validator: see :func:`date_out_of_range`."""
    if message := date_out_of_range(value):
        raise ValidationError(message, code="date_range")


def _pydantic_date(value):
    if message := date_out_of_range(value):
        raise ValueError(message)
    return value


# A date in an API schema, within the same range (422 otherwise). The OpenAPI document says so with a
# pattern (years 2000–2099), so that a client — and schemathesis — knows which dates are accepted.
DATE_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
PlatformDate = Annotated[
    datetime.date,
    AfterValidator(_pydantic_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]


# A moment in an API schema: an ISO 8601 date-time within the same years, with an offset of at most
# ±14:00 (the world's widest; PostgreSQL refuses some wider ones that Python accepts, and a shift at the
# calendar's edge overflows), read as UTC. Without an offset it is Beijing time.
DATETIME_PATTERN = (
    r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?([Zz]|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)?$"
)
WIDEST_OFFSET = datetime.timedelta(hours=14)


def _pydantic_datetime(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        from django.utils import timezone

        value = value.replace(tzinfo=timezone.get_default_timezone())
    offset = value.utcoffset()
    if offset is None or abs(offset) > WIDEST_OFFSET:
        raise ValueError(_("时区偏移须在 ±14:00 以内"))
    if message := date_out_of_range(value):
        raise ValueError(message)
    return value.astimezone(datetime.UTC)


PlatformDateTime = Annotated[
    datetime.datetime,
    AfterValidator(_pydantic_datetime),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN}),
]
