"""``manage.py run_reminders`` on the demo data: 2024-06-23 and 2024-06-29 remind staff to report the June
spending, 2024-07-01 (Monday, the first working day after 6月底) warns about sheets without or behind a June report;
a second run of the same day sends nothing."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from notifications.models import Channel, Kind, Notification
from spending import services as spending
from projects.models import Checkpoint, TargetSheet
from workflow import services


def run(day, *extra) -> str:
    out = io.StringIO()
    call_command("run_reminders", "--date", day, *extra, stdout=out)
    return out.getvalue()


def user(username):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def published(demo):
    """Sheets 1 (公共资源交易中心), 5 (信用与放管服办公室) and 6 (政务服务中心) published; the others stay in draft."""
    chains = {1: ("staff_ggzy", "head_ggzy"), 5: ("staff_xy", "head_xy"), 6: ("staff_zwfw", "head_zwfw")}
    sheets = {}
    for position, (staff, head) in chains.items():
        sheet = TargetSheet.objects.get(position=position, fiscal_year__year=2024)
        services.document_submit(document=sheet, user=user(staff))
        services.document_approve(document=sheet, user=user(head))
        services.document_approve(document=sheet, user=user("leader"))
        services.document_approve(document=sheet, user=user("finance"))
        sheets[position] = sheet
    Notification.objects.all().delete()  # keep only what the reminders write
    return sheets


def received(kind):
    """{username: sorted channels} of the rows of ``kind``."""
    result = {}
    for row in Notification.objects.filter(kind=kind).select_related("recipient"):
        result.setdefault(row.recipient.username, []).append(row.channel)
    return {name: sorted(channels) for name, channels in result.items()}


def test_seven_and_one_day_before_the_june_checkpoint_staff_are_reminded_once(published):
    june = Checkpoint.objects.get(date="2024-06-30")
    first = published[1]

    output = run("2024-06-23")

    assert received(Kind.SPEND_REMINDER) == {
        "staff_ggzy": [Channel.EMAIL, Channel.IN_APP],
        "staff_xy": [Channel.EMAIL, Channel.IN_APP],
        "staff_zwfw": [Channel.EMAIL, Channel.IN_APP],
    }
    assert "2024-06-23 资金支出提醒与预警" in output
    assert f"[已发送] 填报提醒（还有 7 天）：“{first.display_title}”（{first.project.code}） 6月底" in output
    assert "    → staff_ggzy（站内消息、电子邮件）" in output
    assert "共 3 项，已发送通知 6 条。" in output
    note = Notification.objects.get(kind=Kind.SPEND_REMINDER, channel=Channel.IN_APP, recipient__username="staff_ggzy")
    assert "资金支出时间节点“6月底”（2024-06-30）还有 7 天，计划累计支出进度 50%" in note.body
    assert note.url == f"http://127.0.0.1:8000/sheets/{first.pk}/spending/"
    assert not Notification.objects.filter(kind=Kind.SPEND_REMINDER, recipient__username__startswith="head").exists()

    assert run("2024-06-23").endswith("没有需要发送的新提醒或预警。\n")
    assert Notification.objects.count() == 6

    # staff of 公共资源交易中心 report before the last reminder: they are not reminded again
    spending.spend_report_record(sheet=first, checkpoint=june, amount=Decimal("4.00"), user=user("staff_ggzy"))
    output = run("2024-06-29")
    assert "填报提醒（还有 1 天）" in output and "共 2 项，已发送通知 4 条。" in output
    assert Notification.objects.filter(kind=Kind.SPEND_REMINDER, recipient__username="staff_ggzy").count() == 2
    assert Notification.objects.filter(kind=Kind.SPEND_REMINDER, recipient__username="staff_xy").count() == 4
    assert "没有需要发送的新提醒或预警" in run("2024-06-29")


def test_on_the_first_working_day_after_the_checkpoint_lagging_sheets_are_warned(published):
    june = Checkpoint.objects.get(date="2024-06-30")
    on_plan, behind, silent = published[1], published[5], published[6]
    spending.spend_report_record(sheet=on_plan, checkpoint=june, amount=Decimal("4.00"), user=user("staff_ggzy"))
    spending.spend_report_record(
        sheet=behind, checkpoint=june, amount=Decimal("1.35"), explanation="专家评审推迟到7月", user=user("staff_xy")
    )
    assert run("2024-06-30").endswith("没有需要发送的新提醒或预警。\n")  # Sunday, the checkpoint itself

    output = run("2024-07-01")

    # 信用与放管服办公室: 45% of a 50% plan, 5 points behind → yellow, to its staff and head
    # 政务服务中心: no June report → red (50 points behind), also to the leader; 公共资源交易中心 is on plan
    assert received(Kind.SPEND_WARNING) == {
        "staff_xy": [Channel.EMAIL, Channel.IN_APP],
        "head_xy": [Channel.EMAIL, Channel.IN_APP],
        "staff_zwfw": [Channel.EMAIL, Channel.IN_APP],
        "head_zwfw": [Channel.EMAIL, Channel.IN_APP],
        "leader": [Channel.EMAIL, Channel.IN_APP],
        "leader2": [Channel.EMAIL, Channel.IN_APP],
    }
    yellow = Notification.objects.get(kind=Kind.SPEND_WARNING, channel=Channel.IN_APP, recipient__username="staff_xy")
    assert yellow.title == f"黄色预警：{behind.display_title}（6月底）"
    assert "计划累计支出 50%，实际 45%，落后 5 个百分点" in yellow.body
    red = Notification.objects.get(kind=Kind.SPEND_WARNING, channel=Channel.IN_APP, recipient__username="leader")
    assert red.title == f"红色预警：{silent.display_title}（6月底）" and "尚未填报执行进度" in red.body

    # finance gets one digest for the agency, not one message per sheet
    assert received(Kind.SPEND_DIGEST) == {"finance": [Channel.EMAIL, Channel.IN_APP], "finance2": [Channel.EMAIL, Channel.IN_APP]}
    digest = Notification.objects.get(kind=Kind.SPEND_DIGEST, channel=Channel.IN_APP, recipient__username="finance")
    assert "有 2 张已公开的绩效目标表资金支出进度落后于计划：红色预警 1 张，黄色预警 1 张" in digest.body
    assert f"{silent.display_title}（{silent.project.code}）：计划 50%，未填报，红色预警" in digest.body
    assert digest.url == "http://127.0.0.1:8000/agencies/483001/spending/?year=2024"

    assert "红色预警：" in output and "黄色预警：" in output and "预警汇总：483001" in output
    assert "共 3 项，已发送通知 16 条。" in output
    assert run("2024-07-01").endswith("没有需要发送的新提醒或预警。\n")
    assert run("2024-07-02").endswith("没有需要发送的新提醒或预警。\n")
    assert Notification.objects.count() == 16


def test_a_dry_run_lists_what_would_be_sent_and_writes_nothing(published):
    output = run("2024-07-01", "--dry-run")

    assert "（演练，未发送）" in output and "[将发送] 红色预警：" in output
    # three red sheets (no report at all) × staff, head and both leaders × in-app and e-mail, and the digest to both finance reviewers
    assert "共 4 项，将发送通知 28 条。" in output
    assert not Notification.objects.exists()
    assert "共 4 项，已发送通知 28 条。" in run("2024-07-01")


def test_a_bad_date_is_refused_in_chinese(demo):
    with pytest.raises(CommandError, match="日期“2024/07/01”格式不对"):
        run("2024/07/01")


def test_a_missed_warning_day_is_caught_up_the_next_day_once(published):
    """Beat was down on 2024-07-01 (the warning day): the next day's job sends those warnings, once."""
    import datetime

    import time_machine
    from zoneinfo import ZoneInfo

    from notifications.tasks import run_daily_reminders

    next_day = datetime.datetime(2024, 7, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert run("2024-07-02").endswith("没有需要发送的新提醒或预警。\n")  # --date alone: that day only

    with time_machine.travel(next_day, tick=False):
        output = io.StringIO()
        call_command("run_reminders", stdout=output)  # no --date: today and the missed days of the window
    assert "共 4 项，已发送通知 28 条。" in output.getvalue()
    assert set(received(Kind.SPEND_WARNING)) == {
        "staff_ggzy", "head_ggzy", "staff_xy", "head_xy", "staff_zwfw", "head_zwfw", "leader", "leader2",
    }
    assert received(Kind.SPEND_DIGEST) == {"finance": [Channel.EMAIL, Channel.IN_APP], "finance2": [Channel.EMAIL, Channel.IN_APP]}
    # the June reminders (due 06-23 and 06-29) are past their checkpoint: not sent late
    assert not Notification.objects.filter(kind=Kind.SPEND_REMINDER).exists()

    with time_machine.travel(next_day, tick=False):
        assert run_daily_reminders.apply().get() == 0  # the daily job again: nothing twice
    assert Notification.objects.count() == 28


def test_a_missed_reminder_is_caught_up_with_the_days_left_as_of_today(published):
    """06-23 (7 days before) was missed; on 06-25 staff are reminded once, told 5 days are left."""
    output = run("2024-06-25", "--catch-up", "7")

    assert "填报提醒（还有 5 天）" in output and "共 3 项，已发送通知 6 条。" in output
    note = Notification.objects.get(kind=Kind.SPEND_REMINDER, channel=Channel.IN_APP, recipient__username="staff_ggzy")
    assert "还有 5 天" in note.body
    assert run("2024-06-25", "--catch-up", "7").endswith("没有需要发送的新提醒或预警。\n")
    # the 1-day reminder on 06-29 is a new one
    assert "共 3 项，已发送通知 6 条。" in run("2024-06-29", "--catch-up", "7")


def test_the_daily_job_logs_a_count_per_kind_and_only_the_first_items(published, caplog, monkeypatch):
    """A province's checkpoint day writes 100,000 items: the worker's log gets one line per kind with the counts,
    the first few items, and how many more there were."""
    import datetime
    import logging

    import time_machine
    from zoneinfo import ZoneInfo

    from notifications import tasks

    monkeypatch.setattr(tasks, "LOGGED_ITEMS", 1)
    with caplog.at_level(logging.INFO, logger="notifications.tasks"), time_machine.travel(
        datetime.datetime(2024, 7, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        written = tasks.run_daily_reminders.apply().get()

    lines = [r.getMessage() for r in caplog.records if r.name == "notifications.tasks"]
    warnings = Notification.objects.filter(kind=Kind.SPEND_WARNING).count()
    digests = Notification.objects.filter(kind=Kind.SPEND_DIGEST).count()
    assert written == Notification.objects.count() == warnings + digests > 0
    assert f"2024-07-01 提醒：{Kind.SPEND_WARNING.label} 3 项，{warnings} 条通知" in lines
    assert f"2024-07-01 提醒：{Kind.SPEND_DIGEST.label} 1 项，{digests} 条通知" in lines
    assert lines[-1] == "2024-07-01 提醒：另有 3 项未逐条记录（manage.py run_reminders --dry-run 可列出）"
    assert len(lines) == 2 + 1 + 1
