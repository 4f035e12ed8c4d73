"""The administrators' holiday table: a day they set by hand wins over ``chinesecalendar`` (``workdays.days``)."""

from __future__ import annotations

from django.db import models


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "放假（节假日）"
    WORKDAY = "workday", "上班（调休补班）"


class CalendarDay(models.Model):
    """A day whose working status an administrator sets by hand; it wins over ``chinesecalendar``.

    Enter the State Council's holiday notice for a year chinesecalendar does not know yet
    (every holiday day, and every make-up working day on a weekend), or correct a single day.
    """

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=DayKind.choices)
    note = models.CharField("说明", max_length=100, blank=True, help_text="例如：春节、国庆节调休上班")

    class Meta:
        db_table = "notifications_calendarday"  # created by notifications' migrations; the rows stayed where they were
        verbose_name = verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}" + (f"（{self.note}）" if self.note else "")
