"""The WeCom doors against the loopback fake WeCom server (tests/fakes/wecom_server.py).

The organisation (``org``), sheets and fake server are the shared fixtures (tests/conftest.py, tests/parts.py):
``leader`` (赵局长, WeCom id leader.wx) reviews the agency's sheets after the head (李科长, head.wx).
"""

from __future__ import annotations

import pytest

from notifications import attempts
from notifications.models import Channel, Notification, Status, WeComCard
from workflow import services

CALLBACK = "/wecom/callback/"


@pytest.fixture
def wecom_app(wecom, settings):
    """The fake server is the site's WeCom application: API, authorize page and callback keys."""
    settings.WECOM_CALLBACK_TOKEN = wecom.callback_token
    settings.WECOM_ENCODING_AES_KEY = wecom.encoding_aes_key
    settings.WECOM_AUTHORIZE_URL = wecom.base_url + "/connect/oauth2/authorize"
    settings.SITE_URL = "http://testserver"
    settings.WECOM_TRUSTED_BASE_URL = "http://testserver"
    wecom.trusted_host = "testserver"
    return wecom


def deliver_wecom(user, sheet) -> list[Notification]:
    """Deliver the user's pending WeCom rows about ``sheet`` now (tests run inside one transaction: no on_commit)."""
    rows = list(Notification.objects.filter(recipient=user, channel=Channel.WECOM, sheet=sheet, status=Status.PENDING))
    for row in rows:
        attempts.notification_deliver(notification_id=row.pk)
    return rows


@pytest.fixture
def leader_card(org, make_sheet, wecom_app):
    """A sheet at 局领导审批 and the approval card WeCom showed the leader: ``(sheet, WeComCard)``."""

    def make(**kwargs):
        sheet = make_sheet(**kwargs)
        services.document_submit(document=sheet, user=org.owner)
        services.document_approve(document=sheet, user=org.head)
        deliver_wecom(org.leader, sheet)
        sheet.refresh_from_db()
        return sheet, WeComCard.objects.get(sheet=sheet, recipient=org.leader)

    return make


def post_callback(client, request):
    return client.post(f"{CALLBACK}?{request.query_string}", data=request.body, content_type="text/xml")
