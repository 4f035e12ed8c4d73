"""Times the finance view's Excel export as a background job runs it (a script, not a test).

    python -m benchmarks.xlsx_export fill SHEETS          # (re)create DB and fill it: SHEETS sheets × 8 indicators
    python -m benchmarks.xlsx_export measure [--code DIR] [--user NAME]  # one export job of bench_finance's (NAME's) whole 2024 list

``DATABASE_URL`` names the database (default ``postgres://postgres@127.0.0.1:5432/tf_xlsx_bench``). ``fill`` drops
and refills it with ``benchmarks.fill`` (the province benchmark's set-based fill) at SHEETS / 10 budget units of 10
projects. ``measure`` runs, in a fresh process with the code of ``DIR`` (default: this checkout; e.g. an exported
copy of main for the before figure), what the Celery task does: ``exports.services.export_job_run`` of a new job,
and prints wall time, the process's CPU time and peak RSS (``/usr/bin/time -v`` when present, else ``getrusage``),
the size of the result, the job's final state and the load average at the end. Both codes run on the same database: fill and measure main's code first, then
``manage.py migrate`` with this one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tf_xlsx_bench"

# Run in the child: one job, as the worker runs it. Works with main's ExportJob (content in the row) and this one's
# (a file and its size).
CHILD = r"""
import datetime, json, os, resource, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from exports import services
from exports.models import ExportJob
user = get_user_model().objects.get(username=os.environ.get("XLSX_BENCH_USER", "bench_finance"))
filters = {"year": 2024, "section": None, "state": None, "agency": None, "search": None}
total = services.selectors.summary_sheets(user, filters).order_by().count()
job = ExportJob.objects.create(owner=user, kind="xlsx", filters=filters, total=total, attempts=1, queued=timezone.now(),
                               expires=timezone.now() + datetime.timedelta(hours=1))
started = time.monotonic()
services.export_job_run(job_id=job.pk)
seconds = time.monotonic() - started
job = ExportJob.objects.defer("content").get(pk=job.pk) if hasattr(ExportJob, "content") else ExportJob.objects.get(pk=job.pk)
size = getattr(job, "size", None)
if size is None and hasattr(ExportJob, "content"):
    size = len(ExportJob.objects.values_list("content", flat=True).get(pk=job.pk) or b"")
result = {"status": job.status, "error": job.error, "sheets": job.done, "total": total, "file_name": job.file_name,
          "bytes": size, "job_seconds": round(seconds, 1), "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
ExportJob.objects.filter(pk=job.pk).delete()
print("XLSX-BENCH " + json.dumps(result, ensure_ascii=False))
"""


def _env(code: Path, base: dict | None = None) -> dict:
    base = os.environ if base is None else base
    return {**base, "TARGETFLOW_DEMO": "1", "DATABASE_URL": base.get("DATABASE_URL", DEFAULT_DB),
            "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(code), "AXES_ENABLED": "false"}


def fill(sheets: int) -> None:
    import psycopg

    from benchmarks.scales import Scale

    url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = _env(ROOT)
    for command in (["manage.py", "migrate", "-v0"], ["manage.py", "seed_demo", "--year", "2024"]):
        subprocess.run([sys.executable, *command], env=env, cwd=ROOT, check=True, capture_output=True)
    code = (f"import django; django.setup(); from benchmarks.fill import fill; from benchmarks.scales import Scale; "
            f"print(fill(Scale('xlsx', {sheets // 10}, 10, 2, 8, 1, 1, 1, 10, 1)))")
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    print(out.strip().splitlines()[-1], f"({time.monotonic() - started:.0f} s)")


def measure(code: Path, user: str = "bench_finance", env: dict | None = None) -> dict:
    """One export job in a fresh process (``env``: the environment to run it in, default this process's)."""
    command = [sys.executable, "-c", CHILD]
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if timer:
        command = [timer, "-v", *command]
    started = time.monotonic()
    done = subprocess.run(command, env=_env(code, env) | {"XLSX_BENCH_USER": user}, cwd=code, capture_output=True, text=True)
    wall = time.monotonic() - started
    if done.returncode:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    line = next(line for line in done.stdout.splitlines() if line.startswith("XLSX-BENCH "))
    result = json.loads(line.split(" ", 1)[1]) | {"process_seconds": round(wall, 1), "code": str(code)}
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if peak:
        result["maxrss_mb"] = round(int(peak.group(1)) / 1024)
    cpu = re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr)
    if cpu:
        result["cpu_seconds"] = round(sum(map(float, cpu)), 1)  # the process's own; PostgreSQL's is not in it
    result["load"] = os.getloadavg()[0]
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fill").add_argument("sheets", type=int)
    measuring = commands.add_parser("measure")
    measuring.add_argument("--code", type=Path, default=ROOT, help="a checkout whose exports code runs (default: this one)")
    measuring.add_argument("--user", default="bench_finance", help="whose list (admin: the whole province)")
    args = parser.parse_args(argv)
    if args.command == "fill":
        fill(args.sheets)
    else:
        print(json.dumps(measure(args.code.resolve(), args.user), ensure_ascii=False))


if __name__ == "__main__":
    main()
