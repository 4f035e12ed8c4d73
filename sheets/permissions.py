"""The target sheets' own rules, beside the engine's (``workflow.permissions``): who edits and reads an agency's
department-wide goals (部门整体绩效目标), and who downloads the agency's package (all its sheets) in which states."""

from __future__ import annotations

from people import roles
from people.roles import Role
from projects.models import SheetState, TargetSheet
from workflow.documents import chain_of


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
    return list(chain_of(TargetSheet).visible_states(Role.FINANCE_REVIEWER) or SheetState.values)


def can_view_goals(user, agency) -> bool:
    """Department goals are read by everyone working for or reviewing the agency."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or can_download_package(user, agency):
        return True
    sections = roles.scope_ids(user, Role.STAFF) | roles.scope_ids(user, Role.SECTION_HEAD)
    return agency.sections.filter(pk__in=sections).exists()

