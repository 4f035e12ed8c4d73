"""人员与角色 in a real browser: the agency administrator adds a person, gives and takes away a role, and reads the log."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Bright-lake-2024"


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page itself is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def pick_person(form, typed: str, label: str) -> None:
    """The 授予角色 picker: type, then choose the listed person (the list is searched, never the province)."""
    field = form.get_by_label("人员")
    field.fill(typed)
    option = form.get_by_role("listbox").get_by_role("option", name=label)
    expect(option).to_be_visible()
    option.click()
    expect(field).to_have_value(label)


def person_row(page, username):
    return page.locator(f"[data-testid=person][data-username='{username}']")


def test_agency_admin_adds_a_person_grants_and_takes_away_a_role(page, phone, live_server):
    sign_in(page, live_server, "unit_admin")
    page.get_by_role("link", name="人员与角色").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("人员与角色 · 乐亭县行政审批局本级")
    expect(person_row(page, "staff_ggzy")).to_contain_text("经办人（公共资源交易中心）")
    expect(person_row(page, "finance")).to_contain_text("由系统管理员管理")
    expect(page.get_by_test_id("unstaffed")).to_have_count(0)

    # 新增人员, without a role yet
    add = page.get_by_test_id("add-form")
    add.get_by_label("用户名").fill("staff_new")
    add.get_by_label("姓", exact=True).fill("何")
    add.get_by_label("名", exact=True).fill("晓东")
    add.get_by_label("电子邮箱").fill("staff_new@example.gov.cn")
    add.get_by_label("初始密码", exact=True).fill(PASSWORD)
    add.get_by_label("再次输入初始密码").fill(PASSWORD)
    add.get_by_role("button", name="新增").click()
    expect(page.locator(".messages")).to_contain_text("已新增人员何晓东（staff_new），尚未授予角色。")
    expect(person_row(page, "staff_new")).to_contain_text("未授予角色")

    # 授予角色: 经办人 of 公共资源交易中心
    grant = page.get_by_test_id("grant-form")
    pick_person(grant, "晓东", "何晓东（staff_new）")
    grant.get_by_label("角色", exact=True).select_option(label="经办人（公共资源交易中心）")
    grant.get_by_label("说明（可选）").fill("新入职")
    grant.get_by_role("button", name="授予").click()
    expect(page.locator(".messages")).to_contain_text("已授予何晓东“经办人”（公共资源交易中心）。")
    expect(person_row(page, "staff_new")).to_contain_text("经办人（公共资源交易中心）")
    assert page.js_errors == []
    screenshot(page, "people", "desktop")

    # …and on a phone: labelled cards, no sideways scrolling
    sign_in(phone, live_server, "unit_admin")
    phone.goto(f"{live_server.url}/people/483001/")
    assert phone.evaluate("window.innerWidth") == 390
    row = person_row(phone, "staff_new")
    expect(row.locator("td[data-label=角色]")).to_contain_text("经办人（公共资源交易中心）")
    assert phone.evaluate("getComputedStyle(document.querySelector('[data-testid=people-table] thead')).display") == "none"
    # each cell carries its column's name, drawn by the stylesheet (so it is not in the text)
    label = phone.evaluate("getComputedStyle(document.querySelector('[data-testid=person] td[data-label=用户名]'), '::before').content")
    assert label == '"用户名："', label
    assert horizontal_overflow(phone) <= 0, "the people page scrolls sideways on a phone"
    screenshot(phone, "people", "phone")

    # the log shows the grant: who, when, what
    page.get_by_test_id("log-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("人员与角色变更记录")
    newest = page.get_by_test_id("change").first
    expect(newest).to_contain_text("郑丽")
    expect(newest).to_contain_text("授予角色")
    expect(newest).to_contain_text("何晓东")
    expect(newest).to_contain_text("经办人")
    expect(newest).to_contain_text("公共资源交易中心")
    expect(newest).to_contain_text("新入职")
    expect(newest.locator("td[data-label=时间]")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))
    screenshot(page, "people", "log-desktop")

    # take it away: 撤销 asks on a confirmation page, whose button revokes
    page.go_back()
    person_row(page, "staff_new").get_by_role("button", name="撤销何晓东的经办人（公共资源交易中心）").click()
    confirm = page.get_by_test_id("revoke-confirm")
    expect(confirm).to_contain_text("确定撤销何晓东（staff_new）的“经办人”角色（公共资源交易中心）吗？")
    expect(confirm).to_contain_text("转办给此人的“经办人”待办将退回给其他经办人办理。")
    expect(page.get_by_test_id("revoke-warning")).to_have_count(0)  # 经办人: no review step left without anyone
    confirm.get_by_role("button", name="确认撤销").click()
    expect(page.locator(".messages")).to_contain_text("已撤销何晓东的“经办人”角色（公共资源交易中心）。没有转办给此人的待办需要退回。")
    expect(person_row(page, "staff_new")).to_contain_text("未授予角色")

    page.get_by_test_id("log-link").click()
    expect(page.get_by_test_id("change").first).to_contain_text("撤销角色")
    expect(page.get_by_test_id("change").nth(1)).to_contain_text("授予角色")


def test_revoking_the_last_section_head_warns_and_the_person_stays_listed(page, phone, live_server, shot):
    sign_in(page, live_server, "unit_admin")
    page.goto(f"{live_server.url}/people/483001/")
    person_row(page, "head_ggzy").get_by_role("button", name="撤销李强的科室负责人（公共资源交易中心）").click()

    # the confirmation says the section is left without a 科室负责人, and that he stays listed
    warning = page.get_by_test_id("revoke-warning")
    expect(warning).to_contain_text("撤销后，科室“公共资源交易中心”将没有科室负责人：该科室提交的绩效目标表在“科室审核”无人可以办理。")
    expect(page.get_by_test_id("last-role")).to_contain_text("撤销后此人仍列在“人员与角色”中")
    shot(page, "01-warning-desktop")
    sign_in(phone, live_server, "unit_admin")
    phone.goto(page.url)
    expect(phone.get_by_test_id("revoke-warning")).to_contain_text("将没有科室负责人")
    assert horizontal_overflow(phone) <= 0, "the confirmation scrolls sideways on a phone"
    shot(phone, "02-warning-phone")

    page.get_by_role("button", name="确认撤销").click()
    expect(page.locator(".messages")).to_contain_text("已撤销李强的“科室负责人”角色（公共资源交易中心）。")
    row = person_row(page, "head_ggzy")
    expect(row).to_contain_text("李强")
    expect(row.get_by_test_id("no-role")).to_contain_text("未授予角色")
    expect(page.get_by_test_id("unstaffed")).to_contain_text("科室“公共资源交易中心”没有科室负责人")
    shot(page, "03-without-roles-desktop")
    phone.goto(f"{live_server.url}/people/483001/")
    expect(person_row(phone, "head_ggzy").get_by_test_id("no-role")).to_be_visible()
    assert horizontal_overflow(phone) <= 0, "the people page scrolls sideways on a phone"
    person_row(phone, "head_ggzy").scroll_into_view_if_needed()
    shot(phone, "04-without-roles-phone")

    # and he is offered in 授予角色, to be given the role again
    grant = page.get_by_test_id("grant-form")
    pick_person(grant, "head", "李强（head_ggzy）")
    grant.get_by_label("角色", exact=True).select_option(label="科室负责人（公共资源交易中心）")
    grant.get_by_role("button", name="授予").click()
    expect(page.locator(".messages")).to_contain_text("已授予李强“科室负责人”（公共资源交易中心）。")
    expect(person_row(page, "head_ggzy")).to_contain_text("科室负责人（公共资源交易中心）")
    expect(page.get_by_test_id("unstaffed")).to_have_count(0)
    assert page.js_errors == [] and phone.js_errors == []


def test_the_person_picker_searches_at_desktop_and_phone_width(page, phone, live_server, shot):
    """A superuser's picker offers at most 20 matches of the typed text, from the whole province; an agency
    administrator's only the agency's people they manage."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    User.objects.bulk_create([User(username=f"county_{n:03d}", last_name="钱", first_name=f"{n}号") for n in range(60)])
    for view, name in ((page, "desktop"), (phone, "phone")):
        sign_in(view, live_server, "admin")
        view.goto(f"{live_server.url}/people/483001/#grant")
        grant = view.get_by_test_id("grant-form")
        grant.get_by_label("人员").fill("钱")
        expect(grant.get_by_role("listbox").get_by_role("option")).to_have_count(20)
        grant.get_by_label("人员").fill("钱7号")
        expect(grant.get_by_role("listbox").get_by_role("option")).to_have_count(1)
        grant.get_by_label("人员").fill("钱1")
        expect(grant.get_by_role("listbox").get_by_role("option", name="钱10号（county_010）")).to_be_visible()
        expect(grant.get_by_role("listbox").get_by_role("option")).to_have_count(11)  # 钱1号, 钱10号 … 钱19号
        grant.scroll_into_view_if_needed()
        assert horizontal_overflow(view) <= 0, "the picker scrolls sideways"
        shot(view, f"picker-{name}")
    page.context.clear_cookies()
    sign_in(page, live_server, "unit_admin")
    page.goto(f"{live_server.url}/people/483001/")
    grant = page.get_by_test_id("grant-form")
    grant.get_by_label("人员").fill("钱")
    expect(grant.get_by_role("listbox")).to_contain_text("没有找到可以授予角色的人员")
    grant.get_by_label("人员").fill("王")
    expect(grant.get_by_role("listbox").get_by_role("option", name="王芳（staff_ggzy）")).to_be_visible()
    assert page.js_errors == [] and phone.js_errors == []


def test_a_big_agency_is_read_a_page_at_a_time_searched_and_filtered(page, phone, live_server, shot):
    """70 经办人 more: the page shows 50, 下一页 the rest; the search finds one person, the 科室 filter one section's."""
    from django.contrib.auth import get_user_model

    from people.roles import Role
    from people.services import role_grant
    from projects.models import Section

    User = get_user_model()
    ggzy = Section.objects.get(agency__code="483001", name="公共资源交易中心")
    for n in range(70):
        user = User.objects.create_user(f"crowd_{n:03d}", password="pw", last_name="孙", first_name=f"{n}号")
        role_grant(user=user, role=Role.STAFF, scope=ggzy)
    for view, name in ((page, "desktop"), (phone, "phone")):
        sign_in(view, live_server, "unit_admin")
        view.goto(f"{live_server.url}/people/483001/")
        expect(view.get_by_test_id("person")).to_have_count(50)
        expect(view.get_by_test_id("pager")).to_be_visible()
        assert horizontal_overflow(view) <= 0, "the people page scrolls sideways"
        shot(view, f"01-first-page-{name}")
        view.get_by_role("link", name="下一页").click()
        expect(person_row(view, "unit_admin")).to_contain_text("单位管理员（本单位）")
        expect(view.get_by_role("link", name="上一页")).to_be_visible()
        filters = view.get_by_test_id("people-filters")
        filters.get_by_label("姓名或用户名").fill("孙7号")
        filters.get_by_role("button", name="筛选").click()
        expect(view.get_by_test_id("person")).to_have_count(1)
        expect(person_row(view, "crowd_007")).to_contain_text("经办人（公共资源交易中心）")
        filters = view.get_by_test_id("people-filters")
        filters.get_by_label("姓名或用户名").fill("")
        filters.get_by_label("科室").select_option(label="信用与放管服办公室")
        filters.get_by_role("button", name="筛选").click()
        expect(person_row(view, "staff_xy")).to_be_visible()
        expect(person_row(view, "crowd_000")).to_have_count(0)
        assert horizontal_overflow(view) <= 0, "the filtered page scrolls sideways"
        shot(view, f"02-section-filter-{name}")
    assert page.js_errors == [] and phone.js_errors == []
