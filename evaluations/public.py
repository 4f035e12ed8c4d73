"""The public self-evaluations (no sign-in): per agency and year, the department goals once finance published them,
the published targets with their self-evaluations' scores and grades once public, each self-evaluation's table, and the links to its Word 自评表 and the year's Excel
summary (``exports.evaluation_views``). An approved self-evaluation waiting for the publication date finance set
(待公开) shows nowhere here before that day."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from evaluations import agency as agency_reads
from evaluations import selectors, tables
from projects.models import DepartmentGoals, SheetState


def public_agency_year(request, code, year):
    """An agency's year: its published targets a keyset page at a time, each with its public self-evaluation's total
    and grade, and the figures over the public ones."""
    # the agency, the year, its publication date, sheets, department-wide one and figures over the public ones
    this_year = agency_reads.year_of(code, year, public_only=True)
    if this_year is None:
        raise Http404("没有找到该单位。")
    if this_year.fiscal_year is None:
        raise Http404("没有找到该年度。")
    agency, fiscal_year, pending, department = this_year.agency, this_year.fiscal_year, this_year.pending, this_year.department
    page = agency_reads.page_of(agency, fiscal_year, cursor=request.GET.get("cursor"), size=request.GET.get("size"))
    rows = [agency_reads.summary_row(row, agency=agency, fiscal_year=fiscal_year, pending=pending, public_only=True)
            for row in page.rows]
    goals = DepartmentGoals.objects.filter(agency=agency, fiscal_year=fiscal_year, state=SheetState.PUBLISHED).first()
    return render(request, "evaluations/public_agency.html", {
        "goals": goals, "goals_parts": [
            (title, DepartmentGoals.paragraphs(getattr(goals, name))) for title, name in
            (("一、总体绩效目标", "overall"), ("二、分项绩效目标", "itemized"), ("三、工作保障措施", "safeguards"))
        ] if goals is not None else [],
        "agency": agency, "year": fiscal_year.year, "rows": rows, "page": page, "pending": pending,
        "figures": this_year.figures,
        "department": department if department is not None and department.state == SheetState.PUBLISHED and pending is None
        else None,
    })


def public_evaluation(request, pk):
    """One public self-evaluation in the 自评表's layout."""
    evaluation = selectors.public_evaluation_or_404(pk)
    table = tables.evaluation_table(evaluation, public_on=selectors.published_on(evaluation))
    return render(request, "evaluations/public_detail.html", {"evaluation": evaluation, "table": table, "sheet": evaluation.sheet})


def public_department_evaluation(request, pk):
    """One public 部门整体自评表: published by finance and not waiting for the agency's year's publication date."""
    evaluation = selectors.public_department_or_404(pk)
    return render(request, "evaluations/public_department.html", {
        "evaluation": evaluation, "rows": list(evaluation.rows.all()),
    })
