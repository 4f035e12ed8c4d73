"""看全县: the monitoring table of the sheets a leader or a finance reviewer oversees (issue 21 item 4), for a year and
one of its monitoring points: per published sheet its spending light at the point, its report's light and state, its
open 处置 and deadline; filters by grade, point and agency; keyset pages (``after`` the last id shown).

A page costs two statements whatever its size or the province's: the year's pack (with the year's id), then its
rows (``ROWS_SQL``: the page's ids with each sheet's names, its spending at the point, its report and its open 处置);
``tests/monitoring/test_county.py`` counts them. The rows are plain values, not models (``SheetLine``), but a
report or a 处置 where there is one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, OuterRef, Q

from core import errors
from monitoring import grading, reporting, selectors
from monitoring.models import Disposal, MonitoringReport
from people import roles
from people.roles import Role
from projects.models import Agency, Checkpoint, Project, Section, SheetState, SpendPlan, TargetSheet
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


class Line:
    """What a row shows of its project, agency or section (read as plain columns: no model built per row)."""

    __slots__ = ("pk", "code", "name")
    unit_line = Agency.unit_line  # the agency's 编码名称, as the model says it

    def __init__(self, pk, code, name):
        self.pk, self.code, self.name = pk, code, name


class SheetLine:
    """What a row shows of its sheet: its id, title (``display_title`` as the model says it), budget, project, agency
    and section — all the table, its Excel and Word exports and the API read of it."""

    __slots__ = ("pk", "title", "revision", "budget_total", "section_id", "project", "agency", "section")
    display_title = TargetSheet.display_title
    is_adjustment = TargetSheet.is_adjustment

    def __init__(self, pk, title, revision, budget_total, section_id, project, agency, section):
        self.pk, self.title, self.revision, self.budget_total = pk, title, revision, budget_total
        self.section_id, self.project, self.agency, self.section = section_id, project, agency, section

    @property
    def id(self):
        return self.pk


@dataclass
class Row:
    sheet: SheetLine
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
    if year_id is None:
        return Page(year, pack, points, chosen, [], None)
    # the page's ids (the filtered read, its plan its own), then its rows with what they show, in one statement
    ids_sql, ids_params = sheets.order_by("pk").values_list("id")[: size + 1].query.sql_with_params()
    params = [year_id, chosen.date, year_id, chosen.date, *ids_params, chosen.date, SheetState.PUBLISHED]
    with connection.cursor() as cursor:
        cursor.execute(ROWS_SQL.replace("{ids}", ids_sql), params)
        found = cursor.fetchall()
    more = len(found) > size
    rows = [_row(user, pack, chosen, line) for line in found[:size]]
    return Page(year, pack, points, chosen, rows, rows[-1].sheet.pk if more else None)


def _table(model) -> str:
    return model._meta.db_table


# A page's rows in one statement: the page's ids (``{ids}``: the filtered read, compiled by the ORM, ``size + 1`` of
# them) with what each row shows — its project's, agency's and section's names, its spending report's amount and its
# plan at the point (an index lookup each), its report at the point (one per sheet and point) and its latest 处置 not
# yet done. The ids are a subquery with a LIMIT, planned on their own (joined into the filter, a province's estimate
# of "a few rows" had PostgreSQL loop over every section for each of 100,000 sheets); the names are scalar subqueries
# rather than joins (planning the joins cost PostgreSQL more than running the whole statement). Plain SQL that SQLite
# runs too.
ROWS_SQL = f"""
    SELECT t.id, t.title, t.revision, t.budget_total, t.project_id, t.agency_id, t.section_id,
           (SELECT pr.code FROM {_table(Project)} pr WHERE pr.id = t.project_id),
           (SELECT pr.name FROM {_table(Project)} pr WHERE pr.id = t.project_id),
           (SELECT a.code FROM {_table(Agency)} a WHERE a.id = t.agency_id),
           (SELECT a.name FROM {_table(Agency)} a WHERE a.id = t.agency_id),
           (SELECT s.name FROM {_table(Section)} s WHERE s.id = t.section_id),
           (SELECT sr.amount FROM {_table(SpendReport)} sr JOIN {_table(Checkpoint)} c ON c.id = sr.checkpoint_id
            WHERE sr.sheet_id = t.id AND c.fiscal_year_id = %s AND c.date = %s),
           (SELECT sp.cumulative_percent FROM {_table(SpendPlan)} sp JOIN {_table(Checkpoint)} c ON c.id = sp.checkpoint_id
            WHERE sp.sheet_id = t.id AND c.fiscal_year_id = %s AND c.date = %s),
           r.id, r.state, r.colour, r.agency_id, r.section_id,
           d.id, d.point_date, d.state, d.due, d.choice, d.consequence, d.agency_id, d.section_id
    FROM ({{ids}}) page
    JOIN {_table(TargetSheet)} t ON t.id = page.id
    LEFT JOIN {_table(MonitoringReport)} r ON r.sheet_id = t.id AND r.point_date = %s
    LEFT JOIN {_table(Disposal)} d ON d.id = (
        SELECT o.id FROM {_table(Disposal)} o WHERE o.sheet_id = t.id AND o.state <> %s ORDER BY o.point_date DESC LIMIT 1)
    ORDER BY t.id
"""


def _decimal(value):
    """A money or percent column (2 decimals) as the ORM reads it (SQLite's cursor answers a float or an int)."""
    return value if value is None or isinstance(value, Decimal) else Decimal(str(value)).quantize(reporting.CENT)


def _date(value):
    """A date column as a date (SQLite's cursor answers text)."""
    return datetime.date.fromisoformat(value[:10]) if isinstance(value, str) else value


REPORT_COLUMNS = ("id", "state", "colour", "agency_id", "section_id")
DISPOSAL_COLUMNS = ("id", "point_date", "state", "due", "choice", "consequence", "agency_id", "section_id")


def _row(user, pack, point, line) -> Row:
    """A ``ROWS_SQL`` line as a ``Row``: the sheet as plain values, its report and 处置 (when it has them) as models
    holding the columns read (any other one is read when asked, as a deferred field)."""
    (pk, title, revision, budget, project_id, agency_id, section_id, project_code, project_name, agency_code, agency_name,
     section_name, amount, plan, *rest) = line
    report_values, disposal_values = rest[:len(REPORT_COLUMNS)], rest[len(REPORT_COLUMNS):]
    sheet = SheetLine(pk, title, revision, _decimal(budget), section_id, Line(project_id, project_code, project_name),
                      Line(agency_id, agency_code, agency_name),
                      Line(section_id, "", section_name) if section_id is not None else None)
    amount = _decimal(amount)
    actual = Decimal(0)
    if amount is not None and sheet.budget_total:
        actual = (amount / sheet.budget_total * 100).quantize(reporting.CENT)
    spending = reporting.Spending(actual, _decimal(plan), point.expected, amount)
    report = disposal = None
    if report_values[0] is not None:
        report = _document(MonitoringReport, sheet_id=pk, point_date=point.date, **dict(zip(REPORT_COLUMNS, report_values)))
    if disposal_values[0] is not None:
        values = dict(zip(DISPOSAL_COLUMNS, disposal_values))
        values.update(point_date=_date(values["point_date"]), due=_date(values["due"]))
        disposal = _document(Disposal, sheet_id=pk, **values)
    return Row(sheet, spending, reporting.spending_light(pack, point, spending), report, disposal,
               report is not None and selectors.can_see(user, report))


def _model(model, **values):
    """A ``model`` instance of the columns read (any other one is read when asked, as a deferred field)."""
    fields = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, fields, [values[name] for name in fields])


def _document(model, **values):
    """A report or 处置 of the columns read, its agency and section by their ids (what a role check reads of them)."""
    document = _model(model, **values)
    document.agency = _model(Agency, id=document.agency_id)
    document.section = _model(Section, id=document.section_id) if document.section_id is not None else None
    return document
