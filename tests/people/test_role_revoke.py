"""POST /people/<code>/revoke/: a role taken away; the person's reassigned open steps go back to the step's other holders."""

import pytest

from core.errors import AppError
from people import services
from people.models import RoleChange
from people.roles import Role, forget, has_role
from projects.models import SheetState, TargetSheet
from tests.people.conftest import PAGE, messages_of
from workflow import selectors as workflow_selectors

URL = f"{PAGE}revoke/"


def revoke(client, person, role, scope, **extra):
    return client.post(URL, {"person": person.pk, "role": f"{role}:{scope.pk}"}, **extra)


def test_owner_takes_a_role_away_and_the_audit_records_it(browser, owner, people, ggzy):
    response = revoke(browser(owner), people.staff_ggzy, Role.STAFF, ggzy, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "已撤销王芳的“经办人”角色（公共资源交易中心）。没有转办给此人的待办需要退回。" in messages_of(response)
    assert not has_role(people.staff_ggzy, Role.STAFF, ggzy)
    row = response.content.decode().split('data-username="staff_ggzy"')[1].split("</tr>")[0]
    assert "未授予角色" in row  # no role left here: still listed, to be given one again
    change = RoleChange.objects.latest("id")
    assert (change.kind, change.person, change.by, change.role, change.section) == ("revoke", people.staff_ggzy, owner, Role.STAFF, ggzy)


def test_the_revoke_button_asks_for_confirmation(browser, owner, people, ggzy, snapshot):
    page = browser(owner).get(PAGE).content.decode()
    row = page.split('data-username="staff_ggzy"')[1].split("</tr>")[0]
    assert f'<form method="get" action="{URL}"' in row  # 撤销 opens the confirmation page; only its button revokes
    assert "onclick" not in page and "onsubmit" not in page

    before = snapshot()
    confirm = browser(owner).get(URL, {"person": people.staff_ggzy.pk, "role": f"{Role.STAFF}:{ggzy.pk}"}).content.decode()
    assert snapshot() == before
    assert "确定撤销<strong>王芳</strong>（<span class=\"code\">staff_ggzy</span>）的“经办人”角色（公共资源交易中心）吗？" in confirm
    assert "转办给此人的“经办人”待办将退回给其他经办人办理。" in confirm
    assert f'<form method="post" action="{URL}"' in confirm and "确认撤销" in confirm


def test_revoking_a_head_gives_the_reassigned_sheet_back_to_the_other_head(browser, owner, people, ggzy, second_head, reassigned):
    sheet = reassigned
    assert sheet not in workflow_selectors.review_tasks(people.head_ggzy, TargetSheet)
    assert sheet in workflow_selectors.review_tasks(second_head, TargetSheet)

    response = revoke(browser(owner), second_head, Role.SECTION_HEAD, ggzy, follow=True)
    assert "已撤销冯雪的“科室负责人”角色（公共资源交易中心）。1 项转办给此人的待办已退回给其他科室负责人办理。" in messages_of(response)

    sheet.refresh_from_db()
    assert sheet.state == SheetState.SECTION_REVIEW and sheet.assignee is None
    assert sheet in workflow_selectors.review_tasks(people.head_ggzy, TargetSheet)
    second_head.refresh_from_db()
    forget(second_head)  # the page changed another copy of this user; drop the roles remembered on this one
    assert sheet not in workflow_selectors.review_tasks(second_head, TargetSheet)
    release = sheet.events.latest("id")
    assert release.action == "reassign" and release.actor == owner
    assert release.comment == "冯雪不再担任“科室负责人”，此步骤退回给其他科室负责人办理。"


def test_revoking_another_role_of_the_assignee_leaves_the_reassigned_sheet_alone(owner, people, agency, ggzy, second_head, reassigned):
    services.managed_role_grant(by=owner, agency=agency, user=second_head, role=Role.STAFF, scope=ggzy)
    assert services.managed_role_revoke(by=owner, agency=agency, user=second_head, role=Role.STAFF, scope=ggzy) == 0
    reassigned.refresh_from_db()
    assert reassigned.assignee == second_head


def test_owner_cannot_take_away_their_own_admin_role(browser, owner, agency, snapshot):
    before = snapshot()
    response = revoke(browser(owner), owner, Role.AGENCY_ADMIN, agency, follow=True)
    assert "不能撤销自己的单位管理员角色。" in messages_of(response)
    assert snapshot() == before and has_role(owner, Role.AGENCY_ADMIN, agency)


def test_owner_may_take_away_another_admin(owner, people, agency):
    services.managed_role_grant(by=owner, agency=agency, user=people.leader, role=Role.AGENCY_ADMIN, scope=agency)
    assert services.managed_role_revoke(by=owner, agency=agency, user=people.leader, role=Role.AGENCY_ADMIN, scope=agency) == 0
    assert not has_role(people.leader, Role.AGENCY_ADMIN, agency)


def test_a_role_not_held_is_reported(browser, owner, people, ggzy, snapshot):
    before = snapshot()
    response = revoke(browser(owner), people.staff_xy, Role.SECTION_HEAD, ggzy, follow=True)
    assert "该人员已经没有这个角色。" in messages_of(response)
    assert snapshot() == before


def test_finance_revoke_by_the_owner_is_refused_with_403(browser, owner, people, agency, snapshot):
    before = snapshot()
    response = revoke(browser(owner), people.finance, Role.FINANCE_REVIEWER, agency)
    assert response.status_code == 403 and "财政审核人只能由系统管理员授予或撤销" in response.content.decode()
    assert snapshot() == before and has_role(people.finance, Role.FINANCE_REVIEWER, agency)
    with pytest.raises(AppError) as refused:
        services.managed_role_revoke(by=owner, agency=agency, user=people.finance, role=Role.FINANCE_REVIEWER, scope=agency)
    assert refused.value.status == 403


def test_superuser_takes_a_finance_role_away(browser, people, agency):
    response = revoke(browser(people.admin), people.finance2, Role.FINANCE_REVIEWER, agency, follow=True)
    assert "已撤销杨帆的“财政审核人”角色（本单位）。" in messages_of(response)[0]
    assert not has_role(people.finance2, Role.FINANCE_REVIEWER, agency)


def test_owner_cannot_touch_a_superuser(browser, owner, people, agency, ggzy, snapshot):
    services.role_grant(user=people.admin, role=Role.STAFF, scope=ggzy)
    page = browser(owner).get(PAGE).content.decode()
    assert "<form" not in page.split('data-username="admin"')[1].split("</tr>")[0]
    before = snapshot()
    assert revoke(browser(owner), people.admin, Role.STAFF, ggzy).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("who", ["colleague", "outsider", "head_ggzy"])
def test_people_who_may_not_manage_the_agency_revoke_nothing(browser, people, colleague, outsider, ggzy, snapshot, who):
    user = {"colleague": colleague, "outsider": outsider}.get(who) or getattr(people, who)
    before = snapshot()
    assert revoke(browser(user), people.staff_ggzy, Role.STAFF, ggzy).status_code == 404
    assert snapshot() == before


def test_outsider_cannot_revoke_through_their_own_agency_page(browser, outsider, people, ggzy, snapshot):
    """483001's section named on 483099's page: not a role of that agency."""
    before = snapshot()
    response = browser(outsider).post(
        f"/people/{people.other_agency.code}/revoke/", {"person": people.staff_ggzy.pk, "role": f"{Role.STAFF}:{ggzy.pk}"}, follow=True,
    )
    assert "请选择本单位或本单位科室的角色。" in messages_of(response)
    assert snapshot() == before


def test_anonymous_revokes_nothing(browser, people, ggzy, snapshot):
    before = snapshot()
    response = revoke(browser(), people.staff_ggzy, Role.STAFF, ggzy)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert snapshot() == before
