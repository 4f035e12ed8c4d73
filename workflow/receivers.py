"""The approval follows changes made elsewhere, in the same transaction.

``workflow.services`` is imported when a receiver runs, not at start-up (every process loads the receivers)."""

from __future__ import annotations

from projects.models import Section


def on_role_revoked(sender, user, role, scope, by=None, **kwargs) -> None:
    """``people.signals.role_revoked``: steps reassigned to the person there go back to the other holders."""
    from workflow import services

    services.assignments_release(user=user, role=role, scope=scope, by=by)


def on_sheets_moved(sender, sheets, old_section_id, new_section, user=None, **kwargs) -> None:
    """``projects.signals.sheets_moved``: record the move; a section review follows the sheet to its new section.

    A first assignment (from no section) moves nobody's task and is not a move in the history."""
    if old_section_id is None:
        return
    old = Section.objects.filter(pk=old_section_id).values_list("name", flat=True).first() or "未分配科室"
    from workflow import services

    services.documents_rescope(documents=sheets, old_section_name=old, new_section_name=new_section.name if new_section else "未分配科室", by=user)
