"""An administrator's new WeCom id for someone waits for that person, who confirms it on their phone inside WeCom.

unit_admin (desktop) asks for 刘洋's WeCom id ``liuyang.new`` on 企业微信账号; it is 待本人确认 and signs nobody in.
刘洋, signed in with his password in WeCom's in-app browser, opens 我的企业微信账号 and taps 在企业微信中确认: the
fake WeCom says the phone is signed in as ``liuyang.new``, and the id takes effect.

Screenshots: tests/artifacts/screenshots/wecom-id-*.png (desktop and 390 px).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from notifications.models import Preference
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_wecom_phone_approval import wecom_phone, wecom_site  # noqa: F401 — fixtures: the fake WeCom site

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_new_wecom_id_takes_effect_only_when_the_person_confirms_it_in_wecom(page, phone, wecom_phone, live_server, wecom_site):
    leader2 = get_user_model().objects.get(username="leader2")
    wecom_site.users.add("liuyang.new")

    sign_in(page, live_server, "unit_admin")
    page.goto(f"{live_server.url}/wecom/accounts/483001/")
    row = page.locator("[data-testid=wecom-account][data-username=leader2]")
    row.get_by_label("刘洋的企业微信账号").fill("liuyang.new")
    row.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("已申请将刘洋的企业微信账号设为“liuyang.new”：须由本人在企业微信中确认后才生效")
    expect(page.locator("[data-testid=wecom-account][data-username=leader2] [data-testid=id-change-request]")).to_contain_text("待本人确认")
    assert not Preference.objects.filter(user=leader2, wecom_userid="liuyang.new").exists()
    screenshot(page, "wecom-id", "01-accounts-desktop")
    sign_in(phone, live_server, "unit_admin")
    phone.goto(f"{live_server.url}/wecom/accounts/483001/")
    expect(phone.locator("[data-testid=wecom-account][data-username=leader2]")).to_contain_text("待本人确认")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the accounts page scrolls sideways on a phone"
    screenshot(phone, "wecom-id", "01-accounts-phone")

    phone = wecom_phone
    sign_in(phone, live_server, "leader2")
    phone.goto(f"{live_server.url}/notifications/")
    expect(phone.get_by_test_id("notification").first).to_contain_text("请确认您的企业微信账号")
    phone.goto(f"{live_server.url}/wecom/binding/")
    waiting = phone.get_by_test_id("waiting-change")
    expect(waiting).to_contain_text("liuyang.new")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "wecom-id", "02-binding-phone")

    wecom_site.current_user = "liuyang.new"  # who is signed in to WeCom on this phone
    waiting.get_by_role("link", name="在企业微信中确认").tap()

    expect(phone.locator(".messages")).to_contain_text("企业微信账号“liuyang.new”已生效")
    expect(phone.get_by_test_id("current-wecom-userid")).to_have_text("liuyang.new")
    expect(phone.get_by_test_id("no-waiting-change")).to_be_visible()
    expect(phone.locator(".who")).to_contain_text("（leader2）")
    assert Preference.objects.get(user=leader2).wecom_userid == "liuyang.new"
    screenshot(phone, "wecom-id", "03-confirmed-phone")

    page.goto(f"{live_server.url}/wecom/accounts/483001/")
    expect(page.locator("[data-testid=wecom-account][data-username=leader2] input[name=wecom_userid]")).to_have_value("liuyang.new")
