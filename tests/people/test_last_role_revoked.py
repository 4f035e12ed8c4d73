"""A person whose last role of the agency is taken away stays on its 人员与角色 page and among the grant form's candidates, and can be
given a role again; the revoke confirmation warns when it leaves a review step (a section's 科室负责人) without anyone."""

import pytest

from people import services
from people.models import RoleChange
from people.roles import Role, has_role
from tests.people.conftest import PAGE, messages_of

REVOKE = f"{PAGE}revoke/"


def row_of(page: str, username: str) -> str:
    parts = page.split(f'data-username="{username}"')
    return parts[1].split("</tr>")[0] if len(parts) > 1 else ""


def grant_candidates(client, q: str) -> list[dict]:
    return client.get(f"{PAGE}candidates/", {"q": q}).json()["results"]


def confirmation(client, person, role, scope):
    return client.get(REVOKE, {"person": person.pk, "role": f"{role}:{scope.pk}"})


def test_a_person_whose_last_role_is_revoked_stays_listed_and_in_the_grant_list(browser, owner, people, agency, ggzy):
    services.managed_role_revoke(by=owner, agency=agency, user=people.staff_ggzy, role=Role.STAFF, scope=ggzy)

    page = browser(owner).get(PAGE).content.decode()

    row = row_of(page, "staff_ggzy")
    assert "王芳" in row and "未授予角色" in row and "在用" in row
    assert grant_candidates(browser(owner), "王芳") == [{"id": people.staff_ggzy.pk, "username": "staff_ggzy", "label": "王芳（staff_ggzy）"}]


def test_they_can_be_given_a_role_again(browser, owner, people, agency, ggzy):
    services.managed_role_revoke(by=owner, agency=agency, user=people.staff_ggzy, role=Role.STAFF, scope=ggzy)

    response = browser(owner).post(
        f"{PAGE}grant/", {"person": people.staff_ggzy.pk, "role": f"{Role.STAFF}:{ggzy.pk}", "note": "回到原岗位"}, follow=True,
    )

    assert "已授予王芳“经办人”（公共资源交易中心）。" in messages_of(response)
    assert has_role(people.staff_ggzy, Role.STAFF, ggzy)
    assert "经办人<span class=\"muted\">（公共资源交易中心）" in row_of(response.content.decode(), "staff_ggzy")


def test_adding_them_again_says_where_they_are(browser, owner, people, agency, ggzy, snapshot):
    services.managed_role_revoke(by=owner, agency=agency, user=people.staff_ggzy, role=Role.STAFF, scope=ggzy)
    before = snapshot()

    response = browser(owner).post(f"{PAGE}add/", {
        "username": "staff_ggzy", "last_name": "王", "first_name": "芳", "password1": "Bright-lake-2024",
        "password2": "Bright-lake-2024", "role": f"{Role.STAFF}:{ggzy.pk}",
    })

    assert "用户名“staff_ggzy”已被使用：此人（王芳）已在本单位人员列表中，请在“授予角色”中选择此人。" in response.content.decode()
    assert snapshot() == before


def test_a_former_finance_reviewer_is_not_listed_for_the_agency(browser, owner, people, agency):
    """财政审核人 belongs to the finance bureau: taken away, they are no person of the agency's."""
    services.role_revoke(user=people.finance, role=Role.FINANCE_REVIEWER, scope=agency, by=people.admin)
    page = browser(owner).get(PAGE).content.decode()
    assert row_of(page, "finance") == ""
    assert "finance2" in page  # still holds the role


def test_the_confirmation_warns_when_a_section_is_left_without_a_head(browser, owner, people, ggzy, snapshot):
    before = snapshot()

    response = confirmation(browser(owner), people.head_ggzy, Role.SECTION_HEAD, ggzy)

    assert response.status_code == 200
    page = response.content.decode()
    warning = page.split('data-testid="revoke-warning"')[1].split("</div>")[0]
    assert "撤销后，科室“公共资源交易中心”将没有科室负责人：该科室提交的绩效目标表在“科室审核”无人可以办理。" in warning
    assert 'data-testid="last-role"' in page  # and says the person stays listed
    assert snapshot() == before  # a GET decides nothing


def test_no_warning_while_another_head_remains(browser, owner, people, ggzy, second_head):
    page = confirmation(browser(owner), people.head_ggzy, Role.SECTION_HEAD, ggzy).content.decode()
    assert 'data-testid="revoke-warning"' not in page
    assert "确认撤销" in page


def test_no_warning_for_a_role_no_review_step_needs(browser, owner, people, ggzy):
    page = confirmation(browser(owner), people.staff_ggzy, Role.STAFF, ggzy).content.decode()
    assert 'data-testid="revoke-warning"' not in page


def test_a_deactivated_second_head_does_not_count(browser, owner, people, agency, ggzy, second_head):
    services.managed_person_deactivate(by=owner, agency=agency, user=second_head)
    page = confirmation(browser(owner), people.head_ggzy, Role.SECTION_HEAD, ggzy).content.decode()
    assert "将没有科室负责人" in page


def test_the_confirmation_says_no_to_what_the_revoke_refuses(browser, owner, people, agency, ggzy, snapshot):
    before = snapshot()
    own = browser(owner).get(REVOKE, {"person": owner.pk, "role": f"{Role.AGENCY_ADMIN}:{agency.pk}"}, follow=True)
    assert "不能撤销自己的单位管理员角色。" in messages_of(own)
    not_held = confirmation(browser(owner), people.staff_xy, Role.SECTION_HEAD, ggzy)
    assert not_held.status_code == 302
    assert confirmation(browser(owner), people.finance, Role.FINANCE_REVIEWER, agency).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("who", ["anonymous", "colleague", "outsider"])
def test_others_see_no_confirmation(browser, people, ggzy, colleague, outsider, who):
    client = browser({"anonymous": None, "colleague": colleague, "outsider": outsider}[who])
    response = confirmation(client, people.head_ggzy, Role.SECTION_HEAD, ggzy)
    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    else:
        assert response.status_code == 404
        assert "李强" not in response.content.decode()


def test_the_log_still_records_the_revoke_after_the_confirmation(browser, owner, people, ggzy):
    confirm_page = confirmation(browser(owner), people.head_ggzy, Role.SECTION_HEAD, ggzy).content.decode()
    assert f'<form method="post" action="{REVOKE}"' in confirm_page
    browser(owner).post(REVOKE, {"person": people.head_ggzy.pk, "role": f"{Role.SECTION_HEAD}:{ggzy.pk}"})
    change = RoleChange.objects.latest("id")
    assert (change.kind, change.person, change.section) == ("revoke", people.head_ggzy, ggzy)
    page = browser(owner).get(PAGE).content.decode()
    assert "未授予角色" in row_of(page, "head_ggzy")
    assert "科室“公共资源交易中心”没有科室负责人" in page  # the page's own warning, as before
