"""Reads of the sheet pages: the filtered sheet list (signed-in and public) and the sections a user may roll over."""

from __future__ import annotations

from functools import cache

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from core.db import in_values, prepared_statements
from people import roles
from projects.models import Agency, FiscalYear, Section, TargetSheet
from workflow.permissions import visible_documents


ROLLOVER_ORDER = ("agency__code", "name")


def rollover_choices(user) -> list[dict]:
    """The sections whose sheets ``user`` may roll over (经办人), as the list page offers them (``pk`` and ``name``)."""
    return sections_named(roles.scope_ids(user, roles.Role.STAFF), order=ROLLOVER_ORDER)


def rollover_sections(user) -> QuerySet:
    """The sections whose sheets ``user`` may roll over (经办人)."""
    return Section.objects.filter(pk__in=roles.scope_ids(user, roles.Role.STAFF)).select_related("agency").order_by(*ROLLOVER_ORDER)


def sections_named(section_ids, agency_ids=(), *, order=("agency_id", "name")) -> list[dict]:
    """The sections of ``section_ids`` and of the agencies ``agency_ids`` (``pk`` and ``name``) in ``order``: a list
    page's 科室 choices, read by one statement whose text every page repeats (planned once)."""
    # each part read along its index (an OR of the two array conditions read every section of a province)
    parts = [
        Section.objects.filter(**{lookup: in_values(ids, "int")}).values("pk", "name", *(name.lstrip("-") for name in order))
        for lookup, ids in (("pk__in", section_ids), ("agency_id__in", agency_ids)) if ids
    ]
    if not parts:
        return []
    sections = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    with prepared_statements():
        return [{"pk": row["pk"], "name": row["name"]} for row in sections.order_by(*order)]


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
    if agency:  # the agency's id as a scalar subquery too: one table fewer to plan
        queryset = queryset.filter(agency_id=Subquery(Agency.objects.filter(code=agency).values("pk")[:1]))
    if search:
        # icontains is UPPER(col) LIKE UPPER('%…%'): on PostgreSQL the trigram GIN indexes of projects 0005 serve it
        queryset = queryset.filter(Q(project__name__icontains=search) | Q(project__code__icontains=search))
    return queryset


# What a list row shows (the page's and the API's) and its keyset order: the only columns a listed sheet is read with;
# its project's code and name and its section's name come as values (``LIST_VALUES``), not as models of their own
LIST_FIELDS = (
    "id", "position", "title", "revision", "state", "version", "budget_total", "check_errors", "check_warnings",
    "fiscal_year_id", "agency_id", "section_id", "project_id", "revises_id",
)
LIST_VALUES = {"project_code": F("project__code"), "project_name": F("project__name"), "section_name": F("section__name")}


def sheet_list(user, *, year=None, section=None, state=None, agency=None, search=None) -> QuerySet:
    """The sheets ``user`` may read, filtered, with only what a list row shows (``LIST_FIELDS`` and ``LIST_VALUES``: its
    project's and section's names as values; no content, see ``sheets_with_content``; the API's year and agency code:
    ``with_year_and_agency``).
    Joined to the year and the agency too, planning the statement took longer than running it (1.3 ms of a 1.6 ms
    read at province)."""
    queryset = sheet_filter(visible_documents(user, TargetSheet.objects.all(), state=state), year=year, section=section, agency=agency, search=search)
    return queryset.only(*LIST_FIELDS).annotate(**LIST_VALUES).order_by(*SHEET_LIST_ORDER)


def listed_title(sheet) -> str:
    """``display_title`` of a row read with its project's name as a value (``LIST_VALUES``, the public list's too)."""
    return TargetSheet.title_shown(sheet.title or sheet.project_name, sheet.revision)


def with_year_and_agency(queryset: QuerySet, *, agency_name: bool = False) -> QuerySet:
    """A sheet list with each row's year (``listed_year``) and agency code (``agency_code``; its name too,
    ``agency_name``, when asked), read for the page's rows only (scalar subqueries, which cost the planner next to
    nothing; built once per worker, as ``annotate`` resolves a copy of each)."""
    year, code, name = _year_and_agency()
    queryset = queryset.annotate(listed_year=year, agency_code=code)
    return queryset.annotate(agency_name=name) if agency_name else queryset


@cache
def _year_and_agency() -> tuple[Subquery, Subquery, Subquery]:
    agency = Agency.objects.filter(pk=OuterRef("agency_id"))
    return (
        Subquery(FiscalYear.objects.filter(pk=OuterRef("fiscal_year_id")).values("year")),
        Subquery(agency.values("code")), Subquery(agency.values("name")),
    )
