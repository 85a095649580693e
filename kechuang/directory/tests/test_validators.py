import pytest
from django.core.exceptions import ValidationError

from kechuang.directory.validators import (
    normalize_patent_number,
    validate_credit_code,
    validate_patent_number,
)


@pytest.mark.parametrize(
    "code",
    [
        "91330381MA2867XD05",
        "914403001922038216",
        "91110000600037341L",
        "91440300708461136T",
        "９１１１００００６０００３７３４１Ｌ",
    ],
)
def test_valid_credit_codes_pass(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91110000600037341X", "check"),  # wrong check character
        ("9111000060003734", "length"),
        ("91110000600037341LL", "length"),
        ("9111000060003734IO", "alphabet"),  # I and O are not in the alphabet
        ("", "length"),
    ],
)
def test_bad_credit_codes_fail(code, error):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == error


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("ZL 2019 1 0123456.X", "ZL201910123456.X"),
        ("CN201910123456.X", "ZL201910123456.X"),
        ("201910123456X", "ZL201910123456.X"),
        ("ZL 02100000.x", "ZL02100000.X"),
    ],
)
def test_patent_numbers_normalise(raw, normal):
    assert normalize_patent_number(raw) == normal


@pytest.mark.parametrize("number", ["ZL201910123456.X", "ZL202110000001.6", "ZL02100000.X"])
def test_valid_patent_numbers_pass(number):
    validate_patent_number(number)


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("ZL201910123456.1", "check"),
        ("ZL201950123456.5", "type"),
        ("ZL2019101234.5", "format"),
        ("专利一号", "format"),
    ],
)
def test_bad_patent_numbers_fail(number, error):
    with pytest.raises(ValidationError) as exc:
        validate_patent_number(number)
    assert exc.value.code == error
