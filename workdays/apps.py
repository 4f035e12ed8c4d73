from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    """The working-day calendar: chinesecalendar and the administrators' holiday table (``CalendarDay``).

    Below the apps that count working days (``workflow``'s 待办, ``notifications``' reminders); imports none of them.
    """

    name = "workdays"
    verbose_name = "工作日历"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from workdays.models import CalendarDay

        post_save.connect(on_calendar_day_changed, sender=CalendarDay, dispatch_uid="workdays.calendar_saved")
        post_delete.connect(on_calendar_day_changed, sender=CalendarDay, dispatch_uid="workdays.calendar_deleted")


def on_calendar_day_changed(sender, **kwargs) -> None:
    """A ``CalendarDay`` was saved or deleted: forget the cached table now and again after commit."""
    from django.db import transaction

    from workdays import days

    days.overrides_changed()
    transaction.on_commit(days.overrides_changed)
