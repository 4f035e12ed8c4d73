"""Load the curated common set (共性指标) from library/fixtures/common_indicators.json."""

from django.db import migrations


def load(apps, schema_editor):
    from library.common import load_common

    load_common(apps.get_model("library", "Entry"))


class Migration(migrations.Migration):
    dependencies = [("library", "0001_entries_usages_curation")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
