"""Finance's digest of overdue self-evaluations (issue 22 item 1): on the first working day after finance's 自评截止日期
for an agency's year, each finance reviewer gets one notification listing, per agency they review, how many published
sheets of the year still have no submitted self-evaluation, with the agency's view /agencies/<code>/<year>/evaluations/.

The cast: 钱审核 (agency_finance) reviews 489001, 冯审核 (other_finance) reviews 489002, 陈审核 (county_finance) reviews
both. 489001's published sheets of 2024: 空白 (none), 草稿 (a draft), 已提交 (at 科室审核), 业务 (none) → 3 not
submitted; 489002's: 他局甲 and 他局乙 (none) → 2 not submitted.

The worked dates (the workdays calendar, chinesecalendar's 2025):
- deadline Wednesday 2025-04-30, 劳动节 2025-05-01 to 05-05 → the digest on Tuesday 2025-05-06;
- deadline Tuesday 2025-09-30, 国庆节 2025-10-01 to 10-08 → the digest on Thursday 2025-10-09.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluations import services
from evaluations.models import SelfEvaluation
from notifications import reminder_writes
from notifications.models import Channel, Kind, Notification
from people import roles
from people.services import role_grant
from projects.models import Agency, SheetState, TargetSheet
from tests.support import make_user

SET_ON = datetime.date(2025, 4, 1)
MAY_DEADLINE, MAY_DIGEST = datetime.date(2025, 4, 30), datetime.date(2025, 5, 6)
OCTOBER_DEADLINE, OCTOBER_DIGEST = datetime.date(2025, 9, 30), datetime.date(2025, 10, 9)


def _publish(sheets) -> None:
    TargetSheet.objects.filter(pk__in=[s.pk for s in sheets]).update(state=SheetState.PUBLISHED)


@pytest.fixture
def world(org, make_sheet):
    sheets = {
        "blank": make_sheet(title="空白"), "draft": make_sheet(title="草稿"), "submitted": make_sheet(title="已提交"),
        "business": make_sheet(org.business, title="业务"),
        "foreign_a": make_sheet(agency=org.other_agency, section=org.other_agency.sections.get(), title="他局甲"),
        "foreign_b": make_sheet(agency=org.other_agency, section=org.other_agency.sections.get(), title="他局乙"),
    }
    _publish(sheets.values())
    for name in ("draft", "submitted"):
        sheets[name].refresh_from_db()
        sheets[f"{name}_evaluation"] = services.evaluation_create(sheet=sheets[name], user=org.owner)
    SelfEvaluation.objects.filter(pk=sheets["submitted_evaluation"].pk).update(state=SheetState.SECTION_REVIEW)
    org.other_finance = make_user("other_finance", first_name="冯审核")
    org.county_finance = make_user("county_finance", first_name="陈审核")
    role_grant(user=org.other_finance, role=roles.FINANCE_REVIEWER, scope=org.other_agency)
    for agency in (org.agency, org.other_agency):
        role_grant(user=org.county_finance, role=roles.FINANCE_REVIEWER, scope=agency)
    return sheets


def _digests() -> dict[str, Notification]:
    """{recipient's username: their in-app digest}, checking there is one per reviewer."""
    rows = list(Notification.objects.filter(kind=Kind.EVAL_DIGEST, channel=Channel.IN_APP).select_related("recipient"))
    found = {row.recipient.username: row for row in rows}
    assert len(found) == len(rows), "one digest per reviewer"
    return found


def test_on_the_first_working_day_after_labour_day_each_reviewer_gets_one_digest_of_their_agencies(org, world):
    services.deadline_set(agency=org.agency, year=2024, due=MAY_DEADLINE, user=org.finance, today=SET_ON)
    services.deadline_set(agency=org.other_agency, year=2024, due=MAY_DEADLINE, user=org.other_finance, today=SET_ON)
    # not on the deadline itself, nor over the holiday (2025-05-01 to 05-05)
    for day in (MAY_DEADLINE, *(datetime.date(2025, 5, d) for d in range(1, 6))):
        reminder_writes.reminders_send(day=day)
        assert _digests() == {}, day

    reminder_writes.reminders_send(day=MAY_DIGEST)
    digests = _digests()
    assert set(digests) == {"agency_finance", "other_finance", "county_finance"}

    mine = digests["agency_finance"]  # 489001 only: 空白, 草稿 and 业务 (已提交 is submitted)
    assert mine.title == "自评逾期汇总：测试县行政审批局本级"
    assert "截至 2025-05-06，您审核的 1 个单位已过绩效自评截止日期，共有 3 张已公开的绩效目标表的自评表尚未提交审核" in mine.body
    assert "1. 489001测试县行政审批局本级 2024年度（截止 2025-04-30）：3 张未提交，查看：" in mine.body
    assert "/agencies/489001/2024/evaluations/" in mine.body and mine.url.endswith("/agencies/489001/2024/evaluations/")
    assert "489002" not in mine.body and "他局" not in mine.body

    other = digests["other_finance"]  # 489002 only
    assert other.title == "自评逾期汇总：测试县其他局本级"
    assert "1. 489002测试县其他局本级 2024年度（截止 2025-04-30）：2 张未提交" in other.body
    assert other.url.endswith("/agencies/489002/2024/evaluations/") and "489001" not in other.body

    both = digests["county_finance"]  # both agencies in one notification, in code order; its link is 绩效自评
    assert both.title == "自评逾期汇总：2 个单位"
    assert "您审核的 2 个单位已过绩效自评截止日期，共有 5 张" in both.body
    lines = both.body.splitlines()
    assert lines[1].startswith("1. 489001测试县行政审批局本级 2024年度（截止 2025-04-30）：3 张未提交，查看：")
    assert lines[1].endswith("/agencies/489001/2024/evaluations/")
    assert lines[2].startswith("2. 489002测试县其他局本级 2024年度（截止 2025-04-30）：2 张未提交，查看：")
    assert lines[2].endswith("/agencies/489002/2024/evaluations/")
    assert both.url.endswith("/evaluations/") and "/agencies/" not in both.url
    assert both.sheet_id is None

    # every channel of a reviewer's digest, and nobody else's
    assert set(Notification.objects.filter(kind=Kind.EVAL_DIGEST).values_list("recipient__username", flat=True)) == {
        "agency_finance", "other_finance", "county_finance",
    }
    # the same day again, or caught up the day after: nothing new
    count = Notification.objects.count()
    assert [s for s in reminder_writes.reminders_send(day=MAY_DIGEST) if s.due.kind == Kind.EVAL_DIGEST] == []
    reminder_writes.reminders_send(day=datetime.date(2025, 5, 7), catch_up_days=7)
    assert Notification.objects.count() == count


def test_a_deadline_before_national_day_is_digested_on_the_ninth_and_only_to_that_agencys_reviewers(org, world):
    services.deadline_set(agency=org.agency, year=2024, due=OCTOBER_DEADLINE, user=org.finance, today=SET_ON)
    # 草稿 is submitted meanwhile: 空白 and 业务 remain
    SelfEvaluation.objects.filter(pk=world["draft_evaluation"].pk).update(state=SheetState.SECTION_REVIEW)
    for day in (OCTOBER_DEADLINE, *(datetime.date(2025, 10, d) for d in range(1, 9))):
        reminder_writes.reminders_send(day=day)
    assert _digests() == {}

    reminder_writes.reminders_send(day=OCTOBER_DIGEST)
    digests = _digests()
    # 489002 has no deadline: its own reviewer gets nothing, and 陈审核's digest lists 489001 alone
    assert set(digests) == {"agency_finance", "county_finance"}
    for digest in digests.values():
        assert digest.title == "自评逾期汇总：测试县行政审批局本级"
        assert "截至 2025-10-09" in digest.body
        assert "1. 489001测试县行政审批局本级 2024年度（截止 2025-09-30）：2 张未提交" in digest.body
        assert "489002" not in digest.body and digest.url.endswith("/agencies/489001/2024/evaluations/")
    assert reminder_writes.reminders_send(day=OCTOBER_DIGEST) == []  # run again: nothing new


def test_no_digest_when_everything_is_submitted(org, world):
    services.deadline_set(agency=org.agency, year=2024, due=MAY_DEADLINE, user=org.finance, today=SET_ON)
    for name, staff in (("blank", org.owner), ("business", org.colleague)):
        world[f"{name}_evaluation"] = services.evaluation_create(sheet=world[name], user=staff)
    SelfEvaluation.objects.filter(agency=org.agency).update(state=SheetState.PUBLISHED)
    reminder_writes.reminders_send(day=MAY_DIGEST)
    assert _digests() == {}


def test_the_queries_of_the_digest_day_do_not_grow_with_the_province(org, world, make_sheet):
    def queries() -> int:
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            assert reminder_writes.reminders_send(day=MAY_DIGEST)
        return sum(1 for q in captured.captured_queries if "calendarday" not in q["sql"])

    services.deadline_set(agency=org.agency, year=2024, due=MAY_DEADLINE, user=org.finance, today=SET_ON)
    services.deadline_set(agency=org.other_agency, year=2024, due=MAY_DEADLINE, user=org.other_finance, today=SET_ON)
    few = queries()
    # more sheets in both agencies, and a third agency with its own deadline, sheets and reviewer
    third = Agency.objects.create(code="489003", name="测试县第三局本级")
    section = third.sections.create(name="第三局办公室")
    reviewer = make_user("third_finance", first_name="褚审核")
    role_grant(user=reviewer, role=roles.FINANCE_REVIEWER, scope=third)
    role_grant(user=org.county_finance, role=roles.FINANCE_REVIEWER, scope=third)
    more = [make_sheet((org.office, org.business, org.other_agency.sections.get(), section)[n % 4]) for n in range(20)]
    _publish(more)
    services.deadline_set(agency=third, year=2024, due=MAY_DEADLINE, user=reviewer, today=SET_ON)
    assert queries() == few
    digests = _digests()
    assert set(digests) == {"agency_finance", "other_finance", "county_finance", "third_finance"}
    assert "您审核的 3 个单位已过绩效自评截止日期，共有 25 张" in digests["county_finance"].body  # 3 + 5, 2 + 5, 5
    assert "3. 489003测试县第三局本级 2024年度（截止 2025-04-30）：5 张未提交" in digests["county_finance"].body
