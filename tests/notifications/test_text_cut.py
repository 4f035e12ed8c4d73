"""What a reader sees when a WeCom message is longer than WeCom takes (its limits count UTF-8 bytes): the start of
the text, cut between two characters, and a note saying it was cut."""

from notifications.channels.text import cut_to_bytes, utf8_len


def test_a_message_within_the_limit_arrives_unchanged():
    at_the_limit = "延" * 682 + "ab"  # 2,048 bytes
    assert cut_to_bytes(at_the_limit, 2048) == at_the_limit
    assert cut_to_bytes("请审核", 2048) == "请审核"


def test_a_long_message_keeps_as_much_of_its_start_as_fits_and_says_it_was_cut():
    text = "退回意见：" + "请补充绩效指标的测算依据，" * 200

    cut = cut_to_bytes(text, 2048)

    assert cut.endswith("…（内容过长已截断）")
    head = cut.removesuffix("…（内容过长已截断）")
    assert text.startswith(head)
    assert 2048 - 3 < utf8_len(cut) <= 2048  # one more character would not fit


def test_a_cut_never_breaks_a_chinese_character_or_an_emoji():
    assert cut_to_bytes("ab汉字", 7, marker="") == "ab汉"  # 字 would need 8 bytes
    assert cut_to_bytes("进度😀落后", 9, marker="") == "进度"  # the emoji needs 4 bytes, 3 are left
    assert cut_to_bytes("进度😀落后", 10, marker="") == "进度😀"


def test_a_card_title_is_cut_with_an_ellipsis():
    title = "乐亭县行政审批局" * 10

    cut = cut_to_bytes(title, 128, marker="…")

    assert cut.endswith("…") and title.startswith(cut[:-1])
    assert utf8_len(cut) <= 128
