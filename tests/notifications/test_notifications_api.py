"""GET /api/notifications/: the signed-in user's notifications, newest first, with read state."""


from notifications import inbox, outbox
from notifications.messages import Message
from notifications.models import Channel, Kind, Notification

URL = "/api/notifications/"


def notify(user, title, key):
    outbox.notifications_create(
        recipients=[user], message=Message(Kind.RETURN, title, "退回意见：请补充。", "http://127.0.0.1:8000/sheets/3/"),
        dedupe_key=key,
    )
    return Notification.objects.get(recipient=user, channel=Channel.IN_APP, dedupe_key=key)


def test_anonymous_is_refused(client):
    response = client.get(URL)
    assert response.status_code in (401, 403)
    assert response.json()["detail"] == "身份认证信息未提供。"


def test_owner_gets_their_notifications_newest_first_with_read_state(client, org):
    first = notify(org.owner, "退回修改：表一", "a")
    second = notify(org.owner, "退回修改：表二", "b")
    inbox.notification_mark_read(notification=first)
    notify(org.colleague, "同事的", "c")
    client.force_login(org.owner)

    data = client.get(URL).json()

    assert len(data["results"]) == 2 and data["unread"] == 1 and data["next"] is None
    assert [(n["id"], n["title"], n["read"]) for n in data["results"]] == [
        (second.pk, "退回修改：表二", False), (first.pk, "退回修改：表一", True),
    ]
    item = data["results"][0]
    assert item["kind"] == "return" and item["kind_label"] == "退回修改"
    assert item["url"] == "http://127.0.0.1:8000/sheets/3/" and item["read_at"] is None


def test_unread_filter_and_paging(client, org):
    for i in range(3):
        notify(org.owner, f"通知{i}", str(i))
    inbox.notification_mark_read(notification=Notification.objects.get(dedupe_key="0", channel=Channel.IN_APP))
    client.force_login(org.owner)

    assert [n["title"] for n in client.get(URL + "?unread=1").json()["results"]] == ["通知2", "通知1"]
    first = client.get(URL + "?size=1").json()
    page = client.get(first["next"]).json()
    assert [n["title"] for n in first["results"]] == ["通知2"] and [n["title"] for n in page["results"]] == ["通知1"]
    assert page["previous"] and page["next"]


def test_other_channels_are_not_listed(client, org):
    notify(org.owner, "退回修改：表一", "a")  # in-app + e-mail rows
    client.force_login(org.owner)
    assert len(client.get(URL).json()["results"]) == 1
