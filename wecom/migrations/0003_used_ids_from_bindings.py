"""Every WeCom id bound to someone today, or in the account change log, counts as used by that person.

Sign-ins were not recorded before ``UsedWeComId`` existed: an id that is (or was) bound to a person may have signed
them in, so an agency administrator must not be able to move it to someone else after this migration either."""

from django.db import migrations

BATCH = 5000


def backfill(apps, schema_editor):
    Preference = apps.get_model("notifications", "Preference")
    AccountChange = apps.get_model("wecom", "AccountChange")
    UsedWeComId = apps.get_model("wecom", "UsedWeComId")
    pairs = set()
    for userid, person_id in Preference.objects.exclude(wecom_userid="").values_list("wecom_userid", "user_id").iterator():
        pairs.add((userid.strip().lower(), person_id))
    for old, new, person_id in AccountChange.objects.values_list("old", "new", "person_id").iterator():
        pairs.update((value.strip().lower(), person_id) for value in (old, new) if value.strip())
    rows = [UsedWeComId(userid=userid, person_id=person_id, how="bound") for userid, person_id in sorted(pairs) if userid]
    UsedWeComId.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0007_account_notice_kind"),
        ("wecom", "0002_wecom_id_requests_and_uses"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
