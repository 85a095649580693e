"""Money: yuan as ``Decimal`` with two places (fen). Never float."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

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
