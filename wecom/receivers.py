"""Workflow events that concern approval cards already in people's WeCom."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from notifications.delivery import wecom_configured


def on_sheet_event(sender, event, **kwargs) -> None:
    """``workflow.signals.sheet_event_recorded``: a move that ends a review task settles its cards, after commit
    (a WeCom call never runs inside the move's transaction, and a rolled-back move settles nothing)."""
    from wecom import services, tasks

    if not wecom_configured() or not services.settles_cards(event):
        return
    event_id = event.pk
    transaction.on_commit(
        lambda: tasks.settle_cards.apply_async(args=[event_id], queue=settings.NOTIFY_QUEUE)
    )
