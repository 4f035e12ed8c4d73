"""The approval history (SheetEvent) as it stood after 0002, without viewflow.workflow.

0001 built a viewflow.workflow process per sheet (SheetProcess) and 0002 moved its state onto the sheet row and
dropped it again; together they leave SheetEvent alone. A fresh database gets just that, and never a viewflow
table. A database that applied 0001 and 0002 counts this one as applied (``replaces``); the tables viewflow left
there are dropped by 0009_drop_viewflow_tables.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('workflow', '0001_initial'), ('workflow', '0002_fsm_state_on_sheet')]

    initial = True

    dependencies = [
        ('projects', '0003_sheet_approval_fields'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SheetEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('submit', '提交'), ('withdraw', '撤回'), ('approve', '通过'), ('return', '退回修改'), ('reassign', '转办'), ('nudge', '催办'), ('publish', '公开'), ('move', '移交科室'), ('import', '导入 Word'), ('restore', '恢复内容'), ('repair', '系统校正')], max_length=20, verbose_name='操作')),
                ('from_state', models.CharField(choices=[('draft', '草稿'), ('returned', '退回修改'), ('section_review', '科室审核'), ('leader_review', '局领导审批'), ('finance_review', '财政审核'), ('published', '已公开')], max_length=20, verbose_name='原状态')),
                ('to_state', models.CharField(choices=[('draft', '草稿'), ('returned', '退回修改'), ('section_review', '科室审核'), ('leader_review', '局领导审批'), ('finance_review', '财政审核'), ('published', '已公开')], max_length=20, verbose_name='新状态')),
                ('comment', models.TextField(blank=True, verbose_name='意见')),
                ('snapshot', models.JSONField(blank=True, null=True, verbose_name='提交时内容')),
                ('created', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='时间')),
                ('actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                ('sheet', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='projects.targetsheet', verbose_name='绩效目标表')),
                ('target_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='转办给')),
            ],
            options={
                'verbose_name': '审批记录',
                'verbose_name_plural': '审批记录',
                'ordering': ['created', 'id'],
                'indexes': [models.Index(fields=['sheet', 'created'], name='event_sheet_created')],
            },
        ),
    ]
