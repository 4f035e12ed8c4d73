"""Reads for the 人员与角色 page: whom an administrator manages, who holds what in an agency, which steps nobody can act on."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, CharField, IntegerField, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat
from guardian.models import UserObjectPermission

from core.pagination import keyset_page
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


def _scope_filter(agency, sections=None) -> Q:
    """The guardian rows of role grants on ``agency`` and its sections (``sections``: those already read, else
    ``agency.sections``, read here or prefetched)."""
    agency_type = ContentType.objects.get_for_model(Agency)
    section_type = ContentType.objects.get_for_model(Section)
    section_pks = [str(section.pk) for section in (agency.sections.all() if sections is None else sections)]
    return Q(content_type=agency_type, object_pk=str(agency.pk)) | Q(content_type=section_type, object_pk__in=section_pks)


def _role_rows():
    return UserObjectPermission.objects.filter(permission__codename__in=list(_ROLE_OF_CODENAME))


# The page's order: active people first, then by their first role here (单位管理员 after 经办人, as ``Role``), then by
# username; ``role_rank`` is an annotation of ``agency_people_queryset``, so a page is a keyset page on all three.
PEOPLE_ORDER = ("-is_active", "role_rank", "username")
PEOPLE_PAGE = 50


def _changes_here(agency) -> QuerySet:
    """The RoleChange records that keep a person on ``agency``'s page: added for it, or once given or denied one
    of its roles other than 财政审核人."""
    return RoleChange.objects.filter(agency=agency).filter(
        Q(kind=RoleChange.Kind.CREATE)
        | Q(kind__in=[RoleChange.Kind.GRANT, RoleChange.Kind.REVOKE]) & ~Q(role=Role.FINANCE_REVIEWER)
    )


def _text_filter(query: str) -> Q:
    """A person whose username, 姓名 (family name first) or e-mail contains ``query`` (any case); needs ``full_name``."""
    return Q(username__icontains=query) | Q(full_name__icontains=query) | Q(email__icontains=query)


def agency_people_queryset(agency, *, search: str = "", section=None) -> QuerySet:
    """The people of ``agency``'s page (see ``agency_people``) as one query, annotated with ``role_rank`` (their
    first role here in ``Role``'s order; no role: last) and ``full_name``, for ``PEOPLE_ORDER``.

    ``search``: username, 姓名 or e-mail containing it; ``section``: people holding a role on that section."""
    scope = _scope_filter(agency)
    rank = Case(
        *[When(permission__codename=code, then=Value(ROLE_ORDER[role])) for code, role in _ROLE_OF_CODENAME.items()],
        output_field=IntegerField(),
    )
    first_role = _role_rows().filter(scope, user_id=OuterRef("pk")).order_by().values("user_id").annotate(rank=Min(rank))
    members = _role_rows().filter(scope).order_by().values_list("user_id").union(_changes_here(agency).order_by().values_list("person_id"))
    people = get_user_model().objects.filter(pk__in=members).annotate(
        role_rank=Coalesce(Subquery(first_role.values("rank"), output_field=IntegerField()), Value(len(ROLE_ORDER))),
        full_name=Concat("last_name", "first_name", output_field=CharField()),
    )
    search = (search or "").strip()[:100]
    if search:
        people = people.filter(_text_filter(search))
    if section is not None:
        section_type = ContentType.objects.get_for_model(Section)
        people = people.filter(pk__in=_role_rows().filter(content_type=section_type, object_pk=str(section.pk)).values("user_id"))
    return people


def person_rows(agency, users) -> list[PersonRow]:
    """``users`` (people of ``agency``'s page) as the page's rows, in the order given: their grants here and what
    the page decides by (added or managed here, roles elsewhere, a 财政审核人 anywhere), in five queries whatever
    their number (and one for the sections, unless prefetched)."""
    users = list(users)
    user_ids = [user.pk for user in users]
    if not user_ids:
        return []
    sections = {str(section.pk): section for section in agency.sections.all()}
    here = _scope_filter(agency, sections.values())
    grants: dict[int, list[Grant]] = {}
    for user_id, code, object_pk in _role_rows().filter(here, user_id__in=user_ids).values_list(
        "user_id", "permission__codename", "object_pk"
    ):
        role = _ROLE_OF_CODENAME[code]
        scope = sections.get(object_pk) if roles.is_section_role(role) else agency
        if scope is not None:
            grants.setdefault(user_id, []).append(Grant(role, scope))
    created_ids, held_ids = set(), set()
    for person_id, kind in _changes_here(agency).filter(person_id__in=user_ids).order_by().values_list("person_id", "kind").distinct():
        (created_ids if kind == RoleChange.Kind.CREATE else held_ids).add(person_id)
    elsewhere = set(
        _role_rows().filter(user_id__in=user_ids).exclude(here).order_by().values_list("user_id", flat=True).distinct()
    )
    finance = set(
        _role_rows().filter(user_id__in=user_ids, permission__codename=roles.codename(Role.FINANCE_REVIEWER))
        .order_by().values_list("user_id", flat=True).distinct()
    )
    return [
        PersonRow(
            user, sorted(grants.get(user.pk, []), key=lambda g: (ROLE_ORDER[g.role], g.scope.name if g.on_section else "")),
            created_here=user.pk in created_ids, held_here=user.pk in held_ids, elsewhere=user.pk in elsewhere,
            finance_anywhere=user.pk in finance,
        )
        for user in users
    ]


def agency_people_page(agency, *, search: str = "", section=None, cursor=None, size: int = PEOPLE_PAGE, params=None):
    """One keyset page of ``agency``'s people (``PEOPLE_ORDER``) as ``PersonRow``s: the same queries on page 1 of
    an agency of 5 people and page 20 of one of 1,000."""
    page = keyset_page(
        agency_people_queryset(agency, search=search, section=section), PEOPLE_ORDER, cursor=cursor, size=size, params=params,
    )
    page.rows = person_rows(agency, page.rows)
    return page


def agency_people(agency, *, only=None) -> list[PersonRow]:
    """Everyone who holds a role on ``agency`` or one of its sections (active or not), everyone added for it, and
    everyone who once held one of its roles other than 财政审核人 (their last role taken away, they stay listed
    without roles and can be given one again), in the page's order. Every one of them: the page itself reads
    ``agency_people_page``.

    ``only``: restrict to one user (for a permission check)."""
    people = agency_people_queryset(agency)
    if only is not None:
        people = people.filter(pk=only.pk)
    return person_rows(agency, people.order_by(*PEOPLE_ORDER))


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


def grant_candidates(by, agency, query: str = "", *, limit: int = CANDIDATE_LIMIT) -> list:
    """At most ``limit`` people ``by`` may give a role of ``agency`` to, matching ``query`` (username, 姓名 or
    e-mail, any case), in the page's order: the type-ahead of 授予角色. Whom it offers is what the page offered
    before as a list: a superuser, anyone (the province's accounts, searched in the database); an agency
    administrator, the people of the page they manage (``may_manage_person``, written as a filter), no one else."""
    query = (query or "").strip()[:100]
    if not roles.can_manage_people(by, agency):
        return []
    if by.is_superuser and query:
        return list(_named(get_user_model().objects.all(), query).order_by("username", "pk")[:limit])
    people = agency_people_queryset(agency, search=query)
    if not by.is_superuser:
        own_grants = _role_rows().filter(_scope_filter(agency)).exclude(permission__codename=roles.codename(Role.FINANCE_REVIEWER))
        people = people.filter(is_superuser=False).filter(
            Q(pk__in=_changes_here(agency).values("person_id")) | Q(pk__in=own_grants.values("user_id"))
        )
    return list(people.order_by(*PEOPLE_ORDER)[:limit])


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


def _agency_roles_on(agency_ids) -> QuerySet:
    """The grant rows (other than 财政审核人) on these agencies and their sections: who works for them."""
    agency_type = ContentType.objects.get_for_model(Agency)
    section_type = ContentType.objects.get_for_model(Section)
    sections = [str(pk) for pk in Section.objects.filter(agency_id__in=agency_ids).values_list("pk", flat=True)]
    return _role_rows().filter(
        Q(content_type=agency_type, object_pk__in=[str(pk) for pk in agency_ids]) | Q(content_type=section_type, object_pk__in=sections)
    ).exclude(permission__codename=roles.codename(Role.FINANCE_REVIEWER))


def _named(people: QuerySet, query: str) -> QuerySet:
    """``people`` whose username, 姓名 or e-mail contains ``query`` (any case; all of them for no query)."""
    people = people.annotate(full_name=Concat("last_name", "first_name", output_field=CharField()))
    query = (query or "").strip()[:100]
    return people.filter(_text_filter(query)) if query else people


def _person_named(pk, typed: str):
    """The person of a chosen id (a picker's hidden field), else of a typed username or “姓名（用户名）”; None if none."""
    User = get_user_model()
    if pk not in (None, ""):
        pk = str(pk).strip()
        return User.objects.filter(pk=int(pk)).first() if pk.isdigit() and len(pk) <= 18 else None
    username = _typed_username(typed)
    return User.objects.filter(username=username).first() if username else None


def _typed_username(text: str) -> str:
    """A username typed, or “姓名（用户名）” as a picker lists a person."""
    text = (text or "").strip()
    return text.rsplit("（", 1)[-1].rstrip("）").strip() if text.endswith("）") else text


def delegation_principals(by, query: str = "", *, limit: int = CANDIDATE_LIMIT) -> list:
    """Whom ``by`` may set a delegation for (the 委托人 type-ahead), at most ``limit`` matching ``query``: themself
    first, then the active people who work for an agency ``by`` administers (``may_manage_delegation_of`` written as
    a filter: a role there other than 财政审核人, never a superuser), by username. Searched in the database: an
    agency of 1,000 people is never read whole."""
    query = (query or "").strip()[:100]
    User = get_user_model()
    found = list(_named(User.objects.filter(pk=by.pk), query)) if by.is_authenticated else []
    agencies = delegation_managers_agencies(by)
    if agencies and len(found) < limit:
        others = User.objects.filter(is_active=True, is_superuser=False, pk__in=_agency_roles_on(agencies).values("user_id"))
        found += list(_named(others.exclude(pk=by.pk), query).order_by("username", "pk")[: limit - len(found)])
    return found


def delegation_principal(by, *, pk=None, typed: str = ""):
    """The 委托人 the form names (a chosen id, else a typed username or “姓名（用户名）”) when ``by`` may set their
    delegations, else None: a person ``by`` may not reach is not found, as one that does not exist."""
    person = _person_named(pk, typed)
    return person if person is not None and may_manage_delegation_of(by, person) else None


def _delegation_pool(principal):
    """(the people ``principal`` may delegate to, active or not, themself included; what the form says they must be)
    as the service decides (``people.services._delegation_refusal``): for a finance reviewer, the other finance
    reviewers who work for no agency; else the people who work for every agency whose sheets the principal reviews
    (经办人, 科室负责人, 局领导). (None, why) when no one can be: nothing to delegate, or both kinds at once."""
    User = get_user_model()
    finance = bool(own_scope_ids(principal, Role.FINANCE_REVIEWER))
    agencies = person_agency_ids(principal, (Role.STAFF, Role.SECTION_HEAD, Role.LEADER))
    if finance and agencies:
        return None, f"{roles.display_name(principal)}同时担任财政审核人和单位的审批角色，不能委托。"
    if finance:
        reviewers = _role_rows().filter(permission__codename=roles.codename(Role.FINANCE_REVIEWER)).values("user_id")
        agency_roles = _role_rows().exclude(permission__codename=roles.codename(Role.FINANCE_REVIEWER)).values("user_id")
        return User.objects.filter(pk__in=reviewers).exclude(pk__in=agency_roles), "财政审核人只能委托给财政部门的其他财政审核人"
    if not agencies:
        return None, f"{roles.display_name(principal)}没有可以委托的审批角色。"
    people = User.objects.all()
    for agency_id in agencies:  # every one of them: a delegate reviews the principal's sheets of each
        people = people.filter(pk__in=_agency_roles_on([agency_id]).values("user_id"))
    names = "、".join(Agency.objects.filter(pk__in=agencies).order_by("code").values_list("name", flat=True))
    return people, f"不能跨单位委托，受托人须是{names}的人员"


def delegation_candidates(principal, query: str = "", *, limit: int = CANDIDATE_LIMIT) -> list:
    """At most ``limit`` people ``principal`` may delegate to, matching ``query`` (username, 姓名 or e-mail), by
    username: the 受托人 type-ahead. Active, never the principal, never a superuser (unless the principal is one)."""
    pool, _ = _delegation_pool(principal)
    if pool is None:
        return []
    pool = pool.filter(is_active=True).exclude(pk=principal.pk)
    if not principal.is_superuser:
        pool = pool.filter(is_superuser=False)
    return list(_named(pool, query).order_by("username", "pk")[:limit])


def delegation_candidate(principal, *, pk=None, typed: str = ""):
    """(the 受托人 the form names — a chosen id, else a typed username or “姓名（用户名）” — , None) when the type-ahead
    could have offered them for ``principal``, else (None, a Chinese message). A person outside the principal's pool
    is not found, as one that does not exist (their name is not shown)."""
    typed = (typed or "").strip()
    if pk in (None, "") and not typed:
        return None, "请填写受托人。"
    person = _person_named(pk, typed)
    pool, rule = _delegation_pool(principal)
    if pool is None:
        return None, rule
    if person is not None and person.pk == principal.pk:
        return None, "不能委托给自己。"
    if person is None or not pool.filter(pk=person.pk).exists() or (person.is_superuser and not principal.is_superuser):
        named = f"“{typed}”" if typed else ""  # a forged id's owner is not named
        return None, f"没有找到可以受托的人员{named}：{rule}。请输入姓名或用户名，从列表中选择。"
    if not person.is_active:
        return None, f"{roles.display_name(person)}的账号已停用，不能受托。"
    return person, None
