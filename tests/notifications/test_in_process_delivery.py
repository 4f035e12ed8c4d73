"""``make run`` has no Redis: Celery runs tasks in-process (eager). Delivery then happens during the request, and a
missing mail server only leaves the row pending with the reason; the user's page works as usual."""

import pytest

from notifications.models import Channel, Notification, Status
from tests.support import celery_setting, free_port


@pytest.fixture
def eager(transactional_db):
    saved = celery_setting("task_always_eager")
    celery_setting("task_always_eager", True)
    yield
    celery_setting("task_always_eager", saved)


def test_submitting_works_when_no_mail_server_is_there(client, org, make_sheet, eager, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    sheet = make_sheet(org.business)  # no group robot
    client.force_login(org.colleague)

    response = client.post(f"/sheets/{sheet.pk}/submit/", follow=True)

    assert response.status_code == 200 and "已提交科室审核。" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.state == "section_review"
    mail = Notification.objects.get(channel=Channel.EMAIL)
    assert mail.status == Status.PENDING and mail.attempts == 1
    assert mail.last_error.startswith("无法连接邮件服务器 127.0.0.1:")
    assert Notification.objects.get(channel=Channel.IN_APP).recipient == org.colleague_head


def test_with_a_mail_server_the_mail_goes_out_during_the_request(client, org, make_sheet, eager, smtp):
    sheet = make_sheet(org.business)
    client.force_login(org.colleague)

    client.post(f"/sheets/{sheet.pk}/submit/")

    assert Notification.objects.get(channel=Channel.EMAIL).status == Status.SENT
    assert [m["to"] for m in smtp.mails] == [["colleague_head@example.gov.cn"]]
