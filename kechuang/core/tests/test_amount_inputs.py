"""Amount inputs: a form shows a stored amount as a person types it (170000, not 170000.00), refuses a
negative one in Chinese, and under the input the browser reads what is typed the way the pages show
amounts (js/amounts.js against kechuang.core.money.readable_amount)."""

from decimal import Decimal

import pytest
from django import forms
from django.conf import settings
from django.utils import translation

from kechuang.core.money import AmountField, AmountInput, plain_amount, readable_amount


@pytest.mark.parametrize(
    ("amount", "typed"),
    [
        ("170000.00", "170000"),
        ("8500.50", "8500.5"),
        ("0.05", "0.05"),
        ("1000", "1000"),
        ("0", "0"),
        ("12345.678", "12345.68"),
    ],
)
def test_plain_amount_is_what_a_person_types(amount, typed):
    assert plain_amount(Decimal(amount)) == typed


class Lot(forms.Form):
    price = AmountField(label="起拍价（元）")


def test_the_input_shows_the_stored_amount_as_typed_with_its_reading_pattern():
    with translation.override("zh-hans"):
        html = str(Lot(initial={"price": Decimal("170000.00")})["price"])
    assert 'value="170000"' in html
    assert 'data-amount="即{}"' in html
    assert 'inputmode="decimal"' in html and 'min="0"' in html and 'step="0.01"' in html


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("-5", "金额不能小于 0 元。"),
        ("17万", "请输入金额数字（元），如：300000。"),
        ("1.234", "金额最多精确到分（两位小数）。"),
        ("1" * 13, "金额位数过多，请核对。"),
    ],
)
def test_a_wrong_amount_is_refused_in_chinese(typed, error):
    with translation.override("zh-hans"):
        form = Lot(data={"price": typed})
        assert not form.is_valid()
        assert form.errors["price"] == [error]


READINGS = [
    "44600000",
    "1019000000",
    "280000",
    "12345.67",
    "8500",
    "8500.5",
    "9999.99",
    "99999999.99",
]
READINGS += ["0", "170000", "1.125", "100000000"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_browser_reads_an_amount_as_the_pages_show_it(page, live_server, language):
    if language == "en":
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
        )
    page.goto(f"{live_server.url}/accounts/login/")
    page.wait_for_function("window.kechuangAmountReading !== undefined")
    read = page.evaluate("(values) => values.map(window.kechuangAmountReading)", READINGS)
    assert read == [readable_amount(Decimal(v), language) for v in READINGS]
    assert page.evaluate("['', '12a', '-5', '1e5'].map(window.kechuangAmountReading)") == [""] * 4


def test_a_model_form_types_its_money_fields_as_amounts():
    """A record form's MoneyField (an instrument's value and rates) is an AmountField too."""
    from kechuang.directory.forms import InstrumentForm

    for name in ("original_value", "internal_rate", "external_rate"):
        field = InstrumentForm.base_fields[name]
        assert isinstance(field, AmountField) and isinstance(field.widget, AmountInput)
