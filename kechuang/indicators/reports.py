"""A region's indicator report for a year, as an .xlsx workbook and as a PDF with its charts.

Both are built from one :func:`kechuang.indicators.queries.board`, so they show what the page shows. In
the workbook every figure links to its lineage page and a second sheet lists the records behind each
formula figure (with links); text cells are never formulas (a leading = + - @ is quoted). The PDF uses
reportlab's built-in CID font STSong-Light, which needs no font file on the machine.
"""

import io
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from kechuang.core.money import WAN, YI
from kechuang.core.spreadsheet_cells import guarded_text
from kechuang.indicators import queries

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BEHIND_FILL = PatternFill("solid", fgColor="FDE2E1")
LINEAGE_ROWS = 500  # records listed per figure in the workbook; the lineage page has them all


def _put(sheet, row: int, column: int, value, **style):
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        cell.value = value
    else:
        cell.value = guarded_text(value)
        cell.data_type = "s"
    for key, item in style.items():
        setattr(cell, key, item)
    return cell


def display(indicator, value: Decimal | None) -> str:
    if value is None:
        return "—"
    if indicator.money:
        if abs(value) >= YI:
            return f"{(value / YI).quantize(Decimal('0.01'))}亿元"
        return f"{(value / WAN).quantize(Decimal('0.01'))}万元"
    text = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:.2f}"
    return f"{text}{indicator.unit}"


def _lineage_link(base_url: str, indicator_id: int, region_id: int, year: int) -> str:
    query = urlencode({"region": region_id, "year": year})
    return f"{base_url}{reverse('indicators:lineage', args=[indicator_id])}?{query}"


def xlsx_report(region, year: int, *, base_url: str = "") -> bytes:
    b = queries.board(region, year)
    book = Workbook()
    sheet = book.active
    sheet.title = _("指标完成情况")
    title = _("%(r)s %(y)s年试点考核指标完成情况") % {"r": region.name, "y": year}
    _put(sheet, 1, 1, title, font=Font(bold=True, size=14))
    _put(
        sheet,
        2,
        1,
        _("截至%(d)s，数值取自平台记录与经审核的人工填报；点击数值查看其来源记录")
        % {"d": timezone.localdate().isoformat()},
    )
    headers = [
        _("排名"),
        _("区域"),
        _("综合完成度（%）"),
        _("完成指标数"),
        _("有目标指标数"),
        _("核心指标超额"),
        _("滞后指标数"),
    ]
    for col, header in enumerate(headers, 1):
        _put(sheet, 4, col, header, font=Font(bold=True), fill=HEADER_FILL)
    for r, unit in enumerate(b.units, 5):
        for col, value in enumerate(
            [
                unit.rank,
                unit.region.name,
                unit.score,
                unit.met,
                len(unit.with_target),
                unit.core_exceeded,
                unit.behind,
            ],
            1,
        ):
            _put(sheet, r, col, value)
    start = 6 + len(b.units)
    heads = [_("指标"), _("单位"), _("核心"), _("取数方式")]
    for unit in b.units:
        heads += [
            f"{unit.region.name}{_('完成值')}",
            f"{unit.region.name}{_('目标')}",
            f"{unit.region.name}{_('完成率')}（%）",
        ]
    for col, header in enumerate(heads, 1):
        _put(sheet, start, col, header, font=Font(bold=True), fill=HEADER_FILL)
    detail = book.create_sheet(_("来源记录"))
    for col, header in enumerate(
        [
            _("指标"),
            _("区域"),
            _("记录"),
            _("日期"),
            _("金额（元）"),
            _("数量"),
            _("说明"),
            _("链接"),
        ],
        1,
    ):
        _put(detail, 1, col, header, font=Font(bold=True), fill=HEADER_FILL)
    detail_row = 2
    for r, indicator in enumerate(b.indicators, start + 1):
        source = queries.registry.get(indicator.source) if indicator.source else None
        _put(sheet, r, 1, indicator.name)
        _put(sheet, r, 2, _("元") if indicator.money else indicator.unit)
        _put(sheet, r, 3, _("是") if indicator.is_core else "")
        _put(sheet, r, 4, source.label if source else _("人工填报（双人审核）"))
        for n, cell in enumerate(b.by_indicator[indicator.pk]):
            col = 5 + n * 3
            value = _put(sheet, r, col, cell.actual)
            if base_url:
                value.hyperlink = _lineage_link(base_url, indicator.pk, cell.region.pk, year)
                value.font = Font(color="0563C1", underline="single")
            _put(sheet, r, col + 1, cell.target if cell.target is not None else "")
            pct = _put(sheet, r, col + 2, cell.percent if cell.percent is not None else "")
            if cell.behind:
                pct.fill = BEHIND_FILL
            found = queries.lineage(indicator, cell.region, year)
            if found.records is not None:
                for record in found.records[:LINEAGE_ROWS]:
                    row = source.row(record)
                    values = [
                        indicator.name,
                        cell.region.name,
                        row.title,
                        row.on.isoformat() if row.on else "",
                        row.amount if row.amount is not None else "",
                        row.quantity if row.quantity is not None else "",
                        row.note,
                        f"{base_url}{row.url}",
                    ]
                    for col2, item in enumerate(values, 1):
                        _put(detail, detail_row, col2, item)
                    detail_row += 1
            else:
                for entry in found.manual:
                    values = [
                        indicator.name,
                        entry.region.name,
                        _("人工填报 %(y)s年%(m)s月") % {"y": entry.year, "m": entry.month},
                        entry.approved_at.date().isoformat() if entry.approved_at else "",
                        entry.value if indicator.money else "",
                        "" if indicator.money else entry.value,
                        _("佐证：%(e)s；填报：%(a)s；审核：%(b)s")
                        % {"e": entry.evidence, "a": entry.entered_by, "b": entry.approved_by},
                        entry.evidence_url,
                    ]
                    for col2, item in enumerate(values, 1):
                        _put(detail, detail_row, col2, item)
                    detail_row += 1
    sheet.column_dimensions["A"].width = 30
    detail.column_dimensions["C"].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf_report(region, year: int, *, base_url: str = "") -> bytes:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    b = queries.board(region, year)
    title_style = ParagraphStyle("t", fontName=font, fontSize=16, leading=22)
    text = ParagraphStyle("x", fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("s", fontName=font, fontSize=8, leading=10)
    story = [
        Paragraph(_("%(r)s %(y)s年试点考核指标报告") % {"r": region.name, "y": year}, title_style),
        Paragraph(
            _("截至%(d)s，数值取自平台记录与经审核的人工填报。")
            % {"d": timezone.localdate().isoformat()},
            text,
        ),
        Spacer(1, 4 * mm),
    ]
    # Chart 1: each unit's overall score, ranked.
    units = list(reversed(b.units))
    height = 30 + 18 * max(len(units), 1)
    drawing = Drawing(240 * mm, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 70, 10, 520, height - 30
    chart.data = [[float(u.score) for u in units] or [0]]
    chart.categoryAxis.categoryNames = [u.region.name for u in units] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#1f6feb")
    chart.barLabelFormat = "%.1f"
    chart.barLabels.fontName = font
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    drawing.add(String(0, height - 12, _("综合完成度（%）"), fontName=font, fontSize=10))
    story += [drawing, Spacer(1, 4 * mm)]
    ranking = [
        [_("排名"), _("区域"), _("综合完成度（%）"), _("完成/有目标"), _("核心指标超额"), _("滞后")]
    ]
    for unit in b.units:
        ranking.append(
            [
                str(unit.rank),
                unit.region.name,
                str(unit.score),
                f"{unit.met}/{len(unit.with_target)}",
                str(unit.core_exceeded),
                str(unit.behind),
            ]
        )
    story.append(_table(ranking, font))
    story.append(Spacer(1, 5 * mm))
    header = [_("指标")] + [u.region.name for u in sorted(b.units, key=lambda u: u.region.code)]
    rows = [header]
    styles = []
    order = sorted(b.units, key=lambda u: u.region.code)
    for r, indicator in enumerate(b.indicators, 1):
        name = ("★ " if indicator.is_core else "") + indicator.name
        line = [Paragraph(name, small)]
        for c, unit in enumerate(order, 1):
            cell = b.cell(indicator.pk, unit.region.pk)
            target = display(indicator, cell.target) if cell.target is not None else "—"
            pct = f" {cell.percent}%" if cell.percent is not None else ""
            line.append(Paragraph(f"{display(indicator, cell.actual)} / {target}{pct}", small))
            if cell.behind:
                styles.append(("BACKGROUND", (c, r), (c, r), colors.HexColor("#fde2e1")))
        rows.append(line)
    story.append(Paragraph(_("各指标完成值 / 目标（★ 核心指标，红底为滞后）"), text))
    story.append(_table(rows, font, styles))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{region.name} {year}",
    )
    doc.build(story)
    return buffer.getvalue()


def _table(rows, font, extra=()):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#ddebf7")),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                *extra,
            ]
        )
    )
    return table
