"""/notifications/preferences/: each user chooses e-mail and WeCom (in-app is always on); the WeCom id is shown, not edited.

The WeCom id signs its owner in from WeCom: only an administrator sets it (tests/wecom/test_wecom_accounts_page.py)."""

from django.urls import reverse

from notifications.models import Channel, Preference
from workflow import services

URL = "/notifications/preferences/"


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_defaults_are_shown_for_someone_who_never_chose(client, org):
    client.force_login(org.outsider)
    page = client.get(URL).content.decode()
    assert 'name="email_enabled" id="id_email_enabled" checked' in page and "邮件将发送到 outsider@example.gov.cn" in page


def test_choices_are_saved_and_change_what_the_user_receives(client, org, make_sheet, wecom):
    client.force_login(org.head)

    response = client.post(URL, {"wecom_enabled": "on"}, follow=True)

    assert "通知设置已保存。" in response.content.decode()
    preference = Preference.objects.get(user=org.head)
    assert (preference.email_enabled, preference.wecom_enabled, preference.wecom_userid) == (False, True, "head.wx")
    services.document_submit(document=make_sheet(), user=org.owner)
    assert sorted(org.head.notifications.values_list("channel", flat=True)) == [Channel.IN_APP, Channel.WECOM]


def as_the_browser_submits(page: str, **changes) -> dict:
    """The form's checkboxes as a browser posts them: the checked ones that are not disabled, with ``changes``."""
    from html.parser import HTMLParser

    checked = {}

    class Boxes(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and attrs.get("type") == "checkbox" and "checked" in attrs and "disabled" not in attrs:
                checked[attrs["name"]] = "on"

    Boxes().feed(page)
    data = {**checked, **changes}
    return {name: value for name, value in data.items() if value is not None}


def test_someone_without_a_wecom_account_saves_their_e_mail_choice(client, org):
    """The WeCom option they never switched on (on by default) is shown disabled and blocks nothing."""
    client.force_login(org.outsider)
    page = client.get(URL).content.decode()
    assert "您还没有企业微信账号，这一项暂不能修改" in page

    response = client.post(URL, as_the_browser_submits(page, email_enabled=None), follow=True)

    assert "通知设置已保存。" in response.content.decode()
    preference = Preference.objects.get(user=org.outsider)
    assert (preference.email_enabled, preference.wecom_enabled) == (False, True)  # the WeCom default is kept for later


def test_wecom_cannot_be_switched_without_an_account(client, org):
    client.force_login(org.outsider)
    Preference.objects.create(user=org.outsider, email_enabled=False, wecom_enabled=False)

    response = client.post(URL, {"email_enabled": "on", "wecom_enabled": "on"}, follow=True)

    assert "通知设置已保存。" in response.content.decode()
    preference = Preference.objects.get(user=org.outsider)
    assert (preference.email_enabled, preference.wecom_enabled) == (True, False)  # a disabled option is not changed


def test_nobody_sets_their_own_wecom_id(client, org):
    """A WeCom id signs its owner in: a head who claims the leader's id would sign in as the leader."""
    client.force_login(org.head)

    page = client.get(URL).content.decode()
    client.post(URL, {"email_enabled": "on", "wecom_enabled": "on", "wecom_userid": "leader.wx"})

    assert 'name="wecom_userid"' not in page and "head.wx" in page
    assert Preference.objects.get(user=org.head).wecom_userid == "head.wx"


def test_each_user_edits_only_their_own(client, org):
    client.force_login(org.colleague)
    client.post(URL, {"email_enabled": "on"})
    assert Preference.objects.get(user=org.colleague).wecom_enabled is False
    assert Preference.objects.get(user=org.owner).wecom_userid == "owner.wx"  # untouched
    assert reverse("notification_preferences") == URL
