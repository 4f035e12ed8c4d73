"""The recipient column's own index goes: notification_inbox (recipient, channel, read_at) starts with it and serves
every lookup by recipient, and each index costs every insert (a province's reminder day inserts 200,000 rows).

Only the index is dropped (``AlterField`` would also drop and re-validate the foreign key on the whole table)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0004_merge_handled_at_wecom_cards'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='notification',
                    name='recipient',
                    field=models.ForeignKey(blank=True, db_index=False, help_text='群机器人消息没有个人接收人', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='接收人'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "notifications_notification_recipient_id_d055f3f0"',
                    reverse_sql='CREATE INDEX IF NOT EXISTS "notifications_notification_recipient_id_d055f3f0" '
                                'ON "notifications_notification" ("recipient_id")',
                ),
            ],
        ),
    ]
