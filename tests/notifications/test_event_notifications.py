"""Workflow events write outbox rows for the people they concern, in the event's own transaction."""

import pytest

from notifications.models import Channel, Kind, Notification, Status
from tests.support import make_user
from people import roles
from people.services import role_grant
from workflow import services
from tests.refusals import refused


def rows(**filters):
    return Notification.objects.filter(**filters).order_by("id")


def in_app(user):
    return list(rows(recipient=user, channel=Channel.IN_APP))


def test_submit_tells_the_section_head_on_every_channel_they_chose(org, make_sheet, wecom):
    sheet = make_sheet()

    services.document_submit(document=sheet, user=org.owner, comment="请审核")

    personal = rows(recipient=org.head)
    assert sorted(personal.values_list("channel", flat=True)) == [Channel.EMAIL, Channel.IN_APP, Channel.WECOM]
    assert {n.status for n in personal if n.channel != Channel.IN_APP} == {Status.PENDING}
    [note] = in_app(org.head)
    assert note.kind == Kind.SUBMIT and note.status == Status.SENT and note.read_at is None
    assert note.title == f"待科室审核：{sheet.display_title}"
    assert "王经办" in note.body and "提交说明：请审核" in note.body
    assert f"项目编码：{sheet.project.code}" in note.body
    assert "下一步：请打开链接审核" in note.body
    assert note.url == f"http://127.0.0.1:8000/sheets/{sheet.pk}/"
    # nobody else hears about it, and the one who acted is not told about their own action
    assert not rows(recipient=org.owner).exists()
    assert not rows(recipient__in=[org.leader, org.finance, org.colleague, org.colleague_head]).exists()


def test_every_event_also_goes_to_the_sections_group_robot_once(org, make_sheet, wecom):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)

    robot = list(rows(channel=Channel.ROBOT))
    assert [(n.kind, n.recipient) for n in robot] == [(Kind.SUBMIT, None), (Kind.APPROVE, None)]


def test_a_section_without_robot_has_no_robot_rows(org, make_sheet):
    sheet = make_sheet(org.business)
    services.document_submit(document=sheet, user=org.colleague)
    assert not rows(channel=Channel.ROBOT).exists()
    assert [n.recipient for n in rows(channel=Channel.IN_APP)] == [org.colleague_head]


def test_without_a_wecom_application_only_in_app_and_email(org, make_sheet):
    services.document_submit(document=make_sheet(), user=org.owner)
    assert sorted(rows(recipient=org.head).values_list("channel", flat=True)) == [Channel.EMAIL, Channel.IN_APP]


def test_each_approval_goes_to_the_next_steps_reviewers(org, make_sheet):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)

    services.document_approve(document=sheet, user=org.head)
    [to_leader] = in_app(org.leader)
    assert to_leader.title == f"待局领导审批：{sheet.display_title}"
    assert "通过了绩效目标表" in to_leader.body and "等待局领导审批" in to_leader.body
    assert not in_app(org.finance)

    services.document_approve(document=sheet, user=org.leader)
    [to_finance] = in_app(org.finance)
    assert to_finance.title == f"待财政审核：{sheet.display_title}"


def test_publishing_tells_the_sections_staff_and_head_where_to_report_spending(org, make_sheet, publish):
    sheet = publish(make_sheet())

    published = rows(kind=Kind.PUBLISH, channel=Channel.IN_APP)
    assert {n.recipient for n in published} == {org.owner, org.head}
    note = published.first()
    assert note.title == f"已公开：{sheet.display_title}"
    assert "填报累计实际支出" in note.body
    assert note.url == f"http://127.0.0.1:8000/sheets/{sheet.pk}/spending/"


def test_return_tells_the_staff_and_the_reviewers_who_approved_this_round(org, make_sheet):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)

    services.document_return(document=sheet, user=org.leader, comment="满意度指标依据不足，请补充。")

    [note] = [n for n in in_app(org.owner) if n.kind == Kind.RETURN]
    assert "退回意见：满意度指标依据不足，请补充。" in note.body
    assert "在“局领导审批”环节退回" in note.body
    assert "下一步：请按退回意见修改后重新提交；重新提交后从“科室审核”起重新审核。" in note.body
    [told] = [n for n in in_app(org.head) if n.kind == Kind.RETURN]  # the head had approved this round
    assert "退回意见：满意度指标依据不足，请补充。" in told.body
    assert not [n for n in in_app(org.leader) if n.kind == Kind.RETURN]  # never the actor


def test_return_after_a_resubmission_tells_only_this_rounds_approvers(org, make_sheet):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    services.document_return(document=sheet, user=org.leader, comment="第一次退回")
    services.document_submit(document=sheet, user=org.owner, comment="已按退回意见修改")
    services.document_return(document=sheet, user=org.head, comment="第二次退回")

    assert [n.body.count("第二次退回") for n in in_app(org.owner) if n.kind == Kind.RETURN and "第二次" in n.body] == [1]
    assert not [n for n in in_app(org.leader) if "第二次退回" in n.body]  # the leader approved nothing this round


def test_withdraw_tells_the_section_head(org, make_sheet):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_withdraw(document=sheet, user=org.owner)

    assert [n.kind for n in in_app(org.head)] == [Kind.SUBMIT, Kind.WITHDRAW]
    assert not in_app(org.owner)


def test_reassign_tells_only_the_new_reviewer(org, make_sheet):
    second_head = make_user("second_head", first_name="冯科长")
    role_grant(user=second_head, role=roles.SECTION_HEAD, scope=org.office)
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)

    services.task_reassign(document=sheet, user=org.head, to_user=second_head, comment="我出差，请代为审核")

    [note] = [n for n in in_app(second_head) if n.kind == Kind.REASSIGN]
    assert note.title == f"转办给您：{sheet.display_title}" and "转办原因：我出差，请代为审核" in note.body
    assert not [n for n in in_app(org.head) if n.kind == Kind.REASSIGN]


def test_a_refused_move_writes_no_notification(org, make_sheet):
    sheet = make_sheet()
    with refused(403):
        services.document_submit(document=sheet, user=org.colleague)
    assert not Notification.objects.exists()


def test_rows_are_enqueued_only_after_the_event_commits(org, make_sheet, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.document_submit(document=make_sheet(), user=org.owner)
    assert len(callbacks) == 1  # one callback queues every pending row of the event
    # the head's e-mail and the group robot wait for delivery; in-app needs none
    assert sorted(rows(status=Status.PENDING).values_list("channel", flat=True)) == [Channel.EMAIL, Channel.ROBOT]
