"""Spending against the plan (执行进度): record a report, and read plan against actual per checkpoint.

The actual % of a checkpoint is the reported cumulative amount over the sheet's
budget. A checkpoint whose date has passed without a report counts as 0% spent.
How it is graded is the year's rule pack's (``SpendRule``; monitoring supplies the pack's rules through
``rules_source``): today's rule (the default pack) compares with the sheet's plan — on or ahead of plan is green,
up to 10 points behind is yellow, more is red; 四川 compares with the point's line (25/40/60/80%).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from projects import validation
from projects.models import Checkpoint, SheetState, SpendPlan, TargetSheet
from projects.values import format_number
from core import errors
from core.db import is_postgresql
from people import roles
from spending import sources
from spending.models import EXPLANATION, SpendReport
from workflow import permissions

YELLOW_MAX_BEHIND = Decimal(10)
GREEN, YELLOW, RED, NOT_DUE, NOT_MONITORED = "green", "yellow", "red", "not_due", "not_monitored"
LEVEL_LABELS = {GREEN: "正常", YELLOW: "黄色预警", RED: "红色预警", NOT_DUE: "未到期", NOT_MONITORED: "不预警"}
CENT = Decimal("0.01")
REASON_LEVELS = frozenset({YELLOW, RED})  # today's rule: a report behind the sheet's plan needs its 进度说明
REASON_HINT = "实际进度落后于计划时必填：原因和加快支出的措施。"


# ---------------------------------------------------------------- who may


def can_record(user, sheet: TargetSheet) -> bool:
    """The sheet's section staff record its spending."""
    return user.is_authenticated and permissions.holds(user, roles.Role.STAFF, sheet)


def can_view(user, sheet: TargetSheet) -> bool:
    """Spending is read by the sheet's section (staff, head), its agency's leaders and finance reviewers, and admins."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(
        permissions.holds(user, role, sheet)
        for role in (roles.Role.STAFF, roles.Role.SECTION_HEAD, roles.Role.LEADER, roles.Role.FINANCE_REVIEWER)
    )


def can_view_agency(user, agency) -> bool:
    """The agency dashboard is for its leaders, its finance reviewers and admins."""
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or roles.has_role(user, roles.Role.LEADER, agency)
        or roles.has_role(user, roles.Role.FINANCE_REVIEWER, agency)
    )


# ---------------------------------------------------------------- plan against actual


def level_for(*, planned: Decimal, actual: Decimal, yellow_max_behind: Decimal = YELLOW_MAX_BEHIND) -> str:
    behind = planned - actual
    if behind <= 0:
        return GREEN
    return YELLOW if behind <= yellow_max_behind else RED


# ---------------------------------------------------------------- how a checkpoint is graded (the year's rule pack)


class SpendRule:
    """How spending at a checkpoint is graded: against the sheet's own plan, at most ``yellow_max_behind`` points
    behind yellow, more red (today's rule, the default pack's ``below_plan``). A rule pack's other rules
    (``monitoring``: 四川's line, 山西's ratio) are subclasses that override ``level`` and ``reference``."""

    monitored = True  # False: a point of the spending plan only (四川's year end): nothing is warned there

    def __init__(self, yellow_max_behind: Decimal = YELLOW_MAX_BEHIND, *, monitored: bool = True,
                 reason_levels=REASON_LEVELS):
        self.yellow_max_behind = Decimal(yellow_max_behind)
        self.monitored = monitored
        # the levels at which a report needs its 进度说明 (the pack's ``reason_colours``; today's: behind the plan)
        self.reason_levels = frozenset(reason_levels)

    def reason_problem(self, *, planned: Decimal, actual: Decimal) -> str | None:
        """The Chinese message asking for a 进度说明 when this rule requires one of a report at ``actual`` % against
        the sheet's plan ``planned`` %; None when it does not (a point the pack does not monitor never does)."""
        if not self.monitored:
            return None
        level = self.level(planned=planned, actual=actual)
        if level not in self.reason_levels:
            return None
        if actual < planned:
            return f"实际支出进度 {format_number(actual)}% 低于计划 {format_number(planned)}%，请填写进度说明（原因和措施）。"
        return f"实际支出进度 {format_number(actual)}% 为{LEVEL_LABELS[level]}，请填写进度说明（原因和措施）。"

    @property
    def reason_hint(self) -> str:
        """When the form's 进度说明 is required under this rule."""
        if self.reason_levels == REASON_LEVELS:
            return REASON_HINT
        if not self.reason_levels:
            return "选填：原因和加快支出的措施。"
        levels = "、".join(LEVEL_LABELS[level] for level in (RED, YELLOW, GREEN) if level in self.reason_levels)
        return f"执行进度为{levels}时必填：原因和加快支出的措施。"

    def reference(self, planned: Decimal) -> Decimal:
        """The % a sheet is compared with (its plan here; a line for 四川): how far behind it is counts from it."""
        return planned

    def level(self, *, planned: Decimal, actual: Decimal) -> str:
        return level_for(planned=planned, actual=actual, yellow_max_behind=self.yellow_max_behind)

    @property
    def sql_cuts(self) -> tuple[str, Decimal, Decimal] | None:
        """The rule as the agency totals' SQL grades it (``_SUMS_SQL``): ("plan", most behind for yellow, 0), ("line",
        red below, yellow below), ("off", 0, 0) when not monitored; None when only Python can (the totals are then
        reckoned sheet by sheet)."""
        return ("plan", self.yellow_max_behind, Decimal(0)) if self.monitored else ("off", Decimal(0), Decimal(0))

    @property
    def legend(self) -> tuple[tuple[str, str], ...]:
        """The chart's key of this rule: (level, words) pairs."""
        limit = format_number(self.yellow_max_behind)
        return ((GREEN, "正常"), (YELLOW, f"黄色预警（落后 ≤{limit} 个百分点）"), (RED, f"红色预警（落后 >{limit} 个百分点）"))

    def __eq__(self, other):
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self):
        return hash((type(self), self.yellow_max_behind, self.monitored, self.reason_levels))


TODAY_RULE = SpendRule()

def year_rules(year: int) -> dict[datetime.date, SpendRule]:
    """{checkpoint date: its rule} of ``year`` (a date the pack does not name follows today's rule): a query or two."""
    return sources.source_rules(year)  # the year's rule pack, as monitoring tells (``spending.sources``)


def rule_at(rules: dict, checkpoint) -> SpendRule:
    return rules.get(checkpoint.date, TODAY_RULE)


def legend(rules) -> list[tuple[str, str]]:
    """The chart's key: the (level, words) of these rules (the monitored ones), each once."""
    found: list[tuple[str, str]] = []
    for rule in rules:
        if rule.monitored:
            found += [item for item in rule.legend if item not in found]
    return found or list(TODAY_RULE.legend)


def reason_hint(rules) -> str:
    """What the report form says of the 进度说明 under a year's rules (``year_rules(...).values()``): the rule's own
    words when its monitored points agree, else today's."""
    hints = list(dict.fromkeys(rule.reason_hint for rule in rules if rule.monitored))
    return hints[0] if len(hints) == 1 else REASON_HINT


def planned_percent(sheet: TargetSheet, checkpoint: Checkpoint) -> Decimal:
    """The sheet's planned cumulative % at ``checkpoint`` (the checkpoint's default when the sheet has none)."""
    for point in sheet.plan.all():
        if point.checkpoint_id == checkpoint.pk:
            return point.cumulative_percent
    return checkpoint.planned_percent


def percent_of_budget(sheet: TargetSheet, amount: Decimal) -> Decimal | None:
    if not sheet.budget_total:
        return None
    return percent_of(sheet.budget_total, amount)


def percent_of(budget_total: Decimal, amount: Decimal) -> Decimal:
    return (Decimal(amount) / budget_total * 100).quantize(CENT)


@dataclass
class CheckpointSpend:
    """One checkpoint of one sheet: the plan, the report if any, and the colour."""

    checkpoint: Checkpoint
    planned: Decimal
    report: SpendReport | None
    actual: Decimal | None
    behind: Decimal | None
    level: str
    published: bool = True  # before publication nothing is reported, so nothing is due
    rule: SpendRule = TODAY_RULE

    @property
    def level_label(self) -> str:
        if not self.published:
            return "公开后填报"
        if self.missing:
            return "未填报" if self.level == GREEN else f"未填报（{LEVEL_LABELS[self.level]}）"
        return LEVEL_LABELS[self.level]

    @property
    def missing(self) -> bool:
        return self.report is None and self.level != NOT_DUE

    @property
    def label(self) -> str:
        return self.checkpoint.label


def checkpoint_spend(sheet: TargetSheet, checkpoint: Checkpoint, report: SpendReport | None, today: datetime.date,
                     rule: SpendRule = TODAY_RULE) -> CheckpointSpend:
    return spend_at(
        checkpoint, planned=planned_percent(sheet, checkpoint), budget_total=sheet.budget_total, report=report,
        today=today, rule=rule,
    )


def spend_at(checkpoint: Checkpoint, *, planned: Decimal, budget_total: Decimal, report, today: datetime.date,
             rule: SpendRule = TODAY_RULE) -> CheckpointSpend:
    """``checkpoint_spend`` on plain values (a province's sheets are read as tuples): ``report`` is anything with
    the report's ``amount``, or None; ``rule`` the checkpoint's (``rule_at(year_rules(year), checkpoint)``)."""
    if report is not None:
        actual = (percent_of(budget_total, report.amount) if budget_total else None) or Decimal(0)
    elif checkpoint.date < today:
        actual = None
    else:
        return CheckpointSpend(checkpoint, planned, None, None, None, NOT_DUE, rule=rule)
    spent = actual if actual is not None else Decimal(0)
    level = rule.level(planned=planned, actual=spent) if rule.monitored else NOT_MONITORED
    return CheckpointSpend(checkpoint, planned, report, actual, max(rule.reference(planned) - spent, Decimal(0)), level, rule=rule)


def with_spending(queryset: QuerySet) -> QuerySet:
    """Sheets with what plan-against-actual reads, in a fixed number of queries."""
    return queryset.select_related("project", "agency", "section", "fiscal_year").prefetch_related(
        Prefetch("plan", queryset=SpendPlan.objects.select_related("checkpoint").order_by("checkpoint__date")),
        Prefetch("spend_reports", queryset=SpendReport.objects.select_related("checkpoint", "reported_by")),
        Prefetch("fiscal_year__checkpoints", queryset=Checkpoint.objects.order_by("date")),
    )


def sheet_spending(*, sheet: TargetSheet, today: datetime.date | None = None, rules: dict | None = None) -> list[CheckpointSpend]:
    """Plan against actual at each checkpoint of the sheet's year (use a sheet from ``with_spending``), graded by the
    year's rules (``rules``: ``year_rules`` of its year, read here when not given).

    A sheet not yet published is not being executed against (its spending is reported from publication on): its
    checkpoints show the plan only, never a missing report or a warning."""
    today = today or timezone.localdate()
    if not sheet.is_published:
        return [
            CheckpointSpend(cp, planned_percent(sheet, cp), None, None, None, NOT_DUE, published=False)
            for cp in sheet.fiscal_year.checkpoints.all()
        ]
    rules = year_rules(sheet.fiscal_year.year) if rules is None else rules
    reports = {r.checkpoint_id: r for r in sheet.spend_reports.all()}
    return [
        checkpoint_spend(sheet, cp, reports.get(cp.pk), today, rule_at(rules, cp)) for cp in sheet.fiscal_year.checkpoints.all()
    ]


def published_sheets(*, agency=None, fiscal_year=None) -> QuerySet:
    queryset = TargetSheet.objects.filter(state=SheetState.PUBLISHED)
    if agency is not None:
        queryset = queryset.filter(agency=agency)
    if fiscal_year is not None:
        queryset = queryset.filter(fiscal_year=fiscal_year)
    return with_spending(queryset).order_by("agency__code", "position", "id")


@dataclass
class AgencyRow:
    sheet: TargetSheet
    points: list[CheckpointSpend]


@dataclass
class AgencyTotal:
    checkpoint: Checkpoint
    planned: Decimal
    actual: Decimal | None  # None before the checkpoint when nothing is reported yet
    level: str
    missing: int
    counts: dict = field(default_factory=dict)
    rule: SpendRule = TODAY_RULE

    @property
    def label(self) -> str:
        return self.checkpoint.label

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]


@dataclass
class AgencySpending:
    agency: object
    year: int
    checkpoints: list[Checkpoint]
    totals: list[AgencyTotal]
    budget_total: Decimal
    sheet_count: int


@dataclass
class _Sums:
    """What the totals of one checkpoint weigh, over every published sheet of the agency and year."""

    planned_amount: Decimal = Decimal(0)
    actual_amount: Decimal = Decimal(0)
    reported: int = 0
    missing: int = 0
    counts: dict = field(default_factory=lambda: {GREEN: 0, YELLOW: 0, RED: 0, NOT_DUE: 0})  # and NOT_MONITORED when any


def agency_sheets(*, agency, year: int) -> QuerySet:
    """The published sheets of the agency in ``year``, in the dashboard's order (page them: ``agency_rows``)."""
    return published_sheets(agency=agency).filter(fiscal_year__year=year)


def agency_rows(sheets, *, today: datetime.date | None = None) -> list[AgencyRow]:
    """Plan against actual of these sheets (a page of ``agency_sheets``); each year's rules read once."""
    today = today or timezone.localdate()
    rules: dict[int, dict] = {}
    rows = []
    for sheet in sheets:
        year = sheet.fiscal_year.year
        if year not in rules:
            rules[year] = year_rules(year)
        rows.append(AgencyRow(sheet, sheet_spending(sheet=sheet, today=today, rules=rules[year])))
    return rows


def agency_spending(*, agency, year: int, today: datetime.date | None = None) -> AgencySpending:
    """Budget-weighted totals at each checkpoint over every published sheet of the agency in ``year``, by aggregate
    queries (no sheet is read as a row: the table reads its page with ``agency_rows``)."""
    today = today or timezone.localdate()
    checkpoints = list(Checkpoint.objects.filter(fiscal_year__year=year).order_by("date"))
    sheets = TargetSheet.objects.filter(agency=agency, fiscal_year__year=year, state=SheetState.PUBLISHED)
    summary = sheets.aggregate(budget=Sum("budget_total"), count=Count("pk"))
    budget, count = summary["budget"] or Decimal(0), summary["count"]
    rules = year_rules(year)
    # one SQL statement grades every rule it can say (the plan's, a line); any other (山西's ratio) sheet by sheet
    if is_postgresql() and all(rule_at(rules, cp).sql_cuts is not None for cp in checkpoints):
        sums = _checkpoint_sums_sql(agency=agency, year=year, today=today, rules=rules, checkpoints=checkpoints)
    else:
        sums = _checkpoint_sums_python(agency=agency, year=year, today=today, rules=rules)
    totals = []
    for checkpoint in checkpoints:
        rule = rule_at(rules, checkpoint)
        found = sums.get(checkpoint.pk) or _Sums()
        planned = (found.planned_amount / budget * 100).quantize(CENT) if budget else Decimal(0)
        actual = (found.actual_amount / budget * 100).quantize(CENT) if budget else Decimal(0)
        due = checkpoint.date < today or found.reported > 0
        level = NOT_DUE if not due else rule.level(planned=planned, actual=actual) if rule.monitored else NOT_MONITORED
        totals.append(AgencyTotal(checkpoint, planned, actual if due else None, level, found.missing, found.counts, rule))
    return AgencySpending(agency, year, checkpoints, totals, budget, count)


# Per checkpoint over the sheets: the plan's amount, the reported amount, and how many sheets are at each level (as
# ``spend_at`` decides it: the actual % is rounded half to even to cents, as Decimal.quantize does).
_SUMS_SQL = """
WITH cell AS (
    SELECT c.id AS checkpoint_id, c.date < %(today)s AS passed, s.budget_total AS budget, rule.mode, rule.a, rule.b,
           COALESCE(p.cumulative_percent, c.planned_percent) AS planned, r.amount, r.id IS NOT NULL AS reported,
           CASE WHEN r.id IS NULL OR s.budget_total = 0 THEN 0 ELSE r.amount / s.budget_total * 10000 END AS hundredths
    FROM projects_targetsheet s
    JOIN projects_fiscalyear y ON y.id = s.fiscal_year_id
    JOIN projects_checkpoint c ON c.fiscal_year_id = s.fiscal_year_id
    JOIN unnest(%(ids)s::bigint[], %(modes)s::text[], %(a)s::numeric[], %(b)s::numeric[]) AS rule(checkpoint_id, mode, a, b)
      ON rule.checkpoint_id = c.id
    LEFT JOIN projects_spendplan p ON p.sheet_id = s.id AND p.checkpoint_id = c.id
    LEFT JOIN projects_spendreport r ON r.sheet_id = s.id AND r.checkpoint_id = c.id
    WHERE s.agency_id = %(agency)s AND y.year = %(year)s AND s.state = %(published)s
), levelled AS (
    SELECT cell.*, CASE WHEN NOT reported AND NOT passed THEN 'not_due'
                        WHEN mode = 'off' THEN 'not_monitored'
                        WHEN mode = 'plan' THEN CASE WHEN planned - spent <= 0 THEN 'green'
                                                     WHEN planned - spent <= a THEN 'yellow' ELSE 'red' END
                        WHEN spent < a THEN 'red' WHEN spent < b THEN 'yellow' ELSE 'green' END AS level
    FROM cell CROSS JOIN LATERAL (
        SELECT (CASE WHEN hundredths - FLOOR(hundredths) > 0.5
                       OR (hundredths - FLOOR(hundredths) = 0.5 AND MOD(FLOOR(hundredths), 2) = 1)
                     THEN FLOOR(hundredths) + 1 ELSE FLOOR(hundredths) END) / 100 AS spent
    ) rounded
)
SELECT checkpoint_id, SUM(budget * planned / 100), COALESCE(SUM(amount), 0), COUNT(*) FILTER (WHERE reported),
       COUNT(*) FILTER (WHERE NOT reported AND passed),
       COUNT(*) FILTER (WHERE level = 'green'), COUNT(*) FILTER (WHERE level = 'yellow'),
       COUNT(*) FILTER (WHERE level = 'red'), COUNT(*) FILTER (WHERE level = 'not_due'),
       COUNT(*) FILTER (WHERE level = 'not_monitored')
FROM levelled GROUP BY checkpoint_id
"""


def _checkpoint_sums_sql(*, agency, year: int, today: datetime.date, rules: dict | None = None, checkpoints=None) -> dict[int, _Sums]:
    """``rules``: the year's (``year_rules``), each of its checkpoints' with ``sql_cuts``."""
    rules = year_rules(year) if rules is None else rules
    if checkpoints is None:
        checkpoints = list(Checkpoint.objects.filter(fiscal_year__year=year))
    cuts = [(cp.pk, *rule_at(rules, cp).sql_cuts) for cp in checkpoints]
    params = {
        "today": today, "agency": agency.pk, "year": year, "published": SheetState.PUBLISHED,
        "ids": [c[0] for c in cuts], "modes": [c[1] for c in cuts], "a": [c[2] for c in cuts], "b": [c[3] for c in cuts],
    }
    with connection.cursor() as cursor:
        cursor.execute(_SUMS_SQL, params)
        rows = cursor.fetchall()
    sums = {}
    for checkpoint_id, planned, actual, reported, missing, green, yellow, red, not_due, not_monitored in rows:
        counts = {GREEN: green, YELLOW: yellow, RED: red, NOT_DUE: not_due}
        if not_monitored:
            counts[NOT_MONITORED] = not_monitored
        sums[checkpoint_id] = _Sums(planned, actual, reported, missing, counts)
    return sums


def _checkpoint_sums_python(*, agency, year: int, today: datetime.date, rules: dict | None = None) -> dict[int, _Sums]:
    """``_checkpoint_sums_sql`` on SQLite (the demo, a few sheets) and for a pack's other rules (an agency's sheets),
    from plain tuples through ``spend_at`` itself."""
    rules = year_rules(year) if rules is None else rules
    sheets = dict(
        TargetSheet.objects.filter(agency=agency, fiscal_year__year=year, state=SheetState.PUBLISHED).values_list("pk", "budget_total")
    )
    plans = {(s, c): p for s, c, p in SpendPlan.objects.filter(sheet_id__in=sheets).values_list("sheet_id", "checkpoint_id", "cumulative_percent")}
    reports = {(s, c): r for s, c, r in SpendReport.objects.filter(sheet_id__in=sheets).values_list("sheet_id", "checkpoint_id", "amount")}
    sums: dict[int, _Sums] = {}
    for checkpoint in Checkpoint.objects.filter(fiscal_year__year=year):
        found = sums[checkpoint.pk] = _Sums()
        for pk, budget in sheets.items():
            planned = plans.get((pk, checkpoint.pk), checkpoint.planned_percent)
            amount = reports.get((pk, checkpoint.pk))
            point = spend_at(
                checkpoint, planned=planned, budget_total=budget, report=None if amount is None else _Amount(amount),
                today=today, rule=rule_at(rules, checkpoint),
            )
            found.planned_amount += budget * planned / 100
            found.actual_amount += amount or Decimal(0)
            found.reported += amount is not None
            found.missing += point.missing
            found.counts[point.level] = found.counts.get(point.level, 0) + 1
    return sums


@dataclass
class _Amount:
    amount: Decimal


# ---------------------------------------------------------------- recording


def _decimal(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise errors.invalid("累计实际支出应为数字（万元）。") from None
    if not amount.is_finite():
        raise errors.invalid("累计实际支出应为数字（万元）。")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(CENT):
        raise errors.invalid("累计实际支出最多保留两位小数（万元）。")
    return amount.quantize(CENT)


@transaction.atomic
def spend_report_record(*, sheet: TargetSheet, checkpoint: Checkpoint, amount, explanation: str = "", user) -> SpendReport:
    """Record (or replace) the actual cumulative spend of a published sheet at ``checkpoint``.

    Only the sheet's section staff; the amount in 万元 is between 0 and the
    budget and does not go back below an earlier checkpoint's (nor above a later
    one's); an explanation is required where the year's rule pack says (``SpendRule.reason_problem``: today's rule
    when the % lags the plan; a pack's rule where it grades the point in a colour of its ``reason_colours``).
    """
    sheet = with_spending(TargetSheet.objects.select_for_update(of=("self",), no_key=True)).get(pk=sheet.pk)
    if not can_record(user, sheet):
        raise errors.forbidden("只有本科室经办人可以填报执行进度。")
    if not sheet.is_published:
        raise errors.conflict(f"这张表处于“{sheet.get_state_display()}”状态，公开后才能填报执行进度。", code="illegal_state")
    if checkpoint.fiscal_year_id != sheet.fiscal_year_id:
        raise errors.invalid(f"时间节点“{checkpoint.label}”不属于这张表的预算年度（{sheet.fiscal_year.year}年）。")
    amount = _decimal(amount)
    if amount < 0:
        raise errors.invalid("累计实际支出不能为负数。")
    if sheet.budget_total <= 0:
        raise errors.invalid("这张表的预算数为 0，无需填报执行进度。")
    if amount > sheet.budget_total:
        raise errors.invalid(
            f"累计实际支出 {format_number(amount)} 万元超过预算数 {format_number(sheet.budget_total)} 万元。"
        )
    for other in sheet.spend_reports.all():
        if other.checkpoint.date < checkpoint.date and other.amount > amount:
            raise errors.invalid(
                f"累计实际支出不能少于“{other.checkpoint.label}”已填报的 {format_number(other.amount)} 万元（按累计数填报）。"
            )
        if other.checkpoint.date > checkpoint.date and other.amount < amount:
            raise errors.invalid(
                f"累计实际支出不能多于“{other.checkpoint.label}”已填报的 {format_number(other.amount)} 万元（按累计数填报）。"
            )
    explanation = (explanation or "").strip()
    problem = validation.text_problem(explanation, EXPLANATION[0], max_length=EXPLANATION[1], multiline=EXPLANATION[2])
    if problem:
        raise errors.invalid(problem)
    planned = planned_percent(sheet, checkpoint)
    actual = percent_of_budget(sheet, amount)
    # the year's rule pack says when a 进度说明 is required: today's rule (the default pack) when behind the plan,
    # 四川 below the point's line, 山西 where v grades red or yellow
    problem = rule_at(year_rules(sheet.fiscal_year.year), checkpoint).reason_problem(planned=planned, actual=actual)
    if problem and not explanation:
        raise errors.invalid(problem)
    report, _ = SpendReport.objects.update_or_create(
        sheet=sheet, checkpoint=checkpoint,
        defaults={"amount": amount, "explanation": explanation, "reported_by": user, "reported_at": timezone.now()},
    )
    return report


# ---------------------------------------------------------------- the chart


@dataclass
class ChartBar:
    center: float
    x: float
    y: float
    width: float
    height: float
    label: str
    plan_label: str
    actual_label: str
    level: str


@dataclass
class Chart:
    """Coordinates for an inline SVG: the plan as a line, the actual as bars coloured by level."""

    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    grid: list[tuple[float, str]]
    plan_points: str
    plan_dots: list[tuple[float, float, str]]
    bars: list[ChartBar]
    legend: list = field(default_factory=list)  # (level, words): the key of the rules the bars are coloured by


def chart(points) -> Chart:
    """Geometry of the plan-vs-actual chart for CheckpointSpend (or AgencyTotal) items."""
    width, height = 560, 240
    left, right, top, bottom = 44, width - 12, 14, height - 40
    plot_h = bottom - top
    slot = (right - left) / max(len(points), 1)

    def y(percent) -> float:
        return round(bottom - float(min(max(percent, 0), 100)) / 100 * plot_h, 1)

    grid = [(y(p), f"{p}%") for p in (0, 25, 50, 75, 100)]
    plan, dots, bars = [], [], []
    for i, point in enumerate(points):
        center = round(left + slot * (i + 0.5), 1)
        plan.append(f"{center},{y(point.planned)}")
        dots.append((center, y(point.planned), f"计划 {format_number(point.planned)}%"))
        actual = point.actual
        bar_w = round(min(slot * 0.45, 48), 1)
        top_y = y(actual) if actual is not None else bottom
        bars.append(ChartBar(
            center=center, x=round(center - bar_w / 2, 1), y=top_y, width=bar_w, height=round(bottom - top_y, 1), label=point.label,
            plan_label=f"{format_number(point.planned)}%",
            actual_label="未填报" if actual is None and point.level != NOT_DUE else (
                "—" if actual is None else f"{format_number(actual)}%"
            ),
            level=point.level,
        ))
    return Chart(width, height, left, right, top, bottom, grid, " ".join(plan), dots, bars, legend(point.rule for point in points))
