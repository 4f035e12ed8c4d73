"""Turn workflow events into outbox rows: in the event's own transaction, or recorded there for the worker.

``fanout`` is imported when a receiver runs, not when the app is ready: it brings the outbox and its channels
(httpx), which a command that moves nothing (an import, an export) has no use for."""

from __future__ import annotations

from workflow.documents import field_of


def on_event(sender, event, **kwargs) -> None:
    """``workflow.signals.event_recorded``: notify the people the event concerns, and the section's group robot
    (``fanout.event_notify``: now, or recorded with the move for the worker to write right after it commits)."""
    from notifications import fanout

    fanout.event_notify(event=event)


def on_document_deleting(sender, instance, **kwargs) -> None:
    """``pre_delete`` of a document: the notifications of its moves still pending are written first (a withdraw's
    notices, and the settling of the notices that asked for the task), before the deletion removes what they need."""
    from notifications import fanout

    fanout.fan_outs_run(field=field_of(instance), pk=instance.pk)

