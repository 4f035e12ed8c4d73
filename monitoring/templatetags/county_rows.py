"""运行监控汇总's table body (``{% load county_rows %}{% county_rows page.rows %}``), written in Python: at 50 rows a
page the template language's lookups, filters and ``{% url %}`` cost more than reading the rows (issue 21's benchmark
row). Every text is escaped by ``format_html``; the markup is the table's in ``templates/monitoring/county.html``."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

_SENTINEL = 987654321
DASH = "—"
NOT_REPORTED = mark_safe('<span class="muted">未填报</span>')
ROW = (
    '<tr data-testid="county-row"><td data-label="单位">{}</td>'
    '<td data-label="项目"><a href="{}">{}</a><div class="muted code">{}</div></td>'
    '<td data-label="科室">{}</td><td data-label="累计支出进度">{}</td>'
    '<td data-label="支出灯"><span class="level level-{}" title="{}">{}</span></td>'
    '<td data-label="运行监控表">{}</td><td data-label="处置">{}</td></tr>'
)


def _linker(route: str):
    """A route's URL for any id: reversed once, the id put in its place."""
    pattern = reverse(route, args=[_SENTINEL])
    return lambda pk: pattern.replace(str(_SENTINEL), str(pk))


def _report(row):
    report = row.report
    if report is None:
        return NOT_REPORTED
    state = report.get_state_display()
    shown = format_html('<a href="{}">{}</a>', report.get_absolute_url(), state) if row.report_readable else state
    if report.colour:
        return format_html('{} <span class="level level-{}">{}</span>', shown, report.colour, row.report_label)
    return format_html("{}", shown)


def _disposal(disposal_url, disposal):
    if disposal is None:
        return DASH
    due = format_html('<a href="{}">{} 前</a>', disposal_url(disposal.pk), f"{disposal.due:%Y-%m-%d}")
    if disposal.consequence:
        return format_html('{} <span class="level level-red">{}</span>', due, disposal.consequence)
    return due


@register.simple_tag
def county_rows(rows):
    sheet_url, disposal_url = _linker("sheet_monitoring"), _linker("monitoring_disposal")
    return mark_safe("".join(
        format_html(
            ROW, row.sheet.agency.unit_line, sheet_url(row.sheet.pk), row.sheet.display_title, row.sheet.project.code,
            (row.sheet.section.name if row.sheet.section is not None else "") or DASH,
            NOT_REPORTED if row.spending.amount is None else f"{row.spending.actual}%",
            row.money.colour, row.money.how, row.money.label, _report(row), _disposal(disposal_url, row.disposal),
        )
        for row in rows
    ))
