"""Who may see and do what with a sheet: one place for every page, download and API endpoint."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from projects.models import EDITABLE_STATES, SheetState, TargetSheet
from workflow import roles

FINANCE_VISIBLE_STATES = (SheetState.FINANCE_REVIEW, SheetState.PUBLISHED)

# review state → (role that acts, whether its scope is the section rather than the agency)
REVIEW_ROLES = {
    SheetState.SECTION_REVIEW: roles.SECTION_HEAD,
    SheetState.LEADER_REVIEW: roles.LEADER,
    SheetState.FINANCE_REVIEW: roles.FINANCE_REVIEWER,
}
SECTION_ROLES = (roles.STAFF, roles.SECTION_HEAD)


def scope_of(sheet: TargetSheet, role: str):
    return sheet.section if role in SECTION_ROLES else sheet.agency


def holds(user, role: str, sheet: TargetSheet) -> bool:
    scope = scope_of(sheet, role)
    return scope is not None and roles.has_role(user, role, scope)


def visible_sheets(user, queryset: QuerySet | None = None) -> QuerySet:
    """Sheets ``user`` may read, filtered on the indexed section/agency keys."""
    queryset = TargetSheet.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    sections = roles.scope_ids(user, roles.STAFF) | roles.scope_ids(user, roles.SECTION_HEAD)
    visible = (
        Q(state=SheetState.PUBLISHED)
        | Q(section_id__in=sections)
        | Q(agency_id__in=roles.scope_ids(user, roles.LEADER))
        | Q(agency_id__in=roles.scope_ids(user, roles.FINANCE_REVIEWER), state__in=FINANCE_VISIBLE_STATES)
    )
    return queryset.filter(visible)


def visible_sheet_or_404(user, pk, queryset: QuerySet) -> TargetSheet:
    """The sheet if ``user`` may see it; 404 otherwise, so a foreign sheet's existence is not revealed."""
    sheet = get_object_or_404(queryset, pk=pk)
    if not can_view(user, sheet):
        raise Http404("没有找到这张绩效目标表。")
    return sheet


def can_view(user, sheet: TargetSheet) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or sheet.is_published:
        return True
    return (
        holds(user, roles.STAFF, sheet)
        or holds(user, roles.SECTION_HEAD, sheet)
        or holds(user, roles.LEADER, sheet)
        or (sheet.state in FINANCE_VISIBLE_STATES and holds(user, roles.FINANCE_REVIEWER, sheet))
    )


def can_edit(user, sheet: TargetSheet) -> bool:
    return sheet.state in EDITABLE_STATES and holds(user, roles.STAFF, sheet)


def review_role(sheet: TargetSheet) -> str | None:
    return REVIEW_ROLES.get(sheet.state)


def can_review(user, sheet: TargetSheet, task=None) -> bool:
    """May ``user`` approve or return the sheet at its current step (or reassign that step)?"""
    role = review_role(sheet)
    if role is None or not holds(user, role, sheet):
        return False
    return task is None or task.owner_id is None or task.owner_id == user.pk


def can_edit_goals(user, agency) -> bool:
    return user.is_authenticated and (user.is_superuser or roles.has_role(user, roles.LEADER, agency))


def can_download_package(user, agency) -> bool:
    """The agency's package (all its sheets) goes to its leader, its finance reviewers and admins."""
    return user.is_authenticated and (
        user.is_superuser or roles.has_role(user, roles.LEADER, agency) or roles.has_role(user, roles.FINANCE_REVIEWER, agency)
    )


def package_states(user, agency, *, published_only: bool):
    """Which sheets of the agency's package ``user`` gets: all for its leader and admins, never drafts for finance."""
    if published_only:
        return [SheetState.PUBLISHED]
    if user.is_superuser or roles.has_role(user, roles.LEADER, agency):
        return None
    return list(FINANCE_VISIBLE_STATES)


def can_view_goals(user, agency) -> bool:
    """Department goals are read by everyone working for or reviewing the agency."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or can_download_package(user, agency):
        return True
    sections = roles.scope_ids(user, roles.STAFF) | roles.scope_ids(user, roles.SECTION_HEAD)
    return agency.sections.filter(pk__in=sections).exists()
