"""A second, real PostgreSQL connection for tests about waiting: it takes a lock and keeps it, as a slow migration,
a stuck transaction or another worker would. Used with transactional tests (the other connection sees committed
data only)."""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
from psycopg import sql
from django.db import connection

# PostgreSQL ends the holder's transaction after this long idle: a request that waits for it forever (the defect
# these tests catch) then finishes, and its test fails, instead of hanging the run
HOLDER_GIVES_UP = "60s"


def connection_params(dbname: str | None = None) -> dict:
    """libpq parameters of the test database (or of ``dbname`` on the same server)."""
    db = connection.settings_dict
    params = {"dbname": dbname or db["NAME"], "user": db["USER"], "host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432}
    if db["PASSWORD"]:
        params["password"] = db["PASSWORD"]
    return params


@contextmanager
def holding(statement: str, params=()):
    """Run ``statement`` in a transaction of another connection and keep that transaction (and its locks) open until the
    block ends."""
    holder = psycopg.connect(**connection_params(), options=f"-c idle_in_transaction_session_timeout={HOLDER_GIVES_UP}")
    try:
        holder.execute(statement, params)
        yield holder
    finally:
        holder.close()  # rolls back: the locks go


def waiting_on_locks() -> int:
    """How many sessions of the test database are waiting for a lock right now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


@contextmanager
def connections_refused():
    """PostgreSQL refuses every new connection to the test database (connections already open keep working), as
    it does when its connection slots are used up."""
    admin = psycopg.connect(**connection_params("postgres"), autocommit=True)
    name = sql.Identifier(connection.settings_dict["NAME"])
    try:
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
        yield
    finally:
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name))
        admin.close()
