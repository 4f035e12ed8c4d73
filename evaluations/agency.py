"""Reads of an agency's year of self-evaluations: the agency's view (every published sheet's score and grade, the
average, red and yellow flags) and the public page, a keyset page at a time; their Excel summary row by row.

Bounded at a province's scale: the page reads one page of the agency's sheets of the year with their evaluations
(one query), the figures one aggregate over the agency's evaluations of the year (indexed by agency), the summary
streams in chunks of 500.
"""

from __future__ import annotations

import datetime
from collections import namedtuple
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from core.pagination import KeysetPage, decode_cursor, encode_cursor, page_size

from evaluations import scoring, selectors, tables
from evaluations.models import DepartmentEvaluation, SelfEvaluation
from projects import validation
from projects.models import Agency, FiscalYear, SheetState, TargetSheet
from workflow.documents import chain_of

SHEET_ORDER = ("position", "id")
NOT_STARTED = "未开展自评"
RED, YELLOW = Decimal(5), Decimal(80)
GRADE_ORDER = tuple(grade for _floor, grade in scoring.GRADES)  # 优 良 中 差


@dataclass
class SummaryRow:
    sheet_id: int
    evaluation_id: int | None
    year: int
    agency_code: str
    agency_name: str
    project_code: str
    title: str
    section: str
    state_label: str
    budget: Decimal | None
    adjusted_budget: Decimal | None
    spent: Decimal | None
    rate: Decimal | None
    budget_score: Decimal | None
    indicators_score: Decimal | None
    total: Decimal | None
    grade: str
    red: bool
    yellow: bool
    conclusion: str
    public: bool  # the evaluation is public (everyone may read it)


@dataclass
class Figures:
    sheets: int  # published sheets of the year (each to be self-evaluated)
    evaluations: int
    scored: int
    average: Decimal | None
    red: int
    yellow: int
    by_grade: dict[str, int]


def sheets_of(agency, fiscal_year) -> QuerySet:
    """The agency's published sheets of the year (in force), in the package's order."""
    return TargetSheet.objects.filter(agency=agency, fiscal_year=fiscal_year, state=SheetState.PUBLISHED)


# what a line of the agency's view and its Excel summary shows (``summary_row``): read as plain tuples, the agency and
# the year being the caller's (not joined again)
LINE_COLUMNS = (
    "id", "position", "budget_total", "project__code", "project__name", "section__name", *(f"evaluation__{name}" for name in (
        "id", "state", "budget", "adjusted_budget", "spent", "budget_score", "total", "grade", "conclusion", "section__name",
    )),
)


def lines_of(agency, fiscal_year) -> QuerySet:
    """The agency's published sheets of the year as ``LINE_COLUMNS`` tuples (attribute access: ``row.evaluation__total``)
    with their projects, sections and self-evaluations (one query, no model built)."""
    return sheets_of(agency, fiscal_year).values_list(*LINE_COLUMNS, named=True)


Line = namedtuple("Line", LINE_COLUMNS)

# A page of ``lines_of`` read by a fixed statement (nothing compiled per request; the names are scalar subqueries, which
# PostgreSQL plans in a fraction of the time of the joins), after (or, going back, before) a line's (position, id)
# on the index of the agency's year (``sheet_list_order``). Plain SQL that SQLite runs too.
LINES_SQL = """
    SELECT t.id, t.position, t.budget_total,
           (SELECT p.code FROM projects_project p WHERE p.id = t.project_id),
           (SELECT p.name FROM projects_project p WHERE p.id = t.project_id),
           (SELECT s.name FROM projects_section s WHERE s.id = t.section_id),
           e.id, e.state, e.budget, e.adjusted_budget, e.spent, e.budget_score, e.total, e.grade, e.conclusion,
           (SELECT s.name FROM projects_section s WHERE s.id = e.section_id)
    FROM projects_targetsheet t
    LEFT JOIN evaluations_selfevaluation e ON e.sheet_id = t.id
    WHERE t.agency_id = %(agency)s AND t.fiscal_year_id = %(fiscal_year)s AND t.state = %(published)s
          AND t.revises_id IS NULL {beyond}
    ORDER BY t.position {order}, t.id {order}
    LIMIT %(limit)s
"""
_MONEY_COLUMNS = {LINE_COLUMNS.index(name) for name in (
    "budget_total", "evaluation__budget", "evaluation__adjusted_budget", "evaluation__spent", "evaluation__budget_score",
    "evaluation__total",
)}


def page_of(agency, fiscal_year, *, cursor=None, size=None) -> KeysetPage:
    """One keyset page of the agency's year (its view, the public page) as ``lines_of`` tuples, in ``SHEET_ORDER``
    (``core.pagination.keyset_page``'s pages and tokens, read by ``LINES_SQL``)."""
    size = page_size(size)
    key, backwards = decode_cursor(cursor, len(SHEET_ORDER))
    try:
        key = [int(value) for value in key] if key is not None else None
    except (TypeError, ValueError):  # a key that is not two numbers: the first page
        key, backwards = None, False
    beyond = "" if key is None else f"AND (t.position, t.id) {'<' if backwards else '>'} (%(position)s, %(id)s)"
    sql = LINES_SQL.format(beyond=beyond, order="DESC" if backwards else "ASC")
    params = {"agency": agency.pk, "fiscal_year": fiscal_year.pk, "published": SheetState.PUBLISHED, "limit": size + 1}
    if key is not None:
        params.update(position=key[0], id=key[1])
    with connection.cursor() as read:
        read.execute(sql, params)
        found = read.fetchall()
    rows = [Line(*(_score(value) if at in _MONEY_COLUMNS else value for at, value in enumerate(line))) for line in found]
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = KeysetPage(rows=rows, size=size)
    if rows:  # as keyset_page links them
        has_next, has_previous = (more, key is not None) if not backwards else (True, more)
        page.next_cursor = encode_cursor([rows[-1].position, rows[-1].id]) if has_next else None
        page.previous_cursor = encode_cursor([rows[0].position, rows[0].id], True) if has_previous else None
    return page


@dataclass
class Year:
    """What the agency's view (and its public page) shows besides the sheets, read in one query (``year_of``): the
    agency, the year (None when there is no such year), finance's publication date and deadline, how many published
    sheets it has, its department-wide self-evaluation (its id, state and scores; None when it has none) and the
    figures over its self-evaluations."""

    agency: Agency
    fiscal_year: FiscalYear | None
    publication: object  # datetime.date | None
    pending: object  # the publication date while it is still to come (approved ones wait for it), else None
    deadline: object  # datetime.date | None
    sheets: int
    department: DepartmentEvaluation | None
    figures: Figures | None


_UNREAD = object()


def _figures_sql(agency: str, fiscal_year: str) -> str:
    """The figures over an agency's year (``agency`` and ``fiscal_year``: the SQL of their ids), in one index-only scan
    of ``evaluation_agency_year`` (every column read here is in it). The flags as ``tables.flags`` says them: 执行率 =
    执行数 ÷ 调整后预算数 rounded to 2 decimals; red where the indicators' score ÷ 90 exceeds it by more than RED
    points, yellow where it is below YELLOW percent. Parameters: ``all`` (False: the published ones only),
    ``published`` and ``grade_0``… (``GRADE_ORDER``)."""
    grades = ", ".join(f"count(*) FILTER (WHERE grade = %(grade_{at})s)" for at, _grade in enumerate(GRADE_ORDER))
    return f"""
        SELECT count(*), count(total), avg(total),
               count(*) FILTER (WHERE total IS NOT NULL AND budget_score IS NOT NULL
                                  AND (total - budget_score) * 100 / {scoring.INDICATORS_TOTAL} > rate + {RED}),
               count(*) FILTER (WHERE rate < {YELLOW}), {grades}
        FROM (SELECT total, budget_score, grade,
                     CASE WHEN adjusted_budget > 0 AND spent IS NOT NULL THEN round(spent * 100 / adjusted_budget, 2) END AS rate
              FROM evaluations_selfevaluation
              WHERE agency_id = {agency} AND fiscal_year_id = {fiscal_year} AND (%(all)s OR state = %(published)s)) AS e
    """


# Fixed statements: nothing to compile per request.
FIGURES_SQL = _figures_sql("%(agency)s", "%(fiscal_year)s")
# ``year_of``'s statement: the agency by its code; the year, finance's publication date and deadline for the agency's
# year, its count of published sheets in force (``projects.models.InForceSheets``: revises_id IS NULL) and its
# department-wide self-evaluation, each on its unique (agency, year) index; the figures (``_figures_sql``, the ids
# looked up by their unique keys).
YEAR_SQL = f"""
    SELECT a.id, a.code, a.name, y.id, y.year,
           (SELECT p.public_from FROM evaluations_publication p WHERE p.agency_id = a.id AND p.fiscal_year_id = y.id),
           (SELECT d.due FROM evaluations_deadline d WHERE d.agency_id = a.id AND d.fiscal_year_id = y.id),
           (SELECT count(*) FROM projects_targetsheet t WHERE t.agency_id = a.id AND t.fiscal_year_id = y.id
                AND t.state = %(published)s AND t.revises_id IS NULL),
           e.id, e.state, e.version, e.total, e.grade, e.budget_score, f.*
    FROM projects_agency a
    LEFT JOIN projects_fiscalyear y ON y.year = %(year)s
    LEFT JOIN evaluations_departmentevaluation e ON e.agency_id = a.id AND e.fiscal_year_id = y.id
    CROSS JOIN ({_figures_sql(
        "(SELECT a2.id FROM projects_agency a2 WHERE a2.code = %(code)s)",
        "(SELECT y2.id FROM projects_fiscalyear y2 WHERE y2.year = %(year)s)",
    )}) AS f
    WHERE a.code = %(code)s
"""


def _figure_params(*, public_only: bool) -> dict:
    return {"all": not public_only, "published": SheetState.PUBLISHED, **{f"grade_{at}": g for at, g in enumerate(GRADE_ORDER)}}


def year_of(code: str, year: int, *, public_only: bool = False, today=None) -> Year | None:
    """The agency of ``code`` and its ``year`` as its view shows them, with the figures over the year's
    self-evaluations (public ones only for the public page, none while its publication date is to come), in one
    query (``YEAR_SQL``). None when there is no such agency (or ``code`` is one no column can hold)."""
    if validation.text_problem(code, "单位编码", max_length=Agency._meta.get_field("code").max_length, multiline=False):
        return None
    with connection.cursor() as cursor:
        cursor.execute(YEAR_SQL, {"code": code, "year": year, **_figure_params(public_only=public_only)})
        row = cursor.fetchone()
    if row is None:
        return None
    agency_id, agency_code, agency_name, year_id, number, publication, deadline, sheets, department_id, *rest = row
    department, counts = rest[:5], rest[5:]
    agency = Agency.from_db(connection.alias, ["id", "code", "name"], [agency_id, agency_code, agency_name])
    if year_id is None:
        return Year(agency=agency, fiscal_year=None, publication=None, pending=None, deadline=None, sheets=0,
                    department=None, figures=None)
    fiscal_year = FiscalYear(pk=year_id, year=number)
    evaluation = None
    if department_id is not None:
        state, version, total, grade, budget_score = department
        evaluation = DepartmentEvaluation(
            pk=department_id, agency=agency, fiscal_year=fiscal_year, state=state, version=version,
            total=_score(total), grade=grade, budget_score=_score(budget_score),
        )
    publication = _date(publication)
    # as selectors.pending_publication
    pending = publication if publication is not None and publication > (today or timezone.localdate()) else None
    return Year(agency=agency, fiscal_year=fiscal_year, publication=publication, pending=pending, deadline=_date(deadline),
                sheets=sheets, department=evaluation,
                figures=_figures(counts, sheets=sheets, hidden=public_only and pending is not None))


def _date(value):
    """A date column as a date (SQLite's cursor answers text)."""
    return datetime.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _score(value):
    """A score or money column (2 decimals) as a 2-decimal Decimal (SQLite's cursor answers a float or an int)."""
    return value if value is None or isinstance(value, Decimal) else Decimal(str(value)).quantize(scoring.CENT)


def _figures(counts, *, sheets: int, hidden: bool = False) -> Figures:
    """``Figures`` of a row of ``_figures_sql`` (``hidden``: none shown, the public page before the publication date)."""
    if hidden:
        count = scored = red = yellow = 0
        average, grades = None, [0] * len(GRADE_ORDER)
    else:
        count, scored, average, red, yellow, *grades = counts
    return Figures(
        sheets=sheets, evaluations=count, scored=scored,
        average=scoring.round2(Decimal(str(average))) if average is not None else None, red=red, yellow=yellow,
        by_grade=dict(zip(GRADE_ORDER, grades)),
    )


def figures(agency, fiscal_year, *, public_only: bool = False, pending=_UNREAD, sheets: int | None = None) -> Figures:
    """The year's figures over every self-evaluation of the agency (public ones only for the public page): how many,
    the average of the scored ones, the red and yellow flags (as ``tables.flags`` says them), and the grades.

    Read from the index of the agency's year (``FIGURES_SQL``: an index-only scan, no sheet joined). ``pending``: the
    year's publication date still to come, when the caller read it (public_only: nothing is public before it);
    ``sheets``: the count of published sheets, when the caller read it. (The agency's view and its public page read
    them with their year: ``year_of``.)"""
    if public_only:
        if pending is _UNREAD:
            pending = selectors.pending_publication(agency.pk, fiscal_year.pk)
    hidden = public_only and pending is not None
    counts = None
    if not hidden:
        with connection.cursor() as cursor:
            cursor.execute(FIGURES_SQL, {"agency": agency.pk, "fiscal_year": fiscal_year.pk,
                                         **_figure_params(public_only=public_only)})
            counts = cursor.fetchone()
    if sheets is None:
        sheets = TargetSheet.objects.filter(agency=agency, fiscal_year=fiscal_year, state=SheetState.PUBLISHED).count()
    return _figures(counts, sheets=sheets, hidden=hidden)


def summary_row(row, *, agency, fiscal_year, pending, public_only: bool = False) -> SummaryRow:
    """One sheet's line (``row``: a ``lines_of`` tuple): its self-evaluation's numbers and flags (none when it has
    none, or, ``public_only``, when it is not public). ``pending``: the agency's year's publication date still to come
    (None: none)."""
    state = row.evaluation__state
    public = state == SheetState.PUBLISHED and pending is None
    if row.evaluation__id is None or (public_only and not public):
        return SummaryRow(
            row.id, None, fiscal_year.year, agency.code, agency.name, row.project__code, row.project__name,
            row.section__name or "", NOT_STARTED if row.evaluation__id is None else "未公开", row.budget_total,
            None, None, None, None, None, None, "", False, False, "", False,
        )
    total, budget_score = row.evaluation__total, row.evaluation__budget_score
    rate = tables.rate(spent=row.evaluation__spent, adjusted_budget=row.evaluation__adjusted_budget)
    red, yellow = tables.flags(total=total, budget_score=budget_score, rate=rate)
    if state == SheetState.PUBLISHED and pending is not None:
        label = f"待公开（{pending:%Y-%m-%d} 公开）"
    else:
        label = chain_of(SelfEvaluation).label(state)
    indicators = total - budget_score if total is not None and budget_score is not None else None
    return SummaryRow(
        row.id, row.evaluation__id, fiscal_year.year, agency.code, agency.name, row.project__code, row.project__name,
        row.evaluation__section__name or "", label, row.evaluation__budget, row.evaluation__adjusted_budget,
        row.evaluation__spent, rate, budget_score, indicators, total, row.evaluation__grade, red, yellow,
        row.evaluation__conclusion, public,
    )


DEPARTMENT_TITLE = "部门整体自评"


def department_row(agency, fiscal_year, *, public_only: bool = False) -> SummaryRow | None:
    """The agency's department-wide self-evaluation of the year as a summary line (None when it has none, or,
    ``public_only``, when it is not public: not published, or waiting for the year's publication date)."""
    evaluation = DepartmentEvaluation.objects.filter(agency=agency, fiscal_year=fiscal_year).first()
    if evaluation is None:
        return None
    pending = selectors.pending_publication(agency.pk, fiscal_year.pk) if evaluation.state == SheetState.PUBLISHED else None
    public = evaluation.state == SheetState.PUBLISHED and pending is None
    if public_only and not public:
        return None
    rate = tables.rate_of(evaluation)
    red, yellow = tables.flags(total=evaluation.total, budget_score=evaluation.budget_score, rate=rate)
    label = f"待公开（{pending:%Y-%m-%d} 公开）" if pending is not None else chain_of(evaluation).label(evaluation.state)
    indicators = evaluation.total - evaluation.budget_score if evaluation.total is not None and evaluation.budget_score is not None else None
    return SummaryRow(
        None, evaluation.pk, fiscal_year.year, agency.code, agency.name, "", f"{agency.name}{DEPARTMENT_TITLE}", "",
        label, evaluation.budget, evaluation.adjusted_budget, evaluation.spent, rate, evaluation.budget_score, indicators,
        evaluation.total, evaluation.grade, red, yellow, evaluation.conclusion, public,
    )


def summary_rows(agency, fiscal_year, *, public_only: bool = False, chunk: int = 500):
    """Every published sheet of the agency's year as a ``SummaryRow``, read ``chunk`` at a time (the Excel summary);
    ``public_only``: only the sheets whose self-evaluation is public."""
    pending = selectors.pending_publication(agency.pk, fiscal_year.pk)
    if public_only and pending is not None:
        return
    lines = lines_of(agency, fiscal_year).order_by(*SHEET_ORDER)
    if public_only:
        lines = lines.filter(evaluation__state=SheetState.PUBLISHED)
    read = lines.iterator(chunk_size=chunk)
    while batch := list(islice(read, chunk)):
        for row in batch:
            yield summary_row(row, agency=agency, fiscal_year=fiscal_year, pending=pending, public_only=public_only)
