"""A leader approves from a WeCom card on a phone: the card's 查看详情 signs them in silently, then one tap on 通过.

Taps counted from the card in WeCom: 1 (查看详情 in the card) + 1 (通过 on the page) = 2. Before this
change the same task took: open the text card, tap and type the user name, tap and type the password, tap 登录,
tap 通过 (5 touches and two typed fields).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from notifications.models import Preference
from projects.models import TargetSheet
from tests.e2e.conftest import _close, _open_page, screenshot
from tests.fakes.wecom_server import FakeWeComServer
from workflow import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WXWORK_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2185A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh ColorScheme/Light"
)


@pytest.fixture
def wecom_site(live_server, settings):
    host = urlsplit(live_server.url).netloc
    with FakeWeComServer(users={"zhangjianguo", "lihua.wx"}, trusted_host=host) as server:
        settings.SITE_URL = live_server.url
        settings.WECOM_TRUSTED_BASE_URL = live_server.url
        settings.WECOM_BASE_URL = server.base_url
        settings.WECOM_AUTHORIZE_URL = server.base_url + "/connect/oauth2/authorize"
        settings.WECOM_CORP_ID, settings.WECOM_SECRET, settings.WECOM_AGENT_ID = server.corp_id, server.secret, server.agent_id
        settings.WECOM_CALLBACK_TOKEN, settings.WECOM_ENCODING_AES_KEY = server.callback_token, server.encoding_aes_key
        settings.WECOM_REDIS_PREFIX = "test:targetflow:e2e-wecom:"
        yield server


@pytest.fixture
def wecom_phone(request, browser, live_server):
    """WeCom's in-app browser on a 390×844 phone."""
    context, page = _open_page(
        request, browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
        user_agent=WXWORK_UA,
    )
    yield page
    _close(request, context, page)


def test_leader_approves_from_the_wecom_card_in_two_taps(wecom_phone, live_server, wecom_site):
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["staff_ggzy", "head_ggzy", "leader"])}
    Preference.objects.update_or_create(user=users["leader"], defaults={"wecom_userid": "zhangjianguo"})
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    services.document_submit(document=sheet, user=users["staff_ggzy"])
    services.document_approve(document=sheet, user=users["head_ggzy"])  # the leader's card is sent after this commits

    [sent] = [c for c in wecom_site.template_cards() if c["delivered_to"] == ["zhangjianguo"]]
    card = sent["card"]
    assert card["main_title"]["title"] == "待局领导审批"
    detail = next(b["url"] for b in card["button_list"] if b["text"] == "查看详情")

    wecom_site.current_user = "zhangjianguo"  # who is signed in to WeCom on this phone
    page, taps = wecom_phone, 0
    assert "wxwork" in page.evaluate("navigator.userAgent")
    page.goto(detail)  # tap 1: 查看详情 in the card
    taps += 1
    expect(page).to_have_url(re.compile(rf"/sheets/{sheet.pk}/(#.*)?$"))  # a browser keeps #wechat_redirect
    expect(page.locator(".who")).to_contain_text("（leader）")
    expect(page.get_by_test_id("sheet-state")).to_have_text("局领导审批")
    screenshot(page, "wecom-phone-approval", "01-landed-signed-in")

    approve = page.get_by_test_id("approve")
    approve.scroll_into_view_if_needed()
    approve.tap()  # tap 2: 通过
    taps += 1
    expect(page.locator(".messages")).to_contain_text("已通过，转下一步审核。")
    # the leader goes straight on to the next item of 待办 (or an empty 待办): no more taps for this sheet
    expect(page).not_to_have_url(re.compile(rf"/sheets/{sheet.pk}/(#.*)?$"))
    screenshot(page, "wecom-phone-approval", "02-approved")

    assert taps == 2
    sheet.refresh_from_db()
    last = sheet.events.order_by("-created", "-id").first()
    assert (sheet.state, last.actor.username) == ("finance_review", "leader")


def test_an_unlinked_wecom_user_gets_the_password_login(wecom_phone, live_server, wecom_site):
    wecom_site.current_user = "lihua.wx"  # a member of the corp linked to nobody here
    page = wecom_phone

    page.goto(f"{live_server.url}/wecom/signin/?next=/tasks/")

    expect(page.get_by_test_id("wecom-signin-failed")).to_contain_text("企业微信账号未关联本系统账号")
    expect(page.get_by_role("button", name="退出")).to_have_count(0)  # nobody signed in
    screenshot(page, "wecom-phone-approval", "03-unlinked")
    page.get_by_test_id("password-login").tap()
    expect(page).to_have_url(re.compile(r"/login/\?next=%2Ftasks%2F(#.*)?$"))


def test_the_leaders_delegate_approves_from_the_wecom_card_while_the_leader_is_on_leave(wecom_phone, live_server, wecom_site):
    """张建国 is on leave and has delegated to 孙磊 (科室负责人 of another section, who took no part in this sheet): the
    局领导审批 card goes to 孙磊 too, who approves from it in two taps, recorded as 孙磊 代 张建国."""
    import datetime

    from django.utils import timezone

    from people.services import delegation_set

    users = {u.username: u for u in get_user_model().objects.filter(username__in=["staff_ggzy", "head_ggzy", "leader", "head_xy"])}
    Preference.objects.update_or_create(user=users["head_xy"], defaults={"wecom_userid": "lihua.wx"})
    now = timezone.now()
    delegation_set(
        by=users["leader"], principal=users["leader"], delegate=users["head_xy"],
        start=now - datetime.timedelta(hours=1), end=now + datetime.timedelta(days=5), reason="休假",
    )
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    services.document_submit(document=sheet, user=users["staff_ggzy"])
    services.document_approve(document=sheet, user=users["head_ggzy"])  # the 局领导审批 cards are sent after this commits

    [sent] = [c for c in wecom_site.template_cards() if c["delivered_to"] == ["lihua.wx"]]
    assert sent["card"]["main_title"]["title"] == "待局领导审批"
    detail = next(b["url"] for b in sent["card"]["button_list"] if b["text"] == "查看详情")

    wecom_site.current_user = "lihua.wx"
    page = wecom_phone
    page.goto(detail)  # tap 1: 查看详情 in the card
    expect(page).to_have_url(re.compile(rf"/sheets/{sheet.pk}/(#.*)?$"))
    expect(page.get_by_test_id("sheet-state")).to_have_text("局领导审批")
    screenshot(page, "wecom-phone-delegate", "01-delegate-landed")
    approve = page.get_by_test_id("approve")
    approve.scroll_into_view_if_needed()
    approve.tap()  # tap 2: 通过
    expect(page.locator(".messages")).to_contain_text("已通过")
    screenshot(page, "wecom-phone-delegate", "02-delegate-approved")

    sheet.refresh_from_db()
    last = sheet.events.order_by("-created", "-id").first()
    assert (sheet.state, last.actor.username, last.on_behalf_of.username) == ("finance_review", "head_xy", "leader")
