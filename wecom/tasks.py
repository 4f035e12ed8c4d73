"""Celery tasks of the WeCom doors."""

from __future__ import annotations

from celery import shared_task

from wecom import services


@shared_task(name="wecom.tasks.settle_cards", ignore_result=True)
def settle_cards(event_id: int) -> int:
    """After a move: grey out the approval cards of the task it ended (see ``services.cards_settle``)."""
    return len(services.cards_settle(event_id=event_id))
