"""A web request waits on the database only a few seconds (DB_WEB_LOCK_TIMEOUT, DB_WEB_STATEMENT_TIMEOUT), then answers
503 系统繁忙，请稍后再试 with Retry-After — as it does when PostgreSQL refuses connections — instead of hanging until
gunicorn kills the worker (a 500 after 60 s) or answering 500. Workers and commands are not cut short.

Over real HTTP: the live server opens its connections inside requests, as gunicorn and runserver do; a second real
connection holds the lock (tests/locks.py)."""

from __future__ import annotations

import threading

import httpx
import pytest
from django.db import connection, transaction
from rest_framework.authtoken.models import Token

from projects.models import TargetSheet
from tests.locks import connections_refused, holding, waiting_on_locks
from tests.support import wait_for
from workflow import services

pytestmark = pytest.mark.django_db(transaction=True)

BUSY = {"detail": "系统繁忙，请稍后再试。", "code": "busy"}
LOCK_SHEET = "SELECT 1 FROM projects_targetsheet WHERE id = %s FOR UPDATE"
TIMEOUT = 120  # the HTTP client's: far beyond what the holder keeps its lock (tests/locks.py)


def approve(live_server, sheet, user):
    token, _ = Token.objects.get_or_create(user=user)
    return httpx.post(
        f"{live_server.url}/api/sheets/{sheet.pk}/approve/", json={}, headers={"Authorization": f"Token {token.key}"},
        timeout=TIMEOUT,
    )


@pytest.mark.parametrize("limits", [
    {"DB_WEB_LOCK_TIMEOUT": 1},
    {"DB_WEB_LOCK_TIMEOUT": 0, "DB_WEB_STATEMENT_TIMEOUT": 1},  # no lock limit: the statement's limit ends the wait
], ids=["lock timeout", "statement timeout"])
def test_a_move_on_a_sheet_locked_elsewhere_answers_503_soon_and_changes_nothing(live_server, people, sheet, settings, limits):
    for name, value in limits.items():
        setattr(settings, name, value)
    services.document_submit(document=sheet, user=people.staff_ggzy)

    with holding(LOCK_SHEET, [sheet.pk]):
        answer = approve(live_server, sheet, people.head_ggzy)

    assert answer.status_code == 503, answer.text
    assert answer.json() == BUSY and int(answer.headers["Retry-After"]) > 0
    assert TargetSheet.objects.get(pk=sheet.pk).state == "section_review"
    assert not sheet.events.filter(action="approve").exists()
    assert approve(live_server, sheet, people.head_ggzy).status_code == 200  # once the lock is gone, it goes through


def test_a_page_waiting_on_a_table_a_migration_holds_shows_the_busy_page(live_server, people, settings):
    settings.DB_WEB_LOCK_TIMEOUT = 1

    with holding("LOCK TABLE projects_targetsheet IN ACCESS EXCLUSIVE MODE"):  # as ALTER TABLE takes it
        page = httpx.get(f"{live_server.url}/public/", timeout=TIMEOUT)

    assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
    assert "系统繁忙，请稍后再试" in page.text and "text/html" in page.headers["Content-Type"]


def test_outside_requests_a_wait_is_not_cut_short(live_server, people, sheet, settings):
    """A worker or a command (here: a thread of its own, opening its connection outside any request) waits for the
    lock for as long as it takes, while a request waiting for the same lock has given up with 503."""
    settings.DB_WEB_LOCK_TIMEOUT = 1
    services.document_submit(document=sheet, user=people.staff_ggzy)
    locked = []

    def worker():
        try:
            with transaction.atomic():
                locked.append(TargetSheet.objects.select_for_update().get(pk=sheet.pk).state)
        finally:
            connection.close()

    with holding(LOCK_SHEET, [sheet.pk]):
        waiter = threading.Thread(target=worker)
        waiter.start()
        wait_for(lambda: waiting_on_locks() >= 1)
        assert approve(live_server, sheet, people.head_ggzy).status_code == 503
        assert waiter.is_alive() and not locked  # still waiting
    waiter.join(timeout=TIMEOUT)
    assert locked == ["section_review"]


def test_a_database_refusing_connections_answers_503_not_500(live_server, people):
    token, _ = Token.objects.get_or_create(user=people.head_ggzy)

    with connections_refused():
        page = httpx.get(f"{live_server.url}/public/", timeout=TIMEOUT)
        api = httpx.get(f"{live_server.url}/api/sheets/", headers={"Authorization": f"Token {token.key}"}, timeout=TIMEOUT)

    assert page.status_code == 503 and "系统繁忙，请稍后再试" in page.text and int(page.headers["Retry-After"]) > 0
    assert api.status_code == 503 and api.json() == BUSY and int(api.headers["Retry-After"]) > 0
    assert httpx.get(f"{live_server.url}/public/", timeout=TIMEOUT).status_code == 200
