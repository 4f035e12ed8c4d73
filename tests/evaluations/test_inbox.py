"""待办 across document types: a section head with a sheet and a self-evaluation waiting sees both, the longest
waiting first, read in one statement across the types; the nav badge counts them the same on 待办 and elsewhere."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from evaluations.models import SelfEvaluation
from tests.evaluations.test_pages import WORKED_ROWS, form_of
from workflow import services as moves


@pytest.fixture
def head(org):
    client = Client()
    client.force_login(org.head)
    return client


def submitted_evaluation(org, evaluation):
    owner = Client()
    owner.force_login(org.owner)
    owner.post(f"/evaluations/{evaluation.pk}/", form_of(evaluation, **WORKED_ROWS))
    evaluation = SelfEvaluation.objects.get(pk=evaluation.pk)
    moves.document_submit(document=evaluation, user=org.owner)
    return evaluation


def badge(page: str) -> str:
    found = re.search(r'待办<span class="badge">([^<]+)</span>', page)
    return found.group(1) if found else ""


def test_a_sheet_and_a_self_evaluation_wait_in_one_inbox_oldest_first(head, org, make_sheet, evaluation):
    older = make_sheet(title="先提交的表")
    moves.document_submit(document=older, user=org.owner)
    evaluation = submitted_evaluation(org, evaluation)
    newer = make_sheet(title="后提交的表")
    moves.document_submit(document=newer, user=org.owner)

    page = head.get("/tasks/").content.decode()
    order = [page.index(f'href="/sheets/{older.pk}/"'), page.index(f'href="/evaluations/{evaluation.pk}/"'), page.index(f'href="/sheets/{newer.pk}/"')]
    assert order == sorted(order)
    assert "待我审核（3）" in page and badge(page) == "3"
    assert badge(head.get("/sheets/").content.decode()) == "3"  # the same count where 待办 is not the page

    moves.document_approve(document=evaluation, user=org.head)
    assert badge(head.get("/sheets/").content.decode()) == "2"


def test_the_inbox_reads_a_fixed_number_of_statements_however_many_tasks_of_each_type(head, org, make_sheet, evaluation):
    moves.document_submit(document=make_sheet(), user=org.owner)
    moves.document_submit(document=make_sheet(), user=org.owner)
    with CaptureQueriesContext(connection) as two_sheets:
        assert head.get("/tasks/").status_code == 200
    for _ in range(3):
        moves.document_submit(document=make_sheet(), user=org.owner)
    submitted_evaluation(org, evaluation)
    with CaptureQueriesContext(connection) as five_sheets_and_an_evaluation:
        assert "待我审核（6）" in head.get("/tasks/").content.decode()
    # the self-evaluations' cards are read with one more statement (its documents); nothing else grows
    assert len(five_sheets_and_an_evaluation) == len(two_sheets) + 1


def test_a_self_evaluation_waiting_too_long_is_nudged_to_its_reviewers_once(org, evaluation):
    import datetime

    from django.utils import timezone

    from notifications.models import Kind, Notification
    from notifications.reminder_writes import nudges_send

    evaluation = submitted_evaluation(org, evaluation)
    # submitted on a Monday (2024-03-04 in the test calendar's working week); Thursday is 3 working days later
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(state_since=timezone.make_aware(datetime.datetime(2024, 3, 4, 9, 0)))
    thursday = timezone.make_aware(datetime.datetime(2024, 3, 7, 10, 0))

    nudges_send(now=thursday)
    nudges_send(now=thursday)  # the hourly job again: nothing twice

    [nudge] = Notification.objects.filter(kind=Kind.NUDGE, channel="in_app")
    assert (nudge.recipient, nudge.evaluation_id, nudge.sheet_id) == (org.head, evaluation.pk, None)
    assert nudge.title == f"催办：{evaluation.display_title}"
    assert f"绩效自评表“{evaluation.display_title}”已在“科室审核”等待 3 个工作日" in nudge.body
    assert nudge.url.endswith(f"/evaluations/{evaluation.pk}/")
