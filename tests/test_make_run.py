"""A newcomer's first commands: ``make run`` checks its port before any setup and installs only what running needs,
``make test`` adds the tools on top, and ``make demo-reset`` starts the demo afresh (never on a server database).

Each run points ``VENV`` at a folder of its own, so nothing is installed into the project's virtualenv."""

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent


def make(*args, env=None, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env or os.environ.copy(),
                          capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_run_on_a_busy_port_stops_at_once_in_chinese_before_any_setup(tmp_path):
    venv = tmp_path / "venv"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        done = make("run", f"PORT={port}", f"VENV={venv}", timeout=60)

    assert done.returncode != 0
    assert f"端口 {port}（127.0.0.1）已被占用" in done.stdout and f"make run PORT=" in done.stdout
    assert not venv.exists()  # no virtualenv, no migration: nothing slow happened first


def test_make_run_serves_on_the_given_port_and_installs_only_the_runtime_requirements(tmp_path):
    port = free_port()
    planned = make("-n", "run", f"PORT={port}", f"VENV={tmp_path / 'venv'}").stdout

    assert "install --quiet --require-hashes -r requirements.txt" in planned
    assert "requirements-dev.txt" not in planned
    assert f"runserver 127.0.0.1:{port}" in planned and f"http://127.0.0.1:{port}" in planned

    tests = make("-n", "test", f"VENV={tmp_path / 'venv'}").stdout
    assert "install --quiet --require-hashes -r requirements-dev.txt" in tests  # the tools on top, still hashed


def runtime_venv(tmp_path: Path) -> Path:
    """A ``VENV`` whose python is this test's and whose runtime marker is fresh: make installs nothing."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    (venv / ".runtime").touch()
    return venv


def test_make_demo_reset_starts_the_demo_afresh_and_never_touches_a_server_database(tmp_path):
    database = tmp_path / "demo.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE left_from_an_earlier_demo (x)")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "TARGETFLOW_DEMO")}

    refused = make("demo-reset", f"VENV={runtime_venv(tmp_path)}",
                   env={**env, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/targetflow"})
    assert refused.returncode != 0 and "只重置演示用的 SQLite 数据库，未做任何修改" in refused.stdout

    done = make("demo-reset", f"VENV={runtime_venv(tmp_path / 'again')}", env={**env, "DATABASE_URL": f"sqlite:///{database}"})

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "演示数据已重置" in done.stdout
    with sqlite3.connect(database) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        years = db.execute(
            "SELECT DISTINCT y.year FROM projects_targetsheet s JOIN projects_fiscalyear y ON y.id = s.fiscal_year_id"
        ).fetchall()
    assert "left_from_an_earlier_demo" not in tables
    assert years == [(timezone.localdate().year,)]  # the demo is this year's
