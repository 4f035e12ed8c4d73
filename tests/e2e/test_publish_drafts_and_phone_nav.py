"""At desktop width and at 390 px: finance's 批量通过 says 通过并公开 with the count and the total; the editor warns
before unsaved edits are lost and offers them back; after a return the 修改说明 is at the top and a refused save goes
to the first field marked red; the menu keeps 通知 and its unread badge on screen on every page; the public pages show
公开日期 and, on a phone, 单位, 项目编码, 预算数 and the spending plan.

Screenshots: tests/artifacts/screenshots/test_<name>_<desktop|phone>_-<step>.png.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications.models import Channel, Kind, Notification
from notifications.selectors import unread_count
from people import roles
from people.roles import Role
from people.services import role_grant
from projects.models import Agency, TargetSheet
from sheets import services as sheet_services
from tests.e2e.conftest import DESKTOP, SCREENSHOTS, _close, _open_page, _test_name, sign_in
from workflow import flow, services
from workflow.steps import CHAIN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DRAFT_KEYS = "Object.keys(localStorage).filter((key) => key.startsWith('targetflow.draft.'))"


@pytest.fixture(params=["desktop", "phone"])
def screen(request):
    """The same walk on a desktop window and on a 390 px phone."""
    return request.getfixturevalue("page" if request.param == "desktop" else "phone")


def on_screen(page, locator):
    """The element is inside the viewport and nothing covers its centre (a sticky bar, a dialog's backdrop)."""
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None, locator
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"] + 0.5 and box["y"] + box["height"] <= size["height"] + 0.5, (box, size)
    hit = locator.evaluate(
        "(el, [x, y]) => { const top = document.elementFromPoint(x, y); return !!top && (el === top || el.contains(top)); }",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit, f"{locator} is covered"


@pytest.fixture
def view_shot(request, shot):
    """Like ``shot`` but of the screen as the user sees it (scrolled), not the whole page."""

    def take(page, step: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{_test_name(request.node)}-{step}-screen.png"))

    return take


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def clean_sheets(count):
    sheets = [s for s in TargetSheet.objects.filter(fiscal_year__year=2024).order_by("position") if not any(f.is_error for f in s.findings())]
    assert len(sheets) >= count
    return sheets[:count]


def bring(sheet, state):
    """Through the real services up to ``state`` (each step by the first holder of its role)."""
    services.document_submit(document=sheet, user=flow.holders(Role.STAFF, sheet)[0])
    for step in CHAIN.steps:
        if sheet.state == state:
            break
        services.document_approve(document=sheet, user=flow.holders(step.role, sheet)[0])
    sheet.refresh_from_db()
    assert sheet.state == state
    return sheet


def editor_url(live_server, sheet):
    return f"{live_server.url}/sheets/{sheet.pk}/edit/"


# ---------------------------------------------------------------------------------------------- 12 批量通过并公开

def test_finance_batch_says_publish_with_count_and_total(screen, live_server, shot):
    sheets = [bring(s, "finance_review") for s in clean_sheets(3)]
    total = sum(s.budget_total for s in sheets)
    page = screen
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    sign_in(page, live_server, "finance")

    button = page.get_by_test_id("batch-approve")
    expect(button).to_have_text("批量通过并公开")
    expect(button).to_be_disabled()  # nothing ticked yet
    page.get_by_test_id("batch-all").check()
    expect(button).to_have_text(f"批量通过并公开（3 张，预算合计 {total} 万元）")
    button.scroll_into_view_if_needed()
    on_screen(page, button)
    no_sideways_scroll(page)
    shot(page, "01-ticked")

    with page.expect_navigation():
        button.click()
    expect(page.get_by_test_id("batch-confirm-title")).to_have_text(f"通过并公开 3 张表，预算合计 {total} 万元")
    expect(page.get_by_test_id("batch-confirm-row")).to_have_count(3)
    expect(page.get_by_test_id("batch-confirm-warning")).to_contain_text("立即在公开页面向社会公开")
    confirm = page.get_by_test_id("batch-confirm")
    expect(confirm).to_have_text(f"确认通过并公开（3 张，预算合计 {total} 万元）")
    no_sideways_scroll(page)
    shot(page, "02-confirm")
    assert {s.state for s in TargetSheet.objects.filter(pk__in=[s.pk for s in sheets])} == {"finance_review"}

    with page.expect_navigation():
        confirm.click()
    expect(page.locator(".messages")).to_contain_text(f"已通过并公开 3 张绩效目标表，预算合计 {total} 万元")
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    shot(page, "03-published")
    assert asked == []  # the confirmation is the page, not a second dialog
    assert {s.state for s in TargetSheet.objects.filter(pk__in=[s.pk for s in sheets])} == {"published"}


def test_finance_batch_publishes_through_the_confirmation_page_without_javascript(browser, live_server, request, shot):
    sheets = [bring(s, "finance_review") for s in clean_sheets(2)]
    total = sum(s.budget_total for s in sheets)
    context, page = _open_page(request, browser, viewport=DESKTOP, java_script_enabled=False)
    try:
        sign_in(page, live_server, "finance")
        expect(page.get_by_test_id("batch-approve")).to_have_text("批量通过并公开")
        for pick in page.get_by_test_id("batch-pick").all():
            pick.check()
        page.get_by_test_id("batch-approve").click()
        expect(page.get_by_test_id("batch-confirm-title")).to_have_text(f"通过并公开 2 张表，预算合计 {total} 万元")
        shot(page, "confirm")
        page.get_by_test_id("batch-confirm").click()
        expect(page.locator(".messages")).to_contain_text(f"已通过并公开 2 张绩效目标表，预算合计 {total} 万元")
    finally:
        _close(request, context, page)
    assert {s.state for s in TargetSheet.objects.filter(pk__in=[s.pk for s in sheets])} == {"published"}


# ---------------------------------------------------------------------------------------------- 13 unsaved edits

def test_unsaved_edits_warn_before_leaving_and_come_back_as_a_draft(screen, live_server, shot, view_shot):
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    page = screen
    sign_in(page, live_server, "staff_ggzy")
    page.goto(editor_url(live_server, sheet))
    purpose = page.locator("textarea[name='sheet-purpose']")
    purpose.click()
    purpose.fill("未保存的资金用途")

    # 取消 and the menu ask in the page; 继续编辑 stays with the input
    dialog = page.get_by_test_id("leave-dialog")
    page.get_by_role("link", name="取消").click()
    expect(dialog).to_be_visible()
    on_screen(page, page.get_by_test_id("leave-go"))
    on_screen(page, page.get_by_test_id("leave-stay"))
    view_shot(page, "01-leave-dialog")
    page.get_by_test_id("leave-stay").click()
    expect(dialog).to_be_hidden()
    page.locator(".nav a[href='/tasks/']").click()
    expect(dialog).to_be_visible()
    page.get_by_test_id("leave-stay").click()
    expect(purpose).to_have_value("未保存的资金用途")
    assert page.url == editor_url(live_server, sheet)

    # reloading (or closing) gets the browser's own warning; the input is kept in this browser
    warned = []
    page.on("dialog", lambda d: (warned.append(d.type), d.accept()))
    page.reload()
    assert warned == ["beforeunload"]
    offer = page.get_by_test_id("draft-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("有一份未保存的修改")
    expect(purpose).to_have_value(sheet.purpose)  # offered, never put back silently
    on_screen(page, page.get_by_test_id("draft-restore"))
    shot(page, "02-draft-offered")

    with page.expect_navigation():
        page.get_by_test_id("draft-restore").click()
    expect(page.get_by_test_id("draft-restored")).to_be_visible()
    expect(purpose).to_have_value("未保存的资金用途")
    assert TargetSheet.objects.get(pk=sheet.pk).purpose == sheet.purpose  # shown again, not saved
    shot(page, "03-draft-restored")

    # 保存 goes without a warning and clears the draft
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已保存。")
    assert warned == ["beforeunload"]
    assert TargetSheet.objects.get(pk=sheet.pk).purpose == "未保存的资金用途"
    assert page.evaluate(DRAFT_KEYS) == []
    page.goto(editor_url(live_server, sheet))
    expect(purpose).to_have_value("未保存的资金用途")
    expect(offer).to_be_hidden()

    # 丢弃: the draft is gone and the saved content stays
    purpose.click()
    purpose.fill("又一次未保存的用途")
    page.reload()
    assert warned == ["beforeunload", "beforeunload"]
    expect(offer).to_be_visible()
    page.get_by_test_id("draft-discard").click()
    expect(offer).to_be_hidden()
    assert page.evaluate(DRAFT_KEYS) == []
    expect(purpose).to_have_value("未保存的资金用途")
    page.get_by_role("link", name="取消").click()  # nothing unsaved: no question
    expect(page).to_have_url(re.compile(rf"/sheets/{sheet.pk}/$"))
    assert warned == ["beforeunload", "beforeunload"]


def test_a_draft_made_before_someone_else_saved_is_shown_against_the_new_version(page, live_server, shot):
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    staff = flow.holders(Role.STAFF, sheet)[0]
    sign_in(page, live_server, "staff_ggzy")
    page.goto(editor_url(live_server, sheet))
    purpose = page.locator("textarea[name='sheet-purpose']")
    purpose.click()
    purpose.fill("我在本机的用途")
    drafted_on = sheet.version

    sheet_services.sheet_edit(sheet=sheet, user=staff, expected_version=drafted_on, purpose="另一个窗口保存的用途")
    warned = []
    page.on("dialog", lambda d: (warned.append(d.type), d.accept()))
    page.goto(f"{live_server.url}/tasks/")  # leaving keeps the input in this browser
    assert warned == ["beforeunload"]
    assert page.evaluate(DRAFT_KEYS) == [f"targetflow.draft.{sheet.pk}.{drafted_on}"]
    page.goto(editor_url(live_server, sheet))
    offer = page.get_by_test_id("draft-offer")
    expect(offer).to_contain_text(f"它是在版本 {drafted_on} 上做的，此后这张表已被修改（当前版本 {drafted_on + 1}）")
    expect(purpose).to_have_value("另一个窗口保存的用途")
    with page.expect_navigation():
        page.get_by_test_id("draft-restore").click()
    moved = page.get_by_test_id("draft-moved")
    expect(moved).to_contain_text("资金用途：另一个窗口保存的用途 → 我在本机的用途")
    expect(purpose).to_have_value("我在本机的用途")
    expect(page.locator("input[name=version]")).to_have_value(str(drafted_on + 1))
    shot(page, "draft-moved")
    assert TargetSheet.objects.get(pk=sheet.pk).purpose == "另一个窗口保存的用途"


# ---------------------------------------------------------------------------------------------- 14 修改说明 after a return

def test_after_a_return_the_note_is_at_the_top_and_a_refused_save_goes_to_the_first_error(screen, live_server, shot, view_shot):
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    services.document_submit(document=sheet, user=flow.holders(Role.STAFF, sheet)[0])
    services.document_return(document=sheet, user=flow.holders(Role.SECTION_HEAD, sheet)[0], comment="请细化成本指标")
    page = screen
    sign_in(page, live_server, "staff_ggzy")
    page.goto(editor_url(live_server, sheet))

    note = page.locator("textarea[name='note-comment']")
    expect(page.get_by_test_id("return-comment")).to_contain_text("请细化成本指标")
    on_screen(page, note)  # next to the 退回意见, without scrolling
    findings = page.get_by_test_id("live-findings")
    expect(findings).to_contain_text("未填写修改说明")
    expect(findings).not_to_contain_text("未发现问题")
    view_shot(page, "01-returned")

    with page.expect_navigation():
        page.get_by_test_id("save-submit").click()
    expect(page.get_by_test_id("input-errors")).to_contain_text("请修正标红的内容")
    expect(note).to_be_focused()
    on_screen(page, note)
    expect(findings).to_contain_text("未填写修改说明")
    view_shot(page, "02-note-missing")

    # a note, and an error far down the page: the page goes there and puts the cursor in it
    note.fill("已细化成本指标")
    expect(findings).not_to_contain_text("未填写修改说明")
    basis = page.get_by_test_id("indicator-row").last.locator("textarea[name$='-basis']")
    basis.fill("依据\u0007")  # a control character: refused by the form
    with page.expect_navigation():
        page.get_by_test_id("save-submit").click()
    expect(page.get_by_test_id("input-errors")).to_contain_text("请修正标红的内容")
    expect(basis).to_be_focused()
    on_screen(page, basis)
    expect(findings).to_contain_text("有 1 处输入不符合要求")  # never 未发现问题 beside a field marked red
    assert page.evaluate("window.scrollY") > 0
    expect(note).to_have_value("已细化成本指标")
    view_shot(page, "03-first-error")
    shot(page, "04-whole-page")
    sheet.refresh_from_db()
    assert sheet.state == "returned"


# ---------------------------------------------------------------------------------------------- 16 menu and public pages

def test_the_menu_keeps_notifications_and_its_badge_on_screen_on_every_page(screen, live_server, shot):
    draft, published = clean_sheets(2)
    bring(published, "published")
    staff = flow.holders(Role.STAFF, draft)[0]
    role_grant(user=staff, role=roles.AGENCY_ADMIN, scope=Agency.objects.get(code="483001"))  # the longest menu
    Notification.objects.bulk_create([
        Notification(recipient=staff, channel=Channel.IN_APP, kind=Kind.NUDGE, title=f"提醒 {n}", body="请处理。", dedupe_key=f"nav-test:{n}")
        for n in range(12)
    ])
    unread = str(unread_count(staff))  # the twelve and what the publication sent
    page = screen
    sign_in(page, live_server, staff.username)
    pages = {
        "inbox": "/tasks/", "list": "/sheets/", "detail": f"/sheets/{draft.pk}/", "editor": f"/sheets/{draft.pk}/edit/",
        "public": "/public/", "public-detail": f"/public/sheets/{published.pk}/", "people": "/people/",
        "library": "/library/", "notifications": "/notifications/",
    }
    for step, (name, path) in enumerate(pages.items(), start=1):
        page.goto(f"{live_server.url}{path}")
        link = page.locator(".nav a[href='/notifications/']")
        badge = page.get_by_test_id("unread-count")
        expect(badge).to_have_text(unread)
        on_screen(page, link)
        on_screen(page, badge)
        on_screen(page, page.locator(".nav a[href='/tasks/']"))
        no_sideways_scroll(page)
        shot(page, f"{step:02d}-{name}")


def test_public_pages_show_the_publication_date_and_on_a_phone_the_facts(screen, live_server, shot):
    [sheet] = clean_sheets(1)
    bring(sheet, "published")
    today = timezone.localdate().isoformat()
    page = screen
    page.goto(f"{live_server.url}/public/")
    row = page.get_by_test_id("public-list").locator("tbody tr").filter(has_text=sheet.display_title)
    expect(row.get_by_test_id("published-on")).to_have_text(today)
    on_screen(page, row.get_by_test_id("published-on"))
    no_sideways_scroll(page)
    shot(page, "01-list")

    row.get_by_role("link", name=sheet.display_title).click()
    expect(page.get_by_test_id("published-on")).to_have_text(today)
    facts = page.get_by_test_id("public-summary") if page.viewport_size["width"] <= 640 else page.get_by_test_id("sheet-table")
    expect(facts).to_be_visible()
    for text in (sheet.agency.name, sheet.project.code, str(sheet.budget_total)):
        expect(facts).to_contain_text(text)
    for point in sheet.plan.select_related("checkpoint"):
        expect(facts).to_contain_text(point.checkpoint.label)
    if page.viewport_size["width"] <= 640:
        on_screen(page, facts.locator("dt", has_text="项目编码"))
        expect(page.get_by_test_id("sheet-table")).to_be_hidden()
    no_sideways_scroll(page)
    shot(page, "02-detail")
