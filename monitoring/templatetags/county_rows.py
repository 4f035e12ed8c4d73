"""运行监控汇总's table body (``{% load county_rows %}{% county_rows page.rows %}``), written in Python: at 50 rows a
page the template language's lookups, filters and ``{% url %}`` cost more than reading the rows (issue 21's benchmark
row). Every text is escaped as Django escapes it (``core.html``; ``format_html``'s checks for lazy text cost more
than the escaping); the markup is the table's in ``templates/monitoring/county.html``."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import mark_safe

from core.html import html_join, id_url

register = template.Library()

DASH = "—"
NOT_REPORTED = mark_safe('<span class="muted">未填报</span>')
ROW = (
    '<tr data-testid="county-row"><td data-label="单位">{}</td>'
    '<td data-label="项目"><a href="{}">{}</a><div class="muted code">{}</div></td>'
    '<td data-label="科室">{}</td><td data-label="累计支出进度">{}</td>'
    '<td data-label="支出灯"><span class="level level-{}" title="{}">{}</span></td>'
    '<td data-label="运行监控表">{}</td><td data-label="处置">{}</td></tr>'
)


def _report(row) -> str:
    report = row.report
    if report is None:
        return NOT_REPORTED
    state = escape(str(report.get_state_display()))
    shown = f'<a href="{escape(report.get_absolute_url())}">{state}</a>' if row.report_readable else state
    if report.colour:
        shown += f' <span class="level level-{escape(report.colour)}">{escape(row.report_label)}</span>'
    return mark_safe(shown)


def _disposal(disposal_url, disposal) -> str:
    if disposal is None:
        return DASH
    shown = f'<a href="{escape(disposal_url(disposal.pk))}">{disposal.due:%Y-%m-%d} 前</a>'
    if disposal.consequence:
        shown += f' <span class="level level-red">{escape(disposal.consequence)}</span>'
    return mark_safe(shown)


@register.simple_tag
def county_rows(rows):
    sheet_url, disposal_url = id_url("sheet_monitoring"), id_url("monitoring_disposal")

    def cells(row):
        sheet, money = row.sheet, row.money
        return (
            sheet.agency.unit_line, sheet_url(sheet.pk), sheet.display_title, sheet.project.code,
            (sheet.section.name if sheet.section is not None else "") or DASH,
            NOT_REPORTED if row.spending.amount is None else f"{row.spending.actual}%",
            money.colour, money.how, money.label, _report(row), _disposal(disposal_url, row.disposal),
        )

    return html_join(ROW, (cells(row) for row in rows))
