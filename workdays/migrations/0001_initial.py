# The holiday table moved here from notifications (its 0002 created it): this app takes the model over in the
# migration state only; the table, notifications_calendarday, and its rows stay where they are. The content type
# moves with it, so the permissions granted on it and the admin log keep pointing at the same model.

from django.db import migrations, models


def content_type_moves(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="workdays", model="calendarday").exists():
        ContentType.objects.using(db).filter(app_label="notifications", model="calendarday").update(app_label="workdays")


def content_type_moves_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="notifications", model="calendarday").exists():
        ContentType.objects.using(db).filter(app_label="workdays", model="calendarday").update(app_label="notifications")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("notifications", "0007_account_notice_kind"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CalendarDay",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("date", models.DateField(unique=True, verbose_name="日期")),
                        ("kind", models.CharField(choices=[("holiday", "放假（节假日）"), ("workday", "上班（调休补班）")], max_length=10, verbose_name="类型")),
                        ("note", models.CharField(blank=True, help_text="例如：春节、国庆节调休上班", max_length=100, verbose_name="说明")),
                    ],
                    options={
                        "verbose_name": "节假日与调休",
                        "verbose_name_plural": "节假日与调休",
                        "db_table": "notifications_calendarday",
                        "ordering": ["date"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_moves, content_type_moves_back, elidable=True),
    ]
