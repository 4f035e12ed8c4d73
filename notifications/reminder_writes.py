"""The scheduled notices' writes: spending reminders, warnings and digests, self-evaluation deadlines, 催办 (what is
due: ``reminders``, ``evaluation_dues``, ``nudges``), in one set-based statement each run; and the superusers' notice
that next year's holiday calendar is missing."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from core.db import in_values, is_postgresql
from monitoring import services as monitoring
from notifications import nudges, reminders
from notifications.messages import Message, absolute
from notifications.models import Channel, Kind, Notification, Preference, Status
from notifications.outbox import (
    channels_for, keys_written, notifications_create, notifications_enqueue, rows_insert_portable,
)
from workdays import days
from workflow.models import DOCUMENT_FIELDS


class Written(NamedTuple):
    """A row ``reminders_send`` / ``nudges_send`` wrote (``pk`` None in a dry run): read as a tuple, not a model."""

    pk: int | None
    recipient: object  # the person (``pk``, ``username``, ``email``)
    channel: str
    status: str


@dataclass
class Sent:
    due: object  # dues.Due
    rows: list[Written]


def reminders_send(*, day, dry_run: bool = False, catch_up_days: int = 1) -> list[Sent]:
    """Write the spending reminders, warnings and digests and the self-evaluations' deadline reminders and warnings due
    on ``day`` (the daily 09:00 job and run_reminders).

    With ``catch_up_days`` > 1 also what was due on the days before ``day`` within that window and
    never written (the job did not run): the dedupe keys make sure nothing is sent twice.
    """
    if catch_up_days > 1:
        return _send_due(reminders.spending_due_since(day, days=catch_up_days, of=reminders.due_on), dry_run=dry_run)
    return _send_due(reminders.due_on(day), dry_run=dry_run)


class _Undone(Exception):
    """Carries a dry run's answer out of the savepoint it rolls back."""

    def __init__(self, sent):
        super().__init__()
        self.sent = sent


@transaction.atomic
def disposals_send(*, day, catch_up_days: int = 1, dry_run: bool = False) -> list[Sent]:
    """处置 (issue 21; run_reminders and the daily job, after ``reminders_send``): run the 处置 work of ``day`` and of
    the days the job missed before it (``monitoring.services.disposals_run``: open them on a point's warning date,
    record a missed deadline's consequence), and write its notices: what it opened, and today's nudges of the
    overdue ones. A separate step, so that a checkpoint day's reminders cost what they cost.

    ``dry_run``: the same work in a savepoint rolled back before returning, so that the answer (which 处置 would be
    opened, which consequences recorded, who would be told) is exactly a real run's and nothing stays written."""
    if dry_run:
        try:
            with transaction.atomic():
                raise _Undone(_disposals_due_send(day, catch_up_days, dry_run=True))
        except _Undone as undone:
            return undone.sent
    return _disposals_due_send(day, catch_up_days, dry_run=False)


def _disposals_due_send(day, catch_up_days: int, *, dry_run: bool) -> list[Sent]:
    dues = []
    for back in range(catch_up_days - 1, -1, -1):
        run = monitoring.disposals_run(day=day - datetime.timedelta(days=back))
        if back:
            run.overdue = []  # nudged once, for today
        dues += reminders.disposal_dues(run, today=day)
    return _send_due(dues, dry_run=dry_run)


def nudges_send(*, now=None, dry_run: bool = False) -> list[Sent]:
    """Write the 催办 due at ``now`` for review tasks waiting too long."""
    return _send_due(nudges.nudges_due(now), dry_run=dry_run)


@transaction.atomic
def _send_due(dues, *, dry_run: bool) -> list[Sent]:
    """All the rows of all ``dues`` in one transaction and a fixed number of queries (one for the preferences, one
    ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING``), as ``notifications_create_many`` writes them: a row per
    recipient and channel (``channels_for``), skipped when the recipient/channel/dedupe key is already written.

    Items with the same recipients (a section's staff) share one run of (recipient, channel) pairs; the statement
    expands each item over its run, so a message's text travels once, not once per row, and no row object is built.
    """
    dues = list(dues)
    people = {person.pk: person for due in dues for person in due.recipients}
    # the ids as one array parameter: a province's 40,000 recipients would otherwise be 40,000 placeholders
    mine = Preference.objects.filter(user_id__in=in_values(people, "int"))
    preferences = {p.user_id: p for p in mine} if people else {}
    channels = {pk: channels_for(person, preferences.get(pk)) for pk, person in people.items()}
    runs = _Runs(channels)
    spans = [runs.span(due.recipients) for due in dues]
    if not runs.users:
        return []
    if dry_run:
        written = _due_rows_existing(dues, spans, runs, channels)
    else:
        written = _due_rows_insert(dues, spans, runs)
    index_of = {due.dedupe_key: index for index, due in enumerate(dues)}
    rows: list[list[Written]] = [[] for _ in dues]
    for pk, user_id, channel, dedupe_key, status in written:
        rows[index_of[dedupe_key]].append(Written(pk, people[user_id], channel, status))
    to_deliver = [pk for pk, _, _, _, status in written if status == Status.PENDING]
    if to_deliver and not dry_run:
        transaction.on_commit(functools.partial(notifications_enqueue, ids=to_deliver))
    return [Sent(due, found) for due, found in zip(dues, rows) if found]


class _Runs:
    """The (recipient, channel) pairs of every distinct list of recipients, one run after another in flat arrays.

    A channel is stored as the index (1-based, for SQL) of its (channel, status) variant."""

    def __init__(self, channels: dict[int, list[str]]):
        self.channels = channels
        self.users: list[int] = []
        self.variant_of: list[int] = []
        self.variants: list[tuple[str, str]] = []
        self._variant: dict[str, int] = {}
        self._by_key: dict[tuple, tuple[int, int]] = {}
        self._by_list: dict[int, tuple[int, int]] = {}  # id() of a list shared by many items → its span

    def span(self, recipients: list) -> tuple[int, int]:
        """(first index, 1-based; count) of the run of ``recipients``: each person once, in order, on each channel."""
        span = self._by_list.get(id(recipients))
        if span is None:
            key = tuple(dict.fromkeys(person.pk for person in recipients))
            span = self._by_key.get(key)
            if span is None:
                first = len(self.users) + 1
                for pk in key:
                    for channel in self.channels[pk]:
                        self.users.append(pk)
                        self.variant_of.append(self._variant_index(channel))
                span = self._by_key[key] = (first, len(self.users) + 1 - first)
            self._by_list[id(recipients)] = span  # the list is alive in its item for as long as this object
        return span

    def _variant_index(self, channel: str) -> int:
        index = self._variant.get(channel)
        if index is None:
            self.variants.append((channel, Status.SENT if channel == Channel.IN_APP else Status.PENDING))
            index = self._variant[channel] = len(self.variants)
        return index

    def pairs(self, first: int, count: int):
        for at in range(first - 1, first - 1 + count):
            yield self.users[at], *self.variants[self.variant_of[at] - 1]


# the items in order, each expanded over its run of recipients (a nested loop keeps that order, so ids follow it)
def _insert_due_sql() -> str:
    """The insert of ``_due_rows_insert``: the items in order, each expanded over its run of recipients (a nested loop
    keeps that order, so ids follow it); one bigint[] column per document foreign key (``DOCUMENT_FIELDS``)."""
    columns = ", ".join(f"{name}_id" for name in DOCUMENT_FIELDS)
    values = ", ".join(f"i.{name}" for name in DOCUMENT_FIELDS)
    arrays = "".join(f"%({name})s::bigint[], " for name in DOCUMENT_FIELDS)
    names = "".join(f"{name}, " for name in DOCUMENT_FIELDS)
    return f"""
    INSERT INTO notifications_notification (recipient_id, channel, kind, {columns}, title, body, url, status, attempts,
        last_error, failure_kind, revivals, dedupe_key, created, sent_at)
    SELECT r.user_id[j], r.channel[r.variant[j]], i.k, {values}, i.t, i.b, i.u, r.status[r.variant[j]], 0, '', '', 0, i.d,
        %(now)s, CASE WHEN r.status[r.variant[j]] = %(sent)s THEN %(now)s::timestamptz END
    FROM unnest(%(kind)s::text[], {arrays}%(title)s::text[], %(body)s::text[], %(url)s::text[],
                %(key)s::text[], %(first)s::int[], %(count)s::int[]) AS i(k, {names}t, b, u, d, f, n)
    CROSS JOIN (SELECT %(user_id)s::int[] AS user_id, %(variant)s::int[] AS variant,
                       %(channel)s::text[] AS channel, %(status)s::text[] AS status) AS r
    CROSS JOIN LATERAL generate_series(i.f, i.f + i.n - 1) AS j
    ON CONFLICT DO NOTHING
    RETURNING id, recipient_id, channel, dedupe_key, status
"""


_INSERT_DUE = _insert_due_sql()


def _due_rows_insert(dues, spans: list[tuple[int, int]], runs: _Runs) -> list[tuple]:
    """Write every item's rows in one statement; (id, recipient id, channel, dedupe key, status) of those written
    (what was already written for the recipient, channel and dedupe key is skipped by the unique constraints)."""
    now = timezone.now()
    if not is_postgresql():
        return rows_insert_portable([
            {"recipient_id": user_id, "channel": channel, "kind": due.kind, **due.document_key,
             "title": due.title[:200], "body": due.body, "url": due.url, "status": status, "dedupe_key": due.dedupe_key,
             "created": now, "sent_at": now if status == Status.SENT else None}
            for due, span in zip(dues, spans) for user_id, channel, status in runs.pairs(*span)
        ])
    params = {
        "now": now, "sent": Status.SENT,
        "kind": [due.kind for due in dues],
        **{name: [due.document_id if due.document_field == name else None for due in dues] for name in DOCUMENT_FIELDS},
        "title": [due.title[:200] for due in dues], "body": [due.body for due in dues], "url": [due.url for due in dues],
        "key": [due.dedupe_key for due in dues],
        "first": [first for first, _ in spans], "count": [count for _, count in spans],
        "user_id": runs.users, "variant": runs.variant_of,
        "channel": [channel for channel, _ in runs.variants], "status": [str(status) for _, status in runs.variants],
    }
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_DUE, params)
        return sorted(cursor.fetchall())  # in the order written


def _due_rows_existing(dues, spans: list[tuple[int, int]], runs: _Runs, channels: dict) -> list[tuple]:
    """A dry run: the rows the insert would write, less those already written (one query)."""
    existing = keys_written(sorted({due.dedupe_key for due in dues}), list(channels))
    return [
        (None, pk, channel, due.dedupe_key, status)
        for due, span in zip(dues, spans)
        for pk, channel, status in runs.pairs(*span)
        if (pk, channel, due.dedupe_key) not in existing
    ]


def calendar_warning_send(*, today) -> list[Notification]:
    """Write today's "next year's calendar is missing" notice to every active superuser (nothing if not missing)."""
    year = days.missing_calendar_year(today)
    if year is None:
        return []
    admins = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk")
    message = Message(
        Kind.CALENDAR, f"请录入 {year} 年节假日安排", days.missing_calendar_message(year),
        absolute(reverse("admin:workdays_calendarday_changelist")),
    )
    return notifications_create(recipients=list(admins), message=message, dedupe_key=f"calendar-missing:{year}:{today.isoformat()}")
