"""A sheet adjusted during the year (issue 22 item 1): its self-evaluation is scored against the 调整后 targets and
budget in force, and shows the 年初 ones beside them — those of the version an approved adjustment archived.

Worked out: the worked example's sheet (调整后: budget 50 万元, 办件量 ≥10000件) started the year with 60 万元 and
办件量 ≥12000件; 投诉率 ≤2% was not changed; 满意度 was added by the adjustment (no 年初 value). 执行数 46 of 50 → 92% → 9.20
(against 60 it would be 7.67); 9000件 of ≥10000件 at the default weight 25 (产出 50 over two rows) → 22.50 (of ≥12000件
it would be 18.75)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from evaluations import services, tables
from projects.models import Indicator, Revision, TargetSheet
from tests.evaluations.conftest import WORKED
from tests.evaluations.test_department import goals  # noqa: F401 — the fixture


def _archive_year_start(sheet):
    """What ``adjustments.services.adjustment_apply`` leaves: the version in force before the adjustment, archived."""
    archive = TargetSheet.all_objects.create(
        project=sheet.project, fiscal_year=sheet.fiscal_year, agency=sheet.agency, section=sheet.section,
        position=sheet.position, title=sheet.title, revises=sheet, revision=Revision.VERSION, state="published",
        budget_total=Decimal("60.00"), fiscal_funds=Decimal("60.00"), purpose=sheet.purpose, goal=sheet.goal,
        in_force_from=timezone.make_aware(datetime.datetime(2024, 1, 10)),
        in_force_until=timezone.make_aware(datetime.datetime(2024, 7, 1)),
    )
    year_start = {"办件量": "≥12000件"}
    for order, (category, subcategory, name, value) in enumerate(WORKED):
        if name == "满意度":
            continue  # added by the adjustment
        Indicator.objects.create(sheet=archive, order=order, category=category, subcategory=subcategory, name=name,
                                 target_value=year_start.get(name, value))
    return archive


def test_an_adjusted_sheet_is_evaluated_against_its_adjusted_values_with_the_year_start_beside(org, worked_sheet):
    _archive_year_start(worked_sheet)
    evaluation = services.evaluation_create(sheet=worked_sheet, user=org.owner)
    assert (evaluation.budget, evaluation.adjusted_budget, evaluation.spent) == (Decimal("60.00"), Decimal("50.00"), Decimal("46.00"))
    rows = {row.name: (row.target, row.original_target) for row in evaluation.rows.all()}
    assert rows == {
        "办件量": ("≥10000件", "≥12000件"), "按时办结率": ("≥98%", "≥98%"), "投诉率": ("≤2%", "≤2%"),
        "可持续影响": ("有效提升", "有效提升"), "满意度": ("≥90%", ""),
    }
    row = evaluation.rows.get(name="办件量")
    services.evaluation_edit(evaluation=evaluation, user=org.owner, expected_version=evaluation.version,
                             rows={row.pk: {"actual": "9000件"}})
    evaluation.refresh_from_db()
    assert evaluation.budget_score == Decimal("9.20")
    assert evaluation.rows.get(name="办件量").score == Decimal("22.50")
    # the 自评表 shows the 年初 value where it differs, and both budgets
    table = tables.evaluation_table(evaluation)
    shown = {r.name: r.original_target for r in table.rows}
    assert shown["办件量"] == "≥12000件" and shown["投诉率"] == "" and shown["满意度"] == ""
    assert (table.budget, table.adjusted_budget) == (Decimal("60.00"), Decimal("50.00"))


def test_a_sheet_never_adjusted_starts_and_ends_the_year_alike(org, worked_sheet):
    evaluation = services.evaluation_create(sheet=worked_sheet, user=org.owner)
    assert evaluation.budget == evaluation.adjusted_budget == Decimal("50.00")
    assert all(row.original_target == row.target for row in evaluation.rows.all())


def test_the_department_wide_budget_line_starts_from_each_sheets_first_version(org, worked_sheet, goals, make_sheet, publish):  # noqa: F811
    """The agency's published sheets: the worked example's (调整后 50 万元, 年初 60 万元: adjusted) and one never adjusted
    (10 万元): 年初 60 + 10 = 70, 调整后 50 + 10 = 60."""
    _archive_year_start(worked_sheet)
    publish(make_sheet(budget="10.00"))
    evaluation = services.department_evaluation_create(agency=org.agency, year=2024, user=org.leader)
    assert (evaluation.budget, evaluation.adjusted_budget) == (Decimal("70.00"), Decimal("60.00"))
