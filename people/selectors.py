"""Reads for the 人员与角色 page: whom an administrator manages, who holds what in an agency, which steps nobody can act on."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Concat
from guardian.models import UserObjectPermission

from people import roles
from people.models import RoleChange
from people.roles import Role
from projects.models import Agency, Section, TargetSheet

ROLE_ORDER = {role: index for index, role in enumerate(Role.values)}
_ROLE_OF_CODENAME = {roles.codename(role): role for role in Role.values}

def managed_agencies(user) -> QuerySet:
    """Agencies whose people ``user`` manages: all for a superuser, else where they are 单位管理员."""
    if not (user.is_authenticated and user.is_active):
        return Agency.objects.none()
    if user.is_superuser:
        return Agency.objects.all()
    return Agency.objects.filter(pk__in=roles.scope_ids(user, Role.AGENCY_ADMIN))


def manages_any_agency(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or roles.holds_any(user, Role.AGENCY_ADMIN)


# ---------------------------------------------------------------- who holds what


@dataclass
class Grant:
    role: str
    scope: object  # a Section or the Agency

    @property
    def role_label(self) -> str:
        return roles.ROLE_LABELS[self.role]

    @property
    def on_section(self) -> bool:
        return roles.is_section_role(self.role)

    @property
    def scope_label(self) -> str:
        return self.scope.name if self.on_section else "本单位"

    @property
    def value(self) -> str:
        """How a form names this grant: ``<role>:<scope pk>``."""
        return f"{self.role}:{self.scope.pk}"


@dataclass
class PersonRow:
    user: object
    grants: list[Grant] = field(default_factory=list)
    created_here: bool = False  # added to this agency on the 人员与角色 page
    held_here: bool = False  # held a role of this agency (other than 财政审核人) at some time, maybe no longer
    elsewhere: bool = False  # holds roles in other agencies too
    finance_anywhere: bool = False  # a 财政审核人 somewhere: belongs to the finance bureau

    @property
    def sort_key(self):
        first = min((ROLE_ORDER[g.role] for g in self.grants), default=len(ROLE_ORDER))
        return (not self.user.is_active, first, self.user.username)


def _scope_filter(agency) -> Q:
    """The guardian rows of role grants on ``agency`` and its sections."""
    agency_type = ContentType.objects.get_for_model(Agency)
    section_type = ContentType.objects.get_for_model(agency.sections.model)
    section_pks = [str(pk) for pk in agency.sections.values_list("pk", flat=True)]
    return Q(content_type=agency_type, object_pk=str(agency.pk)) | Q(content_type=section_type, object_pk__in=section_pks)


def _role_rows():
    return UserObjectPermission.objects.filter(permission__codename__in=list(_ROLE_OF_CODENAME))


def agency_people(agency, *, only=None) -> list[PersonRow]:
    """Everyone who holds a role on ``agency`` or one of its sections (active or not), everyone added for it, and
    everyone who once held one of its roles other than 财政审核人 (their last role taken away, they stay listed
    without roles and can be given one again).

    ``only``: restrict to one user (for a permission check)."""
    rows = _role_rows().filter(_scope_filter(agency)).select_related("permission")
    created = RoleChange.objects.filter(agency=agency, kind=RoleChange.Kind.CREATE)
    held = RoleChange.objects.filter(agency=agency, kind__in=[RoleChange.Kind.GRANT, RoleChange.Kind.REVOKE]).exclude(
        role=Role.FINANCE_REVIEWER
    )
    if only is not None:
        rows = rows.filter(user=only)
        created = created.filter(person=only)
        held = held.filter(person=only)
    sections = {str(s.pk): s for s in agency.sections.all()}
    grants: dict[int, list[Grant]] = {}
    for row in rows:
        role = _ROLE_OF_CODENAME[row.permission.codename]
        scope = sections.get(row.object_pk) if roles.is_section_role(role) else agency
        if scope is not None:
            grants.setdefault(row.user_id, []).append(Grant(role, scope))
    created_ids = set(created.values_list("person_id", flat=True))
    held_ids = set(held.values_list("person_id", flat=True).distinct())
    user_ids = set(grants) | created_ids | held_ids
    if not user_ids:
        return []
    elsewhere = set(_role_rows().filter(user_id__in=user_ids).exclude(_scope_filter(agency)).values_list("user_id", flat=True))
    finance_rows = _role_rows().filter(user_id__in=user_ids, permission__codename=roles.codename(Role.FINANCE_REVIEWER))
    finance = set(finance_rows.values_list("user_id", flat=True))
    people = []
    for user in get_user_model().objects.filter(pk__in=user_ids):
        held = sorted(grants.get(user.pk, []), key=lambda g: (ROLE_ORDER[g.role], g.scope.name if g.on_section else ""))
        people.append(
            PersonRow(
                user, held, created_here=user.pk in created_ids, held_here=user.pk in held_ids, elsewhere=user.pk in elsewhere,
                finance_anywhere=user.pk in finance,
            )
        )
    return sorted(people, key=lambda p: p.sort_key)


def person_row(agency, person) -> PersonRow | None:
    """``person``'s row on ``agency``'s page, or None when they have nothing to do with it."""
    found = agency_people(agency, only=person)
    return found[0] if found else None


def may_manage_person(by, agency, row: PersonRow | None) -> bool:
    """May ``by`` grant to, revoke from (other than 财政审核人) this person on ``agency``'s page?

    A superuser: anyone. An agency administrator: people who hold or held a role of the agency's own
    (not 财政审核人, which the finance bureau's people hold) or who were added for it, never a superuser."""
    if row is None or not roles.can_manage_people(by, agency):
        return False
    if by.is_superuser:
        return True
    if row.user.is_superuser:
        return False
    return row.created_here or row.held_here or any(g.role != Role.FINANCE_REVIEWER for g in row.grants)


def may_switch_account(by, agency, row: PersonRow | None) -> bool:
    """May ``by`` deactivate or reactivate this person's account from ``agency``'s page?

    The account is used everywhere, so an agency administrator may do it only for people who
    work for this agency alone (no role in another agency, not a finance reviewer), never for themselves."""
    if not may_manage_person(by, agency, row) or row.user.pk == by.pk:
        return False
    return by.is_superuser or not (row.elsewhere or row.finance_anywhere)


def may_set_wecom_id(by, agency, row: PersonRow | None) -> bool:
    """May ``by`` change this person's WeCom id (their sign-in identity from WeCom) from ``agency``'s page?

    Like the account itself, the identity is used everywhere: an agency administrator reaches only people who work
    for this agency alone (themself included; every change still waits for the person's own confirmation)."""
    if not may_manage_person(by, agency, row):
        return False
    return by.is_superuser or not (row.elsewhere or row.finance_anywhere)


# ---------------------------------------------------------------- who can act on each review step


def assigned_task_count(user) -> int:
    """Review steps reassigned to ``user`` right now (a step's assignee is cleared when the sheet moves on)."""
    return TargetSheet.objects.filter(assignee=user).count()


# ---------------------------------------------------------------- the audit


def agency_log(agency) -> QuerySet:
    """The agency's RoleChange records, newest first."""
    return RoleChange.objects.filter(agency=agency).select_related("person", "by", "section").order_by("-created", "-id")


# ---------------------------------------------------------------- the 授予角色 person picker

CANDIDATE_LIMIT = 20


def _matches(user, query: str) -> bool:
    text = query.casefold()
    return not text or any(text in value.casefold() for value in (user.username, roles.display_name(user), user.email or ""))


def grant_candidates(by, agency, query: str = "", *, limit: int = CANDIDATE_LIMIT) -> list:
    """At most ``limit`` people ``by`` may give a role of ``agency`` to, matching ``query`` (username, 姓名 or
    e-mail, any case), in the page's order: the type-ahead of 授予角色. Whom it offers is what the page offered
    before as a list: a superuser, anyone (the province's accounts, searched in the database); an agency
    administrator, the people of the page they manage (``may_manage_person``), no one else."""
    query = (query or "").strip()[:100]
    if not roles.can_manage_people(by, agency):
        return []
    if by.is_superuser and query:
        User = get_user_model()
        name = Concat("last_name", "first_name", output_field=CharField())
        condition = Q(username__icontains=query) | Q(email__icontains=query) | Q(full_name__icontains=query)
        return list(User.objects.annotate(full_name=name).filter(condition).order_by("username", "pk")[:limit])
    found = []
    for row in agency_people(agency):
        if may_manage_person(by, agency, row) and _matches(row.user, query):
            found.append(row.user)
            if len(found) == limit:
                break
    return found


def grant_candidate_by_username(by, agency, username: str):
    """The person of that exact username when ``by`` may give them a role of ``agency`` (the picker without
    JavaScript: a typed username), else None: an account ``by`` may not reach is not found, as one that does not
    exist."""
    username = (username or "").strip()
    if not username or not roles.can_manage_people(by, agency):
        return None
    person = get_user_model().objects.filter(username=username).first()
    if person is None:
        return None
    return person if by.is_superuser or may_manage_person(by, agency, person_row(agency, person)) else None


# ---------------------------------------------------------------- 委托 (delegations)

DELEGATION_PAGE = 100  # a page lists at most this many delegations (the newest first)


def own_scope_ids(user, role: str) -> set[int]:
    """Scope ids of ``role`` granted to ``user`` themself, whether or not the account is active (no delegation)."""
    return {int(pk) for pk in roles._grants(user, role, direct=True).values_list("object_pk", flat=True)}


def person_agency_ids(user, role_list=(Role.STAFF, Role.SECTION_HEAD, Role.LEADER, Role.AGENCY_ADMIN)) -> set[int]:
    """The agencies ``user`` works for by their own grants (active or not) of ``role_list``: a section role counts
    for the section's agency. 财政审核人 is not among the defaults: it is held on the agencies finance reviews."""
    ids: set[int] = set()
    for role in role_list:
        scopes = own_scope_ids(user, role)
        if roles.is_section_role(role):
            ids |= set(Section.objects.filter(pk__in=scopes).values_list("agency_id", flat=True))
        else:
            ids |= scopes
    return ids


def delegation_managers_agencies(by) -> set[int]:
    """The agencies whose people ``by`` sets delegations for (their 单位管理员's agencies)."""
    return set(roles.scope_ids(by, Role.AGENCY_ADMIN)) if by.is_authenticated and by.is_active else set()


def may_manage_delegation_of(by, principal) -> bool:
    """May ``by`` set or cancel ``principal``'s delegations? The person themself, a superuser, or a 单位管理员 of an
    agency the principal works for (``may_manage_person``: never a superuser's, never a finance-only person's)."""
    if not (by.is_authenticated and by.is_active) or principal is None:
        return False
    if by.is_superuser or by.pk == principal.pk:
        return True
    agencies = delegation_managers_agencies(by) & person_agency_ids(principal)
    return any(may_manage_person(by, agency, person_row(agency, principal)) for agency in Agency.objects.filter(pk__in=agencies))


def delegations_visible(user) -> QuerySet:
    """The delegations ``user`` may read, newest first: their own (as principal or delegate, or set by them), and
    — a 单位管理员 — those of the people of their agencies; a superuser, all."""
    from people.models import Delegation

    rows = Delegation.objects.select_related("principal", "delegate", "created_by", "cancelled_by").order_by("-start", "-id")
    if not (user.is_authenticated and user.is_active):
        return rows.none()
    if user.is_superuser:
        return rows
    mine = Q(principal=user) | Q(delegate=user) | Q(created_by=user)
    agencies = delegation_managers_agencies(user)
    if agencies:
        agency_type = ContentType.objects.get_for_model(Agency)
        section_type = ContentType.objects.get_for_model(Section)
        sections = [str(pk) for pk in Section.objects.filter(agency_id__in=agencies).values_list("pk", flat=True)]
        scoped = _role_rows().filter(
            Q(content_type=agency_type, object_pk__in=[str(pk) for pk in agencies]) | Q(content_type=section_type, object_pk__in=sections)
        ).exclude(permission__codename=roles.codename(Role.FINANCE_REVIEWER))
        mine |= Q(principal_id__in=scoped.values("user_id"))
    return rows.filter(mine)


def delegation_principals(by) -> list:
    """Whom ``by`` may set a delegation for on the page: themself first, then the people of the agencies they
    administer (bounded by the agencies' people: tens)."""
    found = {by.pk: by}
    for agency in Agency.objects.filter(pk__in=delegation_managers_agencies(by)).order_by("code"):
        for row in agency_people(agency):
            if row.user.is_active and row.grants and may_manage_person(by, agency, row):
                found.setdefault(row.user.pk, row.user)
    return list(found.values())


def delegation_candidates(principal, *, limit: int = 200) -> list:
    """Whom ``principal`` may delegate to (the page's list): the active people of the agencies they work for, or —
    a finance reviewer — the other finance reviewers; never themself."""
    from guardian.models import UserObjectPermission

    agencies = person_agency_ids(principal)
    User = get_user_model()
    if agencies:
        found: dict[int, object] = {}
        for agency in Agency.objects.filter(pk__in=agencies).order_by("code"):
            for row in agency_people(agency):
                if row.user.is_active and row.user.pk != principal.pk and any(g.role != Role.FINANCE_REVIEWER for g in row.grants):
                    found.setdefault(row.user.pk, row.user)
        return list(found.values())[:limit]
    finance = UserObjectPermission.objects.filter(permission__codename=roles.codename(Role.FINANCE_REVIEWER)).values("user_id")
    return list(User.objects.filter(pk__in=finance, is_active=True).exclude(pk=principal.pk).order_by("username")[:limit])
