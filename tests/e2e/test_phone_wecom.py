"""Approving on a phone inside WeCom (390×844, a WeCom user agent): batch 通过 from 待办 in a few taps, the phone
sheet page (summary card, labelled indicator rows, a decision bar), and no page that scrolls sideways for any role.

Screenshots: tests/artifacts/screenshots/phone-*.png. Taps are counted from 待办 (signing in is not counted).
"""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from people.roles import Role
from projects.models import TargetSheet
from tests.e2e.conftest import DESKTOP, SCREENSHOTS, _close, _open_page, screenshot, sign_in
from workflow import flow, services
from workflow.models import Action, Event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WECOM_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "wxwork/4.1.26 MicroMessenger/7.0.1 Language/zh ColorScheme/Light"
)
PHONE = {"width": 390, "height": 844}
SEED = settings.BASE_DIR / "projects" / "fixtures" / "laoting-approval-bureau-targets.docx"


@pytest.fixture
def wecom_phone(request, browser, live_server):
    context, page = _open_page(
        request, browser, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, user_agent=WECOM_UA,
    )
    yield page
    _close(request, context, page)


class Taps:
    """Counts what the person does with a finger: taps on the page and answers to a confirmation."""

    def __init__(self, page):
        self.count = 0
        self.asked = []
        page.on("dialog", self._answer)

    def _answer(self, dialog):
        self.count += 1
        self.asked.append(dialog.message)
        dialog.accept()

    def tap(self, locator):
        self.count += 1
        locator.tap()


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def head_of(sheet):
    return flow.holders(Role.SECTION_HEAD, sheet)[0]


def staff_of(sheet):
    return flow.holders(Role.STAFF, sheet)[0]


def waiting_for_leader(count):
    """``count`` checker-clean demo sheets, submitted and passed by their section heads."""
    sheets = []
    for sheet in TargetSheet.objects.filter(fiscal_year__year=2024).order_by("position"):
        if any(f.is_error for f in sheet.findings()):
            continue
        services.document_submit(document=sheet, user=staff_of(sheet))
        services.document_approve(document=sheet, user=head_of(sheet))
        sheets.append(sheet)
        if len(sheets) == count:
            return sheets
    raise AssertionError("not enough clean sheets in the demo")


def test_leader_clears_seven_sheets_with_batch_approve_in_at_most_four_taps(wecom_phone, live_server):
    sheets = waiting_for_leader(7)
    page = wecom_phone
    sign_in(page, live_server, "leader")
    assert "wxwork" in page.evaluate("navigator.userAgent")
    cards = page.get_by_test_id("task")
    expect(cards).to_have_count(7)
    first = cards.first
    expect(first.get_by_test_id("task-amount")).to_contain_text("万元")
    expect(first.get_by_test_id("task-submitter")).not_to_be_empty()
    expect(first.get_by_test_id("task-waited")).to_contain_text("个工作日")
    assert scroll_width(page) <= 390
    screenshot(page, "phone", "inbox-leader")

    taps = Taps(page)
    taps.tap(page.get_by_test_id("batch-all"))
    expect(page.get_by_test_id("batch-approve")).to_contain_text("7 张")
    screenshot(page, "phone", "inbox-batch-ticked")
    with page.expect_navigation():
        taps.tap(page.get_by_test_id("batch-approve"))
    expect(page.locator(".messages")).to_contain_text("已批量通过 7 张绩效目标表")
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    screenshot(page, "phone", "inbox-batch-done")

    print(f"\nTAPS leader batch 通过 of 7 sheets: {taps.count}")
    assert taps.count <= 4, taps.count
    assert taps.asked and "7 张" in taps.asked[0]
    for sheet in sheets:
        sheet.refresh_from_db()
        assert sheet.state == "finance_review"
    events = Event.objects.filter(sheet__in=sheets, action=Action.APPROVE, actor__username="leader")
    assert events.count() == 7 and len({e.sheet_id for e in events}) == 7


def test_the_phone_sheet_page_leads_with_a_summary_and_decides_from_a_bar(wecom_phone, browser, live_server, request):
    first, second = waiting_for_leader(2)
    services.document_return(document=first, user=flow.holders(Role.LEADER, first)[1], comment="请核实预算数")
    services.document_submit(document=first, user=staff_of(first), comment="已核实预算数")
    services.document_approve(document=first, user=head_of(first))
    page = wecom_phone
    sign_in(page, live_server, "leader")
    taps = Taps(page)
    taps.tap(page.get_by_test_id("task").filter(has_text=first.display_title).locator("a.task-title"))
    expect(page.get_by_test_id("sheet-state")).to_have_text("局领导审批")

    summary = page.get_by_test_id("summary-card")
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text(first.project.name)
    expect(summary).to_contain_text("财政资金")
    expect(summary).to_contain_text("3月底 25%")
    expect(summary.get_by_test_id("summary-checker")).to_have_text("无误")
    expect(summary.get_by_test_id("summary-holder")).to_contain_text("局领导")
    expect(summary.get_by_test_id("summary-returned")).to_contain_text("请核实预算数")
    expect(page.get_by_test_id("sheet-table")).to_be_hidden()
    rows = page.get_by_test_id("indicator-item")
    expect(rows).to_have_count(first.indicators.count())
    for label in ("一级", "二级", "三级", "指标值", "依据"):
        expect(rows.first.locator("dt", has_text=label)).to_be_visible()
    expect(rows.first.get_by_test_id("indicator-value")).to_have_text(first.indicators.order_by("order", "id")[0].target_value)
    expect(page.locator("textarea:visible")).to_have_count(0)  # no comment box until one is needed
    bar = page.get_by_test_id("decision-bar")
    expect(bar).to_be_in_viewport()
    box = bar.bounding_box()
    assert box["y"] + box["height"] <= 844 + 1 and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert scroll_width(page) <= 390
    screenshot(page, "phone", "sheet-summary")
    page.screenshot(path=str(SCREENSHOTS / "phone-sheet-viewport.png"))  # what the leader sees first, bar included

    page.get_by_test_id("open-return").tap()
    sheet_panel = page.get_by_test_id("return-sheet")
    expect(sheet_panel).to_be_visible()
    sheet_panel.locator("[data-phrase]").first.tap()
    expect(sheet_panel.locator("textarea")).not_to_have_value("")
    page.screenshot(path=str(SCREENSHOTS / "phone-sheet-return-sheet.png"))
    sheet_panel.get_by_role("button", name="取消").tap()
    expect(sheet_panel).to_be_hidden()

    with page.expect_navigation():
        taps.tap(page.get_by_test_id("approve"))
    expect(page.locator(".messages")).to_contain_text("已通过，转下一步审核。下一张待办如下。")
    expect(page.get_by_role("heading", level=1)).to_have_text(second.display_title)
    print(f"\nTAPS leader approves one sheet from 待办 on the phone: {taps.count} (then lands on the next one)")
    assert taps.count == 2
    first.refresh_from_db()
    assert first.state == "finance_review"

    # the desktop keeps the official table
    context, desk = _open_page(request, browser, viewport=DESKTOP)
    try:
        sign_in(desk, live_server, "leader")
        desk.goto(f"{live_server.url}/sheets/{second.pk}/")
        expect(desk.get_by_test_id("sheet-table")).to_be_visible()
        expect(desk.get_by_test_id("indicator-table")).to_be_visible()
        expect(desk.get_by_test_id("summary-card")).to_be_hidden()
        expect(desk.get_by_test_id("indicator-rows")).to_be_hidden()
        expect(desk.get_by_test_id("approve")).to_be_visible()
        screenshot(desk, "phone", "desktop-sheet")
    finally:
        _close(request, context, desk)


def _prepare_every_kind_of_page():
    """A published sheet (public pages, spending), one waiting at each step, one returned: every page has rows."""
    sheets = [s for s in TargetSheet.objects.filter(fiscal_year__year=2024).order_by("position") if not any(f.is_error for f in s.findings())]
    ggzy = [s for s in sheets if s.section.name == "公共资源交易中心"]  # staff_ggzy's and head_ggzy's section
    published, at_head, returned = ggzy[:3]
    at_leader, at_finance = [s for s in sheets if s not in ggzy][:2]
    for sheet in (published, at_head, at_leader, at_finance, returned):
        services.document_submit(document=sheet, user=staff_of(sheet), comment="请审核")
    for sheet in (published, at_leader, at_finance):
        services.document_approve(document=sheet, user=head_of(sheet), comment="同意")
    leader = flow.holders(Role.LEADER, published)[0]
    finance = flow.holders(Role.FINANCE_REVIEWER, published)[0]
    for sheet in (published, at_finance):
        services.document_approve(document=sheet, user=leader, comment="同意")
    services.document_approve(document=published, user=finance)
    services.document_return(document=returned, user=head_of(returned), comment="请补充指标值确定依据，并核实资金支出计划与预算数是否一致。")
    return published, at_head, returned


ROLE_PAGES = {
    "staff_ggzy": ["/tasks/", "/tasks/done/", "/sheets/", "{returned}", "{returned}edit/", "{published}spending/", "/goals/",
                   "/goals/483001/2024/", "/import/", "/notifications/", "/notifications/preferences/", "/public/"],
    "head_ggzy": ["/tasks/", "/tasks/done/", "/sheets/", "{at_head}", "{published}", "/notifications/", "/goals/"],
    "leader": ["/tasks/", "/tasks/done/", "/sheets/", "{published}", "{published}spending/", "/agencies/483001/spending/?year=2024",
               "/goals/483001/2024/", "/notifications/"],
    "finance": ["/tasks/", "/tasks/done/", "/sheets/", "{published}", "/agencies/483001/spending/?year=2024", "/notifications/"],
    "unit_admin": ["/tasks/", "/people/", "/people/483001/", "/people/483001/log/", "/sheets/", "/notifications/"],
}


def test_no_page_scrolls_sideways_at_390_px_for_any_role(browser, live_server, request):
    published, at_head, returned = _prepare_every_kind_of_page()
    urls = {"published": f"/sheets/{published.pk}/", "at_head": f"/sheets/{at_head.pk}/", "returned": f"/sheets/{returned.pk}/"}
    wide = []
    for username, paths in ROLE_PAGES.items():
        context, page = _open_page(
            request, browser, viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True, user_agent=WECOM_UA,
        )
        try:
            sign_in(page, live_server, username)
            for path in paths:
                path = path.format(**urls)
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, (username, path, response.status)
                width = scroll_width(page)
                name = re.sub(r"[^\w]+", "-", path.strip("/")) or "home"
                screenshot(page, "phone", f"{username}-{name}")
                if width > 390:
                    wide.append(f"{username} {path}: {width}px")
            if username == "staff_ggzy":  # the import preview
                page.goto(f"{live_server.url}/import/")
                form = page.get_by_test_id("upload-form")
                form.locator("input[type=file]").set_input_files(str(SEED))
                with page.expect_navigation():
                    form.get_by_role("button", name="上传并预览").click()
                expect(page.get_by_role("heading", level=1)).to_have_text("导入预览")
                screenshot(page, "phone", "staff_ggzy-import-preview")
                if scroll_width(page) > 390:
                    wide.append(f"staff_ggzy import preview: {scroll_width(page)}px")
        finally:
            _close(request, context, page)
    # the public pages, signed out
    context, page = _open_page(request, browser, viewport=PHONE, is_mobile=True, has_touch=True, user_agent=WECOM_UA)
    try:
        for path in ("/public/", f"/public/sheets/{published.pk}/", "/login/"):
            page.goto(f"{live_server.url}{path}")
            screenshot(page, "phone", "anonymous-" + (re.sub(r"[^\w]+", "-", path.strip("/")) or "home"))
            if scroll_width(page) > 390:
                wide.append(f"anonymous {path}: {scroll_width(page)}px")
    finally:
        _close(request, context, page)
    assert not wide, "pages that scroll sideways at 390 px:\n" + "\n".join(wide)
