"""Deployment security: the production settings of .env.example pass Django's deployment
checklist and serve HTTPS only; the demo key is refused outside the demo; every inline script
or style in our templates is allowed by the Content-Security-Policy the site sends."""

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
REFUSED = "拒绝启动：生产模式（DEBUG=false）下不能使用演示密钥或 .env.example 中的示例 SECRET_KEY。"
HOST = "targetflow.example.gov.cn"  # ALLOWED_HOSTS of .env.example


def production_env(**overrides) -> dict:
    """.env.example loaded the way scripts/check-deploy.sh loads it (bash `set -a; . file`), on top
    of this process's environment less the test-only flags, with a real random key."""
    dump = subprocess.run(
        ["bash", "-c", "set -a; . ./.env.example; env -0"],
        cwd=BASE_DIR, env=_without_test_flags(os.environ), capture_output=True, check=True,
    ).stdout.decode()
    env = dict(line.split("=", 1) for line in dump.split("\0") if "=" in line)
    env.update(SECRET_KEY=secrets.token_urlsafe(64), DATABASE_URL="sqlite://:memory:", REDIS_URL="")
    env.update(overrides)
    return env


def _without_test_flags(environ) -> dict:
    return {k: v for k, v in environ.items() if k not in ("TARGETFLOW_DEMO", "AXES_ENABLED", "SECRET_KEY", "DEBUG")}


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(BASE_DIR)}
    return subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


# --- the deployment checklist ---------------------------------------------------------------


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    env = _without_test_flags(os.environ)
    env.update(PY=sys.executable, DATABASE_URL=os.environ.get("DATABASE_URL", f"sqlite:///{tmp_path / 'check.sqlite3'}"))

    result = subprocess.run(
        ["bash", "scripts/check-deploy.sh"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "No changes detected" in result.stdout


SERVE = """
import json, django
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

for app in ("auth", "sessions", "axes"):  # what a sign-in needs, not the whole schema
    call_command("migrate", app, verbosity=0)
get_user_model().objects.create_user("zhang_san", password="Lt-预算-2024-correct")
client, host = Client(), {host!r}
plain = client.get("/login/", HTTP_HOST=host)
page = client.get("/login/", HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https")
login = client.post(
    "/login/", {{"username": "zhang_san", "password": "Lt-预算-2024-correct"}},
    HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https",
)
print(json.dumps({{
    "plain": [plain.status_code, plain.get("Location")],
    "page": [page.status_code, dict(page.headers)],
    "csrf_cookie": dict(page.cookies["csrftoken"]),
    "login": login.status_code,
    "session_cookie": dict(login.cookies["sessionid"]),
}}))
"""


def test_production_settings_serve_https_only():
    result = run_python(SERVE.format(host=HOST), production_env())
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout.strip().splitlines()[-1])

    status, location = served["plain"]
    assert status == 301 and location == f"https://{HOST}/login/"

    status, headers = served["page"]
    assert status == 200
    hsts = headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    script_src = csp_directives(headers["Content-Security-Policy"])["script-src"]
    assert "'self'" in script_src and "'unsafe-inline'" not in script_src

    assert served["csrf_cookie"]["secure"] is True
    assert served["login"] == 302
    assert served["session_cookie"]["secure"] is True and served["session_cookie"]["httponly"] is True


# --- the demo key ---------------------------------------------------------------------------


def _placeholder_key() -> str:
    line = next(line for line in (BASE_DIR / ".env.example").read_text().splitlines() if line.startswith("SECRET_KEY="))
    return line.split("=", 1)[1]


@pytest.mark.parametrize("key", [None, "placeholder"], ids=["demo key", ".env.example placeholder"])
def test_production_mode_refuses_a_published_key(key):
    env = _without_test_flags(os.environ)
    env.update(DEBUG="false", DATABASE_URL="sqlite://:memory:")
    if key == "placeholder":
        env["SECRET_KEY"] = _placeholder_key()

    result = run_python("import django; django.setup()", env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert REFUSED in result.stderr


def test_a_manage_py_command_on_the_demo_database_without_the_demo_flag_says_how_in_one_message():
    """The README's `.venv/bin/python manage.py …` on `make run`'s database: refused (the demo key), told plainly."""
    env = {k: v for k, v in _without_test_flags(os.environ).items() if k != "DATABASE_URL"}  # the embedded default

    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=120)

    assert result.returncode == 1
    assert result.stderr.startswith(REFUSED) and "TARGETFLOW_DEMO=1 .venv/bin/python manage.py" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "extra",
    [{"TARGETFLOW_DEMO": "1"}, {"DEBUG": "true"}, {"SECRET_KEY": secrets.token_urlsafe(64)}],
    ids=["demo flag", "debug", "real key"],
)
def test_the_demo_the_debug_server_and_a_real_key_start(extra):
    env = {**_without_test_flags(os.environ), "DEBUG": "false", "DATABASE_URL": "sqlite://:memory:", **extra}

    result = run_python("import django; django.setup(); print('started')", env)

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


# --- Content-Security-Policy against our templates ----------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


class InlineFinder(HTMLParser):
    """Inline code a browser would check against the CSP: <script> without src, <style>, on*= handlers,
    style= attributes, javascript: URLs."""

    JS_TYPES = {"", "text/javascript", "application/javascript", "module"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []  # (kind, text)
        self._open: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if value is None:
                continue
            if name.startswith("on"):
                self.found.append(("script-attr", value))
            elif name == "style":
                self.found.append(("style-attr", value))
            elif name in ("href", "src", "action", "formaction") and value.strip().lower().startswith("javascript:"):
                self.found.append(("javascript-url", value))
        if tag == "style" or (tag == "script" and "src" not in attrs and (attrs.get("type") or "").lower() in self.JS_TYPES):
            self._open = (tag, [])

    def handle_data(self, data):
        if self._open:
            self._open[1].append(data)

    def handle_endtag(self, tag):
        if self._open and self._open[0] == tag:
            self.found.append((f"{tag}-elem", "".join(self._open[1])))
            self._open = None


def our_templates():
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine["DIRS"]]
    dirs += [Path(app.path) / "templates" for app in apps.get_app_configs() if Path(app.path).is_relative_to(BASE_DIR)]
    for directory in dirs:
        if directory.is_dir() and ".venv" not in directory.parts:
            yield from sorted(directory.rglob("*.html"))


def inline_code():
    for path in our_templates():
        finder = InlineFinder()
        finder.feed(path.read_text(encoding="utf-8"))
        for kind, text in finder.found:
            yield path.relative_to(BASE_DIR), kind, text


def allowed(policy: dict[str, list[str]], kind: str, text: str) -> bool:
    family, where = kind.split("-")  # script|style, elem|attr
    sources = policy.get(f"{family}-src-{where}") or policy.get(f"{family}-src") or policy.get("default-src", [])
    if where == "attr" and "'unsafe-hashes'" not in sources:
        return "'unsafe-inline'" in sources
    return csp_hash(text) in sources or ("'unsafe-inline'" in sources and not any(
        s.startswith(("'sha", "'nonce-")) for s in sources
    ))


@pytest.fixture
def policy(client, db):
    return csp_directives(client.get("/login/")["Content-Security-Policy"])


def test_every_inline_script_and_style_in_our_templates_is_allowed_by_the_csp(policy):
    blocked = [
        f"{path}: {kind} {text[:60]!r} — move it to static/ or add {csp_hash(text)} to CONTENT_SECURITY_POLICY"
        for path, kind, text in inline_code()
        if kind != "javascript-url" and not allowed(policy, kind, text)
    ]
    assert not blocked, "\n".join(blocked)


def test_no_template_links_to_javascript_urls_which_the_csp_blocks(policy):
    assert "'unsafe-inline'" not in policy["script-src"]
    links = [f"{path}: {text}" for path, kind, text in inline_code() if kind == "javascript-url"]
    assert not links, "javascript: URLs do nothing under the CSP; use a link or a static script:\n" + "\n".join(links)
