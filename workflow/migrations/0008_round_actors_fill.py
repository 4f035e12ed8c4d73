from django.db import migrations
from django.db.models import OuterRef, Subquery

REVIEW_STATES = ("section_review", "leader_review", "finance_review")  # as workflow.approval declared them here
BATCH = 2000


def fill_rounds(apps, schema_editor):
    """Each sheet waiting at a review step is told who submitted it and who approved its steps since (its history), so
    that they do not review it again in this round (提交与审核分离)."""
    TargetSheet = apps.get_model("projects", "TargetSheet")
    SheetEvent = apps.get_model("workflow", "SheetEvent")
    last_submit = (
        SheetEvent.objects.filter(sheet=OuterRef("sheet_id"), action="submit").order_by("-created", "-id").values("created")[:1]
    )
    pks = list(TargetSheet.objects.filter(state__in=REVIEW_STATES).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        batch = pks[start:start + BATCH]
        actors: dict[int, list[str]] = {}
        rows = (
            SheetEvent.objects.filter(sheet_id__in=batch, action__in=["submit", "approve"], actor__isnull=False)
            .filter(created__gte=Subquery(last_submit))
            .order_by("sheet_id", "created", "id")
            .values_list("sheet_id", "actor_id")
        )
        for sheet_id, actor_id in rows:
            actors.setdefault(sheet_id, []).append(str(actor_id))
        sheets = [TargetSheet(pk=pk, round_actors=f",{','.join(ids)},") for pk, ids in actors.items()]
        TargetSheet.objects.bulk_update(sheets, ["round_actors"], batch_size=500)


class Migration(migrations.Migration):
    """The round's submitter and approvers (projects 0010 added the column) for the sheets under review now."""

    dependencies = [
        ("projects", "0010_sheet_round_actors"),
        ("workflow", "0007_merge_0006_rollover_action_0006_saved_phrases"),
    ]

    operations = [
        migrations.RunPython(fill_rounds, migrations.RunPython.noop, elidable=True),
    ]
