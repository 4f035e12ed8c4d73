"""Signing in from a WeCom link: state bound to the session, the code used once, only the matching person signed in."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.test import Client

from notifications.models import Preference
from tests.support import make_user
from wecom.models import UsedOAuthCode


def _to_wecom(client, next_path):
    """Open the link from the message: our door answers with WeCom's authorize URL."""
    response = client.get("/wecom/signin/", {"next": next_path})
    assert response.status_code == 302
    return response["Location"]


def _through_wecom(authorize_url):
    """WeCom's authorize page, for the fake's current user: a 302 back to our redirect_uri with code and state."""
    response = httpx.get(authorize_url.split("#", 1)[0], follow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    back = urlsplit(response.headers["location"])
    assert (back.scheme, back.netloc, back.path) == ("http", "testserver", "/wecom/oauth/")
    return f"{back.path}?{back.query}"


def _signed_in_as(client):
    from django.contrib.auth import get_user_model

    pk = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=pk) if pk else None


def test_a_leader_lands_signed_in_on_the_sheet(client, org, wecom_app):
    wecom_app.current_user = "leader.wx"
    authorize = _to_wecom(client, "/sheets/42/")
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(wecom_app.base_url + "/connect/oauth2/authorize?")
    assert authorize.endswith("#wechat_redirect")
    assert query["scope"] == ["snsapi_base"] and query["appid"] == [wecom_app.corp_id]
    assert query["redirect_uri"] == ["http://testserver/wecom/oauth/"]
    assert query["state"][0].isalnum() and len(query["state"][0]) <= 128

    response = client.get(_through_wecom(authorize))

    assert response.status_code == 302 and response["Location"] == "/sheets/42/"
    assert _signed_in_as(client) == org.leader


def test_the_code_signs_in_once(client, org, wecom_app, django_user_model):
    wecom_app.current_user = "leader.wx"
    back = _through_wecom(_to_wecom(client, "/tasks/"))
    assert client.get(back).status_code == 302
    client.logout()

    # the same redirect again (a replayed link): its state is spent and its code was used
    again = client.get(back)
    assert again.status_code == 400
    assert _signed_in_as(client) is None

    # even with a fresh state of this session, the used code signs no one in
    state = parse_qs(urlsplit(_to_wecom(client, "/tasks/")).query)["state"][0]
    code = parse_qs(urlsplit(back).query)["code"][0]
    replay = client.get("/wecom/oauth/", {"code": code, "state": state})
    assert replay.status_code == 400
    assert "只能使用一次" in replay.content.decode()
    assert _signed_in_as(client) is None


def test_the_fake_wecom_itself_refuses_a_used_or_expired_code(client, org, wecom_app):
    """WeCom answers 40029 to a code used before or older than 5 minutes (we forgot nothing here: a fresh DB row)."""
    used = wecom_app.issue_oauth_code("leader.wx")
    state = parse_qs(urlsplit(_to_wecom(client, "/")).query)["state"][0]
    assert client.get("/wecom/oauth/", {"code": used, "state": state}).status_code == 302
    client.logout()
    UsedOAuthCode.objects.all().delete()  # as if our own record were lost
    state = parse_qs(urlsplit(_to_wecom(client, "/")).query)["state"][0]
    refused = client.get("/wecom/oauth/", {"code": used, "state": state})
    assert refused.status_code == 400 and "已过期" in refused.content.decode()
    assert _signed_in_as(client) is None

    expired = wecom_app.issue_oauth_code("leader.wx")
    wecom_app.expire_oauth_codes()
    state = parse_qs(urlsplit(_to_wecom(client, "/")).query)["state"][0]
    assert client.get("/wecom/oauth/", {"code": expired, "state": state}).status_code == 400
    assert _signed_in_as(client) is None


def test_a_state_this_session_did_not_ask_for_is_refused(client, org, wecom_app):
    wecom_app.current_user = "leader.wx"
    code = wecom_app.issue_oauth_code("leader.wx")
    _to_wecom(client, "/tasks/")

    response = client.get("/wecom/oauth/", {"code": code, "state": "0123456789abcdef"})

    assert response.status_code == 400
    assert "登录链接已失效" in response.content.decode()
    assert _signed_in_as(client) is None
    assert not UsedOAuthCode.objects.exists()  # the code was not even exchanged


def test_a_link_started_in_another_session_is_refused(client, org, wecom_app):
    """An attacker's own authorize link (their state) sent to a victim: the victim's session never asked for it."""
    from django.test import Client

    wecom_app.current_user = "leader.wx"
    attacker = Client()
    back = _through_wecom(_to_wecom(attacker, "/tasks/"))

    assert client.get(back).status_code == 400
    assert _signed_in_as(client) is None


@pytest.mark.parametrize("who", ["unknown", "not_a_member", "inactive"])
def test_an_unmatched_wecom_user_signs_no_one_in(client, org, wecom_app, who):
    if who == "unknown":
        wecom_app.users.add("stranger.wx")  # a member of the corp nobody here is linked to
        wecom_app.current_user = "stranger.wx"
    elif who == "not_a_member":
        wecom_app.current_user = "visitor"  # not in the corp's address book: WeCom answers an openid
    else:
        org.leader.is_active = False
        org.leader.save()
        wecom_app.current_user = "leader.wx"
    client.force_login(org.head)  # someone else was signed in on this phone

    response = client.get(_through_wecom(_to_wecom(client, "/tasks/")))

    assert response.status_code == 403
    page = response.content.decode()
    assert "使用用户名和密码登录" in page and "/login/?next=%2Ftasks%2F" in page
    assert _signed_in_as(client) is None  # neither the WeCom user nor the head


def test_next_is_only_a_path_on_this_site(client, org, wecom_app):
    wecom_app.current_user = "leader.wx"
    for target in ("https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com", "javascript:alert(1)"):
        response = client.get(_through_wecom(_to_wecom(client, target)))
        assert response["Location"] == "/", target


def test_a_wecom_id_belongs_to_one_person(org):
    from django.db import IntegrityError, transaction

    other = make_user("impostor")
    with pytest.raises(IntegrityError), transaction.atomic():
        Preference.objects.create(user=other, wecom_userid="LEADER.wx")


def test_records_of_used_codes_are_kept_a_day_and_a_replay_within_it_is_still_refused(client, org, wecom_app):
    import datetime

    from django.utils import timezone

    from wecom import services

    stale = UsedOAuthCode.objects.create(digest="0" * 64)
    UsedOAuthCode.objects.filter(pk=stale.pk).update(used_at=timezone.now() - datetime.timedelta(days=1, minutes=1))
    recent = UsedOAuthCode.objects.create(digest="1" * 64)
    UsedOAuthCode.objects.filter(pk=recent.pk).update(used_at=timezone.now() - datetime.timedelta(hours=23))

    assert services.oauth_code_consume("a-new-code")
    assert not UsedOAuthCode.objects.filter(pk=stale.pk).exists()
    assert UsedOAuthCode.objects.filter(pk=recent.pk).exists()
    assert not services.oauth_code_consume("a-new-code")  # the replay is refused as before


def test_anonymous_visits_to_the_door_write_no_session_rows(org, wecom_app):
    """Anyone may open /wecom/signin/ without signing in: a hundred visits leave the session table as it was, and each
    visitor still holds the state its own sign-in needs."""
    before = Session.objects.count()
    visitors = [Client() for _ in range(100)]
    for visitor in visitors:
        _to_wecom(visitor, "/tasks/")
    assert Session.objects.count() == before

    wecom_app.current_user = "leader.wx"
    last = visitors[-1]
    assert last.get(_through_wecom(_to_wecom(last, "/sheets/"))).status_code == 302
    assert _signed_in_as(last) == org.leader


def test_a_forged_state_cookie_is_refused(client, org, wecom_app):
    """The cookie holding the pending states is signed: a browser cannot write itself a state."""
    wecom_app.current_user = "leader.wx"
    code = wecom_app.issue_oauth_code("leader.wx")
    client.cookies["wecom_oauth"] = signing.dumps({"f" * 32: ["/", int(time.time())]}, salt="another-salt")
    response = client.get("/wecom/oauth/", {"code": code, "state": "f" * 32})
    assert response.status_code == 400 and "登录链接已失效" in response.content.decode()
    assert _signed_in_as(client) is None
