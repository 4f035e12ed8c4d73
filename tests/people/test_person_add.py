"""POST /people/<code>/add/: a new person, their initial password checked by Django's validators, an optional first role."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from people.models import RoleChange
from people.roles import Role, has_role
from tests.people.conftest import PAGE, messages_of, signs_in

URL = f"{PAGE}add/"
PASSWORD = "Bright-lake-2024"


def form(**changes):
    data = {
        "username": "staff_new", "last_name": "何", "first_name": "晓东", "email": "staff_new@example.gov.cn",
        "password1": PASSWORD, "password2": PASSWORD, "role": "", "note": "新入职",
    }
    return data | changes


def test_owner_adds_a_person_with_a_first_role_who_can_then_sign_in(browser, owner, ggzy):
    response = browser(owner).post(URL, form(role=f"{Role.STAFF}:{ggzy.pk}"), follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "已新增人员何晓东（staff_new），并授予“经办人”（公共资源交易中心）。" in messages_of(response)
    person = get_user_model().objects.get(username="staff_new")
    assert (person.last_name, person.first_name, person.email, person.is_active) == ("何", "晓东", "staff_new@example.gov.cn", True)
    assert has_role(person, Role.STAFF, ggzy)
    assert 'data-username="staff_new"' in response.content.decode()
    changes = list(RoleChange.objects.filter(person=person).order_by("id").values_list("kind", "by", "agency", "section", "role", "note"))
    assert changes == [
        ("create", owner.pk, ggzy.agency_id, None, "", ""),
        ("grant", owner.pk, ggzy.agency_id, ggzy.pk, Role.STAFF, "新入职"),
    ]
    assert signs_in("staff_new", PASSWORD)


def test_a_person_added_without_a_role_is_listed_and_can_be_given_one_later(browser, owner, agency):
    response = browser(owner).post(URL, form(), follow=True)
    assert "尚未授予角色" in messages_of(response)[0]
    row = response.content.decode().split('data-username="staff_new"')[1].split("</tr>")[0]
    assert "未授予角色" in row
    assert RoleChange.objects.get(person__username="staff_new").kind == "create"


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"password1": "12345678", "password2": "12345678"}, "password1", "密码只包含数字。"),
        ({"password1": "Sh0rt!", "password2": "Sh0rt!"}, "password1", "密码长度太短。"),
        ({"password1": "staff_new1", "password2": "staff_new1"}, "password1", "密码跟 用户名 太相似了。"),
        ({"password2": "Other-lake-2024"}, "password2", "两次输入的密码不一致。"),
        ({"username": "LEADER"}, "username", "用户名“LEADER”已被使用：此人（张建国）已在本单位人员列表中，请在“授予角色”中选择此人。"),
        ({"username": "other_staff"}, "username", "用户名“other_staff”已被使用。"),  # not this agency's: nothing more said
        ({"username": "有 空格"}, "username", ""),
        ({"last_name": ""}, "last_name", ""),
        ({"email": "not-an-address"}, "email", ""),
        ({"role": "staff:999999"}, "role", "请选择本单位或本单位科室的角色。"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nobody_is_added(browser, owner, snapshot, changes, field, message):
    before = snapshot()
    response = browser(owner).post(URL, form(**changes))
    assert response.status_code == 200
    assert field in response.context["create_form"].errors
    add_form = response.content.decode().split('data-testid="add-form"')[1]
    assert 'class="errorlist' in add_form and message in add_form  # shown in Chinese on the form
    assert "未能新增人员" in messages_of(response)[0]
    assert snapshot() == before


def test_a_role_of_another_agency_is_refused(browser, owner, people, snapshot):
    before = snapshot()
    response = browser(owner).post(URL, form(role=f"{Role.STAFF}:{people.other_section.pk}"))
    assert "role" in response.context["create_form"].errors
    assert snapshot() == before


def test_owner_cannot_make_the_new_person_a_finance_reviewer(browser, owner, agency, snapshot):
    before = snapshot()
    response = browser(owner).post(URL, form(role=f"{Role.FINANCE_REVIEWER}:{agency.pk}"))
    assert response.status_code == 403
    assert "财政审核人只能由系统管理员授予或撤销" in response.content.decode()
    assert snapshot() == before


def test_superuser_may_add_a_finance_reviewer(browser, people, agency):
    browser(people.admin).post(URL, form(role=f"{Role.FINANCE_REVIEWER}:{agency.pk}"))
    assert has_role(get_user_model().objects.get(username="staff_new"), Role.FINANCE_REVIEWER, agency)


@pytest.mark.parametrize("who", ["colleague", "outsider", "leader"])
def test_people_who_may_not_manage_the_agency_add_nobody(browser, people, colleague, outsider, snapshot, who):
    user = {"colleague": colleague, "outsider": outsider}.get(who) or getattr(people, who)
    before = snapshot()
    assert browser(user).post(URL, form()).status_code == 404
    assert snapshot() == before


def test_anonymous_adds_nobody(browser, people, snapshot):
    before = snapshot()
    response = browser().post(URL, form())
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert snapshot() == before


def test_get_is_not_allowed(browser, owner):
    assert browser(owner).get(URL).status_code == 405


def test_the_form_needs_the_csrf_token(owner, people, snapshot):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    before = snapshot()
    assert client.post(URL, form()).status_code == 403
    assert snapshot() == before
