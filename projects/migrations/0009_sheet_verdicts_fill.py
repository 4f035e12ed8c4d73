from django.db import migrations


def fill_verdicts(apps, schema_editor):
    from projects.services import sheet_verdicts_fill

    sheet_verdicts_fill(apps=apps)


class Migration(migrations.Migration):
    """The checker's verdict computed for the sheets that exist (projects 0007 added the columns).

    Not one transaction: the fill commits a batch of sheets at a time (about 40 s for a province's 200,000), so the
    sheets stay readable and writable while it runs; it only fills sheets without a verdict, so a fill that stopped
    half-way is finished by running ``migrate`` again."""

    atomic = False

    dependencies = [
        ("projects", "0008_sheet_task_order_index"),
    ]

    operations = [
        migrations.RunPython(fill_verdicts, migrations.RunPython.noop, elidable=True),
    ]
