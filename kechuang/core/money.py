"""Money: yuan as ``Decimal`` with two places (fen). Never float."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

FEN = Decimal("0.01")


def to_yuan(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as yuan rounded half-up to the fen; refuses floats, which cannot hold fen exactly."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass Decimal, int or str")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


class MoneyField(models.DecimalField):
    """An amount in yuan: ``DecimalField(max_digits=14, decimal_places=2)``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        path = "kechuang.core.money.MoneyField"
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        # a model form's amount is typed like every other form's (AmountField, defined below);
        # bounds are the model's (a ledger amount may be negative), none by default
        return super().formfield(**{"form_class": AmountField, "min_value": None, **kwargs})


def plain_amount(value: Decimal | int | str) -> str:
    """An amount as typed into a form: digits and at most two decimals, trailing zeros dropped
    (``170000``, ``8500.5``) — what a person would type, not the database's ``170000.00``."""
    text = f"{to_yuan(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class AmountInput(forms.NumberInput):
    """A yuan amount typed as digits: steps of a fen, shown as :func:`plain_amount`,
    with how people read what is typed under it (``即 17万元``, ``js/amounts.js``): a zero more or
    less is seen before the form is sent."""

    def __init__(self, attrs=None):
        # Translators: under an amount input, how the typed amount reads, e.g. 即17万元
        base = {"step": "0.01", "inputmode": "decimal", "data-amount": _("即{}")}
        super().__init__({**base, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return plain_amount(value)
        return super().format_value(value)


class AmountField(forms.DecimalField):
    """A form's amount in yuan: as :class:`MoneyField` holds it (14 digits, fen), never negative
    unless ``min_value`` says otherwise, typed into an :class:`AmountInput`."""

    widget = AmountInput
    default_error_messages = {
        "invalid": _("请输入金额数字（元），如：300000。"),
        "min_value": _("金额不能小于 %(limit_value)s 元。"),
        "max_digits": _("金额位数过多，请核对。"),
        "max_whole_digits": _("金额位数过多，请核对。"),
        "max_decimal_places": _("金额最多精确到分（两位小数）。"),
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        super().__init__(*args, **kwargs)


WAN = Decimal(10_000)
YI = Decimal(100_000_000)
MILLION = Decimal(1_000_000)
BILLION = Decimal(1_000_000_000)


def _trimmed(value: Decimal) -> str:
    """``value`` with thousands separators and at most two decimals, trailing zeros dropped (4,460 / 10.19)."""
    text = f"{value.quantize(FEN, rounding=ROUND_HALF_UP):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def readable_amount(value: Decimal | int | str, language: str = "zh-hans") -> str:
    """How people read an amount in yuan: ``4,460万元``, ``10.19亿元``, ``8,500元`` in Chinese.

    English readers of a Chinese portal think in the short scale with the yuan sign: ``¥44.6 million``,
    ``¥1.02 billion``, ``¥8,500``. Both round to two significant decimals of the unit (the exact amount
    goes into the ``title`` of the rendered element); amounts below one unit stay exact.
    """
    amount = to_yuan(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if language.startswith("en"):
        steps = [(BILLION, "¥{} billion"), (MILLION, "¥{} million")]
        small = "¥{}"
    else:
        steps = [(YI, "{}亿元"), (WAN, "{}万元")]
        small = "{}元"
    (big, big_pattern), (unit, pattern) = steps
    if (amount / big).quantize(FEN, rounding=ROUND_HALF_UP) >= 1:  # 99,999,999.99 reads as 1亿元
        return sign + big_pattern.format(_trimmed(amount / big))
    if amount >= unit:  # below one unit the amount stays exact: 9,999.50元
        return sign + pattern.format(_trimmed(amount / unit))
    return sign + small.format(f"{amount:,.2f}" if amount % 1 else f"{amount:,.0f}")
