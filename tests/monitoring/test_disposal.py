"""处置 (issue 21 item 3), the done-when scenario: under the 四川 pack for 2024 a published sheet whose cumulative
spending is 12.5% at the end of April is graded red on 2024-05-01 by run_reminders; its 处置 is due 2024-05-16 (10
working days: 劳动节 05-01…05-05 skipped, the 调休 Saturday 05-11 counted); it is nudged on 2024-05-17 and, without a
decision, the pack's consequence (暂停执行) is recorded and shown; choosing 调整 opens a target adjustment; the
decision is approved by the leader and finance."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from core.errors import AppError
from monitoring import services
from monitoring.models import Disposal
from notifications.models import Notification
from projects.models import TargetSheet
from workflow import services as moves
from workflow.models import Event
from workflow.selectors import drafts_to_do, review_tasks

from tests.monitoring.conftest import spent

APRIL = datetime.date(2024, 4, 30)
ADJUST = "调剂预算（含绩效目标调整）"


def run_reminders(day: str) -> str:
    out = StringIO()
    call_command("run_reminders", "--date", day, stdout=out)
    return out.getvalue()


@pytest.fixture
def red_sheet(sichuan, make_sheet, publish):
    sheet = publish(make_sheet(budget="10.00"))
    spent(sheet, APRIL, "1.25", sichuan.owner)  # 1.25 of 10 万元: 12.5%, below the 四川 line of 25% at the end of April
    return sheet


def test_red_on_may_first_due_may_sixteenth_nudged_and_suspended_on_the_seventeenth(sichuan, red_sheet, make_sheet, publish):
    org = sichuan
    on_line = publish(make_sheet())
    spent(on_line, APRIL, "2.50", org.owner)  # 25%: on the line, not red
    assert not Disposal.objects.filter(sheet=red_sheet).exists()
    output = run_reminders("2024-04-30")
    assert not Disposal.objects.exists()  # the warning goes out on the 1st of the next month
    output = run_reminders("2024-05-01")
    disposal = Disposal.objects.get(sheet=red_sheet)
    assert not Disposal.objects.filter(sheet=on_line).exists()
    assert (disposal.point_date, disposal.warned_on, disposal.due) == (APRIL, datetime.date(2024, 5, 1), datetime.date(2024, 5, 16))
    assert disposal.grounds == "支出：累计支出 12.5% 低于预警线 25%，预警"
    assert disposal.options == ["确定继续执行", ADJUST, "取消项目"]
    assert (disposal.state, disposal.section_id, disposal.consequence) == ("draft", org.office.pk, "")
    assert "监控处置" in output and "2024-05-16 前处置" in output
    notice = Notification.objects.get(recipient=org.owner, dedupe_key=f"disposal-open:{disposal.pk}", channel="in_app")
    assert "请在 2024-05-16 前作出处置决定（确定继续执行、调剂预算（含绩效目标调整）、取消项目）" in notice.body
    # 待办: the section's 经办人 has it, with its deadline in the title
    assert list(drafts_to_do(org.owner, Disposal)) == [disposal]
    assert "2024-05-16前" in disposal.display_title
    assert list(drafts_to_do(org.colleague, Disposal)) == []
    run_reminders("2024-05-01")  # a day run twice opens nothing new
    assert Disposal.objects.filter(sheet=red_sheet).count() == 1
    run_reminders("2024-05-16")  # the last day: not yet overdue
    disposal.refresh_from_db()
    assert disposal.consequence == ""
    assert not Notification.objects.filter(dedupe_key__startswith=f"disposal-overdue:{disposal.pk}").exists()
    run_reminders("2024-05-17")
    disposal.refresh_from_db()
    assert (disposal.consequence, disposal.consequence_on) == ("暂停执行", datetime.date(2024, 5, 17))
    nudge = Notification.objects.get(recipient=org.owner, dedupe_key=f"disposal-overdue:{disposal.pk}:20240517", channel="in_app")
    assert nudge.kind == "disposal" and "已记录为“暂停执行”" in nudge.body
    assert Notification.objects.filter(recipient=org.leader, dedupe_key=f"disposal-overdue:{disposal.pk}:20240517").exists()
    run_reminders("2024-05-20")  # nudged again, the consequence recorded once
    disposal.refresh_from_db()
    assert disposal.consequence_on == datetime.date(2024, 5, 17)
    assert Notification.objects.filter(recipient=org.owner, dedupe_key=f"disposal-overdue:{disposal.pk}:20240520").exists()


def test_choosing_adjustment_opens_a_target_adjustment_and_leader_and_finance_approve(sichuan, red_sheet):
    org = sichuan
    run_reminders("2024-05-01")
    disposal = Disposal.objects.get(sheet=red_sheet)
    with pytest.raises(AppError) as refused:  # no decision yet
        moves.document_submit(document=disposal, user=org.owner)
    assert "请选择处置决定" in refused.value.message
    with pytest.raises(AppError) as refused:
        services.disposal_decide(disposal=disposal, user=org.owner, expected_version=disposal.version, choice="继续观望")
    assert "请从处置选项中选择：确定继续执行、调剂预算（含绩效目标调整）、取消项目" in refused.value.message
    with pytest.raises(AppError):  # another section's staff
        services.disposal_decide(disposal=disposal, user=org.colleague, expected_version=disposal.version, choice=ADJUST)
    services.disposal_decide(disposal=disposal, user=org.owner, expected_version=disposal.version, choice=ADJUST,
                             note="下调服务事项数量")
    disposal.refresh_from_db()
    adjustment = TargetSheet.documents.get(pk=disposal.adjustment_id)
    assert adjustment.revises_id == red_sheet.pk and adjustment.state == "draft"
    assert adjustment.reason == "4月底运行监控红灯处置：调剂预算（含绩效目标调整）。下调服务事项数量"
    moves.document_submit(document=disposal, user=org.owner)
    assert list(review_tasks(org.head, Disposal)) == []  # the section head is not on the 处置's chain
    assert list(review_tasks(org.leader, Disposal)) == [disposal]
    moves.document_approve(document=disposal, user=org.leader)
    assert list(review_tasks(org.finance, Disposal)) == [disposal]
    moves.document_approve(document=disposal, user=org.finance)
    disposal.refresh_from_db()
    assert disposal.state == "published" and disposal.consequence == ""
    assert [e.action for e in Event.objects.filter(disposal=disposal)] == ["submit", "approve", "publish"]
    run_reminders("2024-05-17")  # decided in time: no consequence
    disposal.refresh_from_db()
    assert disposal.consequence == ""


def test_the_consequence_is_shown_on_the_sheet_and_the_list_not_on_the_public_page(sichuan, red_sheet, client):
    org = sichuan
    run_reminders("2024-05-01")
    disposal = Disposal.objects.get(sheet=red_sheet)
    client.force_login(org.owner)
    page = client.get(f"/sheets/{red_sheet.pk}/").content.decode()
    assert "请在 <strong>2024-05-16</strong> 前作出处置决定" in page and disposal.get_absolute_url() in page
    inbox = client.get("/tasks/").content.decode()  # 待办: the 处置 with its deadline, for the section's 经办人
    assert f'<a href="{disposal.get_absolute_url()}"><strong>{disposal.display_title}</strong></a>' in inbox
    assert "4月底红灯处置，2024-05-16前" in disposal.display_title
    run_reminders("2024-05-17")
    page = client.get(f"/sheets/{red_sheet.pk}/").content.decode()
    assert 'data-testid="monitoring-consequence"><strong>暂停执行</strong>' in page
    listing = client.get("/sheets/?year=2024").content.decode()
    assert 'data-testid="sheet-consequence">暂停执行<' in listing
    client.logout()
    public = client.get(f"/public/sheets/{red_sheet.pk}/").content.decode()
    assert "暂停执行" not in public and "处置" not in public
    client.force_login(org.leader)
    page = client.get(disposal.get_absolute_url()).content.decode()
    assert "暂停执行" in page and "2024-05-16" in page


def test_a_proposal_deadline_for_cancelling_and_three_red_points_in_a_row_flag_an_on_site_check(sichuan, red_sheet):
    org = sichuan
    run_reminders("2024-05-01")
    april = Disposal.objects.get(sheet=red_sheet)
    # 取消项目 decided on Monday 2024-05-06: a proposal within 15 working days — May 7–10 (4), the 调休 Saturday 05-11
    # (5), May 13–17 (10), May 20–24 (15) → 2024-05-24
    services.disposal_decide(disposal=april, user=org.owner, expected_version=april.version, choice="取消项目",
                             today=datetime.date(2024, 5, 6))
    april.refresh_from_db()
    assert april.proposal_due == datetime.date(2024, 5, 24) and april.adjustment_id is None
    services.disposal_decide(disposal=april, user=org.owner, expected_version=april.version, choice="确定继续执行",
                             today=datetime.date(2024, 5, 6))
    april.refresh_from_db()
    assert april.proposal_due is None
    # nothing reported for June and August: 0%, red again at each (warned on 07-01 and 09-01)
    run_reminders("2024-07-01")
    assert Disposal.objects.get(sheet=red_sheet, point_date=datetime.date(2024, 6, 30)).flagged == ""
    run_reminders("2024-09-01")
    august = Disposal.objects.get(sheet=red_sheet, point_date=datetime.date(2024, 8, 31))
    assert august.flagged == "列入现场核查"


def test_the_day_of_warnings_costs_the_same_for_few_and_many_red_sheets(sichuan, make_sheet, publish):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications import reminder_writes

    def queries(day):
        with CaptureQueriesContext(connection) as captured:
            reminder_writes.disposals_send(day=day)
        return sum(1 for q in captured.captured_queries if "calendarday" not in q["sql"])

    for _ in range(2):
        publish(make_sheet())  # nothing reported: 0%, red at every point
    few_opened, few_overdue = queries(datetime.date(2024, 5, 1)), queries(datetime.date(2024, 5, 17))
    for _ in range(5):
        publish(make_sheet())
    assert queries(datetime.date(2024, 7, 1)) == few_opened  # June's warnings: seven red sheets
    assert queries(datetime.date(2024, 7, 17)) == few_overdue
    assert Disposal.objects.filter(point_date=datetime.date(2024, 6, 30)).count() >= 7


def test_a_dry_run_says_which_disposals_would_be_opened_and_keeps_none(sichuan, red_sheet):
    from monitoring.models import MonitoringReport

    before = (Notification.objects.count(), MonitoringReport.objects.count())
    output = run_reminders_dry("2024-05-01")
    assert "（演练，未发送）" in output
    assert f"[将发送] 监控处置：“{red_sheet.display_title}”（{red_sheet.project.code}） 4月底红灯，2024-05-16 前处置" in output
    assert not Disposal.objects.exists() and (Notification.objects.count(), MonitoringReport.objects.count()) == before
    # the real run opens exactly that one; a dry run of a later day says which consequence it would record
    assert "2024-05-16 前处置" in run_reminders("2024-05-01")
    disposal = Disposal.objects.get(sheet=red_sheet)
    output = run_reminders_dry("2024-05-17")
    assert f"[将发送] 处置催办：“{red_sheet.display_title}”（{red_sheet.project.code}） 期限 2024-05-16 已过" in output
    disposal.refresh_from_db()
    assert (disposal.consequence, disposal.version) == ("", 1)


def run_reminders_dry(day: str) -> str:
    out = StringIO()
    call_command("run_reminders", "--date", day, "--dry-run", stdout=out)
    return out.getvalue()


def test_the_admin_shows_reports_and_disposals_read_only_in_chinese(sichuan, red_sheet, client):
    from django.contrib.auth import get_user_model

    from monitoring.models import MonitoringReport

    run_reminders("2024-05-01")
    disposal = Disposal.objects.get(sheet=red_sheet)
    report = services.report_open(sheet=red_sheet, point_date=APRIL, user=sichuan.owner)
    admin = get_user_model().objects.create_superuser("monitor_admin", "monitor_admin@example.gov.cn", "pw")
    client.force_login(admin)
    for base, obj in (("/admin/monitoring/monitoringreport/", report), ("/admin/monitoring/disposal/", disposal)):
        listing = client.get(base).content.decode()
        assert obj.display_title in listing and "名称" in listing and f'href="{base}add/"' not in listing
        page = client.get(f"{base}{obj.pk}/change/")
        assert page.status_code == 200 and "查看" in page.content.decode()
        assert client.post(f"{base}{obj.pk}/change/", {"state": "published"}).status_code == 403
        assert client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.get(f"{base}add/").status_code == 403
    assert "服务事项" in client.get(f"/admin/monitoring/monitoringreport/{report.pk}/change/").content.decode()
    disposal.refresh_from_db()
    assert disposal.state == "draft" and MonitoringReport.objects.get(pk=report.pk).state == "draft"
