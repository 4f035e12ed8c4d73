"""The daily 09:00 job around the 2024 National Day holiday (10-01…10-07 off; Sunday 09-29 a make-up working day):
a checkpoint's warnings wait for the first working day after it."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications.models import Channel, Kind, Notification
from notifications.tasks import run_daily_reminders
from projects.models import Checkpoint

SHANGHAI = ZoneInfo("Asia/Shanghai")


def daily_job(day: str) -> list:
    """Run the beat job at 09:00 Beijing time on ``day``; the (kind, username) of the in-app rows it wrote."""
    before = set(Notification.objects.values_list("pk", flat=True))
    moment = datetime.datetime.fromisoformat(day).replace(hour=9, tzinfo=SHANGHAI)
    with time_machine.travel(moment, tick=False):
        run_daily_reminders.apply()
    new = Notification.objects.exclude(pk__in=before).filter(channel=Channel.IN_APP)
    return sorted((n.kind, n.recipient.username) for n in new)


@pytest.fixture
def published_sheet(org, make_sheet, publish):
    sheet = publish(make_sheet())
    Notification.objects.all().delete()
    return sheet


def test_a_checkpoint_on_the_eve_of_national_day_is_warned_about_on_october_8th(org, published_sheet):
    Checkpoint.objects.filter(fiscal_year=org.year, date="2024-10-31").update(date="2024-09-30")

    assert daily_job("2024-09-23") == [(Kind.SPEND_REMINDER, "owner")]  # 7 days before
    assert daily_job("2024-09-29") == [(Kind.SPEND_REMINDER, "owner")]  # 1 day before (a make-up Sunday)
    for day in ("2024-09-30", "2024-10-01", "2024-10-02", "2024-10-07"):
        assert daily_job(day) == [], day
    assert daily_job("2024-10-08") == [
        (Kind.SPEND_DIGEST, "agency_finance"),
        (Kind.SPEND_WARNING, "agency_leader"), (Kind.SPEND_WARNING, "office_head"), (Kind.SPEND_WARNING, "owner"),
    ]
    assert daily_job("2024-10-08") == []
    warning = Notification.objects.get(kind=Kind.SPEND_WARNING, recipient=org.owner, channel=Channel.IN_APP)
    assert "截至“9月底”（2024-09-30）计划累计支出 75%，尚未填报执行进度" in warning.body


def test_the_make_up_sunday_is_the_first_working_day_after_a_saturday_checkpoint(org, published_sheet):
    Checkpoint.objects.filter(fiscal_year=org.year, date="2024-10-31").update(date="2024-09-28")

    assert daily_job("2024-09-27") == [(Kind.SPEND_REMINDER, "owner")]
    assert daily_job("2024-09-28") == []  # the checkpoint itself
    assert daily_job("2024-09-29") == [
        (Kind.SPEND_DIGEST, "agency_finance"),
        (Kind.SPEND_WARNING, "agency_leader"), (Kind.SPEND_WARNING, "office_head"), (Kind.SPEND_WARNING, "owner"),
    ]
    assert daily_job("2024-09-30") == []


def test_the_colleagues_section_and_other_agencies_hear_nothing(org, published_sheet):
    daily_job("2024-06-23")
    daily_job("2024-07-01")

    heard = set(Notification.objects.values_list("recipient__username", flat=True))
    assert heard == {"owner", "office_head", "agency_leader", "agency_finance"}
