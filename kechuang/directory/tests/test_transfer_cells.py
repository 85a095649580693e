"""Reading single cells: amounts, yes/no, integers and multi-value lists."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kechuang.directory.transfer.cells import (
    CellError,
    parse_bool,
    parse_int,
    parse_money,
    split_values,
)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1,234.5", Decimal("1234.50")),
        ("1234.50元", Decimal("1234.50")),
        ("￥800", Decimal("800.00")),
        ("¥ 1 000", Decimal("1000.00")),
        ("１２３.４", Decimal("123.40")),
        ("5万", Decimal("50000.00")),
        ("1.2345万元", Decimal("12345.00")),
        ("0", Decimal("0.00")),
        ("-0", Decimal("0.00")),
        ("", None),
        ("面议", None),
    ],
)
def test_money_cells_are_read_as_decimal_yuan(text, amount):
    parsed = parse_money(text)
    assert parsed == amount
    assert parsed is None or parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "金额不能为负数"),
        ("12.345", "金额最多保留两位小数（精确到分）"),
        ("1.2345678万", "金额最多保留两位小数（精确到分）"),
        ("1e3", "金额格式无法识别：“1e3”"),
        ("十元", "金额格式无法识别：“十元”"),
        ("1000000000000", "金额过大"),
    ],
)
def test_bad_money_cells_are_refused(text, message):
    with pytest.raises(CellError) as refused:
        parse_money(text)
    assert str(refused.value) == message


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_money_round_trips_decimal_strings(amount):
    assert parse_money(str(amount)) == amount
    assert parse_money(f"{amount:,}元") == amount


@given(st.text(max_size=20))
def test_money_parser_never_returns_a_float(text):
    try:
        parsed = parse_money(text)
    except CellError:
        return
    assert parsed is None or (isinstance(parsed, Decimal) and parsed >= 0)


def test_yes_no_integers_and_lists():
    assert [parse_bool(t) for t in ("是", "否", "Y", "false", "√", "×")] == [
        True,
        False,
        True,
        False,
        True,
        False,
    ]
    with pytest.raises(CellError, match="应填“是”或“否”"):
        parse_bool("也许")
    assert parse_int("２，０１５") == 2015
    with pytest.raises(CellError, match="应为整数"):
        parse_int("2015.5")
    assert split_values("电机控制；新能源汽车、电机控制，\n 智能制造；；机器人，") == [
        "电机控制",
        "新能源汽车",
        "智能制造",
        "机器人",
    ]
