"""The edits of a draft: the editor's and the API's save (``sheet_edit``) and 恢复导入前内容 (``sheet_restore``).

Both run under the sheet's row lock (``workflow.services.document_lock``), only for the section's staff while the sheet is
a draft or returned, and refuse a change based on an older version than the current one (412).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core import errors
from people.roles import display_name
from projects.docx.data import IndicatorData
from projects.models import TargetSheet
from projects.services import sheet_content_replace
from sheets.snapshots import ROW_FIELDS
from workflow import permissions
from workflow.models import Action, Event
from workflow.services import _changed_by, _refresh_caller, document_lock  # the engine's stale wording and caller refresh


def who_when(sheet: TargetSheet) -> str:
    """Who last changed ``sheet`` and when (in a refusal of a stale import or restore)."""
    who = display_name(sheet.updated_by) if sheet.updated_by_id else "他人"
    return f"{who} 于 {timezone.localtime(sheet.updated):%Y-%m-%d %H:%M}"


CONTENT_FIELDS = ("budget_total", "fiscal_funds", "other_funds", "purpose", "goal")


def ensure_editable(user, sheet: TargetSheet, *, verb: str = "修改") -> None:
    """Refuse unless ``user`` is staff of the sheet's section and the sheet is a draft or returned."""
    if not permissions.can_edit(user, sheet):
        if sheet.is_editable:
            raise errors.forbidden(f"只有本科室经办人可以{verb}这张绩效目标表。")
        raise errors.conflict(f"这张表处于“{sheet.get_state_display()}”状态，不能{verb}。")


@transaction.atomic
def sheet_edit(*, sheet: TargetSheet, user, expected_version: int, **changes) -> TargetSheet:
    """Save edits of a draft or returned sheet made on ``expected_version``; a stale version is refused (412).

    ``changes``: any of the money fields, ``purpose``, ``goal``, ``plan`` ({Checkpoint: percent}, merged onto the
    saved plan) and ``indicators`` (the whole table). What is not given stays as saved — read under the lock.
    """
    locked = document_lock(TargetSheet, sheet.pk)
    ensure_editable(user, locked)
    if expected_version != locked.version:
        raise errors.stale(
            f"这张表已由{_changed_by(locked)}修改（当前版本 {locked.version}，您编辑的是版本 {expected_version}），"
            "您的修改未保存。请刷新页面，在最新内容上重新修改。"
        )
    content = {name: changes.get(name, getattr(locked, name)) for name in CONTENT_FIELDS}
    plan = {p.checkpoint: p.cumulative_percent for p in locked.plan.select_related("checkpoint")}
    plan.update(changes.get("plan") or {})
    if "indicators" in changes:
        indicators = changes["indicators"]
    else:
        indicators = [
            IndicatorData(i.category, i.subcategory, i.name, i.description, i.target_value, i.basis)
            for i in locked.indicators.order_by("order", "id")
        ]
    sheet_content_replace(sheet=locked, plan=plan, indicators=indicators, user=user, **content)
    _refresh_caller(sheet, locked)
    for name in CONTENT_FIELDS:
        setattr(sheet, name, getattr(locked, name))
    return locked


# ---------------------------------------------------------------- restoring the pre-import content


def restorable(event: Event) -> bool:
    return event.action == Action.IMPORT and bool(event.snapshot)


@transaction.atomic
def sheet_restore(*, sheet: TargetSheet, user, event: Event, expected_version: int | None) -> TargetSheet:
    """Put back the content a sheet had before an import (the IMPORT event's snapshot), as a new version.

    Only the section's staff, while the sheet is a draft or returned; a restore based on an older
    version than the current one is refused (412). Recorded as RESTORE with the replaced content."""
    locked = document_lock(TargetSheet, sheet.pk)
    ensure_editable(user, locked, verb="恢复")
    if event.sheet_id != locked.pk or not restorable(event):
        raise errors.invalid("这条记录没有可恢复的导入前内容。")
    if expected_version != locked.version:
        raise errors.stale(
            f"这张表已由 {who_when(locked)} 修改（当前版本 {locked.version}，您看到的是版本 {expected_version}），"
            "未恢复。请刷新页面，确认最新内容后再操作。"
        )
    snapshot = event.snapshot
    replaced = locked.snapshot()
    checkpoints = {cp.label: cp for cp in locked.fiscal_year.checkpoints.all()}
    plan = {}
    for point in snapshot.get("plan", []):
        if point["label"] not in checkpoints:
            raise errors.invalid(
                f"导入前内容的资金支出计划节点“{point['label']}”已不是{locked.fiscal_year.year}年的时间节点，不能恢复。"
            )
        plan[checkpoints[point["label"]]] = Decimal(point["percent"])
    title = snapshot.get("title", "")
    locked.title = "" if title in (snapshot.get("project_name"), locked.project.name) else title
    sheet_content_replace(
        sheet=locked,
        budget_total=Decimal(snapshot["budget_total"]),
        fiscal_funds=Decimal(snapshot["fiscal_funds"]),
        other_funds=Decimal(snapshot["other_funds"]),
        purpose=snapshot.get("purpose", ""),
        goal=snapshot.get("goal", ""),
        plan=plan,
        indicators=[IndicatorData(**{name: row.get(name, "") for name in ROW_FIELDS}) for row in snapshot.get("indicators", [])],
        user=user,
    )
    Event.objects.create(
        sheet=locked, actor=user, action=Action.RESTORE, from_state=locked.state, to_state=locked.state,
        comment=f"恢复{event.comment or '导入'}之前的内容（{timezone.localtime(event.created):%Y-%m-%d %H:%M} 导入）",
        snapshot=replaced,
    )
    return locked
