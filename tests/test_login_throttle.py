"""Login throttling (django-axes): five failed sign-ins for one username from one address lock
that pair out for 15 minutes with a Chinese page and status 429; other users, and the same user
from another address, still sign in. Strong passwords: Django's validators refuse weak ones in
Chinese."""

import pytest
import time_machine
from django.contrib.auth import get_user_model

LOCKED = "登录失败次数过多，账号已临时锁定，请 15 分钟后再试或联系管理员。"
WRONG = "用户名或密码不正确"
PASSWORD = "Lt-预算-2024-correct"
OTHER_ADDRESS = "192.0.2.10"  # TEST-NET-1: only ever a REMOTE_ADDR string here


@pytest.fixture
def throttled(settings):
    """pytest.ini turns throttling off for the rest of the suite; this module tests it on."""
    settings.AXES_ENABLED = True


@pytest.fixture
def users(db):
    User = get_user_model()
    return (
        User.objects.create_user("zhang_san", password=PASSWORD),
        User.objects.create_user("li_si", password=PASSWORD),
    )


def sign_in(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def fail_five_times(client, username="zhang_san"):
    responses = [sign_in(client, username, f"wrong-{n}") for n in range(5)]
    for response in responses[:4]:
        assert response.status_code == 200 and WRONG in response.content.decode()
    return responses[4]


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, users, throttled):
    fifth = fail_five_times(client)
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()

    right = sign_in(client, "zhang_san", PASSWORD)

    page = right.content.decode()
    assert right.status_code == 429
    assert LOCKED in page and WRONG not in page
    assert 'value="zhang_san"' in page  # the form is shown again, filled in
    assert signed_in_as(client) is None
    assert client.get("/tasks/")["Location"].startswith("/login/")


def test_another_user_from_the_same_address_is_unaffected(client, users, throttled):
    zhang, li = users
    fail_five_times(client)

    response = sign_in(client, "li_si", PASSWORD)

    assert response.status_code == 302
    assert signed_in_as(client) == str(li.pk)


def test_the_same_user_from_another_address_is_unaffected(client, users, throttled):
    zhang, _ = users
    fail_five_times(client)

    response = sign_in(client, "zhang_san", PASSWORD, REMOTE_ADDR=OTHER_ADDRESS)

    assert response.status_code == 302
    assert signed_in_as(client) == str(zhang.pk)


def test_the_lock_lifts_15_minutes_after_the_last_attempt(client, users, throttled):
    zhang, _ = users
    with time_machine.travel("2024-07-01 09:00 +0800", tick=False):
        fail_five_times(client)
    with time_machine.travel("2024-07-01 09:16 +0800", tick=False):
        response = sign_in(client, "zhang_san", PASSWORD)
        assert response.status_code == 302
        assert signed_in_as(client) == str(zhang.pk)  # the session would have expired by today


def test_trying_again_while_locked_restarts_the_15_minutes(client, users, throttled):
    with time_machine.travel("2024-07-01 09:00 +0800", tick=False):
        fail_five_times(client)
    with time_machine.travel("2024-07-01 09:10 +0800", tick=False):
        assert sign_in(client, "zhang_san", PASSWORD).status_code == 429
    with time_machine.travel("2024-07-01 09:16 +0800", tick=False):
        assert sign_in(client, "zhang_san", PASSWORD).status_code == 429
    with time_machine.travel("2024-07-01 09:32 +0800", tick=False):
        assert sign_in(client, "zhang_san", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(client, users, throttled):
    for n in range(4):
        sign_in(client, "zhang_san", f"wrong-{n}")
    assert sign_in(client, "zhang_san", PASSWORD).status_code == 302
    client.post("/logout/")

    for n in range(4):
        assert sign_in(client, "zhang_san", f"again-{n}").status_code == 200
    assert sign_in(client, "zhang_san", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("12345678", "这个密码太常见了。"),
        ("12345678", "密码只包含数字。"),
        ("wang_wu_2024", "密码跟 用户名 太相似了。"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(client, db, password, message):
    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)
    client.force_login(admin)

    response = client.post(
        "/admin/auth/user/add/",
        {"username": "wang_wu_2024", "usable_password": "true", "password1": password, "password2": password},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not get_user_model().objects.filter(username="wang_wu_2024").exists()


def test_a_strong_password_is_accepted(client, db):
    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)
    client.force_login(admin)

    response = client.post(
        "/admin/auth/user/add/",
        {"username": "wang_wu", "usable_password": "true", "password1": "预算绩效-Qm7#k2", "password2": "预算绩效-Qm7#k2"},
    )

    assert response.status_code == 302
    assert get_user_model().objects.get(username="wang_wu").check_password("预算绩效-Qm7#k2")


PROXY = "10.0.0.5"  # the reverse proxy gunicorn sees as REMOTE_ADDR


def through_proxy(client, username, password, client_address, claimed=""):
    """A sign-in relayed by one proxy that appends the address it saw to X-Forwarded-For."""
    forwarded = f"{claimed}, {client_address}" if claimed else client_address
    return sign_in(client, username, password, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_behind_a_proxy_a_locked_user_can_still_sign_in_from_another_office(client, users, throttled, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    zhang, _ = users
    for n in range(5):
        through_proxy(client, "zhang_san", f"wrong-{n}", "198.51.100.7")

    assert through_proxy(client, "zhang_san", PASSWORD, "198.51.100.7").status_code == 429
    response = through_proxy(client, "zhang_san", PASSWORD, "203.0.113.9")  # same proxy, another client
    assert response.status_code == 302
    assert signed_in_as(client) == str(zhang.pk)


def test_behind_a_proxy_a_forged_forwarded_for_does_not_escape_the_lock(client, users, throttled, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        through_proxy(client, "zhang_san", f"wrong-{n}", "198.51.100.7", claimed=f"192.0.2.{n}")

    response = through_proxy(client, "zhang_san", PASSWORD, "198.51.100.7", claimed="192.0.2.99")

    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_without_a_trusted_proxy_the_forwarded_for_header_is_not_believed(client, users, throttled):
    for n in range(5):
        sign_in(client, "zhang_san", f"wrong-{n}", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = sign_in(client, "zhang_san", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert response.status_code == 429


def test_the_admins_login_protection_pages_are_in_chinese(client, throttled, users):
    """An administrator reads the lockouts under 登录保护: the app, its records, their columns and filters in Chinese."""
    import re

    fail_five_times(client)
    admin = get_user_model().objects.create_superuser("lock_admin", "lock_admin@example.gov.cn", PASSWORD)
    client.force_login(admin)

    index = client.get("/admin/").content.decode()
    attempts = client.get("/admin/axes/accessattempt/").content.decode()
    detail = client.get(re.search(r'href="(/admin/axes/accessattempt/\d+/change/)', attempts).group(1)).content.decode()

    assert "登录保护" in index and "登录失败记录" in index and "登录日志" in index
    for text in ("尝试时间", "IP 地址", "用户名", "路径", "失败次数", "已锁定", "清理已过期的登录尝试"):
        assert text in attempts, text
    assert "表单数据" in detail and "请求信息" in detail
    for english in ("Axes", "Access attempts", "Attempt Time", "IP Address", "Failed Logins", "Locked Out", "Meta Data"):
        assert english not in index + attempts + detail, english
