"""Indicators, targets and values: formula figures recompute from records; manual figures count only once
a second person approves them (four eyes); refusals change nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kechuang.core.actions import Refused
from kechuang.core.models import AuditEntry
from kechuang.directory.factories import OrganizationFactory
from kechuang.directory.models import TierRecord
from kechuang.indicators import queries, services
from kechuang.indicators.models import ManualValue, Target
from kechuang.indicators.tests.conftest import NOW, TODAY


def new_sme(region, day, name="瑞安华丰汽车电子有限公司"):
    organization = OrganizationFactory(region=region, name=name)
    return TierRecord.objects.create(organization=organization, tier="tech_sme", recognized_on=day)


def sme_indicator(city):
    return services.define_indicator(
        city.operator,
        city.city,
        code="new-tech-sme",
        name="新增省科技型中小企业",
        unit="家",
        source="directory.new_tech_sme",
        is_core=True,
    )


def venture(city):
    return services.define_indicator(
        city.operator,
        city.city,
        code="venture",
        name="创投机构投资",
        unit="亿元",
        money=True,
    )


def test_formula_figure_counts_records_of_the_period_per_district(city):
    indicator = sme_indicator(city)
    new_sme(city.ruian, datetime.date(2026, 2, 3), "瑞安甲公司")
    new_sme(city.ruian, datetime.date(2026, 6, 30), "瑞安乙公司")
    new_sme(city.ruian, datetime.date(2025, 12, 31), "瑞安丙公司")  # last year: not counted
    new_sme(city.longwan, datetime.date(2026, 3, 1), "龙湾丁公司")
    services.set_target(city.operator, indicator, city.ruian, 2026, 4)
    services.set_target(city.operator, indicator, city.longwan, 2026, 1)

    board = queries.board(city.city, 2026, today=TODAY)

    ruian = board.cell(indicator.pk, city.ruian.pk)
    longwan = board.cell(indicator.pk, city.longwan.pk)
    assert ruian.actual == 2 and ruian.target == 4 and ruian.percent == 50
    assert ruian.months[1] == 1 and ruian.months[5] == 1
    assert ruian.behind is False  # 2 of 4 after six months is on pace
    assert longwan.actual == 1 and longwan.met and longwan.exceeded is False
    assert [u.region.name for u in board.units] == ["龙湾区", "瑞安市"]
    assert board.units[0].score == Decimal("100.0") and board.units[1].score == Decimal("50.0")


def test_a_corrected_record_corrects_the_figure_and_its_lineage(city):
    indicator = sme_indicator(city)
    record = new_sme(city.ruian, datetime.date(2026, 2, 3))
    assert queries.lineage(indicator, city.ruian, 2026).value == 1

    TierRecord.objects.filter(pk=record.pk).update(recognized_on=datetime.date(2025, 11, 1))

    assert queries.board(city.city, 2026, today=TODAY).cell(indicator.pk, city.ruian.pk).actual == 0
    found = queries.lineage(indicator, city.ruian, 2026)
    assert found.value == 0 and list(found.records) == []


def test_lineage_lists_exactly_the_records_behind_the_figure_with_links(city):
    indicator = sme_indicator(city)
    a = new_sme(city.ruian, datetime.date(2026, 2, 3), "瑞安甲公司")
    new_sme(city.ruian, datetime.date(2026, 5, 3), "瑞安乙公司")
    new_sme(city.longwan, datetime.date(2026, 2, 9), "龙湾丁公司")

    found = queries.lineage(indicator, city.ruian, 2026, month=2)

    assert found.value == 1
    rows = found.rows(found.records)
    assert [r.title for r in rows] == ["瑞安甲公司"]
    assert rows[0].url == a.organization.get_absolute_url()
    assert rows[0].on == datetime.date(2026, 2, 3)


def test_a_manual_value_counts_only_after_a_second_person_approves_it(city):
    indicator = venture(city)
    entry = services.enter_value(
        city.operator,
        indicator,
        city.longwan,
        year=2026,
        month=5,
        value="115000000",
        evidence="区金融办《2026年上半年创投机构投资情况统计》",
        now=NOW,
    )
    assert (
        queries.board(city.city, 2026, today=TODAY).cell(indicator.pk, city.longwan.pk).actual == 0
    )

    services.approve_value(city.second, entry, now=NOW)

    cell = queries.board(city.city, 2026, today=TODAY).cell(indicator.pk, city.longwan.pk)
    assert cell.actual == Decimal("115000000.00")
    found = queries.lineage(indicator, city.longwan, 2026)
    assert found.value == Decimal("115000000.00")
    assert (
        found.manual[0].entered_by == city.operator and found.manual[0].approved_by == city.second
    )


def test_the_author_cannot_approve_their_own_value_and_nothing_changes(city):
    indicator = venture(city)
    entry = services.enter_value(
        city.operator,
        indicator,
        city.longwan,
        year=2026,
        month=5,
        value="100",
        evidence="统计报表",
        now=NOW,
    )
    audit = AuditEntry.objects.count()

    with pytest.raises(Refused) as refused:
        services.approve_value(city.operator, entry, now=NOW)

    assert refused.value.code == "four_eyes"
    entry.refresh_from_db()
    assert entry.status == ManualValue.Status.PENDING and entry.approved_by is None
    assert AuditEntry.objects.count() == audit
    with pytest.raises(Refused):
        services.reject_value(city.operator, entry, "数据有误")


def test_a_new_approved_value_supersedes_the_old_one_for_the_month(city):
    indicator = venture(city)
    first = services.enter_value(
        city.operator,
        indicator,
        city.ruian,
        year=2026,
        month=3,
        value="100",
        evidence="一季度统计",
        now=NOW,
    )
    services.approve_value(city.second, first, now=NOW)
    second = services.enter_value(
        city.second,
        indicator,
        city.ruian,
        year=2026,
        month=3,
        value="250",
        evidence="一季度统计（更正）",
        now=NOW,
    )
    services.approve_value(city.operator, second, now=NOW)

    first.refresh_from_db()
    assert first.status == ManualValue.Status.SUPERSEDED
    assert (
        queries.board(city.city, 2026, today=TODAY).cell(indicator.pk, city.ruian.pk).actual == 250
    )
    history = queries.lineage(indicator, city.ruian, 2026).history
    assert {e.status for e in history} == {"approved", "superseded"}


def test_a_rejected_value_never_counts(city):
    indicator = venture(city)
    entry = services.enter_value(
        city.operator,
        indicator,
        city.ruian,
        year=2026,
        month=3,
        value="100",
        evidence="一季度统计",
        now=NOW,
    )
    services.reject_value(city.second, entry, "缺少盖章文件")
    entry.refresh_from_db()
    assert entry.status == "rejected" and entry.review_note == "缺少盖章文件"
    assert queries.board(city.city, 2026, today=TODAY).cell(indicator.pk, city.ruian.pk).actual == 0


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"value": "-1"}, "invalid_figure"),
        ({"value": "abc"}, "invalid_figure"),
        ({"value": "NaN"}, "invalid_figure"),
        ({"evidence": " "}, "no_evidence"),
        ({"month": 13}, "invalid_period"),
        ({"month": 9}, "future_period"),
    ],
)
def test_bad_manual_input_is_refused_and_nothing_is_written(city, kwargs, code):
    indicator = venture(city)
    values = {"year": 2026, "month": 5, "value": "100", "evidence": "统计报表"} | kwargs
    with pytest.raises(Refused) as refused:
        services.enter_value(city.operator, indicator, city.ruian, now=NOW, **values)
    assert refused.value.code == code
    assert ManualValue.objects.count() == 0


def test_a_formula_indicator_takes_no_manual_value(city):
    indicator = sme_indicator(city)
    with pytest.raises(Refused) as refused:
        services.enter_value(
            city.operator,
            indicator,
            city.ruian,
            year=2026,
            month=5,
            value="1",
            evidence="统计报表",
            now=NOW,
        )
    assert refused.value.code == "computed_indicator"


def test_operators_act_only_in_their_regions(city):
    indicator = sme_indicator(city)
    with pytest.raises(PermissionDenied):
        services.set_target(city.outsider, indicator, city.ruian, 2026, 5)
    with pytest.raises(PermissionDenied):
        services.set_target(city.ruian_operator, indicator, city.longwan, 2026, 5)
    services.set_target(city.ruian_operator, indicator, city.ruian, 2026, 5)
    assert list(Target.objects.values_list("region__name", "value")) == [
        ("瑞安市", Decimal("5.00"))
    ]


def test_an_unknown_source_is_refused(city):
    with pytest.raises(Refused) as refused:
        services.define_indicator(
            city.operator,
            city.city,
            code="x",
            name="技术交易额",
            unit="亿元",
            source="contracts.nope",
        )
    assert refused.value.code == "unknown_source"


def test_less_is_better_indicators_complete_when_at_or_below_target(city):
    indicator = services.define_indicator(
        city.operator,
        city.city,
        code="days",
        name="项目审批平均天数",
        unit="天",
        direction="down",
        aggregation="latest",
    )
    services.set_target(city.operator, indicator, city.ruian, 2026, 20)
    entry = services.enter_value(
        city.operator,
        indicator,
        city.ruian,
        year=2026,
        month=6,
        value="25",
        evidence="审批系统统计",
        now=NOW,
    )
    services.approve_value(city.second, entry, now=NOW)
    cell = queries.board(city.city, 2026, today=TODAY).cell(indicator.pk, city.ruian.pk)
    assert cell.actual == 25 and cell.percent == 80 and cell.behind and not cell.met


def test_a_zero_target_means_no_target_and_leaves_the_overall_score(city, client):
    sme = sme_indicator(city)
    high_tech = services.define_indicator(
        city.operator,
        city.city,
        code="new-high-tech",
        name="新增高新技术企业",
        unit="家",
        source="directory.new_high_tech",
    )
    new_sme(city.ruian, datetime.date(2026, 2, 3))
    services.set_target(city.operator, sme, city.ruian, 2026, 4)  # 1 of 4: 25 %
    services.set_target(city.operator, high_tech, city.ruian, 2026, 0)  # 0 of 0: no target

    board = queries.board(city.city, 2026, today=TODAY)

    cell = board.cell(high_tech.pk, city.ruian.pk)
    assert (cell.actual, cell.target, cell.completion, cell.percent) == (0, None, None, None)
    assert not cell.met and not cell.behind and not cell.exceeded
    ruian = next(u for u in board.units if u.region == city.ruian)
    assert [c.indicator for c in ruian.with_target] == [sme]
    assert (ruian.score, ruian.met, ruian.score_at(6)) == (
        Decimal("25.0"),
        0,
        Decimal("25.0"),
    )
    assert Target.objects.get(indicator=high_tech, region=city.ruian).value == 0  # kept as set

    client.force_login(city.operator)
    page = client.get(f"/indicators/?region={city.city.pk}&year=2026").content.decode()
    assert "0 / 1 项" in page and "25.0%" in page and "未设目标" in page and "100%" not in page
    detail = client.get(
        f"/indicators/{high_tech.pk}/?region={city.city.pk}&year=2026"
    ).content.decode()
    assert detail.count("未设目标") == 2  # both districts


def test_a_zero_target_of_a_less_is_better_indicator_is_a_real_target(city):
    indicator = services.define_indicator(
        city.operator,
        city.city,
        code="accidents",
        name="重大安全事故",
        unit="起",
        direction="down",
    )
    services.set_target(city.operator, indicator, city.ruian, 2026, 0)
    services.set_target(city.operator, indicator, city.longwan, 2026, 0)
    entry = services.enter_value(
        city.operator,
        indicator,
        city.longwan,
        year=2026,
        month=3,
        value=1,
        evidence="应急管理局通报",
        now=NOW,
    )
    services.approve_value(city.second, entry, now=NOW)

    board = queries.board(city.city, 2026, today=TODAY)

    ruian = board.cell(indicator.pk, city.ruian.pk)
    longwan = board.cell(indicator.pk, city.longwan.pk)
    assert (ruian.target, ruian.percent, ruian.met) == (0, 100, True)
    assert (longwan.actual, longwan.target, longwan.percent, longwan.met) == (1, 0, 0, False)
