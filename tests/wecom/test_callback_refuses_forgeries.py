"""The callback accepts only WeCom's own requests: signed with our Token, encrypted for our CorpID, fresh, once."""

from __future__ import annotations

import time

import pytest

from tests.wecom.conftest import post_callback
from workflow.models import Event


def _snapshot(sheet):
    sheet.refresh_from_db()
    return (sheet.state, sheet.version, Event.objects.filter(sheet=sheet).count())


@pytest.mark.parametrize("variant", ["bad_signature", "tampered_body", "wrong_receive_id", "too_old", "from_the_future"])
def test_a_forged_tap_is_refused_and_changes_nothing(client, org, leader_card, wecom_app, variant):
    sheet, card = leader_card()
    before = _snapshot(sheet)
    kwargs = {
        "bad_signature": {"tamper": "signature"},
        "tampered_body": {"tamper": "body"},
        "wrong_receive_id": {"receive_id": "ww-another-corp"},
        "too_old": {"timestamp": int(time.time()) - 3600},
        "from_the_future": {"timestamp": int(time.time()) + 3600},
    }[variant]

    response = post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="leader.wx", **kwargs))

    assert response.status_code == 403
    assert _snapshot(sheet) == before
    card.refresh_from_db()
    assert card.handled_at is None
    assert wecom_app.card_updates == []


def test_a_replayed_tap_is_refused(client, org, leader_card, wecom_app, make_sheet):
    """The same request again (same msg_signature, timestamp and nonce) is refused, even for another sheet's state."""
    sheet, card = leader_card()
    tap = wecom_app.card_click(card.task_id, "approve", userid="leader.wx")
    assert post_callback(client, tap).status_code == 200
    sheet.refresh_from_db()
    before = _snapshot(sheet)

    replay = post_callback(client, tap)

    assert replay.status_code == 403
    assert _snapshot(sheet) == before
    assert len(wecom_app.card_updates) == 1


def test_a_callback_without_configuration_is_not_found(client, settings, org):
    settings.WECOM_CALLBACK_TOKEN = ""
    assert client.post("/wecom/callback/?msg_signature=x&timestamp=1&nonce=2", data="<xml/>", content_type="text/xml").status_code == 404


def test_xml_with_a_doctype_is_refused(client, wecom_app):
    body = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    response = client.post("/wecom/callback/?msg_signature=x&timestamp=1&nonce=2", data=body, content_type="text/xml")
    assert response.status_code == 403
