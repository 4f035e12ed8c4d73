"""The moves of a target sheet (the edits of a draft are ``sheets.services``).

Each move runs ``workflow.approval.SheetApproval`` in one transaction under the
sheet's row lock: a move the state does not allow is refused with 409, one the
person may not make with 403, a move based on a version someone else has since
changed with 409 (``已由他人处理``). Browser views, the REST API and WeCom callbacks all call these.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from viewflow.fsm import TransitionConditionsUnmet

from core import errors
from people import roles
from people.roles import display_name
from projects import validation
from projects.models import TargetSheet
from workflow import approval, permissions
from workflow.approval import SheetApproval
from workflow.models import SavedPhrase, SheetEvent

DUTIES_CODE = "separation_of_duties"  # the refusal of a review by 提交与审核分离 (WeCom answers it in its own words)
VERBS = {"submit": "提交", "withdraw": "撤回", "approve": "通过", "return_for_revision": "退回", "reassign": "转办"}


def _changed_by(sheet: TargetSheet) -> str:
    who = display_name(sheet.updated_by) if sheet.updated_by_id else "他人"
    return f"{who}于 {timezone.localtime(sheet.updated):%Y-%m-%d %H:%M}"


def sheets_locked() -> QuerySet:
    """Sheets read under a row lock (inside a transaction): writes on one sheet run one after another.

    FOR NO KEY UPDATE (as every lock on a sheet): rows that only refer to the sheet — the notifications the worker
    writes after a move — do not wait for it, so the worker never waits for a move while holding what a move waits for.

    With what every move reads (the notifications name the project, agency and section). The assignee and the last
    editor are read only when needed (a reassigned step, a refusal's message): two more joins of auth_user doubled
    PostgreSQL's planning and the read's time on every move."""
    return TargetSheet.objects.select_for_update(of=("self",), no_key=True).select_related("project", "agency", "section", "fiscal_year")


def sheet_lock(pk: int) -> TargetSheet:
    """The sheet under a row lock: writes on one sheet run one after another."""
    return sheets_locked().get(pk=pk)


def _locked_here(sheet: TargetSheet) -> bool:
    """Did the caller read ``sheet`` from ``sheets_locked`` in the transaction still open? (The API reads it so
    once, for the permission check and the move; the move then needs neither a second read nor a savepoint.)"""
    connection = transaction.get_connection()
    return connection.in_atomic_block and getattr(sheet, "_locked_in", None) is connection.atomic_blocks[0]


def mark_locked(sheet: TargetSheet) -> TargetSheet:
    """Say that ``sheet`` was read from ``sheets_locked`` in the caller's open transaction (``_perform`` reuses it)."""
    connection = transaction.get_connection()
    sheet._locked_in = connection.atomic_blocks[0] if connection.in_atomic_block else None  # this transaction
    return sheet


def _refresh_caller(sheet: TargetSheet, locked: TargetSheet) -> None:
    """The caller's ``sheet`` takes the approval fields of the ``locked`` row the move wrote (nothing to do when the
    caller passed the locked row itself: its related objects, e.g. a new assignee, are already the right ones)."""
    if sheet is locked:
        return
    for name in ("state", "state_since", "assignee_id", "version", "updated_by_id", "updated", "section_id", "agency_id"):
        setattr(sheet, name, getattr(locked, name))
    for cached in ("assignee", "updated_by"):
        sheet._state.fields_cache.pop(cached, None)


def _perform(name: str, *, sheet: TargetSheet, user, expected_version: int | None = None, **kwargs) -> SheetEvent:
    prelocked = _locked_here(sheet)
    with transaction.atomic(savepoint=not prelocked):  # a refusal rolls the API's whole transaction back
        locked = sheet if prelocked else sheet_lock(sheet.pk)
        if expected_version is not None and locked.version != expected_version:
            raise errors.conflict(
                f"这张表已由{_changed_by(locked)}处理或修改，当前状态为“{locked.get_state_display()}”，请刷新页面后再操作。"
            )
        if expected_version is None and locked.state != sheet.state:
            raise errors.conflict(f"这张表已由他人处理，当前状态为“{locked.get_state_display()}”，请刷新页面后再操作。")
        machine = SheetApproval(locked)
        transition = getattr(machine, name)
        if not transition.can_proceed(check_conditions=False):
            raise _illegal(name, locked, user)
        if not transition.has_perm(user):
            raise _refusal(name, locked, user)
        if name == "submit" and machine.needs_revision_note() and not (kwargs.get("comment") or "").strip():
            raise errors.invalid(approval.REVISION_NOTE_REQUIRED)
        try:
            transition(user=user, **kwargs)
        except TransitionConditionsUnmet as exc:
            raise errors.invalid(exc.unmet_message or "条件不满足，不能办理。") from exc
    _refresh_caller(sheet, locked)
    return machine.event


def _illegal(name: str, sheet: TargetSheet, user) -> errors.AppError:
    verb = VERBS.get(name, "办理")
    if name == "withdraw":
        if sheet.state == approval.SheetState.DRAFT or sheet.state == approval.SheetState.RETURNED:
            return errors.conflict("这张表尚未提交。")
        return errors.conflict("科室负责人已处理，不能再撤回。")
    if name == "submit":
        return errors.conflict(f"这张表处于“{sheet.get_state_display()}”状态，不能{verb}。")
    return errors.conflict(f"这张表处于“{sheet.get_state_display()}”状态，没有待审核的步骤（可能已由他人处理）。")


def _refusal(name: str, sheet: TargetSheet, user) -> errors.AppError:
    """Why ``user`` may not make this move: 403, or 409 when it is the step they held that someone else already handled."""
    if name in ("submit",):
        return errors.forbidden("只有本科室经办人可以提交这张绩效目标表。")
    if name == "withdraw":
        if sheet.assignee_id is not None and approval.holds(user, approval.AUTHOR_ROLE, sheet):
            return errors.conflict("科室负责人已处理（已转办），不能再撤回。")
        return errors.forbidden("只有提交人可以撤回。")
    step = approval.step_for(sheet.state)
    if step is not None and approval.holds(user, step.role, sheet) and sheet.assignee_id not in (None, user.pk):
        return errors.forbidden(f"此任务已转办给 {display_name(sheet.assignee)}。")
    duties = approval.duties_refusal(sheet, user) if step is not None and approval.holds(user, step.role, sheet) else None
    if duties is not None:
        return errors.AppError(duties, status=403, code=DUTIES_CODE)
    earlier = approval.REVIEW_STEPS[: approval.REVIEW_STEPS.index(step)] if step is not None else ()
    if any(approval.holds(user, other.role, sheet) for other in earlier):
        # a reviewer of an earlier step: the step they came for has been handled meanwhile
        return errors.conflict(f"这张表已由他人处理，当前状态为“{sheet.get_state_display()}”，请刷新页面后再操作。")
    return errors.forbidden("您无权审核这一步。")


# ---------------------------------------------------------------- the moves


def sheet_submit(*, sheet: TargetSheet, user, comment: str = "", expected_version: int | None = None) -> SheetEvent:
    return _perform("submit", sheet=sheet, user=user, comment=comment, expected_version=expected_version)


def sheet_withdraw(*, sheet: TargetSheet, user, comment: str = "", expected_version: int | None = None) -> SheetEvent:
    return _perform("withdraw", sheet=sheet, user=user, comment=comment, expected_version=expected_version)


def sheet_approve(*, sheet: TargetSheet, user, comment: str = "", expected_version: int | None = None) -> SheetEvent:
    return _perform("approve", sheet=sheet, user=user, comment=comment, expected_version=expected_version)


def sheet_return(*, sheet: TargetSheet, user, comment: str, expected_version: int | None = None) -> SheetEvent:
    return _perform("return_for_revision", sheet=sheet, user=user, comment=comment, expected_version=expected_version)


def task_reassign(*, sheet: TargetSheet, user, to_user, comment: str, expected_version: int | None = None) -> SheetEvent:
    return _perform("reassign", sheet=sheet, user=user, to_user=to_user, comment=comment, expected_version=expected_version)


@dataclass
class BatchOutcome:
    approved: list  # the SheetEvents recorded, one per sheet
    refused: list  # (sheet title or id, Chinese reason), one per sheet not approved


def sheets_approve_batch(*, user, versions: dict[int, int | None], comment: str = "") -> BatchOutcome:
    """批量通过: approve each sheet on the version the page showed, one separate move (and SheetEvent) per sheet.

    ``versions``: {sheet id: version shown}. A sheet that changed since (stale), that the user may not see or
    review, or whose checker finds an error (never approved in a batch) is refused and reported by name; the
    others go through. Each approval is its own transaction: one refusal does not undo the others.
    """
    outcome = BatchOutcome(approved=[], refused=[])
    visible = {s.pk: s for s in permissions.visible_sheets(user, TargetSheet.objects.select_related("project")).filter(pk__in=list(versions))}
    for pk, version in versions.items():
        sheet = visible.get(pk)
        if sheet is None:
            outcome.refused.append((f"编号 {pk}", "没有找到这张绩效目标表，或您无权查看。"))
            continue
        if version is None:
            outcome.refused.append((sheet.display_title, "缺少页面显示时的版本号，请刷新待办后再批量通过。"))
            continue
        if any(f.is_error for f in sheet.findings()):
            outcome.refused.append((sheet.display_title, "体检发现错误，不能批量通过，请打开这张表逐一审核。"))
            continue
        try:
            outcome.approved.append(sheet_approve(sheet=sheet, user=user, comment=comment, expected_version=version))
        except errors.AppError as error:
            outcome.refused.append((sheet.display_title, error.message))
    return outcome


def withdraw_refusal(sheet: TargetSheet, user) -> errors.AppError | None:
    """Why ``user`` may not withdraw the sheet now, or None (for showing the 撤回 button)."""
    machine = SheetApproval(sheet)
    if not machine.withdraw.can_proceed(check_conditions=False):
        return _illegal("withdraw", sheet, user)
    if not machine.withdraw.has_perm(user):
        return _refusal("withdraw", sheet, user)
    return None


def reassign_candidates(sheet: TargetSheet, user) -> list:
    """Users who hold the current step's role on the same scope, other than ``user`` and those who may not review the
    sheet in this round (提交与审核分离)."""
    step = approval.step_for(sheet.state)
    if step is None:
        return []
    return [u for u in approval.holders(step.role, sheet) if u.pk != user.pk and not approval.acted_this_round(sheet, u)]


@transaction.atomic
def assignments_release(*, user, role: str, scope, by=None) -> int:
    """``user`` no longer holds ``role`` on ``scope``: the steps reassigned to them there go back to the step's holders."""
    steps = [s for s in approval.REVIEW_STEPS if s.role == role]
    if not steps:
        return 0
    key = "section" if roles.is_section_role(role) else "agency"
    pks = list(
        TargetSheet.objects.filter(assignee=user, state__in=[s.state for s in steps], **{f"{key}_id": scope.pk})
        .values_list("pk", flat=True)
    )
    for pk in pks:
        locked = sheet_lock(pk)
        SheetApproval(locked).release(
            user=by, comment=f"{display_name(user)}不再担任“{roles.ROLE_LABELS[role]}”，此步骤退回给其他{roles.ROLE_LABELS[role]}办理。"
        )
    return len(pks)


@transaction.atomic
def sheets_rescope(*, sheets, old_section_name: str, new_section_name: str, by=None) -> None:
    """Record a section move in each sheet's history; a step scoped on the old section forgets its assignee there."""
    for sheet in sheets:
        locked = sheet_lock(sheet.pk)
        SheetApproval(locked).move(user=by, comment=f"由“{old_section_name}”移交“{new_section_name}”。")


# ---------------------------------------------------------------- 常用意见 (saved phrases)


@transaction.atomic
def phrase_save(*, user, text: str) -> SavedPhrase:
    """Save ``text`` as one of ``user``'s 常用意见 (saving it again keeps one copy; at most MAX_PER_USER, oldest dropped)."""
    if not user.is_authenticated:
        raise errors.forbidden("请先登录。")
    text = (text or "").strip()
    if not text:
        raise errors.invalid("常用意见不能为空。")
    problem = validation.text_problem(text, "常用意见", max_length=SavedPhrase.MAX_LENGTH, multiline=False)
    if problem:
        raise errors.invalid(problem)
    phrase = SavedPhrase.objects.filter(user=user, text=text).first()
    if phrase is None:
        try:
            with transaction.atomic():
                phrase = SavedPhrase.objects.create(user=user, text=text)
        except IntegrityError:  # saved at the same moment in another tab
            phrase = SavedPhrase.objects.get(user=user, text=text)
    keep = SavedPhrase.objects.filter(user=user).order_by("-created", "-id").values_list("pk", flat=True)[: SavedPhrase.MAX_PER_USER]
    SavedPhrase.objects.filter(user=user).exclude(pk__in=list(keep)).delete()
    return phrase


@transaction.atomic
def phrase_delete(*, user, phrase_id: int) -> None:
    """Delete one of ``user``'s own saved phrases; another person's (or a missing one) is not found."""
    deleted, _ = SavedPhrase.objects.filter(user=user, pk=phrase_id).delete()
    if not deleted:
        raise errors.not_found("没有找到这条常用意见。")
