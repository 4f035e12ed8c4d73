"""/wecom/accounts/<code>/: an agency's administrator sets the WeCom id each of its people signs in with."""

from __future__ import annotations

import pytest

from notifications.models import Preference
from people import roles
from people.services import role_grant
from tests.support import make_user
from wecom.models import AccountChange, IdChangeRequest


@pytest.fixture
def unit_admin(org):
    admin = make_user("office_admin", first_name="郑管理")
    role_grant(user=admin, role=roles.AGENCY_ADMIN, scope=org.agency)
    return admin


def _url(org, suffix=""):
    return f"/wecom/accounts/{org.agency.code}/{suffix}"


def test_the_administrator_asks_for_a_new_id_which_waits_for_the_person(client, org, unit_admin):
    client.force_login(unit_admin)
    page = client.get(_url(org)).content.decode()
    assert "赵局长" in page and 'value="leader.wx"' in page

    response = client.post(_url(org, "set/"), {"person": org.leader.pk, "wecom_userid": " zhaojuzhang "}, follow=True)

    page = response.content.decode()
    assert "已申请将赵局长的企业微信账号设为“zhaojuzhang”：须由本人在企业微信中确认后才生效" in page
    assert Preference.objects.get(user=org.leader).wecom_userid == "leader.wx"  # in effect until he confirms
    row = page.split('data-username="agency_leader"')[1].split("</tr>")[0]
    assert 'data-status="awaiting_person"' in row and "zhaojuzhang" in row and "待本人确认" in row
    change = AccountChange.objects.get(person=org.leader)
    assert (change.kind, change.old, change.new, change.by_id) == ("request", "leader.wx", "zhaojuzhang", unit_admin.pk)


def test_the_administrator_withdraws_a_waiting_change(client, org, unit_admin):
    client.force_login(unit_admin)
    client.post(_url(org, "set/"), {"person": org.leader.pk, "wecom_userid": "zhaojuzhang"})
    request = IdChangeRequest.objects.get(person=org.leader)

    response = client.post(_url(org, f"requests/{request.pk}/cancel/"), follow=True)

    assert "已撤回赵局长的企业微信账号变更申请，账号保持不变" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "cancelled"
    assert Preference.objects.get(user=org.leader).wecom_userid == "leader.wx"
    assert list(AccountChange.objects.filter(person=org.leader).order_by("id").values_list("kind", flat=True)) == ["request", "cancel"]


def test_an_id_already_linked_to_someone_else_is_refused(client, org, unit_admin):
    client.force_login(unit_admin)

    response = client.post(_url(org, "set/"), {"person": org.head.pk, "wecom_userid": "LEADER.WX"}, follow=True)

    assert "已关联赵局长" in response.content.decode()
    assert Preference.objects.get(user=org.head).wecom_userid == "head.wx"
    assert not AccountChange.objects.exists()


def test_a_malformed_id_is_refused(client, org, unit_admin):
    client.force_login(unit_admin)
    response = client.post(_url(org, "set/"), {"person": org.head.pk, "wecom_userid": "李 科长"}, follow=True)
    assert "只能由字母、数字" in response.content.decode()
    assert Preference.objects.get(user=org.head).wecom_userid == "head.wx"


@pytest.mark.parametrize("who", ["anonymous", "head", "outsider_admin"])
def test_others_cannot_set_ids(client, org, who):
    if who == "head":
        client.force_login(org.head)
    elif who == "outsider_admin":
        admin = make_user("other_admin")
        role_grant(user=admin, role=roles.AGENCY_ADMIN, scope=org.other_agency)
        client.force_login(admin)

    response = client.post(_url(org, "set/"), {"person": org.head.pk, "wecom_userid": "leader2.wx"})

    assert response.status_code in (302, 404)
    if who == "anonymous":
        assert response["Location"].startswith("/login/")
    assert Preference.objects.get(user=org.head).wecom_userid == "head.wx"


def test_a_person_of_another_agency_is_not_reachable(client, org, unit_admin):
    client.force_login(unit_admin)
    response = client.post(_url(org, "set/"), {"person": org.outsider.pk, "wecom_userid": "outsider.wx"})
    assert response.status_code == 404
    assert not Preference.objects.filter(user=org.outsider).exists()
