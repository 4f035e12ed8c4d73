"""What the sheet editor shows of last year's self-evaluation (由上年结转 learns from the year, issue 22 item 5): beside
each indicator its actual value and score of last year, matched by 一级/二级/三级指标, and above the indicators last
year's total, grade and 执行率. Read from the evaluations app above the sheet pages (``{% load evaluation_tags %}``),
only where the person may read that self-evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template

from evaluations import selectors, tables
from evaluations.models import SelfEvaluation
from workflow import permissions

register = template.Library()


@dataclass
class LastYear:
    evaluation: SelfEvaluation
    year: int
    rate: object
    rows: dict = field(default_factory=dict)  # (一级, 二级, 三级) → EvaluationRow (the first of equal names)


def _key(category, subcategory, name) -> tuple[str, str, str]:
    return tuple((value or "").strip() for value in (category, subcategory, name))


def last_year_of(user, sheet) -> LastYear | None:
    """The self-evaluation of the same project's previous year, if ``user`` may read it."""
    if sheet is None or not getattr(sheet, "project_id", None):
        return None
    evaluation = (
        SelfEvaluation.objects.filter(sheet__project_id=sheet.project_id, sheet__fiscal_year__year=sheet.fiscal_year.year - 1)
        .select_related(*SelfEvaluation.approval_related).prefetch_related("rows").first()
    )
    if evaluation is None or not permissions.can_view(user, evaluation):
        return None
    if selectors.public_from(evaluation) is not None and not selectors.has_role_on(user, evaluation):
        return None
    found = LastYear(evaluation, sheet.fiscal_year.year - 1, tables.rate_of(evaluation))
    for row in evaluation.rows.all():
        found.rows.setdefault(_key(row.category, row.subcategory, row.name), row)
    return found


@register.simple_tag(takes_context=True)
def last_year_results(context, sheet):
    """``{% last_year_results sheet as last_year %}``: last year's self-evaluation of the sheet's project, or None."""
    request = context.get("request")
    return last_year_of(request.user, sheet) if request is not None else None


@register.filter
def result_for(last_year: LastYear | None, form):
    """The row of last year's self-evaluation with the editor row's 一级/二级/三级指标, or None."""
    if last_year is None or form is None:
        return None
    return last_year.rows.get(_key(form["category"].value(), form["subcategory"].value(), form["name"].value()))
