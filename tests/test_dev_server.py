"""`make run` against PostgreSQL: the development server answers each request in a thread of its own, so a connection
kept for the next request (DB_CONN_MAX_AGE) is never used again and they pile up until PostgreSQL refuses new ones.
Under runserver every request closes its connection, whatever DB_CONN_MAX_AGE says.

The real `manage.py runserver` against the test database, its connections counted by PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings
from django.db import connection

from tests.support import free_port, wait_for

APP_NAME = "targetflow-test-runserver"  # libpq's PGAPPNAME: which of the test database's sessions are the server's


def server_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s", [APP_NAME])
        return cursor.fetchone()[0]


@pytest.fixture
def runserver(db):
    db_settings = connection.settings_dict
    port = free_port()
    env = {
        **os.environ, "TARGETFLOW_DEMO": "1", "DB_CONN_MAX_AGE": "60", "PGAPPNAME": APP_NAME, "REDIS_URL": "",
        "DATABASE_URL": f"postgres://{db_settings['USER']}:{db_settings['PASSWORD'] or ''}@{db_settings['HOST'] or '127.0.0.1'}"
                        f":{db_settings['PORT'] or 5432}/{db_settings['NAME']}",
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"

    def answers():
        assert server.poll() is None, server.stderr.read().decode()
        try:
            return httpx.get(f"{url}/public/", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(answers, timeout=120)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_development_server_keeps_no_database_connection_between_requests(runserver):
    def fetch(_):
        return httpx.get(f"{runserver}/public/", timeout=60).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:  # a browser's parallel requests
        statuses = list(pool.map(fetch, range(40)))

    assert statuses == [200] * 40
    wait_for(lambda: server_sessions() == 0, timeout=30)  # each request's connection closed with it
