"""An index on the role grants by their scope (guardian's ``content_type_id, object_pk``): who holds a role on this
agency or its sections (the 人员与角色 page's people and their first role, the unstaffed-step warning) is read
from the scope's grants, not by scanning every grant of the province (guardian indexes them by user and by
permission only)."""

from django.db import migrations

INDEX = "grant_scope_idx"
TABLE = "guardian_userobjectpermission"


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0003_delegation"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
    ]

    operations = [
        migrations.RunSQL(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON "{TABLE}" ("content_type_id", "object_pk")',
            f"DROP INDEX IF EXISTS {INDEX}",
            elidable=True,
        ),
    ]
