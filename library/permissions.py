"""Who may curate the library: finance reviewers and agency administrators (of any agency), and superusers.
Everyone signed in may read it; usage details (projects, years, values) only of sheets they may see."""

from __future__ import annotations

from core import errors
from people import roles
from people.roles import Role

CURATOR_ROLES = (Role.FINANCE_REVIEWER, Role.AGENCY_ADMIN)


def can_curate(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(roles.holds_any(user, role) for role in CURATOR_ROLES)


def ensure_curator(user) -> None:
    if not can_curate(user):
        raise errors.forbidden("只有财政审核人或单位管理员可以维护指标库。")
