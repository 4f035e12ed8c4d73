"""viewflow.workflow is no longer installed: a database migrated before the squash still holds its empty tables
(0002 deleted every process of the old flow) and its rows in django_migrations. Drop both, so the database looks
like a fresh one and a later reinstall of viewflow.workflow would create its tables again. A table still holding
a process (which this project never wrote) is kept, with a note, rather than lose a row."""

from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder

TABLES = ("viewflow_task_previous", "viewflow_task", "viewflow_process")


def drop_viewflow_tables(apps, schema_editor):
    connection = schema_editor.connection
    present = [table for table in TABLES if table in connection.introspection.table_names()]
    quoted = [schema_editor.quote_name(table) for table in present]
    if "viewflow_process" in present:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {schema_editor.quote_name('viewflow_process')}")
            (left,) = cursor.fetchone()
        if left:
            print(f"\n  viewflow_process 中仍有 {left} 行流程数据：保留 viewflow 的数据表，请核对后手工删除。")
            return
    if quoted and connection.vendor == "postgresql":
        # viewflow_process.parent_task and viewflow_task.process point at each other: drop them together
        schema_editor.execute(f"DROP TABLE {', '.join(quoted)}")
    else:
        for table in quoted:  # empty tables: no foreign key check can fail
            schema_editor.execute(f"DROP TABLE {table}")
    MigrationRecorder(connection).migration_qs.filter(app="viewflow").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0008_round_actors_fill'),
    ]

    operations = [
        migrations.RunPython(drop_viewflow_tables, migrations.RunPython.noop, elidable=True),
    ]
