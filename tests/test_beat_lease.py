"""The beat lease (config/beat.py) in-process: of two beats only the lease holder sends; when it stops or dies the
other takes over, reading what the first already sent from the database, so nothing is sent twice.
(tests/test_two_machines.py runs two real beat processes.)"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from config.beat import LeaderDatabaseScheduler
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)  # the scheduler commits and closes connections as beat does


class Recording(LeaderDatabaseScheduler):
    """The real scheduler; what it sends is recorded instead of published (no worker here)."""

    def __init__(self, *args, **kwargs):
        self.sent: list[str] = []
        super().__init__(*args, **kwargs)

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        self.sent.append(entry.name)


@pytest.fixture
def lease(settings):
    if not settings.REDIS_URL:
        pytest.skip("the beat lease lives in Redis (REDIS_URL)")
    settings.BEAT_LOCK_KEY = f"test:targetflow:beat:{uuid.uuid4().hex}"
    settings.BEAT_LOCK_SECONDS = 30
    saved = celery_app.conf.CELERY_BEAT_SCHEDULE  # the app reads Django's CELERY_* names
    celery_app.conf.CELERY_BEAT_SCHEDULE = {
        "often": {"task": "config.celery.heartbeat", "schedule": 1.0},
        "hourly": {"task": "config.celery.heartbeat", "schedule": 3600.0},
    }
    client = redis.Redis.from_url(settings.REDIS_URL)
    yield client
    celery_app.conf.CELERY_BEAT_SCHEDULE = saved
    client.delete(settings.BEAT_LOCK_KEY)
    client.close()


def tick_until(scheduler: Recording, others: list[Recording], predicate, timeout: float = 30.0) -> None:
    """Tick every scheduler, each as beat would (sleeping what its tick asks, at most a little), until ``predicate``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "条件在时限内未满足"
        for other in others:
            other.tick()
        time.sleep(max(0.0, min(scheduler.tick() or 0, 0.05)))  # a late tick answers a negative wait


def new_scheduler() -> Recording:
    return Recording(app=celery_app, max_interval=1)


def test_only_the_lease_holder_sends_and_a_standby_takes_over_without_repeating_a_run(lease, settings):
    first = new_scheduler()
    PeriodicTask.objects.filter(name="hourly").update(last_run_at=timezone.now() - timedelta(hours=2))
    first.close()  # the entries exist now; start afresh, the hourly run due
    first, second = new_scheduler(), new_scheduler()

    tick_until(first, [second], lambda: first.sent.count("often") >= 2)
    assert "hourly" in first.sent
    assert second.sent == []  # both ticked, one sent

    # the leader dies (its lease runs out): the standby takes over and does not send the hourly run again
    lease.delete(settings.BEAT_LOCK_KEY)
    sent_by_first = len(first.sent)
    tick_until(second, [], lambda: second.sent.count("often") >= 2)
    assert "hourly" not in second.sent
    # the old leader finds the lease taken and sends nothing more
    first.tick()
    assert len(first.sent) == sent_by_first

    # a leader that stops gives the lease back at once: the other sends on its next ticks
    second.close()
    tick_until(first, [], lambda: first.sent[sent_by_first:].count("often") >= 2)
    assert "hourly" not in first.sent[sent_by_first:]
    first.close()
