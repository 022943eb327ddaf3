"""A notice is the same message, header for header, as the email package builds it, and the same bytes but for To.

The reference below is how every notice used to be built: one EmailMessage
per recipient under the stock `policy.SMTP`, written by its generator. It is
kept here only, as the yardstick for `message.build`, over recipients chosen
to reach every path of header folding and body encoding: ASCII and Danish
names, names that need RFC 2047 encoded-words, quoting or folding, both
languages, every wave, and bodies whose lines end in white space or an `=`
where quoted-printable breaks them.
"""

from __future__ import annotations

import hashlib
import random
import re
from datetime import datetime, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
from pathlib import Path

import pytest

from migrate import spec as spec_module, text
from migrate.notify import message, render, waves
from migrate.notify.recipients import Recipient, clean_name
from tests.helpers.notify import write_spec

NOW = datetime(2026, 12, 1, 9, 30, 15, tzinfo=timezone.utc)


def reference(spec, wave: str, recipient: Recipient, content: render.Rendered, now: datetime) -> bytes:
    """The notice as it was built before skeletons: every header parsed and folded by policy.SMTP."""
    settings = spec.notify

    def address(value: str) -> str:
        name, addr = parseaddr(value)
        return str(Address(display_name=text.header(name), addr_spec=addr))

    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = address(settings.from_)
    msg["To"] = Address(display_name=text.header(recipient.display_name), addr_spec=recipient.address)
    if settings.reply_to:
        msg["Reply-To"] = address(settings.reply_to)
    msg["Subject"] = text.header(content.subject)
    msg["Date"] = format_datetime(now.astimezone(spec.tz))
    # The ledger's rule "the same Message-ID on resend" holds across versions only if this never changes.
    digest = hashlib.sha256(f"{spec.domain}|{wave}|{recipient.key}|{spec.cutover.isoformat()}".encode()).hexdigest()[:24]
    msg["Message-ID"] = f"<{wave}.{digest}@{parseaddr(settings.from_)[1].rpartition('@')[2]}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Migrate-Wave"] = wave
    msg.set_content(content.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.make_alternative(boundary="=_m365-exit-notice")
    msg.add_alternative(content.html, subtype="html", charset="utf-8", cte="quoted-printable")
    msg["Content-Language"] = content.language
    return msg.as_bytes()


def person(display_name: str, language: str, address: str = "anne@nordlys-tekstil.dk", first_name: str = "Anne") -> Recipient:
    # As the roster cleans a name from the users export.
    return Recipient(address, clean_name(display_name), clean_name(first_name), "", language, 2)


NAMES = [
    "Emma Clarke",
    "Søren Ærø",
    "",
    "Tom & \"Jerry\" O'Brien, Jr. (IT) <boss@evil.example>",
    "back\\slash; colon: at@sign [brackets]",
    "=?utf-8?q?Anne=0D=0AReply-To:_attacker@evil.example?=",
    "=?utf-8?b?w4Zyw7g=?= =?iso-8859-1?q?S=F8ren?=",
    "Jens\r\nBcc: attacker@evil.example",
    "a=?b?= c ?= =? d",
    "Marie-Louise Bjørnskov-Frederiksen Østergaard Christiansen Vestergaard Ravnsborg",
    "Åse " * 60,
    "Zoë 😀 张伟 Ελένη Мария",
    "Bidi\u202e override\u200b zero width",
    "x" * 200,
    "Mr " + "Averyveryverylongsinglewordwithoutanyspaces" * 3,
    "\tTabs\tand  double  spaces ",
]


def _random_names(count: int) -> list[str]:
    pool = "abcdefghijklmnopqrstuvwxyzæøåÆØÅéü \"\\(),.:;<>@[]=?_-'😀\t"
    rng = random.Random(14)
    return ["".join(rng.choice(pool) for _ in range(rng.randint(1, 90))) for _ in range(count)]


def spec_with(tmp_path: Path, **notify):
    return spec_module.load(write_spec(tmp_path, notify=notify or None))


def parsed(data: bytes):
    return BytesParser(policy=policy.default).parsebytes(data)


def fields(data: bytes) -> tuple[list[bytes], bytes]:
    """The header fields as written (folded), and the body."""
    head, _, body = data.partition(b"\r\n\r\n")
    return re.split(rb"\r\n(?![ \t])", head), body


def assert_same(new: bytes, old: bytes) -> None:
    """The same headers (names, order, values), the same structure, encodings and decoded bodies; then the same bytes but To's."""
    a, b = parsed(new), parsed(old)
    assert [(name, str(value)) for name, value in a.items()] == [(name, str(value)) for name, value in b.items()]
    assert [(x.display_name, x.addr_spec) for x in a["To"].addresses] == [(x.display_name, x.addr_spec) for x in b["To"].addresses]
    assert a.get_content_type() == b.get_content_type() == "multipart/alternative"
    for mine, theirs in zip(a.iter_parts(), b.iter_parts(), strict=True):
        assert list(mine.items()) == list(theirs.items())
        assert mine.get_content_charset() == theirs.get_content_charset() == "utf-8"
        assert mine["Content-Transfer-Encoding"] == theirs["Content-Transfer-Encoding"] == "quoted-printable"
        assert mine.get_content() == theirs.get_content()
    # To may encode a name as one encoded-word where the policy encodes it word by word.
    (mine, body), (theirs, their_body) = fields(new), fields(old)
    assert [f for f in mine if not f.startswith(b"To:")] == [f for f in theirs if not f.startswith(b"To:")]
    assert body == their_body
    (to,) = [f for f in mine if f.startswith(b"To:")]
    assert len(to) <= 78 or to in theirs


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("wave", waves.WAVES)
def test_every_wave_and_language_is_built_as_the_email_package_builds_it(tmp_path, wave, language):
    spec = spec_with(tmp_path)
    facts = waves.require(spec, wave)
    for name in NAMES:
        who = person(name, language, first_name=name)
        content = render.render(facts, who, wave)
        assert_same(message.build(spec, wave, who, content, NOW).as_bytes(), reference(spec, wave, who, content, NOW))


def test_names_of_every_shape_and_a_reply_to(tmp_path):
    spec = spec_with(tmp_path, reply_to="Nordlys Support Ærø <support@nordlys-tekstil.dk>")
    facts = waves.require(spec, waves.ANNOUNCE)
    for i, name in enumerate(_random_names(300)):
        who = person(name, "da" if i % 2 else "en", address=f"user{i}.x+y@nordlys-tekstil.dk")
        content = render.render(facts, who, waves.ANNOUNCE)
        assert_same(message.build(spec, waves.ANNOUNCE, who, content, NOW).as_bytes(), reference(spec, waves.ANNOUNCE, who, content, NOW))


def _qp_edges() -> str:
    """Lines where quoted-printable has to choose: white space or "=" at the soft-break column, long words, bytes above 127."""
    lines = []
    for length in range(70, 82):
        for end in (" ", "\t", "=", "æ", ".", "x"):
            lines.append("y" * (length - 1) + end)
            lines.append("ø" * (length // 2) + end)
    lines += ["", ".", "From here", "-- ", " leading", "=_ not a boundary", "tab\tin the middle\t", "\u2028 and \x0b and \x85"]
    return "\n".join(lines)


def test_bodies_with_quoted_printable_edge_cases(tmp_path):
    spec = spec_with(tmp_path, templates="custom")
    for language in ("da", "en"):
        folder = tmp_path / "custom" / language
        folder.mkdir(parents=True)
        (folder / "announce.subject.txt").write_text("Hej {{ recipient.display_name }}, " + "lang emnelinje med æøå " * 6 + "\n", encoding="utf-8")
        (folder / "announce.txt").write_text(_qp_edges() + "\n{{ recipient.display_name }}\n", encoding="utf-8")
        (folder / "announce.html").write_text("<p>{{ recipient.display_name }}</p>\n" + "{{ '" + "x" * 300 + "' }}\n", encoding="utf-8")
    render.environment.cache_clear()
    templates = spec.resolve_path(spec.notify.templates)
    facts = waves.require(spec, waves.ANNOUNCE)
    try:
        for name in NAMES:
            for language in ("da", "en"):
                who = person(name, language)
                content = render.render(facts, who, waves.ANNOUNCE, templates)
                new = message.build(spec, waves.ANNOUNCE, who, content, NOW).as_bytes()
                assert_same(new, reference(spec, waves.ANNOUNCE, who, content, NOW))
    finally:
        render.environment.cache_clear()


def test_the_date_is_the_moment_given_and_restamping_changes_only_it(tmp_path):
    spec = spec_with(tmp_path)
    who = person("Søren Ærø", "da")
    content = render.render(waves.require(spec, waves.ANNOUNCE), who, waves.ANNOUNCE)
    msg = message.build(spec, waves.ANNOUNCE, who, content, NOW)
    later = datetime(2027, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    message.stamp(msg, spec, later)
    assert_same(msg.as_bytes(), reference(spec, waves.ANNOUNCE, who, content, later))
    assert parsed(msg.as_bytes())["Date"].datetime == later


def test_to_is_one_line_when_it_fits_and_the_policy_folds_a_longer_one(tmp_path):
    spec = spec_with(tmp_path)
    content = render.render(waves.require(spec, waves.ANNOUNCE), person("Søren Ærø", "da"), waves.ANNOUNCE)
    short = fields(message.build(spec, waves.ANNOUNCE, person("Søren Ærø", "da"), content, NOW).as_bytes())[0]
    assert b"To: =?utf-8?b?U8O4cmVuIMOGcsO4?= <anne@nordlys-tekstil.dk>" in short
    long = person("Marie-Louise Bjørnskov-Frederiksen Østergaard Christiansen", "da")
    folded = fields(message.build(spec, waves.ANNOUNCE, long, content, NOW).as_bytes())[0]
    assert any(f.startswith(b"To:") and b"\r\n " in f for f in folded)
    assert [f for f in folded if f.startswith(b"To:")] == [f for f in fields(reference(spec, waves.ANNOUNCE, long, content, NOW))[0] if f.startswith(b"To:")]
