"""A self-evaluation carries its sheet's year (copied from the sheet), and the agency's view reads its figures from one
index of (agency, year) holding what they count."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('evaluations', '0004_deadline_and_department_evaluation'),
        ('projects', '0014_cc_consult'),
    ]

    operations = [
        migrations.AddField(
            model_name='selfevaluation',
            name='fiscal_year',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='projects.fiscalyear', verbose_name='预算年度'),
        ),
        migrations.RunSQL(
            "UPDATE evaluations_selfevaluation SET fiscal_year_id = (SELECT t.fiscal_year_id FROM projects_targetsheet t "
            "WHERE t.id = evaluations_selfevaluation.sheet_id)",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name='selfevaluation',
            name='fiscal_year',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='projects.fiscalyear', verbose_name='预算年度'),
        ),
        migrations.AlterField(
            model_name='selfevaluation',
            name='agency',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='projects.agency', verbose_name='预算单位'),
        ),
        migrations.AddIndex(
            model_name='selfevaluation',
            index=models.Index(fields=['agency', 'fiscal_year', 'state', 'adjusted_budget', 'spent', 'budget_score', 'total', 'grade'], name='evaluation_agency_year'),
        ),
    ]
