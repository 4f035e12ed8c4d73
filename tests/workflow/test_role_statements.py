"""The statements kept per worker for a user's roles (the nav badge, 待办's read): their fixed values written into
their text, the moment their only parameter, so PostgreSQL plans them once per connection."""

import datetime

from django.db import connection
from django.utils import timezone

from core.db import CompiledStatements, params_inlined, prepared_cursor
from people import roles
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


def test_a_kept_statement_binds_each_runs_own_values_and_keeps_nothing_it_cannot_rebind(db):
    statements = CompiledStatements(size=4)
    sql = "SELECT %s::int[], %s::timestamptz, %s::text"

    def run(ids, at, *, key=("k",), copy=False, clock=None):
        bound = {"ids": ids, "at": at}
        return statements.get(key, bound=bound, build=lambda: (sql, [list(ids) if copy else ids, clock or at, "fixed"]))

    first, second = timezone.now(), timezone.now() + datetime.timedelta(seconds=1)
    assert run([1, 2], first) == (sql.replace("%s::text", "'fixed'::text"), [[1, 2], first])
    assert run([3], second) == (sql.replace("%s::text", "'fixed'::text"), [[3], second])  # kept: the new values bound
    # a value copied on the way would be written into the text: that statement is built each time
    assert run([4], first, key=("copied",), copy=True) == (sql, [[4], first, "fixed"])
    assert run([5], first, key=("copied",), copy=True)[1] == [[5], first, "fixed"]
    # another moment among the parameters (a condition reading the clock) is never written in either
    assert run([6], first, key=("clock",), clock=second)[1] == [[6], second, "fixed"]


def test_holders_of_a_page_read_by_a_kept_statement_are_those_read_afresh(people):
    sections = sorted(roles.scope_ids(people.head_ggzy, roles.Role.SECTION_HEAD))
    agencies = sorted(roles.scope_ids(people.finance, roles.Role.FINANCE_REVIEWER))
    other = sorted(roles.scope_ids(people.other_finance, roles.Role.FINANCE_REVIEWER))
    for wanted in (
        {roles.Role.SECTION_HEAD: set(sections), roles.Role.FINANCE_REVIEWER: set(agencies)},
        {roles.Role.SECTION_HEAD: set(sections), roles.Role.FINANCE_REVIEWER: set(other)},  # the same shape, other ids
    ):
        kept = roles.holders_by_scope(wanted, compiled_once=True)
        assert kept == roles.holders_by_scope(wanted) and kept
    assert {h.username for h in kept[(roles.Role.FINANCE_REVIEWER, other[0])]} == {"other_finance"}
