"""A trigram index on a person's 姓名 (family name then given name) for 待办/已办/通知 search by person
(``workflow.selectors.people_matching``: UPPER(last_name || first_name) LIKE UPPER('%…%')). PostgreSQL only, as
projects 0005; without pg_trgm the search scans the user table (a warning says so)."""

import logging

from django.conf import settings
from django.db import DatabaseError, migrations, transaction

INDEX = "person_name_trgm"


def name_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    table = apps.get_model(*settings.AUTH_USER_MODEL.split("."))._meta.db_table
    try:
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute(
                    f'CREATE INDEX IF NOT EXISTS {INDEX} ON "{table}" USING gin ((UPPER("last_name" || "first_name")) gin_trgm_ops)'
                )
    except DatabaseError:
        logging.getLogger(__name__).warning("pg_trgm 扩展不可用：按人员姓名搜索将不使用三元组索引。")


def name_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(name_index, name_index_drop, elidable=True)]
