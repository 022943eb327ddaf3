"""Emails that fit each user: rendered by `migrate notify` into .eml files and read back with the email package.

A Business Basic user (Office on the web only) is never told to export from
desktop Outlook or to uninstall Office; a Business Standard user is; a user
whose licence the tool does not know gets both, each said to whom it applies.
Where saved files go is the spec's `notify.save_to`. The Danish text is
checked for the words a Dane would not write.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from migrate.cli import app
from migrate.notify import admincopy, waves
from tests.helpers.notify import write_spec

runner = CliRunner()

HEADER = "Block credential,Display name,First name,Last name,Licenses,Preferred language,Proxy addresses,User principal name\r\n"
USERS = HEADER + (
    "False,Bo Basic,Bo,Basic,Microsoft 365 Business Basic,da-DK,SMTP:bo@nordlys-tekstil.dk,bo@nordlys-tekstil.dk\r\n"
    "False,Sif Standard,Sif,Standard,Microsoft 365 Business Standard,da-DK,SMTP:sif@nordlys-tekstil.dk,sif@nordlys-tekstil.dk\r\n"
    "False,Ben Basic,Ben,Basic,Microsoft 365 Business Basic+Microsoft Teams Exploratory,en-GB,SMTP:ben@nordlys-tekstil.dk,ben@nordlys-tekstil.dk\r\n"
    "False,Sue Standard,Sue,Standard,Microsoft 365 Business Standard,en-GB,SMTP:sue@nordlys-tekstil.dk,sue@nordlys-tekstil.dk\r\n"
    "False,Una Ukendt,Una,Ukendt,Contoso Suite,da-DK,SMTP:una@nordlys-tekstil.dk,una@nordlys-tekstil.dk\r\n"
    "False,Lager,,,Unlicensed,,SMTP:lager@nordlys-tekstil.dk,lager@nordlys-tekstil.dk\r\n"
    "False,Mødelokale Åen,,,Unlicensed,,SMTP:moede@nordlys-tekstil.dk,moede@nordlys-tekstil.dk\r\n"
    "True,Peter Holm,Peter,Holm,Microsoft 365 Business Basic,da-DK,SMTP:peter@nordlys-tekstil.dk,peter@nordlys-tekstil.dk\r\n"
    "False,Nordlys Admin,,,Unlicensed,,,admin@nordlys-tekstil.dk\r\n"
)
SAVE_TO = "Google Drive, mappen Firma & Co <arkiv>"

# What only a user with the desktop apps is told, and what only a web-only user is told, per language.
DESKTOP_ONLY = {
    "cutover": {"da": [".pst", "Outlook på din computer"], "en": [".pst", "Outlook on your computer"]},
    "data-deadline": {"da": [".pst", "Outlook på din computer"], "en": [".pst", "Outlook on your computer"]},
    "after-cancel": {"da": ["Fjern installation", "begrænset funktionstilstand", "fjerne Office"],
                     "en": ["Uninstall", "reduced functionality mode", "remove Office"]},
}
WEB_ONLY = {
    "cutover": {"da": ["Outlook på nettet kan ikke gemme"], "en": ["Outlook on the web cannot save"]},
    "data-deadline": {"da": ["Outlook på nettet kan ikke gemme"], "en": ["Outlook on the web cannot save"]},
    "after-cancel": {"da": ["Har du selv købt Office, beholder du det", "Log ud af Teams og OneDrive"],
                     "en": ["If you bought Office yourself, keep it", "sign out of Teams and OneDrive"]},
}
BASIC = {"da": "bo@nordlys-tekstil.dk", "en": "ben@nordlys-tekstil.dk"}
STANDARD = {"da": "sif@nordlys-tekstil.dk", "en": "sue@nordlys-tekstil.dk"}


def render(folder: Path, wave: str, **notify) -> tuple[dict[str, dict[str, str]], object]:
    """The wave rendered through the command; per address its subject and its two bodies as a mail client reads them."""
    path = write_spec(folder, users=USERS, notify=notify)
    result = runner.invoke(app, ["notify", str(path), "--wave", wave, "--out", str(folder / "box")])
    assert result.exit_code == 0, result.output
    letters = {}
    for file in sorted((folder / "box" / wave).glob("*.eml")):
        msg = message_from_bytes(file.read_bytes(), policy=policy.default)
        letters[msg["To"].addresses[0].addr_spec] = {
            "subject": str(msg["Subject"]).strip(),
            "text": msg.get_body(("plain",)).get_content(),
            "html": msg.get_body(("html",)).get_content(),
        }
    return letters, result


@pytest.mark.parametrize("wave", ["cutover", "data-deadline", "after-cancel"])
@pytest.mark.parametrize("language", ["da", "en"])
def test_business_basic_and_business_standard_users_get_different_instructions(tmp_path, wave, language):
    letters, _ = render(tmp_path, wave, save_to=SAVE_TO)
    basic, standard = letters[BASIC[language]], letters[STANDARD[language]]
    for part in ("text", "html"):
        for phrase in DESKTOP_ONLY[wave][language]:
            assert phrase in standard[part], (part, phrase)
            assert phrase not in basic[part], (part, phrase)
        for phrase in WEB_ONLY[wave][language]:
            assert phrase in basic[part], (part, phrase)
            assert phrase not in standard[part], (part, phrase)
        # the same wave otherwise: the provider and the greeting reach both
        assert "Google Workspace" in basic[part] and "Google Workspace" in standard[part]
    if wave == "after-cancel":
        assert ("fjern Office" if language == "da" else "remove Office") in standard["subject"]
        assert "Office" not in basic["subject"].partition(":")[2]


@pytest.mark.parametrize("wave", ["cutover", "data-deadline", "after-cancel"])
def test_an_unknown_licence_gets_both_instructions_each_for_whom_it_applies(tmp_path, wave):
    letters, _ = render(tmp_path, wave)
    una = letters["una@nordlys-tekstil.dk"]
    for part in ("text", "html"):
        if wave == "after-cancel":
            assert "Fjern installation" in una[part] and "Office, du selv har købt, skal du ikke fjerne" in una[part]
            assert "fra firmaets abonnement" in una[part]
        else:
            assert ".pst" in una[part] and "Har du Outlook-programmet på din computer" in una[part]
            assert "det kan Outlook på nettet ikke" in una[part]


@pytest.mark.parametrize("wave", ["announce", "data-deadline"])
def test_save_to_is_named_in_the_emails_and_escaped_in_html(tmp_path, wave):
    letters, result = render(tmp_path, wave, save_to=SAVE_TO)
    assert "notify.save_to" not in result.output  # set: nothing to warn about
    for address in (BASIC["da"], STANDARD["en"]):
        assert SAVE_TO in letters[address]["text"]
        # what a mail client shows after reading the HTML: the value, escaped, never markup
        assert "Google Drive, mappen Firma &amp; Co &lt;arkiv&gt;" in letters[address]["html"]
        assert "<arkiv>" not in letters[address]["html"]


@pytest.mark.parametrize("wave", ["announce", "data-deadline"])
def test_without_save_to_the_emails_say_something_a_user_can_act_on(tmp_path, wave):
    letters, result = render(tmp_path, wave)
    assert "notify.save_to is not set" in result.output
    danish, english = letters[BASIC["da"]]["text"], letters[BASIC["en"]]["text"]
    assert "Læg dem på din computer, eller spørg it@nordlys-tekstil.dk, tlf. 70 20 30 40, hvor de skal ligge fremover." in danish
    assert "Keep them on your computer, or ask it@nordlys-tekstil.dk, tlf. 70 20 30 40 where they belong" in english
    for body in (danish, english):
        assert not re.search(r"aftalt|agreed", body, re.I)


@pytest.mark.parametrize("wave", waves.WAVES)
def test_the_danish_reads_as_a_dane_writes_it(tmp_path, wave):
    letters, _ = render(tmp_path, wave, save_to=SAVE_TO)
    danish = [letter for address, letter in letters.items() if address in ("bo@nordlys-tekstil.dk", "sif@nordlys-tekstil.dk", "una@nordlys-tekstil.dk")]
    assert len(danish) == 3
    for letter in danish:
        for part in ("subject", "text", "html"):
            # a subscription is "opsagt", not "annulleret"; Danish time goes without "(CET)"
            assert not re.search(r"annull|\(CES?T\)", letter[part], re.I), (part, letter[part])
    if wave == waves.ANNOUNCE:
        assert all("Du beholder din mailadresse" in letter[part] for letter in danish for part in ("text", "html"))
        assert all("opsiges" in letter["text"] for letter in danish)
    english = letters[STANDARD["en"]]
    if wave in (waves.ANNOUNCE, waves.REMINDER, waves.CUTOVER):
        assert re.search(r"at 07:00 \(CES?T\)", english["text"])  # English keeps the zone


def test_the_admins_copy_lists_who_gets_what_and_the_mailboxes_nobody_reads(tmp_path):
    _, result = render(tmp_path, "announce", save_to=SAVE_TO)
    copy = tmp_path / "box" / "announce" / admincopy.NAME
    assert f"(who gets which instructions; 3 mailbox(es) nobody is told about): {copy}" in " ".join(result.output.split())
    text = copy.read_text(encoding="utf-8")
    # in the spec's language (da), never as a message: the outbox's .eml files are the five recipients'
    assert text.startswith("Administratorens kopi af bølgen announce for nordlys-tekstil.dk")
    assert len(list(copy.parent.glob("*.eml"))) == 5
    assert "  Office-programmer på computeren: 2\n" in text and "  Kun Office på nettet og mobil: 2\n" in text
    assert "  Ukendt abonnement (begge vejledninger): 1\n" in text and "  Contoso Suite: 1\n" in text
    assert "  lager@nordlys-tekstil.dk (Lager): uden licens: en fælles- eller ressourcepostkasse, linje 7\n" in text
    assert "  moede@nordlys-tekstil.dk (Mødelokale Åen): uden licens: en fælles- eller ressourcepostkasse, linje 8\n" in text
    assert "  peter@nordlys-tekstil.dk (Peter Holm): login blokeret, linje 9\n" in text
    assert "Opret dem hos Google Workspace (Gmail)" in text
    # an unlicensed account without proxy addresses has no mailbox: reported as not sent to, not as a mailbox
    assert "admin@nordlys-tekstil.dk (" not in text and "line 10: admin@nordlys-tekstil.dk: unlicensed" in text
    assert "  bo@nordlys-tekstil.dk  da  kun Office på nettet og mobil\n" in text
    assert "  sue@nordlys-tekstil.dk  en  Office-programmer på computeren\n" in text


def test_the_admins_copy_follows_the_spec_language_and_is_not_rewritten_for_one_recipient(tmp_path):
    _, _ = render(tmp_path, "cutover", language="en")
    copy = tmp_path / "box" / "cutover" / admincopy.NAME
    first = copy.read_text(encoding="utf-8")
    assert first.startswith("The admin's copy of the cutover wave for nordlys-tekstil.dk")
    assert "  peter@nordlys-tekstil.dk (Peter Holm): sign-in blocked, line 9\n" in first
    copy.write_text("kept", encoding="utf-8")
    only = runner.invoke(app, ["notify", str(tmp_path / "migration.yaml"), "--wave", "cutover", "--out", str(tmp_path / "box"),
                               "--only", "bo@nordlys-tekstil.dk"])
    assert only.exit_code == 0, only.output
    assert copy.read_text(encoding="utf-8") == "kept" and "admin's copy" not in only.output


def test_outside_text_in_a_licence_name_stays_inert(tmp_path):
    hostile = HEADER + (
        'False,Bo Basic,Bo,Basic,"Microsoft 365 Business Basic+Evil\r\nBcc: all@example.com\u202e",da-DK,'
        "SMTP:bo@nordlys-tekstil.dk,bo@nordlys-tekstil.dk\r\n"
    )
    path = write_spec(tmp_path, users=hostile)
    result = runner.invoke(app, ["notify", str(path), "--wave", "announce", "--out", str(tmp_path / "box")])
    assert result.exit_code == 0, result.output
    (eml,) = (tmp_path / "box" / "announce").glob("*.eml")
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Bcc"] is None and [a.addr_spec for a in msg["To"].addresses] == ["bo@nordlys-tekstil.dk"]
    # an unknown name: both instructions for Bo, and the name on one line of the admin's copy, without the bidi override
    text = (tmp_path / "box" / "announce" / admincopy.NAME).read_text(encoding="utf-8")
    assert "  Evil Bcc: all@example.com: 1\n" in text and "\u202e" not in text and "\r" not in text


def test_save_to_with_a_line_break_is_bad_input_naming_the_key(tmp_path):
    path = write_spec(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["notify"]["save_to"] = "Google Drive\nBcc: all@example.com"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["notify", str(path), "--wave", "announce"])
    assert result.exit_code == 2
    assert "notify.save_to" in result.output and "Traceback" not in result.output
