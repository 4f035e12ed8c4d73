"""Sustained approvals (issue 24, item 5): how many approvals a second the deployment keeps up, over HTTP from
``clients`` concurrent clients against gunicorn (``web_workers`` sync workers, as compose runs 3), with a real Celery
worker writing every move's notifications (``notifications.pickup``) and delivering them, and how long after each
move its notifications were written.

    python -m benchmarks.approvals_sustained --db NAME [--seconds 20] [--clients 6] [--web-workers 3]

On a database ``benchmarks.bench`` filled (any scale): the approval pool (agency ``BAPPROVE``) is reset first
(``bench.reset_pool``: it empties the outbox too). The clients approve the pool's sheets through two steps, 科室审核 by
``bench_head`` and 局领导审批 by ``bench_leader`` (half the clients each): a sheet the section head approved goes to a
leader's client; once the leader approved it, it goes back to 科室审核 (as ``reset_pool`` does) and round again, so
the pool never runs out however long the run. Nothing is published (a publication is not what this measures).

``measure`` returns approvals/s (all approvals ÷ the run's wall time), the median and p95 of one approval, and the lag
from a move's commit to its first in-app notification written (median, p95, max) with how long the worker needed
after the last approval to write what was still pending (``drain_seconds``).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg

from benchmarks.bench import PY, ROOT, Processes, _db_url, _drop_queue, _free_port, _inproc, reset_pool

# the pool's sheets of ``bench_head``'s section (the agency's first: the pool spans many sections, each its own head)
POOL_SQL = """SELECT t.id FROM projects_targetsheet t JOIN projects_agency a ON a.id = t.agency_id
              WHERE a.code = 'BAPPROVE' AND t.revises_id IS NULL AND t.state = 'section_review'
              AND t.section_id = (SELECT min(s.id) FROM projects_section s WHERE s.agency_id = a.id) ORDER BY t.id"""
RECYCLE_SQL = """UPDATE projects_targetsheet SET state = 'section_review', version = version + 1, assignee_id = NULL,
                 round_actors = '' WHERE id = %s AND state = 'finance_review'"""


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))] if ordered else None


def _start_servers(procs: Processes, env: dict, web_workers: int, celery_concurrency: int, root) -> str:
    port = _free_port()
    web = [PY, "-m", "gunicorn", "-w", str(web_workers), "-b", f"127.0.0.1:{port}", "--timeout", "600", "config.wsgi:application"]
    worker = [PY, "-m", "celery", "-A", "config", "worker", "-Q", env["NOTIFY_QUEUE"], "-c", str(celery_concurrency),
              "-P", "prefork", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
    for command, name in ((web, "sustained-web"), (worker, "sustained-celery")):
        out = open(Path(tempfile.gettempdir()) / f"bench-{os.getpid()}-{name}.log", "w")
        procs.procs.append(subprocess.Popen(command, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True))
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/healthz", timeout=2)
            return base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def _client(base: str, cookie: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    client.cookies.set("sessionid", cookie)
    client.get("/tasks/")
    client.headers.update({"X-CSRFToken": client.cookies.get("csrftoken") or "", "Referer": base + "/"})
    return client


def measure(url: str, *, seconds: float = 20.0, clients: int = 6, web_workers: int = 3, celery_concurrency: int = 2,
            redis_url: str | None = None, warmup: float = 2.0, root=ROOT, log=print) -> dict:
    """Approve for ``seconds`` (after ``warmup`` seconds unmeasured) from ``clients`` threads; see the module's
    docstring. ``url``: the targetflow database (a bench fill); ``root``: the code the servers run (another checkout:
    a before/after comparison on the same database)."""
    redis_url = redis_url or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5")
    env = {**os.environ, "TARGETFLOW_DEMO": "1", "DATABASE_URL": url, "AXES_ENABLED": "false",
           "DJANGO_SETTINGS_MODULE": "config.settings", "REDIS_URL": redis_url, "CELERY_TASK_ALWAYS_EAGER": "false",
           "NOTIFY_QUEUE": f"sustained-{os.getpid()}", "WECOM_REDIS_PREFIX": f"sustained-{os.getpid()}:wecom:",
           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    reset_pool(url)
    with psycopg.connect(url) as conn:
        pool = [row[0] for row in conn.execute(POOL_SQL)]
        conn.execute("DELETE FROM notifications_pendingfanout")
    cookies = _inproc("sessions", env, "bench_head", "bench_leader")["cookies"]
    procs = Processes()
    try:
        base = _start_servers(procs, env, web_workers, celery_concurrency, root)
        heads = queue.Queue()
        leaders = queue.Queue()
        for pk in pool:
            heads.put(pk)
        recycle = psycopg.connect(url, autocommit=True)
        recycle_lock = threading.Lock()
        done: list[tuple[float, float, int]] = []  # (finished at, seconds, event id)
        errors: list[str] = []
        stop = threading.Event()
        measuring_from = [0.0]

        def run(role: str, cookie: str):
            client = _client(base, cookie)
            source, target = (heads, leaders) if role == "head" else (leaders, heads)
            try:
                while not stop.is_set():
                    try:
                        pk = source.get(timeout=0.5)
                    except queue.Empty:
                        continue
                    started = time.perf_counter()
                    answer = client.post(f"/api/sheets/{pk}/approve/", json={"comment": ""})
                    finished = time.perf_counter()
                    if answer.status_code != 200:
                        errors.append(f"{role} {pk}: {answer.status_code} {answer.text[:200]}")
                        stop.set()
                        return
                    if finished >= measuring_from[0]:
                        done.append((finished, finished - started, answer.json()["event"]["id"]))
                    if role == "leader":  # at 财政审核: back to 科室审核 for the next round
                        with recycle_lock:
                            recycle.execute(RECYCLE_SQL, [pk])
                    target.put(pk)
            finally:
                client.close()

        threads = [threading.Thread(target=run, args=(role, cookies[f"bench_{role}"]), daemon=True)
                   for role in (["head", "leader"] * clients)[:clients]]
        started = time.perf_counter()
        measuring_from[0] = started + warmup
        load_before = os.getloadavg()
        for thread in threads:
            thread.start()
        time.sleep(warmup + seconds)
        stop.set()
        ended = time.perf_counter()
        for thread in threads:
            thread.join(60)
        recycle.close()
        if errors:
            raise SystemExit("; ".join(errors[:3]))
        measured = [d for d in done if d[0] <= ended]
        wall = ended - measuring_from[0]
        # the worker's lag: from the move's commit (the event's time) to its first in-app notification written
        drain_started = time.perf_counter()
        with psycopg.connect(url) as conn:
            while conn.execute("SELECT count(*) FROM notifications_pendingfanout").fetchone()[0]:
                if time.perf_counter() - drain_started > 300:
                    break
                time.sleep(0.05)
            drain = time.perf_counter() - drain_started
            ids = [d[2] for d in measured]
            lags = [row[0] for row in conn.execute(
                """SELECT EXTRACT(EPOCH FROM min(n.created) - e.created) FROM workflow_event e
                   JOIN notifications_notification n ON n.dedupe_key = 'event:' || e.id AND n.channel = 'in_app'
                   WHERE e.id = ANY(%s) GROUP BY e.id, e.created""", [ids])]
            pending = conn.execute("SELECT count(*) FROM notifications_pendingfanout").fetchone()[0]
        lags = [float(x) for x in lags]
        latencies = [d[1] for d in measured]
        result = {
            "approvals": len(measured), "seconds": round(wall, 2), "clients": clients, "web_workers": web_workers,
            "approvals_per_second": round(len(measured) / wall, 1) if wall > 0 else 0,
            "median_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1) if latencies else None,
            "notified": len(lags), "lag_median_ms": round(statistics.median(lags) * 1000, 1) if lags else None,
            "lag_p95_ms": round(_percentile(lags, 0.95) * 1000, 1) if lags else None,
            "lag_max_ms": round(max(lags) * 1000, 1) if lags else None,
            "drain_seconds": round(drain, 2), "pending_left": pending,
            "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
            "root": str(root),
        }
        log(json.dumps(result, ensure_ascii=False))
        return result
    finally:
        procs.stop()
        reset_pool(url)
        _drop_queue(redis_url, env["NOTIFY_QUEUE"])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a database benchmarks.bench filled")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose code the servers run")
    args = parser.parse_args(argv)
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/targetflow")
    sys.path.insert(0, str(ROOT))
    measure(_db_url(base, args.db), seconds=args.seconds, clients=args.clients, web_workers=args.web_workers,
            celery_concurrency=args.celery_concurrency, root=args.root)


if __name__ == "__main__":
    main()
