"""Natural keys of the directory, validated with their check digits.

- 统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters from a 31-letter alphabet; the
  last one is a mod-31 check character over the first 17.
- 专利号 (Chinese patent application number): ``ZL`` + 12 digits (year, type, serial) + ``.`` + a mod-11
  check digit (``X`` for 10); numbers filed before 2004 have 8 digits before the check.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_FULLWIDTH = {
    ord(c): ord(c) - 0xFEE0
    for c in "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ．"
}


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return value.translate(_FULLWIDTH).strip().replace(" ", "").upper()


def validate_credit_code(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is a well-formed credit code with a correct check digit."""
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(n)d位"), params={"n": len(code)}, code="length"
        )
    bad = [c for c in code if c not in CREDIT_CODE_ALPHABET]
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有无效字符“%(c)s”"), params={"c": bad[0]}, code="alphabet"
        )
    if not code[8:17].isalnum() or not code[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码第3-8位应为行政区划代码"), code="region")
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位错误"), code="check")


PATENT_RE = re.compile(r"^(?:ZL|CN)?(\d{8}|\d{12})\.?([\dX])$")


def patent_check_digit(digits: str) -> str:
    weights = (2, 3, 4, 5, 6, 7, 8, 9) * 2
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_patent_number(value: str) -> str:
    """``"ZL 2019 1 0123456.7"``, ``"CN201910123456.7"`` → ``"ZL201910123456.7"``; unparseable input is
    returned folded but otherwise unchanged, for the validator to reject."""
    folded = re.sub(r"[\s-]", "", value.translate(_FULLWIDTH)).upper()
    match = PATENT_RE.match(folded)
    if not match:
        return folded
    return f"ZL{match.group(1)}.{match.group(2)}"


def validate_patent_number(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is a Chinese patent number with a correct check digit."""
    match = PATENT_RE.match(normalize_patent_number(value))
    if not match:
        raise ValidationError(
            _("专利号格式应为 ZL + 12位数字 + . + 校验位，例如 ZL201910123456.X"), code="format"
        )
    digits, check = match.groups()
    if len(digits) == 12 and digits[4] not in "123489":
        raise ValidationError(_("专利号第5位（专利类型）无效"), code="type")
    if patent_check_digit(digits) != check:
        raise ValidationError(_("专利号校验位错误"), code="check")
