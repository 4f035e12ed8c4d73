"""WeCom never offers an approval its recipient may not make by 提交与审核分离, and a card's 通过 tap refuses it in
the rule's words (a card sent before the rule, say): the sheet stays as it was."""

from __future__ import annotations

import secrets

from notifications.models import WeComCard
from people import roles
from people.services import role_grant
from tests.wecom.conftest import deliver_wecom, post_callback
from workflow import services
from workflow.models import Event


def test_a_submitter_who_also_leads_gets_no_card_and_a_tap_on_an_old_one_is_refused(client, org, make_sheet, wecom_app):
    role_grant(user=org.owner, role=roles.LEADER, scope=org.agency, by=None)  # 王经办 is also the agency's leader
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)

    assert deliver_wecom(org.owner, sheet) == []  # not told: the leader's step is not theirs this round
    deliver_wecom(org.leader, sheet)
    assert [c["delivered_to"] for c in wecom_app.template_cards()] == [["leader.wx"]]

    sheet.refresh_from_db()
    old = WeComCard.objects.create(
        task_id=f"tf-old-{secrets.token_hex(4)}", sheet=sheet, state=sheet.state, version=sheet.version,
        recipient=org.owner, wecom_userid="owner.wx",
    )
    before = (sheet.state, sheet.version, Event.objects.filter(sheet=sheet).count())
    response = post_callback(client, wecom_app.card_click(old.task_id, "approve", userid="owner.wx"))

    assert response.status_code == 200
    old.refresh_from_db()
    assert old.outcome == "不能审核自己提交的材料"
    sheet.refresh_from_db()
    assert (sheet.state, sheet.version, Event.objects.filter(sheet=sheet).count()) == before
