"""Roles (Django groups) and their scopes (django-guardian permissions on Section and Agency objects).

Scopes are granted on the few Section/Agency rows, never on each sheet or task,
so lists filter sheets by their indexed ``section_id`` / ``agency_id``.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm, get_objects_for_user, get_users_with_perms

from projects.models import Agency, Section

STAFF = "staff"
SECTION_HEAD = "section_head"
LEADER = "leader"
FINANCE_REVIEWER = "finance_reviewer"
ADMIN = "admin"

ROLE_LABELS = {
    STAFF: "经办人",
    SECTION_HEAD: "科室负责人",
    LEADER: "局领导",
    FINANCE_REVIEWER: "财政审核人",
    ADMIN: "系统管理员",
}

# role → (guardian permission, model of the scope object)
SCOPE_PERMISSIONS = {
    STAFF: ("projects.draft_section", Section),
    SECTION_HEAD: ("projects.head_section", Section),
    LEADER: ("projects.lead_agency", Agency),
    FINANCE_REVIEWER: ("projects.review_agency", Agency),
}


def role_grant(*, user, role: str, scope=None) -> None:
    """Put ``user`` in the role's group and, for scoped roles, give them the role on ``scope``."""
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    if role in SCOPE_PERMISSIONS:
        permission, model = SCOPE_PERMISSIONS[role]
        if not isinstance(scope, model):
            raise ValueError(f"role {role} needs a {model.__name__} scope")
        assign_perm(permission, user, scope)
    vars(user).pop(_CACHE, None)


_CACHE = "_targetflow_scope_ids"


def scope_ids(user, role: str) -> set[int]:
    """Ids of the Sections (staff, section_head) or Agencies (leader, finance_reviewer) where ``user`` holds ``role``.

    Remembered on the user object, which lives for one request."""
    if not user.is_authenticated:
        return set()
    cache = vars(user).setdefault(_CACHE, {})
    if role not in cache:
        permission, model = SCOPE_PERMISSIONS[role]
        objects = get_objects_for_user(user, permission, klass=model, use_groups=False, with_superuser=False, accept_global_perms=False)
        cache[role] = set(objects.values_list("pk", flat=True))
    return set(cache[role])


def has_role(user, role: str, scope) -> bool:
    """Does ``user`` hold ``role`` on ``scope`` by an explicit grant? (Superusers act only where granted.)"""
    if not user.is_authenticated or not user.is_active:
        return False
    return scope.pk in scope_ids(user, role)


def users_with_role(role: str, scope):
    """Active users who hold ``role`` on ``scope`` (a Section or an Agency)."""
    permission, _ = SCOPE_PERMISSIONS[role]
    codename = permission.split(".", 1)[1]
    users = get_users_with_perms(scope, only_with_perms_in=[codename], with_group_users=False, with_superusers=False)
    return users.filter(is_active=True).order_by("username")
