"""Chinese patent numbers as auctions take them: an application number (申请号, ``ZL``/``CN`` + 8 or 12
digits + check digit, validated by :func:`kechuang.directory.validators.validate_patent_number`) or a
publication number (公开/公告号, ``CN`` + 7–9 digits + kind code A/B/C/U/Y/S, e.g. ``CN112345678A``)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kechuang.directory.validators import (
    _FULLWIDTH,
    normalize_patent_number,
    validate_patent_number,
)

PUBLICATION_RE = re.compile(r"^CN(\d{7,9})([ABCUYS]\d?)$")


def normalize_lot_patent(value: str) -> str:
    folded = re.sub(r"[\s-]", "", (value or "").translate(_FULLWIDTH)).upper()
    if PUBLICATION_RE.match(folded):
        return folded
    return normalize_patent_number(value or "")


def validate_lot_patent(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is a valid application or publication number."""
    number = normalize_lot_patent(value)
    if PUBLICATION_RE.match(number):
        return
    try:
        validate_patent_number(number)
    except ValidationError:
        raise ValidationError(
            _(
                "专利号“%(n)s”无效：应为申请号（如 ZL201910123456.X，校验位正确）或公开号（如 CN112345678A）"
            ),
            params={"n": value},
            code="patent_number",
        ) from None
