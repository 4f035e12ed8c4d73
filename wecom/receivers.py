"""Workflow events that concern approval cards already in people's WeCom."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from notifications.delivery import wecom_configured


def on_event_notified(sender, event, in_request: bool, **kwargs) -> None:
    """``notifications.signals.event_notified``: a move that ends a review task settles its cards, after the
    notifications' transaction commits (a WeCom call never runs inside it, and a rolled-back move settles nothing):
    from a request through a task, in the worker that wrote the notifications at once."""
    from wecom import services, tasks

    if not wecom_configured() or not services.settles_cards(event):
        return
    event_id = event.pk
    if in_request:
        transaction.on_commit(lambda: tasks.settle_cards.apply_async(args=[event_id], queue=settings.NOTIFY_QUEUE))
    else:
        transaction.on_commit(lambda: services.cards_settle(event_id=event_id))
