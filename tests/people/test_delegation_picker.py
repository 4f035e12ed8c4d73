"""委托's people are searched, never listed: the 受托人 type-ahead (``/people/delegations/candidates/``) offers at most 20
of the people the principal may delegate to, and the form accepts no one else — another agency's person is not found
(and not named), oneself and a stopped account are refused, each in Chinese, nothing written. A 单位管理员 picks the
委托人 the same way (``/people/delegations/principals/``)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from people import roles
from people.models import Delegation
from people.services import person_deactivate, role_grant
from tests.support import make_user

PAGE = "/people/delegations/"
CANDIDATES = "/people/delegations/candidates/"
PRINCIPALS = "/people/delegations/principals/"


@pytest.fixture
def deputy(org):
    user = make_user("deputy", last_name="刘", first_name="洋")
    role_grant(user=user, role=roles.SECTION_HEAD, scope=org.business)
    return user


@pytest.fixture
def admin_of(org):
    user = make_user("org_admin", first_name="郑管理")
    role_grant(user=user, role=roles.AGENCY_ADMIN, scope=org.agency)
    return user


def crowd(org, count):
    """``count`` 经办人 of 办公室 named 测试人员<n> (username ``crowd_<nnn>``)."""
    User = get_user_model()
    for n in range(count):
        person = User.objects.create_user(f"crowd_{n:03}", password="pw", last_name="测试", first_name=f"人员{n}")
        role_grant(user=person, role=roles.STAFF, scope=org.office)


def found(client, url=CANDIDATES, **params) -> list[str]:
    response = client.get(url, params)
    assert response.status_code == 200
    return [person["username"] for person in response.json()["results"]]


def days(n: int) -> str:
    return f"{timezone.localdate() + datetime.timedelta(days=n):%Y-%m-%d}"


def post(client, **fields):
    data = {"principal": "", "delegate": "", "delegate_id": "", "start": days(0), "end": days(2), "reason": "休假", **fields}
    return client.post(PAGE, data)


def test_the_candidates_are_the_agencys_active_people_searched_at_most_twenty(client, org, deputy):
    crowd(org, 30)
    client.force_login(org.leader)
    everyone = found(client)
    assert len(everyone) == 20 and everyone == sorted(everyone)
    assert found(client, q="人员7") == ["crowd_007"]
    assert found(client, q="刘洋") == ["deputy"] and found(client, q="DEPUTY") == ["deputy"]
    assert set(found(client, q="科长")) == {"office_head", "colleague_head"}
    # never: the principal, another agency's people, a stopped account
    assert found(client, q="赵局长") == [] and found(client, q="outsider") == []
    person_deactivate(user=deputy, by=make_user("root", is_superuser=True))
    assert found(client, q="刘洋") == []


def test_the_page_and_the_candidates_read_the_same_queries_for_a_big_agency(client, org, deputy, admin_of):
    """The leader's candidates and the administrator's page (委托人 and 受托人 searched) cost the same for an agency of
    10 people and one of 130; the page names none of them."""
    def costs():
        client.force_login(org.leader)
        client.get(CANDIDATES, {"q": "人员"})
        with CaptureQueriesContext(connection) as candidates:
            client.get(CANDIDATES, {"q": "人员"})
        client.force_login(admin_of)
        client.get(PAGE)
        with CaptureQueriesContext(connection) as page:
            text = client.get(PAGE).content.decode()
        assert "crowd_0" not in text and "测试人员" not in text
        return len(candidates.captured_queries), len(page.captured_queries)

    small = costs()
    crowd(org, 120)
    assert costs() == small
    client.force_login(org.leader)
    assert len(found(client, q="人员")) == 20


def test_a_finance_reviewer_is_offered_the_other_finance_reviewers_only(client, org, deputy):
    other = make_user("other_reviewer", first_name="孙审核")
    role_grant(user=other, role=roles.FINANCE_REVIEWER, scope=org.other_agency)
    client.force_login(org.finance)
    offered = found(client)
    assert "other_reviewer" in offered and "agency_finance" not in offered
    assert not {"deputy", "agency_leader", "owner", "outsider"} & set(offered)
    assert found(client, q="孙审核") == ["other_reviewer"] and found(client, q="刘洋") == []


def test_the_page_sets_a_delegation_to_the_person_chosen(client, org, deputy):
    client.force_login(org.leader)
    response = post(client, delegate="刘洋（deputy）", delegate_id=str(deputy.pk))
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.principal, delegation.delegate) == (org.leader, deputy)


def test_without_javascript_the_typed_username_or_listed_label_is_looked_up(client, org, deputy):
    client.force_login(org.leader)
    assert post(client, delegate="刘洋（deputy）").status_code == 302
    assert Delegation.objects.get().delegate == deputy


@pytest.mark.parametrize("how", ["typed", "forged id"])
def test_another_agencys_person_is_refused_without_being_named(client, org, how):
    client.force_login(org.leader)
    fields = {"delegate": "outsider"} if how == "typed" else {"delegate": "", "delegate_id": str(org.outsider_leader.pk)}
    response = post(client, **fields)
    text = response.content.decode()
    assert response.status_code == 400 and Delegation.objects.count() == 0
    assert "没有找到可以受托的人员" in text and "不能跨单位委托，受托人须是测试县行政审批局本级的人员" in text
    assert "吴经办" not in text and "郑局长" not in text and "outsider_leader" not in text


def test_oneself_a_stopped_account_and_nobody_are_refused_in_chinese(client, org, deputy):
    client.force_login(org.leader)
    text = post(client, delegate="agency_leader").content.decode()
    assert "不能委托给自己。" in text
    person_deactivate(user=deputy, by=make_user("root", is_superuser=True))
    text = post(client, delegate_id=str(deputy.pk), delegate="刘洋（deputy）").content.decode()
    assert "刘洋的账号已停用，不能受托。" in text
    assert "请填写受托人。" in post(client).content.decode()
    assert "没有找到可以受托的人员“没有这个人”" in post(client, delegate="没有这个人").content.decode()
    assert Delegation.objects.count() == 0


def test_a_superuser_is_not_offered_nor_accepted(client, org):
    root = make_user("root", is_superuser=True)
    role_grant(user=root, role=roles.STAFF, scope=org.office)
    client.force_login(org.leader)
    assert "root" not in found(client)
    assert "没有找到可以受托的人员“root”" in post(client, delegate="root").content.decode()
    assert Delegation.objects.count() == 0


def test_a_staff_member_sets_only_their_own(client, org, deputy):
    """Without administration the 委托人 is oneself: no picker, and another principal is refused."""
    client.force_login(org.owner)
    page = client.get(PAGE).content.decode()
    assert 'name="principal_query"' not in page and f'name="principal" value="{org.owner.pk}"' in page
    response = post(client, principal=str(org.leader.pk), delegate="deputy")
    assert response.status_code == 400 and "只能为自己，或作为单位管理员为本单位人员设置委托" in response.content.decode()
    assert client.get(CANDIDATES, {"principal": org.leader.pk}).status_code == 404
    assert found(client, PRINCIPALS) == ["owner"]
    assert Delegation.objects.count() == 0


def test_the_administrator_picks_the_principal_among_the_agencys_people(client, org, deputy, admin_of):
    crowd(org, 30)
    client.force_login(admin_of)
    page = client.get(PAGE).content.decode()
    assert 'name="principal_query"' in page and "crowd_0" not in page
    assert found(client, PRINCIPALS)[0] == "org_admin" and len(found(client, PRINCIPALS)) == 20
    assert found(client, PRINCIPALS, q="赵局长") == ["agency_leader"]
    assert found(client, PRINCIPALS, q="outsider") == [] and found(client, PRINCIPALS, q="钱审核") == []
    # the 受托人 of the chosen principal
    assert found(client, principal=org.leader.pk, q="刘洋") == ["deputy"]
    assert found(client, principal=org.leader.pk, q="赵局长") == []
    assert client.get(CANDIDATES, {"principal": org.outsider_leader.pk}).status_code == 404
    response = post(client, principal=str(org.leader.pk), principal_query="赵局长（agency_leader）", delegate_id=str(deputy.pk))
    assert response.status_code == 302
    assert Delegation.objects.get().principal == org.leader
    # another agency's leader, by id or typed: not found
    for fields in ({"principal": str(org.outsider_leader.pk)}, {"principal_query": "outsider_leader"}):
        text = post(client, delegate="deputy", **fields).content.decode()
        assert "没有找到可以为其设置委托的人员" in text and "郑局长" not in text


def test_the_anonymous_user_is_sent_to_sign_in(client):
    for url in (PAGE, CANDIDATES, PRINCIPALS):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("forged", ["abc", "-1", "99999999999999999999999", "0"])
def test_a_malformed_or_unknown_id_is_not_found(client, org, deputy, admin_of, forged):
    client.force_login(admin_of)
    text = post(client, principal=forged, delegate="deputy").content.decode()
    assert "没有找到可以为其设置委托的人员" in text
    client.force_login(org.leader)
    response = post(client, delegate_id=forged)
    assert response.status_code == 400 and "没有找到可以受托的人员：" in response.content.decode()
    assert client.get(CANDIDATES, {"principal": forged}).status_code == 404
    assert Delegation.objects.count() == 0
