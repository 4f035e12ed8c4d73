"""What the sheet pages show of 目标调整, from the adjustments app above them: on a published sheet its versions,
its adjustment under way and the 目标调整 button (its 经办人 only); on an adjustment its reason and the cell-level diff
against the version in force (the editor keeps it in view); on the public page the dates of earlier versions."""

from __future__ import annotations

from django import template

from projects.models import SheetState
from projects.revisions import in_force_of, open_adjustment, versions_of
from workflow.documents import chain_of
from workflow.flow import holds
from sheets.snapshots import diff_snapshots

register = template.Library()


def diff_against_in_force(adjustment):
    """What the adjustment changes of the version in force: fields, plan and indicator rows (cell by cell)."""
    before, after = in_force_of(adjustment).snapshot(), adjustment.snapshot()
    for snapshot in (before, after):
        snapshot.pop("title", None)  # the adjustment's title says 目标调整: not a change
    return diff_snapshots(before, after)


ROW_KEY_SEPARATOR = "\u001f"  # joins 一级, 二级 and 三级 into a row's key (the editor's script splits nothing)


def in_force_values(in_force) -> dict:
    """The version in force as the editor's inputs are named (``sheets.editor``'s form prefixes), for the live diff of
    an adjustment being typed (``static/js/adjustment_diff.js``): the amounts and texts, the plan by checkpoint, and
    each indicator row by its 一级/二级/三级."""
    fields = ("budget_total", "fiscal_funds", "other_funds", "purpose", "goal")
    return {
        "fields": {f"sheet-{name}": str(getattr(in_force, name)) for name in fields},
        "plan": {f"plan-cp_{point.checkpoint_id}": str(point.cumulative_percent) for point in in_force.plan.all()},
        "rows": {
            ROW_KEY_SEPARATOR.join((row.category, row.subcategory, row.name)): {
                "description": row.description, "target_value": row.target_value, "basis": row.basis,
            }
            for row in in_force.indicators.all()
        },
    }


@register.inclusion_tag("adjustments/_panel.html", takes_context=True)
def adjustment_panel(context, sheet):
    user = context["request"].user
    data = {"sheet": sheet, "adjustment": None, "versions": [], "open": None, "may_open": False}
    if sheet.is_adjustment:
        in_force = in_force_of(sheet)
        data.update(adjustment=sheet, in_force=in_force, diff=diff_against_in_force(sheet), in_force_values=in_force_values(in_force))
        data["may_discard"] = sheet.state in (SheetState.DRAFT, SheetState.RETURNED) and holds(user, chain_of(sheet).author, sheet)
    elif sheet.revises_id is None and sheet.is_published:
        data["versions"] = versions_of(sheet)
        data["open"] = open_adjustment(sheet)
        data["may_open"] = data["open"] is None and holds(user, chain_of(sheet).author, sheet)
    return data


@register.inclusion_tag("adjustments/_public_versions.html")
def public_versions(sheet):
    """The public page: the version in force with its date, and the earlier ones (Word, 调整前)."""
    versions = versions_of(sheet)
    return {"sheet": sheet, "versions": versions if len(versions) > 1 else []}
