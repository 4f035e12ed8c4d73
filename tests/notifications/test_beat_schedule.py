"""Celery beat runs the notification jobs by name: each name must be a registered task."""

from django.conf import settings

from config.celery import app


def test_every_scheduled_job_is_a_registered_task():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {
        "notifications.tasks.run_daily_reminders", "notifications.tasks.sweep_outbox", "notifications.tasks.nudge_reviewers",
        "notifications.tasks.warn_missing_calendar", "config.celery.heartbeat", "exports.tasks.expire_export_jobs",
        "exports.tasks.sweep_export_jobs",
    }
    assert scheduled <= set(app.tasks)
    assert "notifications.tasks.deliver_notification" in app.tasks


def test_reminders_run_at_nine_beijing_time_and_the_sweep_every_five_minutes():
    daily = settings.CELERY_BEAT_SCHEDULE["daily-reminders"]["schedule"]
    assert daily.hour == {9} and daily.minute == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    assert settings.CELERY_BEAT_SCHEDULE["sweep-outbox"]["schedule"] == 300.0
