"""委托: a leader going on leave sets a delegate for a period; the delegate holds the leader's approval roles for that
period only — read at the moment of each check, no grant is written — and every move made through it is recorded
as "刘洋 代 赵局长" (history, notifications, API). Refusals: oneself, another agency, a finance reviewer's roles to
agency staff, a loop, two delegations of one person at once, someone who may not manage the principal.

The small agency's cast (``org``): 赵局长 (agency_leader) is the 局领导 of 489001; 刘洋 (deputy, made here) is the
科室负责人 of its other section 业务科, with a WeCom id; 王经办 (owner) drafts 办公室's sheets, 李科长 (office_head)
reviews them first.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.errors import AppError
from notifications.models import Channel, Kind, Notification
from notifications.tasks import nudge_reviewers
from people import roles
from people.models import Delegation, RoleChange
from people.roles import display_name
from people.services import delegation_cancel, delegation_set, role_grant
from workflow import permissions, services
from workflow.models import Action
from workflow.selectors import document_history as history, inbox_count, review_tasks, waiting_ids
from tests.support import make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def moment(day: str, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI)


def at(day: str, hour: int = 9, minute: int = 30):
    return time_machine.travel(moment(day, hour, minute), tick=False)


def fresh(user):
    """The user as the next request reads them (the role cache of one request is not carried over)."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def deputy(org):
    """刘洋: 科室负责人 of 业务科 (the same agency as 赵局长), with a WeCom id."""
    user = make_user("deputy", wecom_userid="deputy.wx", last_name="刘", first_name="洋")
    role_grant(user=user, role=roles.SECTION_HEAD, scope=org.business)
    return user


@pytest.fixture
def admin_of(org):
    """The agency's 单位管理员."""
    user = make_user("org_admin", first_name="郑管理")
    role_grant(user=user, role=roles.AGENCY_ADMIN, scope=org.agency)
    return user


def leave(org, deputy, *, by=None, start=None, end=None, reason="休假"):
    now = timezone.now()
    return delegation_set(
        by=by or org.leader, principal=org.leader, delegate=deputy, start=start or now - datetime.timedelta(hours=1),
        end=end or now + datetime.timedelta(days=5), reason=reason,
    )


def at_leader_review(org, make_sheet):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    sheet.refresh_from_db()
    return sheet


# ---------------------------------------------------------------- the delegate acts, recorded as both


def test_the_delegate_approves_the_leaders_step_recorded_as_both(org, make_sheet, deputy):
    sheet = at_leader_review(org, make_sheet)
    assert list(review_tasks(fresh(deputy), type(sheet))) == []  # before the delegation: not theirs

    leave(org, deputy)
    deputy = fresh(deputy)
    assert list(review_tasks(deputy, type(sheet))) == [sheet]
    assert permissions.can_review(deputy, sheet)
    assert not roles.has_direct_grant(deputy, roles.LEADER, org.agency)  # no grant was written

    event = services.document_approve(document=sheet, user=deputy, comment="同意")

    assert event.actor == deputy and event.on_behalf_of == org.leader
    assert event.actor_text == "刘洋 代 赵局长"
    assert [e.actor_text for e in history(sheet) if e.action == Action.APPROVE] == ["李科长", "刘洋 代 赵局长"]
    told = Notification.objects.get(recipient=org.finance, kind=Kind.APPROVE, channel=Channel.IN_APP, sheet=sheet)
    assert "刘洋 代 赵局长于" in told.body


def test_the_principal_can_still_act_and_is_recorded_alone(org, make_sheet, deputy):
    sheet = at_leader_review(org, make_sheet)
    leave(org, deputy)

    event = services.document_approve(document=sheet, user=fresh(org.leader))

    assert event.on_behalf_of is None and event.actor_text == "赵局长"


def test_the_api_history_names_who_acted_for_whom(client, org, make_sheet, deputy):
    sheet = at_leader_review(org, make_sheet)
    leave(org, deputy)
    client.force_login(deputy)

    response = client.post(f"/api/sheets/{sheet.pk}/approve/", {"comment": "同意"}, content_type="application/json")

    assert response.status_code == 200, response.content
    entry = response.json()["event"]
    assert entry["actor"] == "deputy" and entry["on_behalf_of"] == "agency_leader" and entry["actor_text"] == "刘洋 代 赵局长"
    detail = client.get(f"/api/sheets/{sheet.pk}/").json()
    assert detail["history"][-1]["actor_text"] == "刘洋 代 赵局长"


def test_the_page_history_names_both(client, org, make_sheet, deputy):
    sheet = at_leader_review(org, make_sheet)
    leave(org, deputy)
    services.document_approve(document=sheet, user=fresh(deputy))
    client.force_login(org.owner)

    page = client.get(f"/sheets/{sheet.pk}/").content.decode()

    assert "刘洋 代 赵局长" in page


def test_a_step_reassigned_to_the_principal_goes_to_their_delegate_too(org, make_sheet, deputy):
    second = make_user("second_leader", first_name="钱副局长")
    role_grant(user=second, role=roles.LEADER, scope=org.agency)
    sheet = at_leader_review(org, make_sheet)
    services.task_reassign(document=sheet, user=second, to_user=org.leader, comment="请赵局长审批")
    leave(org, deputy)
    deputy = fresh(deputy)

    assert list(review_tasks(deputy, type(sheet))) == [sheet]
    assert list(review_tasks(fresh(second), type(sheet))) == []
    event = services.document_approve(document=sheet, user=deputy)
    assert event.on_behalf_of == org.leader


# ---------------------------------------------------------------- the rules still hold


def test_a_delegate_who_submitted_the_sheet_cannot_approve_it(org, make_sheet):
    """王经办 drafts and submits; 赵局长 delegates to him: he may not approve his own submission (提交与审核分离)."""
    sheet = at_leader_review(org, make_sheet)
    leave(org, org.owner)
    owner = fresh(org.owner)

    assert list(review_tasks(owner, type(sheet))) == []
    with pytest.raises(AppError) as refused:
        services.document_approve(document=sheet, user=owner)
    assert refused.value.status == 403 and refused.value.code == "separation_of_duties"
    sheet.refresh_from_db()
    assert sheet.state == "leader_review"


def test_the_delegation_ends_by_itself(org, make_sheet, deputy):
    sheet = at_leader_review(org, make_sheet)
    with at("2024-06-03"):
        leave(org, deputy, start=moment("2024-06-03"), end=moment("2024-06-05"))
    with at("2024-06-04"):
        assert permissions.can_review(fresh(deputy), sheet)
        assert permissions.can_view(fresh(deputy), sheet)
    with at("2024-06-05", 0, 0):  # the end is not included
        assert not permissions.can_review(fresh(deputy), sheet)
        assert not permissions.can_view(fresh(deputy), sheet)  # 业务科's head does not see 办公室's sheets
        with pytest.raises(AppError) as refused:
            services.document_approve(document=sheet, user=fresh(deputy))
        assert refused.value.status == 403


def test_cancelled_ends_it_at_once(org, make_sheet, deputy):
    sheet = at_leader_review(org, make_sheet)
    delegation = leave(org, deputy)
    delegation_cancel(by=org.leader, delegation_id=delegation.pk)

    assert not permissions.can_review(fresh(deputy), sheet)
    with pytest.raises(AppError) as again:
        delegation_cancel(by=org.leader, delegation_id=delegation.pk)
    assert again.value.status == 409
    assert list(RoleChange.objects.filter(person=org.leader).values_list("kind", flat=True)[:2]) == ["undelegate", "delegate"]


def test_a_delegate_holds_no_administration(org, deputy):
    admin = make_user("admin_leader", first_name="管")
    role_grant(user=admin, role=roles.AGENCY_ADMIN, scope=org.agency)
    role_grant(user=admin, role=roles.LEADER, scope=org.agency)
    delegation_set(by=admin, principal=admin, delegate=deputy, start=timezone.now() - datetime.timedelta(hours=1),
                   end=timezone.now() + datetime.timedelta(days=1), reason="出差")
    deputy = fresh(deputy)

    assert roles.has_role(deputy, roles.LEADER, org.agency)
    assert not roles.can_manage_people(deputy, org.agency)


def test_granting_a_role_held_through_a_delegation_writes_the_grant(org, deputy):
    leave(org, deputy)

    assert role_grant(user=fresh(deputy), role=roles.LEADER, scope=org.agency) is True
    assert roles.has_direct_grant(deputy, roles.LEADER, org.agency)


# ---------------------------------------------------------------- refusals


def refusal(**kwargs) -> AppError:
    with pytest.raises(AppError) as refused:
        delegation_set(**kwargs)
    return refused.value


def window():
    now = timezone.now()
    return {"start": now, "end": now + datetime.timedelta(days=3)}


def test_refused_to_oneself(org):
    error = refusal(by=org.leader, principal=org.leader, delegate=org.leader, reason="休假", **window())
    assert error.status == 400 and error.message == "不能委托给自己。"


def test_refused_across_agencies_without_naming_the_other_agencys_person(org):
    error = refusal(by=org.leader, principal=org.leader, delegate=org.outsider_leader, reason="休假", **window())
    assert error.code == "cross_agency" and error.message == "不能跨单位委托：受托人须是测试县行政审批局本级的人员。"
    assert display_name(org.outsider_leader) not in error.message


def test_refused_finance_roles_to_agency_staff(org, deputy):
    error = refusal(by=org.finance, principal=org.finance, delegate=deputy, reason="休假", **window())
    assert error.code == "finance_to_agency" and "不能委托给单位人员" in error.message


def test_finance_delegates_to_another_finance_reviewer(org, make_sheet):
    other = make_user("other_finance_reviewer", first_name="孙审核")
    role_grant(user=other, role=roles.FINANCE_REVIEWER, scope=org.other_agency)
    sheet = at_leader_review(org, make_sheet)
    services.document_approve(document=sheet, user=org.leader)
    delegation_set(by=org.finance, principal=org.finance, delegate=other, reason="培训", **window())

    event = services.document_approve(document=sheet, user=fresh(other))
    assert event.action == Action.PUBLISH and event.actor_text == "孙审核 代 钱审核"


def test_refused_in_a_loop(org, deputy):
    delegation_set(by=org.leader, principal=org.leader, delegate=deputy, reason="休假", **window())
    error = refusal(by=deputy, principal=deputy, delegate=org.leader, reason="出差", **window())
    assert error.code == "delegation_loop" and "循环" in error.message
    assert Delegation.objects.count() == 1


def test_refused_two_delegates_at_once(org, deputy):
    delegation_set(by=org.leader, principal=org.leader, delegate=deputy, reason="休假", **window())
    error = refusal(by=org.leader, principal=org.leader, delegate=org.head, reason="休假", **window())
    assert error.status == 409 and "同一时间只能委托一人" in error.message


def test_refused_without_a_reason_or_with_the_end_first(org, deputy):
    assert refusal(by=org.leader, principal=org.leader, delegate=deputy, reason=" ", **window()).message == "请填写委托原因。"
    now = timezone.now()
    error = refusal(by=org.leader, principal=org.leader, delegate=deputy, reason="休假", start=now, end=now - datetime.timedelta(days=1))
    assert error.message == "结束时间必须晚于开始时间。"
    assert Delegation.objects.count() == 0


def test_the_agency_administrator_sets_it_for_the_leader(org, deputy, admin_of):
    delegation = delegation_set(by=admin_of, principal=org.leader, delegate=deputy, reason="病假", **window())
    assert delegation.created_by == admin_of
    assert RoleChange.objects.get(kind=RoleChange.Kind.DELEGATE).by == admin_of


@pytest.mark.parametrize("who", ["colleague", "outsider_leader", "other_admin"])
def test_others_may_not_set_it_for_the_leader(org, deputy, who):
    """Another section's staff, another agency's leader, another agency's administrator."""
    if who == "other_admin":
        by = make_user("other_admin")
        role_grant(user=by, role=roles.AGENCY_ADMIN, scope=org.other_agency)
    else:
        by = getattr(org, who)
    error = refusal(by=by, principal=org.leader, delegate=deputy, reason="休假", **window())
    assert error.status == 403
    assert Delegation.objects.count() == 0


# ---------------------------------------------------------------- by the clock: routing follows the delegation


def nudge_on(day: str) -> list:
    before = set(Notification.objects.values_list("pk", flat=True))
    with at(day):
        nudge_reviewers.apply()
    new = Notification.objects.exclude(pk__in=before).filter(channel=Channel.IN_APP).order_by("recipient__username")
    return [(n.recipient.username, n.title.split("：")[0]) for n in new]


def test_a_delegation_that_starts_and_ends_while_the_sheet_waits_routes_it_there_and_back(org, make_sheet, deputy):
    """The sheet reaches 局领导审批 on Monday 2024-06-03; 赵局长 is away Tuesday to Friday (06-04 … 06-07).
    待办, 催办 by the drafter and the daily nudges reach 刘洋 only while the delegation is in force."""
    sheet = make_sheet()
    with at("2024-06-03", 10):
        services.document_submit(document=sheet, user=org.owner)
        services.document_approve(document=sheet, user=org.head)
        delegation_set(by=org.leader, principal=org.leader, delegate=deputy, start=moment("2024-06-04"),
                       end=moment("2024-06-08"), reason="休假")
        assert list(review_tasks(fresh(deputy), type(sheet))) == []  # not yet
    Notification.objects.all().delete()

    with at("2024-06-05", 10):
        assert list(review_tasks(fresh(deputy), type(sheet))) == [sheet]
        services.document_urge(document=sheet, user=fresh(org.owner), comment="请尽快审批")
    urged = Notification.objects.filter(kind=Kind.URGE, channel=Channel.IN_APP).values_list("recipient__username", flat=True)
    assert sorted(urged) == ["agency_leader", "deputy"]  # (the WeCom cards too: tests/wecom/test_delegate_card.py)

    assert nudge_on("2024-06-06") == [("agency_leader", "催办"), ("deputy", "催办")]  # 3 working days: level 1

    with at("2024-06-08", 0, 0):  # Saturday: the delegation has ended
        assert list(review_tasks(fresh(deputy), type(sheet))) == []
        assert list(review_tasks(fresh(org.leader), type(sheet))) == [sheet]
    assert nudge_on("2024-06-11") == [("agency_leader", "再次催办")]  # 5 working days (端午节 06-10): the leader alone

    with at("2024-06-11", 11):
        with pytest.raises(AppError):
            services.document_approve(document=sheet, user=fresh(deputy))
        event = services.document_approve(document=sheet, user=fresh(org.leader))
    assert event.on_behalf_of is None


def test_the_delegates_badge_and_inbox_follow_the_window_from_request_to_request(org, make_sheet, deputy):
    """The badge's count and 待办's read are statements a worker keeps for the user's roles: before, during and after
    赵局长's leave the same worker counts the sheet waiting at 局领导审批 for 刘洋 only during it, and for 赵局长
    throughout."""
    sheet = make_sheet()
    with at("2024-06-03", 10):
        services.document_submit(document=sheet, user=org.owner)
        services.document_approve(document=sheet, user=org.head)
        delegation_set(by=org.leader, principal=org.leader, delegate=deputy, start=moment("2024-06-04"),
                       end=moment("2024-06-08"), reason="休假")
    seen = {}
    for day, hour in (("2024-06-03", 11), ("2024-06-05", 10), ("2024-06-07", 23), ("2024-06-08", 0)):
        with at(day, hour):
            seen[day] = [
                (inbox_count(fresh(person), cap=100), waiting_ids(fresh(person), limit=50))
                for person in (deputy, org.leader)
            ]
    waiting = [(type(sheet), sheet.pk)]
    assert seen == {
        "2024-06-03": [(0, []), (1, waiting)],
        "2024-06-05": [(1, waiting), (1, waiting)],
        "2024-06-07": [(1, waiting), (1, waiting)],
        "2024-06-08": [(0, []), (1, waiting)],
    }


def test_a_delegate_is_not_a_reassignment_target(org, make_sheet, deputy):
    """A step reassigned to someone who holds it only through a delegation would outlive it: refused, and not offered."""
    sheet = at_leader_review(org, make_sheet)
    leave(org, deputy)
    second = make_user("second_leader", first_name="钱副局长")
    role_grant(user=second, role=roles.LEADER, scope=org.agency)

    assert [u.username for u in services.reassign_candidates(sheet, second)] == ["agency_leader"]
    with pytest.raises(AppError) as refused:
        services.task_reassign(document=sheet, user=second, to_user=fresh(deputy), comment="请代审")
    assert refused.value.status == 400 and "不能作为转办对象" in refused.value.message and "赵局长" in refused.value.message


def test_a_delegate_may_not_approve_what_their_principal_submitted(org, make_sheet, deputy):
    """周科长 (colleague_head) is 业务科's 科室负责人 and also drafts as its 经办人: they submit a sheet, then delegate to
    冯 (a 经办人 of 业务科), who now holds 科室负责人 for them — but may not approve, for 周科长, what 周科长 submitted
    (提交与审核分离 holds for the principal). 刘洋, the section's other head, still may."""
    role_grant(user=org.colleague_head, role=roles.STAFF, scope=org.business)
    sheet = make_sheet(org.business)
    services.document_submit(document=sheet, user=fresh(org.colleague_head))
    sheet.refresh_from_db()
    other = make_user("other_deputy", first_name="冯")
    role_grant(user=other, role=roles.STAFF, scope=org.business)
    delegation_set(by=org.colleague_head, principal=org.colleague_head, delegate=other, reason="出差",
                   start=timezone.now() - datetime.timedelta(hours=1), end=timezone.now() + datetime.timedelta(days=1))
    other = fresh(other)

    assert roles.has_role(other, roles.SECTION_HEAD, org.business)  # holds it, for 周科长
    assert list(review_tasks(other, type(sheet))) == []
    with pytest.raises(AppError) as refused:
        services.document_approve(document=sheet, user=other)
    assert refused.value.status == 403 and refused.value.code == "separation_of_duties"
    assert "周科长的受托人" in refused.value.message
    # the section's own head (deputy) still may
    assert list(review_tasks(fresh(deputy), type(sheet))) == [sheet]
