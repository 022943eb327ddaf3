"""`migrate.text`: outside text decoded, then made inert, the same on every Python release."""

from __future__ import annotations

import pytest

from migrate import text

INJECT_Q = "=?utf-8?q?Anne=0D=0AReply-To:_attacker@evil.example?="
INJECT_B = "=?utf-8?b?QW5uZQ0KUmVwbHktVG86IGF0dGFja2VyQGV2aWwuZXhhbXBsZQ==?="  # the same text, base64


@pytest.mark.parametrize("word", [INJECT_Q, INJECT_B, INJECT_Q.replace("utf-8", "UTF-8").replace("?q?", "?Q?")])
def test_encoded_words_are_decoded_before_the_check(word):
    assert text.decode_words(word) == "Anne\r\nReply-To: attacker@evil.example"
    assert text.problem(word) == "a line break"
    assert text.header(word) == "Anne Reply-To: attacker@evil.example"


def test_decoding_follows_rfc_2047():
    # Adjacent encoded-words join (the white space between them is not text); other text stays.
    assert text.decode_words("=?utf-8?q?J=C3=B8rgen?= =?utf-8?q?_Hansen?= (IT)") == "Jørgen Hansen (IT)"
    assert text.decode_words("=?iso-8859-1?q?S=F8ren?=") == "Søren"
    assert text.decode_words("=?utf-8*da?b?w4Z0?=") == "Æt"  # RFC 2231 language
    assert text.decode_words("=?utf-8?b?w4Z0?=") == "Æt"  # padding restored
    assert text.decode_words("Anne Holm") == "Anne Holm"


@pytest.mark.parametrize("word", ["=?no-such-charset?q?a=0Db?=", "=?utf-8?b?!!!?=", "=?base64?q?YQ==?="])
def test_a_word_that_cannot_be_decoded_is_left_and_defused(word):
    assert text.decode_words(word) == word
    # The email package must find no encoded-word left to decode in its own way.
    assert "=?" not in text.header(word)


def test_nested_encoded_words_are_decoded_once_and_defused():
    inner = "=?utf-8?q?x=0D=0ABcc:_e@evil.example?="
    outer = "=?utf-8?q?" + "".join(f"={b:02X}" for b in inner.encode()) + "?="
    assert text.decode_words(outer) == inner
    assert "=?" not in text.header(outer)


def test_line_leaves_no_line_break_control_escape_or_hidden_character():
    hostile = "Business\r\nUNLOCKED: dns pass\x1b[2J\x1b[H\x1b]8;;http://evil.example\x07link\x1b]8;;\x07\u2028x\x85y\u202eevil\u2066\u200b\x00\x7f\x9b"
    cleaned = text.line(hostile)
    assert cleaned == "Business  UNLOCKED: dns passlink x yevil   "
    assert cleaned.splitlines() == [cleaned]


def test_block_keeps_lines_and_tabs_only():
    assert text.block("a\r\nb\tc\x1b[31md\re\u202ef\x0bg") == "a\nb\tcdef g"


def test_letters_emoji_and_joiners_are_left_alone():
    for value in ("Søren Ærø", "Ελένη", "محمد", "李小龙", "👩\u200d💻", "می\u200cخواهم"):
        assert text.line(value) == value and text.header(value) == value and text.problem(value) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Nyt\nMail", "a line break"),
        ("Nyt\u2028Mail", "a line break"),
        ("Nyt\tMail", "a control character"),
        ("Nyt\x1b[2JMail", "a control character"),
        ("Nyt \u202eliaM", "an invisible or bidi formatting character"),
        ("=?utf-8?q?Nyt=E2=80=AEMail?=", "an invisible or bidi formatting character"),
        ("=?utf-8?q?Nyt_Mail?=", None),
    ],
)
def test_problem_names_what_is_wrong(value, problem):
    assert text.problem(value) == problem


def test_lone_surrogates_cannot_reach_a_terminal():
    assert text.line("a\ud800b") == "a\ufffdb"
    assert text.line("a\ud800b").encode("utf-8")
