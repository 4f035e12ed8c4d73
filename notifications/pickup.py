"""The worker picks up moves whose notifications are pending (``PendingFanOut``) by itself: no message per move.

A move recorded for the worker inserts its pending row and, in the same statement, ``pg_notify``s the channel
``FAN_OUT_CHANNEL`` (``fanout.event_notify``). PostgreSQL delivers the notification when the move's transaction
commits — never for a move rolled back — to every connection listening on the channel: each Celery worker keeps
one (``config.celery.FanOutListener``, a thread of the worker's main process) and, woken, writes the notifications
of every pending move it finds, a document at a time, oldest first (``fan_outs_pick_up``). Nothing is lost when no
worker listens: a worker starting (or reconnecting) picks up what is pending first, a listener also looks every
``NOTIFY_PICKUP_POLL_SECONDS`` without being woken, and the outbox sweep stays the last safety net.

Two workers (two machines) are both woken by every move; a document's pending moves are written by whichever takes
its lock first, in their order (``fanout.fan_outs_run``), and the other skips that document while it is being
written, looking again until nothing is left that it skipped. On SQLite (no NOTIFY) the listener only polls.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from notifications import fanout
from notifications.fanout import FAN_OUT_CHANNEL

logger = logging.getLogger(__name__)

BATCH = 200  # documents looked up at a time
RETRY_FIRST, RETRY_MAX = 5.0, 300.0  # a document whose notifications failed is tried again after 5, 10, 20 … seconds


class Pickup:
    """What one listener remembers between wake-ups: the documents that failed, and when to try each again."""

    def __init__(self):
        self.retry_at: dict[tuple[str, int], tuple[float, float]] = {}  # document → (monotonic time, next delay)
        self.failing: set[tuple[str, int]] = set()  # the documents that failed in the batch under way

    def run(self) -> tuple[int, int]:
        """Write the notifications of every pending move, until none is left but those another worker is writing
        (looked at again shortly) or those failing (tried again later). Returns (moves written, documents skipped)."""
        written = skipped = 0
        while True:
            now = time.monotonic()
            later = [d for d, (at, _) in self.retry_at.items() if at > now]  # failed: tried again later
            documents = fanout.fan_outs_pending(limit=BATCH, exclude=later)
            if not documents:
                return written, skipped
            self.failing = set()
            written_now, busy = self._write(documents)
            for document in documents:
                if document not in self.failing:
                    self.retry_at.pop(document, None)
            written += written_now
            skipped += len(busy)
            if busy and not written_now:  # all of them being written by another worker: let it finish first
                time.sleep(0.05)

    def _write(self, documents) -> tuple[int, list]:
        """The batch in one transaction; if that fails, a document at a time, so one failing document holds up
        nobody else's notifications (it is tried again later)."""
        try:
            return fanout.fan_outs_write(documents=documents, lock_timeout=settings.NOTIFY_FAN_OUT_LOCK_TIMEOUT, skip_busy=True)
        except Exception:  # noqa: BLE001 — one at a time below
            if len(documents) == 1:
                self._failed(documents[0])
                return 0, []
        written, busy = 0, []
        for document in documents:
            done, skipped = self._write([document])
            written += done
            busy += skipped
        return written, busy

    def _failed(self, document) -> None:
        self.failing.add(document)
        _, delay = self.retry_at.get(document, (0.0, RETRY_FIRST / 2))
        delay = min(delay * 2, RETRY_MAX)
        self.retry_at[document] = (time.monotonic() + delay, delay)
        logger.warning("%s %s 的办理通知暂未写入，%s 秒后重试", *document, int(delay), exc_info=True)


def listen(stop: threading.Event, *, poll: float | None = None, ready: threading.Event | None = None) -> None:
    """The listener's loop, until ``stop`` is set: LISTEN on the channel (PostgreSQL), pick up what is pending, then
    again whenever woken or every ``poll`` seconds. A lost connection is opened again after a pause. Runs in a thread
    of its own, with its own database connections (Django's, per thread, and the one that listens)."""
    poll = settings.NOTIFY_PICKUP_POLL_SECONDS if poll is None else poll
    pickup, pause = Pickup(), 1.0
    while not stop.is_set():
        listening = None
        try:
            listening = _listening_connection()
            if ready is not None:
                ready.set()
            while not stop.is_set():
                pickup.run()
                close_old_connections()
                _wait(listening, stop, poll)
            pause = 1.0
        except Exception:  # noqa: BLE001 — the database went away: try again after a pause
            logger.warning("办理通知监听中断，%s 秒后重连", pause, exc_info=True)
            stop.wait(pause)
            pause = min(pause * 2, 30.0)
        finally:
            if listening is not None:
                try:
                    listening.close()
                except Exception:  # noqa: BLE001
                    pass
            try:
                connection.close()
            except DatabaseError:
                pass


def _listening_connection():
    """A connection of its own (autocommit) listening on ``FAN_OUT_CHANNEL``, or None on a database without NOTIFY."""
    if connection.vendor != "postgresql":
        return None
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("server_side_binding", None)
    params.pop("prepare_threshold", None)
    listening = psycopg.connect(**params, autocommit=True)
    listening.execute(f"LISTEN {FAN_OUT_CHANNEL}")
    return listening


def _wait(listening, stop: threading.Event, poll: float) -> None:
    """Until a move is notified (every notification already there is taken too), ``poll`` seconds pass or ``stop``
    is set; at most a second at a time, so a stop is seen quickly."""
    deadline = time.monotonic() + poll
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        if listening is None:
            stop.wait(min(left, 1.0))
            continue
        woken = False
        for _ in listening.notifies(timeout=min(left, 1.0)):
            woken = True
            break
        if woken:
            _drain(listening)
            return


def _drain(listening) -> None:
    """Take the notifications already received (one pickup answers them all)."""
    for _ in listening.notifies(timeout=0):
        pass
