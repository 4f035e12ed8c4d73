"""The moves of a target sheet: submit, withdraw, approve, return for revision, reassign.

Each one checks the actor's permission and the sheet's state, refuses an illegal
move with a Chinese message, runs in one transaction under the sheet's row lock
and viewflow's process lock, records a SheetEvent, and announces it
(``workflow.signals.sheet_event_recorded``) inside that transaction.
Browser views and the REST API both call these functions.
"""

from __future__ import annotations

import functools

from django.db import transaction
from viewflow.workflow.status import STATUS

from projects.models import SheetState, TargetSheet
from projects.selectors import sheets_with_content
from workflow import permissions, roles
from workflow.flows import TargetSheetFlow
from workflow.models import Action, SheetEvent, SheetProcess
from workflow.signals import sheet_event_recorded

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
STEP_OF_STATE = {
    SheetState.SECTION_REVIEW: "section_review",
    SheetState.LEADER_REVIEW: "leader_review",
    SheetState.FINANCE_REVIEW: "finance_review",
    SheetState.DRAFT: "revise",
    SheetState.RETURNED: "revise",
}
NEXT_STATE = {
    SheetState.SECTION_REVIEW: SheetState.LEADER_REVIEW,
    SheetState.LEADER_REVIEW: SheetState.FINANCE_REVIEW,
    SheetState.FINANCE_REVIEW: SheetState.PUBLISHED,
}


class WorkflowError(Exception):
    """A refused move; ``status`` is the HTTP status an API answers with."""

    status = 400

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class NotAllowed(WorkflowError):
    status = 403


class IllegalMove(WorkflowError):
    status = 409


class Invalid(WorkflowError):
    status = 400


def _lock(sheet: TargetSheet) -> TargetSheet:
    """Re-read the sheet under a row lock: concurrent moves on one sheet run one after the other.

    ``sheet`` is what the actor saw; if someone else moved it meanwhile, the move is refused."""
    locked = sheets_with_content(TargetSheet.objects.select_for_update(of=("self",))).get(pk=sheet.pk)
    if locked.state != sheet.state:
        raise IllegalMove(f"这张表已由他人处理，当前状态为“{locked.get_state_display()}”，请刷新页面后再操作。")
    return locked


def move(function):
    """A move on one sheet: atomic, under the sheet's lock, and the caller's sheet shows the new state afterwards."""

    @functools.wraps(function)
    @transaction.atomic
    def run(*, sheet: TargetSheet, **kwargs):
        locked = _lock(sheet)
        result = function(sheet=locked, **kwargs)
        sheet.state = locked.state
        return result

    return run


def current_process(sheet: TargetSheet) -> SheetProcess | None:
    return SheetProcess.objects.filter(sheet=sheet, finished__isnull=True).order_by("-created").first()


def open_task(sheet: TargetSheet):
    """The open viewflow task of the sheet's current step, if any."""
    process = current_process(sheet)
    step = STEP_OF_STATE.get(sheet.state)
    if process is None or step is None:
        return None
    return (
        process.task_set.filter(flow_task=getattr(TargetSheetFlow, step), status__in=OPEN_STATUSES)
        .select_related("owner")
        .order_by("-created")
        .first()
    )


def _record(sheet, *, process, actor, action, from_state, comment="", target_user=None, snapshot=None) -> SheetEvent:
    event = SheetEvent.objects.create(
        sheet=sheet,
        process=process,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=sheet.state,
        comment=comment,
        target_user=target_user,
        snapshot=snapshot,
    )
    sheet_event_recorded.send(sender=SheetEvent, event=event)
    return event


def _complete(task, *, user, decision: str) -> None:
    """Assign the open task to ``user`` if needed and complete it with ``decision`` (routes the If gates)."""
    process = task.process.coerced
    process.decision = decision
    process.save(update_fields=["decision"])
    with task.activation() as activation:
        if activation.task.status == STATUS.NEW:
            activation.assign(user)
        if activation.task.status == STATUS.ASSIGNED:
            activation.start(None)
        activation.execute()


def _set_state(sheet: TargetSheet, state: str) -> str:
    previous = sheet.state
    sheet.state = state
    sheet.save(update_fields=["state", "updated"])
    return previous


def ensure_editable(user, sheet: TargetSheet, *, verb: str = "修改") -> None:
    """Refuse unless ``user`` is staff of the sheet's section and the sheet is a draft or returned."""
    if not permissions.can_edit(user, sheet):
        if sheet.is_editable:
            raise NotAllowed(f"只有本科室经办人可以{verb}这张绩效目标表。")
        raise IllegalMove(f"这张表处于“{sheet.get_state_display()}”状态，不能{verb}。")


@move
def sheet_submit(*, sheet: TargetSheet, user, comment: str = "") -> SheetEvent:
    ensure_editable(user, sheet, verb="提交")
    errors = [f for f in sheet.findings() if f.is_error]
    if errors:
        raise Invalid("体检发现错误，请先修改：" + "；".join(f.message for f in errors))
    task = open_task(sheet)
    if task is None:
        process = TargetSheetFlow.start.run(sheet=sheet)
    else:
        process = task.process.coerced
        _complete(task, user=user, decision="submit")
    previous = _set_state(sheet, SheetState.SECTION_REVIEW)
    return _record(
        sheet, process=process, actor=user, action=Action.SUBMIT, from_state=previous,
        comment=comment, snapshot=sheet.snapshot(),
    )


def withdraw_refusal(sheet: TargetSheet, user, task) -> WorkflowError | None:
    """Why ``user`` may not withdraw the sheet (``task``: its open step), or None: only its submitter, until the head acts."""
    if sheet.state != SheetState.SECTION_REVIEW:
        return IllegalMove("科室负责人已处理，不能再撤回。" if sheet.state != SheetState.DRAFT else "这张表尚未提交。")
    last_submit = sheet.events.filter(action=Action.SUBMIT).order_by("-created", "-id").first()
    if last_submit is None or last_submit.actor_id != user.pk or not permissions.holds(user, roles.STAFF, sheet):
        return NotAllowed("只有提交人可以撤回。")
    if task is None or task.owner_id is not None:
        return IllegalMove("科室负责人已处理（已转办），不能再撤回。")
    return None


@move
def sheet_withdraw(*, sheet: TargetSheet, user, comment: str = "") -> SheetEvent:
    task = open_task(sheet)
    refusal = withdraw_refusal(sheet, user, task)
    if refusal is not None:
        raise refusal
    _complete(task, user=user, decision="withdraw")
    previous = _set_state(sheet, SheetState.DRAFT)
    return _record(sheet, process=task.process.coerced, actor=user, action=Action.WITHDRAW, from_state=previous, comment=comment)


def _reviewable(sheet: TargetSheet, user):
    """The open review task ``user`` may act on, or the reason why not."""
    if permissions.review_role(sheet) is None:
        raise IllegalMove(f"这张表处于“{sheet.get_state_display()}”状态，没有待审核的步骤（可能已由他人处理）。")
    task = open_task(sheet)
    if not permissions.can_review(user, sheet, task):
        if task is not None and task.owner_id and task.owner_id != user.pk and permissions.can_review(user, sheet):
            raise NotAllowed(f"此任务已转办给 {task.owner.get_full_name() or task.owner.username}。")
        raise NotAllowed("您无权审核这一步。")
    return task


@move
def sheet_approve(*, sheet: TargetSheet, user, comment: str = "") -> SheetEvent:
    task = _reviewable(sheet, user)
    _complete(task, user=user, decision="approve")
    new_state = NEXT_STATE[sheet.state]
    previous = _set_state(sheet, new_state)
    action = Action.PUBLISH if new_state == SheetState.PUBLISHED else Action.APPROVE
    return _record(sheet, process=task.process.coerced, actor=user, action=action, from_state=previous, comment=comment)


@move
def sheet_return(*, sheet: TargetSheet, user, comment: str) -> SheetEvent:
    if not (comment or "").strip():
        raise Invalid("退回修改必须填写意见。")
    task = _reviewable(sheet, user)
    _complete(task, user=user, decision="return")
    previous = _set_state(sheet, SheetState.RETURNED)
    return _record(
        sheet, process=task.process.coerced, actor=user, action=Action.RETURN, from_state=previous, comment=comment.strip()
    )


@move
def task_reassign(*, sheet: TargetSheet, user, to_user, comment: str) -> SheetEvent:
    if not (comment or "").strip():
        raise Invalid("转办必须填写原因。")
    task = _reviewable(sheet, user)
    role = permissions.review_role(sheet)
    if to_user is None or not to_user.is_active or not permissions.holds(to_user, role, sheet):
        raise Invalid(f"只能转办给同一范围内的其他{roles.ROLE_LABELS[role]}。")
    if to_user.pk == user.pk:
        raise Invalid("不能转办给自己。")
    with task.activation() as activation:
        if activation.task.status == STATUS.NEW:
            activation.assign(to_user)
        else:
            activation.reassign(to_user)
    return _record(
        sheet, process=task.process.coerced, actor=user, action=Action.REASSIGN, from_state=sheet.state,
        comment=comment.strip(), target_user=to_user,
    )


def reassign_candidates(sheet: TargetSheet, user):
    """Users who hold the current step's role on the same scope, other than ``user``."""
    role = permissions.review_role(sheet)
    if role is None:
        return []
    return [u for u in roles.users_with_role(role, permissions.scope_of(sheet, role)) if u.pk != user.pk]



@move
def sheet_edit(*, sheet: TargetSheet, user, budget_total, fiscal_funds, other_funds, purpose, goal, plan, indicators) -> TargetSheet:
    """Save a draft or returned sheet edited by its section's staff (the content is replaced as a whole)."""
    from projects.services import sheet_content_replace

    ensure_editable(user, sheet)
    return sheet_content_replace(
        sheet=sheet, budget_total=budget_total, fiscal_funds=fiscal_funds, other_funds=other_funds,
        purpose=purpose, goal=goal, plan=plan, indicators=indicators,
    )
