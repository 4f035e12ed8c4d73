"""加签 and the WeCom card: a tap on 通过 while the step waits for someone's opinion approves nothing and says why."""

from __future__ import annotations

from people import roles
from people.services import role_grant
from tests.support import make_user
from tests.wecom.conftest import post_callback
from workflow import services
from workflow.models import Event


def test_a_tap_while_an_opinion_is_asked_approves_nothing_and_says_why(client, org, leader_card, wecom_app):
    deputy = make_user("deputy_leader", first_name="钱副局长")
    role_grant(user=deputy, role=roles.LEADER, scope=org.agency)
    sheet, card = leader_card()
    services.document_consult(document=sheet, user=org.leader, to_user=deputy, comment="请看依据")
    before = Event.objects.filter(sheet=sheet).count()

    post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="leader.wx"))

    sheet.refresh_from_db()
    assert sheet.state == "leader_review" and Event.objects.filter(sheet=sheet).count() == before
    card.refresh_from_db()
    assert card.outcome.startswith("正在等待钱副局长的加签意见")
