# CalendarDay now belongs to the workdays app (its 0001 takes it over): forget it here in the migration state only;
# the table notifications_calendarday and its rows stay, read by workdays.models.CalendarDay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0007_account_notice_kind"),
        ("workdays", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CalendarDay")],
            database_operations=[],
        ),
    ]
