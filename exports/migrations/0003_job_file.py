"""Export files move from the row (``content``) to ``EXPORTS_ROOT`` (``path``, ``size``). A job finished before has
no file there: it is expired at once (its owner reads 已过期，请重新导出 and the hourly expiry deletes it)."""

from django.db import migrations, models
from django.db.models.functions import Now


def expire_stored(apps, schema_editor):
    ExportJob = apps.get_model("exports", "ExportJob")
    ExportJob.objects.filter(content__isnull=False).update(content=None, expires=Now())


class Migration(migrations.Migration):

    dependencies = [
        ('exports', '0002_job_attempts_heartbeat'),
    ]

    operations = [
        migrations.RunPython(expire_stored, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='exportjob',
            name='content',
        ),
        migrations.AddField(
            model_name='exportjob',
            name='path',
            field=models.CharField(blank=True, editable=False, help_text='EXPORTS_ROOT 中的文件名', max_length=255, verbose_name='文件'),
        ),
        migrations.AddField(
            model_name='exportjob',
            name='size',
            field=models.BigIntegerField(blank=True, editable=False, null=True, verbose_name='文件大小（字节）'),
        ),
    ]
