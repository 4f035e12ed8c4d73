"""The monitoring report (issue 21 item 2): per published sheet and monitoring point of its year's pack, graded by the
pack with the numbers shown, moved section head → leader → finance on the approval engine."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from core.errors import AppError
from monitoring import services
from monitoring.models import MonitoringReport
from workflow import services as moves
from workflow.models import Event
from workflow.selectors import review_tasks

from tests.monitoring.conftest import spent

APRIL, JUNE = datetime.date(2024, 4, 30), datetime.date(2024, 6, 30)


def rows_of(report):
    return {row.name: row for row in report.rows.all()}


def fill(report, user, **overrides):
    rows = rows_of(report)
    values = {
        "服务事项": {"current": "1个", "forecast": "年底完成 10 个", "likelihood": "有可能",
                     "reason_kind": "人员保障", "measures": "增派人员"},
        "系统正常运行率": {"current": "99%", "likelihood": "确定能"},
        "按时完成率": {"current": "96%"},
        "经费控制数": {"current": "2.5万元"},
        "营商环境": {"level": "部分达到"},
        "群众满意度": {"current": "96%"},
        **overrides,
    }
    return services.report_edit(
        report=report, user=user, expected_version=report.version,
        rows={rows[name].pk: changes for name, changes in values.items()},
    )


def test_sichuan_report_graded_by_the_gap_rule_with_the_numbers(sichuan, make_sheet, publish):
    org = sichuan
    sheet = publish(make_sheet())
    spent(sheet, APRIL, "2.50", org.owner)  # 2.5 of 10 万元: 25%, on the 四川 line of 25% at the end of April
    report = services.report_open(sheet=sheet, point_date=APRIL, user=org.owner)
    assert report.state == "draft" and report.pack.code == "sichuan"
    assert report.check_errors == 6  # nothing typed yet: five values and one level
    fill(report, org.owner)
    report.refresh_from_db()
    assert report.spending_percent == Decimal("25.00") and report.spending_colour == "green"
    assert report.spending_how == "累计支出 25% 不低于预警线 25%"
    row = rows_of(report)["服务事项"]
    # 1 of 10 done: progress 10%, spending 25%, 15 points apart (more than 10): red, a reason is required
    assert (row.colour, row.reason_required) == ("red", True)
    assert row.how == "完成进度 1 ÷ 10 = 10.00%，支出进度 25%，相差 15.00 个百分点（超过 10）"
    assert rows_of(report)["系统正常运行率"].colour == ""  # a rate has no progress through the year
    assert report.colour == "red" and report.check_errors == 0


def test_from_draft_to_done_on_the_engine_and_a_later_point_starts_from_the_last(sichuan, make_sheet, publish):
    org = sichuan
    sheet = publish(make_sheet())
    spent(sheet, APRIL, "2.50", org.owner)
    report = services.report_open(sheet=sheet, point_date=APRIL, user=org.owner)
    with pytest.raises(AppError) as refused:
        moves.document_submit(document=report, user=org.owner)
    assert "当前完成值" in refused.value.message
    fill(report, org.owner, 服务事项={"current": "1个", "reason_kind": ""})
    with pytest.raises(AppError) as refused:  # red needs its reason
        moves.document_submit(document=report, user=org.owner)
    assert "偏差原因" in refused.value.message
    fill(report, org.owner)
    moves.document_submit(document=report, user=org.owner)
    assert list(review_tasks(org.head, MonitoringReport)) == [report]
    moves.document_approve(document=report, user=org.head)
    moves.document_approve(document=report, user=org.leader)
    moves.document_approve(document=report, user=org.finance)
    report.refresh_from_db()
    assert report.state == "published"
    assert [e.action for e in Event.objects.filter(monitoring_report=report)] == ["submit", "approve", "approve", "publish"]
    later = services.report_open(sheet=sheet, point_date=JUNE, user=org.owner)
    assert rows_of(later)["服务事项"].current == "1个" and rows_of(later)["服务事项"].measures == "增派人员"
    assert rows_of(later)["营商环境"].level == "部分达到"


def test_refusals_in_chinese_and_nothing_changed(sichuan, make_sheet, publish):
    org = sichuan
    sheet = publish(make_sheet())
    report = services.report_open(sheet=sheet, point_date=APRIL, user=org.owner)
    row = rows_of(report)["服务事项"]
    for changes, words in (
        ({"current": "5万元"}, "单位"),
        ({"likelihood": "也许"}, "确定能、有可能、完全不可能"),
        ({"reason_kind": "天气"}, "经费保障"),
    ):
        with pytest.raises(AppError) as refused:
            services.report_edit(report=report, user=org.owner, expected_version=report.version, rows={row.pk: changes})
        assert words in refused.value.message, refused.value.message
    with pytest.raises(AppError) as refused:
        services.report_edit(report=report, user=org.owner, expected_version=report.version - 1, rows={})
    assert refused.value.status == 412
    with pytest.raises(AppError) as refused:
        services.report_open(sheet=sheet, point_date=datetime.date(2024, 3, 31), user=org.owner)
    assert "不是2024年“四川省”的监控时点" in refused.value.message
    row.refresh_from_db()
    assert row.current == "" and row.likelihood == ""
    with pytest.raises(AppError):  # another section's staff
        services.report_open(sheet=sheet, point_date=JUNE, user=org.colleague)
    with pytest.raises(AppError):  # a draft sheet is not monitored
        services.report_open(sheet=make_sheet(), point_date=APRIL, user=org.owner)


def test_a_report_waiting_too_long_is_nudged_with_a_link_to_its_page(sichuan, make_sheet, publish, client):
    from django.utils import timezone

    from notifications.models import Kind, Notification
    from notifications.reminder_writes import nudges_send

    org = sichuan
    sheet = publish(make_sheet())
    spent(sheet, APRIL, "2.50", org.owner)
    report = services.report_open(sheet=sheet, point_date=APRIL, user=org.owner)
    fill(report, org.owner)
    moves.document_submit(document=report, user=org.owner)
    # submitted on Monday 2024-03-04; Thursday is 3 working days later
    MonitoringReport.objects.filter(pk=report.pk).update(state_since=timezone.make_aware(datetime.datetime(2024, 3, 4, 9, 0)))
    nudges_send(now=timezone.make_aware(datetime.datetime(2024, 3, 7, 10, 0)))
    [nudge] = Notification.objects.filter(kind=Kind.NUDGE, channel="in_app", monitoring_report=report)
    assert nudge.recipient == org.head and nudge.title == f"催办：{report.display_title}"
    assert nudge.url.endswith(f"/monitoring/reports/{report.pk}/")
    client.force_login(org.head)
    assert client.get(f"/monitoring/reports/{report.pk}/")["Location"] == report.get_absolute_url()
    client.force_login(org.colleague_head)
    assert client.get(f"/monitoring/reports/{report.pk}/").status_code == 404


def test_a_self_evaluation_starts_from_the_last_approved_reports_current_values(sichuan, make_sheet, publish):
    """After the year, the sheet's self-evaluation takes the 当前完成值 of its last approved monitoring report where they
    score against the 指标值 (服务事项 1个, 系统正常运行率 99%, 经费控制数 2.5万元), not those of a report still
    in draft (服务事项 5个 at the end of June), and leaves the qualitative 营商环境 to the evaluator."""
    from evaluations import services as evaluations

    org = sichuan
    sheet = publish(make_sheet())
    spent(sheet, APRIL, "2.50", org.owner)
    report = fill(services.report_open(sheet=sheet, point_date=APRIL, user=org.owner), org.owner)
    moves.document_submit(document=report, user=org.owner)
    for reviewer in (org.head, org.leader, org.finance):
        moves.document_approve(document=report, user=reviewer)
    june = services.report_open(sheet=sheet, point_date=JUNE, user=org.owner)
    fill(june, org.owner, 服务事项={"current": "5个"})

    evaluation = evaluations.evaluation_create(sheet=sheet, user=org.owner)

    actual = {row.name: row.actual for row in evaluation.rows.all()}
    assert (actual["服务事项"], actual["系统正常运行率"], actual["经费控制数"]) == ("1个", "99%", "2.5万元")
    assert actual["营商环境"] == ""
