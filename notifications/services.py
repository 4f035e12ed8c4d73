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
from typing import NamedTuple

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.db import in_values, is_postgresql
from notifications import delivery, messages, selectors
from notifications.channels.errors import DeliveryError, RateLimited
from notifications.messages import Message
from notifications.models import Channel, FailureKind, Kind, Notification, PendingFanOut, Preference, Status
from notifications.signals import event_notified
from workflow import flow

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


# ---------------------------------------------------------------- creating


def channels_for(user, preference: Preference | None) -> list[str]:
    """In-app always; e-mail (to users with an address) and WeCom as the user chose.

    WeCom only when the system has a WeCom application and the user has a WeCom user id:
    a row for someone WeCom cannot address would only fail.
    """
    channels = [Channel.IN_APP]
    if (preference is None or preference.email_enabled) and user.email:
        channels.append(Channel.EMAIL)
    if (
        preference is not None and preference.wecom_enabled and preference.wecom_userid.strip()
        and delivery.wecom_configured()
    ):
        channels.append(Channel.WECOM)
    return channels


@transaction.atomic(savepoint=False)  # part of the caller's transaction: a failed write rolls the caller back
def notifications_create(
    *, recipients, message: Message, dedupe_key: str, robot: bool = False, dry_run: bool = False,
    preferences: dict | None = None,
) -> list[Notification]:
    """Outbox rows for every recipient on each of their channels and, with ``robot``, for the sheet's section robot.

    A row already written for the same recipient, channel and ``dedupe_key`` is
    not written again. Returns the new rows (unsaved with ``dry_run``). Delivery
    tasks for them are enqueued after the surrounding transaction commits.
    """
    return notifications_create_many([Outgoing(recipients, message, dedupe_key, robot)], dry_run=dry_run, preferences=preferences)[0]


@dataclass
class Outgoing:
    recipients: list
    message: Message
    dedupe_key: str
    robot: bool = False


@transaction.atomic(savepoint=False)  # part of the caller's transaction: a failed write rolls the caller back
def notifications_create_many(
    items: list[Outgoing], *, dry_run: bool = False, preferences: dict | None = None
) -> list[list[Notification]]:
    """``notifications_create`` for many messages at once, in a number of queries that does not grow with them.

    One query for the recipients' preferences (none for those in ``preferences``, {user id: Preference or None},
    which the caller read with the users: ``preferences_read_with``) and one ``INSERT … ON CONFLICT DO NOTHING
    RETURNING`` for all the rows (the unique recipient/channel/dedupe key skips what was already written, also by a concurrent
    run, and the statement returns the ids of the rows it did write). Returns the new rows of each item, in
    order; delivery is enqueued after commit. ``dry_run`` looks the dedupe keys up instead of writing.
    """
    recipients_of = [selectors.unique_users(item.recipients) for item in items]
    user_ids = {user.pk for users in recipients_of for user in users}
    known = preferences or {}  # {user id: Preference or None} the caller read with the users
    preferences = {pk: p for pk, p in known.items() if pk in user_ids and p is not None}
    if unknown := user_ids - known.keys():
        preferences.update({p.user_id: p for p in Preference.objects.filter(user__in=unknown)})
    now = timezone.now()
    planned: list[tuple[int, Notification]] = []
    seen: set[tuple] = set()
    for index, (item, users) in enumerate(zip(items, recipients_of)):
        message = item.message
        wanted = [(user, channel) for user in users for channel in channels_for(user, preferences.get(user.pk))]
        section = message.sheet.section if message.sheet is not None and message.sheet.section_id else None
        if item.robot and section is not None and section.wecom_robot_key.strip():
            wanted.append((None, Channel.ROBOT))
        for user, channel in wanted:
            key = (user.pk if user is not None else None, channel, item.dedupe_key)
            if key in seen:
                continue
            seen.add(key)
            in_app = channel == Channel.IN_APP
            planned.append((index, Notification(
                recipient=user, channel=channel, kind=message.kind, sheet=message.sheet, title=message.title[:200],
                body=message.body, url=message.url, dedupe_key=item.dedupe_key,
                status=Status.SENT if in_app else Status.PENDING, sent_at=now if in_app else None, created=now,
            )))
    result: list[list[Notification]] = [[] for _ in items]
    if not planned:
        return result
    if dry_run:
        existing = _existing(sorted({row.dedupe_key for _, row in planned}), user_ids)
        new = [(index, row) for index, row in planned if (row.recipient_id, row.channel, row.dedupe_key) not in existing]
    else:
        ids = _insert_new([row for _, row in planned])
        new = [(index, row) for index, row in planned if _set_pk(row, ids)]
    for index, row in new:
        result[index].append(row)
    to_deliver = [row.pk for _, row in new if row.status == Status.PENDING]
    if to_deliver and not dry_run:
        transaction.on_commit(functools.partial(notifications_enqueue, ids=to_deliver))
    return result


def preferences_read_with(users) -> dict:
    """{user id: Preference or None} for the ``users`` read with their preference (``select_related``, as a move's
    role holders are, in the move's transaction); what ``notifications_create(preferences=…)`` takes."""
    cache = Preference.user.field.remote_field  # the reverse side: user.notification_preference
    return {user.pk: cache.get_cached_value(user) for user in users if cache.is_cached(user)}


_INSERT_NEW = """
    INSERT INTO notifications_notification (recipient_id, channel, kind, sheet_id, title, body, url, status, attempts,
        last_error, failure_kind, revivals, dedupe_key, created, sent_at)
    SELECT r, c, k, s, t, b, u, st, 0, '', '', 0, d, cr, sa
    FROM unnest(%s::int[], %s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],
                %s::text[], %s::timestamptz[], %s::timestamptz[]) AS x(r, c, k, s, t, b, u, st, d, cr, sa)
    ON CONFLICT DO NOTHING
    RETURNING id, recipient_id, channel, dedupe_key
"""


def _insert_new(rows: list[Notification]) -> dict:
    """Write ``rows`` in one statement, skipping those whose recipient/channel/dedupe key is already written (the
    unique constraints decide); (recipient id, channel, dedupe key) → id of the rows written."""
    names = ("recipient_id", "channel", "kind", "sheet_id", "title", "body", "url", "status", "dedupe_key", "created", "sent_at")
    if not is_postgresql():
        written = _rows_insert_portable([{name: getattr(row, name) for name in names} for row in rows])
        return {(recipient_id, channel, key): pk for pk, recipient_id, channel, key, _ in written}
    columns = [[getattr(row, name) for row in rows] for name in names]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_NEW, columns)
        return {(recipient_id, channel, key): pk for pk, recipient_id, channel, key in cursor.fetchall()}


def _rows_insert_portable(rows: list[dict]) -> list[tuple]:
    """``_INSERT_NEW`` / ``_INSERT_DUE`` without PostgreSQL's arrays (SQLite, the embedded demo): a row at a time, each
    in a savepoint, skipping those the unique constraints refuse. (id, recipient id, channel, dedupe key, status)
    of the rows written, in order."""
    from django.db import IntegrityError

    written = []
    for values in rows:
        try:
            with transaction.atomic():
                row = Notification.objects.create(**values)
        except IntegrityError:
            continue
        written.append((row.pk, row.recipient_id, row.channel, row.dedupe_key, row.status))
    return written


def _existing(keys: list[str], user_ids) -> set[tuple]:
    """(recipient id, channel, dedupe key) of the rows already written for ``keys``.

    Looked up on the unique indexes: recipient among ``user_ids`` (notification_once_per_recipient leads with
    the recipient), or the robot's rows (notification_once_per_robot); never a scan of the whole outbox. One query."""
    mine = Q(recipient_id__in=user_ids, dedupe_key__in=keys) if user_ids else Q(pk__in=[])
    robot = Q(recipient__isnull=True, channel=Channel.ROBOT, dedupe_key__in=keys)
    return set(Notification.objects.filter(mine | robot).values_list("recipient_id", "channel", "dedupe_key"))


def _set_pk(row: Notification, ids: dict) -> bool:
    row.pk = ids.get((row.recipient_id, row.channel, row.dedupe_key))
    if row.pk is None:
        return False
    row._state.adding = False
    return True


# ids per delivery task: a task claims its WeCom rows at once and sends identical messages in one call
DELIVERY_BATCH = 50


def notifications_enqueue(*, ids: list[int]) -> int:
    """Queue delivery tasks for the rows, ``DELIVERY_BATCH`` ids a task; a broker outage is logged, never raised
    (the sweep delivers later). Returns how many ids were queued."""
    from notifications.tasks import deliver_notifications

    queued = 0
    for start in range(0, len(ids), DELIVERY_BATCH):
        chunk = list(ids[start:start + DELIVERY_BATCH])
        try:
            deliver_notifications.apply_async(args=[chunk], queue=settings.NOTIFY_QUEUE)
        except Exception:  # the broker is down or unreachable: leave the rest to outbox_sweep
            logger.warning("通知投递任务入队失败，稍后由定时巡检补发：notification ids %s", ids[queued:], exc_info=True)
            break
        queued += len(chunk)
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
    """The sweep's last part: write the notifications of moves whose task was lost, a sheet at a time (at most
    ``NOTIFY_SWEEP_BATCH`` sheets a sweep). One sheet that fails is logged and left for the next sweep."""
    written = 0
    overdue = fan_outs_overdue(older_than=timedelta(seconds=settings.NOTIFY_SWEEP_GRACE_SECONDS))
    for sheet_id in overdue[: settings.NOTIFY_SWEEP_BATCH]:
        try:
            written += fan_outs_run(sheet_id=sheet_id, lock_timeout=settings.NOTIFY_FAN_OUT_LOCK_TIMEOUT)
        except Exception:  # noqa: BLE001 — the others still get theirs
            logger.exception("补写绩效目标表 %s 的办理通知失败，下次巡检再试", sheet_id)
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


# ---------------------------------------------------------------- the notification centre


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


# Which notifications ask someone to act on a sheet, and which moves settle that: the review task
# (submitted, passed on, reassigned, nudged) is settled by any decision on it or its withdrawal; the
# drafters' task of revising a returned sheet by its next submission.
REVIEW_TASK_KINDS = (Kind.SUBMIT, Kind.APPROVE, Kind.REASSIGN, Kind.NUDGE)
SETTLED_BY = {
    Kind.APPROVE: REVIEW_TASK_KINDS,
    Kind.PUBLISH: REVIEW_TASK_KINDS,
    Kind.RETURN: REVIEW_TASK_KINDS,
    Kind.WITHDRAW: REVIEW_TASK_KINDS,
    Kind.REASSIGN: REVIEW_TASK_KINDS,
    Kind.SUBMIT: (Kind.RETURN,),
}


# Moves whose notifications the worker writes after the move commits (the move's request does not wait for the role
# holders, the rows and the settling of the handled task): their audience follows from the event alone — the step
# the sheet moved to, with no assignee (a move clears it). A return (its round's approvers), a 转办, a move between
# sections and the rest are written with the move.
DEFERRED_ACTIONS = frozenset({"submit", "approve", "withdraw", "publish"})


def event_notify(*, event) -> None:
    """A move was recorded (inside its transaction): write its notifications now, or — with a worker to hand them
    to, for ``DEFERRED_ACTIONS`` — record a ``PendingFanOut`` with the move and let the worker write them once the
    move commits. Notifications are written in the order of the sheet's moves either way: a move written now first
    writes those still pending for the sheet."""
    if not _worker_available():
        _event_fan_out(event)
        return
    if event.action in DEFERRED_ACTIONS:
        PendingFanOut.objects.create(event_id=event.pk, sheet_id=event.sheet_id)
        sheet_id = event.sheet_id
        transaction.on_commit(lambda: _fan_outs_enqueue(sheet_id))
        return
    fan_outs_run(sheet_id=event.sheet_id)
    _event_fan_out(event)


def _worker_available() -> bool:
    """Do tasks go to a worker? (Not on the embedded default without Redis, where they run in-process.)"""
    from config.celery import app

    return not app.conf.task_always_eager


def _fan_outs_enqueue(sheet_id: int) -> None:
    """After the move commits: the worker writes its notifications. If the broker cannot take the task, they are
    written here and now instead (in a transaction of their own), so they never wait for the sweep."""
    from notifications.tasks import write_event_notifications

    try:
        write_event_notifications.apply_async(args=[sheet_id], queue=settings.NOTIFY_QUEUE)
    except Exception:  # noqa: BLE001 — the broker is down: do it here
        logger.warning("无法把办理通知交给后台任务（消息队列不可用），改为当场写入", exc_info=True)
        try:
            fan_outs_run(sheet_id=sheet_id)
        except DatabaseError:  # the move is saved: never turn it into an error page; the sweep writes them
            logger.warning("当场写入绩效目标表 %s 的办理通知失败，留待定时巡检补写", sheet_id, exc_info=True)


def fan_outs_run(*, sheet_id: int, lock_timeout: float | None = None) -> int:
    """Write the notifications of the sheet's moves still pending, oldest first, and forget them: in the caller's
    transaction (a move written at once, a sheet being deleted), or in one of its own (the worker, the sweep).
    Returns how many moves were written.

    The lock held while the outbox is written is on the sheet's pending rows, taken in the order of its moves: two
    workers, or a worker and a move written at once, take turns on them, and a move recorded for the worker never
    waits for them. Not the sheet's row lock, which every move takes: a write on the outbox that waits (on a row or
    a table lock someone else holds) must not make the sheet's next moves wait too. A move and the worker never wait
    on each other in a circle: moves lock the sheet FOR NO KEY UPDATE, which the notifications' foreign key to the
    sheet does not wait for, and a move written at once takes the pending rows only after the sheet's lock.

    ``lock_timeout`` (seconds; the worker and the sweep, running outside any transaction): wait no longer than that
    for a lock, then raise OperationalError with nothing written and the pending rows kept for another try."""
    from workflow.models import Event

    limit = lock_timeout and is_postgresql() and not connection.in_atomic_block
    with transaction.atomic():
        if limit:
            with connection.cursor() as cursor:  # this transaction only
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [str(max(int(lock_timeout * 1000), 1))])
        pending = list(
            PendingFanOut.objects.select_for_update().filter(sheet_id=sheet_id).order_by("event_id")
            .values_list("event_id", flat=True)
        )
        if not pending:
            return 0
        events = Event.objects.select_related(
            "sheet__project", "sheet__agency", "sheet__section", "sheet__fiscal_year", "actor"
        ).filter(pk__in=pending).order_by("pk")
        for event in events:
            # as the move left the sheet: in the step it moved to, with no assignee and its round's actors (who may not
            # review it), whatever happened since
            event.sheet.state, event.sheet.assignee = event.to_state, None
            event.sheet.round_actors = flow.round_as_of(event)
            _event_fan_out(event)
        PendingFanOut.objects.filter(event_id__in=pending).delete()
    return len(pending)


def fan_outs_overdue(*, older_than: timedelta) -> list[int]:
    """Sheets with a move whose notifications are still pending after ``older_than`` (the worker was never told)."""
    return list(
        PendingFanOut.objects.filter(created__lt=timezone.now() - older_than).order_by()
        .values_list("sheet_id", flat=True).distinct()
    )


def _event_fan_out(event) -> None:
    """Settle the earlier notifications that asked for the task the move handled (read and handled), then notify the
    people the event concerns, and the section's group robot; then ``signals.event_notified``."""
    notifications_mark_handled(sheet=event.sheet, action=event.action)
    recipients = selectors.event_recipients(event)  # the role holders come with their preferences: not read again
    notifications_create(
        recipients=recipients, message=messages.for_event(event), dedupe_key=f"event:{event.pk}", robot=True,
        preferences=preferences_read_with(recipients),
    )
    event_notified.send(sender=type(event), event=event)


def notifications_mark_handled(*, sheet, action: str) -> int:
    """The task a sheet's notifications asked for was handled (by anyone): mark them handled and read.

    Called for every move before its own notifications are written, so only the earlier ones are settled.
    """
    kinds = SETTLED_BY.get(action)
    if not kinds or sheet is None:
        return 0
    now = timezone.now()
    rows = Notification.objects.filter(sheet=sheet, channel=Channel.IN_APP, kind__in=kinds, handled_at__isnull=True)
    return rows.update(handled_at=now, read_at=Coalesce("read_at", Value(now)))


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def preference_update(*, user, email_enabled: bool, wecom_enabled: bool) -> Preference:
    """The person's own choice of channels; their WeCom id is set by an administrator (``wecom.services``)."""
    preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
    preference.email_enabled = email_enabled
    preference.wecom_enabled = wecom_enabled
    preference.save(update_fields=["email_enabled", "wecom_enabled"])
    return preference


def preference_for(user) -> Preference:
    """The user's preference, unsaved defaults when they never chose."""
    return Preference.objects.filter(user=user).first() or Preference(user=user)


# ---------------------------------------------------------------- reminders and nudges


class Written(NamedTuple):
    """A row ``reminders_send`` / ``nudges_send`` wrote (``pk`` None in a dry run): read as a tuple, not a model."""

    pk: int | None
    recipient: object  # the person (``pk``, ``username``, ``email``)
    channel: str
    status: str


@dataclass
class Sent:
    due: object  # reminders.Due
    rows: list[Written]


def reminders_send(*, day, dry_run: bool = False, catch_up_days: int = 1) -> list[Sent]:
    """Write the spending reminders, warnings and digests due on ``day`` (the daily 09:00 job and run_reminders).

    With ``catch_up_days`` > 1 also what was due on the days before ``day`` within that window and
    never written (the job did not run): the dedupe keys make sure nothing is sent twice.
    """
    from notifications import reminders

    if catch_up_days > 1:
        return _send_due(reminders.spending_due_since(day, days=catch_up_days), dry_run=dry_run)
    return _send_due(reminders.spending_due_on(day), dry_run=dry_run)


def nudges_send(*, now=None, dry_run: bool = False) -> list[Sent]:
    """Write the 催办 due at ``now`` for review tasks waiting too long."""
    from notifications import reminders

    return _send_due(reminders.nudges_due(now), dry_run=dry_run)


@transaction.atomic
def _send_due(dues, *, dry_run: bool) -> list[Sent]:
    """All the rows of all ``dues`` in one transaction and a fixed number of queries (one for the preferences, one
    ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING``), as ``notifications_create_many`` writes them: a row per
    recipient and channel (``channels_for``), skipped when the recipient/channel/dedupe key is already written.

    Items with the same recipients (a section's staff) share one run of (recipient, channel) pairs; the statement
    expands each item over its run, so a message's text travels once, not once per row, and no row object is built.
    """
    dues = list(dues)
    people = {person.pk: person for due in dues for person in due.recipients}
    # the ids as one array parameter: a province's 40,000 recipients would otherwise be 40,000 placeholders
    mine = Preference.objects.filter(user_id__in=in_values(people, "int"))
    preferences = {p.user_id: p for p in mine} if people else {}
    channels = {pk: channels_for(person, preferences.get(pk)) for pk, person in people.items()}
    runs = _Runs(channels)
    spans = [runs.span(due.recipients) for due in dues]
    if not runs.users:
        return []
    if dry_run:
        written = _due_rows_existing(dues, spans, runs, channels)
    else:
        written = _due_rows_insert(dues, spans, runs)
    index_of = {due.dedupe_key: index for index, due in enumerate(dues)}
    rows: list[list[Written]] = [[] for _ in dues]
    for pk, user_id, channel, dedupe_key, status in written:
        rows[index_of[dedupe_key]].append(Written(pk, people[user_id], channel, status))
    to_deliver = [pk for pk, _, _, _, status in written if status == Status.PENDING]
    if to_deliver and not dry_run:
        transaction.on_commit(functools.partial(notifications_enqueue, ids=to_deliver))
    return [Sent(due, found) for due, found in zip(dues, rows) if found]


class _Runs:
    """The (recipient, channel) pairs of every distinct list of recipients, one run after another in flat arrays.

    A channel is stored as the index (1-based, for SQL) of its (channel, status) variant."""

    def __init__(self, channels: dict[int, list[str]]):
        self.channels = channels
        self.users: list[int] = []
        self.variant_of: list[int] = []
        self.variants: list[tuple[str, str]] = []
        self._variant: dict[str, int] = {}
        self._by_key: dict[tuple, tuple[int, int]] = {}
        self._by_list: dict[int, tuple[int, int]] = {}  # id() of a list shared by many items → its span

    def span(self, recipients: list) -> tuple[int, int]:
        """(first index, 1-based; count) of the run of ``recipients``: each person once, in order, on each channel."""
        span = self._by_list.get(id(recipients))
        if span is None:
            key = tuple(dict.fromkeys(person.pk for person in recipients))
            span = self._by_key.get(key)
            if span is None:
                first = len(self.users) + 1
                for pk in key:
                    for channel in self.channels[pk]:
                        self.users.append(pk)
                        self.variant_of.append(self._variant_index(channel))
                span = self._by_key[key] = (first, len(self.users) + 1 - first)
            self._by_list[id(recipients)] = span  # the list is alive in its item for as long as this object
        return span

    def _variant_index(self, channel: str) -> int:
        index = self._variant.get(channel)
        if index is None:
            self.variants.append((channel, Status.SENT if channel == Channel.IN_APP else Status.PENDING))
            index = self._variant[channel] = len(self.variants)
        return index

    def pairs(self, first: int, count: int):
        for at in range(first - 1, first - 1 + count):
            yield self.users[at], *self.variants[self.variant_of[at] - 1]


# the items in order, each expanded over its run of recipients (a nested loop keeps that order, so ids follow it)
_INSERT_DUE = """
    INSERT INTO notifications_notification (recipient_id, channel, kind, sheet_id, title, body, url, status, attempts,
        last_error, failure_kind, revivals, dedupe_key, created, sent_at)
    SELECT r.user_id[j], r.channel[r.variant[j]], i.k, i.s, i.t, i.b, i.u, r.status[r.variant[j]], 0, '', '', 0, i.d,
        %(now)s, CASE WHEN r.status[r.variant[j]] = %(sent)s THEN %(now)s::timestamptz END
    FROM unnest(%(kind)s::text[], %(sheet)s::bigint[], %(title)s::text[], %(body)s::text[], %(url)s::text[],
                %(key)s::text[], %(first)s::int[], %(count)s::int[]) AS i(k, s, t, b, u, d, f, n)
    CROSS JOIN (SELECT %(user_id)s::int[] AS user_id, %(variant)s::int[] AS variant,
                       %(channel)s::text[] AS channel, %(status)s::text[] AS status) AS r
    CROSS JOIN LATERAL generate_series(i.f, i.f + i.n - 1) AS j
    ON CONFLICT DO NOTHING
    RETURNING id, recipient_id, channel, dedupe_key, status
"""


def _due_rows_insert(dues, spans: list[tuple[int, int]], runs: _Runs) -> list[tuple]:
    """Write every item's rows in one statement; (id, recipient id, channel, dedupe key, status) of those written
    (what was already written for the recipient, channel and dedupe key is skipped by the unique constraints)."""
    now = timezone.now()
    if not is_postgresql():
        return _rows_insert_portable([
            {"recipient_id": user_id, "channel": channel, "kind": due.kind, "sheet_id": due.sheet_id,
             "title": due.title[:200], "body": due.body, "url": due.url, "status": status, "dedupe_key": due.dedupe_key,
             "created": now, "sent_at": now if status == Status.SENT else None}
            for due, span in zip(dues, spans) for user_id, channel, status in runs.pairs(*span)
        ])
    params = {
        "now": now, "sent": Status.SENT,
        "kind": [due.kind for due in dues], "sheet": [due.sheet_id for due in dues],
        "title": [due.title[:200] for due in dues], "body": [due.body for due in dues], "url": [due.url for due in dues],
        "key": [due.dedupe_key for due in dues],
        "first": [first for first, _ in spans], "count": [count for _, count in spans],
        "user_id": runs.users, "variant": runs.variant_of,
        "channel": [channel for channel, _ in runs.variants], "status": [str(status) for _, status in runs.variants],
    }
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_DUE, params)
        return sorted(cursor.fetchall())  # in the order written


def _due_rows_existing(dues, spans: list[tuple[int, int]], runs: _Runs, channels: dict) -> list[tuple]:
    """A dry run: the rows the insert would write, less those already written (one query)."""
    existing = _existing(sorted({due.dedupe_key for due in dues}), list(channels))
    return [
        (None, pk, channel, due.dedupe_key, status)
        for due, span in zip(dues, spans)
        for pk, channel, status in runs.pairs(*span)
        if (pk, channel, due.dedupe_key) not in existing
    ]


# ---------------------------------------------------------------- the holiday calendar


def calendar_warning_send(*, today) -> list[Notification]:
    """Write today's "next year's calendar is missing" notice to every active superuser (nothing if not missing)."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from notifications import workdays
    from notifications.messages import Message, absolute
    from notifications.models import Kind

    year = workdays.missing_calendar_year(today)
    if year is None:
        return []
    admins = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk")
    message = Message(
        Kind.CALENDAR, f"请录入 {year} 年节假日安排", workdays.missing_calendar_message(year),
        absolute(reverse("admin:notifications_calendarday_changelist")),
    )
    return notifications_create(recipients=list(admins), message=message, dedupe_key=f"calendar-missing:{year}:{today.isoformat()}")
