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


# ---------------------------------------------------------------- a page at a time, searched


def _crowd(org, count):
    """``count`` 经办人 of 办公室 named 测试人员<n> (username ``crowd_<nnn>``), each with a WeCom id."""
    for n in range(count):
        person = make_user(f"crowd_{n:03}", wecom_userid=f"crowd{n:03}.wx", last_name="测试", first_name=f"人员{n}")
        role_grant(user=person, role=roles.STAFF, scope=org.office)


def _rows(page: str) -> dict[str, str]:
    """username → the HTML of that person's row."""
    import re

    return dict(re.findall(r'<tr data-testid="wecom-account" data-username="([^"]+)">(.*?)</tr>', page, re.S))


def _link(page: str, rel: str) -> str | None:
    import re

    found = re.search(rf'<a class="button" href="(\?[^"]+)" rel="{rel}">', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_a_big_agency_is_shown_a_page_at_a_time_with_the_same_queries_as_a_small_one(client, org, unit_admin):
    """Page 1 of an agency of 7 people and of one of 127 run the same queries (later pages at most one more); walking
    the pages shows everyone once, each with their id and a form, and 上一页 walks back the same way."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(unit_admin)
    client.get(_url(org))
    with CaptureQueriesContext(connection) as few:
        small = client.get(_url(org)).content.decode()
    assert 'data-testid="pager"' not in small
    _crowd(org, 120)
    IdChangeRequest.objects.create(person=org.leader, agency=org.agency, old="leader.wx", new="zhao", requested_by=unit_admin,
                                   status=IdChangeRequest.Status.AWAITING_PERSON)
    with CaptureQueriesContext(connection) as many:
        first = client.get(_url(org)).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(_rows(first)) == 50 and 'data-testid="pager"' in first and "每页 50 条" in first
    seen, page, link = dict(_rows(first)), first, _link(first, "next")
    while link:
        with CaptureQueriesContext(connection) as later:
            page = client.get(_url(org) + link).content.decode()
        assert len(later.captured_queries) <= len(few.captured_queries) + 1
        assert not set(_rows(page)) & set(seen)
        seen.update(_rows(page))
        link = _link(page, "next")
    assert set(seen) == set(_rows(small)) | {f"crowd_{n:03}" for n in range(120)}
    assert 'value="crowd119.wx"' in seen["crowd_119"] and 'name="wecom_userid"' in seen["crowd_119"]
    assert 'data-status="awaiting_person"' in seen["agency_leader"] and "zhao" in seen["agency_leader"]
    back, link = list(_rows(page)), _link(page, "prev")
    while link:
        page = client.get(_url(org) + link).content.decode()
        back = list(_rows(page)) + back
        link = _link(page, "prev")
    assert back == list(seen)


def test_the_people_are_searched_by_name_or_username_and_never_beyond_the_agency(client, org, unit_admin):
    _crowd(org, 60)
    client.force_login(unit_admin)
    assert set(_rows(client.get(_url(org), {"q": "人员7"}).content.decode())) == {"crowd_007"}
    assert set(_rows(client.get(_url(org), {"q": "CROWD_05"}).content.decode())) == {f"crowd_05{n}" for n in range(10)}
    assert set(_rows(client.get(_url(org), {"q": "赵局长"}).content.decode())) == {"agency_leader"}
    # 吴经办 and 郑局长 work for the other agency: not found here, by name or by username
    for query in ("吴经办", "outsider", "郑局长"):
        page = client.get(_url(org), {"q": query}).content.decode()
        assert not _rows(page) and "没有符合条件的人员。" in page, query
        assert "outsider" not in page.split('data-testid="wecom-accounts"')[1]
    page = client.get(_url(org), {"q": "crowd"}).content.decode()
    assert f'value="crowd"' in page and "清除条件" in page
    link = _link(page, "next")
    assert link and "q=crowd" in link
    assert set(_rows(client.get(_url(org) + link).content.decode())) == {f"crowd_{n:03}" for n in range(50, 60)}


def test_a_change_from_a_searched_page_comes_back_to_it(client, org, unit_admin):
    client.force_login(unit_admin)
    page = client.get(_url(org), {"q": "赵局长"}).content.decode()
    row = _rows(page)["agency_leader"]
    assert '<input type="hidden" name="q" value="赵局长">' in row

    response = client.post(_url(org, "set/"), {"person": org.leader.pk, "wecom_userid": "zhaojuzhang", "q": "赵局长"})

    assert response.status_code == 302 and response["Location"] == _url(org) + "?q=%E8%B5%B5%E5%B1%80%E9%95%BF"
    page = client.get(response["Location"]).content.decode()
    assert set(_rows(page)) == {"agency_leader"} and "已申请将赵局长的企业微信账号设为“zhaojuzhang”" in page
    request = IdChangeRequest.objects.get(person=org.leader)
    response = client.post(_url(org, f"requests/{request.pk}/cancel/"), {"q": "赵局长"})
    assert response["Location"] == _url(org) + "?q=%E8%B5%B5%E5%B1%80%E9%95%BF"


@pytest.mark.parametrize("who", ["anonymous", "head", "leader", "outsider_admin"])
def test_only_the_agencys_administrators_open_the_page(client, org, who):
    if who in ("head", "leader"):
        client.force_login(getattr(org, who))
    elif who == "outsider_admin":
        admin = make_user("other_admin")
        role_grant(user=admin, role=roles.AGENCY_ADMIN, scope=org.other_agency)
        client.force_login(admin)

    response = client.get(_url(org), {"q": "赵局长"})

    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    else:
        assert response.status_code == 404 and 'data-testid="wecom-account"' not in response.content.decode()


def test_the_other_agencys_administrator_sees_only_their_own_people(client, org):
    admin = make_user("other_admin", first_name="钱管理")
    role_grant(user=admin, role=roles.AGENCY_ADMIN, scope=org.other_agency)
    client.force_login(admin)
    page = client.get(_url(org).replace(org.agency.code, org.other_agency.code)).content.decode()
    assert set(_rows(page)) == {"other_admin", "outsider", "outsider_leader"}
    assert not _rows(client.get(f"/wecom/accounts/{org.other_agency.code}/", {"q": "赵局长"}).content.decode())
