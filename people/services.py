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
    if roles.has_direct_grant(user, role, scope):  # (held through a delegation is not held: the grant is made)
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


# ---------------------------------------------------------------- 委托 (delegations)
# A delegation gives no grant: ``people.roles`` reads the ones in force at each check, so it ends by itself.

DELEGATION_MAX_DAYS = 366
REASON_MAX = 200


def _when(moment) -> str:
    from django.utils import timezone

    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _delegation_note(delegation) -> str:
    return (
        f"{roles.display_name(delegation.delegate)} 代 {roles.display_name(delegation.principal)}，"
        f"{_when(delegation.start)} 至 {_when(delegation.end)}：{delegation.reason}"
    )


def _delegation_agency(principal):
    from projects.models import Agency

    ids = selectors.person_agency_ids(principal)
    return Agency.objects.filter(pk__in=ids).order_by("code").first() if ids else None


def _delegation_refusal(*, principal, delegate, start, end) -> None:
    """What a delegation may not be (each a clear message, nothing written)."""
    from people.models import Delegation

    if delegate is None or not delegate.is_active:
        raise errors.invalid("没有找到受托人，请填写受托人的用户名（已停用的账号不能受托）。")
    if delegate.pk == principal.pk:
        raise errors.invalid("不能委托给自己。")
    if delegate.is_superuser and not principal.is_superuser:
        raise errors.invalid("不能委托给系统管理员。")
    held = {role: _raw_scope_ids(principal, role) for role in roles.DELEGATED_ROLES}
    if not any(held.values()):
        raise errors.invalid(f"{roles.display_name(principal)}没有可以委托的审批角色（{'、'.join(roles.ROLE_LABELS[r] for r in roles.DELEGATED_ROLES)}）。")
    delegate_agencies = selectors.person_agency_ids(delegate)
    if held[Role.FINANCE_REVIEWER]:
        if delegate_agencies:
            raise errors.invalid("财政审核人的角色不能委托给单位人员：请委托给财政部门的其他财政审核人。", code="finance_to_agency")
        if not _raw_scope_ids(delegate, Role.FINANCE_REVIEWER):
            raise errors.invalid("财政审核人的角色只能委托给财政部门的其他财政审核人。", code="finance_to_agency")
    agencies = selectors.person_agency_ids(principal, (Role.STAFF, Role.SECTION_HEAD, Role.LEADER))
    if not agencies <= delegate_agencies:
        from projects.models import Agency

        names = "、".join(Agency.objects.filter(pk__in=agencies - delegate_agencies).order_by("code").values_list("name", flat=True))
        # the delegate is not named: they may be a person of another agency, whom the principal may not look up
        raise errors.invalid(f"不能跨单位委托：受托人须是{names}的人员。", code="cross_agency")
    if end <= start:
        raise errors.invalid("结束时间必须晚于开始时间。")
    from django.utils import timezone

    if end <= timezone.now():
        raise errors.invalid("结束时间已过，请重新选择委托期间。")
    if (end - start).days > DELEGATION_MAX_DAYS:
        raise errors.invalid(f"委托期限不能超过 {DELEGATION_MAX_DAYS} 天；到期后可以重新设置。")
    overlapping = Delegation.objects.overlapping(start, end)
    same = overlapping.filter(principal=principal).select_related("delegate").first()
    if same is not None:
        raise errors.conflict(
            f"{roles.display_name(principal)}在 {_when(same.start)} 至 {_when(same.end)} 已委托给{roles.display_name(same.delegate)}，"
            "同一时间只能委托一人；请先取消原委托或调整期间。", code="delegation_overlap",
        )
    # a loop: the delegate (or someone they delegate to in the same period, and so on) delegates back to the principal
    seen, frontier = {delegate.pk}, [delegate.pk]
    while frontier:
        nxt = set(overlapping.filter(principal_id__in=frontier).values_list("delegate_id", flat=True)) - seen
        if principal.pk in nxt:
            raise errors.invalid(
                f"不能委托给{roles.display_name(delegate)}：此人在该期间已（直接或间接）委托给{roles.display_name(principal)}，"
                "委托会形成循环。", code="delegation_loop",
            )
        seen |= nxt
        frontier = list(nxt)


@transaction.atomic
def delegation_set(*, by, principal, delegate, start, end, reason: str):
    """委托: ``delegate`` holds ``principal``'s approval roles from ``start`` to ``end`` (set by the principal, their
    agency's 单位管理员, or a superuser), recorded in the people's audit. Refused: a delegate of another agency, a
    finance reviewer's roles to agency staff, oneself, a loop, two delegations of one person at once."""
    from people.models import Delegation
    from projects import validation

    if not selectors.may_manage_delegation_of(by, principal):
        raise errors.forbidden("只能为自己，或作为单位管理员为本单位人员设置委托。")
    reason = (reason or "").strip()
    if not reason:
        raise errors.invalid("请填写委托原因。")
    problem = validation.text_problem(reason, "委托原因", max_length=REASON_MAX, multiline=False)
    if problem:
        raise errors.invalid(problem)
    User = get_user_model()
    User.objects.select_for_update().filter(pk=principal.pk).first()  # one delegation of a person written at a time
    _delegation_refusal(principal=principal, delegate=delegate, start=start, end=end)
    delegation = Delegation.objects.create(principal=principal, delegate=delegate, start=start, end=end, reason=reason, created_by=by)
    RoleChange.objects.create(
        kind=RoleChange.Kind.DELEGATE, person=principal, by=by, agency=_delegation_agency(principal),
        note=_delegation_note(delegation)[:500],
    )
    roles.forget(delegate)
    return delegation


@transaction.atomic
def delegation_cancel(*, by, delegation_id: int):
    """End a delegation now (one not yet begun never begins): by its principal, whoever set it, or whoever may set
    the principal's delegations. One ended already is refused with 409."""
    from django.utils import timezone

    from people.models import Delegation

    delegation = Delegation.objects.select_for_update(of=("self",)).select_related("principal", "delegate").filter(pk=delegation_id).first()
    visible = delegation is not None and selectors.delegations_visible(by).filter(pk=delegation.pk).exists()
    if not visible:
        raise errors.not_found("没有找到这项委托。")
    if not (selectors.may_manage_delegation_of(by, delegation.principal) or delegation.created_by_id == by.pk):
        raise errors.forbidden("只有委托人、设置人或其单位管理员可以取消委托。")
    now = timezone.now()
    if delegation.cancelled is not None or delegation.end <= now:
        raise errors.conflict("这项委托已经结束。", code="delegation_ended")
    delegation.cancelled, delegation.cancelled_by = now, by
    delegation.save(update_fields=["cancelled", "cancelled_by"])
    RoleChange.objects.create(
        kind=RoleChange.Kind.UNDELEGATE, person=delegation.principal, by=by, agency=_delegation_agency(delegation.principal),
        note=_delegation_note(delegation)[:500],
    )
    roles.forget(delegation.delegate)
    return delegation
