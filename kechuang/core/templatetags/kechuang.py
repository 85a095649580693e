"""Template filters and tags shared by every page: ``{% load kechuang %}``.

- ``{{ amount|yuan }}`` → ``¥1,234.50`` (Decimal yuan, never float; ``None`` → the "面议" label)
- ``{{ moment|local_time }}`` → ``2026-11-22 20:15`` in Asia/Shanghai (``|local_time:"Y-m-d"`` for a date)
- ``{% query_string page=3 %}`` → the current GET parameters with some replaced or removed (``None``)
"""

from decimal import Decimal
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext as _

from kechuang.core.money import to_yuan

register = template.Library()

SHANGHAI = ZoneInfo("Asia/Shanghai")  # shown zone, whatever the active one


@register.filter
def yuan(value: Decimal | int | str | None) -> str:
    """An amount in yuan with the ¥ sign, thousands separators and two decimals; empty means negotiable."""
    if value is None or value == "":
        return _("面议")
    amount = to_yuan(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


@register.filter
def local_time(value, fmt: str = "Y-m-d H:i") -> str:
    """An aware datetime shown in Asia/Shanghai (times are stored in UTC); dates are formatted as they are."""
    if value in (None, ""):
        return ""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        if timezone.is_naive(value):
            raise ValueError("local_time needs a timezone-aware datetime")
        value = timezone.localtime(value, SHANGHAI)
    return format_date(value, fmt)


@register.simple_tag(takes_context=True)
def query_string(context, **changes) -> str:
    """``?`` plus the request's GET parameters with ``changes`` applied (a ``None`` value removes the key).

    Pagination and sort links use it so that they keep the current search and filters.
    """
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
