"""POST /people/<code>/grant/: a role on a section (经办人, 科室负责人) or on the agency (局领导, 单位管理员; 财政审核人 by a superuser only)."""

import pytest

from core.errors import AppError
from people import services
from people.models import RoleChange
from people.roles import Role, has_role
from tests.people.conftest import PAGE, messages_of

URL = f"{PAGE}grant/"


def test_owner_grants_a_section_role_and_the_audit_says_who_when_what(browser, owner, people, ggzy):
    response = browser(owner).post(URL, {"person": people.staff_xy.pk, "role": f"{Role.STAFF}:{ggzy.pk}", "note": "支援招投标"}, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "已授予赵敏“经办人”（公共资源交易中心）。" in messages_of(response)
    assert has_role(people.staff_xy, Role.STAFF, ggzy)
    row = response.content.decode().split('data-username="staff_xy"')[1].split("</tr>")[0]
    assert "（公共资源交易中心）" in row and "（信用与放管服办公室）" in row
    change = RoleChange.objects.latest("id")
    assert (change.kind, change.person, change.by, change.role, change.section, change.agency, change.note) == (
        "grant", people.staff_xy, owner, Role.STAFF, ggzy, ggzy.agency, "支援招投标",
    )
    assert change.created is not None


def test_owner_grants_an_agency_role(browser, owner, people, agency):
    browser(owner).post(URL, {"person": people.head_xy.pk, "role": f"{Role.AGENCY_ADMIN}:{agency.pk}"})
    assert has_role(people.head_xy, Role.AGENCY_ADMIN, agency)


def test_a_grant_already_held_changes_nothing(browser, owner, people, ggzy, snapshot):
    before = snapshot()
    response = browser(owner).post(URL, {"person": people.staff_ggzy.pk, "role": f"{Role.STAFF}:{ggzy.pk}"}, follow=True)
    assert "王芳“经办人”（公共资源交易中心）的角色已经存在，未做修改。" in messages_of(response)
    assert snapshot() == before


CANDIDATES = f"{PAGE}candidates/"


def _candidates(client, q="") -> list[str]:
    response = client.get(CANDIDATES, {"q": q})
    assert response.status_code == 200
    return [row["username"] for row in response.json()["results"]]


def test_the_grant_form_lists_nobody_it_searches(browser, owner, people):
    """The page carries a search field, not the province's accounts (a superuser's page included)."""
    for user in (owner, people.admin):
        grant_form = browser(user).get(PAGE).content.decode().split('data-testid="grant-form"')[1].split("</form>")[0]
        assert 'data-person-picker' in grant_form and "<option" not in grant_form.split('name="role"')[0]
        assert "（staff_ggzy）" not in grant_form and "（nobody）" not in grant_form


def test_owner_is_offered_only_the_people_they_manage(browser, owner):
    found = _candidates(browser(owner))
    assert {"staff_ggzy", "unit_admin"} <= set(found)
    for name in ("finance", "finance2", "admin", "other_staff", "nobody"):
        assert name not in found
        assert name not in _candidates(browser(owner), name)  # not found by name either
    assert _candidates(browser(owner), "王芳") == ["staff_ggzy"] and set(_candidates(browser(owner), "GGZY")) == {"head_ggzy", "staff_ggzy"}


def test_a_superuser_finds_anyone_of_the_province_twenty_at_most(browser, people):
    from django.contrib.auth import get_user_model

    get_user_model().objects.bulk_create([get_user_model()(username=f"county_{n:03d}", last_name="钱", first_name=f"{n}号") for n in range(40)])
    client = browser(people.admin)
    assert _candidates(client, "nobody") == ["nobody"] and "other_staff" in _candidates(client, "other")
    assert len(_candidates(client, "county_")) == 20 and _candidates(client, "钱7号") == ["county_007"]


def test_people_who_may_not_manage_the_agency_search_nothing(browser, people, colleague, outsider):
    for user in (colleague, outsider, people.leader, people.other_staff):
        assert browser(user).get(CANDIDATES, {"q": "王"}).status_code == 404
    assert browser().get(CANDIDATES).status_code == 302


def test_without_javascript_a_typed_username_is_granted_and_an_unreachable_one_is_not_found(browser, owner, people, ggzy, snapshot):
    response = browser(owner).post(URL, {"person_query": "赵敏（staff_xy）", "role": f"{Role.STAFF}:{ggzy.pk}"}, follow=True)
    assert "已授予赵敏“经办人”（公共资源交易中心）。" in messages_of(response)
    before = snapshot()
    for typed in ("other_staff", "nobody", "finance", "no_such_user"):
        response = browser(owner).post(URL, {"person_query": typed, "role": f"{Role.STAFF}:{ggzy.pk}"})
        assert response.status_code == 200
        assert response.context["grant_form"].errors["person_query"] == [
            f"没有找到可以授予角色的人员“{typed}”，请输入姓名或用户名后从列表中选择。"
        ]  # the same words whether the account exists or not
    assert snapshot() == before


def test_finance_grant_by_the_owner_is_refused_with_403(browser, owner, people, agency, snapshot):
    before = snapshot()
    response = browser(owner).post(URL, {"person": people.leader.pk, "role": f"{Role.FINANCE_REVIEWER}:{agency.pk}"})
    assert response.status_code == 403
    assert "财政审核人只能由系统管理员授予或撤销：单位不能任命自己的财政审核人。" in response.content.decode()
    assert snapshot() == before
    with pytest.raises(AppError) as refused:
        services.managed_role_grant(by=owner, agency=agency, user=people.leader, role=Role.FINANCE_REVIEWER, scope=agency)
    assert refused.value.status == 403


def test_superuser_grants_finance_to_someone_from_outside_the_agency(browser, people, agency):
    assert _candidates(browser(people.admin), "nobody") == ["nobody"]
    browser(people.admin).post(URL, {"person": people.nobody.pk, "role": f"{Role.FINANCE_REVIEWER}:{agency.pk}"})
    assert has_role(people.nobody, Role.FINANCE_REVIEWER, agency)
    assert RoleChange.objects.latest("id").by == people.admin


@pytest.mark.parametrize("target", ["other_staff", "nobody", "finance", "admin"])
def test_owner_cannot_reach_people_outside_the_agency_or_superusers(browser, owner, people, ggzy, snapshot, target):
    """Not theirs (another agency's, nobody's): 404; listed but the finance bureau's, or a superuser: 403."""
    before = snapshot()
    response = browser(owner).post(URL, {"person": getattr(people, target).pk, "role": f"{Role.STAFF}:{ggzy.pk}"})
    assert response.status_code == (403 if target in ("admin", "finance") else 404)
    assert snapshot() == before


def test_a_role_on_another_agency_is_refused(browser, owner, people, agency, snapshot):
    before = snapshot()
    response = browser(owner).post(URL, {"person": people.staff_ggzy.pk, "role": f"{Role.STAFF}:{people.other_section.pk}"})
    assert response.status_code == 200 and "role" in response.context["grant_form"].errors
    assert "未能授予角色" in messages_of(response)[0]
    assert snapshot() == before
    with pytest.raises(AppError, match="只能授予或撤销本单位及其科室的角色"):
        services.managed_role_grant(by=owner, agency=agency, user=people.staff_ggzy, role=Role.STAFF, scope=people.other_section)


@pytest.mark.parametrize("who", ["colleague", "outsider", "leader"])
def test_people_who_may_not_manage_the_agency_grant_nothing(browser, people, colleague, outsider, ggzy, snapshot, who):
    user = {"colleague": colleague, "outsider": outsider}.get(who) or getattr(people, who)
    before = snapshot()
    assert browser(user).post(URL, {"person": user.pk, "role": f"{Role.SECTION_HEAD}:{ggzy.pk}"}).status_code == 404
    assert snapshot() == before


def test_anonymous_grants_nothing(browser, people, ggzy, snapshot):
    before = snapshot()
    response = browser().post(URL, {"person": people.nobody.pk, "role": f"{Role.STAFF}:{ggzy.pk}"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert snapshot() == before
