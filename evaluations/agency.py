"""Reads of an agency's year of self-evaluations: the agency's view (every published sheet's score and grade, the
average, red and yellow flags) and the public page, a keyset page at a time; their Excel summary row by row.

Bounded at a province's scale: the page reads one page of the agency's sheets of the year with their evaluations
(one query), the figures one aggregate over the agency's evaluations of the year (indexed by agency), the summary
streams in chunks of 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from django.db.models import Avg, Case, Count, DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce, Round

from evaluations import scoring, selectors, tables
from evaluations.models import Deadline, DepartmentEvaluation, Publication, SelfEvaluation
from projects.models import FiscalYear, SheetState, TargetSheet
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
    """The agency's published sheets of the year (in force) with their self-evaluation, in the package's order."""
    return (
        TargetSheet.objects.filter(agency=agency, fiscal_year=fiscal_year, state=SheetState.PUBLISHED)
        .select_related("project", "section", "evaluation", "evaluation__section")
    )


# what a line of the agency's view shows (``summary_row``): a page reads only these, and not the agency and year again
PAGE_COLUMNS = (
    "id", "position", "agency_id", "fiscal_year_id", "project_id", "section_id", "budget_total", "project__code",
    "project__name", "section__name", *(f"evaluation__{name}" for name in (
        "id", "sheet_id", "agency_id", "section_id", "state", "budget", "adjusted_budget", "spent", "budget_score", "total",
        "grade", "conclusion", "section__name",
    )),
)


def page_of(agency, fiscal_year, *, cursor=None, size=None, public_only: bool = False):
    """One keyset page of the agency's year for its view (or the public page): the sheets with their projects,
    sections and self-evaluations in one narrow query (the agency and year are the caller's, not joined again)."""
    from core.pagination import keyset_page, page_size

    page = keyset_page(
        sheets_of(agency, fiscal_year).only(*PAGE_COLUMNS), SHEET_ORDER, cursor=cursor, size=page_size(size),
    )
    for sheet in page.rows:
        sheet.agency, sheet.fiscal_year = agency, fiscal_year
    return page


@dataclass
class Year:
    """What the agency's view shows of its year besides the sheets, read in one query (``year_of``): the year, finance's
    publication date and deadline, how many published sheets it has, and its department-wide self-evaluation (its
    id, state and scores; None when it has none)."""

    fiscal_year: FiscalYear
    publication: object  # datetime.date | None
    deadline: object  # datetime.date | None
    sheets: int
    department: DepartmentEvaluation | None


def year_of(agency, year: int) -> Year | None:
    """The agency's ``year`` as its view shows it (one query; None when there is no such year)."""
    by_year = {"agency": agency, "fiscal_year": OuterRef("pk")}
    department = DepartmentEvaluation.objects.filter(**by_year)
    count = (
        TargetSheet.objects.filter(agency=agency, fiscal_year=OuterRef("pk"), state=SheetState.PUBLISHED)
        .order_by().values("agency").annotate(n=Count("id")).values("n")
    )
    row = (
        FiscalYear.objects.filter(year=year).annotate(
            public_from=Subquery(Publication.objects.filter(**by_year).values("public_from")[:1]),
            due=Subquery(Deadline.objects.filter(**by_year).values("due")[:1]),
            published_sheets=Coalesce(Subquery(count), 0),
            **{f"department_{name}": Subquery(department.values(name)[:1])
               for name in ("id", "state", "version", "total", "grade", "budget_score")},
        ).first()
    )
    if row is None:
        return None
    evaluation = None
    if row.department_id is not None:
        evaluation = DepartmentEvaluation(
            pk=row.department_id, agency=agency, fiscal_year=row, state=row.department_state,
            version=row.department_version, total=row.department_total, grade=row.department_grade,
            budget_score=row.department_budget_score,
        )
    return Year(fiscal_year=row, publication=row.public_from, deadline=row.due, sheets=row.published_sheets, department=evaluation)


def _rate_expression():
    return Case(
        When(adjusted_budget__gt=0, spent__isnull=False,
             then=Round(ExpressionWrapper(F("spent") * 100 / F("adjusted_budget"), output_field=DecimalField()), 2)),
        default=None, output_field=DecimalField(),
    )


_UNREAD = object()


def figures(agency, fiscal_year, *, public_only: bool = False, pending=_UNREAD, sheets: int | None = None) -> Figures:
    """The year's figures over every self-evaluation of the agency (public ones only for the public page): how many,
    the average of the scored ones, the red and yellow flags (as ``tables.flags`` says them), and the grades.

    Read from the index of the agency's year (``evaluation_agency_year`` holds every column counted here: an
    index-only scan, no sheet joined). ``pending``: the year's publication date still to come, when the caller read
    it (public_only: nothing is public before it); ``sheets``: the count of published sheets, when the caller read it
    (``year_of``)."""
    evaluations = SelfEvaluation.objects.filter(agency=agency, fiscal_year=fiscal_year)
    if public_only:
        if pending is _UNREAD:
            pending = selectors.pending_publication(agency.pk, fiscal_year.pk)
        evaluations = evaluations.filter(state=SheetState.PUBLISHED) if pending is None else evaluations.none()
    indicators_rate = ExpressionWrapper((F("total") - F("budget_score")) * 100 / scoring.INDICATORS_TOTAL, output_field=DecimalField())
    numbers = evaluations.annotate(rate=_rate_expression(), indicators_rate=indicators_rate).aggregate(
        count=Count("id"), scored=Count("id", filter=Q(total__isnull=False)), average=Avg("total"),
        red=Count("id", filter=Q(total__isnull=False, budget_score__isnull=False, indicators_rate__gt=F("rate") + RED)),
        yellow=Count("id", filter=Q(rate__lt=YELLOW)),
        **{f"grade_{code}": Count("id", filter=Q(grade=grade)) for code, grade in enumerate(GRADE_ORDER)},
    )
    if sheets is None:
        sheets = TargetSheet.objects.filter(agency=agency, fiscal_year=fiscal_year, state=SheetState.PUBLISHED).count()
    average = numbers["average"]
    return Figures(
        sheets=sheets, evaluations=numbers["count"] or 0, scored=numbers["scored"] or 0,
        average=scoring.round2(average) if average is not None else None, red=numbers["red"] or 0,
        yellow=numbers["yellow"] or 0,
        by_grade={grade: numbers[f"grade_{code}"] or 0 for code, grade in enumerate(GRADE_ORDER)},
    )


def summary_row(sheet, *, pending, public_only: bool = False) -> SummaryRow:
    """One sheet's line: its self-evaluation's numbers and flags (none when it has none, or, ``public_only``, when
    it is not public). ``pending``: the agency's year's publication date still to come (None: none)."""
    try:
        evaluation = sheet.evaluation
    except SelfEvaluation.DoesNotExist:
        evaluation = None
    public = evaluation is not None and evaluation.state == SheetState.PUBLISHED and pending is None
    if evaluation is None or (public_only and not public):
        return SummaryRow(
            sheet.pk, None, sheet.fiscal_year.year, sheet.agency.code, sheet.agency.name, sheet.project.code,
            sheet.project.name, sheet.section.name if sheet.section_id else "", NOT_STARTED if evaluation is None else "未公开",
            sheet.budget_total, None, None, None, None, None, None, "", False, False, "", False,
        )
    rate = tables.rate_of(evaluation)
    red, yellow = tables.flags(total=evaluation.total, budget_score=evaluation.budget_score, rate=rate)
    if evaluation.state == SheetState.PUBLISHED and pending is not None:
        label = f"待公开（{pending:%Y-%m-%d} 公开）"
    else:
        label = chain_of(evaluation).label(evaluation.state)
    indicators = evaluation.total - evaluation.budget_score if evaluation.total is not None and evaluation.budget_score is not None else None
    return SummaryRow(
        sheet.pk, evaluation.pk, sheet.fiscal_year.year, sheet.agency.code, sheet.agency.name, sheet.project.code,
        sheet.project.name, evaluation.section.name if evaluation.section_id else "", label, evaluation.budget,
        evaluation.adjusted_budget, evaluation.spent, rate, evaluation.budget_score, indicators, evaluation.total,
        evaluation.grade, red, yellow, evaluation.conclusion, public,
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
    sheets = sheets_of(agency, fiscal_year).select_related("agency", "fiscal_year").order_by(*SHEET_ORDER)
    if public_only:
        sheets = sheets.filter(evaluation__state=SheetState.PUBLISHED)
    read = sheets.iterator(chunk_size=chunk)
    while batch := list(islice(read, chunk)):
        for sheet in batch:
            yield summary_row(sheet, pending=pending, public_only=public_only)
