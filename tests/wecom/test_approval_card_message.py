"""A sheet waiting for a reviewer reaches them over WeCom as an approval card; every link goes through sign-in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from notifications.models import Notification, Status, WeComCard
from tests.wecom.conftest import deliver_wecom
from workflow import services


def test_the_leader_gets_a_button_card_with_the_sheet_essentials(org, make_sheet, wecom_app):
    sheet = make_sheet(budget="120.00")
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)

    rows = deliver_wecom(org.leader, sheet)

    assert [Notification.objects.get(pk=r.pk).status for r in rows] == [Status.SENT]
    [sent] = wecom_app.template_cards()
    card = sent["card"]
    assert sent["delivered_to"] == ["leader.wx"]
    assert card["card_type"] == "button_interaction"
    assert card["main_title"]["title"] == "待局领导审批"
    rows = {row["keyname"]: row["value"] for row in card["horizontal_content_list"]}
    assert rows["科室"] == "办公室"
    assert rows["预算金额"] == "120 万元"
    assert rows["体检"].startswith("无错误")
    assert rows["提交人"] == "王经办"
    assert rows["项目编码"] == sheet.project.code
    buttons = [(b["text"], b.get("key"), b.get("url")) for b in card["button_list"]]
    assert buttons[0] == ("通过", "approve", None)
    assert [text for text, _, _ in buttons] == ["通过", "退回", "查看详情"]
    detail = urlsplit(buttons[2][2])
    assert detail.path == "/wecom/signin/"
    assert parse_qs(detail.query)["next"] == [f"/sheets/{sheet.pk}/"]
    record = WeComCard.objects.get(task_id=card["task_id"])
    sheet.refresh_from_db()
    assert (record.sheet_id, record.state, record.version, record.recipient_id) == (sheet.pk, "leader_review", sheet.version, org.leader.pk)
    assert record.response_code == sent["response_code"]


def test_the_last_step_card_has_no_approve_button(org, make_sheet, wecom_app):
    """通过 at 财政审核 publishes the sheet: that needs the page and its confirmation."""
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    services.document_approve(document=sheet, user=org.leader)

    deliver_wecom(org.finance, sheet)

    [sent] = wecom_app.template_cards()
    assert [b["text"] for b in sent["card"]["button_list"]] == ["审核并公开", "查看详情"]
    assert all(b.get("type") == 1 for b in sent["card"]["button_list"])


def test_other_messages_are_text_cards_whose_link_signs_in(org, make_sheet, wecom_app):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_return(document=sheet, user=org.head, comment="请补充依据")

    deliver_wecom(org.owner, sheet)

    [message] = wecom_app.app_messages()
    assert message["body"]["msgtype"] == "textcard"
    link = urlsplit(message["body"]["textcard"]["url"])
    assert (link.scheme, link.netloc, link.path) == ("http", "testserver", "/wecom/signin/")
    assert parse_qs(link.query)["next"] == [f"/sheets/{sheet.pk}/"]
