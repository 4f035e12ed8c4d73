"""Turn workflow events into outbox rows, inside the event's own transaction."""

from __future__ import annotations

from notifications import messages, selectors, services


def on_sheet_event(sender, event, **kwargs) -> None:
    """``workflow.signals.sheet_event_recorded``: notify the people the event concerns, and the section's group robot.

    The rows are written in the event's transaction: if they cannot be written, the move
    itself is rolled back, so no event is ever recorded without its notifications.
    A move also settles the earlier notifications that asked for the task it handled (read and handled).
    """
    services.notifications_mark_handled(sheet=event.sheet, action=event.action)
    recipients = selectors.event_recipients(event)  # the role holders come with their preferences: not read again
    services.notifications_create(
        recipients=recipients,
        message=messages.for_event(event),
        dedupe_key=f"event:{event.pk}",
        robot=True,
        preferences=services.preferences_read_with(recipients),
    )


def on_calendar_day_changed(sender, **kwargs) -> None:
    """A ``CalendarDay`` was saved or deleted: forget the cached table now and again after commit."""
    from django.db import transaction

    from notifications import workdays

    workdays.overrides_changed()
    transaction.on_commit(workdays.overrides_changed)
