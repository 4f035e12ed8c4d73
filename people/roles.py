"""Roles and their scopes: a role is a django-guardian permission granted on a Section or an Agency.

A role is held *on* a scope: 经办人 and 科室负责人 on a section, 局领导, 财政审核人 and
单位管理员 on an agency. There are no role groups: a grant is the role. Grants sit on
the few Section/Agency rows, never on each sheet, so lists filter sheets by their
indexed ``section_id`` / ``agency_id``. Writes that people see (and that are audited)
go through ``people.services``; this module is the vocabulary and the reads.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection, models

from projects.models import Agency, Section


class Role(models.TextChoices):
    STAFF = "staff", "经办人"
    SECTION_HEAD = "section_head", "科室负责人"
    LEADER = "leader", "局领导"
    FINANCE_REVIEWER = "finance_reviewer", "财政审核人"
    AGENCY_ADMIN = "agency_admin", "单位管理员"


STAFF, SECTION_HEAD, LEADER, FINANCE_REVIEWER, AGENCY_ADMIN = Role.values
ROLE_LABELS = dict(Role.choices)

# role → (guardian permission, model of the scope object)
SCOPE_PERMISSIONS = {
    Role.STAFF: ("projects.draft_section", Section),
    Role.SECTION_HEAD: ("projects.head_section", Section),
    Role.LEADER: ("projects.lead_agency", Agency),
    Role.FINANCE_REVIEWER: ("projects.review_agency", Agency),
    Role.AGENCY_ADMIN: ("projects.manage_agency", Agency),
}
SECTION_ROLES = tuple(role for role, (_, model) in SCOPE_PERMISSIONS.items() if model is Section)


def scope_model(role: str):
    return SCOPE_PERMISSIONS[role][1]


def is_section_role(role: str) -> bool:
    return role in SECTION_ROLES


def codename(role: str) -> str:
    return SCOPE_PERMISSIONS[role][0].split(".", 1)[1]


_CACHE = "_targetflow_scope_ids"


def forget(user) -> None:
    """Drop the scope ids remembered on ``user`` (after a grant or a revoke)."""
    vars(user).pop(_CACHE, None)


def scope_ids(user, role: str) -> set[int]:
    """Ids of the Sections or Agencies where ``user`` holds ``role``. Remembered on the user object (one request)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    cache = vars(user).setdefault(_CACHE, {})
    if role not in cache:
        cache.update(_all_scope_ids(user))  # every role at once: one query per request, not one per role
    return set(cache[role])


def _all_scope_ids(user) -> dict[str, set[int]]:
    """The scope ids of every role of ``user`` in one query (direct object grants only, as ``get_objects_for_user``
    with ``use_groups=False, with_superuser=False, accept_global_perms=False``), of scopes that still exist.

    Plain SQL read straight from the cursor: it runs on every request, and building it with the ORM cost more than
    running it (a province's finance reviewer holds 20,000 grants)."""
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import UserObjectPermission

    result: dict[str, set[int]] = {role: set() for role in SCOPE_PERMISSIONS}
    role_of, scopes, params = {}, [], [user.pk]
    for model in (Section, Agency):
        content_type = ContentType.objects.get_for_model(model)  # cached by Django
        names = [codename(role) for role, (_, m) in SCOPE_PERMISSIONS.items() if m is model]
        role_of.update({(content_type.pk, codename(role)): role for role, (_, m) in SCOPE_PERMISSIONS.items() if m is model})
        scopes.append(
            f"(g.content_type_id = %s AND p.codename IN ({', '.join(['%s'] * len(names))}) AND EXISTS "
            f"(SELECT 1 FROM {model._meta.db_table} s WHERE s.id = CAST(g.object_pk AS BIGINT)))"
        )
        params += [content_type.pk, *names]
    sql = (
        f"SELECT g.content_type_id, p.codename, g.object_pk FROM {UserObjectPermission._meta.db_table} g "
        f"JOIN auth_permission p ON p.id = g.permission_id AND p.content_type_id = g.content_type_id "
        f"WHERE g.user_id = %s AND ({' OR '.join(scopes)}) ORDER BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    for (content_type_id, permission_codename), group in itertools.groupby(found, key=lambda row: row[:2]):
        result[role_of[(content_type_id, permission_codename)]].update(int(row[2]) for row in group)
    return result


# More scope ids than this go into SQL as a subquery on the user's grants, not as a literal list
# (a province's finance reviewer holds 20,000 agencies).
LITERAL_IDS_MAX = 500


def scope_in(user, role: str, field: str):
    """A Q: ``field`` (a Section or Agency id column) is one of the scopes where ``user`` holds ``role``."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q
    from django.db.models.functions import Cast
    from guardian.models import UserObjectPermission

    ids = scope_ids(user, role)
    if not ids:
        return Q(pk__in=[])
    if len(ids) <= LITERAL_IDS_MAX:
        return Q(**{f"{field}__in": ids})
    content_type = ContentType.objects.get_for_model(scope_model(role))
    grants = UserObjectPermission.objects.filter(
        user=user, content_type=content_type, permission__content_type=content_type, permission__codename=codename(role)
    ).values(scope_id=Cast("object_pk", models.BigIntegerField()))
    return Q(**{f"{field}__in": grants})


def has_role(user, role: str, scope) -> bool:
    """Does ``user`` hold ``role`` on ``scope`` by an explicit grant? (Superusers act only where granted.)"""
    if scope is None or not user.is_authenticated or not user.is_active:
        return False
    return scope.pk in scope_ids(user, role)


def users_with_role(role: str, scope):
    """Active users who hold ``role`` on ``scope`` (a Section or an Agency)."""
    if scope is None:
        return get_user_model().objects.none()
    from django.contrib.contenttypes.models import ContentType

    # what get_users_with_perms(scope, only_with_perms_in=[…], with_group_users=False, with_superusers=False)
    # answers, in one plain join (it runs in every move's transaction)
    content_type = ContentType.objects.get_for_model(scope)
    return get_user_model().objects.filter(
        is_active=True,
        userobjectpermission__content_type=content_type,
        userobjectpermission__object_pk=str(scope.pk),
        userobjectpermission__permission__content_type=content_type,
        userobjectpermission__permission__codename=codename(role),
    ).distinct().order_by("username")


def display_name(user) -> str:
    """A person as colleagues name them: 姓名 in Chinese order (family name first, no space), else the username."""
    if user is None:
        return "系统"
    full = f"{user.last_name}{user.first_name}".strip()
    return full or user.username


def can_manage_people(user, agency) -> bool:
    """The agency's administrators and superusers manage its people and roles."""
    return user.is_authenticated and user.is_active and (user.is_superuser or has_role(user, Role.AGENCY_ADMIN, agency))


class Holder(NamedTuple):
    """A role holder as the reminders address them: read as a tuple, never as a model (a province has 100,000)."""

    pk: int
    username: str
    email: str


def holders_by_scope(wanted: dict[str, set[int]]) -> dict[tuple[str, int], list[Holder]]:
    """Active users holding each role on each scope id, in one query (reminders for a whole province):
    ``{(role, scope id): [holders by username]}``. The set-based counterpart of ``users_with_role``."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q
    from django.db.models.expressions import RawSQL
    from guardian.models import UserObjectPermission

    condition = Q(pk__in=[])
    role_of = {}
    for role, ids in wanted.items():
        if not ids:
            continue
        content_type = ContentType.objects.get_for_model(scope_model(role))  # cached by Django after the first call
        role_of[(content_type.pk, codename(role))] = role
        condition |= Q(
            content_type=content_type, permission__content_type=content_type, permission__codename=codename(role),
            # one array parameter, not one placeholder per scope (a province has 40,000 sections)
            object_pk__in=RawSQL("SELECT unnest(%s::text[])", [[str(pk) for pk in ids]]),
        )
    if not role_of:
        return {}
    rows = (
        UserObjectPermission.objects.filter(condition, user__is_active=True)
        .order_by("user__username", "id")
        .values_list("content_type_id", "permission__codename", "object_pk", "user_id", "user__username", "user__email")
    )
    result: dict[tuple[str, int], list[Holder]] = {}
    people: dict[int, Holder] = {}
    for content_type_id, permission, object_pk, user_id, username, email in rows:
        person = people.get(user_id)
        if person is None:
            person = people[user_id] = Holder(user_id, username, email)
        result.setdefault((role_of[(content_type_id, permission)], int(object_pk)), []).append(person)
    return result
