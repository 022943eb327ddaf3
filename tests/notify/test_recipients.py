"""The admin center export: who is mailed, who is reported, and no header injection through it."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from typer.testing import CliRunner

from migrate import spec as spec_module
from migrate.cli import app
from migrate.errors import BadInput
from migrate.notify import message, recipients, render, waves
from tests.helpers.notify import EXAMPLE_USERS, write_spec

HEADER = "Block credential,Display name,First name,Last name,Licenses,Preferred language,Proxy addresses,User principal name\r\n"
DOMAIN = "nordlys-tekstil.dk."


def parse(rows: str, header: str = HEADER) -> recipients.Roster:
    return recipients.parse(header + rows, DOMAIN, "da")


def test_the_example_export():
    roster = recipients.read(EXAMPLE_USERS, DOMAIN, "da")
    assert [r.address for r in roster.recipients] == [
        "anne.sorensen@nordlys-tekstil.dk", "soren.jensen@nordlys-tekstil.dk", "mette.hojgaard@nordlys-tekstil.dk",
        "jens.ostergaard@nordlys-tekstil.dk", "emma.clarke@nordlys-tekstil.dk", "ida.krogh@nordlys-tekstil.dk",
        "asa.lindqvist@nordlys-tekstil.dk", "louise.friis@nordlys-tekstil.dk",
    ]
    assert [(s.line, s.reason) for s in roster.skipped] == [
        (9, "unlicensed"), (10, "unlicensed"), (11, "unlicensed"), (12, "other-domain"),
        (13, "blocked"), (14, "duplicate"), (15, "invalid-address"),
    ]
    by = {r.address: r for r in roster.recipients}
    assert by["emma.clarke@nordlys-tekstil.dk"].language == "en"
    assert by["asa.lindqvist@nordlys-tekstil.dk"].language == "da"  # sv-SE: the spec's language
    assert by["mette.hojgaard@nordlys-tekstil.dk"].language == "da"  # empty: the spec's language
    assert by["soren.jensen@nordlys-tekstil.dk"].display_name == "Søren Ærø-Jensen"


def test_load_is_the_gate_contract(tmp_path):
    spec = spec_module.load(write_spec(tmp_path))
    loaded = recipients.load(spec)
    assert [r.key for r in loaded] == ["anne@nordlys-tekstil.dk", "soren@nordlys-tekstil.dk", "emma@nordlys-tekstil.dk", "jens@nordlys-tekstil.dk", "mette@nordlys-tekstil.dk"]


def test_primary_smtp_address_wins_over_the_upn():
    roster = parse("False,Ida Krogh,Ida,Krogh,Microsoft 365 Business Standard,da-DK,smtp:ida+old@nordlys-tekstil.dk+SMTP:ida.krogh@nordlys-tekstil.dk+smtp:ida@x.onmicrosoft.com,ida@nordlystekstil.onmicrosoft.com\r\n")
    assert [r.address for r in roster.recipients] == ["ida.krogh@nordlys-tekstil.dk"]


def test_duplicates_compare_case_insensitively_and_are_reported():
    roster = parse(
        "False,Anne,Anne,S,Microsoft 365 Business Basic,,,anne@nordlys-tekstil.dk\r\n"
        "False,Anne,Anne,S,Microsoft 365 Business Basic,,,ANNE@Nordlys-Tekstil.DK\r\n"
    )
    assert len(roster.recipients) == 1
    assert [(s.line, s.reason, s.detail) for s in roster.skipped] == [(3, "duplicate", "first on line 2")]


def test_bad_rows_are_reported_not_mailed():
    roster = parse(
        "False,Too,Few,Fields\r\n"
        "False,No Address,No,Address,Microsoft 365 Business Basic,,,\r\n"
        "False,Two Ats,Two,Ats,Microsoft 365 Business Basic,,,a@b@nordlys-tekstil.dk\r\n"
        "False,Space,Sp,Ace,Microsoft 365 Business Basic,,,sp ace@nordlys-tekstil.dk\r\n"
        "False,Non-ASCII,Bo,Bøgh,Microsoft 365 Business Basic,,,bøgh@nordlys-tekstil.dk\r\n"
        "False,Injected,Eve,Evil,Microsoft 365 Business Basic,,,\"eve@nordlys-tekstil.dk\r\nBcc: victim@evil.example\"\r\n"
        "False,Other,Kim,Other,Microsoft 365 Business Basic,,,kim@nordlys-design.dk\r\n"
        "False,Lookalike,Kim,Other,Microsoft 365 Business Basic,,,kim@nordlys-tekstil.dk.evil.example\r\n"
        "False,Good,Go,Od,Microsoft 365 Business Basic,,,good@nordlys-tekstil.dk\r\n"
    )
    assert [r.address for r in roster.recipients] == ["good@nordlys-tekstil.dk"]
    reasons = [(s.line, s.reason) for s in roster.skipped]
    assert reasons[:1] == [(2, "malformed")]
    assert [r for _, r in reasons[1:6]] == ["invalid-address"] * 5
    assert [r for _, r in reasons[6:]] == ["other-domain", "other-domain"]
    injected = [s for s in roster.skipped if "victim" in s.address][0]
    assert "\r" not in str(injected) and "\n" not in str(injected)  # the report line stays one line
    assert "\\r\\n" in str(injected)


def test_display_names_with_line_breaks_are_neutralised_and_cannot_inject_headers():
    roster = parse("False,\"Eve\r\nBcc: victim@evil.example\u2028X-Evil: 1\",\"Eve\rBcc: a@b\",Evil,Microsoft 365 Business Basic,en-GB,,eve@nordlys-tekstil.dk\r\n")
    [eve] = roster.recipients
    assert eve.display_name == "Eve Bcc: victim@evil.example X-Evil: 1"
    assert any("display name had control characters" in note for note in roster.notes)

    from tests.helpers.notify import write_spec  # noqa: PLC0415 - a spec for the message
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        spec = spec_module.load(write_spec(Path(folder)))
        msg = message.build(spec, "announce", eve, render.render(waves.require(spec, "announce"), eve, "announce"))
        raw = msg.as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["eve@nordlys-tekstil.dk"]
    assert b"\r\nBcc:" not in raw and b"\r\nX-Evil:" not in raw


def test_semicolons_and_windows_1252_from_a_danish_excel(tmp_path):
    path = tmp_path / "users.csv"
    text = "Display name;First name;Licenses;User principal name\r\nSøren Ærø;Søren;Microsoft 365 Business Basic;soren@nordlys-tekstil.dk\r\n"
    path.write_bytes(text.encode("cp1252"))
    roster = recipients.read(path, DOMAIN, "da")
    assert [(r.address, r.display_name) for r in roster.recipients] == [("soren@nordlys-tekstil.dk", "Søren Ærø")]
    assert "Windows-1252" in roster.notes[0]


# -- users.csv damaged, or saved by another program -------------------------------------------


def test_a_binary_recipients_file_is_bad_input(tmp_path):
    # Bytes Windows-1252 does not define (0x81, 0x8d, 0x8f, 0x90, 0x9d) raised UnicodeDecodeError.
    path = tmp_path / "users.csv"
    path.write_bytes(b"\x00\x90\x81garbage\x8d\xff" * 50)
    with pytest.raises(BadInput) as info:
        recipients.read(path, "nordlys-tekstil.dk.", "da")
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_a_utf16_export_is_read(tmp_path):
    # Excel's "Unicode text" and some PowerShell exports are UTF-16 with a byte-order mark.
    path = tmp_path / "users.csv"
    path.write_bytes(EXAMPLE_USERS.read_text(encoding="utf-8-sig").encode("utf-16"))
    roster = recipients.read(path, "nordlys-tekstil.dk.", "da")
    expected = recipients.read(EXAMPLE_USERS, "nordlys-tekstil.dk.", "da")
    assert [r.address for r in roster.recipients] == [r.address for r in expected.recipients]
    assert any(r.display_name == "Søren Ærø-Jensen" for r in roster.recipients)


def test_a_tab_separated_unicode_text_export_is_read(tmp_path):
    path = tmp_path / "users.txt"
    text = EXAMPLE_USERS.read_text(encoding="utf-8-sig")
    rows = [line.split(",") for line in text.splitlines()]
    path.write_bytes("\r\n".join("\t".join(row) for row in rows).encode("utf-16"))
    roster = recipients.read(path, "nordlys-tekstil.dk.", "da")
    assert roster.recipients and roster.recipients[0].address == "anne.sorensen@nordlys-tekstil.dk"


def test_a_file_without_the_upn_column_is_bad_input(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("Name,Email\r\nAnne,anne@nordlys-tekstil.dk\r\n", encoding="utf-8")
    with pytest.raises(BadInput, match="no 'User principal name' column"):
        recipients.read(path, DOMAIN, "da")
    path.write_text("", encoding="utf-8")
    with pytest.raises(BadInput, match="empty file"):
        recipients.read(path, DOMAIN, "da")


def test_an_idn_domain_matches_its_a_label_and_u_label_addresses():
    roster = recipients.parse(
        "Display name,Licenses,User principal name\r\n"
        "Bo,Microsoft 365 Business Basic,bo@blåbær.dk\r\n"
        "Ib,Microsoft 365 Business Basic,ib@xn--blbr-roah.dk\r\n",
        "xn--blbr-roah.dk.",
        "da",
    )
    assert [r.address for r in roster.recipients] == ["bo@xn--blbr-roah.dk", "ib@xn--blbr-roah.dk"]


def test_spec_rejects_a_from_with_a_line_break(tmp_path):
    path = write_spec(tmp_path, notify={"from": "IT <it@nordlys-tekstil.dk>\r\nBcc: victim@evil.example"})
    result = CliRunner().invoke(app, ["notify", str(path), "--wave", "announce"])
    assert result.exit_code == 2
    assert "notify.from" in result.output and "line break" in result.output


def test_no_one_to_notify_is_bad_input(tmp_path):
    path = write_spec(tmp_path, users="Display name,Licenses,User principal name\r\nLager,Unlicensed,lager@nordlys-tekstil.dk\r\n")
    result = CliRunner().invoke(app, ["notify", str(path), "--wave", "announce"])
    assert result.exit_code == 2
    assert "no licensed users on nordlys-tekstil.dk" in result.output
