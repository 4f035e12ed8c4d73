from django.db import migrations, models


def fill_verdicts(apps, schema_editor):
    from projects.services import sheet_verdicts_fill

    sheet_verdicts_fill(apps=apps)


class Migration(migrations.Migration):
    """The checker's verdict stored on each sheet (lists and 待办 read it instead of running the checker per row),
    computed here for the sheets that exist.

    Not one transaction: the new columns are nullable (NULL: not known yet, lists then run the checker on the row),
    each is added under a brief lock, and the fill commits a batch of sheets at a time (about 40 s for a province's
    200,000), so the sheets stay readable and writable while it runs."""

    atomic = False

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
        migrations.RunPython(fill_verdicts, migrations.RunPython.noop, elidable=True),
    ]
