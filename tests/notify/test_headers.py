"""Display names and spec values cannot add a header: not in the .eml, not at the SMTP server.

Every message goes the real way: the users export on disk, `migrate notify`,
the outbox files parsed back with the `email` package, and an aiosmtpd server
on loopback for what a relay receives.
"""

from __future__ import annotations

from collections import Counter
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from migrate.cli import app
from tests.helpers.notify import Recorder, SmtpServer, write_spec

runner = CliRunner()

HEADER = "Block credential,Display name,First name,Last name,Licenses,Preferred language,User principal name\r\n"
CLEAN = "False,Mette Højgaard,Mette,Højgaard,Microsoft 365 Business Basic,da-DK,mette@nordlys-tekstil.dk\r\n"
# Each decodes (or is) a line break followed by a header of the attacker's.
HOSTILE = {
    "anne@nordlys-tekstil.dk": "=?utf-8?q?Anne=0D=0AReply-To:_attacker@evil.example?=",
    "bo@nordlys-tekstil.dk": "=?utf-8?b?Qm8NClJlcGx5LVRvOiBhdHRhY2tlckBldmlsLmV4YW1wbGU=?=",
    # base64 of "X\r\nContent-Type: text/html\r\n\r\n<h1>Log in at evil.example</h1>": the attacker's HTML as the body.
    "emma@nordlys-tekstil.dk": "=?utf-8?b?WA0KQ29udGVudC1UeXBlOiB0ZXh0L2h0bWwNCg0KPGgxPkxvZyBpbiBhdCBldmlsLmV4YW1wbGU8L2gxPg==?=",
    "jens@nordlys-tekstil.dk": "Jens\r\nBcc: attacker@evil.example",
}


def users() -> str:
    rows = "".join(f'False,"{name}",,,Microsoft 365 Business Basic,da-DK,{address}\r\n' for address, name in HOSTILE.items())
    return HEADER + CLEAN + rows


def header_names(data: bytes) -> Counter:
    return Counter(name.lower() for name in BytesParser(policy=policy.default).parsebytes(data).keys())


def expected_headers(tmp_path: Path) -> Counter:
    """The headers of a message to a user with a plain name: what every message must have, no more."""
    (tmp_path / "plain").mkdir()
    spec = write_spec(tmp_path / "plain", users=HEADER + CLEAN)
    result = runner.invoke(app, ["notify", str(spec), "--wave", "announce", "--out", str(tmp_path / "plain" / "box")])
    assert result.exit_code == 0, result.output
    (eml,) = (tmp_path / "plain" / "box" / "announce").glob("*.eml")
    names = header_names(eml.read_bytes())
    assert set(names) >= {"from", "to", "subject", "date", "message-id"} and "reply-to" not in names and "bcc" not in names
    return names


def assert_inert(data: bytes, expected: Counter) -> None:
    assert header_names(data) == expected
    msg = BytesParser(policy=policy.default).parsebytes(data)
    for name, value in msg.items():
        assert "\r" not in str(value) and "\n" not in str(value), name
    # The structure is ours: a name that decodes to MIME headers and HTML stays text inside it.
    assert msg.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in msg.iter_parts()] == ["text/plain", "text/html"]
    assert "<h1>Log in at evil.example" not in msg.get_body(("html",)).get_content()


@pytest.fixture
def hostile_spec(tmp_path: Path) -> Path:
    (tmp_path / "hostile").mkdir()
    return write_spec(tmp_path / "hostile", users=users())


def test_hostile_display_names_add_no_header_to_the_outbox(tmp_path, hostile_spec):
    expected = expected_headers(tmp_path)
    result = runner.invoke(app, ["notify", str(hostile_spec), "--wave", "announce", "--out", str(tmp_path / "box")])
    box = tmp_path / "box" / "announce"
    assert result.exit_code == 0, result.output
    files = sorted(box.glob("*.eml"))
    assert len(files) == 5
    for eml in files:
        assert_inert(eml.read_bytes(), expected)
    anne = BytesParser(policy=policy.default).parsebytes(next(box.glob("*anne@*.eml")).read_bytes())
    assert anne["To"].addresses[0].display_name == "Anne Reply-To: attacker@evil.example"
    # The roster says what it fixed.
    assert "display name was written as RFC 2047 encoded-words; decoded" in result.output
    assert "jens@nordlys-tekstil.dk: display name had control characters; cleaned" in result.output


def test_hostile_display_names_add_no_header_at_the_smtp_server(tmp_path, hostile_spec):
    expected = expected_headers(tmp_path)
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        spec = write_spec(hostile_spec.parent, users=users(), smtp={"port": server.port})
        result = runner.invoke(app, ["notify", str(spec), "--wave", "announce", "--state", str(tmp_path / "state"), "--send"])
        assert result.exit_code == 0, result.output
    assert len(recorder.arrivals) == 5
    for arrival in recorder.arrivals:
        assert arrival.rcpt_tos == [arrival.message["To"].addresses[0].addr_spec]
        assert_inert(arrival.data, expected)


def test_an_encoded_word_in_an_address_is_not_a_recipient(tmp_path):
    row = "False,Eve,,,Microsoft 365 Business Basic,da-DK,=?utf-8?b?eA0KQmNjOiBlQGV2aWwuZXhhbXBsZQ==?=@nordlys-tekstil.dk\r\n"
    spec = write_spec(tmp_path, users=HEADER + CLEAN + row)
    result = runner.invoke(app, ["notify", str(spec), "--wave", "announce", "--out", str(tmp_path / "box")])
    assert result.exit_code == 0, result.output
    assert "invalid-address (the part before @ is an RFC 2047 encoded-word" in result.output
    assert len(list((tmp_path / "box" / "announce").glob("*.eml"))) == 1


def rewrite(spec: Path, section: str, **values) -> None:
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    data[section].update(values)
    spec.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("mail", "name", "Nyt Mail\r\nBcc: attacker@evil.example"),
        ("mail", "name", "=?utf-8?q?Nyt_Mail=0D=0ABcc:_attacker@evil.example?="),
        ("mail", "name", "=?utf-8?b?Tnl0IE1haWwNCkJjYzogYXR0YWNrZXJAZXZpbC5leGFtcGxl?="),
        ("notify", "from", "=?utf-8?q?IT=0D=0ABcc:_attacker@evil.example?= <it@nordlys-tekstil.dk>"),
        ("notify", "organisation", "Nordlys\u202e IT"),
    ],
)
def test_a_spec_value_with_a_line_break_is_bad_input_naming_the_key(tmp_path, section, key, value):
    spec = write_spec(tmp_path)
    rewrite(spec, section, **{key: value})
    result = runner.invoke(app, ["notify", str(spec), "--wave", "announce", "--out", str(tmp_path / "box")])
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith("error: ") and f"{section}.{key}: contains" in line and "Traceback" not in result.output
    assert not (tmp_path / "box").exists()


def test_an_encoded_spec_name_reaches_the_subject_decoded_and_alone(tmp_path):
    expected = expected_headers(tmp_path)
    spec = write_spec(tmp_path, users=HEADER + CLEAN)
    rewrite(spec, "mail", name="=?utf-8?q?Nyt_Mail?=")
    result = runner.invoke(app, ["notify", str(spec), "--wave", "announce", "--out", str(tmp_path / "box")])
    assert result.exit_code == 0, result.output
    (eml,) = (tmp_path / "box" / "announce").glob("*.eml")
    data = eml.read_bytes()
    assert header_names(data) == expected
    assert "Nyt Mail" in str(BytesParser(policy=policy.default).parsebytes(data)["Subject"])


def test_a_subject_template_cannot_add_a_header_either(tmp_path):
    expected = expected_headers(tmp_path)
    spec = write_spec(tmp_path, users=HEADER + CLEAN)
    override = tmp_path / "templates" / "da"
    override.mkdir(parents=True)
    (override / "announce.subject.txt").write_text("=?utf-8?q?Hej=0D=0ABcc:_attacker@evil.example?= {{ provider }}\n", encoding="utf-8")
    rewrite(spec, "notify", templates="templates")
    result = runner.invoke(app, ["notify", str(spec), "--wave", "announce", "--out", str(tmp_path / "box")])
    assert result.exit_code == 0, result.output
    (eml,) = (tmp_path / "box" / "announce").glob("*.eml")
    assert header_names(eml.read_bytes()) == expected
