"""Template filters and tags shared by every page: ``{% load kechuang %}``.

- ``{{ amount|money }}`` → ``<span class="money" title="¥44,600,000.00">4,460万元</span>``: the amount as
  people read it (万元/亿元; ``¥44.6 million`` in English), the exact one on hover; ``None`` → "面议"
- ``{% money_range low high %}`` → ``28万元–50万元`` / ``28万元起`` / ``不超过50万元`` / ``面议``
- ``{{ amount|plain_amount }}`` → ``170000``: an amount as typed into a form (``data-next-minimum``, an input's
  ``value``), trailing zeros dropped
- ``{{ amount|yuan }}`` → ``¥1,234.50``: the exact amount (Decimal yuan, never float; ``None`` → "面议")
- ``{{ moment|local_time }}`` → ``2026-11-22 20:15`` in Asia/Shanghai, for tables (``SHORT_DATETIME_FORMAT``);
  ``{{ moment|local_time:"DATETIME_FORMAT" }}`` → ``2026年11月22日 20:15`` for a moment beside days (a
  facts list, a demand's progress steps), so that one list reads one date form
- ``{{ moment|local_date }}`` → ``2026年11月22日`` (``22 November 2026``), for running text (``DATE_FORMAT``);
  a datetime is first moved to Asia/Shanghai, so a deadline reads the same day on every page
- ``{{ names|series }}`` → ``电机、控制器`` (``motors, controllers`` in English): a list in the language's own
  separator, each item escaped
- ``{% query_string page=3 %}`` → the current GET parameters with some replaced or removed (``None``)
"""

from decimal import Decimal
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kechuang.core.money import plain_amount, readable_amount, to_yuan

register = template.Library()

SHANGHAI = ZoneInfo("Asia/Shanghai")  # shown zone, whatever the active one


@register.filter(is_safe=True)
def series(items) -> str:
    """Items joined by the language's list separator (、 in Chinese, ", " in English), each escaped."""
    # Translators: the separator between the items of a list, e.g. 电机、控制器
    return mark_safe(_("、").join(str(conditional_escape(item)) for item in items))


register.filter("plain_amount", plain_amount)


@register.filter
def yuan(value: Decimal | int | str | None) -> str:
    """An amount in yuan with the ¥ sign, thousands separators and two decimals; empty means negotiable."""
    if value is None or value == "":
        return _("面议")
    amount = to_yuan(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


@register.filter
def money(value: Decimal | int | str | None) -> str:
    """The amount as people read it (万元/亿元), the exact amount in the ``title``; empty means negotiable."""
    if value is None or value == "":
        return _("面议")
    return format_html(
        '<span class="money" title="{}">{}</span>',
        yuan(value),
        readable_amount(value, get_language() or ""),
    )


@register.simple_tag
def money_range(low, high) -> str:
    """A budget between two optional amounts, each shown with ``money``."""
    if low is None and high is None:
        return _("面议")
    if high is None:
        return format_html(_("{low}起"), low=money(low))
    if low is None:
        return format_html(_("不超过{high}"), high=money(high))
    if low == high:
        return money(low)
    return format_html("{}–{}", money(low), money(high))


def _shanghai(value):
    """An aware datetime moved to Asia/Shanghai (times are stored in UTC); a date as it is."""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        if timezone.is_naive(value):
            raise ValueError("dates shown need a timezone-aware datetime")
        return timezone.localtime(value, SHANGHAI)
    return value


@register.filter
def local_time(value, fmt: str = "SHORT_DATETIME_FORMAT") -> str:
    """A moment for tables, ``2026-11-22 20:15`` in Asia/Shanghai; ``fmt`` is a format name or a format."""
    if value in (None, ""):
        return ""
    return date_format(_shanghai(value), fmt)


@register.filter
def local_date(value) -> str:
    """A day in running text, ``2026年11月22日`` (``DATE_FORMAT``), taken in Asia/Shanghai for a datetime."""
    if value in (None, ""):
        return ""
    return date_format(_shanghai(value), "DATE_FORMAT")


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
