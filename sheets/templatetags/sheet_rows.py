"""The sheet list's table body (``{% load sheet_rows %}{% sheet_rows sheets consequences %}``), written in Python: at
50 rows a page the template language's lookups, filters and ``{% url %}`` cost more than the rest of the page (the
lists' benchmark rows). Every text is escaped (``core.html``, as ``format_html`` escapes); the markup is the
table's in ``templates/sheets/sheet_list.html``."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.html import html_format, html_join, id_url, number_writer
from projects.models import SheetState
from sheets.selectors import listed_title

register = template.Library()

PASSED = mark_safe('<span class="ok">通过</span>')
ROW = (
    '<tr><td data-label="序号">{}</td><td data-label="项目名称"><a href="{}">{}</a></td>'
    '<td data-label="项目编码" class="code">{}</td><td data-label="科室">{}</td>'
    '<td data-label="预算数（万元）" class="num">{}</td>'
    '<td data-label="状态"><span class="state state-{}">{}</span>{}</td><td data-label="体检">{}</td></tr>'
)


def _findings(sheet):
    if not sheet.error_count and not sheet.warning_count:
        return PASSED
    return mark_safe(
        (html_format('<span class="finding error">{} 个错误</span>', sheet.error_count) if sheet.error_count else "")
        + (html_format('<span class="finding warning">{} 个提示</span>', sheet.warning_count) if sheet.warning_count else "")
    )


@register.simple_tag
def sheet_rows(sheets, consequences=None):
    """The rows of ``sheets`` (as ``sheets.selectors.sheet_list`` reads them); ``consequences``: {sheet id: the
    consequence recorded on it (暂停执行)} shown beside its state (``monitoring_consequences``)."""
    detail = id_url("sheet_detail")
    states = dict(SheetState.choices)
    consequences = consequences or {}
    number = number_writer()

    def cells(sheet):
        consequence = consequences.get(sheet.pk)
        return (
            number(sheet.position), detail(sheet.pk), listed_title(sheet),
            sheet.project_code, sheet.section_name or "—",
            number(sheet.budget_total), sheet.state, states.get(sheet.state, sheet.state),
            html_format(' <span class="level level-red" data-testid="sheet-consequence">{}</span>', consequence)
            if consequence else "",
            _findings(sheet),
        )

    return html_join(ROW, (cells(sheet) for sheet in sheets))


PUBLIC_ROW = (
    '<tr><td data-label="年度">{}</td><td data-label="公开日期" data-testid="published-on">{}</td>'
    '<td data-label="单位"><a href="{}" title="本单位该年度绩效目标与自评结果">{}</a></td>'
    '<td data-label="项目名称"><a href="{}">{}</a></td><td data-label="项目编码" class="code">{}</td>'
    '<td data-label="预算数（万元）" class="num">{}</td></tr>'
)


@register.simple_tag
def public_rows(sheets):
    """The public list's rows (``templates/sheets/public_list.html``): year, the day it was published (local time),
    the agency's page of that year, the sheet's page, its code and amount (``sheets.public.PUBLIC_FIELDS`` and
    ``PUBLIC_VALUES``, the year and agency as ``sheets.selectors.with_year_and_agency`` reads them)."""
    detail = id_url("public_detail")
    number = number_writer()
    agency_pages = {}

    def agency_page(sheet):
        key = (sheet.agency_code, sheet.listed_year)
        if key not in agency_pages:
            agency_pages[key] = reverse("public_agency_year", args=key)
        return agency_pages[key]

    def cells(sheet):
        return (
            number(sheet.listed_year),
            timezone.localtime(sheet.state_since).strftime("%Y-%m-%d") if sheet.state_since else "—",
            agency_page(sheet), sheet.agency_name, detail(sheet.pk), listed_title(sheet),
            sheet.project_code, number(sheet.budget_total),
        )

    return html_join(PUBLIC_ROW, (cells(sheet) for sheet in sheets))
