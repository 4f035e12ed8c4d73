"""/people/<code>/: who holds what in the agency, which review steps nobody can act on, and who may open it."""

import re

import pytest

from people import roles, selectors
from people.roles import Role
from people.services import person_deactivate, role_revoke
from projects.models import Section
from tests.people.conftest import PAGE


def rows(page: str) -> dict[str, str]:
    """username → the HTML of that person's table row."""
    return dict(re.findall(r'<tr data-testid="person" data-username="([^"]+)"[^>]*>(.*?)</tr>', page, re.S))


def test_owner_sees_everyone_of_the_agency_with_their_roles_and_sections(browser, owner):
    response = browser(owner).get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    table = rows(page)
    assert {"staff_ggzy", "head_ggzy", "staff_xy", "leader", "leader2", "finance", "finance2", "unit_admin"} <= set(table)
    assert not {"other_staff", "other_head", "other_leader", "other_finance", "nobody", "admin"} & set(table)
    assert "王芳" in table["staff_ggzy"] and "经办人<span class=\"muted\">（公共资源交易中心）" in table["staff_ggzy"]
    assert "科室负责人<span class=\"muted\">（公共资源交易中心）" in table["head_ggzy"]
    assert "局领导<span class=\"muted\">（本单位）" in table["leader"] and "在用" in table["leader"]
    assert "<h1>人员与角色 · 乐亭县行政审批局本级</h1>" in page


def test_a_deactivated_person_is_listed_as_stopped(browser, owner, people):
    person_deactivate(user=people.staff_xy, by=owner)
    table = rows(browser(owner).get(PAGE).content.decode())
    assert "已停用" in table["staff_xy"] and "启用账号" in table["staff_xy"]
    assert "已停用" not in table["staff_ggzy"]


def test_owner_sees_finance_grants_but_gets_no_form_for_them(browser, owner):
    page = browser(owner).get(PAGE).content.decode()
    finance = rows(page)["finance"]
    assert "财政审核人" in finance and "由系统管理员管理" in finance
    assert "<form" not in finance  # neither 撤销 nor 停用账号
    assert 'value="finance_reviewer:' not in page  # not offered in the grant or add forms


def test_superuser_gets_forms_for_finance_grants(browser, people):
    page = browser(people.admin).get(PAGE).content.decode()
    assert 'name="role" value="finance_reviewer:' in rows(page)["finance"]
    assert 'value="finance_reviewer:' in page.split('data-testid="grant-form"')[1]


def test_owner_cannot_take_away_their_own_admin_role_or_account(browser, owner):
    me = rows(browser(owner).get(PAGE).content.decode())["unit_admin"]
    assert "单位管理员" in me and "<form" not in me


def test_rows_are_labelled_for_narrow_screens(browser, owner):
    page = browser(owner).get(PAGE).content.decode()
    assert 'class="list labelled people-table"' in page
    for label in ("姓名", "用户名", "角色", "状态", "账号"):
        assert f'data-label="{label}"' in page


def test_warning_lists_the_review_steps_nobody_can_act_on(browser, owner, people, agency, ggzy):
    page = browser(owner).get(PAGE).content.decode()
    assert 'data-testid="unstaffed"' not in page  # the demo staffs every step
    role_revoke(user=people.head_ggzy, role=Role.SECTION_HEAD, scope=ggzy)
    person_deactivate(user=people.leader, by=people.admin)
    person_deactivate(user=people.leader2, by=people.admin)
    role_revoke(user=people.finance, role=Role.FINANCE_REVIEWER, scope=agency)
    role_revoke(user=people.finance2, role=Role.FINANCE_REVIEWER, scope=agency)
    page = browser(owner).get(PAGE).content.decode()
    warning = page.split('data-testid="unstaffed"')[1].split("</section>")[0]
    assert "科室“公共资源交易中心”没有科室负责人：该科室的“科室审核”无人可以办理。" in warning
    assert "本单位没有局领导：“局领导审批”无人可以办理。" in warning
    assert "本单位没有财政审核人：“财政审核”无人可以办理。" in warning
    assert "信用与放管服办公室" not in warning



def test_the_page_runs_the_same_queries_however_many_sections_the_agency_has(browser, owner, agency):
    """The unstaffed-step warning asks for every section's holders at once (no query per section)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from projects.models import Section

    client = browser(owner)
    client.get(PAGE)
    with CaptureQueriesContext(connection) as few:
        client.get(PAGE)
    Section.objects.bulk_create([Section(agency=agency, name=f"新科室{n}") for n in range(10)])
    with CaptureQueriesContext(connection) as many:
        page = client.get(PAGE).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert "科室“新科室9”没有科室负责人" in page

@pytest.mark.parametrize("who", ["colleague", "outsider", "head_ggzy", "leader", "finance", "other_leader"])
def test_people_who_may_not_manage_the_agency_get_not_found(browser, people, colleague, outsider, who):
    user = {"colleague": colleague, "outsider": outsider}.get(who) or getattr(people, who)
    assert browser(user).get(PAGE).status_code == 404
    assert browser(user).get("/people/no-such-agency/").status_code == 404


def test_anonymous_is_sent_to_sign_in(browser, people):
    response = browser().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_outsider_manages_only_their_own_agency(browser, outsider, people):
    page = browser(outsider).get(f"/people/{people.other_agency.code}/").content.decode()
    assert set(rows(page)) == {"other_admin", "other_staff", "other_head", "other_leader", "other_finance"}


def test_nav_link_only_for_people_who_manage_an_agency(browser, owner, colleague, outsider, people):
    for user in (owner, outsider, people.admin):
        assert 'data-testid="nav-people"' in browser(user).get("/tasks/").content.decode(), user
    for user in (colleague, people.leader, people.finance):
        assert 'data-testid="nav-people"' not in browser(user).get("/tasks/").content.decode(), user
    assert roles.can_manage_people(owner, people.other_agency) is False


# ---------------------------------------------------------------- a page at a time


def _crowd(agency, section, count, *, prefix="crowd"):
    """``count`` 经办人 of ``section`` named 测试人员<n> (username ``<prefix>_<nnn>``)."""
    from django.contrib.auth import get_user_model

    from people.services import role_grant

    User = get_user_model()
    for n in range(count):
        user = User.objects.create_user(f"{prefix}_{n:03}", password="pw", last_name="测试", first_name=f"人员{n}")
        role_grant(user=user, role=Role.STAFF, scope=section)


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a class="button" href="(\?[^"]+)" rel="{rel}">', page)
    return found.group(1).replace("&amp;", "&") if found else None


def _next_link(page: str) -> str | None:
    return _link(page, "next")


def test_a_big_agency_is_shown_a_page_at_a_time_with_the_same_queries_as_a_small_one(browser, owner, agency, ggzy):
    """Page 1 of an agency of 11 people and of one of 131 run the same queries, later pages at most one more; walking the
    pages shows everyone once, in the page's order (by first role: 经办人 … 单位管理员, then by username)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = browser(owner)
    client.get(PAGE)
    with CaptureQueriesContext(connection) as few:
        small = client.get(PAGE).content.decode()
    assert 'data-testid="pager"' not in small
    _crowd(agency, ggzy, 120)
    with CaptureQueriesContext(connection) as many:
        first = client.get(PAGE).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(rows(first)) == 50 and 'data-testid="pager"' in first
    seen, page, link = list(rows(first)), first, _next_link(first)
    while link:
        with CaptureQueriesContext(connection) as later:
            page = client.get(PAGE + link).content.decode()
        # a later page reads on past the last active person in a second query (core.pagination: at most two reads)
        assert len(later.captured_queries) <= len(few.captured_queries) + 1
        seen += list(rows(page))
        link = _next_link(page)
    assert len(seen) == len(set(seen)) == len(rows(small)) + 120
    assert 'rel="prev"' in page and "上一页" in page
    # and back again: 上一页 from the last page gives the same pages in the same order
    back, link = list(rows(page)), _link(page, "prev")
    while link:
        page = client.get(PAGE + link).content.decode()
        back = list(rows(page)) + back
        link = _link(page, "prev")
    assert back == seen
    crowd = [name for name in seen if name.startswith("crowd_")]
    assert crowd == sorted(crowd) and seen.index("crowd_119") < seen.index("head_ggzy") < seen.index("leader") < seen.index("unit_admin")


def test_the_people_are_searched_by_name_or_username_and_filtered_by_section(browser, owner, agency, ggzy):
    _crowd(agency, ggzy, 60)
    client = browser(owner)
    found = rows(client.get(PAGE, {"q": "人员7"}).content.decode())
    assert set(found) == {"crowd_007"}
    assert set(rows(client.get(PAGE, {"q": "CROWD_05"}).content.decode())) == {f"crowd_05{n}" for n in range(10)}
    xy = agency.sections.get(name="信用与放管服办公室")
    in_xy = client.get(PAGE, {"section": xy.pk}).content.decode()
    assert "staff_xy" in rows(in_xy) and not {"staff_ggzy", "leader", "crowd_001"} & set(rows(in_xy))
    assert f'<option value="{xy.pk}" selected>信用与放管服办公室</option>' in in_xy
    both = client.get(PAGE, {"q": "王芳", "section": ggzy.pk}).content.decode()
    assert set(rows(both)) == {"staff_ggzy"}
    none = client.get(PAGE, {"q": "没有这个人"}).content.decode()
    assert not rows(none) and "没有符合条件的人员。" in none and 'data-testid="grant-form"' in none
    # a page link keeps the search and the section
    link = _next_link(client.get(PAGE, {"q": "crowd", "section": ggzy.pk}).content.decode())
    assert link and "q=crowd" in link and f"section={ggzy.pk}" in link
    # a section of another agency, or a damaged cursor, is no filter: the first page of everyone
    other = Section.objects.exclude(agency=agency).first()
    assert list(rows(client.get(PAGE, {"section": other.pk, "cursor": "not-a-cursor"}).content.decode()))[:2] == ["crowd_000", "crowd_001"]


def test_the_grant_picker_offers_the_matching_people_the_administrator_manages(browser, owner, agency, ggzy, people):
    """The type-ahead reads the people in the database (at most 20), never a finance reviewer of the agency or a
    superuser, whatever the agency's size."""
    _crowd(agency, ggzy, 30)
    client = browser(owner)
    usernames = [r["username"] for r in client.get(f"{PAGE}candidates/", {"q": "crowd"}).json()["results"]]
    assert usernames == [f"crowd_{n:03}" for n in range(20)]
    assert [r["username"] for r in client.get(f"{PAGE}candidates/", {"q": "人员29"}).json()["results"]] == ["crowd_029"]
    everyone = [r["username"] for r in client.get(f"{PAGE}candidates/").json()["results"]]
    assert len(everyone) == 20 and not {"finance", "finance2", "admin"} & set(everyone)
    assert [r["username"] for r in client.get(f"{PAGE}candidates/", {"q": "finance"}).json()["results"]] == []
