"""What the sheet pages show of the monitoring, from the monitoring app above them: on a published sheet the link to
its 运行监控 (for those who may read it), its open 处置 with the deadline, and a recorded consequence (暂停执行) on
the sheet and in the list. The public page shows none of it."""

from __future__ import annotations

from django import template

from monitoring import selectors

register = template.Library()


@register.inclusion_tag("monitoring/_panel.html", takes_context=True)
def monitoring_panel(context, sheet):
    user = context["request"].user
    data = {"sheet": sheet, "may_read": False, "disposal": None}
    if sheet.revises_id is not None or not sheet.is_published:
        return data
    data["disposal"] = selectors.open_disposals([sheet.pk]).get(sheet.pk)
    data["may_read"] = selectors.can_monitor(user, sheet)
    return data


@register.simple_tag
def monitoring_consequences(sheets) -> dict:
    """{sheet id: the consequence (暂停执行) recorded by its open 处置} of a page of sheets, for the list: one query."""
    return selectors.open_consequences([sheet.pk for sheet in sheets])
