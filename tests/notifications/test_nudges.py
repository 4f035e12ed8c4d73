"""催办: a review task waiting more than NUDGE_AFTER_WORKDAYS (2) working days goes to its reviewers; waiting more
than twice as long, also to the agency's leaders; once per task and level. Working days follow the Chinese
calendar (2024 National Day: 10-01…10-07 off, Sunday 09-29 a make-up working day)."""

import datetime
from zoneinfo import ZoneInfo

import time_machine

from notifications.models import Channel, Kind, Notification
from notifications.tasks import nudge_reviewers
from tests.support import make_user
from people import roles
from people.services import role_grant
from workflow import services

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 9, minute: int = 30):
    return time_machine.travel(datetime.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI), tick=False)


def nudge_on(day: str) -> list:
    """Run the daily nudge job on ``day`` at 09:30; the in-app nudges it wrote, as (username, title)."""
    before = set(Notification.objects.values_list("pk", flat=True))
    with at(day):
        nudge_reviewers.apply()
    new = Notification.objects.exclude(pk__in=before).filter(channel=Channel.IN_APP).order_by("recipient__username")
    return [(n.recipient.username, n.title) for n in new]


def submitted_on(org, sheet, day: str):
    with at(day, 10, 0):
        services.document_submit(document=sheet, user=org.owner)
    Notification.objects.all().delete()
    return sheet


def test_a_waiting_section_review_is_nudged_on_the_third_working_day_then_escalated(org, make_sheet):
    sheet = submitted_on(org, make_sheet(), "2024-06-03")  # Monday

    assert nudge_on("2024-06-05") == []  # 2 working days: not yet
    assert nudge_on("2024-06-06") == [("office_head", f"催办：{sheet.display_title}")]
    assert nudge_on("2024-06-06") == []
    assert nudge_on("2024-06-07") == []  # once per level
    assert nudge_on("2024-06-10") == []  # 端午节: still 4 working days
    assert nudge_on("2024-06-11") == [  # 5 working days, more than twice as long
        ("agency_leader", f"再次催办：{sheet.display_title}"), ("office_head", f"再次催办：{sheet.display_title}"),
    ]
    assert nudge_on("2024-06-12") == []

    note = Notification.objects.get(kind=Kind.NUDGE, recipient=org.leader, channel=Channel.IN_APP)
    assert "已在“科室审核”等待 5 个工作日（自 2024-06-03 10:00 起）" in note.body
    assert "局领导请督促办理" in note.body and note.url == f"http://127.0.0.1:8000/sheets/{sheet.pk}/"
    # e-mail too, as the reviewers chose
    assert Notification.objects.filter(kind=Kind.NUDGE, recipient=org.head, channel=Channel.EMAIL).count() == 2


def test_a_reassigned_task_nudges_only_its_new_owner(org, make_sheet):
    deputy = make_user("deputy_head", first_name="冯副科长")
    role_grant(user=deputy, role=roles.SECTION_HEAD, scope=org.office)
    sheet = make_sheet()
    with at("2024-06-03", 10, 0):
        services.document_submit(document=sheet, user=org.owner)
        services.task_reassign(document=sheet, user=org.head, to_user=deputy, comment="请代为审核")

    assert nudge_on("2024-06-06") == [("deputy_head", f"催办：{sheet.display_title}")]


def test_the_leaders_step_waits_from_when_it_started(org, make_sheet):
    sheet = make_sheet()
    with at("2024-06-03", 10, 0):
        services.document_submit(document=sheet, user=org.owner)
    with at("2024-06-05", 10, 0):
        services.document_approve(document=sheet, user=org.head)

    assert nudge_on("2024-06-07") == []  # the leader has waited 2 working days
    assert nudge_on("2024-06-10") == []  # 端午节
    assert nudge_on("2024-06-11") == [("agency_leader", f"催办：{sheet.display_title}")]


def test_the_make_up_sunday_counts_and_the_national_day_holiday_does_not(org, make_sheet):
    before_sunday = submitted_on(org, make_sheet(title="节前周四提交"), "2024-09-26")  # Thu
    before_holiday = submitted_on(org, make_sheet(title="节前周五提交"), "2024-09-27")  # Fri

    # Thu → Fri 27, Sun 29 (make-up working day), Mon 30: three working days by Monday
    assert nudge_on("2024-09-30") == [("office_head", f"催办：{before_sunday.display_title}")]
    for day in ("2024-10-01", "2024-10-04", "2024-10-07"):
        assert nudge_on(day) == []
    # Fri → Sun 29, Mon 30, Tue 10-08: the third working day comes after the holiday
    assert nudge_on("2024-10-08") == [("office_head", f"催办：{before_holiday.display_title}")]


def test_no_nudge_once_the_step_is_done(org, make_sheet):
    sheet = submitted_on(org, make_sheet(), "2024-06-03")
    with at("2024-06-05", 11, 0):
        services.document_return(document=sheet, user=org.head, comment="请补充依据")
    Notification.objects.all().delete()

    assert nudge_on("2024-06-12") == []  # the staff's revision is not a review: nobody is nudged
