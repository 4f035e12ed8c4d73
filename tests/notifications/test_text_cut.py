import pytest

from notifications.channels.text import TRUNCATION_MARKER, cut_to_bytes, utf8_len

MARKER_BYTES = utf8_len(TRUNCATION_MARKER)


def test_marker_is_chinese_and_30_bytes():
    assert "截断" in TRUNCATION_MARKER
    assert MARKER_BYTES == 30


@pytest.mark.parametrize("text, limit", [("", 0), ("abc", 3), ("汉字", 6), ("汉字", 100), ("😀", 4)])
def test_text_that_fits_is_unchanged(text, limit):
    assert cut_to_bytes(text, limit) == text


def test_ascii_cut_with_marker():
    assert cut_to_bytes("a" * 10, 9, marker="...") == "aaaaaa..."
    assert cut_to_bytes("a" * 10, 9, marker="") == "a" * 9


def test_one_byte_over_in_the_middle_of_a_three_byte_char():
    assert cut_to_bytes("ab汉", 4, marker="") == "ab"
    text = "汉" * 20  # 60 bytes
    assert cut_to_bytes(text, MARKER_BYTES + 4) == "汉" + TRUNCATION_MARKER
    assert cut_to_bytes(text, MARKER_BYTES + 5) == "汉" + TRUNCATION_MARKER
    assert cut_to_bytes(text, MARKER_BYTES + 6) == "汉汉" + TRUNCATION_MARKER


def test_exact_limit_is_not_cut_and_one_over_is():
    text = "汉" * 10 + "a"  # 31 bytes
    assert cut_to_bytes(text, 31) == text
    assert cut_to_bytes(text + "b", 31, marker="!") == "汉" * 10 + "!"


def test_four_byte_characters():
    assert cut_to_bytes("😀😀", 7, marker="") == "😀"


def test_marker_longer_than_limit_is_itself_cut():
    assert cut_to_bytes("汉" * 20, 7) == TRUNCATION_MARKER[:2]  # "…（" = 6 bytes
    assert cut_to_bytes("abc", 0) == ""


def test_negative_limit_rejected():
    with pytest.raises(ValueError):
        cut_to_bytes("abc", -1)


@pytest.mark.parametrize("limit", range(0, 90))
def test_result_always_fits_and_keeps_a_prefix(limit):
    text = "项目A进度😀延期" * 5
    result = cut_to_bytes(text, limit)
    assert utf8_len(result) <= limit
    if result != text and limit > MARKER_BYTES:
        assert result.endswith(TRUNCATION_MARKER)
        head = result[: -len(TRUNCATION_MARKER)]
        assert text.startswith(head)
        # Greedy: one more character would not have fit.
        assert utf8_len(text[: len(head) + 1]) + MARKER_BYTES > limit
