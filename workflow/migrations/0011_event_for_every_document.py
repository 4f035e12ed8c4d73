"""One history table for every document on the approval engine: ``SheetEvent`` becomes ``Event`` (table
``workflow_event``), its ``sheet`` foreign key nullable beside the foreign keys later documents add, with a check that
exactly one is set. The indexes keep their names (已办: actor, -created, -id; a document's history: sheet, created).
``nudge`` leaves the actions: a 催办 is a notification, never a history entry (none was ever recorded)."""

from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0011_approvable_assignee"),
        ("workflow", "0010_pendingimport_moved_to_sheets"),
        ("notifications", "0006_pending_fan_out"),  # its foreign key to the history follows the rename
    ]

    operations = [
        migrations.RenameModel(old_name="SheetEvent", new_name="Event"),
        migrations.AlterField(
            model_name="event",
            name="sheet",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="events",
                to="projects.targetsheet", verbose_name="绩效目标表",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="action",
            field=models.CharField(
                choices=[("submit", "提交"), ("withdraw", "撤回"), ("approve", "通过"), ("return", "退回修改"), ("reassign", "转办"),
                         ("publish", "公开"), ("move", "移交科室"), ("import", "导入 Word"), ("restore", "恢复内容"),
                         ("repair", "系统校正"), ("rollover", "由上年结转")],
                max_length=20, verbose_name="操作",
            ),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(condition=models.Q(("sheet__isnull", False)), name="event_one_document"),
        ),
    ]
