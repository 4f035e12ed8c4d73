"""Celery beat that fires each scheduled run once however many beat processes run: a leader lease in Redis.

A province on two machines runs the same services on both, beat included. Two plain beats would each send every
scheduled task (two sweeps, two 09:00 reminder runs). ``LeaderDatabaseScheduler`` is django-celery-beat's
``DatabaseScheduler`` (the schedule and each task's last run in the database) that sends only while it holds a
lease: a Redis key (``BEAT_LOCK_KEY``) holding this process's token, set with ``NX`` and a time to live of
``BEAT_LOCK_SECONDS``, renewed on every tick (at most every 5 seconds). Every other beat is a standby: it sends
nothing, reads nothing from the schedule, and tries to take the lease on each tick. When the leader stops (SIGTERM:
it gives the lease back at once) or dies (the lease runs out), a standby takes over, first reading every entry's
last run from the database, so a run the old leader made is not made again and a run it missed is made late.

Why a lease and not the alternatives:

* a lock per scheduled run cannot tell two beats' interval runs apart (each counts its 5 minutes from its own
  start, so their runs never share a key), and a daily run missed while one beat was down is not caught up;
* a second beat that refuses to start leaves no beat at all when the first machine goes, and under compose's
  ``restart: unless-stopped`` it just restarts in a loop; a standby costs nothing and takes over by itself.

A leader sends a run only while its lease is certainly still its own (renewed less than ``BEAT_LOCK_SECONDS``
minus a second ago, by its own clock); the run's last time is written to the database right after it is sent, so a
standby taking over repeats at most a run whose leader died between sending it and writing it (every scheduled task
is idempotent: reminders and notices have dedupe keys, the sweeps and the heartbeat can run twice). Without Redis
(``REDIS_URL`` empty: the embedded demo, whose broker is in-process) there is nothing to share and no lock.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

# Take the lease when free, or renew it when it is this process's: 1 if it is ours now, else 0.
_TAKE_OR_RENEW = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
    redis.call('pexpire', KEYS[1], ARGV[2])
    return 1
end
if not holder then
    redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""
SAFETY_SECONDS = 1.0  # a lease is trusted until this long before it would run out


class LeaderDatabaseScheduler(DatabaseScheduler):
    """``DatabaseScheduler`` sending scheduled runs only while it holds the beat lease (see the module)."""

    def __init__(self, *args, **kwargs):
        self._token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._leading = False
        self._lease_until = 0.0
        self._holder_seen: str | None = None
        self._redis = (
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
            if settings.REDIS_URL else None
        )
        super().__init__(*args, **kwargs)

    # ---------------------------------------------------------------- the lease

    @property
    def lease_seconds(self) -> float:
        return float(settings.BEAT_LOCK_SECONDS)

    def _lease_take_or_renew(self) -> bool:
        """Is the lease this process's now? (Taken when free, renewed when ours.)"""
        if self._redis is None:
            return True
        started = time.monotonic()
        try:
            ours = bool(self._redis.eval(
                _TAKE_OR_RENEW, 1, settings.BEAT_LOCK_KEY, self._token, int(self.lease_seconds * 1000)
            ))
            holder = None if ours else self._redis.get(settings.BEAT_LOCK_KEY)
        except redis.RedisError as exc:
            if self._leading:
                logger.warning("beat：无法续期主控锁（Redis 不可用：%s），暂停发送定时任务", type(exc).__name__)
            self._leading = False
            return False
        if ours:
            self._lease_until = started + self.lease_seconds - SAFETY_SECONDS
        else:
            holder = holder.decode() if isinstance(holder, bytes) else holder
            if self._leading or holder != self._holder_seen:
                logger.info("beat：另一个 beat（%s）正在发送定时任务，本进程（%s）待命", holder, self._token)
            self._holder_seen = holder
            self._leading = False
        return ours

    def _lease_valid(self) -> bool:
        return self._redis is None or time.monotonic() < self._lease_until

    def _lease_release(self) -> None:
        if self._redis is None:
            return
        try:
            self._redis.eval(_RELEASE, 1, settings.BEAT_LOCK_KEY, self._token)
        except redis.RedisError:
            pass  # it runs out by itself

    def _become_leader(self) -> None:
        """Read every entry and its last run afresh from the database (another beat may have sent runs meanwhile),
        then write the configured entries (``CELERY_BEAT_SCHEDULE``) as a starting beat does."""
        logger.info("beat：本进程（%s）取得主控锁，开始发送定时任务", self._token)
        self._leading = True
        self._holder_seen = None
        self._dirty.clear()
        self._schedule = None
        self._initial_read = True
        self._heap = None
        self.old_schedulers = None
        super().setup_schedule()

    # ---------------------------------------------------------------- the scheduler

    def setup_schedule(self):
        """At start: only a beat that holds the lease writes the configured entries (a standby does on taking over)."""
        if self._lease_take_or_renew():
            self._become_leader()

    def tick(self, *args, **kwargs):
        standby = min(self.max_interval, max(self.lease_seconds / 3, 0.5))
        if not self._lease_take_or_renew():
            return standby
        if not self._leading:
            self._become_leader()
        interval = super().tick(*args, **kwargs)
        if self._dirty:  # the run just sent: its time into the database now, for a standby that takes over
            self.sync()
        return min(interval, standby) if interval else interval

    def apply_entry(self, entry, producer=None):
        if not self._lease_valid():  # renewed too long ago (a stalled tick): another beat may lead now
            logger.warning("beat：主控锁可能已过期，未发送 %s；重新读取计划后再定", entry.name)
            self._dirty.discard(entry.name)  # the run was not made: keep the database's last run
            self._leading = False
            return
        super().apply_entry(entry, producer=producer)

    def close(self):
        try:
            super().close()
        finally:
            if self._leading:
                self._lease_release()
            self._leading = False
