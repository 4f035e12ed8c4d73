"""The outbox's writes: a notification's rows for each recipient on each of their channels, and their delivery tasks.

The outbox row is the truth about a message. It is written in the caller's transaction; delivery tasks are
enqueued only after that transaction commits, and enqueueing never fails the caller (a broker outage leaves the
row pending for ``sweep.outbox_sweep``). Delivering a row is ``attempts``; sending it on its channel ``delivery``.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.db import is_postgresql
from notifications import delivery, selectors
from notifications.messages import Message
from notifications.models import Channel, Notification, Preference, Status
from workflow.documents import field_of
from workflow.models import DOCUMENT_FIELDS

logger = logging.getLogger(__name__)


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
    """Outbox rows for every recipient on each of their channels and, with ``robot``, for the section robot of the message's document.

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
        document = message.document
        section = document.section if document is not None and document.section_id else None
        if item.robot and section is not None and section.wecom_robot_key.strip():
            wanted.append((None, Channel.ROBOT))
        for user, channel in wanted:
            key = (user.pk if user is not None else None, channel, item.dedupe_key)
            if key in seen:
                continue
            seen.add(key)
            in_app = channel == Channel.IN_APP
            planned.append((index, Notification(
                recipient=user, channel=channel, kind=message.kind, **_about(document), title=message.title[:200],
                body=message.body, url=message.url, dedupe_key=item.dedupe_key,
                status=Status.SENT if in_app else Status.PENDING, sent_at=now if in_app else None, created=now,
            )))
    result: list[list[Notification]] = [[] for _ in items]
    if not planned:
        return result
    if dry_run:
        existing = keys_written(sorted({row.dedupe_key for _, row in planned}), user_ids)
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


def _about(document) -> dict:
    """The document foreign key of a notification about ``document`` (none for a notice about no document)."""
    return {field_of(document): document} if document is not None else {}


def preferences_read_with(users) -> dict:
    """{user id: Preference or None} for the ``users`` read with their preference (``select_related``, as a move's
    role holders are, in the move's transaction); what ``notifications_create(preferences=…)`` takes."""
    cache = Preference.user.field.remote_field  # the reverse side: user.notification_preference
    return {user.pk: cache.get_cached_value(user) for user in users if cache.is_cached(user)}


# the document foreign keys (one per document, workflow.models.DOCUMENT_FIELDS), each a bigint[] column of the insert
_DOCUMENT_COLUMNS = tuple(f"{name}_id" for name in DOCUMENT_FIELDS)
_INSERT_NEW = f"""
    INSERT INTO notifications_notification (recipient_id, channel, kind, {", ".join(_DOCUMENT_COLUMNS)}, title, body, url,
        status, attempts, last_error, failure_kind, revivals, dedupe_key, created, sent_at)
    SELECT r, c, k, {", ".join(f"doc{i}" for i in range(len(_DOCUMENT_COLUMNS)))}, t, b, u, st, 0, '', '', 0, d, cr, sa
    FROM unnest(%s::int[], %s::text[], %s::text[], {"".join("%s::bigint[], " for _ in _DOCUMENT_COLUMNS)}%s::text[],
                %s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[])
        AS x(r, c, k, {"".join(f"doc{i}, " for i in range(len(_DOCUMENT_COLUMNS)))}t, b, u, st, d, cr, sa)
    ON CONFLICT DO NOTHING
    RETURNING id, recipient_id, channel, dedupe_key
"""


def _insert_new(rows: list[Notification]) -> dict:
    """Write ``rows`` in one statement, skipping those whose recipient/channel/dedupe key is already written (the
    unique constraints decide); (recipient id, channel, dedupe key) → id of the rows written."""
    names = ("recipient_id", "channel", "kind", *_DOCUMENT_COLUMNS, "title", "body", "url", "status", "dedupe_key", "created", "sent_at")
    if not is_postgresql():
        written = rows_insert_portable([{name: getattr(row, name) for name in names} for row in rows])
        return {(recipient_id, channel, key): pk for pk, recipient_id, channel, key, _ in written}
    columns = [[getattr(row, name) for row in rows] for name in names]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_NEW, columns)
        return {(recipient_id, channel, key): pk for pk, recipient_id, channel, key in cursor.fetchall()}


def rows_insert_portable(rows: list[dict]) -> list[tuple]:
    """``_INSERT_NEW`` / ``reminder_writes._INSERT_DUE`` without PostgreSQL's arrays (SQLite, the embedded demo): a row
    at a time, each in a savepoint, skipping those the unique constraints refuse. (id, recipient id, channel, dedupe
    key, status) of the rows written, in order."""
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


def keys_written(keys: list[str], user_ids) -> set[tuple]:
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

