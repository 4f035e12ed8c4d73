"""目标调整: opening an adjustment of a published sheet, and applying it once its chain approved it.

An adjustment is a revision row of ``projects.TargetSheet`` (``revises`` the sheet in force, ``revision`` =
adjustment) holding a copy of the content in force, a reason (调整原因, required, ≤ 500 characters) and optionally the
budget that causes it (调整后预算数, which becomes its 预算数). It is edited, checked and moved like any sheet: the
approval engine moves it on the sheet's chain (科室 → 局领导 → 财政, return, withdraw, 转办) and knows it only as a
row of the sheet's document type (``TargetSheet.documents``). Every reader of sheets in force (``TargetSheet.objects``:
lists, public pages, Word, Excel, spending, reminders, the library) never sees it.

When the last step approves it (the move that would publish a sheet), ``adjustment_apply`` runs in the same
transaction (``adjustments.receivers``): the content in force is archived as a dated version (a ``version`` row with
when it came in force and the approval date that ended it), and the sheet in force takes the adjustment's content,
its reason and the approval date. The sheet keeps its id: its spending reports, history and public address stay.
Undoing an approved adjustment is another adjustment, opened with the content of an archived version (``restore``).
An adjustment never submitted (a draft) or returned may be discarded by its 经办人 (``adjustment_discard``): the row
goes, and the history of the sheet in force records who discarded it, when, and its reason.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import errors
from people.roles import ROLE_LABELS, display_name
from projects import validation
from projects.models import ADJUSTMENT_REASON_MAX, Revision, SheetState, TargetSheet
from projects.revisions import archived_version, open_adjustment
from projects.services import sheet_content_adopt, sheet_content_of, sheet_content_replace
from workflow import flow
from workflow.documents import chain_of
from workflow.models import Action, Event
from workflow.services import _changed_by, document_lock  # the engine's stale wording

REASON_LABEL = "调整原因"


def _reason_checked(reason) -> str:
    reason = (reason or "").strip() if isinstance(reason, str) else reason
    if not reason:
        raise errors.invalid("请填写调整原因（为什么要调整已公开的绩效目标）。")
    problem = validation.text_problem(reason, REASON_LABEL, max_length=ADJUSTMENT_REASON_MAX, multiline=True)
    if problem:
        raise errors.invalid(problem)
    return reason


def _budget_checked(value) -> Decimal | None:
    if value is None or value == "":
        return None
    problem = validation.money_problem(value, "调整后预算数")
    if problem:
        raise errors.invalid(problem)
    return Decimal(str(value))


def _open_refusal(adjustment: TargetSheet) -> errors.AppError:
    who = display_name(adjustment.opened_by) if adjustment.opened_by_id else "他人"
    when = timezone.localtime(adjustment.created)
    return errors.conflict(
        f"这张表已有一份进行中的目标调整（{who}于 {when:%Y-%m-%d %H:%M} 发起，当前状态“{adjustment.get_state_display()}”），"
        "同一时间只能有一份：请在那份调整中修改，或等它办结后再发起。",
        code="adjustment_open",
    )


@transaction.atomic
def adjustment_open(*, sheet: TargetSheet, user, reason: str, adjusted_budget=None, restore: int | None = None) -> TargetSheet:
    """Open 目标调整 of a published sheet: a draft revision holding the content in force (or, with ``restore``, the
    content of one of its archived versions: undoing an adjustment), for the sheet's section's 经办人 to edit and
    submit. Refused: the sheet is not published (or is itself a revision), the user is not its 经办人, the reason is
    missing or too long, another adjustment of the sheet is under way (naming who opened it and when)."""
    locked = TargetSheet.all_objects.select_for_update(of=("self",), no_key=True).select_related(
        "project", "agency", "section", "fiscal_year"
    ).get(pk=sheet.pk)
    if locked.revises_id is not None:
        raise errors.conflict("只能调整在用的绩效目标表，不能调整一份调整或历史版本。")
    author = chain_of(locked).author
    if not (user is not None and user.is_authenticated and flow.holds(user, author, locked)):
        raise errors.forbidden(f"只有本科室{ROLE_LABELS[author]}可以发起这张表的目标调整。")
    if not locked.is_published:
        raise errors.conflict(f"这张表处于“{locked.get_state_display()}”状态：只有已公开的绩效目标表需要目标调整，请直接修改。")
    reason = _reason_checked(reason)
    budget = _budget_checked(adjusted_budget)
    under_way = open_adjustment(locked)
    if under_way is not None:
        raise _open_refusal(under_way)
    source = locked
    if restore is not None:
        source = archived_version(locked, restore)
        if source is None:
            raise errors.invalid("要恢复的历史版本不属于这张表。")
    content = sheet_content_of(source)
    if budget is not None:
        content["budget_total"] = budget
        if budget >= content["other_funds"]:  # the rest stays other funds; the checker flags a total it cannot split
            content["fiscal_funds"] = budget - content["other_funds"]
    adjustment = TargetSheet(
        project=locked.project, fiscal_year=locked.fiscal_year, agency=locked.agency, section=locked.section,
        position=locked.position, title=locked.title, revises=locked, revision=Revision.ADJUSTMENT,
        state=SheetState.DRAFT, reason=reason, adjusted_budget=budget, opened_by=user,
    )
    try:
        with transaction.atomic():
            sheet_content_replace(sheet=adjustment, user=user, **content)
    except IntegrityError:  # opened at the same moment elsewhere (sheet_one_open_adjustment)
        raise _open_refusal(open_adjustment(locked)) from None
    return adjustment


def adjustment_apply(*, adjustment: TargetSheet, user) -> TargetSheet:
    """The chain approved ``adjustment`` (called inside that move's transaction): archive the version in force, and
    make the adjustment's content the sheet's. Returns the sheet in force."""
    sheet = TargetSheet.all_objects.select_for_update(of=("self",), no_key=True).select_related(
        "project", "agency", "section", "fiscal_year"
    ).get(pk=adjustment.revises_id)
    approved_at = adjustment.state_since or timezone.now()
    archive = TargetSheet(
        project=sheet.project, fiscal_year=sheet.fiscal_year, agency=sheet.agency, section=sheet.section,
        position=sheet.position, title=sheet.title, revises=sheet, revision=Revision.VERSION,
        state=SheetState.PUBLISHED, state_since=sheet.state_since, reason=sheet.reason,
        in_force_from=sheet.version_date, in_force_until=approved_at,
    )
    sheet_content_replace(sheet=archive, user=user, **sheet_content_of(sheet))
    sheet.reason = adjustment.reason
    sheet.in_force_from = approved_at
    sheet_content_adopt(sheet=sheet, source=adjustment, user=user)
    adjustment.in_force_from = approved_at
    adjustment.save(update_fields=["in_force_from"])
    return sheet


@transaction.atomic
def adjustment_discard(*, adjustment: TargetSheet, user, expected_version: int | None = None) -> Event:
    """放弃调整: delete a draft or returned adjustment (with its content and its own history) so that a new one can be
    opened, and record on the sheet in force who discarded it, when and its reason (``Action.DISCARD``). Only the
    sheet's section's 经办人; never an adjustment under review or applied; a stale ``expected_version`` is refused."""
    locked = document_lock(TargetSheet, adjustment.pk)
    if not locked.is_adjustment:
        raise errors.conflict("只能放弃一份目标调整：这张表不是调整。")
    author = chain_of(locked).author
    if not (user is not None and user.is_authenticated and flow.holds(user, author, locked)):
        raise errors.forbidden(f"只有本科室{ROLE_LABELS[author]}可以放弃这份目标调整。")
    if locked.state not in (SheetState.DRAFT, SheetState.RETURNED):
        raise errors.conflict(
            f"这份目标调整处于“{locked.get_state_display()}”状态，不能放弃：只有草稿或退回修改的调整可以放弃"
            "（审核中的请先撤回）。"
        )
    if expected_version is not None and expected_version != locked.version:
        raise errors.conflict(
            f"这份目标调整已由{_changed_by(locked)}修改（当前版本 {locked.version}，您看到的是版本 {expected_version}），"
            "未放弃。请刷新页面，确认最新内容后再操作。"
        )
    sheet = TargetSheet.all_objects.select_for_update(of=("self",), no_key=True).get(pk=locked.revises_id)
    opened = display_name(locked.opened_by) if locked.opened_by_id else "他人"
    event = Event.objects.create(
        sheet=sheet, actor=user, action=Action.DISCARD, from_state=sheet.state, to_state=sheet.state,
        comment=f"放弃{opened}于 {timezone.localtime(locked.created):%Y-%m-%d %H:%M} 发起的目标调整（调整原因：{locked.reason}）",
        snapshot=locked.snapshot(),
    )
    locked.delete()
    return event
