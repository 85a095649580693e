"""Parsing single spreadsheet cells as Chinese offices fill them in.

Every parser takes the cell as text (the readers turn numbers and dates into text first) and either returns
a Python value or raises :class:`CellError` with a message in Chinese for the import report.
"""

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from kechuang.core.money import FEN

# Full-width digits, letters and punctuation that Chinese input methods produce, folded to ASCII.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

MULTI_VALUE_SEPARATORS = re.compile(r"[；;、,，\r\n]+")

TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "√", "✓", "支持", "可"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "0", "×", "✗", "不支持", "不可"}

# MoneyField holds 14 digits with 2 decimal places: amounts below one trillion (万亿) yuan.
MONEY_LIMIT = Decimal(10) ** 12

_MONEY_RE = re.compile(r"^(-?)\d+(?:\.\d+)?$")


class CellError(ValueError):
    """A cell that cannot be read; ``str(error)`` is the message shown to the user."""


def fold_width(text: str) -> str:
    """Fold full-width ASCII (``１２３，ＡＢＣ``) to half-width."""
    return text.translate(_FULLWIDTH)


def split_values(text: str) -> list[str]:
    """Split a multi-value cell on ``；;、,，`` and newlines; blanks and repeats are dropped, order is kept."""
    seen: dict[str, None] = {}
    for part in MULTI_VALUE_SEPARATORS.split(text):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


def parse_bool(text: str) -> bool:
    word = fold_width(text).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("应填“是”或“否”，而不是“%(value)s”") % {"value": text})


def parse_int(text: str, *, minimum: int = 0) -> int:
    folded = fold_width(text).strip().replace(",", "")
    if not re.fullmatch(r"-?\d+", folded):
        raise CellError(_("应为整数，而不是“%(value)s”") % {"value": text})
    number = int(folded)
    if number < minimum:
        raise CellError(_("不能小于%(minimum)d") % {"minimum": minimum})
    return number


def parse_money(text: str) -> Decimal | None:
    """Read an amount in yuan: ``"1,234.5"``, ``"1234.50元"``, ``"¥800"``, ``"5万"`` / ``"5万元"`` (×10,000).

    Blank and ``面议`` (negotiable) give ``None``. Negative amounts and amounts with more than two decimal
    places (finer than a fen) are refused. Never returns a float.
    """
    folded = fold_width(text).strip()
    if folded in {"", "面议", "议价"}:
        return None
    cleaned = re.sub(r"[\s,¥￥]", "", folded)
    multiplier = 1
    for suffix, factor in (("万元", 10_000), ("万", 10_000), ("元", 1)):
        if cleaned.endswith(suffix):
            cleaned, multiplier = cleaned[: -len(suffix)], factor
            break
    match = _MONEY_RE.match(cleaned)
    if not match:
        raise CellError(_("金额格式无法识别：“%(value)s”") % {"value": text})
    amount = Decimal(cleaned) * multiplier
    if match.group(1) and amount != 0:
        raise CellError(_("金额不能为负数"))
    if abs(amount) >= MONEY_LIMIT:
        raise CellError(_("金额过大"))
    if amount != amount.quantize(FEN):
        raise CellError(_("金额最多保留两位小数（精确到分）"))
    return abs(amount).quantize(FEN)
