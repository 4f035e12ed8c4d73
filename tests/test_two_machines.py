"""Two machines' worth (issue 24, item 6): two app servers, two Celery workers and two beats on one PostgreSQL and one
Redis, each a process of its own started with the compose services' own commands (as tests/test_deploy_smoke.py), on
loopback ports of their own.

* moves (submit and approve through the REST API) alternate between the two app servers, each server's own access
  log shows its share, and a person signed in on one server moves sheets on the other (sessions in Redis and the
  database, ``cached_db``);
* one worker is killed (SIGKILL, its whole process group: a machine going away) while it holds a task; the other
  worker and the outbox sweep finish the work: no move without its notifications (no ``PendingFanOut`` left), every
  outbox row sent, no row twice per recipient, channel and dedupe key, and every e-mail, WeCom and group-robot message
  received — a second copy only for a row the sweep marked interrupted (at least once, as the README says);
* only one beat sends the scheduled tasks while two run, and the other takes over when the first is killed;
* ``/healthz`` of each app server answers 200.

A Redis database of its own (``TARGETFLOW_SCALE_REDIS_URL``, db 9 by default, and ``TARGETFLOW_SCALE_BEAT_REDIS_URL``,
db 10, for the beats' broker that no worker reads) and a PostgreSQL database of its own, dropped afterwards."""

from __future__ import annotations

import collections
import itertools
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from django.conf import settings

from tests.parts import SmtpServer, WeComServer
from tests.support import free_port, wait_for
from tests.test_deploy_smoke import compose_command, get_healthz, own_database, stop

pytestmark = [pytest.mark.worker, pytest.mark.smoke]

ROOT = Path(settings.BASE_DIR)
REDIS_URL = os.environ.get("TARGETFLOW_SCALE_REDIS_URL", "redis://127.0.0.1:6379/9")
BEAT_BROKER_URL = os.environ.get("TARGETFLOW_SCALE_BEAT_REDIS_URL", "redis://127.0.0.1:6379/10")
ROBOT_KEY = "robot-two-machines"
PREPARE = f"""
from django.contrib.auth import get_user_model
from notifications.models import Preference
from projects.models import Section
for user in get_user_model().objects.filter(is_superuser=False):
    Preference.objects.update_or_create(user=user, defaults={{"wecom_userid": user.username + ".wx"}})
Section.objects.update(wecom_robot_key={ROBOT_KEY!r})
print(sorted(get_user_model().objects.filter(is_superuser=False).values_list("username", flat=True)))
"""
# (the sheets' staff and section head) × the agency's leader and finance reviewer of the demo (seed_demo)
SECTIONS = {"staff_ggzy": "head_ggzy", "staff_xy": "head_xy", "staff_zwfw": "head_zwfw"}
PEOPLE = [*SECTIONS, *SECTIONS.values(), "leader", "finance"]
KOMBU_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture(scope="module")
def province():
    """A PostgreSQL database of this module's own, migrated by the compose migrate command and holding the demo
    (every person with an e-mail address and a WeCom id, every section with a group robot); its environment."""
    name = f"{settings.DATABASES['default']['NAME'].removeprefix('test_')}_two_{uuid.uuid4().hex[:6]}"
    run = uuid.uuid4().hex[:10]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST", "TARGETFLOW_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        REDIS_URL=REDIS_URL, CELERY_BROKER_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER="false",
        SECRET_KEY=secrets.token_urlsafe(64), DEBUG="false", ALLOWED_HOSTS="127.0.0.1", EMAIL_HOST="",
        CACHE_KEY_PREFIX=f"two-{run}", HEALTH_REDIS_KEY=f"test:two:{run}:health", BEAT_LOCK_KEY=f"test:two:{run}:beat",
        WECOM_REDIS_PREFIX=f"test:two:{run}:wecom:", LOG_LEVEL="INFO",
    )
    try:
        with own_database(name) as (env["DATABASE_URL"], connect):
            for command in (compose_command("migrate", 0), [sys.executable, "manage.py", "seed_demo", "--year", "2024"],
                            [sys.executable, "manage.py", "shell", "-c", PREPARE]):
                done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
                assert done.returncode == 0, done.stderr[-3000:]
            users = set(json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"')))
            assert set(PEOPLE) <= users
            yield {"env": env, "connect": connect, "users": users}
    finally:
        for url in (REDIS_URL, BEAT_BROKER_URL):
            client = redis.Redis.from_url(url)
            keys = [*KOMBU_KEYS, *client.scan_iter(match="_kombu.binding.*"), *client.scan_iter(match=f"*two*{run}*")]
            client.delete(*keys)
            client.close()


class Processes:
    """Processes of the compose services, each with its log file; stopped (SIGTERM, else SIGKILL) at the end."""

    def __init__(self, tmp_path: Path, env: dict):
        self.tmp_path, self.env, self.running = tmp_path, env, {}

    def start(self, name: str, command: list[str], **env) -> subprocess.Popen:
        log = (self.tmp_path / f"{name}.log").open("w")
        self.running[name] = subprocess.Popen(
            command, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        return self.running[name]

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        """A machine going away: SIGKILL to the whole process group (a worker's pool children included)."""
        process = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def alive_or_fail(self) -> None:
        for name, process in self.running.items():
            assert process.poll() is None, f"{name} 提前退出：\n" + self.log(name)[-3000:]

    def stop_all(self) -> dict[str, int]:
        codes = {}
        for name, process in list(self.running.items()):
            try:
                codes[name] = stop(process, timeout=30)
            except AssertionError:
                codes[name] = -9
        return codes


def _worker(name: str) -> list[str]:
    return [*compose_command("worker", 0), "--hostname", f"{name}@%h"]  # two machines: two node names


class Mover:
    """People signed in once, each on one of the two app servers; every move goes to the next server in turn."""

    def __init__(self, ports: list[int]):
        self.ports, self.sessions, self.turn = ports, {}, itertools.count()
        self.lock = threading.Lock()
        self.moves = []  # (server port, signed in on port, path, status)

    def sign_in(self, username: str, port: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            client.get("/login/")
            answer = client.post("/login/", data={
                "username": username, "password": "demo", "csrfmiddlewaretoken": client.cookies["csrftoken"],
            })
            assert answer.status_code == 302, answer.text[:500]
            self.sessions[username] = (port, dict(client.cookies))

    def request(self, username: str, method: str, path: str, **kwargs) -> httpx.Response:
        with self.lock:
            port = self.ports[next(self.turn) % len(self.ports)]
        signed_in_on, cookies = self.sessions[username]
        headers = {"X-CSRFToken": cookies["csrftoken"], "Referer": f"http://127.0.0.1:{port}/"}
        answer = httpx.request(method, f"http://127.0.0.1:{port}{path}", cookies=cookies, headers=headers, timeout=60, **kwargs)
        if method == "POST":
            with self.lock:
                self.moves.append((port, signed_in_on, path, answer.status_code))
        return answer

    def move(self, username: str, sheet_id: int, action: str) -> None:
        answer = self.request(username, "POST", f"/api/sheets/{sheet_id}/{action}/", json={"comment": ""})
        assert answer.status_code == 200, (username, sheet_id, action, answer.status_code, answer.text[:500])


def _in_hand(log: str) -> set[str]:
    """Tasks a worker took and has not finished, as ``name[id]`` (by its INFO log)."""
    received = set(re.findall(r"Task ([\w.]+\[[0-9a-f-]+\]) received", log))
    finished = set(re.findall(r"Task ([\w.]+\[[0-9a-f-]+\]):? (?:succeeded|retry|raised)", log))
    return received - finished


def test_two_app_servers_and_two_workers_share_the_work_and_lose_nothing_when_a_worker_dies(province, tmp_path):
    smtp = SmtpServer()
    smtp.start()
    wecom = WeComServer(users={f"{u}.wx" for u in province["users"]}, robot_keys={ROBOT_KEY}).start()
    ports = [free_port(), free_port()]
    env = {
        **province["env"], "SITE_URL": f"http://127.0.0.1:{ports[0]}",
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port), "EMAIL_USE_TLS": "false", "EMAIL_TIMEOUT": "5",
        "WECOM_BASE_URL": wecom.base_url, "WECOM_CORP_ID": wecom.corp_id, "WECOM_SECRET": wecom.secret,
        "WECOM_AGENT_ID": str(wecom.agent_id), "WECOM_TIMEOUT": "5",
        # the sweep soon after a worker dies (production: every 5 minutes, rows older than a minute)
        "HEALTH_HEARTBEAT_SECONDS": "2", "HEALTH_WORKER_MAX_AGE_SECONDS": "60", "BEAT_LOCK_SECONDS": "6",
        "NOTIFY_SWEEP_SECONDS": "3", "NOTIFY_SWEEP_GRACE_SECONDS": "5", "NOTIFY_SWEEP_REQUEUE_SECONDS": "10",
        "NOTIFY_SENDING_TIMEOUT_SECONDS": "20", "NOTIFY_RETRY_BASE_SECONDS": "1", "NOTIFY_RETRY_MAX_SECONDS": "4",
    }
    processes = Processes(tmp_path, env)
    try:
        for i, port in enumerate(ports, 1):
            processes.start(f"web{i}", compose_command("web", port))
            processes.start(f"worker{i}", _worker(f"worker{i}"))
            processes.start(f"beat{i}", compose_command("beat", 0))

        def all_healthy():
            processes.alive_or_fail()
            answers = []
            for port in ports:
                try:
                    answers.append(get_healthz(port))
                except (OSError, ValueError):
                    return False  # gunicorn not listening yet
            both_ready = all(" ready." in processes.log(f"worker{i}") for i in (1, 2))
            return both_ready and all(a == (200, {"database": "ok", "redis": "ok", "worker": "ok"}) for a in answers)

        wait_for(all_healthy, timeout=120, interval=0.5)

        mover = Mover(ports)
        for i, username in enumerate(PEOPLE):
            mover.sign_in(username, ports[i % 2])
        drafts = {}
        for staff in SECTIONS:
            answer = mover.request(staff, "GET", "/api/sheets/?state=draft&size=100")
            assert answer.status_code == 200, answer.text[:500]
            drafts[staff] = [row["id"] for row in answer.json()["results"]]
        assert sum(map(len, drafts.values())) >= 6, drafts

        def chain(staff: str, sheet_id: int) -> int:
            answer = mover.request(staff, "POST", f"/api/sheets/{sheet_id}/submit/", json={"comment": ""})
            if answer.status_code != 200:  # the demo's sheet with a checker error: stays a draft
                assert answer.status_code in (400, 409, 422), answer.text[:500]
                return 0
            for reviewer in (SECTIONS[staff], "leader", "finance"):
                mover.move(reviewer, sheet_id, "approve")
            return 4

        # the moves run four sheets at a time; WeCom answers its first sends slowly, so deliveries are in flight, and
        # worker1 is killed while it holds a delivery task
        wecom.delay_next(40, 0.5)
        killed_holding = None
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(chain, staff, pk) for staff, ids in drafts.items() for pk in ids]
            deadline = time.monotonic() + 120
            while killed_holding is None and time.monotonic() < deadline:
                held = _in_hand(processes.log("worker1"))
                if any("deliver" in task for task in held):
                    processes.kill("worker1")
                    killed_holding = held
                else:
                    time.sleep(0.02)  # a log poll, not a wait for an outcome
            moves_made = sum(f.result() for f in futures)
        assert killed_holding, "worker1 从未持有任务"

        # the work settles: no move waiting for its notifications, every outbox row sent
        def settled():
            processes.alive_or_fail()
            with psycopg.connect(**province["connect"]) as conn:
                pending = conn.execute("SELECT count(*) FROM notifications_pendingfanout").fetchone()[0]
                unsent = conn.execute("SELECT count(*) FROM notifications_notification WHERE status <> 'sent'").fetchone()[0]
            return pending == 0 and unsent == 0

        wait_for(settled, timeout=180, interval=1)

        with psycopg.connect(**province["connect"]) as conn:
            events = conn.execute(
                "SELECT id, action FROM workflow_event WHERE action IN ('submit', 'approve', 'publish')"
            ).fetchall()
            rows = conn.execute("""
                SELECT n.id, u.username, n.channel, n.dedupe_key, n.failure_kind, u.email
                FROM notifications_notification n LEFT JOIN auth_user u ON u.id = n.recipient_id""").fetchall()
        # no duplicate row, and every move has its notifications
        per_key = collections.Counter((who, channel, key) for _, who, channel, key, _, _ in rows)
        assert max(per_key.values()) == 1
        assert len(events) == moves_made
        keys = {key for *_, key, _, _ in rows}
        assert {f"event:{pk}" for pk, _ in events} <= keys
        interrupted = {pk for pk, *_, kind, _ in rows if kind == "interrupted"}

        # every message reached its channel; a second copy only for a row interrupted mid-send
        by_channel = collections.defaultdict(collections.Counter)
        for _, who, channel, _, kind, email in rows:
            by_channel[channel][email if channel == "email" else f"{who}.wx" if channel == "wecom" else who] += 1
        mails = collections.Counter(to for mail in smtp.mails for to in mail["to"])
        app = collections.Counter(u for m in wecom.app_messages() for u in m["delivered_to"])
        robot = len(wecom.robot_messages())
        lost = {
            "email": +(by_channel["email"] - mails), "wecom": +(by_channel["wecom"] - app),
            "robot": max(0, by_channel["robot"][None] - robot),
        }
        extra = sum((mails - by_channel["email"]).values()) + sum((app - by_channel["wecom"]).values()) + max(
            0, robot - by_channel["robot"][None])
        assert lost == {"email": collections.Counter(), "wecom": collections.Counter(), "robot": 0}, lost
        assert extra <= len(interrupted), (extra, interrupted)

        # the moves went to both servers, as each server's access log shows; sessions worked across them
        served = {port: sum(1 for p, *_ in mover.moves if p == port) for port in ports}
        logged = {port: len(re.findall(r'"POST /api/sheets/\d+/\w+/ HTTP', processes.log(f"web{i}")))
                  for i, port in enumerate(ports, 1)}
        assert served == logged and min(served.values()) >= moves_made // 2 - 1, (served, logged)
        across = sum(1 for port, signed_in_on, _, status in mover.moves if port != signed_in_on and status == 200)
        assert across >= moves_made // 3

        # one beat sent the scheduled tasks, the other stood by
        sending = {f"beat{i}": processes.log(f"beat{i}").count("Sending due task") for i in (1, 2)}
        assert sorted(min(n, 1) for n in sending.values()) == [0, 1], sending

        for port in ports:
            assert get_healthz(port) == (200, {"database": "ok", "redis": "ok", "worker": "ok"})
        published = sum(1 for _, action in events if action == "publish")
        print(
            f"\n两台机器：{moves_made} 次办理（{published} 张表公开），各服务器 {served}，跨服务器使用会话 {across} 次；"
            f"worker1 被杀时持有 {sorted(t.split('[')[0].rsplit('.', 1)[-1] for t in killed_holding)}；通知 {len(rows)} 条"
            f"（{ {c: sum(v.values()) for c, v in by_channel.items()} }），邮件 {sum(mails.values())} 封，"
            f"企业微信应用消息 {sum(app.values())} 人次，群机器人 {robot} 条；中断后重发 {len(interrupted)} 条，多收 {extra} 条；"
            f"beat 发送 {sending}"
        )
    finally:
        codes = processes.stop_all()
        smtp.stop()
        wecom.stop()
    assert set(codes.values()) == {0}, {n: processes.log(n)[-2000:] for n, c in codes.items() if c}


def test_two_beats_send_each_scheduled_run_once_and_the_second_takes_over(province, tmp_path):
    """Two beats on a broker no worker reads: every task message in the queue comes from one of them (its origin,
    ``gen<pid>@host``) while both run; killed, the other sends from then on."""
    env = {**province["env"], "CELERY_BROKER_URL": BEAT_BROKER_URL, "HEALTH_HEARTBEAT_SECONDS": "1",
           "BEAT_LOCK_SECONDS": "4"}
    broker = redis.Redis.from_url(BEAT_BROKER_URL)
    broker.delete("celery")
    processes = Processes(tmp_path, env)

    def origins() -> list[int]:
        messages = [json.loads(raw) for raw in reversed(broker.lrange("celery", 0, -1))]  # oldest first
        return [int(m["headers"]["origin"].split("@")[0].removeprefix("gen")) for m in messages]

    try:
        beats = {name: processes.start(name, compose_command("beat", 0)) for name in ("beat1", "beat2")}

        def heartbeats(n):
            processes.alive_or_fail()
            return len(origins()) >= n

        wait_for(lambda: heartbeats(8), timeout=90, interval=0.5)
        senders = set(origins())
        assert len(senders) == 1, senders  # both run, one sends
        [leader] = [name for name, process in beats.items() if process.pid in senders]
        [standby] = [name for name in beats if name != leader]
        before = len(origins())
        processes.kill(leader)
        wait_for(lambda: beats[standby].pid in origins()[before:], timeout=60, interval=0.5)
        sent = origins()
        # no message from the standby before the kill, none from the killed leader after the standby's first
        first = sent.index(beats[standby].pid)
        assert first >= before and set(sent[:first]) == {beats[leader].pid} and set(sent[first:]) == {beats[standby].pid}
        print(f"\n两个 beat：{leader} 发送 {first} 条，被杀后 {standby} 接手发送 {len(sent) - first} 条，期间无重复发送者")
    finally:
        codes = processes.stop_all()
        broker.delete("celery")
        broker.close()
    assert set(codes.values()) <= {0}, {n: processes.log(n)[-2000:] for n in codes}
