"""One in-process measurement, run in a fresh process by ``benchmarks.bench`` (so its peak RSS is its own):

    python -m benchmarks.inproc reminders|evaluations|export|seed_import|seed_export|delivery|grading|rollover|sessions [args]

Prints one JSON line: ``seconds``, ``queries``, ``maxrss_kb`` and what else the measurement reports.
Runs under ``config.settings`` (``sessions`` also under the anchor's settings).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import resource
import sys
import time

REMINDER_DAY = datetime.date(2024, 6, 23)  # 7 days before the 6月底 checkpoint


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _timed(fn):
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        extra = fn() or {}
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "queries": counter.count, **extra}


def reminders() -> dict:
    from django.db import connection

    from notifications import reminder_writes
    from notifications.models import Kind, WeComCard

    # the previous round's reminders, in one statement: the ORM's delete would first read all 200,000 of them
    # (approval cards point at notifications), which is neither the measurement nor cheap
    WeComCard.objects.filter(notification__kind=Kind.SPEND_REMINDER).update(notification=None)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM notifications_notification WHERE kind = %s", [Kind.SPEND_REMINDER])

    def run():
        sent = reminder_writes.reminders_send(day=REMINDER_DAY)
        return {"items": len(sent), "rows": sum(len(s.rows) for s in sent)}

    return _timed(run)


def score_every_evaluation() -> dict:
    """Score the self-evaluation of every published sheet from its values, as ``evaluations.scoring`` does (the budget
    line, each row by its rule, the total and the grade), and write each total, budget score and grade back in one
    statement. The rows are read as tuples, streamed in the order of their evaluation (no model per row)."""
    from django.db import connection

    from core.errors import AppError
    from evaluations import scoring
    from evaluations.models import EvaluationRow
    from projects.models import SheetState

    read = (
        EvaluationRow.objects.filter(evaluation__sheet__state=SheetState.PUBLISHED)
        .order_by("evaluation_id", "order", "id")
        .values_list("evaluation_id", "evaluation__adjusted_budget", "evaluation__spent", "name", "category", "target",
                     "actual", "weight", "level", "score")
        .iterator(chunk_size=10_000)
    )
    ids, budget_scores, totals, grades = [], [], [], []
    rows_read = 0

    refused = 0

    def score(pk, adjusted_budget, spent, rows):
        nonlocal refused
        try:
            result = scoring.evaluation_score(rows=rows, adjusted_budget=adjusted_budget, spent=spent)
        except AppError:  # what the rules refuse (weights not totalling 90 …) stays unscored, as on its page
            refused += 1
            return
        ids.append(pk)
        budget_scores.append(result.budget.score)
        totals.append(result.total)
        grades.append(result.grade)

    current, rows, budget, spent = None, [], None, None
    for pk, adjusted_budget, spent_, name, category, target, actual, weight, level, row_score in read:
        rows_read += 1
        if pk != current:
            if current is not None:
                score(current, budget, spent, rows)
            current, rows, budget, spent = pk, [], adjusted_budget, spent_
        rows.append(scoring.IndicatorRow(name, category, target, actual=actual, weight=weight, level=level, score=row_score))
    if current is not None:
        score(current, budget, spent, rows)
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE evaluations_selfevaluation e SET budget_score = u.b, total = u.t, grade = u.g, check_errors = 0
               FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::text[]) AS u(id, b, t, g) WHERE e.id = u.id""",
            [ids, budget_scores, totals, grades],
        )
    return {"evaluations": len(ids), "rows": rows_read, "refused": refused}


def evaluations() -> dict:
    return _timed(score_every_evaluation)


def export() -> dict:
    from projects.exporting import export_package
    from projects.models import Agency

    agency = Agency.objects.get(code="BEXPORT")
    return _timed(lambda: {"sheets": len(export_package(agency=agency, year=2024, target=io.BytesIO()).sheets)})


def seed_import() -> dict:
    from django.conf import settings

    from projects.docx.reader import read_document
    from projects.services import document_import

    path = os.path.join(settings.BASE_DIR, "projects", "fixtures", "laoting-approval-bureau-targets.docx")
    def run() -> dict:
        result = document_import(data=read_document(path), year=2024)
        return {"sheets": len(result.updated) + len(result.unchanged)}  # unchanged drafts are compared, not written

    return _timed(run)


def seed_export() -> dict:
    from projects.exporting import export_package
    from projects.models import Agency

    agency = Agency.objects.get(code="483001")
    return _timed(lambda: {"sheets": len(export_package(agency=agency, year=2024, target=io.BytesIO()).sheets)})


def delivery(count: str, round_no: str) -> dict:
    """``count`` WeCom rows to the bench staff (half one message each, half one message to groups of ten, as a
    step's notice to its role holders), queued as the services queue them; timed from the moment they are queued
    until the last of them was sent (or failed), as the rows record it.

    The worker is warmed up first, unmeasured: a few rows of its own make each worker process open its database
    and Redis connections, its HTTP connection pool and fetch the access token, as a worker that has been running
    has done. The time is taken from the rows' ``sent_at``/``failed_at`` (written by the worker on this machine's
    clock), not from when the polling loop noticed, so the poll interval adds nothing."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Max
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from notifications import outbox
    from notifications.models import Channel, Kind, Notification, Preference, Status

    count = int(count)
    users = list(get_user_model().objects.filter(username__startswith="bs_").order_by("pk")[: max(count // 2, 10)])
    Preference.objects.bulk_create(
        [Preference(user=u, wecom_userid=f"wx{u.pk}") for u in users], ignore_conflicts=True, batch_size=5000
    )

    def wait(ids, deadline=600):
        stop = time.monotonic() + deadline
        while time.monotonic() < stop:
            if not Notification.objects.filter(pk__in=ids, status__in=[Status.PENDING, Status.SENDING]).exists():
                return
            time.sleep(0.01)

    warm = Notification.objects.bulk_create([
        Notification(recipient=users[-1 - i], channel=Channel.WECOM, kind=Kind.NUDGE, title=f"第{round_no}轮预热 {i}",
                     body="预热", dedupe_key=f"bench-delivery-warm:{round_no}:{i}")
        for i in range(4)
    ])
    for row in warm:  # one task each, so that both worker processes take one
        outbox.notifications_enqueue(ids=[row.pk])
    wait([row.pk for row in warm], deadline=60)

    rows = []
    for i in range(count):
        group = i // 10 if i >= count // 2 else None
        text = f"第{round_no}轮压测通知 {group if group is not None else i}"
        rows.append(Notification(
            recipient=users[i % len(users)], channel=Channel.WECOM, kind=Kind.NUDGE, title=text, body="压测正文",
            url="http://127.0.0.1/tasks/", dedupe_key=f"bench-delivery:{round_no}:{i}",
        ))
    created = Notification.objects.bulk_create(rows, batch_size=5000)
    ids = [row.pk for row in created]

    def run():
        queued_at = timezone.now()
        outbox.notifications_enqueue(ids=ids)
        wait(ids)
        mine = Notification.objects.filter(pk__in=ids)
        done_at = mine.aggregate(at=Max(Coalesce("sent_at", "failed_at")))["at"]
        statuses = dict(mine.values_list("status").annotate(n=Count("pk")))
        return {"rows": count, "statuses": statuses, "finished": (done_at - queued_at).total_seconds() if done_at else None}

    result = _timed(run)
    # the polling loop's own end is up to one poll late: the rows say when the last one was done
    result["polled_seconds"], result["seconds"] = result["seconds"], result.pop("finished") or result["seconds"]
    result["queries"] = None  # the worker's queries are counted by the harness from the worker's log, not here
    return result


def grading() -> dict:
    """Issue 21: every published sheet of the year graded at one monitoring point by the year's rule pack (the 6月底
    point of the default pack): what the 处置 run reads on a warning day, without writing the 处置."""
    from monitoring import packs
    from monitoring.selectors import pack_for_year
    from monitoring.services import red_sheets_at
    from projects.models import FiscalYear, SheetState, TargetSheet

    year = FiscalYear.objects.get(year=2024)
    pack = pack_for_year(2024)
    # the latest monitored point by the reminder day (3月底 in the default pack): the one the fill's spending reports
    # are for (benchmarks.realism.fill_spend_reports); at 6月底 no sheet has reported yet on 06-23
    point = [p for p in packs.points_in(pack, 2024) if p.monitored and p.date <= REMINDER_DAY][-1]

    def run():
        red = red_sheets_at(pack, point, year)
        unreported = sum(1 for why in red.values() if "未填报" in why)
        return {"sheets": TargetSheet.objects.filter(state=SheetState.PUBLISHED, fiscal_year=year).count(), "red": len(red),
                "unreported": unreported, "point": f"{point.date:%m-%d}"}

    return _timed(run)


def rollover(count: str) -> dict:
    """由上年结转 2024 → 2025 of the first ``count`` bench agencies (B000001…) in one run of ``manage.py rollover
    --agency …`` (as the command runs it: its batches, one transaction each), all of it inside one transaction rolled
    back at the end, so the bench database is the same after it (and after a run stopped half-way: PostgreSQL drops
    the open transaction). What the batches' commits would have run (the library's refresh of the new drafts) runs
    before the rollback and is timed. Checked: every published sheet of those agencies became a 2025 draft, and none
    is left after the rollback."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from projects.models import SheetState, TargetSheet

    codes = [f"B{n:06d}" for n in range(1, int(count) + 1)]
    expected = TargetSheet.objects.filter(agency__code__in=codes, fiscal_year__year=2024, state=SheetState.PUBLISHED,
                                          revises_id__isnull=True).count()
    args = [arg for code in codes for arg in ("--agency", code)] + ["--from", "2024", "--to", "2025"]

    class Rollback(Exception):
        pass

    result = {}
    try:
        with transaction.atomic():
            def run():
                out = io.StringIO()
                call_command("rollover", *args, stdout=out, stderr=io.StringIO())
                callbacks, connection.run_on_commit = connection.run_on_commit, []
                for _savepoints, callback, _robust in callbacks:  # what the commits would have run
                    callback()
                created = TargetSheet.objects.filter(agency__code__in=codes, fiscal_year__year=2025).count()
                return {"agencies": len(codes), "expected": expected, "created": created,
                        "summary": out.getvalue().strip().splitlines()[0]}

            result = _timed(run)
            raise Rollback
    except Rollback:
        pass
    result["left"] = TargetSheet.objects.filter(agency__code__in=codes, fiscal_year__year=2025).count()
    return result


def sessions(*usernames: str) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    cookies = {}
    for name in usernames:
        client = Client()
        client.force_login(get_user_model().objects.get(username=name))
        cookies[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"cookies": cookies, "seconds": 0, "queries": 0}


MEASURES = {f.__name__: f for f in (reminders, evaluations, export, seed_import, seed_export, delivery, grading, rollover,
                                    sessions)}

if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    result = MEASURES[sys.argv[1]](*sys.argv[2:])
    result["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("BENCH-RESULT " + json.dumps(result, ensure_ascii=False, default=str))
