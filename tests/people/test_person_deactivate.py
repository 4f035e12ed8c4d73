"""POST /people/<code>/people/<pk>/deactivate/: the account can no longer sign in;
its reassigned open steps go back to the other holders."""

import pytest
from django.contrib.auth import get_user_model

from people.models import RoleChange
from people.roles import forget
from projects.models import SheetState, TargetSheet
from tests.people.conftest import PAGE, messages_of, signs_in
from workflow import selectors as workflow_selectors


def url(person):
    return f"{PAGE}people/{person.pk}/deactivate/"


def fresh(user):
    user = get_user_model().objects.get(pk=user.pk)
    forget(user)
    return user


def test_deactivating_a_head_gives_the_reassigned_sheet_back_and_stops_their_sign_in(browser, owner, people, second_head, reassigned):
    assert signs_in("head2_ggzy", "Quiet-river-2024")
    their_session = browser(second_head)
    assert their_session.get("/tasks/").status_code == 200

    response = browser(owner).post(url(second_head), follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "已停用冯雪的账号，此人不能再登录。1 项转办给此人的待办已退回给其他持有人办理。" in messages_of(response)
    row = response.content.decode().split('data-username="head2_ggzy"')[1].split("</tr>")[0]
    assert "已停用" in row and "启用账号" in row

    assert fresh(second_head).is_active is False
    assert not signs_in("head2_ggzy", "Quiet-river-2024")
    signed_out = their_session.get("/tasks/")
    assert signed_out.status_code == 302 and signed_out["Location"].startswith("/login/")

    reassigned.refresh_from_db()
    assert reassigned.state == SheetState.SECTION_REVIEW and reassigned.assignee is None
    assert reassigned in workflow_selectors.review_tasks(people.head_ggzy, TargetSheet)
    assert reassigned.events.latest("id").comment == "冯雪不再担任“科室负责人”，此步骤退回给其他科室负责人办理。"
    change = RoleChange.objects.latest("id")
    assert (change.kind, change.person, change.by, change.agency.code) == ("deactivate", second_head, owner, "483001")


def test_the_deactivate_button_asks_for_confirmation(browser, owner):
    row = browser(owner).get(PAGE).content.decode().split('data-username="staff_xy"')[1].split("</tr>")[0]
    assert 'data-confirm="确定停用赵敏的账号吗？此人将不能登录，转办给此人的待办将退回给其他持有人。"' in row


def test_an_account_already_stopped_is_reported(browser, owner, people, snapshot):
    browser(owner).post(url(people.staff_xy))
    before = snapshot()
    assert "该账号已经停用。" in messages_of(browser(owner).post(url(people.staff_xy), follow=True))
    assert snapshot() == before


def test_owner_cannot_deactivate_themselves(browser, owner, snapshot):
    before = snapshot()
    assert "不能停用或启用自己的账号。" in messages_of(browser(owner).post(url(owner), follow=True))
    assert snapshot() == before


@pytest.mark.parametrize("target, status", [("finance", 403), ("admin", 403), ("other_staff", 404), ("nobody", 404)])
def test_owner_cannot_deactivate_finance_reviewers_superusers_or_strangers(browser, owner, people, snapshot, target, status):
    before = snapshot()
    assert browser(owner).post(url(getattr(people, target))).status_code == status
    assert snapshot() == before


def test_owner_cannot_deactivate_someone_who_also_works_for_another_agency(browser, owner, people, snapshot):
    from people.roles import Role
    from people.services import role_grant

    role_grant(user=people.staff_xy, role=Role.STAFF, scope=people.other_section)
    before = snapshot()
    response = browser(owner).post(url(people.staff_xy))
    assert response.status_code == 403 and "只能由系统管理员停用或启用" in response.content.decode()
    assert snapshot() == before
    assert browser(people.admin).post(url(people.staff_xy)).status_code == 302
    assert fresh(people.staff_xy).is_active is False


@pytest.mark.parametrize("who", ["colleague", "outsider", "leader"])
def test_people_who_may_not_manage_the_agency_deactivate_nobody(browser, people, colleague, outsider, snapshot, who):
    user = {"colleague": colleague, "outsider": outsider}.get(who) or getattr(people, who)
    before = snapshot()
    assert browser(user).post(url(people.staff_xy)).status_code == 404
    assert snapshot() == before


def test_anonymous_deactivates_nobody(browser, people, snapshot):
    before = snapshot()
    response = browser().post(url(people.staff_xy))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert snapshot() == before
