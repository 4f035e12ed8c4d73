"""Indexes for the library at a province's size (issue 24).

- ``library_entry_rank``: the entries of a category in the order the editor's type-ahead and ``/library/`` rank them
  (recommended, the common set, the most used, by name), so the first twelve are read without sorting the category;
  ``library_entry_rank_all`` the same over every category (``/library/`` unfiltered: its first 300);
- trigram GIN indexes on what a keystroke matches (``UPPER(name)``, ``UPPER(description)`` as ``icontains`` writes
  them, ``initials`` for ``contains``), so a rare text is found without scanning the library. PostgreSQL only (as
  ``projects.0005``): SQLite (``make run``) has neither pg_trgm nor GIN, a plain scan there, at demo size;
- ``library_usage_entry_year`` gains the sheet, so an entry's latest uses are its index's first rows.
"""

import logging

from django.db import DatabaseError, migrations, models, transaction

TRIGRAM_INDEXES = {
    "library_entry_name_trgm": 'UPPER("name"::text) gin_trgm_ops',
    "library_entry_description_trgm": 'UPPER("description"::text) gin_trgm_ops',
    "library_entry_initials_trgm": '("initials"::text) gin_trgm_ops',
}


def trigram_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias):  # a savepoint: a role that may not create extensions goes on
            with connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                for name, expression in TRIGRAM_INDEXES.items():
                    cursor.execute(f'CREATE INDEX IF NOT EXISTS {name} ON "library_entry" USING gin ({expression})')
    except DatabaseError:
        logging.getLogger(__name__).warning("pg_trgm 扩展不可用：指标库联想将不使用三元组索引。请由数据库管理员执行 CREATE EXTENSION pg_trgm 后重新迁移。")


def trigram_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in TRIGRAM_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("library", "0003_usage_named_published"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="entry",
            index=models.Index(
                fields=["category", "subcategory", "-recommended", "kind", "-use_count", "name", "id"],
                condition=models.Q(retired=False), name="library_entry_rank",
            ),
        ),
        migrations.AddIndex(
            model_name="entry",
            index=models.Index(
                fields=["-recommended", "kind", "-use_count", "name", "id"], condition=models.Q(retired=False),
                name="library_entry_rank_all",
            ),
        ),
        migrations.RemoveIndex(model_name="usage", name="library_usage_entry_year"),
        migrations.AddIndex(
            model_name="usage",
            index=models.Index(fields=["entry", "-year", "sheet"], name="library_usage_entry_year"),
        ),
        migrations.RunPython(trigram_indexes, trigram_indexes_drop, elidable=True),
    ]
