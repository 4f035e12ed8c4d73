"""The engine's move-recorded signal: the approval that ends an adjustment's chain applies it, in the same
transaction (a failure undoes the approval)."""

from __future__ import annotations

from projects.models import TargetSheet
from workflow.steps import Action


def on_event(sender, event, **kwargs) -> None:
    if event.action != Action.PUBLISH or event.document_field != TargetSheet.history_field:
        return
    document = event.document
    if document.is_adjustment:
        from adjustments import services  # here, not at start-up

        services.adjustment_apply(adjustment=document, user=event.actor)
