"""Taps for each reviewer's main task at 390×844 in WeCom, approving one sheet after another from 待办.

The same walk runs on any version of the pages (it was measured on the code before the phone work too): on a sheet
with a 通过 button tap it (and answer its confirmation), on 待办 tap the first card, elsewhere tap 待办. Printed as
``TAPS <role>: …`` (run with -s); the asserted figures are the ones after the phone work.
"""

import pytest
from playwright.sync_api import expect

from people.roles import Role
from projects.models import TargetSheet
from tests.e2e.conftest import _close, _open_page, sign_in
from workflow import flow, services
from workflow.steps import CHAIN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WECOM_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.26"


def clean_sheets(count):
    sheets = [s for s in TargetSheet.objects.filter(fiscal_year__year=2024).order_by("position") if not any(f.is_error for f in s.findings())]
    return sheets[:count]


def bring(sheet, state):
    """Through the real services up to ``state`` (each step by the first holder of its role)."""
    services.document_submit(document=sheet, user=flow.holders(Role.STAFF, sheet)[0])
    for step in CHAIN.steps:
        if sheet.state == state:
            return sheet
        services.document_approve(document=sheet, user=flow.holders(step.role, sheet)[0])
    return sheet


def approve_one_by_one(page, live_server, username) -> int:
    taps = {"n": 0}

    def answer(dialog):
        taps["n"] += 1
        dialog.accept()

    page.on("dialog", answer)
    for _ in range(100):
        approve = page.locator("[data-testid=approve]")
        if approve.count() and approve.first.is_visible():
            with page.expect_navigation():
                taps["n"] += 1
                approve.first.tap()
            continue
        cards = page.locator("[data-testid=task] a")
        if "/tasks/" in page.url and cards.count():
            with page.expect_navigation():
                taps["n"] += 1
                cards.first.tap()
            continue
        if "/tasks/" in page.url:
            return taps["n"]
        with page.expect_navigation():
            taps["n"] += 1
            page.locator(".nav a[href='/tasks/']").tap()
    raise AssertionError("the walk did not end")


@pytest.mark.parametrize("username,state,count,most", [
    ("leader", "leader_review", 7, 8),
    ("head_ggzy", "section_review", 2, 3),
    ("finance", "finance_review", 2, 5),
])
def test_taps_to_approve_one_after_another(browser, live_server, request, username, state, count, most):
    sheets = [bring(s, state) for s in clean_sheets(8)]
    if username == "head_ggzy":
        sheets = [s for s in sheets if s.section.name == "公共资源交易中心"]
    waiting = [s.pk for s in sheets][:count]
    TargetSheet.objects.filter(state=state).exclude(pk__in=waiting).update(state="draft")
    context, page = _open_page(
        request, browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=WECOM_UA,
    )
    try:
        sign_in(page, live_server, username)
        taps = approve_one_by_one(page, live_server, username)
        expect(page.locator("[data-testid=task]")).to_have_count(0)
    finally:
        _close(request, context, page)
    print(f"\nTAPS {username}: {count} sheets one by one from 待办: {taps}")
    assert TargetSheet.objects.filter(pk__in=waiting, state=state).count() == 0
    assert taps <= most, taps
