"""End-to-end fixtures: Debian's headless Chromium (never a downloaded browser) against pytest-django's live server.

Every e2e test is transactional (the live server runs in another thread and must see the
test's data), so it starts by loading the demo (``tests.conftest._seed_demo``, idempotent)
and the flush at its end wipes it; the teardown hook below loads it again so tests that run
later in the same session still find the session-level demo data.

Screenshots go to ``tests/artifacts/screenshots/<test name>-<step>.png`` (git-ignored): one
per step through the ``shot`` fixture, and ``<test name>-failed-<n>.png`` for every open page
when a test fails.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run beside one otherwise.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 900}
PASSWORD = "demo"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
TIMEOUT_MS = 10_000

_pages_key = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (never download a browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def e2e_demo(request):
    """The demo data, loaded inside the e2e test's own (transactional) database access."""
    if request.node.get_closest_marker("e2e") is None:
        return
    from tests.conftest import _seed_demo

    request.getfixturevalue("transactional_db")
    _seed_demo()
    _demo_goals_published()


def _demo_goals_published() -> None:
    """The demo's department goals (部门整体绩效目标, on the approval engine) submitted by the agency's leader and
    published by finance, so that the sheets are all that wait in 待办, as these walks expect."""
    from django.contrib.auth import get_user_model

    from projects.models import DepartmentGoals
    from workflow.services import document_approve, document_submit

    users = get_user_model().objects.in_bulk(["leader", "finance"], field_name="username")
    for goals in DepartmentGoals.objects.filter(state="draft", agency__code="483001"):
        document_submit(document=goals, user=users["leader"])
        document_approve(document=goals, user=users["finance"])


def _open_page(request, browser, **options):
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    request.node.stash.setdefault(_pages_key, []).append(page)
    return context, page


def _close(request, context, page):
    errors = list(page.js_errors)
    context.close()
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if errors and not failed:
        pytest.fail("JavaScript errors on the page: " + "; ".join(errors), pytrace=False)


@pytest.fixture
def page(request, browser, live_server):
    """A fresh browser context (no cookies) on a desktop-sized window."""
    context, page = _open_page(request, browser, viewport=DESKTOP)
    yield page
    _close(request, context, page)


@pytest.fixture
def phone(request, browser, live_server):
    """A fresh browser context the size of a phone (WeCom's in-app browser)."""
    context, page = _open_page(
        request, browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
    )
    yield page
    _close(request, context, page)


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)


def _test_name(node) -> str:
    return _safe(node.name)


def screenshot(page, name: str, step: str) -> Path:
    """Write a full-page PNG ``tests/artifacts/screenshots/<name>-<step>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{_safe(step)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shot(request):
    """``shot(page, "03-edit")`` → a screenshot named after the running test and the step."""
    name = _test_name(request.node)
    for old in SCREENSHOTS.glob(f"{name}-*.png"):
        old.unlink()

    def take(page, step: str) -> Path:
        return screenshot(page, name, step)

    return take


def sign_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form; lands on 待办."""
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".who")).to_contain_text(f"（{username}）")


def sign_out(page) -> None:
    from playwright.sync_api import expect

    page.locator(".who").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login/"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, and screenshot every open page when a test fails."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
    if report.failed and report.when == "call":
        for n, page in enumerate(item.stash.get(_pages_key, []), start=1):
            try:
                if not page.is_closed():
                    path = screenshot(page, _test_name(item), f"failed-{n}")
                    report.sections.append(("screenshot", str(path)))
            except Exception as error:  # a crashed browser must not hide the real failure
                report.sections.append(("screenshot", f"not taken: {error}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After an e2e test's flush, load the demo again for whatever runs next in this session."""
    yield
    if item.get_closest_marker("e2e") is None or nextitem is None:
        return  # after the last test the test database is already gone
    from pytest_django.plugin import blocking_manager_key

    from tests.conftest import _seed_demo

    with item.config.stash[blocking_manager_key].unblock():
        _seed_demo()
