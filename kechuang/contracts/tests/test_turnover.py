"""Turnover counts registered contracts' technology portions by seller region and registration date;
the statistics and the xlsx export read the same rows."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kechuang.contracts import queries, services
from kechuang.contracts.export import to_xlsx
from kechuang.contracts.models import TechContract
from kechuang.contracts.tests.conftest import registered, submitted

pytestmark = pytest.mark.django_db


def test_turnover_by_region_and_period(world):
    registered(world, now=datetime(2026, 3, 1, 4, tzinfo=UTC))  # 1,000,000 sold from 温州市
    registered(world, now=datetime(2026, 12, 31, 17, tzinfo=UTC), tech_amount=Decimal("250000.55"))
    submitted(world)  # not registered: not counted
    services.enter_contract(  # drafted in 嘉定, never submitted: not counted
        world.jiading_operator,
        world.data(
            seller=None,
            seller_name="上海某研究院",
            seller_region=world.jiading,
            tech_amount=Decimal("400000"),
        ),
    )
    assert queries.turnover() == Decimal("1250000.55")
    assert queries.turnover(world.zhejiang) == Decimal("1250000.55")
    assert queries.turnover(world.ruian) == Decimal("0.00")  # 瑞安 buys, it does not sell
    assert queries.turnover(world.jiading) == Decimal("0.00")
    # 2026-12-31 17:00 UTC is 2027-01-01 in Shanghai: next year's turnover.
    assert queries.turnover(world.wenzhou, date(2026, 1, 1), date(2026, 12, 31)) == Decimal(
        "1000000.00"
    )
    assert queries.turnover(world.wenzhou, start=date(2027, 1, 1)) == Decimal("250000.55")
    assert queries.turnover_contracts(world.wenzhou).count() == 2


def test_statistics_cut_by_kind_chain_month_and_flows(world):
    registered(world, now=datetime(2026, 3, 1, 4, tzinfo=UTC))
    registered(
        world,
        now=datetime(2026, 5, 1, 4, tzinfo=UTC),
        kind="service",
        tech_amount=Decimal("200000"),
        industry_chain=None,
    )
    stats = queries.statistics(None, date(2026, 1, 1), date(2026, 12, 31))
    assert stats.count == 2 and stats.turnover == Decimal("1200000.00")
    assert stats.by_kind == [
        ("技术开发", 1, Decimal("1000000.00")),
        ("技术服务", 1, Decimal("200000.00")),
    ]
    assert [row[0] for row in stats.by_month] == ["2026-03", "2026-05"]
    assert ("未归属产业链", 1, Decimal("200000.00")) in stats.by_chain
    assert [(f.source, f.target, f.count) for f in stats.flows] == [("温州市", "瑞安市", 2)]
    flows = {f.region.name: (f.outflow, f.inflow, f.local) for f in stats.regions}
    # 温州市 contains 瑞安市: the sale from 温州 to 瑞安 is local to 温州, an inflow to 瑞安.
    assert flows["温州市"] == (Decimal("0.00"), Decimal("0.00"), Decimal("1200000.00"))
    assert flows["瑞安市"] == (Decimal("0.00"), Decimal("1200000.00"), Decimal("0.00"))
    assert "嘉定区" not in flows


def test_xlsx_export_writes_formula_like_text_as_text(world):
    contract = registered(world, buyer_name='=HYPERLINK("http://evil.example","点我")', buyer=None)
    data = to_xlsx(
        TechContract.objects.select_related("seller_region", "buyer_region", "industry_chain")
    )
    sheet = load_workbook(io.BytesIO(data)).active
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["登记号", "合同名称", "合同类型"]
    row = [c for c in sheet[2]]
    assert row[0].value == contract.number
    assert row[5].value == '=HYPERLINK("http://evil.example","点我")'
    assert row[5].data_type == "s"
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)
    assert row[8].value == 1000000
