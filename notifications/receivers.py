"""Turn workflow events into outbox rows, inside the event's own transaction."""

from __future__ import annotations

import logging

from django.db import transaction

from notifications import messages, selectors, services

logger = logging.getLogger(__name__)


def on_sheet_event(sender, event, **kwargs) -> None:
    """``workflow.signals.sheet_event_recorded``: notify the people the event concerns, and the section's group robot.

    The rows are written in a savepoint of the event's transaction: they commit with the event, and a bug
    here is logged rather than refusing the reviewer's move.
    """
    try:
        with transaction.atomic():
            recipients = selectors.event_recipients(event)
            message = messages.for_event(event)
            services.notifications_create(
                recipients=recipients, message=message, dedupe_key=f"event:{event.pk}", robot=True
            )
    except Exception:
        logger.exception("未能为审批记录 %s（%s）写入通知", event.pk, event.action)
