"""Amounts as people read them (万元/亿元) and one date format, in Chinese and English."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from kechuang.core.money import readable_amount


def render(template: str, language: str = "zh-hans", **context) -> str:
    with translation.override(language):
        return Template("{% load kechuang %}" + template).render(Context(context))


@pytest.mark.parametrize(
    ("amount", "chinese", "english"),
    [
        ("44600000", "4,460万元", "¥44.6 million"),
        ("1019000000", "10.19亿元", "¥1.02 billion"),
        ("280000", "28万元", "¥280,000"),
        ("12345.67", "1.23万元", "¥12,345.67"),
        ("8500", "8,500元", "¥8,500"),
        ("8500.5", "8,500.50元", "¥8,500.50"),
        ("9999.99", "9,999.99元", "¥9,999.99"),
        ("99999999.99", "1亿元", "¥100 million"),
        ("-280000", "-28万元", "-¥280,000"),
        ("0", "0元", "¥0"),
    ],
)
def test_readable_amount(amount, chinese, english):
    assert readable_amount(Decimal(amount)) == chinese
    assert readable_amount(Decimal(amount), "en") == english


def test_readable_amount_refuses_floats():
    with pytest.raises(TypeError):
        readable_amount(44.6e6)


def test_money_filter_puts_the_exact_amount_in_the_title():
    assert (
        render("{{ v|money }}", v=Decimal("44600000"))
        == '<span class="money" title="¥44,600,000.00">4,460万元</span>'
    )
    assert (
        render("{{ v|money }}", "en", v=Decimal("44600000"))
        == '<span class="money" title="¥44,600,000.00">¥44.6 million</span>'
    )
    assert render("{{ v|money }}", v=None) == "面议"


def test_money_range():
    low, high = Decimal("280000"), Decimal("500000")
    span = '<span class="money" title="¥{}">{}</span>'
    assert render("{% money_range a b %}", a=low, b=high) == (
        span.format("280,000.00", "28万元") + "–" + span.format("500,000.00", "50万元")
    )
    assert (
        render("{% money_range a b %}", a=low, b=None) == span.format("280,000.00", "28万元") + "起"
    )
    assert render("{% money_range a b %}", a=None, b=high) == "不超过" + span.format(
        "500,000.00", "50万元"
    )
    assert render("{% money_range a b %}", a=low, b=low) == span.format("280,000.00", "28万元")
    assert render("{% money_range a b %}", a=None, b=None) == "面议"


def test_one_date_format_in_shanghai_time():
    # 16:00 UTC on 31 January is 00:00 on 1 February in Shanghai: every page shows 1 February.
    moment = datetime.datetime(2027, 1, 31, 16, 0, tzinfo=datetime.UTC)
    day = datetime.date(2026, 12, 5)
    assert render("{{ t|local_time }}", t=moment) == "2027-02-01 00:00"
    assert render("{{ t|local_date }}", t=moment) == "2027年2月1日"
    assert render("{{ d|local_date }}", d=day) == "2026年12月5日"
    assert render("{{ d }}", d=day) == "2026年12月5日"
    assert render("{{ t|local_time }}", "en", t=moment) == "2027-02-01 00:00"
    assert render("{{ d|local_date }}", "en", d=day) == "5 December 2026"
    with pytest.raises(ValueError):
        render("{{ t|local_time }}", t=datetime.datetime(2026, 12, 5, 14, 30))


def test_series_joins_a_list_in_the_language_s_own_separator_escaping_each_item():
    template = Template("{% load kechuang %}{{ items|series }}")
    items = ["电机", "控制器", "<b>"]
    assert template.render(Context({"items": items})) == "电机、控制器、&lt;b&gt;"
    with translation.override("en"):
        assert template.render(Context({"items": items})) == "电机, 控制器, &lt;b&gt;"
    assert template.render(Context({"items": []})) == ""
