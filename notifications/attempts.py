"""Delivery attempts on outbox rows: claim a row (pending → sending) under a row lock, so a duplicate task finds
nothing to do; send it through ``delivery``; mark it sent as soon as the channel accepted it, or put it back for a
retry with backoff, or fail it with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone

from core.db import is_postgresql
from notifications import delivery
from notifications.channels.errors import DeliveryError, RateLimited
from notifications.models import Channel, FailureKind, Notification, Status

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent" | "failed" | "retry" | "skipped"
    retry_in: float | None = None
    reason: str = ""


def notification_deliver(*, notification_id: int) -> Outcome:
    """Deliver one outbox row if it is still pending; idempotent.

    A temporary failure (or a full rate limit) puts the row back to pending with
    its next attempt time and returns ``retry_in``; a permanent one, or too many
    attempts, marks it failed with the reason.
    """
    row = _claim(notification_id)
    if row is None:
        return Outcome("skipped")
    try:
        delivery.deliver(row)
    except RateLimited as exc:
        return _release(row, delay=exc.retry_after, reason=f"已达到发送频率上限，{exc.retry_after:g} 秒后重试。", counted=False)
    except DeliveryError as exc:
        if not exc.temporary:
            return _fail(row, exc.reason, kind=FailureKind.PERMANENT)
        return _retry_or_fail(row, exc.reason)
    except Exception as exc:  # a bug or an unforeseen outage: keep the row and retry, loudly
        logger.exception("通知 %s 投递出错", row.pk)
        return _retry_or_fail(row, f"投递出错：{type(exc).__name__}：{exc}")
    _mark_sent(Notification.objects.filter(pk=row.pk, status=Status.SENDING))
    return Outcome("sent")


def notifications_deliver(*, ids: list[int]) -> dict[int, Outcome]:
    """Deliver the pending rows among ``ids``; idempotent. WeCom application rows are claimed together in one
    statement and rows carrying the same message go out as one send to all their recipients (``touser`` takes up
    to 1,000 ids), their member slots taken in one Redis round trip; their outcomes are written one statement per
    kind of outcome. Every other pending row goes through ``notification_deliver``. Returns each row's outcome
    (retries carry ``retry_in``); rows no longer pending are ``skipped``."""
    rows = _claim_many(ids, channel=Channel.WECOM)
    outcomes = _settle(rows, delivery.send_wecom_rows(rows)) if rows else {}
    rest = [pk for pk in ids if pk not in outcomes]
    pending = set(Notification.objects.filter(pk__in=rest, status=Status.PENDING).values_list("pk", flat=True)) if rest else set()
    for pk in rest:
        outcomes[pk] = notification_deliver(notification_id=pk) if pk in pending else Outcome("skipped")
    return outcomes


def _settle(rows: list[Notification], results: dict[int, Exception | None]) -> dict[int, Outcome]:
    """Write the outcome of claimed rows: one UPDATE for the sent rows and one per (kind, reason, delay) of the others."""
    outcomes: dict[int, Outcome] = {}
    sent: list[int] = []
    groups: dict[tuple, list[int]] = {}  # (status, reason, delay or failure kind, counted) → rows
    for row in rows:
        error = results.get(row.pk)
        if error is None:
            sent.append(row.pk)
            outcomes[row.pk] = Outcome("sent")
            continue
        if isinstance(error, RateLimited):
            key = ("retry", f"已达到发送频率上限，{error.retry_after:g} 秒后重试。", error.retry_after, False)
        elif not isinstance(error, DeliveryError):  # a bug or an unforeseen outage (logged where it happened): retry
            key = _retry_or_fail_key(row, f"投递出错：{type(error).__name__}：{error}")
        elif not error.temporary:
            key = ("failed", error.reason, FailureKind.PERMANENT, True)
        else:
            key = _retry_or_fail_key(row, error.reason)
        groups.setdefault(key, []).append(row.pk)
        status, reason, detail, _ = key
        outcomes[row.pk] = Outcome("retry", retry_in=detail, reason=reason) if status == "retry" else Outcome("failed", reason=reason)
    if sent:
        _mark_sent(Notification.objects.filter(pk__in=sent, status=Status.SENDING))
    for (status, reason, detail, counted), pks in groups.items():
        if status == "retry":
            _release_rows(pks, delay=detail, reason=reason, counted=counted)
        else:
            _fail_rows(pks, reason, kind=detail)
    return outcomes


def _retry_or_fail_key(row: Notification, reason: str) -> tuple:
    if row.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        return ("failed", f"已尝试 {row.attempts} 次仍未成功：{reason}", FailureKind.TEMPORARY, True)
    return ("retry", reason, retry_delay(row.attempts), True)


def _mark_sent(rows: QuerySet) -> None:
    rows.update(
        status=Status.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None,
        # a row revived after an interruption keeps saying so: it may have reached its recipient twice
        failure_kind=Case(When(failure_kind=FailureKind.INTERRUPTED, then=Value(FailureKind.INTERRUPTED)), default=Value("")),
    )


_CLAIM = """
    UPDATE notifications_notification SET status = %s, attempts = attempts + 1, claimed_at = %s, next_attempt_at = NULL
    WHERE id IN (
        SELECT id FROM notifications_notification
        WHERE id = ANY(%s) AND status = %s AND channel = %s
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id
"""


def _claim_many(ids: list[int], *, channel: str) -> list[Notification]:
    """``_claim`` for the pending rows of ``channel`` among ``ids`` in one statement (rows another worker holds
    are skipped), then read with their recipients' preferences: two queries."""
    if not ids:
        return []
    now = timezone.now()
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM, [Status.SENDING.value, now, list(ids), Status.PENDING.value, str(channel)])
            claimed = [pk for (pk,) in cursor.fetchall()]
    else:  # SQLite runs one writer at a time: the rows this UPDATE took are those carrying its claim time
        with transaction.atomic():
            Notification.objects.filter(pk__in=list(ids), status=Status.PENDING, channel=channel).update(
                status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now, next_attempt_at=None
            )
            claimed = list(Notification.objects.filter(pk__in=list(ids), status=Status.SENDING, claimed_at=now).values_list("pk", flat=True))
    if not claimed:
        return []
    return list(Notification.objects.select_related("recipient__notification_preference").filter(pk__in=claimed).order_by("pk"))


def _claim(pk: int) -> Notification | None:
    """pending → sending under a row lock; None if another worker holds it or it is no longer pending."""
    with transaction.atomic():
        row = Notification.objects.select_for_update(skip_locked=True).filter(pk=pk, status=Status.PENDING).first()
        if row is None:
            return None
        row.status = Status.SENDING
        row.attempts += 1
        row.claimed_at = timezone.now()
        row.next_attempt_at = None
        row.save(update_fields=["status", "attempts", "claimed_at", "next_attempt_at"])
    return Notification.objects.select_related("recipient__notification_preference", "sheet__section").get(pk=pk)


def retry_delay(attempts: int) -> float:
    """Exponential backoff: base, 2×base, 4×base … capped."""
    return min(settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.NOTIFY_RETRY_MAX_SECONDS)


def _retry_or_fail(row: Notification, reason: str) -> Outcome:
    if row.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        return _fail(row, f"已尝试 {row.attempts} 次仍未成功：{reason}", kind=FailureKind.TEMPORARY)
    return _release(row, delay=retry_delay(row.attempts), reason=reason)


def _release(row: Notification, *, delay: float, reason: str, counted: bool = True) -> Outcome:
    _release_rows([row.pk], delay=delay, reason=reason, counted=counted)
    return Outcome("retry", retry_in=delay, reason=reason)


def _release_rows(pks: list[int], *, delay: float, reason: str, counted: bool = True) -> None:
    """Back to pending for another attempt in ``delay`` seconds (``counted=False``: this one was not an attempt)."""
    Notification.objects.filter(pk__in=pks, status=Status.SENDING).update(
        status=Status.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        last_error=reason,
        attempts=F("attempts") - (0 if counted else 1),
    )


def _fail(row: Notification, reason: str, *, kind: str) -> Outcome:
    _fail_rows([row.pk], reason, kind=kind)
    return Outcome("failed", reason=reason)


def _fail_rows(pks: list[int], reason: str, *, kind: str) -> None:
    Notification.objects.filter(pk__in=pks, status=Status.SENDING).update(
        status=Status.FAILED, last_error=reason, next_attempt_at=None, failure_kind=kind, failed_at=timezone.now()
    )

