import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("targetflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.celery.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Beat schedules this every HEALTH_HEARTBEAT_SECONDS; a worker running it proves broker, beat and worker work."""
    from config import health

    health.heartbeat_write()


@worker_ready.connect(dispatch_uid="targetflow.worker_ready_heartbeat")
def _heartbeat_on_start(sender=None, **kwargs):
    """A worker that just started is alive: write the heartbeat at once (beat refreshes it)."""
    from config import health

    try:
        health.heartbeat_write()
    except Exception:  # Redis is not there yet: the first beat heartbeat will write it
        pass
