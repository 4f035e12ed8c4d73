"""/people/<code>/: who holds what in the agency, which review steps nobody can act on, and who may open it."""

import re

import pytest

from people import roles, selectors
from people.roles import Role
from people.services import person_deactivate, role_revoke
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
