from django.db import migrations, models


class Migration(migrations.Migration):
    """The checker's verdict stored on each sheet (lists and 待办 read it instead of running the checker per row).
    The columns are nullable: NULL is "not known yet" (lists then run the checker on the row); 0009 fills them."""

    dependencies = [
        ("projects", "0006_sheet_rolled_over_from"),
    ]

    operations = [
        migrations.AddField(
            model_name="targetsheet",
            name="check_errors",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True, verbose_name="体检错误数"),
        ),
        migrations.AddField(
            model_name="targetsheet",
            name="check_warnings",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True, verbose_name="体检提示数"),
        ),
    ]
