"""POST /notifications/<id>/read/ and /notifications/read-all/: mark read (and open the linked page)."""

from django.urls import reverse

from notifications import outbox
from notifications.messages import Message
from notifications.models import Channel, Kind, Notification


def notify(user, key, url="http://127.0.0.1:8000/sheets/7/"):
    outbox.notifications_create(
        recipients=[user], message=Message(Kind.SUBMIT, "待科室审核：表", "请审核。", url), dedupe_key=key
    )
    return Notification.objects.get(recipient=user, channel=Channel.IN_APP, dedupe_key=key)


def test_owner_marks_one_read(client, org):
    note = notify(org.owner, "a")
    client.force_login(org.owner)

    response = client.post(reverse("notification_read", args=[note.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("notification_list")
    note.refresh_from_db()
    assert note.read_at is not None


def test_opening_marks_read_and_goes_to_the_linked_page(client, org):
    note = notify(org.owner, "a")
    client.force_login(org.owner)

    response = client.post(reverse("notification_read", args=[note.pk]), {"open": "1"})

    assert response.status_code == 302 and response["Location"] == "http://127.0.0.1:8000/sheets/7/"
    note.refresh_from_db()
    assert note.is_read


def test_someone_elses_notification_is_not_found_and_stays_unread(client, org):
    note = notify(org.owner, "a")
    client.force_login(org.colleague)

    response = client.post(reverse("notification_read", args=[note.pk]), {"open": "1"})

    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_anonymous_cannot_mark_read(client, org):
    note = notify(org.owner, "a")
    response = client.post(reverse("notification_read", args=[note.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    note.refresh_from_db()
    assert note.read_at is None


def test_reading_needs_a_post(client, org):
    note = notify(org.owner, "a")
    client.force_login(org.owner)
    assert client.get(reverse("notification_read", args=[note.pk])).status_code == 405


def test_read_all_marks_only_the_users_own(client, org):
    mine = [notify(org.owner, "a"), notify(org.owner, "b")]
    theirs = notify(org.colleague, "c")
    client.force_login(org.owner)

    response = client.post(reverse("notifications_read_all"), follow=True)

    assert "已将 2 条通知标为已读。" in response.content.decode()
    assert all(Notification.objects.get(pk=n.pk).is_read for n in mine)
    assert not Notification.objects.get(pk=theirs.pk).is_read
