"""Reads for the workflow pages: task queues, done lists, the filtered sheet list."""

from __future__ import annotations

from django.db.models import Q, QuerySet, Subquery

from people import roles
from projects.models import EDITABLE_STATES, FiscalYear, TargetSheet
from workflow import approval
from workflow.models import SheetEvent
from workflow.permissions import visible_sheets


def review_tasks(user) -> QuerySet:
    """Sheets waiting at a step ``user`` may act on: by state and the indexed section/agency keys, oldest first."""
    if not user.is_authenticated:
        return TargetSheet.objects.none()
    scope = Q(pk__in=[])
    for step in approval.REVIEW_STEPS:
        if roles.scope_ids(user, step.role):
            scope |= Q(state=step.state) & roles.scope_in(user, step.role, f"{step.scope_field}_id")
    return (
        TargetSheet.objects.filter(scope)
        .filter(Q(assignee__isnull=True) | Q(assignee=user))
        .select_related("project", "section", "agency", "assignee")
        .order_by("state_since", "id")
    )


def drafts_to_do(user) -> QuerySet:
    """Drafts and returned sheets of the sections where ``user`` is staff."""
    sections = roles.scope_ids(user, approval.AUTHOR_ROLE) if user.is_authenticated else set()
    return (
        TargetSheet.objects.filter(section_id__in=sections, state__in=EDITABLE_STATES)
        .select_related("project", "fiscal_year", "section")
        .order_by("-state", "position")
    )


def inbox_count(user, *, cap: int | None = None) -> int:
    """Tasks and drafts waiting for ``user``; with ``cap``, counted up to ``cap`` each (the nav badge's "99+"
    reads at most that many index entries, however many thousand sheets a province's reviewer holds)."""
    if cap is None:
        return review_tasks(user).count() + drafts_to_do(user).count()
    return review_tasks(user).order_by()[:cap].count() + drafts_to_do(user).order_by()[:cap].count()


def done_events(user) -> QuerySet:
    return SheetEvent.objects.filter(actor=user).select_related("sheet__project").order_by("-created")


# The sheet lists' order: newest year first, then the package order of each agency. Only the
# sheet's own columns, so a keyset page is an index range scan (sheet_list_order, projects 0005).
SHEET_LIST_ORDER = ("-fiscal_year_id", "agency_id", "position", "id")


def sheet_filter(queryset: QuerySet, *, year=None, section=None, state=None, agency=None, search=None) -> QuerySet:
    """The list filters: year, section id, state, agency code and text in the project's name or code."""
    if year:
        # the year's id as a scalar subquery, not a join: the planner then walks the list's index in order
        # (a join on fiscal_year hid the year's selectivity and sorted the whole state)
        queryset = queryset.filter(fiscal_year_id=Subquery(FiscalYear.objects.filter(year=year).values("pk")[:1]))
    if section:
        queryset = queryset.filter(section_id=section)
    if state:
        queryset = queryset.filter(state=state)
    if agency:
        queryset = queryset.filter(agency__code=agency)
    if search:
        # icontains is UPPER(col) LIKE UPPER('%…%'): on PostgreSQL the trigram GIN indexes of projects 0005 serve it
        queryset = queryset.filter(Q(project__name__icontains=search) | Q(project__code__icontains=search))
    return queryset


def sheet_list(user, *, year=None, section=None, state=None, agency=None, search=None) -> QuerySet:
    """The sheets ``user`` may read, filtered, with what a list row shows (no content: see ``sheets_with_content``)."""
    queryset = sheet_filter(visible_sheets(user, TargetSheet.objects.all()), year=year, section=section, state=state, agency=agency, search=search)
    return queryset.select_related("project", "agency", "section", "fiscal_year").order_by(*SHEET_LIST_ORDER)


def sheet_history(sheet) -> QuerySet:
    return sheet.events.select_related("actor", "target_user").order_by("created", "id")
