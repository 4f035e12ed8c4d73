# PendingImport moved here from workflow: only the state moves, the table keeps its name (workflow_pendingimport).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_move(app_from, app_to):
    """The content type (and so the permissions) of a database migrated before follows the model; a fresh database has
    none yet (they are created after the migrations)."""
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        if not ContentType.objects.filter(app_label=app_to, model="pendingimport").exists():
            ContentType.objects.filter(app_label=app_from, model="pendingimport").update(app_label=app_to)
    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('projects', '0003_sheet_approval_fields'),
        ('workflow', '0009_drop_viewflow_tables'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PendingImport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('file_name', models.CharField(max_length=255, verbose_name='文件名')),
                        ('content', models.BinaryField(verbose_name='文件内容')),
                        ('year', models.PositiveSmallIntegerField(verbose_name='预算年度')),
                        ('created', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='上传时间')),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='确认导入时间')),
                        ('expected_versions', models.JSONField(blank=True, default=dict, verbose_name='预览时各表版本')),
                        ('section', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='projects.section', verbose_name='导入到科室')),
                        ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pending_imports', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
                    ],
                    options={
                        'verbose_name': '待确认的导入',
                        'verbose_name_plural': '待确认的导入',
                        'db_table': 'workflow_pendingimport',
                        'ordering': ['-created', '-id'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_move("workflow", "sheets"), content_type_move("sheets", "workflow")),
    ]
