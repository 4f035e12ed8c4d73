"""委托 over the API (``/api/delegations/``) and on its page (``/people/delegations/``): set, list, cancel; the other
section, the other agency and the anonymous user refused."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from people import roles
from people.models import Delegation
from people.services import role_grant
from tests.support import make_user

API = "/api/delegations/"


@pytest.fixture
def deputy(org):
    user = make_user("deputy", last_name="刘", first_name="洋")
    role_grant(user=user, role=roles.SECTION_HEAD, scope=org.business)
    return user


def days(n: int) -> str:
    return f"{timezone.localdate() + datetime.timedelta(days=n):%Y-%m-%d}"


def test_the_leader_sets_lists_and_cancels_a_delegation(client, org, deputy):
    client.force_login(org.leader)

    made = client.post(API, {"delegate": "deputy", "start": days(0), "end": days(4), "reason": "休假"}, content_type="application/json")

    assert made.status_code == 201, made.content
    body = made.json()
    assert body["text"] == "刘洋 代 赵局长" and body["status"] == "active" and body["principal"] == "agency_leader"
    # a date ends at the end of that day (local time)
    assert timezone.localtime(Delegation.objects.get().end).date() == timezone.localdate() + datetime.timedelta(days=5)
    assert [row["id"] for row in client.get(API).json()] == [body["id"]]
    client.force_login(deputy)
    assert [row["text"] for row in client.get(API).json()] == ["刘洋 代 赵局长"]  # the delegate reads it too

    client.force_login(org.leader)
    assert client.delete(f"{API}{body['id']}/").status_code == 204
    assert client.get(API).json()[0]["status"] == "cancelled"
    assert client.delete(f"{API}{body['id']}/").status_code == 409


def test_refusals_come_back_in_chinese_and_write_nothing(client, org, deputy):
    client.force_login(org.leader)
    cases = [
        ({"delegate": "agency_leader"}, 400, "不能委托给自己。"),
        ({"delegate": "outsider_leader"}, 400, "不能跨单位委托"),
        ({"delegate": "nobody_here"}, 400, "没有找到受托人"),
        ({"delegate": "deputy", "start": "明天"}, 400, "开始时间的格式"),
        ({"delegate": "deputy", "reason": ""}, 400, "请填写委托原因"),
    ]
    for changes, status, words in cases:
        data = {"start": days(0), "end": days(2), "reason": "休假", **changes}
        response = client.post(API, data, content_type="application/json")
        assert response.status_code == status, (changes, response.content)
        assert words in response.content.decode(), (changes, response.content.decode())
    assert Delegation.objects.count() == 0


def test_the_anonymous_user_is_refused(client):
    assert client.get(API).status_code in (401, 403)
    assert client.post(API, {"delegate": "deputy"}, content_type="application/json").status_code in (401, 403)


@pytest.mark.parametrize("who", ["colleague", "outsider_leader"])
def test_the_other_section_and_the_other_agency_neither_set_nor_see_nor_cancel_it(client, org, deputy, who):
    client.force_login(org.leader)
    made = client.post(API, {"delegate": "deputy", "start": days(0), "end": days(2), "reason": "休假"}, content_type="application/json").json()
    client.force_login(getattr(org, who))

    assert client.get(API).json() == []
    assert client.delete(f"{API}{made['id']}/").status_code == 404
    response = client.post(API, {"principal": "agency_leader", "delegate": "deputy", "start": days(3), "end": days(5), "reason": "x"},
                           content_type="application/json")
    assert response.status_code == 404
    assert Delegation.objects.filter(cancelled__isnull=True).count() == 1


def test_the_agency_administrator_sets_it_for_a_person_of_the_agency(client, org, deputy):
    admin = make_user("org_admin", first_name="郑管理")
    role_grant(user=admin, role=roles.AGENCY_ADMIN, scope=org.agency)
    client.force_login(admin)

    response = client.post(API, {"principal": "agency_leader", "delegate": "deputy", "start": days(1), "end": days(3), "reason": "病假"},
                           content_type="application/json")

    assert response.status_code == 201 and response.json()["status"] == "scheduled" and response.json()["created_by"] == "org_admin"


def test_the_schema_describes_the_delegations(client, org):
    client.force_login(org.leader)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/delegations/" in schema and "/api/delegations/{id}/" in schema


def test_the_page_sets_and_cancels_a_delegation(client, org, deputy):
    client.force_login(org.leader)
    page = client.get("/people/delegations/")
    assert page.status_code == 200 and "设置委托" in page.content.decode()
    assert "deputy" not in page.content.decode()  # searched (the 受托人 type-ahead), never listed
    assert [p["username"] for p in client.get("/people/delegations/candidates/", {"q": "刘"}).json()["results"]] == ["deputy"]

    response = client.post("/people/delegations/", {"principal": str(org.leader.pk), "delegate": "deputy", "start": days(0),
                                                    "end": days(2), "reason": "休假"}, follow=True)
    text = response.content.decode()
    assert "已设置委托：刘洋 代 赵局长" in text and "生效中" in text
    delegation = Delegation.objects.get()

    response = client.post(f"/people/delegations/{delegation.pk}/cancel/", follow=True)
    assert "已取消委托" in response.content.decode()
    delegation.refresh_from_db()
    assert delegation.cancelled is not None


def test_the_page_shows_a_refusal_as_a_message(client, org):
    client.force_login(org.leader)
    response = client.post("/people/delegations/", {"principal": str(org.leader.pk), "delegate": "outsider", "start": days(0),
                                                    "end": days(2), "reason": "休假"})
    assert response.status_code == 400 and "不能跨单位委托" in response.content.decode()
    assert Delegation.objects.count() == 0


def test_the_page_needs_signing_in(client):
    response = client.get("/people/delegations/")
    assert response.status_code == 302 and "/login/" in response["Location"]
