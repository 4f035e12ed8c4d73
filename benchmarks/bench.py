"""``make benchmark SCALE=county|province``: targetflow side by side with a plain viewflow flow and the bare
transaction floor, written to docs/benchmarks.md.

    python -m benchmarks.bench --scale county [--rounds N] [--output docs/benchmarks.md] [--db NAME] [--anchor-db NAME]

1. Fills two databases once (kept between runs; refilled when the sheet count is not the scale's): targetflow's
   (``benchmarks.fill``) and the anchor's (``benchmarks.anchor``: one 3-step ``viewflow.workflow`` flow with guardian
   object permissions, the same sheets in the same states). The approval pools are reset before every run.
2. Starts each app under gunicorn (one sync worker on loopback, ``benchmarks.wsgi_counting`` adds the query count
   and the worker's peak RSS to every response), a Celery worker for targetflow, and the fake WeCom server.
3. Runs every measurement ``rounds`` times, interleaved: one round runs each targetflow row, then the anchor's rows,
   then the floor, so load on the shared machine hits all of them alike.
4. Writes the table: median and p95 (per request, or per operation for approvals, delivery and the floor), queries,
   peak memory, and the ratios to the anchor and to the floor.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

from benchmarks.scales import APPROVAL_POOL_SPARE, SCALES, Scale

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SEED = ROOT / "projects" / "fixtures" / "laoting-approval-bureau-targets.docx"
REQUESTS_PER_ROUND = 5
# 目标调整: the last sheets of the approval pool stay published; each round adjusts this many of them
ADJUSTMENT_POOL = APPROVAL_POOL_SPARE
ADJUSTMENTS_PER_ROUND = 5


# --------------------------------------------------------------------------- environment

def _db_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + name))


def _admin_conn(base: str):
    return psycopg.connect(_db_url(base, "postgres"), autocommit=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd, env, **kwargs):
    result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def _inproc(measure: str, env, *args) -> dict:
    started = time.perf_counter()
    out = _run([PY, "-m", "benchmarks.inproc", measure, *map(str, args)], env)
    line = next(line for line in out.splitlines() if line.startswith("BENCH-RESULT "))
    return {**json.loads(line.split(" ", 1)[1]), "process_seconds": time.perf_counter() - started}


def _sheet_count(url: str, table: str) -> int | None:
    try:
        with psycopg.connect(url) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except psycopg.Error:
        return None


def prepare(scale: Scale, base: str, db: str, anchor_db: str, log) -> tuple[dict, dict]:
    """The two databases, filled for ``scale`` (kept when already filled), and the environments that point at them."""
    env = {**os.environ, "TARGETFLOW_DEMO": "1", "DATABASE_URL": _db_url(base, db), "AXES_ENABLED": "false",
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    anchor_env = {**os.environ, "ANCHOR_DATABASE_URL": _db_url(base, anchor_db),
                  "DJANGO_SETTINGS_MODULE": "benchmarks.anchor.settings"}
    expected = scale.sheets + 9  # the seed's nine sheets
    have = _sheet_count(env["DATABASE_URL"], "projects_targetsheet")
    if have is None or have < expected:
        log(f"filling {db} ({scale.sheets:,} sheets)")
        with _admin_conn(base) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db}"')
        _run([PY, "manage.py", "migrate", "-v0"], env)
        _run([PY, "manage.py", "seed_demo", "--year", "2024"], env)
        log(_run([PY, "-m", "benchmarks.fill", scale.name], env).strip().splitlines()[-1])
    else:
        _run([PY, "manage.py", "migrate", "-v0"], env)  # new indexes reach a kept database
        # a database filled by an earlier version gains what it lacks (nothing when it is there)
        log("fill rest " + _run([PY, "-m", "benchmarks.fill", "rest", scale.name], env).strip().splitlines()[-1])
    with _admin_conn(base) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [anchor_db]).fetchone():
            conn.execute(f'CREATE DATABASE "{anchor_db}"')
    _run([PY, "-m", "django", "migrate", "-v0"], anchor_env)
    log("anchor " + _run([PY, "-m", "benchmarks.anchor.fill", scale.name], anchor_env).strip().splitlines()[-1])
    reset_pool(env["DATABASE_URL"])
    for url in (env["DATABASE_URL"], anchor_env["ANCHOR_DATABASE_URL"]):
        vacuumed = vacuum_as_autovacuum(url)
        if vacuumed:
            log(f"vacuum {urlsplit(url).path.lstrip('/')}: {', '.join(vacuumed)}")
    return env, anchor_env


def vacuum_as_autovacuum(url: str) -> list[str]:
    """VACUUM ANALYZE the tables autovacuum would (dead rows over 50 + 20% of the live ones), and return their names.
    The benchmark machine's PostgreSQL runs with autovacuum off: each run's resets, reminders and scoring left millions
    of dead rows (the anchor's 40,000 users' groups, written again each run, six times over) that slowed both sides'
    reads run after run."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [name for (name,) in conn.execute(
            """SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM pg_stat_user_tables
               WHERE n_dead_tup > 50 + 0.2 * n_live_tup ORDER BY n_dead_tup DESC""")]
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")
    return tables


def reset_pool(url: str) -> None:
    """The approval pool back at 科室审核 (a rerun approves the same sheets again) but for its last
    ``ADJUSTMENT_POOL`` sheets, published (each run adjusts them once more: an approved adjustment leaves the sheet in
    force, published, with one more archived version), the floor's tables, no outbox."""
    with psycopg.connect(url) as conn:
        conn.execute("""UPDATE projects_targetsheet t SET state = CASE WHEN t.id IN (
                            SELECT p.id FROM projects_targetsheet p WHERE p.agency_id = a.id AND p.revises_id IS NULL
                            ORDER BY p.id DESC LIMIT %s) THEN 'published' ELSE 'section_review' END,
                        version = t.version + 1, assignee_id = NULL, round_actors = ''
                        FROM projects_agency a WHERE a.id = t.agency_id AND a.code = 'BAPPROVE' AND t.revises_id IS NULL""",
                     [ADJUSTMENT_POOL])
        # an adjustment a stopped run left open would refuse the next one (one open adjustment per sheet): close it
        conn.execute("""UPDATE projects_targetsheet t SET state = 'published', assignee_id = NULL, round_actors = ''
                        FROM projects_agency a WHERE a.id = t.agency_id AND a.code = 'BAPPROVE' AND t.revision = 'adjustment'
                        AND t.state <> 'published'""")
        conn.execute("DELETE FROM notifications_notification")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_floor (id int PRIMARY KEY, n bigint NOT NULL)")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_floor_log (id bigserial PRIMARY KEY, floor_id int, at timestamptz)")
        conn.execute("INSERT INTO bench_floor VALUES (1, 0) ON CONFLICT DO NOTHING")
        conn.execute("TRUNCATE bench_floor_log")


class Processes:
    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self, cmd, env, log_name) -> subprocess.Popen:
        out = open(Path(tempfile.gettempdir()) / f"bench-{os.getpid()}-{log_name}.log", "w")
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _gunicorn(procs: Processes, env, name: str) -> str:
    port = _free_port()
    procs.start([PY, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "600",
                 "benchmarks.wsgi_counting:application"], env, name)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/healthz" if name == "targetflow" else base + "/accounts/login/", timeout=2)
            return base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{name} server did not start")


# --------------------------------------------------------------------------- measurements

@dataclass
class Row:
    key: str
    label: str
    unit: str = "ms"  # ms per request/operation
    samples: list[float] = field(default_factory=list)  # seconds per request or operation
    queries: list[int] = field(default_factory=list)
    maxrss_kb: int = 0
    anchor: str | None = None  # key of the anchor row it compares with
    note: str = ""
    rate: list[float] = field(default_factory=list)  # operations per second, per round

    def add(self, seconds, queries=None, maxrss_kb=0):
        self.samples.append(seconds)
        if queries is not None:
            self.queries.append(int(queries))
        self.maxrss_kb = max(self.maxrss_kb, int(maxrss_kb or 0))

    @property
    def median(self):
        return statistics.median(self.samples) if self.samples else None

    @property
    def p95(self):
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, max(0, int(round(0.95 * len(ordered) + 0.5)) - 1))]


SUSTAINED_CLIENTS = 6
SUSTAINED_SECONDS = 20.0


def _approvals_sustained(row: Row, url: str, log) -> None:
    """``benchmarks.approvals_sustained`` (issue 24 item 5: ≥ 200 approvals a second with the worker running): its
    approvals/s, the median approval, and in the note its p95 and how long after a move its notifications were
    written."""
    from benchmarks import approvals_sustained

    result = approvals_sustained.measure(url, seconds=SUSTAINED_SECONDS, clients=SUSTAINED_CLIENTS, log=log)
    if not result["approvals"] or result["pending_left"]:
        raise SystemExit(f"持续审批：{result['approvals']} 次通过，{result['pending_left']} 条待写通知未写")
    row.add(result["median_ms"] / 1000)
    row.rate.append(result["approvals_per_second"])
    row.note = (
        f"{result['approvals']:,} 次 / {result['seconds']} s，p95 {result['p95_ms']} ms；通知写入延迟中位 "
        f"{result['lag_median_ms']} ms（p95 {result['lag_p95_ms']} ms），目标 ≥ 200 次/秒"
    )


class Http:
    def __init__(self, base: str, cookie: str | None, session_cookie="sessionid"):
        self.client = httpx.Client(base_url=base, timeout=600, follow_redirects=False)
        if cookie:
            self.client.cookies.set(session_cookie, cookie)
        self.csrf = None

    def ensure_csrf(self, path):
        self.client.get(path)
        self.csrf = self.client.cookies.get("csrftoken")

    def get(self, row: Row, path: str, expect=200, check=None):
        """``check(response)``: what the page must show (None when it does), so a page that answers 200 with the
        wrong content (an empty list, a refusal) stops the run instead of timing it."""
        started = time.perf_counter()
        response = self.client.get(path)
        seconds = time.perf_counter() - started
        if response.status_code != expect:
            raise SystemExit(f"GET {path}: {response.status_code} {response.text[:300]}")
        problem = check(response) if check else None
        if problem:
            raise SystemExit(f"GET {path}: {problem}")
        row.add(seconds, response.headers.get("X-Bench-Queries"), response.headers.get("X-Bench-Maxrss-Kb"))
        return response

    def post(self, path: str, **kwargs):
        headers = {"X-CSRFToken": self.csrf or "", "Referer": str(self.client.base_url) + "/"}
        return self.client.post(path, headers=headers, **kwargs)

    def patch(self, path: str, *, headers: dict, **kwargs):
        headers = {"X-CSRFToken": self.csrf or "", "Referer": str(self.client.base_url) + "/", **headers}
        return self.client.patch(path, headers=headers, **kwargs)


def shows(*texts: str, times: int = 1):
    """A page check: each text appears at least ``times`` times."""
    def check(response):
        for text in texts:
            if response.text.count(text) < times:
                return f"expected {text!r} ×{times}, found {response.text.count(text)}"
        return None
    return check


def all_of(*checks):
    """A page check: every one of ``checks`` passes."""
    def check(response):
        return next((problem for problem in (c(response) for c in checks) if problem), None)
    return check


def lists(key: str = "results", at_least: int = 1, containing: str = ""):
    """A JSON check: ``key`` holds at least ``at_least`` items, each with ``containing`` in it."""
    def check(response):
        items = response.json().get(key) or []
        if len(items) < at_least:
            return f"expected {at_least}+ {key}, got {len(items)}"
        missing = [item for item in items if containing not in json.dumps(item, ensure_ascii=False)]
        return f"{len(missing)} {key} without {containing!r}" if missing else None
    return check


def _save_draft(http: Http, row: Row, pk: int, names: list[str], n: int):
    """The 经办人 saves an 8-row draft (PATCH, If-Match) ``n`` times, the rows' names alternating between two sets of
    the library's names (each save adds and removes usage rows of popular entries)."""
    etag = http.client.get(f"/api/sheets/{pk}/").headers["ETag"]
    groups = [("产出指标", "数量指标"), ("产出指标", "质量指标"), ("效益指标", "社会效益指标"), ("满意度指标", "服务对象满意度指标")]
    for i in range(n):
        rows = [{"category": c, "subcategory": sc, "name": names[(2 * k + j + i) % len(names)], "target_value": "≥95%",
                 "basis": "压测"} for k, (c, sc) in enumerate(groups) for j in range(2)]
        t = time.perf_counter()
        response = http.patch(f"/api/sheets/{pk}/", json={"indicators": rows}, headers={"If-Match": etag})
        if response.status_code != 200:
            raise SystemExit(f"save draft {pk}: {response.status_code} {response.text[:300]}")
        saved = [r["name"] for r in response.json().get("indicators", [])]
        if saved != [r["name"] for r in rows]:
            raise SystemExit(f"save draft {pk}: saved {saved}, sent {[r['name'] for r in rows]}")
        row.add(time.perf_counter() - t, response.headers.get("X-Bench-Queries"), response.headers.get("X-Bench-Maxrss-Kb"))
        etag = response.headers["ETag"]


def _approve_targetflow(row: Row, batch: list[tuple["Http", int]]):
    """Each (reviewer, sheet) of the batch: the reviewer approves the sheet (API, HTTP)."""
    started = time.perf_counter()
    for http, pk in batch:
        t = time.perf_counter()
        response = http.post(f"/api/sheets/{pk}/approve/", json={"comment": ""})
        if response.status_code != 200:
            raise SystemExit(f"approve {pk}: {response.status_code} {response.text[:300]}")
        if response.json().get("state") != "leader_review":
            raise SystemExit(f"approve {pk}: state {response.json().get('state')!r}, expected 'leader_review'")
        row.add(time.perf_counter() - t, response.headers.get("X-Bench-Queries"), response.headers.get("X-Bench-Maxrss-Kb"))
    row.rate.append(len(batch) / (time.perf_counter() - started))


# what the 经办人 writes into the adjustment: the year's spending plan and a full indicator table (the filled
# sheets carry neither, so the checker would refuse to submit them as they are)
ADJUSTED_INDICATORS = [
    {"category": c, "subcategory": s, "name": n, "target_value": v, "basis": "压测"}
    for c, s, n, v in (
        ("产出指标", "数量指标", "服务事项", "≥12个"), ("产出指标", "质量指标", "系统正常运行率", "≥98%"),
        ("产出指标", "时效指标", "按时完成率", "≥95%"), ("产出指标", "成本指标", "经费控制数", "≤10万元"),
        ("效益指标", "社会效益指标", "营商环境", "有效改善"), ("满意度指标", "服务对象满意度指标", "群众满意度", "≥95%"),
    )
]


def _adjust_targetflow(staff: Http, reviewers: list[Http], row: Row, ids: list[int], plan: list[dict]):
    """目标调整 of each published sheet over HTTP, as its users do it: the 经办人 opens it with a reason, writes the
    new targets (PATCH with the ETag the opening answered) and submits it; the section head, the leader and finance
    approve it (the last approval puts it in force)."""
    for pk in ids:
        t, queries = time.perf_counter(), 0
        response = staff.post(f"/api/sheets/{pk}/adjustments/", json={"reason": "压测：年中调整绩效目标"})
        if response.status_code != 201:
            raise SystemExit(f"adjust {pk}: {response.status_code} {response.text[:300]}")
        adjustment = response.json()["id"]
        queries += int(response.headers.get("X-Bench-Queries", 0))
        response = staff.patch(
            f"/api/sheets/{adjustment}/", json={"plan": plan, "indicators": ADJUSTED_INDICATORS},
            headers={"If-Match": response.headers["ETag"]},
        )
        if response.status_code != 200:
            raise SystemExit(f"edit adjustment {adjustment}: {response.status_code} {response.text[:300]}")
        queries += int(response.headers.get("X-Bench-Queries", 0))
        for http, move in ((staff, "submit"), *((reviewer, "approve") for reviewer in reviewers)):
            response = http.post(f"/api/sheets/{adjustment}/{move}/", json={"comment": ""})
            if response.status_code != 200:
                raise SystemExit(f"{move} adjustment {adjustment}: {response.status_code} {response.text[:300]}")
            queries += int(response.headers.get("X-Bench-Queries", 0))
        row.add(time.perf_counter() - t, queries, response.headers.get("X-Bench-Maxrss-Kb"))


def _approve_anchor(row: Row, tasks: list[tuple["Http", int, int]]):
    """Each (reviewer, process, task): the reviewer assigns the task to themselves and executes it."""
    started = time.perf_counter()
    for http, process_pk, task_pk in tasks:
        t = time.perf_counter()
        base = f"/approval/{process_pk}/section_review/{task_pk}/"
        queries = 0
        for step in ("assign/", "execute/"):
            response = http.post(base + step, data={"csrfmiddlewaretoken": http.csrf})
            if response.status_code != 302:
                raise SystemExit(f"anchor {step} {task_pk}: {response.status_code} {response.text[:300]}")
            queries += int(response.headers.get("X-Bench-Queries", 0))
        row.add(time.perf_counter() - t, queries, response.headers.get("X-Bench-Maxrss-Kb"))
    row.rate.append(len(tasks) / (time.perf_counter() - started))


def _floor(url: str, row: Row, n: int):
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            with conn.transaction():
                conn.execute("UPDATE bench_floor SET n = n + 1 WHERE id = 1")
                conn.execute("INSERT INTO bench_floor_log (floor_id, at) VALUES (1, now())")
            row.add(time.perf_counter() - t, 2)
        row.rate.append(n / (time.perf_counter() - started))


def _whole_process(row: Row, cmd, env):
    started = time.perf_counter()
    _run(cmd, env)
    row.add(time.perf_counter() - started)


def _startup(row: Row, cmd, env, expect: str):
    """A command's start-up: its smallest call that reaches the command's own code, which refuses the input at once
    (exit 1 with ``expect`` in its message), timed as a whole process."""
    started = time.perf_counter()
    result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 1 or expect not in result.stderr:
        raise SystemExit(f"{' '.join(map(str, cmd))}: exit {result.returncode}, expected {expect!r}\n{result.stderr[-2000:]}")
    row.add(seconds)


def _xlsx_province(row: Row, env, scale: Scale):
    """The whole province's Excel (the administrator's list: every sheet), as the Celery task runs it, in a fresh
    process (``benchmarks.xlsx_export.measure``). Checked: the job finished with every sheet (at least the scale's)
    in a file."""
    from benchmarks import xlsx_export

    result = xlsx_export.measure(ROOT, "admin", env=env)
    if (result["status"] != "done" or result["sheets"] != result["total"] or result["total"] < scale.sheets
            or not result["bytes"]):
        raise SystemExit(f"xlsx export: {result}")
    row.add(result["job_seconds"], None, result["maxrss_mb"] * 1024)
    cpu = f"，CPU {result['cpu_seconds']} s" if "cpu_seconds" in result else ""
    row.note = (f"{result['total']:,} 张表，文件 {result['bytes'] / 1e6:,.0f} MB，整个进程 {result['process_seconds']} s{cpu}；"
                "目标 ≤ 60 s、≤ 300 MB")


def _rollover(row: Row, env, scale: Scale):
    """由上年结转 of ``scale.rollover_agencies`` agencies in one command run, rolled back (``benchmarks.inproc.rollover``);
    timed as the whole process. Checked: every published sheet of them became a draft of 2025, none left after."""
    result = _inproc("rollover", env, scale.rollover_agencies)
    if result["created"] != result["expected"] or not result["created"] or result["left"]:
        raise SystemExit(f"rollover: {result}")
    row.add(result["process_seconds"], result["queries"], result["maxrss_kb"])
    # the target is the province's: every agency (20,003) in ≤ 5 minutes; at this many agencies, in proportion
    share = 300 * result["agencies"] / 20_003
    row.note = (f"{result['created']:,} 张表结转为 2025 年草稿，命令本身 {result['seconds']:.1f} s；"
                f"目标全省 ≤ 5 分钟，按单位数折算 {result['agencies']:,} 个单位 ≤ {share:,.1f} s")


def _turns(queues: dict) -> list:
    """The queues' items taken one from each queue in turn (a queue that runs out drops out)."""
    queues = [list(q) for q in queues.values()]
    out = []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def run(scale: Scale, rounds: int, base: str, db: str, anchor_db: str, output: Path, log=print) -> dict:
    env, anchor_env = prepare(scale, base, db, anchor_db, log)
    tf_url, anchor_url = env["DATABASE_URL"], anchor_env["ANCHOR_DATABASE_URL"]
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5")
    sys.path.insert(0, str(ROOT))
    from tests.fakes.wecom_server import FakeWeComServer

    with psycopg.connect(tf_url) as conn:
        pool = conn.execute(
            """SELECT t.id, CASE WHEN t.section_id = (SELECT min(s.id) FROM projects_section s WHERE s.agency_id = a.id)
                                 THEN 'bench_head' ELSE 'bh_' || t.section_id END
               FROM projects_targetsheet t JOIN projects_agency a ON a.id = t.agency_id
               WHERE a.code = 'BAPPROVE' AND t.revises_id IS NULL ORDER BY t.id""").fetchall()
        adjust_pool, pool = [pk for pk, _ in pool[-ADJUSTMENT_POOL:]], pool[:-ADJUSTMENT_POOL]
        # the approval pool spans many sections (benchmarks.realism.fill_approval_spread): each section's head in turn
        by_head = {}
        for pk, head_name in pool:
            by_head.setdefault(head_name, []).append(pk)
        reviewer_names = sorted(by_head, key=lambda name: (name != "bench_head", name))
        plan = [{"date": str(date), "percent": str(percent)} for date, percent in conn.execute(
            """SELECT c.date, c.planned_percent FROM projects_checkpoint c JOIN projects_fiscalyear y ON y.id = c.fiscal_year_id
               WHERE y.year = 2024 ORDER BY c.date""")]
        [pool_staff] = conn.execute(
            """SELECT 'bs_' || min(s.id) FROM projects_section s JOIN projects_agency a ON a.id = s.agency_id
               WHERE a.code = 'BAPPROVE'""").fetchone()
        staff = [r[0] for r in conn.execute("SELECT id FROM auth_user WHERE username LIKE 'bs\\_%%' ORDER BY id")]
    with psycopg.connect(anchor_url) as conn:
        anchor_tasks = conn.execute(
            """SELECT CASE WHEN s.section_id = (SELECT min(x.id) FROM anchor_section x WHERE x.agency_id = a.id)
                           THEN 'anchor_head' ELSE 'ah_' || s.section_id END, k.process_id, k.id
               FROM viewflow_task k JOIN viewflow_process p ON p.id = k.process_id
               JOIN anchor_sheet s ON s.id = p.artifact_object_id JOIN anchor_agency a ON a.id = s.agency_id
               WHERE a.code = 'BAPPROVE' AND k.status = 'NEW' ORDER BY k.id""").fetchall()
        anchor_by_head = {}
        for head_name, process_pk, task_pk in anchor_tasks:
            anchor_by_head.setdefault(head_name, []).append((process_pk, task_pk))

    fake = FakeWeComServer(users={f"wx{pk}" for pk in staff}).start()
    env = {**env, "REDIS_URL": redis_url, "WECOM_BASE_URL": fake.base_url, "WECOM_CORP_ID": fake.corp_id,
           "WECOM_SECRET": fake.secret, "WECOM_AGENT_ID": str(fake.agent_id), "CELERY_TASK_ALWAYS_EAGER": "false",
           "NOTIFY_QUEUE": f"bench-{os.getpid()}", "WECOM_REDIS_PREFIX": f"bench-{os.getpid()}:wecom:"}
    procs = Processes()
    try:
        tf = _gunicorn(procs, env, "targetflow")
        anchor = _gunicorn(procs, anchor_env, "anchor")
        # the same anchor keeping its database connection between requests, as targetflow does (DB_CONN_MAX_AGE)
        anchor_kept = _gunicorn(procs, {**anchor_env, "ANCHOR_CONN_MAX_AGE": "60"}, "anchor-kept")
        procs.start([PY, "-m", "celery", "-A", "config", "worker", "-Q", env["NOTIFY_QUEUE"], "-c", "2", "-P", "prefork",
                     "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"], env, "celery")
        cookies = _inproc("sessions", env, "bench_finance", "bench_leader", pool_staff, "bench_big_staff",
                          "bench_people_admin", *reviewer_names)["cookies"]
        anchor_cookies = _inproc("sessions", anchor_env, *sorted(anchor_by_head))["cookies"]
        head, finance, public = Http(tf, cookies["bench_head"]), Http(tf, cookies["bench_finance"]), Http(tf, None)
        head.ensure_csrf("/tasks/")
        staff, leader = Http(tf, cookies[pool_staff]), Http(tf, cookies["bench_leader"])
        big_staff, people_admin = Http(tf, cookies["bench_big_staff"]), Http(tf, cookies["bench_people_admin"])
        for http in (staff, leader, finance, big_staff):
            http.ensure_csrf("/tasks/")
        ahead = Http(anchor, anchor_cookies["anchor_head"])
        ahead.ensure_csrf("/accounts/login/")
        # the approvals: each section head of the pool in turn, one sheet each (targetflow, then the anchor twice)
        reviewers = {name: head if name == "bench_head" else Http(tf, cookies[name]) for name in reviewer_names}
        for name, http in reviewers.items():
            if name != "bench_head":
                http.ensure_csrf("/tasks/")
        approval_turns = _turns({name: [(reviewers[name], pk) for pk in by_head[name]] for name in reviewer_names})
        anchor_turns = {}
        for kept, base_url in ((False, anchor), (True, anchor_kept)):
            clients = {name: ahead if not kept and name == "anchor_head" else Http(base_url, anchor_cookies[name])
                       for name in anchor_by_head}
            for name, http in clients.items():
                if http is not ahead:
                    http.ensure_csrf("/accounts/login/")
            anchor_turns[kept] = [(clients[name], process_pk, task_pk) for name, process_pk, task_pk in
                                  _turns({name: [(name, *task) for task in tasks] for name, tasks in anchor_by_head.items()})]

        rows = {r.key: r for r in [
            Row("tasks", "待办 /tasks/（科室负责人）", anchor="a_inbox"),
            Row("sheets_head", "/sheets/（科室负责人，全省已公开）", anchor="a_queue"),
            Row("sheets_finance", "/sheets/（财政审核人，全省）", anchor="a_queue"),
            Row("sheets_filtered", "/sheets/?year=2024&state=published", anchor="a_queue"),
            Row("sheets_search", "/sheets/?q=<项目名称>（文字搜索）", anchor="a_queue"),
            Row("api_sheets", "/api/sheets/（科室负责人）", anchor="a_queue"),
            Row("api_deep", "/api/sheets/ 第 N 页（游标）", anchor="a_queue"),
            Row("public", "公开列表 /public/（匿名）", anchor="a_queue"),
            Row("approvals", "审批（API，HTTP）：每次通过，各科室负责人轮流", unit="op", anchor="a_approve"),
            # issue 24 items 5 and 7: approvals sustained with the worker writing their notifications
            Row("approvals_sustained", f"持续审批（HTTP，{SUSTAINED_CLIENTS} 个客户端，3 个 Web 进程，Celery 运行中）：每次通过", unit="op"),
            Row("adjustments", "目标调整（API，HTTP）：开启 + 修改 + 提交 + 三级通过，每份", unit="op"),
            Row("county", "运行监控汇总 /monitoring/（财政审核人，全省）"),
            Row("grading", "运行监控：全省已公开的表按规则包在一个监控点评级（进程内）"),
            Row("spending_dashboard", f"单位执行进度 /agencies/BEXPORT/spending/（财政审核人，{scale.export_sheets:,} 张表的单位，第 1 页）",
                note="分页：每页只读所示的表"),
            Row("agency_evaluations", "单位自评总览 /agencies/BEXPORT/2024/evaluations/（财政审核人）", note="目标 p95 ≤ 25 ms"),
            Row("editor_big", "编辑页 /sheets/<id>/edit/：200 条指标的草稿（经办人）", note="目标 ≤ 150 ms"),
            Row("save_draft", "保存 8 条指标的草稿（API PATCH，HTTP），指标库满", unit="op"),
            Row("suggest", "指标库联想 /library/suggest/?q=办件（每次按键）", note="目标 p95 ≤ 20 ms"),
            Row("library_finance", "指标库 /library/（财政审核人，全省）"),
            Row("library_head", "指标库 /library/（科室负责人）"),
            Row("people", "人员与角色 /people/<单位>/（单位管理员）"),
            Row("reminders", f"run_reminders {datetime.date(2024, 6, 23)}", unit="run"),
            Row("delivery", "通知投递（Celery 2 进程 → 假企业微信）：每条", unit="op"),
            Row("export", f"Word 导出（{scale.export_sheets} 张表的单位）", unit="run"),
            Row("scoring", "自评评分（进程内）：每张已公开表的自评逐行计分、总分和等级写回", unit="run"),
            Row("seed_import", "种子导入（进程内）", unit="run"),
            Row("seed_export", "种子导出（进程内）", unit="run"),
            Row("seed_import_cmd", "种子导入（整个进程 import_targets）", unit="run"),
            Row("seed_export_cmd", "种子导出（整个进程 export_targets）", unit="run"),
            Row("import_startup", "命令启动 import_targets（整个进程，不存在的文件：到命令本身即报错）", unit="run",
                note="目标 ≤ 0.6 s"),
            Row("export_startup", "命令启动 export_targets（整个进程，不存在的单位：一次查询即报错）", unit="run",
                note="目标 ≤ 0.6 s"),
            Row("xlsx_province", "Excel 导出：全省（管理员的列表，进程内如后台任务，每次一个新进程）", unit="run"),
            Row("rollover", f"由上年结转 {scale.rollover_agencies:,} 个单位（整个进程，rollover --agency ×{scale.rollover_agencies:,}，"
                            "事务内执行后回滚）", unit="run"),
            Row("a_inbox", "锚点 viewflow 收件箱 /approval/inbox/"),
            Row("a_queue", "锚点 viewflow 队列 /approval/queue/"),
            Row("a_approve", "锚点 viewflow 审批（assign + execute）", unit="op"),
            Row("a_approve_kept", "锚点 viewflow 审批（同样保持数据库连接）", unit="op"),
            Row("floor", "事务底线（UPDATE + INSERT 一个事务）", unit="op"),
        ]}
        # the deep page: follow `next` as far as the scale allows, once, and time that page
        deep = "/api/sheets/?size=100"
        for _ in range(min(50, scale.sheets // 100)):
            nxt = head.client.get(deep).json().get("next")
            if not nxt:
                break
            deep = nxt.split(tf, 1)[-1] if nxt.startswith(tf) else urlsplit(nxt)._replace(scheme="", netloc="").geturl()
        with psycopg.connect(tf_url) as conn:
            search = conn.execute("SELECT name FROM projects_project WHERE code LIKE 'BP%%' ORDER BY id DESC LIMIT 1").fetchone()[0]
            big_sheets = [r[0] for r in conn.execute(
                "SELECT t.id FROM projects_targetsheet t JOIN projects_agency a ON a.id = t.agency_id WHERE a.code = 'XBIG' ORDER BY t.id")]
            popular = [r[0] for r in conn.execute(
                """SELECT name FROM library_entry WHERE category = '产出指标' AND subcategory = '数量指标' AND kind = 'specific'
                   ORDER BY use_count DESC, name LIMIT 40""")]
            [crowd_person] = conn.execute("SELECT last_name || first_name FROM auth_user WHERE username = 'bp_1'").fetchone()
        big_sheet, save_sheet = big_sheets[0], big_sheets[-1]
        pages = [("tasks", head, "/tasks/", shows("压测项目BAPPROVE")),
                 ("sheets_head", head, "/sheets/", shows("压测项目B", times=10)),
                 ("sheets_finance", finance, "/sheets/", shows("压测项目B", times=10)),
                 ("sheets_filtered", head, "/sheets/?year=2024&state=published", shows("压测项目B", times=10)),
                 ("sheets_search", head, f"/sheets/?q={search}", shows(search)),
                 ("api_sheets", head, "/api/sheets/", lists(at_least=10)), ("api_deep", head, deep, lists(at_least=10)),
                 ("public", public, "/public/", shows("压测项目", times=10)),
                 ("county", finance, "/monitoring/?year=2024", shows("压测单位")),
                 # a page of the agency's sheets (50), each row with its project code, and the pager over all of them
                 ("spending_dashboard", finance, "/agencies/BEXPORT/spending/?year=2024",
                  all_of(shows("BPBEXPORT-", times=min(50, scale.export_sheets)),
                         shows(f"第 1 / {-(-scale.export_sheets // 50)} 页" if scale.export_sheets > 50 else "执行进度"))),
                 ("agency_evaluations", finance, "/agencies/BEXPORT/2024/evaluations/", shows("压测项目BEXPORT")),
                 # every row of the sheet and its empty template row
                 ("editor_big", big_staff, f"/sheets/{big_sheet}/edit/", shows('data-testid="indicator-row"', times=201)),
                 ("suggest", big_staff, "/library/suggest/?category=产出指标&subcategory=数量指标&q=办件",
                  lists(at_least=1, containing="办件")),
                 ("library_finance", finance, "/library/", shows(popular[0])),
                 ("library_head", head, "/library/", shows("办件")),
                 ("people", people_admin, "/people/XPEOPLE/", shows(crowd_person, "压测人员科室1"))]
        for key, http, path, _check in pages:  # warm up (templates, connections) once, unmeasured
            http.client.get(path)
        ahead.client.get("/approval/inbox/")
        ahead.client.get("/approval/queue/")
        seed_cmd_env = {**env}
        out_docx = Path(tempfile.gettempdir()) / f"bench-{os.getpid()}-seed.docx"
        idle_queue = f"bench-{os.getpid()}-unread"
        for r in range(rounds):
            log(f"round {r + 1}/{rounds}")
            for key, http, path, check in pages:
                for _ in range(REQUESTS_PER_ROUND):
                    http.get(rows[key], path, check=check)
            _save_draft(big_staff, rows["save_draft"], save_sheet, popular, REQUESTS_PER_ROUND)
            batch = approval_turns[r * scale.approvals_per_round:(r + 1) * scale.approvals_per_round]
            _approve_targetflow(rows["approvals"], batch)
            if r == rounds - 1:  # once, after the other rows of the last round: it runs servers of its own
                _approvals_sustained(rows["approvals_sustained"], tf_url, log)
            n = ADJUSTMENTS_PER_ROUND
            _adjust_targetflow(staff, [head, leader, finance], rows["adjustments"], adjust_pool[r * n:(r + 1) * n], plan)
            # the reminders' own e-mail rows go to a queue no worker reads (emptied at the end): their delivery
            # would otherwise load the worker while the delivery row is measured
            result = _inproc("reminders", {**env, "NOTIFY_QUEUE": idle_queue})
            rows["reminders"].add(result["seconds"], result["queries"], result["maxrss_kb"])
            rows["reminders"].note = f"{result['items']:,} 条提醒，{result['rows']:,} 行通知"
            result = _inproc("delivery", env, scale.deliveries_per_round, r)
            rows["delivery"].add(result["seconds"] / scale.deliveries_per_round, None, result["maxrss_kb"])
            rows["delivery"].rate.append(scale.deliveries_per_round / result["seconds"])
            rows["delivery"].note = "、".join(f"{k} {v}" for k, v in result["statuses"].items())
            result = _inproc("grading", env)
            rows["grading"].add(result["seconds"], result["queries"], result["maxrss_kb"])
            if result["red"] >= result["sheets"] > 1:  # the fill's spending reports: a mix, not every sheet red
                raise SystemExit(f"grading: every one of {result['sheets']} published sheets red ({result})")
            rows["grading"].note = (f"{result['point']} 监控点：{result['sheets']:,} 张已公开，{result['red']:,} 张红灯"
                                    f"（其中未填报 {result['unreported']:,} 张）")
            for key in ("export", "seed_import", "seed_export"):
                if key == "export" and r >= scale.export_rounds:
                    continue
                result = _inproc(key, env)
                rows[key].add(result["seconds"], result["queries"], result["maxrss_kb"])
            result = _inproc("evaluations", env)
            rows["scoring"].add(result["seconds"], result["queries"], result["maxrss_kb"])
            refused = f"（{result['refused']:,} 张按规则不能计分，未写回）" if result.get("refused") else ""
            rows["scoring"].note = f"{result['evaluations']:,} 张自评表{refused}，{result['rows']:,} 行指标；目标 ≤ 30 s"
            _whole_process(rows["seed_import_cmd"], [PY, "manage.py", "import_targets", str(SEED), "--year", "2024"], seed_cmd_env)
            _whole_process(rows["seed_export_cmd"], [PY, "manage.py", "export_targets", "--agency", "483001", "--year", "2024",
                                                     "--output", str(out_docx)], seed_cmd_env)
            _startup(rows["import_startup"], [PY, "manage.py", "import_targets", str(out_docx) + ".missing", "--year", "2024"],
                     seed_cmd_env, "找不到文件")
            _startup(rows["export_startup"], [PY, "manage.py", "export_targets", "--agency", "NOSUCH", "--year", "2024",
                                              "--output", str(out_docx)], seed_cmd_env, "没有编码为 NOSUCH")
            if r < scale.xlsx_rounds:
                _xlsx_province(rows["xlsx_province"], env, scale)
            _rollover(rows["rollover"], env, scale)
            # the anchor
            for _ in range(REQUESTS_PER_ROUND):
                ahead.get(rows["a_inbox"], "/approval/inbox/")
                ahead.get(rows["a_queue"], "/approval/queue/")
            n = scale.approvals_per_round
            _approve_anchor(rows["a_approve"], anchor_turns[False][r * n:(r + 1) * n])
            _approve_anchor(rows["a_approve_kept"], anchor_turns[True][(rounds + r) * n:(rounds + r + 1) * n])
            # the floor
            _floor(tf_url, rows["floor"], scale.approvals_per_round)
        kept, approvals = rows["a_approve_kept"], rows["approvals"]
        approvals.note = f"{len(reviewer_names)} 个科室的负责人轮流（锚点同样 {len(anchor_by_head)} 位）"
        if kept.median and approvals.median:
            approvals.note += f"；相对同样保持数据库连接的锚点 {kept.median / approvals.median:.2f}×"
        machine = machine_info(tf_url)
        write_table(output, scale, rounds, rows, machine)
        log(f"wrote {output}")
        return {"rows": rows, "machine": machine}
    finally:
        procs.stop()
        fake.stop()
        _drop_queue(redis_url, f"bench-{os.getpid()}-unread")


def _drop_queue(redis_url: str, name: str) -> None:
    import redis

    try:
        redis.Redis.from_url(redis_url).delete(name)
    except redis.RedisError:
        pass


# --------------------------------------------------------------------------- report

def machine_info(url: str) -> dict:
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    with psycopg.connect(url) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
        "postgres": pg, "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _ms(seconds):
    if seconds is None:
        return "—"
    ms = seconds * 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 1 else f"{ms:.2f}"


def _queries(row: Row) -> str:
    if not row.queries:
        return "—"
    low, high = min(row.queries), max(row.queries)
    return str(low) if low == high else f"{low}–{high}"


def table_lines(scale: Scale, rows: dict) -> list[str]:
    floor = rows["floor"].median
    lines = [
        "| 测量 | 中位数 ms | p95 ms | 每秒 | 查询数 | 峰值内存 MB | 相对锚点 | 相对底线 | 说明 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows.values():
        anchor = rows[row.anchor].median if row.anchor else None
        vs_anchor = f"{anchor / row.median:.2f}×" if anchor and row.median else "—"
        vs_floor = f"{row.median / floor:,.0f}×" if floor and row.median else "—"
        rate = f"{statistics.median(row.rate):,.1f}" if row.rate else "—"
        mem = f"{row.maxrss_kb / 1024:,.0f}" if row.maxrss_kb else "—"
        lines.append(f"| {row.label} | {_ms(row.median)} | {_ms(row.p95)} | {rate} | {_queries(row)} | {mem} | "
                     f"{vs_anchor} | {vs_floor} | {row.note} |")
    return lines


def write_table(output: Path, scale: Scale, rounds: int, rows: dict, machine: dict) -> None:
    """Replace this scale's section of ``output`` (other scales' sections stay)."""
    begin, end = f"<!-- benchmark:{scale.name}:begin -->", f"<!-- benchmark:{scale.name}:end -->"
    section = [
        begin,
        f"### {scale.name}：{scale.sheets:,} 张表（{scale.agencies:,} 个单位 × {scale.projects_per_agency} 个项目，"
        f"每表 {scale.indicators} 条指标），{rounds} 轮交替",
        "",
        f"机器：{machine['cores']} 核 {machine['cpu']}，内存 {machine['ram_gb']} GB；Python {machine['python']}，"
        f"PostgreSQL {machine['postgres']}；{machine['date']}；结束时负载（1/5/15 分钟）{machine['load']}。",
        "",
        *table_lines(scale, rows),
        end,
    ]
    text = output.read_text(encoding="utf-8") if output.exists() else HEADER
    if begin in text and end in text:
        text = text[:text.index(begin)] + "\n".join(section) + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(section) + "\n"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")


HEADER = """# Benchmarks

Written by `make benchmark SCALE=county|province` (`benchmarks/bench.py`); see the end of this file for how to read it.
"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="county")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--db", help="targetflow's benchmark database (default <DATABASE_URL's name>_bench_<scale>)")
    parser.add_argument("--anchor-db", help="the anchor's database (default <db>_anchor)")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/targetflow")
    db = args.db or f"{urlsplit(base).path.lstrip('/') or 'targetflow'}_bench_{scale.name}"
    anchor_db = args.anchor_db or f"{db}_anchor"
    started = time.monotonic()
    # stopped with SIGTERM (or SIGINT in the background, where the shell ignores it): stop the servers and the worker
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    run(scale, args.rounds or scale.rounds, base, db, anchor_db, args.output,
        log=lambda msg: print(f"[{time.monotonic() - started:7.1f}s] {msg}", flush=True))


if __name__ == "__main__":
    main()
