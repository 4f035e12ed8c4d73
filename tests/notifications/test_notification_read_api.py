"""POST /api/notifications/{id}/read/ (and read-all): mark the user's own notifications read; no flash messages."""


from notifications import outbox
from notifications.messages import Message
from notifications.models import Channel, Kind, Notification


def notify(user, key):
    outbox.notifications_create(
        recipients=[user], message=Message(Kind.SUBMIT, "待科室审核：表", "请审核。", "http://127.0.0.1:8000/"), dedupe_key=key
    )
    return Notification.objects.get(recipient=user, channel=Channel.IN_APP, dedupe_key=key)


def test_owner_marks_one_read(client, org):
    note = notify(org.owner, "a")
    client.force_login(org.owner)

    response = client.post(f"/api/notifications/{note.pk}/read/")

    assert response.status_code == 200
    assert response.json()["read"] is True and response.json()["id"] == note.pk
    note.refresh_from_db()
    assert note.read_at is not None
    assert "messages" not in response.cookies  # an API adds no flash message


def test_marking_twice_keeps_the_first_read_time(client, org):
    note = notify(org.owner, "a")
    client.force_login(org.owner)
    first = client.post(f"/api/notifications/{note.pk}/read/").json()["read_at"]
    assert client.post(f"/api/notifications/{note.pk}/read/").json()["read_at"] == first


def test_another_users_notification_is_not_found(client, org):
    note = notify(org.owner, "a")
    client.force_login(org.outsider)

    response = client.post(f"/api/notifications/{note.pk}/read/")

    assert response.status_code == 404 and response.json()["detail"]
    note.refresh_from_db()
    assert note.read_at is None


def test_anonymous_is_refused(client, org):
    note = notify(org.owner, "a")
    assert client.post(f"/api/notifications/{note.pk}/read/").status_code in (401, 403)
    note.refresh_from_db()
    assert note.read_at is None


def test_read_all(client, org):
    notify(org.owner, "a")
    notify(org.owner, "b")
    other = notify(org.colleague, "c")
    client.force_login(org.owner)

    response = client.post("/api/notifications/read-all/")

    assert response.json() == {"marked": 2, "unread": 0}
    assert client.get("/api/notifications/").json()["unread"] == 0
    other.refresh_from_db()
    assert other.read_at is None
    assert "messages" not in response.cookies
