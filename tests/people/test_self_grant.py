"""提交与审核分离 on the people page: nobody grants themself a second role of a sheet's approval on the same sheets
(经办人 and 科室负责人 of one section, either of them and 局领导 or 财政审核人 of its agency, 局领导 and 财政审核人 of
one agency), in either order; the refusal names the rule and changes nothing. Granted by another administrator, or on
another section's sheets, two roles stay allowed: the per-round rule (tests/workflow/test_separation_of_duties.py)
keeps such a person from approving their own submission or two steps of one round."""

import pytest

from people import roles, services
from people.roles import Role, has_role
from projects.models import Section
from tests.people.conftest import PAGE, messages_of
from tests.refusals import refused
from workflow.steps import CHAIN

URL = f"{PAGE}grant/"
RULE = "不能给自己授予会审核自己工作的角色（提交与审核分离）"


def test_the_roles_checked_are_those_of_the_approval():
    assert set(services.SHEET_ROLES) == {CHAIN.author, *CHAIN.review_roles}


def _scope(name, agency, ggzy):
    return agency if name == "agency" else ggzy


@pytest.mark.parametrize(("held", "wanted"), [
    ((Role.STAFF, "section"), (Role.SECTION_HEAD, "section")),
    ((Role.SECTION_HEAD, "section"), (Role.STAFF, "section")),
    ((Role.STAFF, "section"), (Role.LEADER, "agency")),
    ((Role.LEADER, "agency"), (Role.STAFF, "section")),
    ((Role.SECTION_HEAD, "section"), (Role.LEADER, "agency")),
    ((Role.LEADER, "agency"), (Role.SECTION_HEAD, "section")),
])
def test_an_administrator_cannot_grant_themself_a_role_that_reviews_their_own_work(
    browser, owner, agency, ggzy, snapshot, held, wanted,
):
    (held_role, held_on), (role, on) = held, wanted
    client = browser(owner)
    client.post(URL, {"person": owner.pk, "role": f"{held_role}:{_scope(held_on, agency, ggzy).pk}"})
    assert has_role(owner, held_role, _scope(held_on, agency, ggzy))
    before = snapshot()

    response = client.post(URL, {"person": owner.pk, "role": f"{role}:{_scope(on, agency, ggzy).pk}"})

    assert response.status_code == 200
    errors = response.context["grant_form"].non_field_errors()
    assert len(errors) == 1 and errors[0].startswith(RULE)
    held_name = _scope(held_on, agency, ggzy).name
    assert f"您已担任“{roles.ROLE_LABELS[held_role]}”（{held_name}），不能再给自己授予“{roles.ROLE_LABELS[role]}”" in errors[0]
    assert "未能授予角色" in messages_of(response)[-1]
    assert snapshot() == before


def test_a_superuser_cannot_either(people, agency):
    services.managed_role_grant(by=people.admin, agency=agency, user=people.admin, role=Role.LEADER, scope=agency)
    with refused(400, match=r"您已担任“局领导”（乐亭县行政审批局本级），不能再给自己授予“财政审核人”"):
        services.managed_role_grant(by=people.admin, agency=agency, user=people.admin, role=Role.FINANCE_REVIEWER, scope=agency)
    assert not has_role(people.admin, Role.FINANCE_REVIEWER, agency)


def test_roles_on_other_sheets_or_granted_by_someone_else_stay_allowed(browser, owner, people, agency, ggzy):
    xy = Section.objects.get(agency=agency, name="信用与放管服办公室")
    client = browser(owner)
    client.post(URL, {"person": owner.pk, "role": f"{Role.STAFF}:{ggzy.pk}"})
    client.post(URL, {"person": owner.pk, "role": f"{Role.SECTION_HEAD}:{xy.pk}"})  # another section's sheets
    client.post(URL, {"person": owner.pk, "role": f"{Role.AGENCY_ADMIN}:{agency.pk}"})  # not a role of the approval
    assert has_role(owner, Role.STAFF, ggzy) and has_role(owner, Role.SECTION_HEAD, xy)
    # another administrator may make them head of their own section too (the per-round rule guards their reviews)
    assert services.managed_role_grant(by=people.admin, agency=agency, user=owner, role=Role.SECTION_HEAD, scope=ggzy)
    assert has_role(owner, Role.SECTION_HEAD, ggzy)
