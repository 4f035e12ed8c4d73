"""A drafter's 催办 reaches whoever holds the step over WeCom as an approval card (its 通过 button included)."""

from __future__ import annotations

from notifications.models import Channel, Notification, WeComCard
from tests.wecom.conftest import deliver_wecom
from workflow import services


def test_the_urge_reaches_the_leader_as_a_wecom_approval_card(org, make_sheet, wecom_app):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    Notification.objects.filter(channel=Channel.WECOM).delete()
    services.document_urge(document=sheet, user=org.owner)
    deliver_wecom(org.leader, sheet)
    [sent] = wecom_app.template_cards()
    assert sent["delivered_to"] == ["leader.wx"]
    assert [b["text"] for b in sent["card"]["button_list"]][0] == "通过"
    assert WeComCard.objects.filter(sheet=sheet, recipient=org.leader).exists()
