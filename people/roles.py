"""Roles and their scopes: a role is a django-guardian permission granted on a Section or an Agency.

A role is held *on* a scope: 经办人 and 科室负责人 on a section, 局领导, 财政审核人 and
单位管理员 on an agency. There are no role groups: a grant is the role. Grants sit on
the few Section/Agency rows, never on each sheet, so lists filter sheets by their
indexed ``section_id`` / ``agency_id``. Writes that people see (and that are audited)
go through ``people.services``; this module is the vocabulary and the reads.
"""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.utils import timezone

from core.db import CompiledStatements, prepared_cursor
from people.models import Delegation
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
# The roles of a sheet's approval, which also show sheets: who drafts and submits it, and who reviews it at each step
# (workflow.steps.CHAIN's author and steps; people sits below workflow, tests/people/test_self_grant.py keeps
# them equal).
SHEET_ROLES = (Role.STAFF, Role.SECTION_HEAD, Role.LEADER, Role.FINANCE_REVIEWER)
DUTIES_RULE = "提交与审核分离"  # named in every refusal of it: a self-grant (people.services), a move (workflow.flow)
# 委托: the roles a delegate holds for their principal while a delegation is in force (``people.models.Delegation``),
# read at the moment of each check (every read below: ``has_role``, ``scope_in``, ``users_with_role``,
# ``holders_by_scope``). Never 单位管理员: a delegation lends the approval, not the management of people. Not
# transitive: a delegate holds what the principal was granted, never what the principal holds by a delegation.
DELEGATED_ROLES = SHEET_ROLES


def scope_model(role: str):
    return SCOPE_PERMISSIONS[role][1]


def is_section_role(role: str) -> bool:
    return role in SECTION_ROLES


def codename(role: str) -> str:
    return SCOPE_PERMISSIONS[role][0].split(".", 1)[1]


_CACHE = "_targetflow_scope_ids"

# A role held on more scopes than this is not read into Python: a list looks the grant up per row (``_GrantOn``),
# a check on one scope asks for that grant (a province's finance reviewer holds 20,000 agencies; reading them on
# every request cost tens of milliseconds).
LITERAL_IDS_MAX = 500


def forget(user) -> None:
    """Drop the scope ids remembered on ``user`` (after a grant or a revoke)."""
    vars(user).pop(_CACHE, None)


def _cache(user) -> dict:
    """Per role: the scope ids (a set), or None when the user holds it on more than ``LITERAL_IDS_MAX`` scopes;
    ("via", role) → {scope id: [principal ids]} of the scopes held only through delegations in force; plus ("all", role)
    → every id and ("one", role, pk) → bool, read when asked. Remembered on the user (one request): the delegations
    are those in force when it was read."""
    cache = vars(user).setdefault(_CACHE, {})
    if not cache:
        cache.update(_scope_summary(user))  # every role at once: one query per request, not one per role
    return cache


def scope_ids(user, role: str) -> set[int]:
    """Ids of the Sections or Agencies where ``user`` holds ``role``. Exact: for a role held on more than
    ``LITERAL_IDS_MAX`` scopes this reads them all (one more query); lists filter with ``scope_in`` and check one
    scope with ``has_role`` instead."""
    if not user.is_authenticated or not user.is_active:
        return set()
    cache = _cache(user)
    if cache[role] is not None:
        return set(cache[role])
    if ("all", role) not in cache:
        cache[("all", role)] = _all_ids(user, role)
    return set(cache[("all", role)])


def scope_ids_upto(user, role: str) -> set[int] | None:
    """``scope_ids`` when ``user`` holds ``role`` on at most ``LITERAL_IDS_MAX`` scopes, else None (many)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    ids = _cache(user)[role]
    return None if ids is None else set(ids)


def holds_any(user, role: str) -> bool:
    """Does ``user`` hold ``role`` on some scope? (No query beyond the request's one.)"""
    return scope_ids_upto(user, role) != set()


def _scope_table_condition(model) -> str:
    return f"EXISTS (SELECT 1 FROM {model._meta.db_table} s WHERE s.id = CAST(g.object_pk AS BIGINT))"


def _scope_summary(user) -> dict:
    """Per role, the scope ids of ``user`` (direct object grants only, as ``get_objects_for_user`` with
    ``use_groups=False, with_superuser=False, accept_global_perms=False``, of scopes that still exist), or None for
    a role held on more than ``LITERAL_IDS_MAX`` scopes. It runs on every request."""
    from core.db import is_postgresql

    role_of = _role_of_permission()
    read_grants = _summary_grants if is_postgresql() else _summary_grants_portable
    result: dict = {role: set() for role in SCOPE_PERMISSIONS}
    via: dict = {role: {} for role in SCOPE_PERMISSIONS}
    for content_type_id, permission_codename, object_pk, holder_id in read_grants(user, role_of, timezone.now()):
        role = role_of[(content_type_id, permission_codename)]
        if holder_id == user.pk:
            result[role].add(int(object_pk))
        else:  # a principal's grant, held through a delegation in force
            via[role].setdefault(int(object_pk), set()).add(holder_id)
    summary: dict = {}
    for role, ids in result.items():
        delegated = {pk: sorted(principals) for pk, principals in via[role].items() if pk not in ids}
        ids = ids | set(delegated)
        summary[role] = None if len(ids) > LITERAL_IDS_MAX else ids
        summary[("via", role)] = delegated
    return summary


def _principals_sql(user_id_sql: str = "%s") -> tuple[str, int]:
    """SQL of the ids of the principals whose delegation to the user ``user_id_sql`` names is in force at a moment
    (two parameters after the user's: the moment, twice), and how many parameters it takes."""
    from django.contrib.auth import get_user_model

    users = get_user_model()._meta.db_table
    return (
        f"SELECT d.principal_id FROM {Delegation._meta.db_table} d JOIN {users} u ON u.id = d.principal_id "
        f"WHERE d.delegate_id = {user_id_sql} AND d.start <= %s AND d.\"end\" > %s AND d.cancelled IS NULL AND u.is_active"
    ), 3


def _holder_ids_sql(role_codename_sql: str) -> str:
    """SQL of the users whose grants a user holds: themself, and — for a delegated role (the codename
    ``role_codename_sql`` names) — their principals in force. Parameters: user id, user id, moment, moment."""
    principals, _ = _principals_sql()
    delegated = ", ".join(f"'{codename(role)}'" for role in DELEGATED_ROLES)
    return f"SELECT CAST(%s AS INTEGER) UNION ALL {principals} AND {role_codename_sql} IN ({delegated})"


def _role_of_permission() -> dict[tuple[int, str], str]:
    """(content type id, permission codename) → role, for every role held on a Section or an Agency."""
    from django.contrib.contenttypes.models import ContentType

    # ContentType.objects.get_for_model is cached by Django
    return {(ContentType.objects.get_for_model(model).pk, codename(role)): role for role, (_, model) in SCOPE_PERMISSIONS.items()}


def _summary_grants(user, role_of, now) -> list[tuple]:
    """The grants of the roles in ``role_of`` on existing scopes that ``user`` holds — theirs, and their principals'
    of the delegated roles through delegations in force at ``now`` — at most ``LITERAL_IDS_MAX + 1`` a role: plain
    SQL with PostgreSQL's LATERAL join, read straight from the cursor as (content type, codename, scope pk, the
    grant's user)."""
    from django.contrib.contenttypes.models import ContentType

    parts, params = [], []
    for model in (Section, Agency):
        content_type_id = ContentType.objects.get_for_model(model).pk
        names = [name for (ct, name) in role_of if ct == content_type_id]
        parts.append(
            "SELECT p.content_type_id, p.codename, x.object_pk, x.user_id FROM auth_permission p CROSS JOIN LATERAL "
            f"(SELECT g.object_pk, g.user_id FROM guardian_userobjectpermission g WHERE g.user_id = ANY(ARRAY({_holder_ids_sql('p.codename')})) "
            "AND g.permission_id = p.id "
            f"AND g.content_type_id = p.content_type_id AND {_scope_table_condition(model)} LIMIT %s) x "
            f"WHERE p.content_type_id = %s AND p.codename IN ({', '.join(['%s'] * len(names))})"
        )
        params += [user.pk, user.pk, now, now, LITERAL_IDS_MAX + 1, content_type_id, *names]
    with prepared_cursor() as cursor:  # read on every page: planned once per connection
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()


def _summary_grants_portable(user, role_of, now) -> list[tuple]:
    """``_summary_grants`` without the LATERAL join (SQLite, the embedded demo): every grant of the user and of their
    principals in force read at once, kept when its role is one of ours (a principal's: a delegated one) and its
    scope still exists."""
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import UserObjectPermission

    existing = {
        ContentType.objects.get_for_model(model).pk: {str(pk) for pk in model.objects.values_list("pk", flat=True)}
        for model in (Section, Agency)
    }
    principals = set(Delegation.objects.active_at(now).filter(delegate_id=user.pk).values_list("principal_id", flat=True))
    delegated = {codename(role) for role in DELEGATED_ROLES}
    grants = UserObjectPermission.objects.filter(user_id__in={user.pk} | principals, content_type_id__in=list(existing)).values_list(
        "content_type_id", "permission__codename", "object_pk", "user_id"
    )
    return [
        row for row in grants
        if (row[0], row[1]) in role_of and row[2] in existing[row[0]] and (row[3] == user.pk or row[1] in delegated)
    ]


def principal_ids(user, at=None):
    """A queryset of the ids of the principals whose delegation to ``user`` is in force at ``at`` (now)."""
    return Delegation.objects.active_at(at or timezone.now()).filter(delegate_id=user.pk).values("principal_id")


def summary_key(user) -> tuple:
    """What every condition built from ``user``'s roles depends on, as a hashable value: their id and whether they are
    active, and per role the scope ids read this request (or "many") with those held through delegations. Two users,
    or two requests, with equal keys get the same conditions (for the same moment); and the content types of the
    grants' scopes, which those conditions name by id (a database made again, as the browser tests' are, renumbers
    them)."""
    if not getattr(user, "is_authenticated", False):
        return (None,)
    from django.contrib.contenttypes.models import ContentType

    cache = _cache(user) if user.is_active else {}
    types = tuple(ContentType.objects.get_for_model(model).pk for model in (Section, Agency))  # cached by Django
    return (user.pk, user.is_active, types, *(
        (role, None if cache[role] is None else frozenset(cache[role]),
         tuple(sorted((pk, tuple(principals)) for pk, principals in cache[("via", role)].items())))
        for role in SCOPE_PERMISSIONS if cache
    ))


def principals_now(user) -> set[int]:
    """The ids of the principals whose delegation to ``user`` is in force (read once a request, when asked)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cache = _cache(user)
    if ("principals",) not in cache:
        cache[("principals",)] = {row["principal_id"] for row in principal_ids(user)}
    return set(cache[("principals",)])


def _grants(user, role: str, *, direct: bool = False):
    """The grant rows of ``role`` (object_pk as text) ``user`` holds — their own, and (unless ``direct``) their
    principals' through a delegation in force — as a queryset."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q
    from guardian.models import UserObjectPermission

    content_type = ContentType.objects.get_for_model(scope_model(role))
    whose = Q(user=user)
    if not direct and role in DELEGATED_ROLES:
        whose |= Q(user_id__in=principal_ids(user))
    return UserObjectPermission.objects.filter(
        whose, content_type=content_type, permission__content_type=content_type, permission__codename=codename(role)
    )


def _all_ids(user, role: str) -> set[int]:
    model = scope_model(role)
    ids = {int(pk) for pk in _grants(user, role).values_list("object_pk", flat=True)}
    return set(model.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


class _GrantOn(models.Expression):
    """``EXISTS`` a grant of one role to one user on the scope ``column`` names, checked row by row through the grant
    table's indexes on (user, permission, object_pk). ``OFFSET 0`` keeps PostgreSQL from hashing every grant of the
    user first (20,000 for a province's finance reviewer): a list reading 50 rows in index order looks up 50 grants."""

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, column, *, user_id: int, content_type_id: int, codename: str, at=None):
        super().__init__()
        self.column, self.user_id, self.content_type_id, self.codename = column, user_id, content_type_id, codename
        self.now = at or timezone.now()  # the delegations in force at this moment (when the condition was made)

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, expressions):
        [self.column] = expressions

    def as_sql(self, compiler, connection):
        from guardian.models import UserObjectPermission

        column, params = compiler.compile(self.column)
        holder_ids = _holder_ids_sql("%s")
        whose = f"= ANY(ARRAY({holder_ids}))" if connection.vendor == "postgresql" else f"IN ({holder_ids})"
        sql = (
            f"EXISTS (SELECT 1 FROM {UserObjectPermission._meta.db_table} g WHERE g.user_id {whose} "
            "AND g.content_type_id = %s "
            "AND g.permission_id = (SELECT p.id FROM auth_permission p WHERE p.content_type_id = %s AND p.codename = %s) "
            f"AND g.object_pk = CAST({column} AS VARCHAR){' OFFSET 0' if connection.vendor == 'postgresql' else ''})"
        )
        holders = [self.user_id, self.user_id, self.now, self.now, self.codename]
        return sql, [*holders, self.content_type_id, self.content_type_id, self.codename, *params]


def scope_in(user, role: str, field: str, *, at=None):
    """A Q: ``field`` (a Section or Agency id column) is one of the scopes where ``user`` holds ``role``: a literal
    list of at most ``LITERAL_IDS_MAX`` ids, else a grant looked up per row (``_GrantOn``; the rows' ``field``
    references an existing scope, so a grant on a deleted one matches nothing), with the delegations in force at
    ``at`` (now)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import F, Q

    ids = scope_ids_upto(user, role)
    if ids is not None:
        return Q(**{f"{field}__in": ids}) if ids else Q(pk__in=[])
    content_type = ContentType.objects.get_for_model(scope_model(role))
    return Q(_GrantOn(F(field), user_id=user.pk, content_type_id=content_type.pk, codename=codename(role), at=at))


def has_role(user, role: str, scope) -> bool:
    """Does ``user`` hold ``role`` on ``scope`` by an explicit grant? (Superusers act only where granted.)"""
    if scope is None or not user.is_authenticated or not user.is_active:
        return False
    cache = _cache(user)
    if cache[role] is not None:
        return scope.pk in cache[role]
    if ("all", role) in cache:
        return scope.pk in cache[("all", role)]
    key = ("one", role, scope.pk)
    if key not in cache:  # one of many scopes: ask for this grant (an index lookup)
        cache[key] = _holds_grant(user, role, scope.pk)
    return cache[key]


def _holds_grant(user, role: str, scope_pk) -> bool:
    """Does ``user`` (or a principal whose delegation to them is in force) hold ``role`` on the scope ``scope_pk``? On
    PostgreSQL one fixed statement, prepared (the ORM's build of it cost more than the lookup along the grant
    table's index); the ORM elsewhere."""
    from core.db import is_postgresql

    if not is_postgresql():
        return _grants(user, role).filter(object_pk=str(scope_pk)).exists()
    from django.contrib.contenttypes.models import ContentType

    now = timezone.now()
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM auth_permission p JOIN guardian_userobjectpermission g ON g.permission_id = p.id"
            " AND g.content_type_id = p.content_type_id WHERE p.content_type_id = %s AND p.codename = %s"
            f" AND g.object_pk = %s AND g.user_id = ANY(ARRAY({_holder_ids_sql('p.codename')})))",
            [ContentType.objects.get_for_model(scope_model(role)).pk, codename(role), str(scope_pk), user.pk, user.pk, now, now],
        )
        return cursor.fetchone()[0]


def oversees(user, agency) -> bool:
    """The agency's 局领导, its 财政审核人 and superusers: who reads the agency's whole year (its package of sheets, its
    self-evaluations' view)."""
    return bool(user.is_authenticated) and (
        user.is_superuser or has_role(user, Role.LEADER, agency) or has_role(user, Role.FINANCE_REVIEWER, agency)
    )


def users_with_role(role: str, scope, *, at=None, lent_outside=()):
    """Active users who hold ``role`` on ``scope`` (a Section or an Agency) at ``at`` (now): by a grant, or — a
    delegated role — as the delegate of a holder whose delegation is in force (``lent_outside``: a holder not among
    these ids)."""
    if scope is None:
        return get_user_model().objects.none()
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q
    from guardian.models import UserObjectPermission

    # what get_users_with_perms(scope, only_with_perms_in=[…], with_group_users=False, with_superusers=False)
    # answers, as one statement (it runs in every move's transaction)
    content_type = ContentType.objects.get_for_model(scope)
    granted = UserObjectPermission.objects.filter(
        content_type=content_type, object_pk=str(scope.pk), permission__content_type=content_type,
        permission__codename=codename(role),
    ).values("user_id")
    holding = Q(pk__in=granted)
    if role in DELEGATED_ROLES:
        lent = Delegation.objects.active_at(at or timezone.now()).filter(principal_id__in=granted)
        if lent_outside:
            lent = lent.exclude(principal_id__in=list(lent_outside))
        holding |= Q(pk__in=lent.values("delegate_id"))
    return get_user_model().objects.filter(holding, is_active=True).order_by("username")


def works_for(user, agency) -> bool:
    """Does ``user`` hold a role of their own on ``agency`` or one of its sections (its 财政审核人 included)?"""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q
    from guardian.models import UserObjectPermission

    if agency is None or user.pk is None:
        return False
    sections = [str(pk) for pk in Section.objects.filter(agency=agency).values_list("pk", flat=True)]
    agency_type, section_type = (ContentType.objects.get_for_model(model) for model in (Agency, Section))
    return UserObjectPermission.objects.filter(
        Q(content_type=agency_type, object_pk=str(agency.pk)) | Q(content_type=section_type, object_pk__in=sections),
        user=user, permission__codename__in=[codename(role) for role in SCOPE_PERMISSIONS],
    ).exists()


def has_direct_grant(user, role: str, scope) -> bool:
    """Does ``user`` hold ``role`` on ``scope`` by a grant of their own (not through a delegation)?"""
    if scope is None or user.pk is None:
        return False
    return _grants(user, role, direct=True).filter(object_pk=str(scope.pk)).exists()


def acting_for(user, role: str, scope):
    """The id of the principal for whom ``user`` holds ``role`` on ``scope`` now, when they hold it only through a
    delegation in force (the first, when two principals lent it); None when they hold it themself (or not at all)."""
    principals = principals_for(user, role, scope)
    return principals[0] if principals else None


def delegated_scopes(user, role: str) -> dict[int, list[int]] | None:
    """{scope id: [principal ids]} of the scopes where ``user`` holds ``role`` only through delegations in force;
    None when they hold the role on more than ``LITERAL_IDS_MAX`` scopes (not read into Python)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or role not in DELEGATED_ROLES:
        return {}
    cache = _cache(user)
    return None if cache[role] is None else dict(cache[("via", role)])


def principals_for(user, role: str, scope) -> list[int]:
    """The ids of the principals through whose delegations in force ``user`` holds ``role`` on ``scope``, when they
    do not hold it themself; [] otherwise."""
    if scope is None or not getattr(user, "is_authenticated", False) or role not in DELEGATED_ROLES:
        return []
    cache = _cache(user)
    if cache[role] is not None:
        return list(cache[("via", role)].get(scope.pk, []))
    if has_direct_grant(user, role, scope):
        return []
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import UserObjectPermission

    content_type = ContentType.objects.get_for_model(scope_model(role))
    granted = UserObjectPermission.objects.filter(
        content_type=content_type, object_pk=str(scope.pk), permission__content_type=content_type,
        permission__codename=codename(role),
    ).values("user_id")
    return sorted(
        Delegation.objects.active_at(timezone.now()).filter(delegate_id=user.pk, principal_id__in=granted)
        .values_list("principal_id", flat=True)
    )


def name_of(user_id: int) -> str:
    """The name of the person of id ``user_id`` (a principal named in a refusal)."""
    return display_name(get_user_model().objects.filter(pk=user_id).first())


def delegates_of(user_ids, *, at=None) -> dict[int, list]:
    """{principal id: [active delegates]} of the delegations in force at ``at`` (now) of the users ``user_ids``."""
    result: dict[int, list] = {}
    if not user_ids:
        return result
    rows = (
        Delegation.objects.active_at(at or timezone.now()).filter(principal_id__in=list(user_ids), delegate__is_active=True)
        .select_related("delegate").order_by("delegate__username")
    )
    for row in rows:
        result.setdefault(row.principal_id, []).append(row.delegate)
    return result


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
    name: str = ""  # 姓名 in Chinese order (``display_name``)
    on_behalf: str = ""  # a delegate's: the name of the principal they hold the role for (委托)
    principal: int = 0  # a delegate's: that principal's id


def staffed_scopes(wanted: dict[str, set[int]]) -> set[tuple[str, int]]:
    """The (role, scope id) pairs of ``wanted`` that some active user holds by a grant, in one query: whether anyone
    may act there (a delegate acts only for an active holder), without reading who (``holders_by_scope`` reads them
    all, with their names: a 1,000-person agency's)."""
    from guardian.models import UserObjectPermission

    condition, role_of = _grants_condition(wanted)
    if not role_of:
        return set()
    rows = (
        UserObjectPermission.objects.filter(condition, user__is_active=True)
        .order_by().values_list("content_type_id", "permission__codename", "object_pk").distinct()
    )
    return {(role_of[(ct, name)], int(pk)) for ct, name, pk in rows}


def _grants_condition(wanted: dict[str, set[int] | list[str]]):
    """A condition on the grant table for each role of ``wanted`` on its scope ids (a list of them as text is bound
    as it is: ``holders_by_scope``), and {(content type id, codename): role} of the roles it names."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    from core.db import in_values

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
            object_pk__in=in_values(ids if isinstance(ids, list) else [str(pk) for pk in ids], "text"),
        )
    return condition, role_of


# ``holders_by_scope``'s statements for a page's few scopes, per set of roles asked
_holders_statements = CompiledStatements(size=64)


def holders_by_scope(wanted: dict[str, set[int]], *, at=None, compiled_once: bool = False) -> dict[tuple[str, int], list[Holder]]:
    """Active users holding each role on each scope id at ``at`` (now), in one query (reminders for a whole
    province): the grants, each with its holder's delegation in force (a delegate holds the principal's delegated
    roles: listed after the holders, with ``on_behalf``). ``{(role, scope id): [holders by username]}``.
    The set-based counterpart of ``users_with_role``. ``compiled_once``: for a page's few scopes (待办's cards), the
    statement is compiled once per worker for the roles asked and prepared (``core.db.CompiledStatements``); a
    province's run, whose arrays are long, is compiled and planned for its own."""
    from django.db.models import FilteredRelation, Q
    from guardian.models import UserObjectPermission

    arrays = {role: [str(pk) for pk in ids] for role, ids in wanted.items() if ids}
    if not arrays:
        return {}
    at = at or timezone.now()
    condition, role_of = _grants_condition(arrays)

    def build():
        lent = "user__delegations_given"  # each holder's delegation in force, if any: the same query (a left join)
        return (
            UserObjectPermission.objects.filter(condition, user__is_active=True)
            .annotate(lent=FilteredRelation(lent, condition=Q(**{
                f"{lent}__start__lte": at, f"{lent}__end__gt": at, f"{lent}__cancelled__isnull": True,
            })))
            .order_by("user__username", "id")
            .values_list(
                "content_type_id", "permission__codename", "object_pk", "user_id", "user__username", "user__email",
                "user__last_name", "user__first_name", "lent__delegate_id", "lent__delegate__username", "lent__delegate__email",
                "lent__delegate__last_name", "lent__delegate__first_name", "lent__delegate__is_active",
            )
        )

    if compiled_once:
        sql, params = _holders_statements.get(
            # the roles asked, as their grants' content types and codenames (a database made again, as the browser
            # tests' are, gives them other ids): all the statement is made of but the bound values
            ("holders", *role_of), bound={"at": at, **{f"role {role}": ids for role, ids in arrays.items()}},
            build=lambda: build().query.sql_with_params(),
        )
        with prepared_cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    else:
        rows = build()
    result: dict[tuple[str, int], list[Holder]] = {}
    people: dict[int, Holder] = {}
    lent_to: dict[tuple[str, int], list[Holder]] = {}
    for (content_type_id, permission, object_pk, user_id, username, email, last_name, first_name,
         delegate_id, delegate_username, delegate_email, delegate_last, delegate_first, delegate_active) in rows:
        person = people.get(user_id)
        if person is None:
            person = people[user_id] = Holder(user_id, username, email, f"{last_name}{first_name}".strip() or username)
        key = (role_of[(content_type_id, permission)], int(object_pk))
        holders = result.setdefault(key, [])
        if not holders or holders[-1].pk != user_id:  # (one row per delegation in force: the holder once)
            holders.append(person)
        if delegate_id is not None and delegate_active and key[0] in DELEGATED_ROLES:
            name = f"{delegate_last}{delegate_first}".strip() or delegate_username
            lent_to.setdefault(key, []).append(Holder(delegate_id, delegate_username, delegate_email, name, person.name, user_id))
    for key, delegates in lent_to.items():  # a delegate holds the principal's role: listed after the holders
        holders = result[key]
        present = {holder.pk for holder in holders}
        for delegate in delegates:
            if delegate.pk not in present:
                present.add(delegate.pk)
                holders.append(delegate)
    return result
