"""Who may see and do what with a sheet: one place for every page, download and API endpoint.

Everything step-specific comes from the declaration in ``workflow.approval``;
roles and their scopes from ``people.roles``.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from people import roles
from people.roles import Role
from projects.models import SheetState, TargetSheet
from workflow import approval
from workflow.approval import holds, scope_of  # noqa: F401 — part of this module's vocabulary


def _role_visibility(user, role: str) -> Q:
    """Sheets ``user`` sees through ``role``: their scopes, in the states the declaration lets the role see."""
    scope = roles.scope_in(user, role, "section_id" if roles.is_section_role(role) else "agency_id")
    states = approval.visible_states(role)
    return scope if states is None else scope & Q(state__in=states)


SHEET_ROLES = roles.SHEET_ROLES  # the roles that show sheets


def visible_unpublished_sheets(user, queryset: QuerySet | None = None) -> QuerySet:
    """The sheets not (yet) published that ``user`` may read: ``visible_sheets`` without the published ones everyone
    reads, as one condition on the role scopes (a person without a role gets none)."""
    queryset = TargetSheet.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    queryset = queryset.exclude(state=SheetState.PUBLISHED)
    if user.is_superuser:
        return queryset
    visible = Q(pk__in=[])
    for role in SHEET_ROLES:
        visible |= _role_visibility(user, role)
    return queryset.filter(visible)


def visible_sheets(user, queryset: QuerySet | None = None, *, state: str | None = None) -> QuerySet:
    """Sheets ``user`` may read, filtered on the indexed section/agency keys.

    ``state``: only sheets in that state (a list's filter). The roles that never see that state then drop out of
    the condition, so the planner reads the index that holds the state's rows instead of walking the whole list
    order past rows of other states (a section head's "草稿" when the section has none: every sheet of the province).
    """
    queryset = TargetSheet.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    state = state or None
    if state is not None:
        queryset = queryset.filter(state=state)
    if user.is_superuser or state == SheetState.PUBLISHED:
        return queryset
    visible = Q(state=SheetState.PUBLISHED) if state is None else Q(pk__in=[])
    for role in SHEET_ROLES:
        if state is None:
            visible |= _role_visibility(user, role)
        elif approval.visible_states(role) is None or state in approval.visible_states(role):
            visible |= roles.scope_in(user, role, "section_id" if roles.is_section_role(role) else "agency_id")
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
    for role in SHEET_ROLES:
        states = approval.visible_states(role)
        if (states is None or sheet.state in states) and holds(user, role, sheet):
            return True
    return False


def can_edit(user, sheet: TargetSheet) -> bool:
    return sheet.state in approval.DRAFTING_STATES and holds(user, approval.AUTHOR_ROLE, sheet)


def can_review(user, sheet: TargetSheet) -> bool:
    """May ``user`` approve or return the sheet at its current step (or reassign that step)?"""
    return user.is_authenticated and approval.SheetApproval(sheet).may_review(user)


def can_edit_goals(user, agency) -> bool:
    return user.is_authenticated and (user.is_superuser or roles.has_role(user, Role.LEADER, agency))


def can_download_package(user, agency) -> bool:
    """The agency's package (all its sheets) goes to its leader, its finance reviewers and admins."""
    return user.is_authenticated and (
        user.is_superuser or roles.has_role(user, Role.LEADER, agency) or roles.has_role(user, Role.FINANCE_REVIEWER, agency)
    )


def package_states(user, agency, *, published_only: bool):
    """Which sheets of the agency's package ``user`` gets: all for its leader and admins, what finance sees for finance."""
    if published_only:
        return [SheetState.PUBLISHED]
    if user.is_superuser or roles.has_role(user, Role.LEADER, agency):
        return None
    return list(approval.visible_states(Role.FINANCE_REVIEWER) or SheetState.values)


def can_view_goals(user, agency) -> bool:
    """Department goals are read by everyone working for or reviewing the agency."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or can_download_package(user, agency):
        return True
    sections = roles.scope_ids(user, Role.STAFF) | roles.scope_ids(user, Role.SECTION_HEAD)
    return agency.sections.filter(pk__in=sections).exists()

