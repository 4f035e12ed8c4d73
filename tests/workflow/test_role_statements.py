"""The statements kept per worker for a user's roles (the nav badge, 待办's read): their fixed values written into
their text, the moment their only parameter, so PostgreSQL plans them once per connection."""

import datetime

from django.db import connection
from django.utils import timezone

from core.db import params_inlined, prepared_cursor
from projects.models import SheetState, TargetSheet
from workflow import selectors


def test_values_written_into_a_statement_read_as_they_did_as_parameters(db):
    at = timezone.now()
    sql = "SELECT %s::text, %s::int, %s::timestamptz, '100%%' WHERE %s LIKE %s"
    params = ["it's \\ 50% '; --", 7, at, "x,7,y", "%,7,%"]
    inlined, kept = params_inlined(sql, params, kept=lambda value: value is at)
    assert kept == [at] and "it''s" in inlined and inlined.count("%s") == 1
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        expected = cursor.fetchall()
        cursor.execute(inlined, kept)
        assert cursor.fetchall() == expected == [("it's \\ 50% '; --", 7, at, "100%")]


def test_finance_badge_counts_as_built_and_is_planned_once_per_connection(people, to_state):
    to_state(TargetSheet.objects.get(position=3), SheetState.FINANCE_REVIEW)
    at = timezone.now()
    built, built_params = selectors.capped_count_sql(selectors._badge_parts(people.finance, at=at, cap=100), cap=100)
    with connection.cursor() as cursor:  # the statement as the conditions build it, every value a parameter
        cursor.execute(built, built_params)
        [(expected,)] = cursor.fetchall()
    assert expected >= 1
    sql, params = selectors.inbox_count_statement(people.finance, cap=100)
    assert params and all(isinstance(p, datetime.datetime) for p in params)  # only moments stay parameters
    # PostgreSQL weighs a generic plan after five custom ones
    assert [selectors.inbox_count(people.finance, cap=100) for _ in range(8)] == [expected] * 8
    with prepared_cursor() as cursor:
        cursor.execute("SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE %s", ["SELECT COUNT(*) FROM (%"])
        assert any(generic for (generic,) in cursor.fetchall())
