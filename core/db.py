"""Where the embedded default (SQLite, for ``make run``) and PostgreSQL (production, tests, benchmarks) differ.

The hot paths of a province use PostgreSQL's arrays (one ``unnest`` parameter instead of 40,000 placeholders,
rows inserted from arrays) and ``LATERAL`` joins. The demo on SQLite takes a plain, slower path that gives the
same answers; ``tests/test_sqlite_demo.py`` walks the demo's doors on SQLite so that path cannot rot.
"""

from __future__ import annotations

import datetime
import re
import threading
from contextlib import contextmanager

from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models.expressions import RawSQL


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def in_values(values, array_type: str):
    """What ``field__in=`` takes for a list that may be long: one array parameter on PostgreSQL, the list elsewhere.
    ``array_type``: the PostgreSQL element type (``int``, ``bigint``, ``text``)."""
    values = values if isinstance(values, list) else list(values)  # a list as given (``CompiledStatements`` binds it)
    if is_postgresql():
        return RawSQL(f"SELECT unnest(%s::{array_type}[])", [values])
    return values


def prepared_cursor():
    """A cursor for a statement whose text repeats on every page with other parameters (the nav badges, 待办's read,
    the role summary): on PostgreSQL its parameters are bound by the server and the statement is prepared once per
    connection, so later runs skip the planning (a millisecond or two a page, more than running them). Only for
    statements whose best plan does not depend on the values bound (ids, moments, limits): a prepared statement may
    be planned for any value. Elsewhere (SQLite) a plain cursor."""
    if not is_postgresql():
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = ServerBindingCursor(connection.connection)  # prepared by the connection's prepare_threshold (settings)
    return _PreparedDebugCursor(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)


@contextmanager
def prepared_statements():
    """Inside this block the ORM's statements are prepared as ``prepared_cursor``'s are: for a read whose text every
    move repeats with another id (a document's lock read), so it is planned once per connection. The same rule: only
    for statements whose plan does not depend on the values. Nothing changes elsewhere (SQLite)."""
    if not is_postgresql():
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw, features = connection.connection, vars(connection.features)
    factory, binding = raw.cursor_factory, features.get("uses_server_side_binding")
    raw.cursor_factory = ServerBindingCursor
    features["uses_server_side_binding"] = True  # logged with the values in place, as ever
    try:
        yield
    finally:
        raw.cursor_factory = factory
        if binding is None:
            features.pop("uses_server_side_binding", None)  # computed again from the settings
        else:
            features["uses_server_side_binding"] = binding


def params_inlined(sql: str, params, *, kept) -> tuple[str, list]:
    """``sql`` with each parameter but those ``kept(value)`` answers true for written into its text as a literal (as
    Django's client-side binding writes every one), and the kept ones' values in order.

    For a statement prepared once per connection (``prepared_cursor``) whose values are fixed for its text but one
    (a user's ids, states and permission names, but the moment): PostgreSQL then plans it knowing them, and its
    generic plan is as good as a custom one, so it stops planning it; with every value a parameter it judged the
    generic plan by unknown states (a province's 25,000 sheets at 财政审核) and planned each run again."""
    text, values, kept_values = [], iter(params), []
    for piece in re.split(r"(%%|%s)", sql):
        if piece == "%s":
            value = next(values)
            if kept(value):
                kept_values.append(value)
            else:  # a literal's own % (a LIKE pattern) doubled: the text is still read for placeholders
                piece = connection.ops.compose_sql("%s", [value]).replace("%", "%%")
        text.append(piece)
    return "".join(text), kept_values


class CompiledStatements:
    """Statements compiled once per worker for a key, each later run binding only the values named ``bound``: the
    key names everything else the statement is made of (a user's roles, the shape of a page's read), and those
    values are written into its text (``params_inlined``). Run through ``prepared_cursor``, it is then neither built,
    compiled nor planned again on that connection. The ``size`` most recently used are kept.

    Kept only where that is safe: on PostgreSQL (SQLite, a county's laptop, adapts values to text: built each time),
    when each bound value is among the parameters as the very object given or not among them at all (one copied on
    the way would be written into the text and go stale), and when no other moment is among them (a condition
    reading the clock itself would go stale too). Else it is built each time."""

    def __init__(self, size: int):
        self.size, self.entries, self.lock = size, {}, threading.Lock()  # (a threaded server shares the worker's)

    def get(self, key, *, bound: dict, build) -> tuple[str, list] | None:
        """The statement of ``key`` with ``bound``'s values as its parameters, as (sql, params), or None when there
        is nothing to read. ``build()`` compiles it from those very values: (sql, params) or None."""
        key = (connection.vendor, *key)
        with self.lock:
            entry = self.entries.pop(key, None)
        if entry is None:
            built = build()
            if built is None:
                entry = (None, ())
            else:
                sql, params = built
                names = {id(value): name for name, value in bound.items()}
                if not self._keepable(params, bound, names):
                    return sql, list(params)
                sql, kept = params_inlined(sql, params, kept=lambda value: id(value) in names)
                entry = (sql, tuple(names[id(value)] for value in kept))
        with self.lock:
            if len(self.entries) >= self.size:
                self.entries.pop(next(iter(self.entries)))  # the least recently used
            self.entries[key] = entry
        sql, slots = entry
        return None if sql is None else (sql, [bound[name] for name in slots])

    @staticmethod
    def _keepable(params, bound: dict, names: dict) -> bool:
        if connection.vendor != "postgresql" or len(names) != len(bound):
            return False
        given = {id(p) for p in params}
        if any(id(value) not in given and any(p == value for p in params) for value in bound.values()):
            return False  # copied on the way: it would be written into the text
        return not any(isinstance(p, datetime.datetime) and id(p) not in names for p in params)


class _PreparedDebugCursor(CursorDebugWrapper):
    """Logs a prepared statement as Django logs its own (``connection.queries``, the tests' query counts): with its
    values in place (a prepared statement has no client-side text of them)."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params) if params is not None else sql):
            return CursorWrapper.execute(self, sql, params)


def transaction_lock(name: str) -> None:
    """Hold the lock called ``name`` until the current transaction ends: a second transaction asking for it waits.

    For writes that cannot lock a row because the rows they decide on may not exist yet (an import of a new
    year creates them). PostgreSQL: a transaction-level advisory lock; SQLite writes one transaction at a time."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
