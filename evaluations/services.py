"""Writes of a self-evaluation: its creation (pre-filled from the sheet) and the edits of its draft. Its moves are the
engine's (``workflow.services.document_submit`` …); its content check is ``evaluations.scorecard``.

Every save recomputes the scores from what was typed (a quantitative row's score is never taken from a client) and
refuses what the rules refuse (a score outside its level's band, weights not totalling 90, a unit other than the
target's) with a Chinese message; a draft may be saved before every value is typed.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import errors
from evaluations import prefill, scorecard, scoring, selectors
from evaluations.models import (
    DEPARTMENT_ROW_TEXT_SPECS, ROW_TEXT_SPECS, TEXT_SPECS, Deadline, DepartmentEvaluation, DepartmentRow, EvaluationRow,
    Publication, SelfEvaluation,
)
from people import roles
from projects import validation
from projects.models import Agency, DepartmentGoals, FiscalYear, Revision, SheetState, TargetSheet
from spending.models import SpendReport
from workflow import flow, permissions
from workflow.services import _changed_by, document_lock

ROW_FIELDS = ("weight", "actual", "level", "score", "reason")


def year_over(year: int, *, today: datetime.date | None = None) -> bool:
    return (today or timezone.localdate()) > datetime.date(year, 12, 31)


def spent_at_year_end(sheet) -> Decimal | None:
    """执行数: the sheet's spending report at the year's last checkpoint (12月底), if one was made."""
    report = (
        SpendReport.objects.filter(sheet=sheet, checkpoint__date=datetime.date(sheet.fiscal_year.year, 12, 31))
        .values_list("amount", flat=True).first()
    )
    return report


def _indicator_key(indicator) -> tuple[str, str, str]:
    return indicator.category, indicator.subcategory, indicator.name


def year_start_of(sheet) -> tuple[Decimal, dict | None]:
    """The sheet's 年初 budget and targets: those of its first version in force, archived when an approved adjustment
    replaced it (``Revision.VERSION``), as {(一级, 二级, 三级): 指标值}; the sheet's own budget and None (its targets
    are the year's start) when it was never adjusted. An indicator an adjustment added has no 年初 value."""
    first = (
        TargetSheet.all_objects.filter(revises=sheet, revision=Revision.VERSION)
        .order_by("in_force_from", "id").prefetch_related("indicators").first()
    )
    if first is None:
        return sheet.budget_total, None
    return first.budget_total, {_indicator_key(i): i.target_value for i in first.indicators.all()}


def _default_weights(categories: list[str]) -> list[Decimal | None]:
    try:
        return scoring.default_weights(categories)
    except errors.AppError:  # a 一级指标 without a default weight: the evaluator types its weights
        return [None] * len(categories)


@transaction.atomic
def evaluation_create(*, sheet: TargetSheet, user) -> SelfEvaluation:
    """The self-evaluation of a published sheet after its year, pre-filled: its indicators with their targets in
    force (调整后) and, adjusted, their 年初 targets, the default weights, the budget (年初: the first version's,
    ``year_start_of``; 调整后: the sheet's), 执行数 from the year-end spending report, and the 实际完成值 the
    registered providers know (``evaluations.prefill``: the last monitoring report's current values).
    Refused unless ``user`` drafts for the sheet's section; one per sheet."""
    sheet = document_lock(TargetSheet, sheet.pk)
    if not flow.holds(user, roles.Role.STAFF, sheet):
        raise errors.forbidden("只有本科室经办人可以填写这张表的绩效自评。")
    if sheet.state != SheetState.PUBLISHED:
        raise errors.conflict("绩效目标表公开后才能开展绩效自评。")
    year = sheet.fiscal_year.year
    if not year_over(year):
        raise errors.conflict(f"{year}年度尚未结束，年度结束后才能开展绩效自评。")
    existing = SelfEvaluation.objects.filter(sheet=sheet).values_list("pk", flat=True).first()
    if existing is not None:
        raise errors.conflict(f"这张表已有绩效自评（编号 {existing}）。", code="exists")
    indicators = list(sheet.indicators.order_by("order", "id"))
    weights = _default_weights([i.category for i in indicators])
    start_budget, start_targets = year_start_of(sheet)
    actuals = prefill.actual_values(sheet, indicators)
    try:
        with transaction.atomic():
            evaluation = SelfEvaluation.objects.create(
                sheet=sheet, fiscal_year_id=sheet.fiscal_year_id, agency_id=sheet.agency_id, section_id=sheet.section_id,
                state=SheetState.DRAFT,
                budget=start_budget, adjusted_budget=sheet.budget_total, spent=spent_at_year_end(sheet),
                updated_by=user,
            )
    except IntegrityError:  # created at the same moment in another tab
        raise errors.conflict("这张表已有绩效自评。", code="exists") from None
    EvaluationRow.objects.bulk_create(
        EvaluationRow(
            evaluation=evaluation, indicator=indicator, order=order, category=indicator.category,
            subcategory=indicator.subcategory, name=indicator.name, target=indicator.target_value,
            actual=actuals.get(indicator.pk, ""),
            original_target=start_targets.get(_indicator_key(indicator), "") if start_targets is not None
            else indicator.target_value, weight=weight,
        )
        for order, (indicator, weight) in enumerate(zip(indicators, weights))
    )
    _write_scores(evaluation, refuse=False)
    return evaluation


def ensure_editable(user, evaluation: SelfEvaluation) -> None:
    if not permissions.can_edit(user, evaluation):
        if evaluation.is_editable:
            raise errors.forbidden("只有本科室经办人可以修改这张自评表。")
        raise errors.conflict(f"这张自评表处于“{evaluation.get_state_display()}”状态，不能修改。")


def _text(value, spec) -> str:
    label, limit, multiline = spec
    value = "" if value is None else value
    problem = validation.text_problem(value, label, max_length=limit, multiline=multiline)
    if problem:
        raise errors.invalid(problem)
    return value.strip()


@transaction.atomic
def evaluation_edit(*, evaluation: SelfEvaluation, user, expected_version: int, **changes) -> SelfEvaluation:
    """Save edits of a draft (or returned) self-evaluation made on ``expected_version`` (a stale one: 412).

    ``changes``: ``spent``, ``spent_reason``, ``conclusion``, ``problems``, ``improvements`` and ``rows`` ({row id:
    {weight, actual, level, score, reason}}: the rows sent change, the others stay). Scores are recomputed; a score
    sent for a quantitative row is ignored."""
    locked = document_lock(SelfEvaluation, evaluation.pk)
    ensure_editable(user, locked)
    return _edit(evaluation, locked, user, expected_version, changes, ROW_TEXT_SPECS)


def _edit(evaluation, locked, user, expected_version: int, changes: dict, row_specs: dict):
    """The edit of a self-evaluation or a department-wide one (``locked``, its row model ``locked.rows.model``)."""
    if expected_version != locked.version:
        raise errors.stale(
            f"这张自评表已由{_changed_by(locked)}修改（当前版本 {locked.version}，您编辑的是版本 {expected_version}），"
            "您的修改未保存。请刷新页面，在最新内容上重新修改。"
        )
    if "spent" in changes:
        spent = changes["spent"]
        locked.spent = None if spent in (None, "") else scoring.amount(spent, "执行数")
    for name, spec in TEXT_SPECS.items():
        if name in changes:
            setattr(locked, name, _text(changes[name], spec))
    rows = {row.pk: row for row in locked.rows.all()}
    for pk, values in (changes.get("rows") or {}).items():
        row = rows.get(pk)
        if row is None:
            raise errors.invalid(f"自评表中没有编号为 {pk} 的指标行。")
        _row_apply(row, values, row_specs)
    locked._prefetched_objects_cache = {"rows": _OrderedRows(sorted(rows.values(), key=lambda r: (r.order, r.pk)))}
    _write_scores(locked, refuse=True)
    locked.rows.model.objects.bulk_update(list(rows.values()), [*row_specs, "weight", "level", "score"])
    locked.bump_version(user)
    locked.save()
    for name in ("version", "updated_by_id", "updated", "spent", "total", "grade", "budget_score", "check_errors"):
        setattr(evaluation, name, getattr(locked, name))
    return locked


class _OrderedRows(list):
    """The rows as edited, standing in for ``evaluation.rows.all()`` while they are scored (not yet saved)."""

    def all(self):
        return self


def _row_apply(row, values: dict, row_specs: dict = ROW_TEXT_SPECS) -> None:
    if "weight" in values:
        weight = values["weight"]
        row.weight = None if weight in (None, "") else scoring.amount(weight, f"“{row.name[:30]}”的分值")
    for name, spec in row_specs.items():
        if name in values:
            setattr(row, name, _text(values[name], spec))
    qualitative = scorecard.rule_of(row.target) == scoring.QUALITATIVE
    if qualitative:
        if "level" in values:
            level = scoring.level_code(values["level"] or "")
            if values["level"] and not level:
                raise errors.invalid(f"“{row.name}”的评价等级应为达成、部分达成或未达成。")
            row.level = level
        if "score" in values:
            score = values["score"]
            row.score = None if score in (None, "") else scoring.amount(score, f"“{row.name}”的得分")


def _write_scores(evaluation, *, refuse: bool) -> None:
    """Recompute every score (a quantitative row's from its actual value) and the stored total, grade and count of
    what is missing. ``refuse``: raise what the rules refuse (an edit); else (the pre-filled creation) leave it to the
    content check."""
    rows = list(evaluation.rows.all())
    try:
        card = scorecard.of(evaluation)
    except errors.AppError as error:
        if refuse:
            raise
        evaluation.check_errors, evaluation.total, evaluation.grade, evaluation.budget_score = 1, None, "", None
        type(evaluation).objects.filter(pk=evaluation.pk).update(check_errors=1)
        del error
        return
    for row, result in zip(rows, card.rows):
        if result.rule != scoring.QUALITATIVE:
            row.score, row.level = result.score, ""
    evaluation.budget_score = card.budget.score if card.budget is not None else None
    evaluation.total, evaluation.grade, evaluation.check_errors = card.total, card.grade, len(card.missing)
    if not refuse:
        evaluation.rows.model.objects.bulk_update(rows, ["score", "level"])
        type(evaluation).objects.filter(pk=evaluation.pk).update(
            budget_score=evaluation.budget_score, total=evaluation.total, grade=evaluation.grade,
            check_errors=evaluation.check_errors,
        )


# ---------------------------------------------------------------- publication date (公开日期)


def may_set_publication(user, agency) -> bool:
    """The agency's finance reviewers (and superusers) set when its self-evaluations are published."""
    return user.is_authenticated and (user.is_superuser or roles.has_role(user, roles.Role.FINANCE_REVIEWER, agency))


@transaction.atomic
def publication_set(*, agency, year: int, public_from: datetime.date | None, user, today: datetime.date | None = None):
    """Set (or, with None, remove) the day the agency's self-evaluations of ``year`` are published.

    A date is today or later. A later date is refused once a self-evaluation of that agency and year is public: what
    everyone has read is not taken back by a date (撤回公开 is the engine's move). Removing the date publishes the
    approved ones waiting at once. Returns the Publication, or None when removed."""
    if not may_set_publication(user, agency):
        raise errors.forbidden("只有本单位的财政审核人可以设置自评结果公开日期。")
    today = today or timezone.localdate()
    fiscal_year = FiscalYear.objects.filter(year=year).first()
    if fiscal_year is None:
        raise errors.invalid(f"没有{year}年度。")
    Agency.objects.select_for_update().filter(pk=agency.pk).first()  # one setter at a time per agency
    if public_from is None:
        Publication.objects.filter(agency=agency, fiscal_year=fiscal_year).delete()
        return None
    if public_from < today:
        raise errors.invalid(f"公开日期不能早于今天（{today:%Y-%m-%d}）。")
    if public_from > today:
        public = selectors.public_evaluations(today).filter(agency=agency, sheet__fiscal_year=fiscal_year)
        count = public.count()
        if count:
            raise errors.conflict(
                f"{agency.name}{year}年度已有 {count} 张自评表公开，不能再推迟公开日期；已公开的自评表如需收回，请在当个工作日内撤回公开。"
            )
    publication, _created = Publication.objects.update_or_create(
        agency=agency, fiscal_year=fiscal_year, defaults={"public_from": public_from, "set_by": user}
    )
    return publication


# ---------------------------------------------------------------- the deadline (自评截止日期)


@transaction.atomic
def deadline_set(*, agency, year: int, due: datetime.date | None, user, today: datetime.date | None = None):
    """Set (or, with None, remove) the day the agency's self-evaluations of ``year`` are to be submitted by; the daily
    reminders read it. A new date is today or later. The agency's finance reviewers (and superusers) only. Returns the
    Deadline, or None when removed."""
    if not may_set_publication(user, agency):
        raise errors.forbidden("只有本单位的财政审核人可以设置自评截止日期。")
    today = today or timezone.localdate()
    fiscal_year = FiscalYear.objects.filter(year=year).first()
    if fiscal_year is None:
        raise errors.invalid(f"没有{year}年度。")
    if due is None:
        Deadline.objects.filter(agency=agency, fiscal_year=fiscal_year).delete()
        return None
    if due < today:
        raise errors.invalid(f"自评截止日期不能早于今天（{today:%Y-%m-%d}）。")
    if due.year <= year:
        raise errors.invalid(f"{year}年度的自评在年度结束后开展，截止日期应在 {year + 1}-01-01 或以后。")
    deadline, _created = Deadline.objects.update_or_create(
        agency=agency, fiscal_year=fiscal_year, defaults={"due": due, "set_by": user}
    )
    return deadline


# ---------------------------------------------------------------- 部门整体自评


def _equal_weights(count: int) -> list[Decimal]:
    """90 split equally over ``count`` goals (2 decimals; the last takes what rounding leaves)."""
    if not count:
        return []
    share = (scoring.INDICATORS_TOTAL / count).quantize(scoring.CENT)
    return [share] * (count - 1) + [scoring.INDICATORS_TOTAL - share * (count - 1)]


@transaction.atomic
def department_evaluation_create(*, agency, year: int, user) -> DepartmentEvaluation:
    """The agency's department-wide self-evaluation of ``year``, pre-filled: a row per 分项绩效目标 of its published
    department-wide goals (the 总体绩效目标 when none are itemized), each a qualitative goal (达成年度目标) weighted
    equally (90 in all), and the budget line over its published sheets (调整后: their budgets; 年初: their first
    versions' where an approved adjustment changed them, ``year_start_of``; 执行数 = their
    year-end spending reports, when any). The agency's 局领导 only; after the year; one per agency and year."""
    if not roles.has_role(user, roles.Role.LEADER, agency):
        raise errors.forbidden("只有本单位的局领导可以填写部门整体自评。")
    if not year_over(year):
        raise errors.conflict(f"{year}年度尚未结束，年度结束后才能开展部门整体自评。")
    fiscal_year = FiscalYear.objects.filter(year=year).first()
    goals = DepartmentGoals.objects.filter(agency=agency, fiscal_year=fiscal_year, state=SheetState.PUBLISHED).first()
    if fiscal_year is None or goals is None:
        raise errors.conflict(f"{agency.name}{year}年度的部门整体绩效目标尚未公开，公开后才能开展部门整体自评。")
    Agency.objects.select_for_update().filter(pk=agency.pk).first()  # one at a time per agency
    if DepartmentEvaluation.objects.filter(agency=agency, fiscal_year=fiscal_year).exists():
        raise errors.conflict(f"{agency.name}{year}年度已有部门整体自评。", code="exists")
    sheets = TargetSheet.objects.filter(agency=agency, fiscal_year=fiscal_year, state=SheetState.PUBLISHED)
    first_version = (
        TargetSheet.all_objects.filter(revises=OuterRef("pk"), revision=Revision.VERSION)
        .order_by("in_force_from", "id").values("budget_total")[:1]
    )
    budgets = list(sheets.annotate(start=Coalesce(Subquery(first_version), F("budget_total"))).values_list("budget_total", "start"))
    budget = sum((adjusted for adjusted, _start in budgets), Decimal(0))
    start_budget = sum((start for _adjusted, start in budgets), Decimal(0))  # 年初: each sheet's first version's
    if not budget:
        raise errors.conflict(f"{agency.name}{year}年度没有已公开且有预算的绩效目标表，无法计算部门整体的预算执行情况。")
    reports = list(
        SpendReport.objects.filter(sheet__in=sheets, checkpoint__date=datetime.date(year, 12, 31)).values_list("amount", flat=True)
    )
    evaluation = DepartmentEvaluation.objects.create(
        agency=agency, fiscal_year=fiscal_year, goals=goals, state=SheetState.DRAFT, budget=start_budget,
        adjusted_budget=budget, spent=sum(reports, Decimal(0)) if reports else None, updated_by=user,
    )
    itemized = goals.paragraphs(goals.itemized)
    texts = [("分项绩效目标", text) for text in itemized] or [("总体绩效目标", text) for text in goals.paragraphs(goals.overall)]
    DepartmentRow.objects.bulk_create(
        DepartmentRow(evaluation=evaluation, order=order, category=category, name=text, weight=weight)
        for order, ((category, text), weight) in enumerate(zip(texts, _equal_weights(len(texts))))
    )
    _write_scores(evaluation, refuse=False)
    return evaluation


def department_ensure_editable(user, evaluation: DepartmentEvaluation) -> None:
    if not permissions.can_edit(user, evaluation):
        if evaluation.is_editable:
            raise errors.forbidden("只有本单位的局领导可以修改部门整体自评。")
        raise errors.conflict(f"这份部门整体自评表处于“{evaluation.get_state_display()}”状态，不能修改。")


@transaction.atomic
def department_evaluation_edit(*, evaluation: DepartmentEvaluation, user, expected_version: int, **changes):
    """Save edits of a draft (or returned) department-wide self-evaluation made on ``expected_version`` (stale: 412).
    As ``evaluation_edit``; a row's ``target`` (指标值) may be typed too, quantifying a goal (``≥10000件``)."""
    locked = document_lock(DepartmentEvaluation, evaluation.pk)
    department_ensure_editable(user, locked)
    return _edit(evaluation, locked, user, expected_version, changes, DEPARTMENT_ROW_TEXT_SPECS)
