"""``make run``'s embedded default: SQLite, no Redis (tasks run in-process). On a fresh database it migrates, seeds the
demo, and the demo's people can use every main door: pages for each role, submit, approve, return, resubmit and
publish in the browser, the public page, reminders and warnings, deliveries and the workflow check
(``tests/sqlite_demo_flow.py``, run in a process of its own). The rest of the suite runs on PostgreSQL, whose
faster paths (arrays, LATERAL) SQLite does not have: this keeps the plain paths working."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parent.parent


def run(args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_the_demo_runs_on_sqlite_door_by_door(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(TARGETFLOW_DEMO="1", DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", DJANGO_SETTINGS_MODULE="config.settings")

    for args in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        done = run(args, env)
        assert done.returncode == 0, done.stderr[-3000:]
    flow = run(["shell", "-c", (ROOT / "tests" / "sqlite_demo_flow.py").read_text(encoding="utf-8")], env)

    assert flow.returncode == 0, flow.stderr[-5000:]
    assert "SQLITE DEMO OK" in flow.stdout
