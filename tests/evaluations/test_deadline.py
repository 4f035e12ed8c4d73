"""Finance's deadline for an agency's year of self-evaluations (issue 22 item 1: "reminders (a deadline per year set by
finance)"): set on the agency's view by its finance reviewers only; the daily reminders remind the section's 经办人 of
every published sheet of that year without a submitted self-evaluation 7 days and 1 day before it, and warn them and
their section heads on the first working day after it (the workdays calendar: 2025's 劳动节 runs 1–5 May).

The worked dates: deadline Wednesday 2025-04-30 for 489001's 2024 self-evaluations →
reminders on 2025-04-23 (还有 7 天) and 2025-04-29 (还有 1 天); 2025-05-01 to 05-05 are holidays, so the overdue
warning comes on Tuesday 2025-05-06.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evaluations import services
from evaluations.models import Deadline, SelfEvaluation
from notifications import reminder_writes
from notifications.models import Channel, Kind, Notification
from projects.models import SheetState, TargetSheet
from tests.refusals import refused

DEADLINE = datetime.date(2025, 4, 30)  # a Wednesday
SET_ON = datetime.date(2025, 4, 1)  # the day finance sets it
SEVEN_BEFORE, ONE_BEFORE = datetime.date(2025, 4, 23), datetime.date(2025, 4, 29)
FIRST_WORKDAY_AFTER = datetime.date(2025, 5, 6)  # 5月1日–5日 劳动节


@pytest.fixture
def world(org, make_sheet):
    """489001's published sheets of 2024: ``blank`` (办公室, no self-evaluation), ``draft`` (办公室, a draft),
    ``submitted`` (办公室, at 科室审核), ``business`` (业务科, none); and ``foreign`` of 489002 (no deadline)."""
    sheets = {
        "blank": make_sheet(title="空白"), "draft": make_sheet(title="草稿"), "submitted": make_sheet(title="已提交"),
        "business": make_sheet(org.business, title="业务"), "foreign": make_sheet(agency=org.other_agency, title="他局"),
    }
    TargetSheet.objects.filter(pk__in=[s.pk for s in sheets.values()]).update(state=SheetState.PUBLISHED)
    for name in ("draft", "submitted"):
        sheets[name].refresh_from_db()
        sheets[f"{name}_evaluation"] = services.evaluation_create(sheet=sheets[name], user=org.owner)
    SelfEvaluation.objects.filter(pk=sheets["submitted_evaluation"].pk).update(state=SheetState.SECTION_REVIEW)
    services.deadline_set(agency=org.agency, year=2024, due=DEADLINE, user=org.finance, today=SET_ON)
    return sheets


def _written(kind) -> set[tuple[str, str]]:
    """(recipient, sheet title) of the in-app rows of ``kind``."""
    rows = Notification.objects.filter(kind=kind, channel=Channel.IN_APP).select_related("recipient", "sheet__project")
    return {(row.recipient.username, row.sheet.project.name[:2]) for row in rows}


def test_reminded_seven_days_and_one_day_before_and_warned_on_the_first_workday_after(org, world):
    reminder_writes.reminders_send(day=SEVEN_BEFORE)
    # the sheets not submitted, to their section's 经办人: none for the submitted one, none of the other agency
    assert _written(Kind.EVAL_REMINDER) == {("owner", "空白"), ("owner", "草稿"), ("colleague", "业务")}
    blank = Notification.objects.get(kind=Kind.EVAL_REMINDER, sheet=world["blank"], channel=Channel.IN_APP)
    assert blank.title.startswith("自评提醒：空白") and "（2024年度）" in blank.title
    assert "2024年度绩效自评将于 2025-04-30 截止（还有 7 天）" in blank.body and "项目编码：13022524P00TEST0001" in blank.body
    assert blank.url.endswith("/evaluations/")  # where it is started
    draft = Notification.objects.get(kind=Kind.EVAL_REMINDER, sheet=world["draft"], channel=Channel.IN_APP)
    assert draft.url.endswith(f"/evaluations/{world['draft_evaluation'].pk}/")  # the draft itself

    Notification.objects.all().delete()
    for day in (datetime.date(2025, 4, 24), DEADLINE, datetime.date(2025, 5, 1), datetime.date(2025, 5, 5)):
        assert reminder_writes.reminders_send(day=day) == []

    reminder_writes.reminders_send(day=ONE_BEFORE)
    assert _written(Kind.EVAL_REMINDER) == {("owner", "空白"), ("owner", "草稿"), ("colleague", "业务")}
    assert "还有 1 天" in Notification.objects.filter(kind=Kind.EVAL_REMINDER).first().body

    # the draft is submitted meanwhile: the warning is for the two still not submitted, to staff and section heads
    SelfEvaluation.objects.filter(pk=world["draft_evaluation"].pk).update(state=SheetState.SECTION_REVIEW)
    reminder_writes.reminders_send(day=FIRST_WORKDAY_AFTER)
    assert _written(Kind.EVAL_OVERDUE) == {
        ("owner", "空白"), ("office_head", "空白"), ("colleague", "业务"), ("colleague_head", "业务"),
    }
    warning = Notification.objects.get(kind=Kind.EVAL_OVERDUE, sheet=world["blank"], recipient=org.head, channel=Channel.IN_APP)
    assert warning.title.startswith("自评逾期：空白") and "截止日期（2025-04-30）已过" in warning.body
    assert "科室负责人请督促办理" in warning.body
    # run twice, nothing new
    assert reminder_writes.reminders_send(day=FIRST_WORKDAY_AFTER) == []
    assert not Notification.objects.filter(recipient__in=[org.outsider, org.leader]).exists()
    # finance gets its digest of the agency only (tests/evaluations/test_finance_digest.py), no sheet's warning
    assert set(Notification.objects.filter(recipient=org.finance).values_list("kind", flat=True)) == {Kind.EVAL_DIGEST}


def test_a_day_caught_up_sends_the_latest_reminder_only_and_a_moved_deadline_reminds_again(org, world):
    # the job was down from the 7-day reminder to the 1-day one: only 还有 1 天 goes out
    reminder_writes.reminders_send(day=ONE_BEFORE, catch_up_days=7)
    rows = Notification.objects.filter(kind=Kind.EVAL_REMINDER, channel=Channel.IN_APP)
    assert rows.count() == 3 and all("还有 1 天" in row.body for row in rows)
    # finance moves the deadline to Friday 2025-05-09: a reminder 7 days before it (2025-05-02) is new
    services.deadline_set(agency=org.agency, year=2024, due=datetime.date(2025, 5, 9), user=org.finance, today=SET_ON)
    sent = reminder_writes.reminders_send(day=datetime.date(2025, 5, 2))
    assert {item.due.dedupe_key.split(":")[-2] for item in sent} == {"20250509"}
    # nothing is overdue on 2025-05-06 any more
    assert not [item for item in reminder_writes.reminders_send(day=FIRST_WORKDAY_AFTER) if item.due.kind == Kind.EVAL_OVERDUE]


def test_the_queries_of_a_deadline_day_do_not_grow_with_the_sheets(org, world, make_sheet):
    def queries(day) -> int:
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            assert reminder_writes.reminders_send(day=day)
        return sum(1 for q in captured.captured_queries if "calendarday" not in q["sql"])

    few = queries(SEVEN_BEFORE), queries(FIRST_WORKDAY_AFTER)
    more = [make_sheet(org.office if n % 2 else org.business) for n in range(20)]
    TargetSheet.objects.filter(pk__in=[s.pk for s in more]).update(state=SheetState.PUBLISHED)
    assert (queries(SEVEN_BEFORE), queries(FIRST_WORKDAY_AFTER)) == few
    assert Notification.objects.filter(kind=Kind.EVAL_OVERDUE, channel=Channel.IN_APP).count() == 2 * (20 + 3)  # blank, draft and business besides the 20


def test_the_deadline_is_finances_and_checked(org):
    today = timezone.localdate()
    for user in (org.owner, org.head, org.leader, org.outsider_leader):
        with refused(403, match="财政审核人"):
            services.deadline_set(agency=org.agency, year=2024, due=today, user=user)
    with refused(400, match="不能早于今天"):
        services.deadline_set(agency=org.agency, year=2024, due=today - datetime.timedelta(days=1), user=org.finance)
    with refused(400, match="年度结束后"):
        services.deadline_set(agency=org.agency, year=2024, due=datetime.date(2024, 12, 31), user=org.finance, today=datetime.date(2024, 12, 1))
    assert not Deadline.objects.exists()
    services.deadline_set(agency=org.agency, year=2024, due=today, user=org.finance)
    services.deadline_set(agency=org.agency, year=2024, due=None, user=org.finance)  # removed
    assert not Deadline.objects.exists()


def _client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_finance_sets_it_on_the_agency_view_and_nobody_else_may(org):
    url = "/agencies/489001/2024/evaluations/deadline/"
    later = timezone.localdate() + datetime.timedelta(days=30)
    for user in (org.leader, org.owner, org.head, org.colleague, org.outsider, org.outsider_leader):
        assert _client(user).post(url, {"due": later.isoformat()}).status_code == 404
    anonymous = _client(None).post(url, {"due": later.isoformat()})
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert not Deadline.objects.exists()

    finance = _client(org.finance)
    bad = finance.post(url, {"due": "明年三月"}, follow=True).content.decode()
    assert "请填写自评截止日期（如 2025-03-31）" in bad and not Deadline.objects.exists()
    page = finance.post(url, {"due": later.isoformat()}, follow=True).content.decode()
    assert f"已设置自评截止日期 {later:%Y-%m-%d}" in page and 'data-testid="deadline-form"' in page
    assert Deadline.objects.get().due == later and Deadline.objects.get().set_by == org.finance
    # the leader reads it, without the form
    leader_page = _client(org.leader).get("/agencies/489001/2024/evaluations/").content.decode()
    assert f"财政设定的自评截止日期为 <strong>{later:%Y-%m-%d}</strong>" in leader_page
    assert 'data-testid="deadline-form"' not in leader_page
    assert "已取消自评截止日期" in finance.post(url, {"clear": "1"}, follow=True).content.decode()
    assert not Deadline.objects.exists()


def test_the_staff_see_the_deadline_beside_the_sheets_waiting_for_their_self_evaluation(org, world):
    page = _client(org.owner).get("/evaluations/").content.decode()
    assert page.count('<td data-label="截止日期" data-testid="evaluation-due">2025-04-30</td>') == 1  # 空白 (the others started)
    other = _client(org.outsider).get("/evaluations/").content.decode()
    assert "2025-04-30" not in other
