"""Turn workflow events into outbox rows: in the event's own transaction, or recorded there for the worker."""

from __future__ import annotations

from notifications import fanout
from workflow.documents import field_of


def on_event(sender, event, **kwargs) -> None:
    """``workflow.signals.event_recorded``: notify the people the event concerns, and the section's group robot
    (``fanout.event_notify``: now, or recorded with the move for the worker to write right after it commits)."""
    fanout.event_notify(event=event)


def on_document_deleting(sender, instance, **kwargs) -> None:
    """``pre_delete`` of a document: the notifications of its moves still pending are written first (a withdraw's
    notices, and the settling of the notices that asked for the task), before the deletion removes what they need."""
    fanout.fan_outs_run(field=field_of(instance), pk=instance.pk)

