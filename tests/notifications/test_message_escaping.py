"""Users' text (comments, titles) cannot inject markup into WeCom: in the group robot's markdown a comment
``[点此查看](http://evil.example/phish)`` is no live link, and in an application text card's description HTML is
text. The system's own link stays a link."""

from notifications import attempts
from notifications.channels.text import escape_html, escape_markdown
from notifications.models import Channel, Kind, Notification
from tests.support import make_user

PHISH = "[点此查看](http://evil.example/phish)"


def outbox_row(user, channel, **extra):
    fields = dict(
        recipient=user, channel=channel, kind=Kind.RETURN, title="已退回：**测试表**<font color=\"warning\">x</font>",
        body=f"退回意见：{PHISH}\n<div class=\"highlight\">点我</div>", url="http://127.0.0.1:8000/sheets/1/",
        dedupe_key=f"test:{channel}:{user.pk if user else 'robot'}",
    )
    fields.update(extra)
    return Notification.objects.create(**fields)


def test_escape_markdown_defuses_links_emphasis_and_html():
    escaped = escape_markdown(PHISH + " **粗** <font color=\"info\">x</font> `code` # 标题")
    for live in ("[", "](", "**", "<font", "`", "http://"):
        assert live not in escaped
    assert "点此查看" in escaped and "evil.example/phish" in escaped


def test_escape_html_keeps_the_text_and_defuses_tags():
    assert escape_html("<div class=\"highlight\">a & b</div>") == "&lt;div class=\"highlight\"&gt;a &amp; b&lt;/div&gt;"


def test_a_comment_with_a_markdown_link_is_no_live_link_in_the_group_robot(org, make_sheet, wecom):
    sheet = make_sheet()
    row = outbox_row(None, Channel.ROBOT, sheet=sheet)

    attempts.notification_deliver(notification_id=row.pk)

    [message] = wecom.robot_messages()
    content = message["body"]["markdown"]["content"]
    assert "](http://evil.example" not in content and "[点此查看]" not in content and "<font" not in content
    assert "点此查看" in content and "evil.example/phish" in content
    assert content.endswith("\n[打开办理](http://127.0.0.1:8000/wecom/signin/?next=%2Fsheets%2F1%2F)")


def test_html_in_a_comment_is_text_in_the_text_card_description(org, make_sheet, wecom):
    wecom.users.add("escaped.wx")
    user = make_user("escaped_head", wecom_userid="escaped.wx")
    row = outbox_row(user, Channel.WECOM, sheet=make_sheet())

    attempts.notification_deliver(notification_id=row.pk)

    [card] = wecom.app_messages()
    description = card["body"]["textcard"]["description"]
    assert "<div" not in description and "&lt;div class=\"highlight\"&gt;点我&lt;/div&gt;" in description
    assert card["body"]["textcard"]["url"] == "http://127.0.0.1:8000/wecom/signin/?next=%2Fsheets%2F1%2F"


def test_a_robot_without_the_wecom_application_links_straight_to_the_page(org, make_sheet, wecom, settings):
    """A section may have a group robot (a webhook key) while the site has no WeCom application: no sign-in door then."""
    settings.WECOM_SECRET = ""
    sheet = make_sheet()
    row = outbox_row(None, Channel.ROBOT, sheet=sheet)

    attempts.notification_deliver(notification_id=row.pk)

    [message] = wecom.robot_messages()
    assert message["body"]["markdown"]["content"].endswith("\n[打开办理](http://127.0.0.1:8000/sheets/1/)")
