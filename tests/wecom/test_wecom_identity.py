"""A WeCom id is a sign-in identity: nobody can move someone's id and then sign in or approve as them.

The attack of the issue, on the demo agency 483001: its 单位管理员 郑丽 (unit_admin, WeCom id ``zhengli``, which
she has used to sign in) clears her own id, sets the id of 局领导 张建国 (leader, ``zhangjianguo``) to ``zhengli``,
signs in from WeCom and approves as 张建国. Each step fails; what an administrator may still do is only a request
that the person confirms from inside WeCom signed in with that very id, and for someone holding review tasks
only after a second administrator confirms it. The person is told at every step.
"""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

import httpx
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

from notifications.models import Channel, Kind, Notification, Preference
from people import roles
from people.services import role_grant
from projects.models import SheetState
from tests.refusals import refused
from wecom import services
from wecom.models import AccountChange, IdChangeRequest, UsedWeComId

AGENCY = "483001"
ACCOUNTS = f"/wecom/accounts/{AGENCY}/"


# ---------------------------------------------------------------- helpers


def through_wecom(client, wecom_app, start_response, as_userid: str):
    """Follow our redirect to WeCom's authorize page, signed in to WeCom as ``as_userid``, and back to our door."""
    assert start_response.status_code == 302, start_response.status_code
    wecom_app.current_user = as_userid
    answer = httpx.get(start_response["Location"].split("#", 1)[0], follow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    return client.get(f"{back.path}?{back.query}")


def wecom_signin(client, wecom_app, as_userid: str, next_path: str = "/tasks/"):
    return through_wecom(client, wecom_app, client.get("/wecom/signin/", {"next": next_path}), as_userid)


def signed_in_as(client):
    pk = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=pk) if pk else None


def wecom_id(user) -> str:
    return Preference.objects.filter(user=user).values_list("wecom_userid", flat=True).first() or ""


def notices(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=Kind.ACCOUNT, channel=Channel.IN_APP).order_by("id"))


def page_messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def set_id(client, person, userid):
    return client.post(f"{ACCOUNTS}set/", {"person": person.pk, "wecom_userid": userid}, follow=True)


def state_of_ids():
    """Everything a refused change must leave alone."""
    return (
        sorted(Preference.objects.values_list("user_id", "wecom_userid")),
        sorted(IdChangeRequest.objects.values_list("pk", "status")),
    )


@pytest.fixture
def demo_wecom(people, wecom_app):
    """郑丽 and 张建国 have WeCom ids (set before this test) and are members of the fake corp; 郑丽 has signed in
    from WeCom once with hers."""
    for user, userid in ((people.unit_admin, "zhengli"), (people.leader, "zhangjianguo"), (people.leader2, "liuyang")):
        Preference.objects.update_or_create(user=user, defaults={"wecom_userid": userid})
    wecom_app.users.update({"zhengli", "zhangjianguo", "liuyang", "zl.spare"})
    phone = Client()
    assert signed_in_as(phone) is None
    wecom_signin(phone, wecom_app, "zhengli")
    assert signed_in_as(phone) == people.unit_admin
    return wecom_app


@pytest.fixture
def at_leader(sheet, to_state):
    """Sheet 3 waiting for 局领导审批: 张建国 and 刘洋 hold an open review task."""
    return to_state(sheet, SheetState.LEADER_REVIEW)


@pytest.fixture
def admin_browser(people):
    client = Client()
    client.force_login(people.unit_admin)
    return client


@pytest.fixture
def second_admin(people):
    """Another 单位管理员 of 483001."""
    user = get_user_model().objects.create_user("unit_admin2", password="pw", last_name="钱", first_name="二")
    role_grant(user=user, role=roles.AGENCY_ADMIN, scope=_agency())
    return user


def _agency():
    from projects.models import Agency

    return Agency.objects.get(code=AGENCY)


# ---------------------------------------------------------------- the attack of the issue, step by step


def test_the_administrators_attack_fails_at_every_step(people, demo_wecom, at_leader, admin_browser):
    leader_notices = len(notices(people.leader))

    # 1. she clears her own id: allowed (it only takes sign-in away from her), recorded, and she is told
    response = set_id(admin_browser, people.unit_admin, "")
    assert "已清除郑丽的企业微信账号" in page_messages(response)
    assert wecom_id(people.unit_admin) == ""
    assert AccountChange.objects.filter(person=people.unit_admin, kind="clear", old="zhengli").exists()

    # 2. she gives the leader her own id: refused, it signed her in before; nothing changes
    before = state_of_ids()
    response = set_id(admin_browser, people.leader, "ZhengLi")
    assert "企业微信账号“ZhengLi”曾是郑丽的企业微信账号（可以其身份登录和办理），不能关联给其他人员。" in page_messages(response)
    assert state_of_ids() == before
    assert wecom_id(people.leader) == "zhangjianguo"

    # 2b. an id of hers never used here: the leader holds a review task, so it waits for a second administrator
    response = set_id(admin_browser, people.leader, "zl.spare")
    assert "张建国有待办审核事项：更改其企业微信账号须由另一位管理员确认" in page_messages(response)
    assert wecom_id(people.leader) == "zhangjianguo"
    request = IdChangeRequest.objects.get(person=people.leader)
    assert (request.status, request.new, request.requested_by) == ("awaiting_admin", "zl.spare", people.unit_admin)
    # …and she cannot be that second administrator
    with refused(400, match="不能确认自己提交的申请"):
        services.wecom_request_approve(by=people.unit_admin, agency=_agency(), request_id=request.pk)
    assert admin_browser.post(f"{ACCOUNTS}requests/{request.pk}/approve/").status_code == 302
    request.refresh_from_db()
    assert request.status == "awaiting_admin"
    # the leader has been told, with what to do if he did not know
    told = notices(people.leader)[leader_notices:]
    assert [n.title for n in told] == ["您的企业微信账号变更申请待审核"]
    assert "郑丽" in told[0].body and "“zl.spare”" in told[0].body and "请不要确认" in told[0].body

    # 3. she signs in from WeCom with either id: nobody is signed in
    for userid in ("zhengli", "zl.spare"):
        phone = Client()
        response = wecom_signin(phone, demo_wecom, userid)
        assert response.status_code == 403 and "企业微信账号未关联本系统账号" in response.content.decode()
        assert signed_in_as(phone) is None

        # 4. …so she cannot approve as 张建国: the leader's sheet waits for him as before
        response = phone.post(f"/sheets/{at_leader.pk}/approve/", {"version": at_leader.version})
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    at_leader.refresh_from_db()
    assert at_leader.state == SheetState.LEADER_REVIEW
    assert not at_leader.events.filter(action="approve", actor=people.leader).exists()

    # the leader's own WeCom id still signs him in
    phone = Client()
    wecom_signin(phone, demo_wecom, "zhangjianguo")
    assert signed_in_as(phone) == people.leader


def test_without_review_tasks_her_id_still_needs_the_leaders_own_confirmation_in_wecom(people, demo_wecom, admin_browser):
    """Her id, never used to sign in here: the request waits for 张建国, who can only confirm it signed in to WeCom as it."""
    set_id(admin_browser, people.unit_admin, "")
    UsedWeComId.objects.filter(userid="zhengli").delete()  # as if she had never signed in from WeCom, nor had it

    response = set_id(admin_browser, people.leader, "zhengli")

    assert "须由本人在企业微信中确认后才生效" in page_messages(response)
    request = IdChangeRequest.objects.get(person=people.leader, status="awaiting_person")
    assert wecom_id(people.leader) == "zhangjianguo"
    # the pending id signs no one in
    phone = Client()
    assert wecom_signin(phone, demo_wecom, "zhengli").status_code == 403
    assert signed_in_as(phone) is None
    # she cannot confirm it for him
    assert admin_browser.get(f"/wecom/binding/{request.pk}/confirm/").status_code == 404
    with refused(404):
        services.wecom_binding_confirm(user=people.unit_admin, request_id=request.pk, proven_userid="zhengli")
    # he confirms on his own phone: WeCom says he is zhangjianguo, not zhengli, and nothing changes
    leader = Client()
    leader.force_login(people.leader)
    response = through_wecom(leader, demo_wecom, leader.get(f"/wecom/binding/{request.pk}/confirm/"), "zhangjianguo")
    assert response.status_code == 302 and response["Location"] == "/wecom/binding/"
    page = leader.get("/wecom/binding/")
    assert "企业微信确认您当前登录的账号是“zhangjianguo”，不是待确认的“zhengli”：变更没有生效。" in page_messages(page)
    assert wecom_id(people.leader) == "zhangjianguo"
    assert signed_in_as(leader) == people.leader  # the round trip signs nobody in or out
    request.refresh_from_db()
    assert request.status == "awaiting_person"
    # and he declines it; she is told
    leader.post(f"/wecom/binding/{request.pk}/decline/")
    request.refresh_from_db()
    assert request.status == "declined"
    assert notices(people.unit_admin)[-1].title == "企业微信账号变更被拒绝：张建国"


# ---------------------------------------------------------------- what legitimately works


def test_a_person_confirms_a_new_id_from_wecom_and_then_signs_in_with_it(people, demo_wecom, admin_browser):
    demo_wecom.users.add("zjg.new")
    set_id(admin_browser, people.leader, "zjg.new")
    request = IdChangeRequest.objects.get(person=people.leader, status="awaiting_person")
    assert [n.title for n in notices(people.leader)] == ["请确认您的企业微信账号"]
    assert notices(people.leader)[0].url.endswith("/wecom/binding/")

    leader = Client()
    leader.force_login(people.leader)
    page = leader.get("/wecom/binding/").content.decode()
    assert "zjg.new" in page and "在企业微信中确认" in page
    response = through_wecom(leader, demo_wecom, leader.get(f"/wecom/binding/{request.pk}/confirm/"), "zjg.new")

    assert response["Location"] == "/wecom/binding/"
    assert "企业微信账号“zjg.new”已生效" in page_messages(leader.get("/wecom/binding/"))
    assert wecom_id(people.leader) == "zjg.new"
    assert UsedWeComId.objects.filter(userid="zjg.new", person=people.leader, how="confirm").exists()
    change = AccountChange.objects.filter(person=people.leader).latest("id")
    assert (change.kind, change.old, change.new, change.by, change.request) == ("confirm", "zhangjianguo", "zjg.new", people.leader, request)
    assert [n.title for n in notices(people.leader)] == ["请确认您的企业微信账号", "企业微信账号已生效"]
    phone = Client()
    wecom_signin(phone, demo_wecom, "zjg.new")
    assert signed_in_as(phone) == people.leader
    # the old id no longer signs him in, and can no longer be bound to anyone else by an administrator
    phone = Client()
    assert wecom_signin(phone, demo_wecom, "zhangjianguo").status_code == 403
    with refused(400, match="曾是张建国的企业微信账号"):
        services.wecom_account_set(by=people.unit_admin, agency=_agency(), user=people.staff_ggzy, userid="zhangjianguo")


def test_a_second_administrator_lets_the_change_go_on_to_the_person(people, demo_wecom, at_leader, admin_browser, second_admin):
    set_id(admin_browser, people.leader, "zl.spare")
    request = IdChangeRequest.objects.get(person=people.leader)
    assert [n.title for n in notices(second_admin)] == ["企业微信账号变更待您确认：张建国"]
    assert notices(people.unit_admin) == []  # the requester is not asked to confirm her own request

    other = Client()
    other.force_login(second_admin)
    page = other.get(ACCOUNTS).content.decode()
    assert f'action="{ACCOUNTS}requests/{request.pk}/approve/"' in page
    assert f'action="{ACCOUNTS}requests/{request.pk}/approve/"' not in admin_browser.get(ACCOUNTS).content.decode()
    response = other.post(f"{ACCOUNTS}requests/{request.pk}/approve/", follow=True)

    assert "已确认张建国的企业微信账号变更申请" in page_messages(response)
    request.refresh_from_db()
    assert (request.status, request.approved_by) == ("awaiting_person", second_admin)
    assert wecom_id(people.leader) == "zhangjianguo"  # still his own until he confirms
    assert notices(people.leader)[-1].title == "请确认您的企业微信账号"


def test_clearing_the_id_of_someone_holding_tasks_also_needs_a_second_administrator(people, demo_wecom, at_leader, admin_browser, second_admin):
    set_id(admin_browser, people.leader, "")
    assert wecom_id(people.leader) == "zhangjianguo"
    request = IdChangeRequest.objects.get(person=people.leader, status="awaiting_admin")

    services.wecom_request_approve(by=second_admin, agency=_agency(), request_id=request.pk)

    assert wecom_id(people.leader) == ""
    assert notices(people.leader)[-1].title == "您的企业微信账号已清除"
    change = AccountChange.objects.filter(person=people.leader).latest("id")
    assert (change.kind, change.old, change.by) == ("clear", "zhangjianguo", second_admin)


def test_the_person_cannot_be_their_own_second_administrator(people, demo_wecom, at_leader, second_admin):
    """The person holding two roles: 局领导 with a review task and 单位管理员 as well."""
    role_grant(user=people.leader, role=roles.AGENCY_ADMIN, scope=_agency())
    outcome = services.wecom_account_set(by=second_admin, agency=_agency(), user=people.leader, userid="zl.spare")
    assert outcome.status == "awaiting_admin"
    before = state_of_ids()
    with refused(400, match="不能确认更改自己企业微信账号的申请"):
        services.wecom_request_approve(by=people.leader, agency=_agency(), request_id=outcome.request.pk)
    assert state_of_ids() == before


def test_an_administrator_holding_a_review_task_cannot_move_her_own_id_alone(people, demo_wecom, at_leader, second_admin):
    """The person holding two roles: 单位管理员 and 局领导. Her own id change waits for another administrator."""
    role_grant(user=people.unit_admin, role=roles.LEADER, scope=_agency())
    outcome = services.wecom_account_set(by=people.unit_admin, agency=_agency(), user=people.unit_admin, userid="zl.spare")
    assert outcome.status == "awaiting_admin"
    assert wecom_id(people.unit_admin) == "zhengli"
    with refused(400):
        services.wecom_request_approve(by=people.unit_admin, agency=_agency(), request_id=outcome.request.pk)


def test_someone_who_also_works_elsewhere_is_reached_by_a_superuser_only(people, demo_wecom, admin_browser):
    """The person holding two roles in two agencies: the agency administrator cannot move their identity."""
    role_grant(user=people.leader, role=roles.STAFF, scope=people.other_section)
    before = state_of_ids()
    assert set_id(admin_browser, people.leader, "zl.spare").status_code == 403
    assert state_of_ids() == before
    assert 'aria-label="张建国的企业微信账号"' not in admin_browser.get(ACCOUNTS).content.decode()

    outcome = services.wecom_account_set(by=people.admin, agency=_agency(), user=people.leader, userid="zjg.other")
    assert outcome.status == "set" and wecom_id(people.leader) == "zjg.other"
    assert notices(people.leader)[-1].title == "您的企业微信账号已更改"
    assert "“zhangjianguo”改为“zjg.other”" in notices(people.leader)[-1].body


# ---------------------------------------------------------------- who else may not


def test_another_agencys_administrator_reaches_nothing(people, demo_wecom, at_leader, admin_browser):
    set_id(admin_browser, people.leader, "zl.spare")
    request = IdChangeRequest.objects.get(person=people.leader)
    outsider = get_user_model().objects.create_user("other_admin", password="pw")
    role_grant(user=outsider, role=roles.AGENCY_ADMIN, scope=people.other_agency)
    client = Client()
    client.force_login(outsider)
    before = state_of_ids()

    assert client.get(ACCOUNTS).status_code == 404
    assert set_id(client, people.leader, "other.wx").status_code == 404
    assert client.post(f"{ACCOUNTS}requests/{request.pk}/approve/").status_code == 404
    assert client.post(f"{ACCOUNTS}requests/{request.pk}/cancel/").status_code == 404
    # nor through its own agency's page
    assert client.post(f"/wecom/accounts/{people.other_agency.code}/requests/{request.pk}/approve/").status_code == 404
    assert client.get(f"/wecom/binding/{request.pk}/confirm/").status_code == 404
    assert client.post(f"/wecom/binding/{request.pk}/decline/").status_code == 404
    assert state_of_ids() == before


def test_anonymous_reaches_nothing(people, demo_wecom, at_leader, admin_browser):
    set_id(admin_browser, people.leader, "zl.spare")
    request = IdChangeRequest.objects.get(person=people.leader)
    before = state_of_ids()
    client = Client()
    for url in (f"{ACCOUNTS}set/", f"{ACCOUNTS}requests/{request.pk}/approve/", f"{ACCOUNTS}requests/{request.pk}/cancel/",
                f"/wecom/binding/{request.pk}/decline/"):
        response = client.post(url, {"person": people.leader.pk, "wecom_userid": "zl.spare"})
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    for url in ("/wecom/binding/", f"/wecom/binding/{request.pk}/confirm/"):
        assert client.get(url)["Location"].startswith("/login/"), url
    assert state_of_ids() == before


def test_the_django_admin_shows_the_id_read_only(people, demo_wecom):
    client = Client()
    client.force_login(people.admin)
    preference = Preference.objects.get(user=people.leader)
    url = f"/admin/notifications/preference/{preference.pk}/change/"
    assert 'name="wecom_userid"' not in client.get(url).content.decode()

    client.post(url, {"user": people.leader.pk, "wecom_userid": "zhengli", "email_enabled": "on", "wecom_enabled": "on"})

    assert wecom_id(people.leader) == "zhangjianguo"
    assert client.get("/admin/wecom/usedwecomid/add/").status_code == 403
    assert client.get("/admin/wecom/idchangerequest/add/").status_code == 403


def test_a_card_tap_from_an_id_waiting_for_confirmation_approves_nothing(org, leader_card, wecom_app):
    """The WeCom card door: a request to move the leader's id to an administrator's phone does not let that phone's
    tap count as the leader's, and a tap of the leader's own id is remembered as his."""
    admin = get_user_model().objects.create_user("office_admin", password="pw", first_name="郑管理")
    role_grant(user=admin, role=roles.AGENCY_ADMIN, scope=org.agency)
    wecom_app.users.add("admin.phone")
    sheet, card = leader_card()
    Preference.objects.filter(user=org.leader).update(wecom_userid="")  # as if cleared: no conflict left to refuse
    outcome = services.wecom_account_set(by=admin, agency=org.agency, user=org.leader, userid="admin.phone")
    assert outcome.status in ("awaiting_person", "awaiting_admin")

    answer = services.card_tap(task_id=card.task_id, event_key="approve", userid="admin.phone")

    assert answer.text == services.NOT_YOURS and not answer.approved
    sheet.refresh_from_db()
    assert sheet.state == SheetState.LEADER_REVIEW


def test_a_sign_in_is_remembered_and_an_old_binding_counts_as_used(people, demo_wecom):
    assert UsedWeComId.objects.filter(userid="zhengli", person=people.unit_admin, how="signin").exists()
    # a binding made before the record existed (or by hand) counts as used after the migration's backfill
    Preference.objects.update_or_create(user=people.staff_xy, defaults={"wecom_userid": "ZhaoMin"})
    backfill = importlib.import_module("wecom.migrations.0003_used_ids_from_bindings").backfill
    backfill(apps, None)
    assert UsedWeComId.objects.filter(userid="zhaomin", person=people.staff_xy, how="bound").exists()
    Preference.objects.filter(user=people.staff_xy).update(wecom_userid="")
    with refused(400, match="曾是赵敏的企业微信账号"):
        services.wecom_account_set(by=people.unit_admin, agency=_agency(), user=people.staff_ggzy, userid="zhaomin")
