"""Writes on people and their roles; every change is recorded in RoleChange."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from core import errors
from people import roles, selectors
from people.models import RoleChange
from people.roles import Role
from people.signals import role_revoked
from projects.models import Section


def _scope_fields(scope) -> dict:
    if isinstance(scope, Section):
        return {"section": scope, "agency": scope.agency}
    return {"agency": scope}


def _check_scope(role: str, scope) -> None:
    if role not in roles.SCOPE_PERMISSIONS:
        raise errors.invalid(f"未知的角色“{role}”。")
    if not isinstance(scope, roles.scope_model(role)):
        kind = "科室" if roles.is_section_role(role) else "单位"
        raise errors.invalid(f"“{roles.ROLE_LABELS[role]}”只能在{kind}上授予。")


SHEET_ROLES = roles.SHEET_ROLES
DUTIES_RULE = roles.DUTIES_RULE


def _overlapping(role: str, scope, other: str, ids: set[int]) -> list:
    """The scopes among ``ids`` (where ``other`` is held) whose sheets are also sheets of ``scope`` (``role``'s)."""
    section_role, other_section_role = roles.is_section_role(role), roles.is_section_role(other)
    if section_role and other_section_role:
        return [scope] if scope.pk in ids else []
    if section_role:  # ``other`` is held on agencies: the section's own
        return [scope.agency] if scope.agency_id in ids else []
    if other_section_role:  # ``role`` is held on an agency: ``other`` on its sections
        return list(Section.objects.filter(agency=scope, pk__in=ids).order_by("name")[:1])
    return [scope] if scope.pk in ids else []


def _refuse_reviewing_own_work(*, user, role: str, scope) -> None:
    """A person granting themself a second role of a sheet's approval on the same sheets (say 科室负责人 of the section
    where they are 经办人, or 局领导 of its agency) would review their own work: refused. Granted by someone else it
    stays allowed (a small office's head also drafts); ``workflow.flow`` still never lets one person submit and
    approve, or approve twice, in one round."""
    if role not in SHEET_ROLES:
        return
    for other in SHEET_ROLES:
        if other == role:
            continue
        held = _overlapping(role, scope, other, _raw_scope_ids(user, other))
        if held:
            raise errors.invalid(
                f"不能给自己授予会审核自己工作的角色（{DUTIES_RULE}）：您已担任“{roles.ROLE_LABELS[other]}”（{held[0].name}），"
                f"不能再给自己授予“{roles.ROLE_LABELS[role]}”（{scope.name}）。确需兼任的，须由其他管理员授予。",
                code="separation_of_duties",
            )


@transaction.atomic
def role_grant(*, user, role: str, scope, by=None, note: str = "") -> bool:
    """Give ``user`` the role on ``scope``; True when it is new (a grant already held changes nothing). Nobody grants
    themself a role that reviews their own work (``_refuse_reviewing_own_work``)."""
    _check_scope(role, scope)
    if roles.has_role(user, role, scope) or (not user.is_active and scope.pk in _raw_scope_ids(user, role)):
        return False
    if by is not None and by.pk == user.pk:
        _refuse_reviewing_own_work(user=user, role=role, scope=scope)
    assign_perm(roles.SCOPE_PERMISSIONS[role][0], user, scope)
    roles.forget(user)
    RoleChange.objects.create(kind=RoleChange.Kind.GRANT, person=user, role=role, by=by, note=note, **_scope_fields(scope))
    return True


@transaction.atomic
def role_revoke(*, user, role: str, scope, by=None, note: str = "") -> bool:
    """Take the role on ``scope`` away; the person's open tasks there go back to the step's other holders."""
    _check_scope(role, scope)
    if scope.pk not in _raw_scope_ids(user, role):
        return False
    remove_perm(roles.SCOPE_PERMISSIONS[role][0], user, scope)
    roles.forget(user)
    RoleChange.objects.create(kind=RoleChange.Kind.REVOKE, person=user, role=role, by=by, note=note, **_scope_fields(scope))
    role_revoked.send(sender=RoleChange, user=user, role=role, scope=scope, by=by)
    return True


def _raw_scope_ids(user, role: str) -> set[int]:
    """Scope ids of ``role`` granted to ``user`` whether or not the account is active."""
    from guardian.models import UserObjectPermission

    permission, model = roles.SCOPE_PERMISSIONS[role]
    return {
        int(pk)
        for pk in UserObjectPermission.objects.filter(
            user=user, permission__codename=roles.codename(role), content_type__app_label=model._meta.app_label,
            content_type__model=model._meta.model_name,
        ).values_list("object_pk", flat=True)
    }


def grants_of(user) -> list[tuple[str, object]]:
    """Every (role, scope) ``user`` holds, active or not."""
    held = []
    for role, (_, model) in roles.SCOPE_PERMISSIONS.items():
        ids = _raw_scope_ids(user, role)
        held += [(role, scope) for scope in model.objects.filter(pk__in=ids)]
    return held


@transaction.atomic
def person_create(*, username: str, last_name: str, first_name: str, email: str = "", password: str | None = None, agency, by=None):
    """A new account (password set, or unusable until one is set by an administrator)."""
    User = get_user_model()
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise errors.invalid(f"用户名“{username}”已被使用。")
    user = User(username=username, last_name=last_name.strip(), first_name=first_name.strip(), email=email.strip())
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    RoleChange.objects.create(kind=RoleChange.Kind.CREATE, person=user, agency=agency, by=by)
    return user


@transaction.atomic
def person_deactivate(*, user, by=None, agency=None) -> int:
    """Deactivate the account: it can no longer sign in or act; its open tasks go back to the other holders.

    Returns the number of role grants whose tasks were handed back."""
    if by is not None and by.pk == user.pk:
        raise errors.invalid("不能停用自己的账号。")
    if not user.is_active:
        return 0
    user.is_active = False
    user.save(update_fields=["is_active"])
    roles.forget(user)
    RoleChange.objects.create(kind=RoleChange.Kind.DEACTIVATE, person=user, agency=agency, by=by)
    held = grants_of(user)
    for role, scope in held:
        role_revoked.send(sender=RoleChange, user=user, role=role, scope=scope, by=by)
    return len(held)


@transaction.atomic
def person_activate(*, user, by=None, agency=None) -> None:
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    roles.forget(user)
    RoleChange.objects.create(kind=RoleChange.Kind.ACTIVATE, person=user, agency=agency, by=by)


# ---------------------------------------------------------------- writes made on the 人员与角色 page
# The same audited writes, with the actor's authority checked here (not only by the page):
# ``by`` must manage ``agency`` (its 单位管理员, or a superuser); 财政审核人 is granted and taken
# away by a superuser only (an agency does not appoint its own finance reviewer); an agency
# administrator reaches only the people of ``selectors.may_manage_person``, never a superuser.


def _require_manager(by, agency) -> None:
    if by is None or not roles.can_manage_people(by, agency):
        raise errors.not_found("没有找到该单位。")


def _require_role(by, role: str, scope, agency) -> None:
    _check_scope(role, scope)
    owner = scope.agency if isinstance(scope, Section) else scope
    if owner.pk != agency.pk:
        raise errors.invalid("只能授予或撤销本单位及其科室的角色。")
    if role == Role.FINANCE_REVIEWER and not by.is_superuser:
        raise errors.forbidden("财政审核人只能由系统管理员授予或撤销：单位不能任命自己的财政审核人。")


def _require_person(by, agency, user):
    """``user``'s row on the agency's page, if ``by`` may manage them there."""
    row = selectors.person_row(agency, user)
    if by.is_superuser:
        return row
    if user.is_superuser:
        raise errors.forbidden("不能修改系统管理员的账号或角色。")
    if row is None:
        raise errors.not_found("没有找到该人员。")  # not this agency's: do not reveal more
    if not selectors.may_manage_person(by, agency, row):
        raise errors.forbidden("该人员只在本单位担任财政审核人，由系统管理员管理。")
    return row


@transaction.atomic
def managed_person_create(
    *, by, agency, username: str, last_name: str, first_name: str, email: str = "", password: str | None = None,
    role: str | None = None, scope=None, note: str = "",
):
    """Add a person for ``agency`` (with a first role there, if given)."""
    _require_manager(by, agency)
    if role:
        _require_role(by, role, scope, agency)
    user = person_create(
        username=username, last_name=last_name, first_name=first_name, email=email, password=password, agency=agency, by=by,
    )
    if role:
        role_grant(user=user, role=role, scope=scope, by=by, note=note)
    return user


@transaction.atomic
def managed_role_grant(*, by, agency, user, role: str, scope, note: str = "") -> bool:
    """Give ``user`` the role on ``agency`` or one of its sections; True when it is new."""
    _require_manager(by, agency)
    _require_role(by, role, scope, agency)
    _require_person(by, agency, user)
    return role_grant(user=user, role=role, scope=scope, by=by, note=note)


def managed_role_revoke_check(*, by, agency, user, role: str, scope) -> None:
    """What ``managed_role_revoke`` refuses, without writing anything (the revoke confirmation page asks first)."""
    _require_manager(by, agency)
    _require_role(by, role, scope, agency)
    _require_person(by, agency, user)
    if role == Role.AGENCY_ADMIN and user.pk == by.pk:
        raise errors.invalid("不能撤销自己的单位管理员角色。")
    if scope.pk not in _raw_scope_ids(user, role):
        raise errors.conflict("该人员已经没有这个角色。", code="not_held")


@transaction.atomic
def managed_role_revoke(*, by, agency, user, role: str, scope, note: str = "") -> int:
    """Take the role away; returns how many of the person's open tasks went back to the step's other holders."""
    managed_role_revoke_check(by=by, agency=agency, user=user, role=role, scope=scope)
    before = selectors.assigned_task_count(user)
    if not role_revoke(user=user, role=role, scope=scope, by=by, note=note):
        raise errors.conflict("该人员已经没有这个角色。", code="not_held")
    return before - selectors.assigned_task_count(user)


def _require_account(by, agency, user) -> None:
    if by.pk == user.pk:
        raise errors.invalid("不能停用或启用自己的账号。")
    row = _require_person(by, agency, user)
    if not by.is_superuser and not selectors.may_switch_account(by, agency, row):
        raise errors.forbidden("该人员还在其他单位或财政部门担任角色，只能由系统管理员停用或启用其账号。")


@transaction.atomic
def managed_person_deactivate(*, by, agency, user) -> int:
    """Deactivate the account; returns how many of the person's open tasks went back to the other holders."""
    _require_manager(by, agency)
    _require_account(by, agency, user)
    if not user.is_active:
        raise errors.conflict("该账号已经停用。", code="already_inactive")
    before = selectors.assigned_task_count(user)
    person_deactivate(user=user, by=by, agency=agency)
    return before - selectors.assigned_task_count(user)


@transaction.atomic
def managed_person_activate(*, by, agency, user) -> None:
    _require_manager(by, agency)
    _require_account(by, agency, user)
    if user.is_active:
        raise errors.conflict("该账号已经启用。", code="already_active")
    person_activate(user=user, by=by, agency=agency)
