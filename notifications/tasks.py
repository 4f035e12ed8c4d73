"""Celery tasks: deliver one notification, sweep the outbox, daily checkpoint reminders, nudges, the calendar check.

Every task is a thin shell over a service (``attempts``, ``fanout``, ``sweep``, ``reminder_writes``); the outbox row, not
the Celery message, is the truth, so a lost or duplicated message does no harm.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from notifications import attempts, fanout, reminder_writes, sweep
from notifications.models import Kind

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="notifications.tasks.deliver_notification", max_retries=None, acks_late=True, ignore_result=True)
def deliver_notification(self, notification_id: int) -> str:
    """Deliver one outbox row; on a temporary failure retry with exponential backoff (the row keeps the count)."""
    outcome = attempts.notification_deliver(notification_id=notification_id)
    if outcome.status == "retry" and not self.request.is_eager:
        # If even this cannot be queued (broker down), the row stays pending and sweep_outbox picks it up.
        raise self.retry(countdown=outcome.retry_in, queue=settings.NOTIFY_QUEUE)
    return outcome.status


@shared_task(bind=True, name="notifications.tasks.deliver_notifications", max_retries=None, acks_late=True, ignore_result=True)
def deliver_notifications(self, notification_ids: list[int]) -> dict:
    """Deliver a batch of outbox rows (identical WeCom messages in one send); rows to retry are queued again
    together, after the shortest of their delays (each row keeps its own next attempt time and count)."""
    outcomes = attempts.notifications_deliver(ids=notification_ids)
    retry = [pk for pk, outcome in outcomes.items() if outcome.status == "retry"]
    if retry and not self.request.is_eager:
        delay = min(outcomes[pk].retry_in for pk in retry)
        # If even this cannot be queued (broker down), the rows stay pending and sweep_outbox picks them up.
        deliver_notifications.apply_async(args=[retry], countdown=delay, queue=settings.NOTIFY_QUEUE)
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


FAN_OUT_RETRIES = 5  # after 5, 10, 20, 40 and 80 seconds; then the sweep writes them (every 5 minutes)


@shared_task(bind=True, name="notifications.tasks.write_event_notifications", ignore_result=True, acks_late=True,
             max_retries=FAN_OUT_RETRIES)
def write_event_notifications(self, field: str, pk: int) -> int:
    """Write the notifications of the document's pending moves, in their order. A lock on the outbox held longer than
    NOTIFY_FAN_OUT_LOCK_TIMEOUT (or the database away): let go and try again later. (Moves no longer send it: the
    workers pick pending moves up themselves, ``notifications.pickup``; kept for messages an earlier version queued.)"""
    try:
        return fanout.fan_outs_run(field=field, pk=pk, lock_timeout=settings.NOTIFY_FAN_OUT_LOCK_TIMEOUT)
    except OperationalError as exc:
        if self.request.is_eager:
            raise
        logger.warning("%s %s 的办理通知暂未写入（%s），稍后重试", field, pk, exc)
        raise self.retry(exc=exc, countdown=5 * 2 ** self.request.retries, queue=settings.NOTIFY_QUEUE)


@shared_task(name="notifications.tasks.sweep_outbox", ignore_result=True)
def sweep_outbox() -> dict:
    """Every few minutes: queue pending rows left behind (broker or worker outage, exhausted retries)."""
    result = sweep.outbox_sweep()
    if result.due or result.interrupted or result.revived or result.written:
        logger.info(
            "发件箱巡检：补写 %s 次办理的通知，补发 %s 条（已入队 %s 条），中断 %s 条，自动恢复 %s 条",
            result.written, len(result.due), result.enqueued, result.interrupted, len(result.revived),
        )
    return {"written": result.written, "due": len(result.due), "enqueued": result.enqueued, "interrupted": result.interrupted,
            "revived": len(result.revived)}


@shared_task(name="notifications.tasks.run_daily_reminders", ignore_result=True)
def run_daily_reminders() -> int:
    """09:00 Asia/Shanghai: spending checkpoint reminders, warnings and finance digests for today,
    and what the last ``CATCH_UP_DAYS`` days missed (beat or the worker down); never twice."""
    from notifications.reminders import CATCH_UP_DAYS

    day = timezone.localdate()
    sent = reminder_writes.reminders_send(day=day, catch_up_days=CATCH_UP_DAYS)
    sent += reminder_writes.disposals_send(day=day, catch_up_days=CATCH_UP_DAYS)  # 处置 (issue 21)
    _log_sent(f"{day} 提醒", sent)
    return sum(len(item.rows) for item in sent)


@shared_task(name="notifications.tasks.nudge_reviewers", ignore_result=True)
def nudge_reviewers() -> int:
    """Daily: 催办 review tasks waiting more than NUDGE_AFTER_WORKDAYS working days."""
    sent = reminder_writes.nudges_send()
    _log_sent(f"{timezone.localdate()} 催办", sent)
    return sum(len(item.rows) for item in sent)


LOGGED_ITEMS = 20  # a province's checkpoint day writes 100,000 items: the log gets a count per kind and the first few


def _log_sent(what: str, sent: list) -> None:
    """One line per kind of message (how many items, how many rows), then the first ``LOGGED_ITEMS`` items."""
    kinds: dict[str, list[int]] = {}
    for item in sent:
        counts = kinds.setdefault(item.due.kind, [0, 0])
        counts[0] += 1
        counts[1] += len(item.rows)
    for kind, (items, rows) in kinds.items():
        logger.info("%s：%s %s 项，%s 条通知", what, Kind(kind).label, items, rows)
    for item in sent[:LOGGED_ITEMS]:
        logger.info("%s：%s（%s 条通知）", what, item.due.summary, len(item.rows))
    if len(sent) > LOGGED_ITEMS:
        logger.info("%s：另有 %s 项未逐条记录（manage.py run_reminders --dry-run 可列出）", what, len(sent) - LOGGED_ITEMS)


@shared_task(name="notifications.tasks.warn_missing_calendar", ignore_result=True)
def warn_missing_calendar() -> int:
    """Daily from 1 December: tell the superusers (e-mail and in-app) when next year's holidays are missing.

    Once a day at most: the outbox's dedupe key carries the date, so a second run that day writes nothing.
    """
    return len(reminder_writes.calendar_warning_send(today=timezone.localdate()))
