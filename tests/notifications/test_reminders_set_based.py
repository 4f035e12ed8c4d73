"""Reminders at any scale: the queries of a checkpoint day do not grow with the number of published sheets
(recipients, preferences, the dedupe check and the inserts are each read or written for all sheets at once),
and nudges likewise."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import reminder_writes
from notifications.models import Channel, Kind, Notification
from projects.models import SheetState, TargetSheet

REMINDER_DAY = datetime.date(2024, 6, 23)  # 7 days before 6月底
WARNING_DAY = datetime.date(2024, 7, 1)  # the first working day after it


def published(org, make_sheet, count: int) -> None:
    for n in range(count):
        make_sheet(org.office if n % 2 else org.business)
    TargetSheet.objects.filter(agency=org.agency).update(state=SheetState.PUBLISHED)


def queries(day) -> tuple[int, int]:
    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as captured:
        sent = reminder_writes.reminders_send(day=day)
    return counted(captured), sum(len(item.rows) for item in sent)


def counted(captured) -> int:
    """Queries, less the holiday table's (read once into the cache, whenever that entry expires)."""
    return sum(1 for q in captured.captured_queries if "calendarday" not in q["sql"])


def test_the_queries_of_a_checkpoint_day_do_not_grow_with_the_sheets(org, make_sheet):
    published(org, make_sheet, 10)
    few_reminders, rows_10 = queries(REMINDER_DAY)
    few_warnings, warned_10 = queries(WARNING_DAY)
    published(org, make_sheet, 50)
    many_reminders, rows_60 = queries(REMINDER_DAY)
    many_warnings, warned_60 = queries(WARNING_DAY)

    assert rows_10 and rows_60 == 6 * rows_10 and warned_60 > warned_10
    assert many_reminders == few_reminders
    # the reminder day in all: two checkpoint lookups, the unreported sheets and their plans, their staff, the
    # warning checkpoints, the self-evaluations' deadlines near the day, the staff's preferences, one INSERT for every
    # row, and the savepoint around the write
    assert few_reminders <= 11
    assert many_warnings == few_warnings
    # each sheet's staff once per channel, the digest once per finance reviewer
    assert Notification.objects.filter(kind=Kind.SPEND_DIGEST, channel=Channel.IN_APP).count() == 1


def test_a_second_run_writes_nothing_and_costs_no_more(org, make_sheet):
    published(org, make_sheet, 12)
    reminder_writes.reminders_send(day=WARNING_DAY)
    written = Notification.objects.count()
    with CaptureQueriesContext(connection) as captured:
        assert reminder_writes.reminders_send(day=WARNING_DAY) == []
    assert Notification.objects.count() == written
    assert counted(captured) < 25


def test_nudges_cost_the_same_for_few_and_many_waiting_sheets(org, make_sheet):
    import time_machine

    from tests.notifications.test_nudges import SHANGHAI

    def waiting(count):
        for _ in range(count):
            make_sheet(org.office)
        TargetSheet.objects.filter(agency=org.agency).update(
            state=SheetState.SECTION_REVIEW, state_since=datetime.datetime(2024, 6, 3, 10, tzinfo=SHANGHAI)
        )

    def run():
        Notification.objects.all().delete()
        with time_machine.travel(datetime.datetime(2024, 6, 6, 9, 30, tzinfo=SHANGHAI), tick=False):
            with CaptureQueriesContext(connection) as captured:
                sent = reminder_writes.nudges_send()
        return counted(captured), sum(len(item.rows) for item in sent)

    waiting(5)
    few, rows_5 = run()
    waiting(25)
    many, rows_30 = run()
    assert rows_5 and rows_30 == 6 * rows_5
    assert many == few
