"""Turn workflow events into outbox rows: in the event's own transaction, or recorded there for the worker."""

from __future__ import annotations

from notifications import services


def on_sheet_event(sender, event, **kwargs) -> None:
    """``workflow.signals.event_recorded``: notify the people the event concerns, and the section's group robot
    (``services.event_notify``: now, or recorded with the move for the worker to write right after it commits)."""
    services.event_notify(event=event)


def on_sheet_deleting(sender, instance, **kwargs) -> None:
    """``pre_delete`` of a TargetSheet: the notifications of its moves still pending are written first (a withdraw's
    notices, and the settling of the notices that asked for the task), before the deletion removes what they need."""
    services.fan_outs_run(sheet_id=instance.pk)


def on_calendar_day_changed(sender, **kwargs) -> None:
    """A ``CalendarDay`` was saved or deleted: forget the cached table now and again after commit."""
    from django.db import transaction

    from notifications import workdays

    workdays.overrides_changed()
    transaction.on_commit(workdays.overrides_changed)
