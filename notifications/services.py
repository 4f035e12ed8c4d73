"""Writes on the outbox: create notifications, deliver them, sweep, resend, mark read, preferences.

The outbox row is the truth about a message. It is written in the caller's
transaction; delivery tasks are enqueued only after that transaction commits,
and enqueueing never fails the caller (a broker outage leaves the row pending
for ``outbox_sweep``). Delivery claims a row (pending → sending) under a row
lock, so a duplicate task finds nothing to do, and marks it sent as soon as the
channel accepted it.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from notifications import delivery, selectors
from notifications.channels.errors import DeliveryError, RateLimited
from notifications.messages import Message
from notifications.models import Channel, Notification, Preference, Status

logger = logging.getLogger(__name__)

INTERRUPTED = (
    "投递过程中断（工作进程在发送时异常退出），无法确认是否已送达；为避免重复发送未自动重试。"
    "如确认对方未收到，请在后台选中后执行“重新发送”。"
)


# ---------------------------------------------------------------- creating


def channels_for(user, preference: Preference | None) -> list[str]:
    """In-app always; e-mail (to users with an address) and WeCom as the user chose (WeCom only when the system has a WeCom application)."""
    channels = [Channel.IN_APP]
    if (preference is None or preference.email_enabled) and user.email:
        channels.append(Channel.EMAIL)
    if (preference is None or preference.wecom_enabled) and delivery.wecom_configured():
        channels.append(Channel.WECOM)
    return channels


@transaction.atomic
def notifications_create(
    *, recipients, message: Message, dedupe_key: str, robot: bool = False, dry_run: bool = False
) -> list[Notification]:
    """Outbox rows for every recipient on each of their channels and, with ``robot``, for the sheet's section robot.

    A row already written for the same recipient, channel and ``dedupe_key`` is
    not written again. Returns the new rows (unsaved with ``dry_run``). Delivery
    tasks for them are enqueued after the surrounding transaction commits.
    """
    recipients = selectors.unique_users(recipients)
    preferences = {p.user_id: p for p in Preference.objects.filter(user__in=[u.pk for u in recipients])}
    wanted = [(user, channel) for user in recipients for channel in channels_for(user, preferences.get(user.pk))]
    section = message.sheet.section if message.sheet is not None and message.sheet.section_id else None
    if robot and section is not None and section.wecom_robot_key.strip():
        wanted.append((None, Channel.ROBOT))

    now = timezone.now()
    created: list[Notification] = []
    for user, channel in wanted:
        in_app = channel == Channel.IN_APP
        row = Notification(
            recipient=user, channel=channel, kind=message.kind, sheet=message.sheet, title=message.title[:200],
            body=message.body, url=message.url, dedupe_key=dedupe_key,
            status=Status.SENT if in_app else Status.PENDING, sent_at=now if in_app else None,
        )
        if dry_run:
            if not _written(row):
                created.append(row)
            continue
        row, was_created = _create_once(row)
        if was_created:
            created.append(row)
    to_deliver = [row.pk for row in created if row.status == Status.PENDING]
    if to_deliver and not dry_run:
        transaction.on_commit(functools.partial(notifications_enqueue, ids=to_deliver))
    return created


def _written(row: Notification) -> bool:
    """Is there already a row for the same recipient (or robot), channel and dedupe key?"""
    existing = Notification.objects.filter(channel=row.channel, dedupe_key=row.dedupe_key)
    if row.recipient is None:
        return existing.filter(recipient__isnull=True).exists()
    return existing.filter(recipient=row.recipient).exists()


def _create_once(row: Notification) -> tuple[Notification, bool]:
    """Insert ``row`` unless a row for the same recipient, channel and dedupe key exists (also under concurrency)."""
    lookup = {"recipient": row.recipient, "channel": row.channel, "dedupe_key": row.dedupe_key}
    defaults = {f.attname: getattr(row, f.attname) for f in Notification._meta.concrete_fields if not f.primary_key}
    for name in ("recipient_id", "channel", "dedupe_key", "created"):
        defaults.pop(name, None)
    return Notification.objects.get_or_create(**lookup, defaults=defaults)


def notifications_enqueue(*, ids: list[int]) -> int:
    """Queue one delivery task per row; a broker outage is logged, never raised (the sweep delivers later)."""
    from notifications.tasks import deliver_notification

    queued = 0
    for pk in ids:
        try:
            deliver_notification.apply_async(args=[pk], queue=settings.NOTIFY_QUEUE)
        except Exception:  # the broker is down or unreachable: leave the rest to outbox_sweep
            logger.warning("通知投递任务入队失败，稍后由定时巡检补发：notification ids %s", ids[queued:], exc_info=True)
            break
        queued += 1
    return queued


# ---------------------------------------------------------------- delivering


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
            return _fail(row, exc.reason)
        return _retry_or_fail(row, exc.reason)
    except Exception as exc:  # a bug or an unforeseen outage: keep the row and retry, loudly
        logger.exception("通知 %s 投递出错", row.pk)
        return _retry_or_fail(row, f"投递出错：{type(exc).__name__}：{exc}")
    Notification.objects.filter(pk=row.pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None
    )
    return Outcome("sent")


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
        return _fail(row, f"已尝试 {row.attempts} 次仍未成功：{reason}")
    return _release(row, delay=retry_delay(row.attempts), reason=reason)


def _release(row: Notification, *, delay: float, reason: str, counted: bool = True) -> Outcome:
    Notification.objects.filter(pk=row.pk, status=Status.SENDING).update(
        status=Status.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        last_error=reason,
        attempts=F("attempts") - (0 if counted else 1),
    )
    return Outcome("retry", retry_in=delay, reason=reason)


def _fail(row: Notification, reason: str) -> Outcome:
    Notification.objects.filter(pk=row.pk, status=Status.SENDING).update(
        status=Status.FAILED, last_error=reason, next_attempt_at=None
    )
    return Outcome("failed", reason=reason)


@dataclass
class SweepResult:
    interrupted: int = 0
    due: list[int] = field(default_factory=list)
    enqueued: int = 0


def outbox_sweep(*, now=None) -> SweepResult:
    """Queue pending rows whose time has come; fail rows stuck in sending (never resent automatically)."""
    now = now or timezone.now()
    result = SweepResult()
    stuck = Notification.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT_SECONDS)
    )
    result.interrupted = stuck.update(status=Status.FAILED, last_error=INTERRUPTED)
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
    return result


@transaction.atomic
def notifications_resend(*, notifications: QuerySet) -> int:
    """Put failed rows back into the outbox (admin action 重新发送) and queue them after commit."""
    ids = list(notifications.filter(status=Status.FAILED).exclude(channel=Channel.IN_APP).values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids).update(
        status=Status.PENDING, attempts=0, next_attempt_at=None, claimed_at=None
    )
    if ids:
        transaction.on_commit(functools.partial(notifications_enqueue, ids=ids))
    return len(ids)


# ---------------------------------------------------------------- the notification centre


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def preference_update(*, user, email_enabled: bool, wecom_enabled: bool, wecom_userid: str) -> Preference:
    preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
    preference.email_enabled = email_enabled
    preference.wecom_enabled = wecom_enabled
    preference.wecom_userid = wecom_userid.strip()
    preference.save()
    return preference


def preference_for(user) -> Preference:
    """The user's preference, unsaved defaults when they never chose."""
    return Preference.objects.filter(user=user).first() or Preference(user=user)


# ---------------------------------------------------------------- reminders and nudges


@dataclass
class Sent:
    due: object  # reminders.Due
    rows: list[Notification]


def reminders_send(*, day, dry_run: bool = False) -> list[Sent]:
    """Write the spending reminders, warnings and digests due on ``day`` (the daily 09:00 job and run_reminders)."""
    from notifications import reminders

    return _send_due(reminders.spending_due_on(day), dry_run=dry_run)


def nudges_send(*, now=None, dry_run: bool = False) -> list[Sent]:
    """Write the 催办 due at ``now`` for review tasks waiting too long."""
    from notifications import reminders

    return _send_due(reminders.nudges_due(now), dry_run=dry_run)


@transaction.atomic
def _send_due(dues, *, dry_run: bool) -> list[Sent]:
    sent = []
    for due in dues:
        rows = notifications_create(recipients=due.recipients, message=due.message, dedupe_key=due.dedupe_key, dry_run=dry_run)
        if rows:
            sent.append(Sent(due, rows))
    return sent
