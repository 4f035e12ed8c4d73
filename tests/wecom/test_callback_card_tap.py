"""A tap on 通过 in the WeCom card runs the browser's approval as the card's recipient, then updates the card."""

from __future__ import annotations

import pytest

from notifications.models import WeComCard
from people import roles
from people.services import role_grant, role_revoke
from tests.support import make_user
from tests.wecom.conftest import deliver_wecom, post_callback
from workflow import services
from workflow.models import Event


def _unchanged(sheet, before):
    sheet.refresh_from_db()
    return (sheet.state, sheet.version, sheet.assignee_id, Event.objects.filter(sheet=sheet).count()) == before


def _snapshot(sheet):
    sheet.refresh_from_db()
    return (sheet.state, sheet.version, sheet.assignee_id, Event.objects.filter(sheet=sheet).count())


def test_approve_tap_approves_as_the_leader_and_marks_the_card(client, org, leader_card, wecom_app):
    sheet, card = leader_card()

    tap = wecom_app.card_click(card.task_id, "approve", userid="leader.wx")
    response = post_callback(client, tap)

    assert response.status_code == 200
    sheet.refresh_from_db()
    assert sheet.state == "finance_review"
    event = Event.objects.filter(sheet=sheet).latest("created")
    assert (event.action, event.actor_id, event.from_state) == ("approve", org.leader.pk, "leader_review")
    [update] = wecom_app.card_updates
    assert update["button"] == {"replace_name": "已通过 · 赵局长"}
    assert update["userids"] == ["leader.wx"] and update["task_id"] == card.task_id
    card.refresh_from_db()
    assert card.handled_at is not None and card.outcome == "已通过 · 赵局长"
    # the finance reviewer is told, as after a browser approval
    deliver_wecom(org.finance, sheet)
    assert [c["delivered_to"] for c in wecom_app.template_cards()][-1] == ["finance.wx"]


def test_a_response_code_updates_a_card_once(client, org, leader_card, wecom_app):
    from notifications.channels.wecom import WeComError
    from notifications.delivery import wecom_client

    sheet, card = leader_card()
    tap = wecom_app.card_click(card.task_id, "approve", userid="leader.wx")
    post_callback(client, tap)
    code = tap.event.split("<ResponseCode><![CDATA[")[1].split("]]>")[0]

    with wecom_client() as client_, pytest.raises(WeComError) as refused:
        client_.update_template_card(userids=["leader.wx"], response_code=code, replace_name="再次更新")
    assert refused.value.errcode == 40035
    assert len(wecom_app.card_updates) == 1


def test_a_second_tap_on_a_handled_card_changes_nothing(client, org, leader_card, wecom_app):
    sheet, card = leader_card()
    post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="leader.wx"))
    before = _snapshot(sheet)

    post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="leader.wx"))

    assert _unchanged(sheet, before)
    assert [u["button"]["replace_name"] for u in wecom_app.card_updates] == ["已通过 · 赵局长", "已通过 · 赵局长"]


@pytest.mark.parametrize("meanwhile", ["approved_in_browser", "reassigned", "returned"])
def test_a_card_whose_task_was_handled_meanwhile_says_so_and_changes_nothing(client, org, leader_card, wecom_app, meanwhile):
    other_leader = make_user("second_leader", first_name="钱副局长")
    role_grant(user=other_leader, role=roles.LEADER, scope=org.agency)
    sheet, card = leader_card()
    if meanwhile == "approved_in_browser":
        services.document_approve(document=sheet, user=org.leader)
    elif meanwhile == "reassigned":
        services.task_reassign(document=sheet, user=org.leader, to_user=other_leader, comment="出差，请钱副局长办理")
    else:
        services.document_return(document=sheet, user=org.leader, comment="金额有误")
    before = _snapshot(sheet)

    response = post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="leader.wx"))

    assert response.status_code == 200
    assert _unchanged(sheet, before)
    assert wecom_app.card_updates[-1]["button"] == {"replace_name": "已由他人处理"}


def test_a_card_of_a_withdrawn_submission_changes_nothing(client, org, make_sheet, wecom_app):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    deliver_wecom(org.head, sheet)
    card = WeComCard.objects.get(sheet=sheet, recipient=org.head)
    services.document_withdraw(document=sheet, user=org.owner)
    before = _snapshot(sheet)

    post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="head.wx"))

    assert _unchanged(sheet, before)
    assert sheet.state == "draft"
    assert wecom_app.card_updates[-1]["button"] == {"replace_name": "已由他人处理"}


def test_a_leader_who_lost_the_role_changes_nothing(client, org, leader_card, wecom_app):
    sheet, card = leader_card()
    role_revoke(user=org.leader, role=roles.LEADER, scope=org.agency)
    before = _snapshot(sheet)

    post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="leader.wx"))

    assert _unchanged(sheet, before)
    assert wecom_app.card_updates[-1]["button"] == {"replace_name": "无权办理"}


def test_someone_else_tapping_the_leaders_card_changes_nothing(client, org, leader_card, wecom_app):
    """FromUserName names the person: a card of the leader's answers nobody else, not even the head."""
    sheet, card = leader_card()
    before = _snapshot(sheet)

    post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="head.wx"))

    assert _unchanged(sheet, before)
    card.refresh_from_db()
    assert card.handled_at is None  # the leader can still tap it
    assert wecom_app.card_updates[-1]["button"] == {"replace_name": "无权办理"}


def test_a_forged_approve_key_on_a_publishing_card_changes_nothing(client, org, make_sheet, wecom_app):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    services.document_approve(document=sheet, user=org.leader)
    deliver_wecom(org.finance, sheet)
    card = WeComCard.objects.get(sheet=sheet, recipient=org.finance)
    before = _snapshot(sheet)

    post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="finance.wx"))

    assert _unchanged(sheet, before)
    assert sheet.state == "finance_review"
