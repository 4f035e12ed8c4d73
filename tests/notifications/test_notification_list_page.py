"""/notifications/: the signed-in user's notification centre, with the unread count on every page."""

from django.urls import reverse

from notifications import outbox
from notifications.messages import Message
from notifications.models import Channel, Kind, Notification


def notify(user, title, key, url="http://127.0.0.1:8000/tasks/"):
    outbox.notifications_create(
        recipients=[user], message=Message(Kind.SUBMIT, title, f"{title}：请审核。", url), dedupe_key=key
    )
    return Notification.objects.get(recipient=user, channel=Channel.IN_APP, dedupe_key=key)


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("notification_list"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_owner_sees_only_their_notifications_newest_first_with_the_unread_badge(client, org):
    notify(org.owner, "待科室审核：表一", "a")
    notify(org.owner, "退回修改：表二", "b")
    Notification.objects.filter(recipient=org.owner, dedupe_key="a").update(read_at="2024-06-01T00:00Z")
    notify(org.colleague, "同事的通知", "c")
    client.force_login(org.owner)

    response = client.get(reverse("notification_list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("退回修改：表二") < page.index("待科室审核：表一")
    assert "同事的通知" not in page
    assert '<span class="badge" data-testid="unread-count">1</span>' in page
    assert page.count('data-read="0"') == 1 and page.count('data-read="1"') == 1


def test_unread_only_filter(client, org):
    notify(org.owner, "已读的", "a")
    notify(org.owner, "未读的", "b")
    Notification.objects.filter(dedupe_key="a").update(read_at="2024-06-01T00:00Z")
    client.force_login(org.owner)

    page = client.get(reverse("notification_list") + "?unread=1").content.decode()

    assert "未读的" in page and "已读的" not in page


def test_the_unread_count_shows_on_other_pages_too(client, org):
    notify(org.owner, "待科室审核：表一", "a")
    client.force_login(org.owner)

    page = client.get(reverse("notification_preferences")).content.decode()

    assert '<span class="badge" data-testid="unread-count">1</span>' in page


def test_the_badge_says_99_plus_beyond_99_unread_and_the_centre_lists_them(client, org):
    """The badge on every page counts at most 100 unread (a province's finance reviewer may have thousands)."""
    outbox.notifications_create(
        recipients=[org.owner], message=Message(Kind.SUBMIT, "待科室审核：表", "待科室审核：表：请审核。", "http://127.0.0.1:8000/tasks/"),
        dedupe_key="first",
    )
    first = Notification.objects.get(recipient=org.owner, channel=Channel.IN_APP)
    Notification.objects.bulk_create([
        Notification(recipient=org.owner, channel=Channel.IN_APP, kind=first.kind, title=f"待科室审核：表{i}", body=first.body,
                     url=first.url, dedupe_key=f"many-{i}", status=first.status)
        for i in range(100)
    ])
    client.force_login(org.owner)

    page = client.get(reverse("notification_preferences")).content.decode()
    assert '<span class="badge" data-testid="unread-count">99+</span>' in page

    Notification.objects.filter(recipient=org.owner, dedupe_key__startswith="many-").exclude(dedupe_key="many-0").update(
        read_at="2024-06-01T00:00Z"
    )
    page = client.get(reverse("notification_preferences")).content.decode()
    assert '<span class="badge" data-testid="unread-count">2</span>' in page


def test_someone_without_notifications_sees_an_empty_centre_and_no_badge(client, org):
    client.force_login(org.outsider)
    page = client.get(reverse("notification_list")).content.decode()
    assert "暂无通知。" in page and 'data-testid="unread-count"' not in page
