"""The outbox in the admin: filter by status and channel, and 重新发送 for failed rows."""

import pytest
from django.contrib.auth import get_user_model

from notifications.models import Channel, Kind, Notification, Status

URL = "/admin/notifications/notification/"


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("outbox_admin", "outbox_admin@example.gov.cn", "pw")


def row(user, channel, status, key, **extra):
    return Notification.objects.create(
        recipient=user, channel=channel, kind=Kind.SUBMIT, title=f"{key} 待科室审核", body="请审核。", url="",
        dedupe_key=key, status=status, **extra,
    )


def test_admins_filter_the_outbox_by_status_and_channel(client, org, admin_user):
    row(org.owner, Channel.EMAIL, Status.FAILED, "mail-failed", attempts=1, last_error="收件人未设置电子邮箱。")
    row(org.owner, Channel.WECOM, Status.SENT, "wecom-sent")
    client.force_login(admin_user)

    page = client.get(URL, {"status__exact": "failed"}).content.decode()
    assert "mail-failed 待科室审核" in page and "wecom-sent" not in page and "收件人未设置电子邮箱。" in page
    page = client.get(URL, {"channel__exact": "wecom"}).content.decode()
    assert "wecom-sent 待科室审核" in page and "mail-failed" not in page


def test_resend_puts_failed_rows_back_and_queues_them_after_commit(
    client, org, admin_user, django_capture_on_commit_callbacks
):
    failed = row(org.owner, Channel.EMAIL, Status.FAILED, "failed", attempts=12, last_error="已尝试 12 次仍未成功")
    sent = row(org.owner, Channel.WECOM, Status.SENT, "sent", attempts=1)
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            URL, {"action": "resend", "_selected_action": [failed.pk, sent.pk]}, follow=True
        )

    assert "已重新放入发件箱 1 条，稍后发送。" in response.content.decode()
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.PENDING, 0)
    assert sent.status == Status.SENT
    assert len(callbacks) == 1


def test_resend_with_nothing_failed_says_so(client, org, admin_user):
    sent = row(org.owner, Channel.WECOM, Status.SENT, "sent")
    client.force_login(admin_user)
    response = client.post(URL, {"action": "resend", "_selected_action": [sent.pk]}, follow=True)
    assert "选中的通知中没有发送失败的记录。" in response.content.decode()


def test_non_staff_cannot_see_the_outbox(client, org):
    client.force_login(org.leader)
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
