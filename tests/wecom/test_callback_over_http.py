"""The fake WeCom server POSTs a tap to the running site over real HTTP, as WeCom does: approved once, replay refused."""

from __future__ import annotations

import pytest

from notifications.models import WeComCard

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_tap_posted_over_http_approves_and_its_replay_is_refused(live_server, org, leader_card, wecom_app):
    sheet, card = leader_card()
    tap = wecom_app.card_click(card.task_id, "approve", userid="leader.wx")

    first = wecom_app.post_callback(f"{live_server.url}/wecom/callback/", tap)
    replay = wecom_app.post_callback(f"{live_server.url}/wecom/callback/", tap)

    assert (first.status_code, replay.status_code) == (200, 403)
    sheet.refresh_from_db()
    assert sheet.state == "finance_review"
    assert sheet.events.filter(action="approve", actor=org.leader).count() == 1
    updates = {u["task_id"]: u["button"]["replace_name"] for u in wecom_app.card_updates}
    assert updates[card.task_id] == "已通过 · 赵局长"  # the tap's answer, once
    assert [u["task_id"] for u in wecom_app.card_updates].count(card.task_id) == 1
    # the section head's card from the submission was greyed out when the head approved in the browser
    head_card = WeComCard.objects.get(sheet=sheet, recipient=org.head)
    assert updates[head_card.task_id] == "已通过 · 李科长"
