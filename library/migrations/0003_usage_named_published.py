"""Usage rows say which entry their own name is and whether their sheet is published; ``use_count`` counts published
sheets, ``published_name_uses`` those using the entry's very name; an entry of the sheets is described by its latest
published row only (no longer by a draft's text).

The data step rebuilds the derived rows as ``library.services.library_rebuild`` does (frozen here): every usage row
again, the counts, and the descriptions."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

DESCRIBED = ("description", "value_operator", "value_unit", "example_value")
INSERT = (
    "INSERT INTO library_usage (entry_id, named_entry_id, sheet_id, year, target_value, published) "
    "SELECT COALESCE(e.merged_into_id, e.id), e.id, i.sheet_id, y.year, i.target_value, s.state = %s "
    "FROM projects_indicator i JOIN library_entry e ON e.category = TRIM(i.category) AND e.subcategory = TRIM(i.subcategory) "
    "AND e.name = TRIM(i.name) JOIN projects_targetsheet s ON s.id = i.sheet_id JOIN projects_fiscalyear y ON y.id = s.fiscal_year_id"
)
DESCRIBE = (
    "UPDATE library_entry SET description = x.description, value_operator = x.value_operator, value_unit = x.value_unit, "
    "example_value = x.example_value FROM (SELECT e.id, i.description, i.value_operator, i.value_unit, "
    "i.target_value AS example_value, ROW_NUMBER() OVER (PARTITION BY e.id ORDER BY y.year DESC, i.id DESC) AS n "
    "FROM projects_indicator i JOIN projects_targetsheet s ON s.id = i.sheet_id AND s.state = %s "
    "JOIN projects_fiscalyear y ON y.id = s.fiscal_year_id JOIN library_entry e ON e.category = TRIM(i.category) "
    "AND e.subcategory = TRIM(i.subcategory) AND e.name = TRIM(i.name) AND e.kind = %s) x "
    "WHERE library_entry.id = x.id AND x.n = 1"
)


def rebuild(apps, schema_editor):
    Entry = apps.get_model("library", "Entry")
    Usage = apps.get_model("library", "Usage")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM library_usage")
        cursor.execute(INSERT, ["published"])

    def published(field):
        rows = Usage.objects.filter(**{field: OuterRef("pk")}, published=True).order_by().values(field)
        return Coalesce(Subquery(rows.annotate(n=Count("sheet", distinct=True)).values("n")), 0)

    Entry.objects.update(use_count=published("entry"), published_name_uses=published("named_entry"))
    Entry.objects.filter(kind="specific").update(**{name: "" for name in DESCRIBED})
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(DESCRIBE, ["published", "specific"])


class Migration(migrations.Migration):

    dependencies = [
        ('library', '0002_load_common_indicators'),
        ('projects', '0009_sheet_verdicts_fill'),
    ]

    operations = [
        migrations.AddField(
            model_name='usage',
            name='named_entry',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='library.entry', verbose_name='同名条目'),
        ),
        migrations.AddField(
            model_name='usage',
            name='published',
            field=models.BooleanField(default=False, verbose_name='已公开'),
        ),
        migrations.AddField(
            model_name='entry',
            name='published_name_uses',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='已公开表中同名使用次数'),
        ),
        migrations.AlterField(
            model_name='entry',
            name='use_count',
            field=models.PositiveIntegerField(default=0, editable=False, help_text='使用它的已公开绩效目标表张数（含并入的重复条目）', verbose_name='使用次数'),
        ),
        migrations.AddIndex(
            model_name='usage',
            index=models.Index(fields=['named_entry', 'sheet'], name='library_usage_named'),
        ),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
