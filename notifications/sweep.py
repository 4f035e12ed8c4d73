"""The outbox sweep (beat, every minute) and the admin's 重新发送: revive what may be revived, queue what is due,
write the notifications of moves the worker was never told about."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from notifications.fanout import fan_outs_overdue, fan_outs_run
from notifications.models import Channel, FailureKind, Notification, Status
from notifications.outbox import notifications_enqueue

logger = logging.getLogger(__name__)

INTERRUPTED = (
    "投递过程中断（工作进程在发送时异常退出），无法确认是否已送达；已自动重新放入发件箱，"
    "对方可能收到两次（邮件带有同一 Message-ID，多数邮件客户端会合并）。"
)
INTERRUPTED_GAVE_UP = (
    "投递过程中断（工作进程在发送时异常退出），无法确认是否已送达；自动恢复次数已用完，"
    "为避免重复发送不再自动重试。如确认对方未收到，请在后台选中后执行“重新发送”。"
)
REVIVED = "渠道已恢复，自动重新发送（第 {n} 次自动恢复）。上次错误："


@dataclass
class SweepResult:
    interrupted: int = 0
    revived: list[int] = field(default_factory=list)
    due: list[int] = field(default_factory=list)
    enqueued: int = 0
    written: int = 0  # moves whose notifications the worker was never told to write


def outbox_sweep(*, now=None) -> SweepResult:
    """Revive what may be revived, queue pending rows whose time has come, then write the notifications of moves
    the worker was never told about.

    Nothing waits on an administrator, and no row is revived without bound
    (``revivals`` ≤ ``NOTIFY_MAX_REVIVALS``; the admin's 重新发送 starts the count afresh):

    * **Interrupted** — a row left ``sending`` longer than ``NOTIFY_SENDING_TIMEOUT_SECONDS``
      (its worker was killed mid-send). Whether the channel accepted it cannot be known:
      losing it silently is worse than sending it twice, so it goes back to ``pending``
      at once and the at-least-once reality is written into ``last_error``. A second
      copy is softened where the channel allows: e-mail carries a Message-ID fixed per
      row, so the recipient's client shows one mail. With no revival left it is failed
      as ``interrupted`` and waits for 重新发送.
    * **Temporary failure** — a row failed because a temporary outage outlasted its
      retry budget (``failure_kind=temporary``) was certainly not delivered, so sending
      it again duplicates nothing. It is revived, with a fresh retry budget, when its
      channel answers again: some row on the same channel was sent after this one
      failed. While the channel stays silent, one such row per channel (the oldest) is
      revived every ``NOTIFY_REVIVE_PROBE_SECONDS`` as a probe.
    * **Permanent failure** (bad address, configuration error) is never revived: the
      same send would fail the same way. It waits for 重新发送 once the cause is fixed.
    """
    now = now or timezone.now()
    result = SweepResult()
    result.interrupted, interrupted_ids = _revive_interrupted(now)
    result.revived = interrupted_ids + _revive_temporary_failures(now)
    due = (
        Notification.objects.filter(status=Status.PENDING, created__lte=now - timedelta(seconds=settings.NOTIFY_SWEEP_GRACE_SECONDS))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created", "id")
        .values_list("pk", flat=True)[: settings.NOTIFY_SWEEP_BATCH]
    )
    result.due = list(due)
    result.enqueued = notifications_enqueue(ids=result.due)
    # While a worker is away its queue keeps these tasks: do not queue the same rows again on every sweep.
    requeue_at = now + timedelta(seconds=settings.NOTIFY_SWEEP_REQUEUE_SECONDS)
    Notification.objects.filter(pk__in=result.due[: result.enqueued], status=Status.PENDING).update(next_attempt_at=requeue_at)
    result.written = _fan_outs_catch_up()
    return result


def _fan_outs_catch_up() -> int:
    """The sweep's last part: write the notifications of moves whose task was lost, a document at a time (at most
    ``NOTIFY_SWEEP_BATCH`` documents a sweep). One document that fails is logged and left for the next sweep."""
    written = 0
    overdue = fan_outs_overdue(older_than=timedelta(seconds=settings.NOTIFY_SWEEP_GRACE_SECONDS))
    for field, pk in overdue[: settings.NOTIFY_SWEEP_BATCH]:
        try:
            written += fan_outs_run(field=field, pk=pk, lock_timeout=settings.NOTIFY_FAN_OUT_LOCK_TIMEOUT)
        except Exception:  # noqa: BLE001 — the others still get theirs
            logger.exception("补写 %s %s 的办理通知失败，下次巡检再试", field, pk)
    return written


def _revive_interrupted(now) -> tuple[int, list[int]]:
    """Rows stuck in ``sending``: back to pending (at least once) while revivals last, else failed."""
    stuck = Notification.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT_SECONDS)
    )
    with transaction.atomic():
        rows = list(stuck.select_for_update(skip_locked=True).values_list("pk", "revivals"))
        revive = [pk for pk, revivals in rows if revivals < settings.NOTIFY_MAX_REVIVALS]
        give_up = [pk for pk, revivals in rows if revivals >= settings.NOTIFY_MAX_REVIVALS]
        Notification.objects.filter(pk__in=revive, status=Status.SENDING).update(
            status=Status.PENDING, attempts=0, next_attempt_at=None, claimed_at=None, revivals=F("revivals") + 1,
            failure_kind=FailureKind.INTERRUPTED, failed_at=now, last_error=INTERRUPTED,
        )
        Notification.objects.filter(pk__in=give_up, status=Status.SENDING).update(
            status=Status.FAILED, next_attempt_at=None, failure_kind=FailureKind.INTERRUPTED, failed_at=now,
            last_error=INTERRUPTED_GAVE_UP,
        )
    return len(rows), revive


def _revive_temporary_failures(now) -> list[int]:
    """Failed-by-outage rows of every channel that answers again (or one probe row per silent channel)."""
    revived: list[int] = []
    candidates = Notification.objects.filter(
        status=Status.FAILED, failure_kind=FailureKind.TEMPORARY, revivals__lt=settings.NOTIFY_MAX_REVIVALS
    )
    for channel in candidates.order_by().values_list("channel", flat=True).distinct():
        rows = candidates.filter(channel=channel)
        last_sent = (
            Notification.objects.filter(channel=channel, status=Status.SENT, sent_at__isnull=False)
            .order_by("-sent_at").values_list("sent_at", flat=True).first()
        )
        ids = list(rows.filter(failed_at__lt=last_sent).values_list("pk", flat=True)[: settings.NOTIFY_SWEEP_BATCH]) if last_sent else []
        if not ids:
            probe_before = now - timedelta(seconds=settings.NOTIFY_REVIVE_PROBE_SECONDS)
            # a revived row of this channel still on its way is the probe: wait for its outcome
            recent_probe = Notification.objects.filter(
                channel=channel, failure_kind=FailureKind.TEMPORARY, status__in=[Status.PENDING, Status.SENDING]
            ).exists()
            oldest = rows.filter(failed_at__lt=probe_before).order_by("failed_at", "id").values_list("pk", flat=True).first()
            ids = [oldest] if oldest is not None and not recent_probe else []
        if ids:
            _revive(ids, now)
            revived += ids
    return revived


def _revive(ids: list[int], now) -> None:
    for row in Notification.objects.filter(pk__in=ids, status=Status.FAILED).only("pk", "revivals", "last_error"):
        Notification.objects.filter(pk=row.pk, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=None, claimed_at=None, revivals=row.revivals + 1,
            last_error=REVIVED.format(n=row.revivals + 1) + row.last_error[:500],
        )


@transaction.atomic
def notifications_resend(*, notifications: QuerySet) -> int:
    """Put failed rows back into the outbox (admin action 重新发送) and queue them after commit."""
    ids = list(notifications.filter(status=Status.FAILED).exclude(channel=Channel.IN_APP).values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids).update(
        status=Status.PENDING, attempts=0, next_attempt_at=None, claimed_at=None, revivals=0
    )
    if ids:
        transaction.on_commit(functools.partial(notifications_enqueue, ids=ids))
    return len(ids)

