"""Reads of the sheet pages: the filtered sheet list (signed-in and public) and the sections a user may roll over."""

from __future__ import annotations

from django.db.models import Q, QuerySet, Subquery

from people import roles
from projects.models import FiscalYear, Section, TargetSheet
from workflow.permissions import visible_documents


def rollover_sections(user) -> QuerySet:
    """The sections whose sheets ``user`` may roll over (经办人)."""
    return Section.objects.filter(pk__in=roles.scope_ids(user, roles.Role.STAFF)).select_related("agency").order_by("agency__code", "name")


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
    queryset = sheet_filter(visible_documents(user, TargetSheet.objects.all(), state=state), year=year, section=section, agency=agency, search=search)
    return queryset.select_related("project", "agency", "section", "fiscal_year").order_by(*SHEET_LIST_ORDER)
