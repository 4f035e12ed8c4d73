"""The beat schedule survives restarts: django-celery-beat's DatabaseScheduler keeps every entry of
CELERY_BEAT_SCHEDULE, and when each last ran, in the database instead of a file in the container."""

from datetime import timedelta

import pytest
from celery.utils.imports import symbol_by_name
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from config.celery import app


def start_beat() -> DatabaseScheduler:
    """What `celery beat --scheduler django_celery_beat.schedulers:DatabaseScheduler` does when it starts."""
    return DatabaseScheduler(app=app, lazy=False)


def test_beat_uses_a_database_scheduler():
    """The configured scheduler (config.beat's lease-holding one) keeps the schedule in the database."""
    assert issubclass(symbol_by_name(settings.CELERY_BEAT_SCHEDULER), DatabaseScheduler)
    assert app.conf.beat_scheduler == settings.CELERY_BEAT_SCHEDULER


def test_every_configured_job_is_written_to_the_database_with_its_schedule(transactional_db):
    start_beat()

    tasks = {t.name: t for t in PeriodicTask.objects.select_related("crontab", "interval")}
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert tasks[name].task == entry["task"] and tasks[name].enabled
    daily = tasks["daily-reminders"].crontab
    assert (daily.hour, daily.minute, str(daily.timezone)) == ("9", "0", "Asia/Shanghai")
    sweep = tasks["sweep-outbox"].interval
    assert (sweep.every, sweep.period) == (300, "seconds")


def test_a_restarted_beat_remembers_when_a_job_last_ran(transactional_db):
    start_beat()
    ran_at = timezone.now() - timedelta(minutes=1)
    PeriodicTask.objects.filter(name="sweep-outbox").update(last_run_at=ran_at)

    restarted = start_beat()  # a new process: nothing but the database to go on

    entry = restarted.schedule["sweep-outbox"]
    assert abs((entry.last_run_at - ran_at).total_seconds()) < 1
    due, next_in = entry.is_due()
    assert not due and 230 < next_in <= 240  # five minutes after the last run, not at once
    assert PeriodicTask.objects.filter(name="sweep-outbox").count() == 1  # not duplicated by the restart


@pytest.mark.parametrize("name", ["calendar-check", "worker-heartbeat"])
def test_the_calendar_check_and_the_heartbeat_are_scheduled(name):
    assert name in settings.CELERY_BEAT_SCHEDULE
