# PendingImport belongs to the sheets app's Word import (sheets 0001): the engine forgets the model, the table stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0009_drop_viewflow_tables'),
        ('sheets', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='PendingImport')],
            database_operations=[],
        ),
    ]
