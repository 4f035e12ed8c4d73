"""Holidays: the administrators' table of holiday and make-up days overrides chinesecalendar, and from
1 December a missing calendar for next year is announced on the admin home page, by the deploy check
notifications.W001 and by a daily notice (e-mail) to the superusers, once a day."""

from datetime import date

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import checks, mail
from django.urls import reverse

from notifications.checks import check_next_year_calendar
from notifications.models import Channel, Kind, Notification
from notifications.tasks import warn_missing_calendar
from workdays import days
from workdays.days import add_workdays, is_workday, missing_calendar_year, workdays_between
from workdays.models import CalendarDay, DayKind

DECEMBER = "2026-12-01 09:00 +0800"
NOVEMBER = "2026-11-30 09:00 +0800"


@pytest.fixture(autouse=True)
def _fresh_table_cache():
    days.overrides_changed()
    yield
    days.overrides_changed()


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("calendar_admin", "calendar_admin@example.gov.cn", "pw")


def test_a_holiday_in_the_table_overrides_a_working_day_of_chinesecalendar(db):
    day = date(2025, 6, 10)  # an ordinary Tuesday
    assert is_workday(day)
    CalendarDay.objects.create(date=day, kind=DayKind.HOLIDAY, note="临时放假")
    assert not is_workday(day)


def test_a_make_up_day_in_the_table_overrides_a_weekend_and_a_holiday(db):
    sunday, national_day = date(2025, 6, 15), date(2025, 10, 1)
    assert not is_workday(sunday) and not is_workday(national_day)
    CalendarDay.objects.create(date=sunday, kind=DayKind.WORKDAY, note="调休上班")
    CalendarDay.objects.create(date=national_day, kind=DayKind.WORKDAY, note="更正")
    assert is_workday(sunday) and is_workday(national_day)


def test_next_years_holidays_entered_in_the_table_count_for_working_days(db):
    # 2027 is beyond chinesecalendar: Monday–Friday until the table says otherwise
    new_year = date(2027, 1, 1)  # a Friday
    assert is_workday(new_year)
    assert workdays_between(date(2026, 12, 31), date(2027, 1, 4)) == 2
    CalendarDay.objects.create(date=new_year, kind=DayKind.HOLIDAY, note="元旦")
    CalendarDay.objects.create(date=date(2027, 1, 2), kind=DayKind.WORKDAY, note="元旦调休")
    assert not is_workday(new_year)
    assert workdays_between(date(2026, 12, 31), date(2027, 1, 4)) == 2  # Saturday 2 Jan and Monday 4 Jan
    assert add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 2)


def test_a_change_in_the_admin_takes_effect_at_once(client, superuser):
    day = date(2025, 6, 10)
    assert is_workday(day)  # now cached
    client.force_login(superuser)

    response = client.post(
        reverse("admin:workdays_calendarday_add"), {"date": "2025-06-10", "kind": "holiday", "note": "临时放假"}
    )
    assert response.status_code == 302
    assert not is_workday(day)

    entry = CalendarDay.objects.get(date=day)
    client.post(reverse("admin:workdays_calendarday_delete", args=[entry.pk]), {"post": "yes"})
    assert is_workday(day)


def test_next_year_is_missing_only_from_december_when_neither_source_knows_it(db):
    assert missing_calendar_year(date(2026, 11, 30)) is None
    assert missing_calendar_year(date(2026, 12, 1)) == 2027
    assert missing_calendar_year(date(2025, 12, 1)) is None  # chinesecalendar knows 2026
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.WORKDAY)
    assert missing_calendar_year(date(2026, 12, 31)) == 2027  # a make-up day alone is not the year's holidays
    CalendarDay.objects.create(date=date(2027, 2, 8), kind=DayKind.HOLIDAY, note="春节")
    assert missing_calendar_year(date(2026, 12, 31)) is None


def test_the_admin_home_page_warns_from_december(client, superuser):
    client.force_login(superuser)
    with time_machine.travel(NOVEMBER, tick=False):
        assert "missing-calendar-warning" not in client.get(reverse("admin:index")).content.decode()
    with time_machine.travel(DECEMBER, tick=False):
        page = client.get(reverse("admin:index")).content.decode()
    assert "missing-calendar-warning" in page and "2027 年的法定节假日和调休安排尚未录入" in page
    CalendarDay.objects.create(date=date(2027, 2, 8), kind=DayKind.HOLIDAY, note="春节")
    with time_machine.travel(DECEMBER, tick=False):
        assert "missing-calendar-warning" not in client.get(reverse("admin:index")).content.decode()


def test_the_deploy_check_warns_from_december_as_notifications_w001(db):
    with time_machine.travel(NOVEMBER, tick=False):
        assert check_next_year_calendar() == []
    with time_machine.travel(DECEMBER, tick=False):
        [warning] = check_next_year_calendar()
        registered = checks.run_checks(include_deployment_checks=True, tags=["notifications"])
    assert warning.id == "notifications.W001" and warning.level == checks.WARNING and "2027" in warning.msg
    assert [m.id for m in registered] == ["notifications.W001"]
    # not part of the ordinary checks that run on every manage.py command
    with time_machine.travel(DECEMBER, tick=False):
        assert "notifications.W001" not in [m.id for m in checks.run_checks()]


def test_the_superusers_get_one_mail_a_day_while_the_calendar_is_missing(superuser, django_capture_on_commit_callbacks):
    # delivery is queued after commit, and runs in-process here
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(NOVEMBER, tick=False):
            assert warn_missing_calendar() == 0
        with time_machine.travel(DECEMBER, tick=False):
            first = warn_missing_calendar()
            again = warn_missing_calendar()  # beat ran twice (a restart): nothing new
        with time_machine.travel("2026-12-02 08:30 +0800", tick=False):
            next_day = warn_missing_calendar()

    mails = [m for m in mail.outbox if m.to == ["calendar_admin@example.gov.cn"]]
    assert first >= 2 and again == 0 and next_day >= 2  # in-app and e-mail, per superuser
    assert len(mails) == 2
    assert "请录入 2027 年节假日安排" in mails[0].subject and "节假日与调休" in mails[0].body
    rows = Notification.objects.filter(kind=Kind.CALENDAR, recipient=superuser, channel=Channel.EMAIL)
    assert sorted(rows.values_list("dedupe_key", flat=True)) == ["calendar-missing:2027:2026-12-01", "calendar-missing:2027:2026-12-02"]
