"""A move's notifications (event fan-out): the people the event concerns and the section's group robot, written with
the move or, with a worker to hand them to, right after it commits (``PendingFanOut``); and the settling of the
earlier notifications that asked for the task the move handled."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.db import is_postgresql
from notifications import messages, selectors
from notifications.models import Channel, Kind, Notification, PendingFanOut
from notifications.outbox import Outgoing, notifications_create_many, preferences_read_with
from notifications.signals import event_notified
from workflow import flow
from workflow.documents import type_of_field
from workflow.models import DOCUMENT_FIELDS, Action

# Which notifications ask someone to act on a document, and which moves (``Action``) settle that: the review task
# of a step by any decision on it (or a withdrawal, a 转办 that hands it to someone else), the drafters' task of
# revising a returned document by its next submission. A move's notification has the move's value as its kind.
REVIEW_TASK_KINDS = (Kind.SUBMIT, Kind.APPROVE, Kind.REASSIGN, Kind.NUDGE, Kind.URGE)
SETTLED_BY = {
    Action.APPROVE: REVIEW_TASK_KINDS,
    Action.PUBLISH: REVIEW_TASK_KINDS,
    Action.RETURN: REVIEW_TASK_KINDS,
    Action.WITHDRAW: REVIEW_TASK_KINDS,
    Action.REASSIGN: REVIEW_TASK_KINDS,
    Action.REVOKE: REVIEW_TASK_KINDS,
    Action.SUBMIT: (Kind.RETURN,),
}

# Moves whose notifications the worker writes after the move commits (the move's request does not wait for the role
# holders, the rows and the settling of the handled task): their audience follows from the event alone — the step
# the sheet moved to, with no assignee (a move clears it). A return (its round's approvers), a 转办, a move between
# sections and the rest are written with the move.
DEFERRED_ACTIONS = frozenset({"submit", "approve", "withdraw", "publish"})


def event_notify(*, event) -> None:
    """A move was recorded (inside its transaction): write its notifications now, or — with a worker to hand them
    to, for ``DEFERRED_ACTIONS`` — record a ``PendingFanOut`` with the move, which wakes the workers up when the move
    commits (``notifications.pickup``: no message to the broker), and let a worker write them. Notifications are
    written in the order of the sheet's moves either way: a move written now first writes those still pending for
    the sheet."""
    if not _worker_available():
        _events_fan_out([event])
        return
    if event.action in DEFERRED_ACTIONS:
        _pending_record(event)
        return
    fan_outs_run(field=event.document_field, pk=event.document_id)
    _events_fan_out([event])


def _worker_available() -> bool:
    """Do tasks go to a worker? (Not on the embedded default without Redis, where they run in-process.)"""
    from config.celery import app

    return not app.conf.task_always_eager


FAN_OUT_CHANNEL = "targetflow_fan_out"  # what the workers LISTEN on (``notifications.pickup``)

# the pending row and the worker's wake-up in one statement: PostgreSQL delivers the notification when the move
# commits (never for a move rolled back), to every worker listening (``notifications.pickup``)
_PENDING_INSERT = """
    INSERT INTO notifications_pendingfanout (event_id, {column}, round_actors, created)
    SELECT %s, %s, %s, now() FROM (SELECT pg_notify(%s, '')) AS woken
"""


def _pending_record(event) -> None:
    """Record the move for the worker, in the move's transaction, with the round as the move left it, and wake the
    workers up when it commits."""
    field, pk = event.document_field, event.document_id
    round_actors = event.document.round_actors
    if not is_postgresql():  # no NOTIFY: the worker looks every NOTIFY_PICKUP_POLL_SECONDS
        PendingFanOut.objects.create(event_id=event.pk, round_actors=round_actors, **{f"{field}_id": pk})
        return
    with connection.cursor() as cursor:
        cursor.execute(_PENDING_INSERT.format(column=connection.ops.quote_name(f"{field}_id")),
                       [event.pk, pk, round_actors, FAN_OUT_CHANNEL])


def fan_outs_pending(*, limit: int, exclude=()) -> list[tuple[str, int]]:
    """Documents (history foreign key, id) with moves whose notifications are pending, the oldest move first, but
    those in ``exclude``; at most ``limit`` pending moves are looked at."""
    columns = [f"{field}_id" for field in DOCUMENT_FIELDS]
    documents: dict[tuple[str, int], None] = {}
    rows = PendingFanOut.objects.order_by("event_id")
    by_field: dict[str, list[int]] = {}
    for field, pk in exclude:
        by_field.setdefault(field, []).append(pk)
    for field, pks in by_field.items():
        rows = rows.exclude(**{f"{field}_id__in": pks})
    for row in rows.values_list(*columns)[:limit]:
        for field, pk in zip(DOCUMENT_FIELDS, row):
            if pk is not None:
                documents[(field, pk)] = None
    return list(documents)


def fan_outs_run(*, field: str, pk: int, lock_timeout: float | None = None) -> int:
    """Write the notifications of the moves still pending of one document (its history foreign key ``field``, e.g.
    "sheet", and its id ``pk``), oldest first, and forget them: in the caller's
    transaction (a move written at once, a sheet being deleted), or in one of its own (the sweep).
    Returns how many moves were written.

    The lock held while the outbox is written is on the sheet's pending rows, taken in the order of its moves: two
    workers, or a worker and a move written at once, take turns on them, and a move recorded for the worker never
    waits for them. Not the sheet's row lock, which every move takes: a write on the outbox that waits (on a row or
    a table lock someone else holds) must not make the sheet's next moves wait too. A move and the worker never wait
    on each other in a circle: moves lock the sheet FOR NO KEY UPDATE, which the notifications' foreign key to the
    sheet does not wait for, and a move written at once takes the pending rows only after the sheet's lock.

    ``lock_timeout`` (seconds; the worker and the sweep, running outside any transaction): wait no longer than that
    for a lock, then raise OperationalError with nothing written and the pending rows kept for another try."""
    return fan_outs_write(documents=[(field, pk)], lock_timeout=lock_timeout)[0]


def fan_outs_write(*, documents: list[tuple[str, int]], lock_timeout: float | None = None,
                   skip_busy: bool = False) -> tuple[int, list[tuple[str, int]]]:
    """``fan_outs_run`` for several documents in one transaction (the worker's pickup writes what it found pending
    a batch at a time): each document's pending moves in their order. Returns (moves written, documents skipped).

    ``skip_busy`` (``notifications.pickup``): a document another worker is writing is skipped at once instead of
    waited for, and returned (the caller looks again for the moves that worker had not seen). The claim is a
    transaction-level advisory lock per document that only the pickups take; the order of a document's moves is kept
    by its pending rows' locks, as above."""
    from workflow.models import Event

    limit = lock_timeout and is_postgresql() and not connection.in_atomic_block
    with transaction.atomic():
        if limit:
            with connection.cursor() as cursor:  # this transaction only
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [str(max(int(lock_timeout * 1000), 1))])
        busy = []
        if skip_busy and is_postgresql():
            claimed = _documents_claimed(documents)
            busy = [document for document in documents if document not in claimed]
            documents = [document for document in documents if document in claimed]
        if not documents:
            return 0, busy
        by_field: dict[str, list[int]] = {}
        for field, pk in documents:
            by_field.setdefault(field, []).append(pk)
        condition = Q()
        for field, pks in by_field.items():
            condition |= Q(**{f"{field}_id__in": pks})
        pending = dict(
            PendingFanOut.objects.select_for_update().filter(condition).order_by("event_id").values_list("event_id", "round_actors")
        )
        if not pending:
            return 0, busy
        events = []
        for field in by_field:
            model = type_of_field(field)
            events += Event.objects.select_related(
                *(f"{field}__{name}" for name in model.approval_related), "actor", "on_behalf_of"
            ).filter(pk__in=list(pending), **{f"{field}__isnull": False})
        events.sort(key=lambda event: event.pk)
        for event in events:
            # as the move left the document: in the step it moved to, with no assignee and its round's actors (who may
            # not review it), whatever happened since
            document = event.document
            document.state, document.assignee = event.to_state, None
            recorded = pending[event.pk]
            document.round_actors = recorded if recorded is not None else flow.round_as_of(event)
        with flow.holders_remembered():  # the steps' holders read once for the batch: they do not change meanwhile
            _events_fan_out(events)
        PendingFanOut.objects.filter(event_id__in=list(pending)).delete()
    return len(pending), busy


def _documents_claimed(documents: list[tuple[str, int]]) -> set[tuple[str, int]]:
    """Take the pickup's claim on each document for this transaction, but those another worker holds (not waited
    for); the documents claimed."""
    keys = [f"fan-out:{field}:{pk}" for field, pk in documents]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k FROM unnest(%s::text[]) AS k WHERE pg_try_advisory_xact_lock(hashtextextended(k, 0))", [keys]
        )
        claimed = {row[0] for row in cursor.fetchall()}
    return {document for document, key in zip(documents, keys) if key in claimed}


def fan_outs_overdue(*, older_than: timedelta) -> list[tuple[str, int]]:
    """Documents (history foreign key, id) with a move whose notifications are still pending after ``older_than``
    (the worker was never told)."""
    overdue = PendingFanOut.objects.filter(created__lt=timezone.now() - older_than).order_by()
    return [
        (field, pk) for field in DOCUMENT_FIELDS
        for pk in overdue.filter(**{f"{field}__isnull": False}).values_list(f"{field}_id", flat=True).distinct()
    ]


def _events_fan_out(events) -> None:
    """For each move (oldest first): settle the earlier notifications that asked for the task it handled (read and
    handled), then notify the people it concerns and the section's group robot; then ``signals.event_notified``.
    One move written with it, or many (the worker's pickup) in a number of statements that grows with the moves of one
    document, not with the documents: in waves — each document's first move, then each one's second… — a wave
    settles its documents' earlier notifications (one UPDATE per kind of move), then writes all its notifications
    (one INSERT, their deliveries queued together), so each document's moves are written in their order."""
    waves: list[list] = []
    seen: dict[tuple[str, int], int] = {}
    for event in events:
        key = (event.document_field, event.document_id)
        seen[key] = seen.get(key, -1) + 1
        if seen[key] == len(waves):
            waves.append([])
        waves[seen[key]].append(event)
    for wave in waves:
        settle: dict[tuple, dict[str, list[int]]] = {}
        for event in wave:
            kinds = SETTLED_BY.get(event.action)
            if kinds:
                settle.setdefault(kinds, {}).setdefault(event.document_field, []).append(event.document_id)
        now = timezone.now()
        for kinds, documents in settle.items():
            condition = Q()
            for field, pks in documents.items():
                condition |= Q(**{f"{field}_id__in": pks})
            Notification.objects.filter(
                condition, channel=Channel.IN_APP, kind__in=kinds, handled_at__isnull=True
            ).update(handled_at=now, read_at=Coalesce("read_at", Value(now)))
        items, preferences = [], {}
        for event in wave:
            recipients = selectors.event_recipients(event)
            preferences.update(preferences_read_with(recipients))
            items.append(Outgoing(recipients, messages.for_event(event), f"event:{event.pk}", robot=True))
        notifications_create_many(items, preferences=preferences)
        for event in wave:
            event_notified.send(sender=type(event), event=event)
