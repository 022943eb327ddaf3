"""Every wave in both languages rendered, written as .eml, and parsed back with the email package."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from typer.testing import CliRunner

from migrate import spec as spec_module
from migrate.cli import app
from migrate.errors import BadInput
from migrate.notify import dates, message, outbox, recipients, render, waves
from tests.helpers import notify as helpers

# The dates these tests read in the messages: cutover Friday 15 January 2027, data deadline 22 February, cancelled 1 March.
CUTOVER = datetime(2027, 1, 15, 7, 0, tzinfo=timezone(timedelta(hours=1)))


def write_spec(folder, **options):
    return helpers.write_spec(folder, cutover=CUTOVER, **options)


runner = CliRunner()


def person(language: str, **kw) -> recipients.Recipient:
    values = {"address": "anne@nordlys-tekstil.dk", "display_name": "Anne Sørensen", "first_name": "Anne", "last_name": "Sørensen", "language": language, "line": 2}
    values.update(kw)
    return recipients.Recipient(**values)


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("wave", waves.WAVES)
def test_every_wave_renders_and_parses_back(tmp_path, wave, language):
    spec = spec_module.load(write_spec(tmp_path))
    facts = waves.require(spec, wave)
    who = person(language)
    msg = message.build(spec, wave, who, render.render(facts, who, wave))
    path = outbox.write(tmp_path, 1, who.address, msg)
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)

    assert parsed["From"].addresses[0].addr_spec == "it@nordlys-tekstil.dk"
    assert parsed["From"].addresses[0].display_name == "Nordlys IT"
    assert [a.addr_spec for a in parsed["To"].addresses] == ["anne@nordlys-tekstil.dk"]
    assert parsed["To"].addresses[0].display_name == "Anne Sørensen"
    assert parsedate_to_datetime(parsed["Date"]).tzinfo is not None
    assert parsed["Message-ID"] == message.message_id(spec, wave, who)
    assert parsed["Message-ID"].endswith("@nordlys-tekstil.dk>")
    assert parsed["Content-Language"] == language
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in parsed.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    # Python folds a long Subject right after the colon; clients unfold it: compare unfolded.
    subject = str(parsed["Subject"]).strip()
    assert subject and "\n" not in subject

    # The facts each wave must carry, in the recipient's language, in both parts.
    cutover_day = dates.day(datetime(2027, 1, 15, 7, tzinfo=ZoneInfo("Europe/Copenhagen")), language)
    must = ["Google Workspace (Gmail)", "nordlys-tekstil.dk", "it@nordlys-tekstil.dk, tlf. 70 20 30 40"]
    if wave in (waves.ANNOUNCE, waves.REMINDER, waves.CUTOVER):
        must.append(cutover_day)
    if wave in (waves.ANNOUNCE, waves.REMINDER, waves.CUTOVER, waves.AFTER_CANCEL):
        must.append("https://mail.google.com")
    if wave == waves.DATA_DEADLINE:
        must += [dates.day(date(2027, 2, 22), language), dates.day(date(2027, 3, 1), language), dates.day(date(2027, 8, 28), language), "OneDrive", "SharePoint"]
    if wave == waves.AFTER_CANCEL:
        must += [dates.short_day(date(2027, 3, 1), language), dates.day(date(2027, 8, 28), language)]
    for fact in must:
        # A date may open a sentence ("Mandag den 1. marts"): compare case-insensitively.
        assert fact.lower() in text.lower(), (fact, text)
        assert fact.lower() in html.lower(), (fact, html)
    greeting = "Hej Anne," if language == "da" else "Hello Anne,"
    assert greeting in text and greeting in html
    assert "Microsoft 365" in text


def test_danish_words_without_system_locale():
    tz = ZoneInfo("Europe/Copenhagen")
    assert dates.day(date(2024, 12, 24), "da") == "tirsdag den 24. december 2024"
    assert dates.day(date(2025, 6, 5), "da") == "torsdag den 5. juni 2025"
    assert dates.day(date(2027, 5, 1), "da") == "lørdag den 1. maj 2027"
    assert dates.day(date(2027, 3, 1), "en") == "Monday 1 March 2027"
    winter = datetime(2027, 1, 15, 7, 0, tzinfo=tz)
    summer = datetime(2027, 7, 2, 16, 30, tzinfo=tz)
    # Danish time goes unsaid in Danish, as a Dane writes it; English names the zone.
    assert dates.moment(winter, "da") == "fredag den 15. januar 2027 kl. 07.00"
    assert dates.moment(summer, "da") == "fredag den 2. juli 2027 kl. 16.30"
    assert dates.moment(summer, "en") == "Friday 2 July 2027 at 16:30 (CEST)"
    # A fixed offset that is Danish time then is Danish time; another zone is named.
    assert dates.time(datetime(2027, 1, 15, 7, 0, tzinfo=timezone(timedelta(hours=1))), "da") == "kl. 07.00"
    assert dates.time(datetime(2027, 1, 15, 6, 0, tzinfo=ZoneInfo("Europe/London")), "da") == "kl. 06.00 (GMT)"
    assert dates.short_day(winter, "da") == "15. januar 2027"


def test_first_letter_upper_keeps_the_rest(tmp_path):
    path = write_spec(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["timezone"] = "Europe/London"  # a Danish text for a company on London time names the zone
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = render.render(waves.require(spec_module.load(path), "announce"), person("da"), "announce")
    # Jinja's capitalize would have written "(gmt)".
    assert "Fredag den 15. januar 2027 kl. 06.00 (GMT) flytter vi mailen" in out.text


def test_html_is_autoescaped_and_text_is_not(tmp_path):
    spec = spec_module.load(write_spec(tmp_path))
    evil = person("en", first_name="<script>alert(1)</script>", display_name="Tom & <b>Jerry</b>")
    out = render.render(waves.require(spec, "announce"), evil, "announce")
    assert "<script>" not in out.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    assert "Hello <script>alert(1)</script>," in out.text


def test_html_title_escapes_the_subject(tmp_path):
    spec = spec_module.load(write_spec(tmp_path, notify={"templates": "mytemplates"}))
    folder = tmp_path / "mytemplates" / "en"
    folder.mkdir(parents=True)
    (folder / "announce.subject.txt").write_text("News from {{ recipient.first_name }}\n")
    render.environment.cache_clear()
    out = render.render(waves.require(spec, "announce"), person("en", first_name="</title><script>x</script>"), "announce", spec.resolve_path(spec.notify.templates))
    assert "<script>x</script>" not in out.html
    assert out.subject == "News from </title><script>x</script>"


def test_undefined_variable_fails_instead_of_printing_blank(tmp_path):
    spec = spec_module.load(write_spec(tmp_path, notify={"templates": "custom"}))
    folder = tmp_path / "custom" / "da"
    folder.mkdir(parents=True)
    (folder / "announce.txt").write_text("Hej {{ recipient.first_name }}, din chef er {{ boss_name }}.\n")
    render.environment.cache_clear()
    with pytest.raises(BadInput, match="boss_name"):
        render.render(waves.require(spec, "announce"), person("da"), "announce", spec.resolve_path(spec.notify.templates))
    result = runner.invoke(app, ["notify", str(spec.path), "--wave", "announce"])
    assert result.exit_code == 2
    assert "boss_name" in result.output
    assert "Traceback" not in result.output


def test_override_replaces_one_file_and_keeps_the_rest(tmp_path):
    spec = spec_module.load(write_spec(tmp_path, notify={"templates": "custom"}))
    folder = tmp_path / "custom" / "da"
    folder.mkdir(parents=True)
    (folder / "announce.subject.txt").write_text("Vigtigt: ny mail fra {{ cutover | short_day }}\n")
    render.environment.cache_clear()
    out = render.render(waves.require(spec, "announce"), person("da"), "announce", spec.resolve_path(spec.notify.templates))
    assert out.subject == "Vigtigt: ny mail fra 15. januar 2027"
    assert "Google Workspace" in out.text  # body still the built-in one


def test_waves_that_need_a_cancel_date_say_so(tmp_path):
    path = write_spec(tmp_path, notify={"cancel_date": None, "data_deadline": None})
    for wave in ("data-deadline", "after-cancel"):
        result = runner.invoke(app, ["notify", str(path), "--wave", wave])
        assert result.exit_code == 2, result.output
        assert "notify.cancel_date" in result.output


def test_unknown_wave_is_bad_input(tmp_path):
    result = runner.invoke(app, ["notify", str(write_spec(tmp_path)), "--wave", "farewell"])
    assert result.exit_code == 2
    assert "unknown wave 'farewell'" in result.output


def test_due_dates_follow_the_spec(tmp_path):
    spec = spec_module.load(write_spec(tmp_path, notify={"announce_days": 21}))
    tz = ZoneInfo("Europe/Copenhagen")
    assert waves.due(spec, "announce") == datetime(2026, 12, 25, 7, 0, tzinfo=tz)
    assert waves.due(spec, "reminder") == datetime(2027, 1, 14, 7, 0, tzinfo=tz)
    assert waves.due(spec, "data-deadline") == datetime(2027, 2, 15, 0, 0, tzinfo=tz)
    assert waves.due(spec, "after-cancel") == datetime(2027, 3, 1, 0, 0, tzinfo=tz)


def test_deadline_after_cancellation_is_rejected(tmp_path):
    path = write_spec(tmp_path, notify={"data_deadline": "2027-03-05"})
    with pytest.raises(BadInput, match="data_deadline"):
        spec_module.load(path)


def test_outbox_and_preview_through_the_command(tmp_path):
    path = write_spec(tmp_path)
    result = runner.invoke(app, ["notify", str(path), "--wave", "announce", "--out", str(tmp_path / "box")])
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "box" / "announce").glob("*.eml"))
    assert [f.name for f in files] == [
        "001-anne@nordlys-tekstil.dk.eml", "002-soren@nordlys-tekstil.dk.eml", "003-emma@nordlys-tekstil.dk.eml",
        "004-jens@nordlys-tekstil.dk.eml", "005-mette@nordlys-tekstil.dk.eml",
    ]
    emma = message_from_bytes(files[2].read_bytes(), policy=policy.default)
    assert str(emma["Subject"]).strip() == "Your email moves to Google Workspace (Gmail) on Friday 15 January 2027"
    assert "skipped: line 7: lager@nordlys-tekstil.dk: unlicensed" in result.output

    preview = runner.invoke(app, ["notify", str(path), "--wave", "cutover", "--preview", "SOREN@nordlys-tekstil.dk"])
    assert preview.exit_code == 0, preview.output
    assert "Subject: Din mail er flyttet til Google Workspace (Gmail)" in preview.stdout
    assert "Hej Søren," in preview.stdout

    missing = runner.invoke(app, ["notify", str(path), "--wave", "cutover", "--preview", "nobody@nordlys-tekstil.dk"])
    assert missing.exit_code == 2
    assert "nobody@nordlys-tekstil.dk is not among the recipients" in missing.output
