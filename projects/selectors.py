"""Reads on the documents, with the joins a page needs."""

from __future__ import annotations

from django.db.models import prefetch_related_objects, Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.db import prepared_cursor
from projects import validation
from projects.models import Agency, FiscalYear, Indicator, SpendPlan, TargetSheet


def agency_or_404(code: str) -> Agency:
    """The agency of a URL's code; a code no column can hold (NUL, control characters, too long) is simply not found."""
    if validation.text_problem(code, "单位编码", max_length=20, multiline=False):
        raise Http404("没有找到该单位。")
    return get_object_or_404(Agency, code=code)


def fiscal_years() -> list[int]:
    """Every fiscal year, newest first (the lists' 年度 filter): a fixed statement, prepared once per connection."""
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT year FROM {FiscalYear._meta.db_table} ORDER BY year DESC")
        return [year for (year,) in cursor.fetchall()]


def sheets_with_content(queryset: QuerySet | None = None) -> QuerySet:
    """Sheets with everything the table layout, the checker and the exporter read, in a fixed number of queries."""
    queryset = TargetSheet.objects.all() if queryset is None else queryset
    return queryset.select_related("project", "agency", "section", "fiscal_year").prefetch_related(*_content())


def documents_with_content() -> QuerySet:
    """``sheets_with_content`` of the sheets in force and their adjustments (``TargetSheet.documents``): what the
    sheet pages and API open by id (an adjustment is edited, checked and moved there like any sheet)."""
    return sheets_with_content(TargetSheet.documents.all())


def _content() -> tuple:
    return (
        "fiscal_year__checkpoints",
        Prefetch("plan", queryset=SpendPlan.objects.select_related("checkpoint").order_by("checkpoint__date")),
        Prefetch("indicators", queryset=Indicator.objects.order_by("order", "id")),
    )


def content_load(sheet: TargetSheet) -> TargetSheet:
    """``sheets_with_content``'s content on a sheet already read (with its project, agency, section and year)."""
    prefetch_related_objects([sheet], *_content())
    return sheet


def verdicts_load(sheets) -> None:
    """Set ``error_count`` and ``warning_count`` on each sheet of a list: the verdict stored with its content; the
    rows without one (``TargetSheet.verdict``) are read again whole with their content and checked (a list reads only
    the columns its rows show)."""
    unknown = [sheet.pk for sheet in sheets if not sheet.verdict_known]
    checked = {sheet.pk: sheet.verdict() for sheet in sheets_with_content(TargetSheet.objects.filter(pk__in=unknown))} if unknown else {}
    for sheet in sheets:
        sheet.error_count, sheet.warning_count = checked[sheet.pk] if sheet.pk in checked else sheet.verdict()


def package_sheets(*, agency, year: int, states=None) -> QuerySet:
    """The agency's sheets of a year in package order; only those in ``states`` when given."""
    queryset = TargetSheet.objects.filter(agency=agency, fiscal_year__year=year)
    if states is not None:
        queryset = queryset.filter(state__in=states)
    return sheets_with_content(queryset).order_by("position", "id")
