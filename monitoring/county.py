"""看全县: the monitoring table of the sheets a leader or a finance reviewer oversees (issue 21 item 4), for a year and
one of its monitoring points: per published sheet its spending light at the point, its report's light and state, its
open 处置 and deadline; filters by grade, point and agency; keyset pages (``after`` the last id shown).

A page costs a fixed number of queries whatever its size or the province's: the year's pack, the page's ids, its
sheets with their spending at the point (the amount and the plan as subqueries of the row), their reports and
their 处置 at the point, each in one query (``tests/monitoring/test_county.py`` counts them).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Subquery

from core import errors
from monitoring import grading, reporting, selectors
from monitoring.models import Disposal, MonitoringReport
from people import roles
from people.roles import Role
from projects.models import SheetState, SpendPlan, TargetSheet
from spending.models import SpendReport

PAGE_SIZE = 50
PAGE_MAX = 200
NOT_REPORTED = "none"  # the grade filter's value for sheets without a report at the point
GRADES = {**{c: grading.COLOUR_LABELS[c] for c in grading.COLOURS}, NOT_REPORTED: "未填报"}
OVERSEERS = (Role.LEADER, Role.FINANCE_REVIEWER)


def may_see(user) -> bool:
    return user.is_authenticated and (user.is_superuser or any(roles.holds_any(user, role) for role in OVERSEERS))


def scope(user) -> Q:
    """The sheets of the agencies where ``user`` is a leader or a finance reviewer (every agency for a superuser)."""
    if user.is_superuser:
        return Q()
    condition = Q(pk__in=[])
    for role in OVERSEERS:
        condition |= roles.scope_in(user, role, "agency_id")
    return condition


@dataclass
class Row:
    sheet: TargetSheet
    spending: reporting.Spending
    money: grading.Light
    report: MonitoringReport | None
    disposal: Disposal | None
    report_readable: bool = False  # may the viewer open it (finance: from its step on)

    @property
    def report_label(self) -> str:
        return grading.COLOUR_LABELS.get(self.report.colour, "") if self.report is not None and self.report.colour else ""


@dataclass
class Page:
    year: int
    pack: object
    points: list
    point: object
    rows: list[Row]
    next_after: int | None

    @property
    def measure(self) -> str:
        """What the point's spending is measured against, by the pack's rule (四川's 预警线, 山西's 执行进度比)."""
        return grading.spending_measure(self.pack, point_date=self.point.date, line=self.point.expected)


def _point(points, wanted: str | None, today: datetime.date):
    if wanted:
        try:
            date = datetime.date.fromisoformat(wanted)
        except ValueError:
            raise errors.invalid(f"监控时点“{wanted}”应写成 YYYY-MM-DD。") from None
        found = next((p for p in points if p.date == date), None)
        if found is None:
            raise errors.invalid(f"{date:%Y-%m-%d} 不是该年度的监控时点（{'、'.join(f'{p.date:%Y-%m-%d}' for p in points)}）。")
        return found
    passed = [p for p in points if p.date <= today]
    return passed[-1] if passed else points[0]


def county_page(user, *, year: int, point: str | None = None, grade: str = "", agency: str = "", after: int | None = None,
                size: int = PAGE_SIZE, today: datetime.date | None = None) -> Page:
    if not may_see(user):
        raise errors.forbidden("只有局领导、财政审核人员可以查看运行监控汇总。")
    if grade and grade not in GRADES:
        raise errors.invalid(f"灯色筛选应为 {'、'.join(GRADES)} 之一。")
    size = max(1, min(size, PAGE_MAX))
    pack, year_id = selectors.pack_and_year_id(year)
    points = reporting.monitored_points(pack, year)
    chosen = _point(points, point, today or datetime.date.today())
    # the year's id as a constant: joined to the year (or as its subquery) PostgreSQL walked the province's sheets
    sheets = TargetSheet.objects.filter(scope(user), state=SheetState.PUBLISHED, fiscal_year_id=year_id)
    if agency:
        sheets = sheets.filter(agency__code=agency)
    at_point = MonitoringReport.objects.filter(sheet=OuterRef("pk"), point_date=chosen.date)
    if grade == NOT_REPORTED:
        sheets = sheets.filter(~Exists(at_point))
    elif grade:
        sheets = sheets.filter(Exists(at_point.filter(colour=grade)))
    if after is not None:
        sheets = sheets.filter(pk__gt=after)
    # the page's ids first, then its rows with what they show: joined into the filtered read, a province's estimate
    # of "a few rows" had PostgreSQL loop over every section for each of 100,000 sheets (58 s for finance)
    found = list(sheets.order_by("pk").values_list("pk", flat=True)[: size + 1]) if year_id is not None else []
    more = len(found) > size
    ids = found[:size]
    # each row's spending at the point (its report's amount and its plan) read with the row: an index lookup each
    at = {"sheet": OuterRef("pk"), "checkpoint__fiscal_year__year": year, "checkpoint__date": chosen.date}
    page = list(
        TargetSheet.objects.filter(pk__in=ids).select_related("project", "agency", "section")
        .annotate(
            point_amount=Subquery(SpendReport.objects.filter(**at).order_by().values("amount")[:1]),
            point_plan=Subquery(SpendPlan.objects.filter(**at).order_by().values("cumulative_percent")[:1]),
        ).order_by("pk")
    ) if ids else []
    reports = {
        r.sheet_id: r
        for r in MonitoringReport.objects.filter(sheet_id__in=ids, point_date=chosen.date).select_related("agency", "section").order_by()
    } if ids else {}
    disposals = selectors.open_disposals(ids) if ids else {}
    rows = []
    for sheet in page:
        amount = sheet.point_amount
        actual = Decimal(0)
        if amount is not None and sheet.budget_total:
            actual = (amount / sheet.budget_total * 100).quantize(reporting.CENT)
        spending = reporting.Spending(actual, sheet.point_plan, chosen.expected, amount)
        report = reports.get(sheet.pk)
        rows.append(Row(sheet, spending, reporting.spending_light(pack, chosen, spending), report, disposals.get(sheet.pk),
                        report is not None and selectors.can_see(user, report)))
    return Page(year, pack, points, chosen, rows, page[-1].pk if more and page else None)
