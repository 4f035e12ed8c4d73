"""When the database cannot answer a web request in time: wait a few seconds at most, then answer 503 稍后再试.

A web request waits at most ``DB_WEB_LOCK_TIMEOUT`` seconds for a lock and runs a statement at most
``DB_WEB_STATEMENT_TIMEOUT`` seconds (PostgreSQL's ``lock_timeout`` and ``statement_timeout``). They are set on every
connection a request opens (``WebDatabaseTimeoutsMiddleware``, first in MIDDLEWARE); a web process opens its
connections only inside requests, and a persistent one keeps them for its life. Celery workers, beat and management
commands (migrate, run_reminders, the benchmark fills) open theirs outside any request and keep PostgreSQL's
defaults: a long statement or a long wait there is part of their job and nobody is waiting for a page.

A lock or statement that timed out, a deadlock, and a database that refuses or drops connections ("too many
clients", down, restarting) are ``database_unavailable``: the API answers 503 ``{"detail", "code": "busy"}``
(``core.handlers.api_exception_handler``), every other path the page ``templates/503.html``
(``config.errors.server_error``), both with ``Retry-After``.
"""

from __future__ import annotations

import contextvars
import sqlite3

from django.conf import settings
from django.db import OperationalError
from django.db.backends.signals import connection_created

MESSAGE = "系统繁忙，请稍后再试。"
CODE = "busy"
RETRY_AFTER_SECONDS = 5

_in_request = contextvars.ContextVar("targetflow_in_web_request", default=False)


def database_unavailable(exc: BaseException | None) -> bool:
    """Is ``exc`` the database not answering in time or refusing us, rather than a fault of the request or the code?

    On PostgreSQL every OperationalError: a lock or statement timeout, a deadlock or serialization failure, a refused,
    lost or shut-down connection, resources exhausted. On SQLite (the embedded demo) only a locked database: SQLite
    also calls a missing table an OperationalError."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.OperationalError):
        return getattr(cause, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")
    return True


def _milliseconds(seconds: float) -> str:
    return str(max(int(seconds * 1000), 0))


def _set_web_timeouts(sender, connection, **kwargs) -> None:
    """``connection_created``: a connection opened while a web request runs gets the web's limits for its life."""
    if not _in_request.get() or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false)",
            [_milliseconds(settings.DB_WEB_LOCK_TIMEOUT), _milliseconds(settings.DB_WEB_STATEMENT_TIMEOUT)],
        )


class WebDatabaseTimeoutsMiddleware:
    """First in MIDDLEWARE: the connections this request opens wait on locks and statements only so long."""

    def __init__(self, get_response):
        self.get_response = get_response
        connection_created.connect(_set_web_timeouts, dispatch_uid="core.busy.web_timeouts")

    def __call__(self, request):
        token = _in_request.set(True)
        try:
            return self.get_response(request)
        finally:
            _in_request.reset(token)
