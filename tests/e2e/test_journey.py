"""The whole approval journey of sheet 3 (公共资源交易中心经费) in a real browser, as the people of seed_demo."""

import re

import pytest
from playwright.sync_api import expect

from projects.models import TargetSheet
from tests.e2e.conftest import sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "公共资源交易中心经费"


def state(page):
    return page.get_by_test_id("sheet-state")


def row_named(page, name):
    """The editor row whose 三级指标 input holds ``name``."""
    return page.get_by_test_id("indicator-row").filter(has=page.locator(f"textarea[name$='-name']:text-is('{name}')"))


def live_findings(page):
    return page.get_by_test_id("live-findings")


def open_from_inbox(page, live_server, section_title):
    page.get_by_role("link", name="待办").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("待办")
    expect(page.get_by_role("heading", name=section_title)).to_be_visible()
    page.get_by_role("link", name=TITLE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


def act(page, button):
    """Press a form button and return the page it lands on, which must be a real page (not 404 / 500)."""
    with page.expect_navigation() as landing:
        button.click()
    response = landing.value
    assert response.status == 200, f"{button} landed on {response.url} with HTTP {response.status}"
    return response


def review(page, live_server, shot, step, username, *, before, after, button="通过", message="已通过，转下一步审核。"):
    sign_in(page, live_server, username)
    open_from_inbox(page, live_server, "待我审核（1）")
    expect(state(page)).to_have_text(before)
    panel = page.get_by_test_id("review-panel")
    expect(panel.get_by_test_id("approve")).to_have_text(button)
    shot(page, f"{step}-{username}-review")
    asked = []
    if button == "通过并公开":  # publishing asks first; the test answers 确定
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    sheet_url = page.url
    act(page, panel.get_by_test_id("approve"))
    if button == "通过并公开":
        assert asked == ["通过后这张表将立即公开，确定吗？"]
    expect(page.locator(".messages")).to_contain_text(message)
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()  # a decision goes on to the next task: none left
    page.goto(sheet_url)
    expect(state(page)).to_have_text(after)
    expect(page.get_by_test_id("review-panel")).to_have_count(0)
    sign_out(page)


def test_staff_to_published_with_one_return(page, live_server, shot):
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    assert sheet.display_title == TITLE

    # 经办人 edits the draft: a changed value, a row added, moved and removed, the live 体检 following along.
    sign_in(page, live_server, "staff_ggzy")
    expect(page.get_by_test_id("draft").filter(has_text=TITLE)).to_contain_text("草稿")
    shot(page, "01-staff-inbox")
    open_from_inbox(page, live_server, "待我编制或修改（4）")
    expect(state(page)).to_have_text("草稿")
    page.get_by_role("link", name="编辑", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"编辑：{TITLE}")
    rows = page.get_by_test_id("indicator-row")
    expect(rows).to_have_count(6)
    expect(live_findings(page)).to_contain_text("未发现问题。")

    quantity = row_named(page, "县内招投标数量").locator("textarea[name$='-target_value']")
    expect(quantity).to_have_value("≥150件")
    quantity.fill("≥160件")

    rate = row_named(page, "招投标办结率").locator("textarea[name$='-target_value']")
    rate.fill("")
    expect(live_findings(page)).to_contain_text("错误：指标“招投标办结率”的指标值未填写。")
    shot(page, "02-staff-blank-value")
    rate.fill("≥98%")
    expect(live_findings(page)).not_to_contain_text("招投标办结率")
    expect(live_findings(page)).to_contain_text("未发现问题。")

    # ＋添加指标 inside 效益指标 · 社会效益指标: the row lands in its group, above the 满意度 row
    page.locator("tbody[data-subcategory='社会效益指标']").get_by_test_id("add-row").click()
    expect(rows).to_have_count(7)
    new = rows.nth(5)
    expect(live_findings(page)).to_contain_text("第 6 行缺少三级指标。")
    new.locator("textarea[name$='-name']").fill("交易信息公开率")
    new.locator("textarea[name$='-target_value']").fill("100%")
    expect(live_findings(page)).to_contain_text("未发现问题。")
    expect(rows.nth(5).locator("textarea[name$='-name']")).to_have_value("交易信息公开率")
    expect(rows.nth(6).locator("textarea[name$='-name']")).to_have_value("服务对象满意度")

    page.locator("tbody[data-subcategory='服务对象满意度指标']").get_by_test_id("add-row").click()
    expect(rows).to_have_count(8)
    expect(live_findings(page)).to_contain_text("第 8 行缺少三级指标。")
    rows.nth(7).get_by_role("button", name="删除").click()
    expect(rows.nth(7)).to_be_hidden()
    expect(live_findings(page)).to_contain_text("未发现问题。")
    shot(page, "03-staff-edited")

    act(page, page.get_by_role("button", name="保存并提交审核"))
    expect(page.locator(".messages")).to_contain_text("已提交科室审核。")
    expect(state(page)).to_have_text("科室审核")
    table = page.get_by_test_id("indicator-table")
    expect(table).to_contain_text("≥160件")
    expect(table.locator("tbody tr").nth(5)).to_contain_text("交易信息公开率")
    expect(table.locator("tbody tr")).to_have_count(7)
    shot(page, "04-staff-submitted")
    sign_out(page)

    # 科室负责人 and 局领导 approve; 财政 returns with a comment.
    review(page, live_server, shot, "05", "head_ggzy", before="科室审核", after="局领导审批")
    review(page, live_server, shot, "06", "leader", before="局领导审批", after="财政审核")

    sign_in(page, live_server, "finance")
    open_from_inbox(page, live_server, "待我审核（1）")
    expect(state(page)).to_have_text("财政审核")
    panel = page.get_by_test_id("review-panel")
    expect(panel.locator("textarea:visible")).to_have_count(0)  # the comment box opens with 退回
    panel.get_by_test_id("open-return").click()
    panel.locator("form[action$='/return/'] textarea[name=comment]").fill("成本指标请细化")
    # the chain again (the default for the last step is straight back to finance: tests/e2e/test_return_straight_back.py)
    panel.locator("form[action$='/return/'] input[name=resume][value=start]").check()
    shot(page, "07-finance-return")
    # Finance no longer sees a returned sheet; wherever it lands, it must be a real page confirming the return.
    act(page, panel.get_by_test_id("return"))
    expect(page.locator(".messages")).to_contain_text("已退回修改。")
    sign_out(page)

    # 经办人 sees the comment at the top of the sheet, revises and resubmits.
    sign_in(page, live_server, "staff_ggzy")
    expect(page.get_by_test_id("draft").filter(has_text=TITLE)).to_contain_text("退回修改")
    open_from_inbox(page, live_server, "待我编制或修改（4）")
    expect(state(page)).to_have_text("退回修改")
    comment = page.get_by_test_id("return-comment")
    expect(comment).to_contain_text("退回修改意见")
    expect(comment).to_contain_text("成本指标请细化")
    expect(comment).to_contain_text("陈明")  # the finance reviewer, by name
    assert comment.bounding_box()["y"] < page.get_by_test_id("sheet-table").bounding_box()["y"]
    assert comment.bounding_box()["y"] < page.viewport_size["height"], "the return comment is not visible without scrolling"
    shot(page, "08-staff-returned")
    page.get_by_role("link", name="编辑", exact=True).click()
    cost = row_named(page, "经费预算控制数")
    expect(page.get_by_test_id("return-comment")).to_contain_text("成本指标请细化")  # pinned above the editor
    expect(cost.locator("textarea[name$='-target_value']")).to_have_value("≤10万元")
    cost.locator("textarea[name$='-target_value']").fill("≤9.5万元")
    cost.locator("textarea[name$='-description']").fill("交易场地运行、系统运维及办公支出合计")
    expect(live_findings(page)).to_contain_text("未填写修改说明")  # 修改说明, required on resubmission
    page.locator("textarea[name='note-comment']").fill("已细化成本指标")
    expect(live_findings(page)).to_contain_text("未发现问题。")
    act(page, page.get_by_role("button", name="保存并提交审核"))
    expect(page.locator(".messages")).to_contain_text("已提交科室审核。")
    expect(state(page)).to_have_text("科室审核")
    expect(page.get_by_test_id("return-comment")).to_have_count(0)
    sign_out(page)

    # The whole chain again, ending published.
    review(page, live_server, shot, "09", "head_ggzy", before="科室审核", after="局领导审批")
    review(page, live_server, shot, "10", "leader", before="局领导审批", after="财政审核")
    review(page, live_server, shot, "11", "finance", before="财政审核", after="已公开", button="通过并公开",
           message="已通过，绩效目标表已公开。")

    # Everyone signed in reads it: history timeline and the diff of the resubmission.
    sign_in(page, live_server, "staff_ggzy")
    page.get_by_role("link", name="绩效目标表").click()
    page.get_by_test_id("sheet-list").get_by_role("link", name=TITLE, exact=True).click()
    expect(state(page)).to_have_text("已公开")
    expect(page.get_by_role("link", name="编辑", exact=True)).to_have_count(0)
    events = page.get_by_test_id("history").locator("li.event")
    expect(events.locator("strong")).to_have_text(["提交", "通过", "通过", "退回修改", "提交", "通过", "通过", "公开"])
    expect(events.nth(0)).to_contain_text("王芳")
    expect(events.nth(1)).to_contain_text("李强")
    expect(events.nth(2)).to_contain_text("张建国")
    expect(events.nth(3)).to_contain_text("陈明")
    expect(events.nth(3).locator("blockquote")).to_have_text("成本指标请细化")
    expect(events.nth(7)).to_contain_text("财政审核 → 已公开")
    diffs = page.get_by_test_id("diff")
    expect(diffs).to_have_count(1)  # the first submission has nothing to compare with
    expect(events.nth(4).locator("blockquote")).to_have_text("修改说明：已细化成本指标")
    diff = events.nth(4).get_by_test_id("diff")
    expect(diff).to_contain_text("修改指标 产出指标 / 成本指标 / 经费预算控制数")
    expect(diff).to_contain_text("指标值")
    expect(diff.locator("del", has_text="≤10万元")).to_have_count(1)
    expect(diff.locator("ins", has_text="≤9.5万元")).to_have_count(1)
    expect(diff).not_to_contain_text("≥160件")  # unchanged between the two submissions
    page.get_by_test_id("history").scroll_into_view_if_needed()
    shot(page, "12-published-history")
    sign_out(page)

    # The public page, signed out.
    page.goto(f"{live_server.url}/public/")
    expect(page.get_by_role("heading", level=1)).to_have_text("已公开的项目支出绩效目标")
    public = page.get_by_test_id("public-list")
    expect(public.locator("tbody tr")).to_have_count(1)
    public.get_by_role("link", name=TITLE, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/public/sheets/{sheet.pk}/$"))
    expect(page.get_by_test_id("indicator-table")).to_contain_text("≥160件")
    expect(page.get_by_test_id("indicator-table")).to_contain_text("≤9.5万元")
    shot(page, "13-public")
