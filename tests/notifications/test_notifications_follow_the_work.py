"""A notification about a task is settled when anyone handles the task; a return tells this round's approvers;
people are named 姓名 (family name first, no space), never by user name."""

from django.contrib.auth import get_user_model
from django.test import Client

from notifications.models import Channel, Kind, Notification
from people import roles
from people.services import role_grant
from tests.support import make_user
from workflow import services


def in_app(user, **filters):
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, **filters).order_by("id")


def unread(user):
    return in_app(user, read_at__isnull=True).count()


def second_head(org):
    other = make_user("office_head2", first_name="二科长")
    role_grant(user=other, role=roles.SECTION_HEAD, scope=org.office)
    return other


def test_approval_by_one_head_settles_the_submit_notification_of_every_head(org, make_sheet):
    other = second_head(org)
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    assert unread(org.head) == 1 and unread(other) == 1

    services.document_approve(document=sheet, user=org.head)

    for head in (org.head, other):
        [note] = in_app(head)
        assert note.kind == Kind.SUBMIT and note.is_read and note.is_handled
    # the leader's new task is not settled by the move that created it
    [task] = in_app(org.leader)
    assert task.kind == Kind.APPROVE and not task.is_read and not task.is_handled


def test_return_withdraw_and_reassign_settle_the_review_task_too(org, make_sheet):
    other = second_head(org)
    returned, withdrawn, reassigned = make_sheet(), make_sheet(), make_sheet()
    for sheet in (returned, withdrawn, reassigned):
        services.document_submit(document=sheet, user=org.owner)

    services.document_return(document=returned, user=org.head, comment="请补充依据")
    services.document_withdraw(document=withdrawn, user=org.owner)
    services.task_reassign(document=reassigned, user=org.head, to_user=other, comment="请代为审核")

    for sheet in (returned, withdrawn, reassigned):
        for head in (org.head, other):
            assert in_app(head, sheet=sheet, kind=Kind.SUBMIT).get().is_handled, (sheet, head)
    # the reassignment itself is a new, open task for the one it went to
    [new_task] = in_app(other, sheet=reassigned, kind=Kind.REASSIGN)
    assert not new_task.is_read and not new_task.is_handled
    assert "李科长" in new_task.body and "office_head" not in new_task.body


def test_the_leaders_unread_count_goes_to_zero_when_the_work_is_done(org, make_sheet):
    """The issue's leader had 待办 0 but 通知 10: after they approve, nothing they were asked to do stays unread."""
    sheets = [make_sheet() for _ in range(3)]
    for sheet in sheets:
        services.document_submit(document=sheet, user=org.owner)
        services.document_approve(document=sheet, user=org.head)
    assert unread(org.leader) == 3
    for sheet in sheets:
        services.document_approve(document=sheet, user=org.leader)
    assert unread(org.leader) == 0
    client = Client()
    client.force_login(org.leader)
    page = client.get("/notifications/").content.decode()
    assert page.count('data-testid="handled"') == 3


def test_resubmission_settles_the_drafters_return_notification(org, make_sheet):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_return(document=sheet, user=org.head, comment="请补充依据")
    [note] = in_app(org.owner, kind=Kind.RETURN)
    assert not note.is_handled
    services.document_submit(document=sheet, user=org.owner, comment="已补充依据")
    note.refresh_from_db()
    assert note.is_handled and note.is_read


def test_a_return_by_finance_tells_the_drafter_and_this_rounds_approvers(org, make_sheet):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    services.document_approve(document=sheet, user=org.leader)

    services.document_return(document=sheet, user=org.finance, comment="成本指标请细化")

    told = set(Notification.objects.filter(sheet=sheet, kind=Kind.RETURN, channel=Channel.IN_APP).values_list("recipient__username", flat=True))
    assert told == {"owner", "office_head", "agency_leader"}
    body = in_app(org.leader, kind=Kind.RETURN).get().body
    assert "钱审核" in body and "成本指标请细化" in body and "agency_finance" not in body


def test_a_return_tells_only_the_approvers_of_this_round(org, make_sheet):
    """An approval of an earlier round (before the last submission) does not count."""
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    services.document_return(document=sheet, user=org.leader, comment="第一轮退回")
    services.document_submit(document=sheet, user=org.owner, comment="已按意见修改")

    services.document_return(document=sheet, user=org.head, comment="第二轮退回")

    second = Notification.objects.filter(sheet=sheet, kind=Kind.RETURN, channel=Channel.IN_APP, body__contains="第二轮退回")
    assert set(second.values_list("recipient__username", flat=True)) == {"owner"}


def test_names_are_chinese_order_without_space_and_never_user_names(org, make_sheet):
    User = get_user_model()
    zhang = User.objects.create_user(username="zhang_leader", password="pw", last_name="张", first_name="建国")
    role_grant(user=zhang, role=roles.LEADER, scope=org.agency)
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    services.task_reassign(document=sheet, user=org.leader, to_user=zhang, comment="请张局长审核")
    services.document_return(document=sheet, user=zhang, comment="请修改")

    bodies = " ".join(Notification.objects.filter(sheet=sheet).values_list("body", flat=True))
    assert "张建国" in bodies
    assert "建国 张" not in bodies and "zhang_leader" not in bodies and "agency_leader" not in bodies

    client = Client()
    client.force_login(org.owner)
    page = client.get(f"/sheets/{sheet.pk}/").content.decode()
    assert "张建国" in page and "建国 张" not in page and "zhang_leader" not in page


def test_the_reassign_choices_and_message_name_people_not_accounts(org, make_sheet):
    other = second_head(org)
    other.last_name, other.first_name = "钱", "二科"
    other.save()
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    client = Client()
    client.force_login(org.head)
    page = client.get(f"/sheets/{sheet.pk}/").content.decode()
    assert ">钱二科<" in page and "office_head2" not in page
    response = client.post(
        f"/sheets/{sheet.pk}/reassign/", {"user": other.pk, "comment": "请代审", "version": sheet.version}, follow=True
    )
    assert "已转办给钱二科。" in response.content.decode()
