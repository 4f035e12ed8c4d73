"""TargetSheet inherits ``projects.approvable.Approvable``: the same columns and indexes; only the assignee's reverse
accessor (never read) is gone, a change of the model state without SQL."""

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0010_sheet_round_actors"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="targetsheet",
            name="assignee",
            field=models.ForeignKey(
                blank=True, help_text="转办后只有此人可以办理当前步骤；为空时该步骤的所有角色持有人都可以办理", null=True,
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL,
                verbose_name="当前步骤转办给",
            ),
        ),
    ]
