"""``manage.py run_reminders [--date YYYY-MM-DD] [--catch-up DAYS] [--dry-run]``: the daily 09:00 checkpoint job, for any day.

Without ``--date`` it runs as the daily job does: today and what the last days missed."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications import reminder_writes, reminders
from notifications.models import Channel

CHANNEL_LABELS = dict(Channel.choices)


class Command(BaseCommand):
    help = "按资金支出时间节点发送填报提醒、支出预警与财政汇总，按监控规则包对红灯项目发起处置、记录逾期后果并催办（与每日 09:00 定时任务相同）；同一天重复执行不会重复发送。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按哪一天执行，格式 YYYY-MM-DD，默认今天（北京时间）")
        parser.add_argument("--dry-run", action="store_true", help="只列出将要发送的通知和将要发起的监控处置，不写入也不发送")
        parser.add_argument(
            "--catch-up", type=int, default=None, metavar="DAYS",
            help=f"同时补发此前若干天（含当天共 DAYS 天）应发而未发的提醒与预警；不指定 --date 时默认 {reminders.CATCH_UP_DAYS} 天，指定时默认只发当天",
        )

    def handle(self, *args, date=None, dry_run=False, catch_up=None, **options):
        day = self._day(date)
        if catch_up is None:
            catch_up = 1 if date else reminders.CATCH_UP_DAYS
        if catch_up < 1:
            raise CommandError("--catch-up 至少为 1（只发当天）。")
        sent = reminder_writes.reminders_send(day=day, dry_run=dry_run, catch_up_days=catch_up)
        # 处置: a dry run says which would be opened (and which consequences recorded) and keeps none of it
        sent += reminder_writes.disposals_send(day=day, catch_up_days=catch_up, dry_run=dry_run)
        verb = "将发送" if dry_run else "已发送"
        heading = f"{day:%Y-%m-%d} 资金支出提醒与预警" + ("（演练，未发送）" if dry_run else "")
        self.stdout.write(heading)
        if not sent:
            self.stdout.write("没有需要发送的新提醒或预警。")
            return
        total = 0
        for item in sent:
            self.stdout.write(f"[{verb}] {item.due.summary}")
            for line in _recipients(item.rows):
                self.stdout.write(f"    → {line}")
            total += len(item.rows)
        self.stdout.write(self.style.SUCCESS(f"共 {len(sent)} 项，{verb}通知 {total} 条。"))

    def _day(self, value) -> datetime.date:
        if not value:
            return timezone.localdate()
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"日期“{value}”格式不对，应为 YYYY-MM-DD，例如 2024-06-23。") from None


def _recipients(rows) -> list[str]:
    """One line per recipient: "username（站内消息、电子邮件）"; the group robot on its own line."""
    by_user: dict[str, list[str]] = {}
    for row in rows:
        name = row.recipient.username if row.recipient is not None else "科室群机器人"
        by_user.setdefault(name, []).append(CHANNEL_LABELS[row.channel])
    return [f"{name}（{'、'.join(channels)}）" for name, channels in by_user.items()]
