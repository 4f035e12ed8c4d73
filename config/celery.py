import os

import logging
import threading

from celery import Celery, bootsteps
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


class FanOutListener(bootsteps.StartStopStep):
    """A thread of the worker's main process that writes the notifications of moves as they commit
    (``notifications.pickup``: PostgreSQL LISTEN/NOTIFY, no message per move).

    Started after the pool, so the prefork children are forked before it runs; a child forked later (one that died
    is replaced) inherits no use of its connections: they live in this thread's own Django connection and a
    psycopg connection of its own, which the child never touches (psycopg does not close a connection in a process
    it was not opened in). Stopped with the worker."""

    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.thread = None
        self.stop_event = threading.Event()

    def include_if(self, worker):
        from django.conf import settings

        return settings.NOTIFY_PICKUP_LISTEN

    def start(self, worker):
        from notifications import pickup

        self.stop_event.clear()
        self.thread = threading.Thread(target=pickup.listen, args=(self.stop_event,), name="fan-out-listener", daemon=True)
        self.thread.start()
        logging.getLogger(__name__).info("办理通知监听已启动")

    def stop(self, worker):
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=15)
            self.thread = None

    terminate = shutdown = stop


app.steps["worker"].add(FanOutListener)
