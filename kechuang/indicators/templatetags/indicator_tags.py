"""``{% load indicator_tags %}``: ``value|figure:indicator`` shows a figure as people read it — money in
万元/亿元 (exact yuan on hover), counts without trailing zeros, other figures to two places."""

from decimal import Decimal

from django import template

from kechuang.core.templatetags.kechuang import money

register = template.Library()


def plain(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


@register.filter
def figure(value, indicator) -> str:
    if value is None or value == "":
        return "—"
    value = Decimal(value)
    if getattr(indicator, "money", False):
        return money(value)
    return plain(value)
