"""Workflow events that concern approval cards already in people's WeCom."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def on_event_notified(sender, event, **kwargs) -> None:
    """``notifications.signals.event_notified``: a move that ends a review task settles its cards through a task,
    queued when the notifications' transaction commits (a WeCom call never runs inside it, and a rolled-back move
    settles nothing). If the broker cannot take the task the cards stay as they are: a tap on one still answers
    已由他人处理 and changes nothing."""
    from notifications.delivery import wecom_configured  # here, not at start-up: it brings the channels (httpx)
    from wecom import services

    if not wecom_configured() or not services.settles_cards(event):
        return
    event_id = event.pk
    transaction.on_commit(lambda: _settle_later(event_id))


def _settle_later(event_id: int) -> None:
    from wecom import tasks

    try:
        tasks.settle_cards.apply_async(args=[event_id], queue=settings.NOTIFY_QUEUE)
    except Exception:  # noqa: BLE001 — the move is saved; never turn it into an error page
        logger.warning("无法把更新企业微信审批卡片的任务交给后台（消息队列不可用），卡片保持原样", exc_info=True)
