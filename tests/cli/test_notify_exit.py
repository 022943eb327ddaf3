"""`migrate notify` over a tenant's specs: one email per person per wave, at the relay and in the outbox."""

from __future__ import annotations

from email import message_from_bytes, policy

from typer.testing import CliRunner

from migrate import spec as spec_module
from migrate.cli import app
from migrate.notify import ledger, message, recipients, wave as wave_module, waves
from tests.helpers.notify import SOON, Recorder, SmtpServer, write_spec, write_tenant

runner = CliRunner()
ANNE = "anne@nordlys-tekstil.dk"
PEOPLE = [ANNE, "emma@nordlys-tekstil.com", "jens@nordlys-tekstil.dk"]


def _notify(*args: str):
    return runner.invoke(app, ["notify", *args, "--wave", "announce"])


def test_a_person_on_two_domains_gets_one_announcement_naming_both_and_no_run_sends_it_again(tmp_path):
    handler = Recorder()
    with SmtpServer(handler) as server:
        dk, com = write_tenant(tmp_path, smtp={"port": server.port})
        first = _notify(str(tmp_path), "--send")
        assert first.exit_code == 0, first.output
        assert sorted(to for arrival in handler.arrivals for to in arrival.rcpt_tos) == sorted(PEOPLE)

        box = tmp_path / ".migrate" / "outbox" / "announce"
        written = {message_from_bytes(p.read_bytes(), policy=policy.default)["To"].addresses[0].addr_spec: p for p in box.glob("*.eml")}
        assert sorted(written) == sorted(PEOPLE)
        (anne,) = [a.message for a in handler.arrivals if a.rcpt_tos == [ANNE]]
        text = anne.get_body(("plain",)).get_content()
        assert "anne@nordlys-tekstil.dk og anne@nordlys-tekstil.com virker alle fortsat" in text
        assert "mailen for nordlys-tekstil.dk og nordlys-tekstil.com" in text
        assert "onmicrosoft" not in text  # only the addresses on the exit's domains move
        assert "anne@nordlys-tekstil.com" in anne.get_body(("html",)).get_content()
        # Emma, on the .com alone, reads what a run of its spec alone says.
        (emma,) = [a.message for a in handler.arrivals if a.rcpt_tos == ["emma@nordlys-tekstil.com"]]
        emma_text = emma.get_body(("plain",)).get_content()
        assert "You keep your email address, emma@nordlys-tekstil.com." in emma_text
        assert "we move email for nordlys-tekstil.com from" in emma_text and "because your address is on nordlys-tekstil.com." in emma_text
        # Anne's Message-ID is the one a run of the .dk spec alone gives her.
        dk_spec = spec_module.load(dk)
        assert anne["Message-ID"] == message.message_id(dk_spec, waves.ANNOUNCE, recipients.Recipient(ANNE, "", "", "", "da", 0))

        again = _notify(str(dk), str(com), "--send")
        assert again.exit_code == 0 and "3 already-sent" in again.output
        for alone in (com, dk):
            single = _notify(str(alone), "--send")
            assert single.exit_code == 0 and "0 sent" in single.output and "already-sent" in single.output, single.output
        assert len(handler.arrivals) == 3

    # The gate's notice check of each domain reads its spec's recipients against the one ledger: all told.
    delivered = ledger.delivered(tmp_path / ".migrate", waves.ANNOUNCE)
    for path in (dk, com):
        assert {r.key for r in recipients.load(spec_module.load(path))} <= set(delivered)


def test_specs_that_disagree_on_what_the_email_says_are_refused_in_one_line(tmp_path):
    dk, _ = write_tenant(tmp_path)
    later = write_spec(tmp_path, users=None, domain="nordlys-tekstil.com", cutover=SOON.replace(hour=9), name="com.yaml")
    result = _notify(str(dk), str(later))
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"error: {later}: cutover differs from {dk}'s: one email per person states one; "
                                          "give the exit's specs the same value"]
    write_tenant(tmp_path, com={"save_to": "Google Drive"})
    result = _notify(str(tmp_path))
    # A folder's specs in file-name order: the .com spec is the first.
    assert result.exit_code == 2 and result.output.startswith(f"error: {dk}: notify.save_to differs from {tmp_path / 'com.yaml'}'s")
    assert not (tmp_path / ".migrate" / "outbox").exists()


def test_an_exit_with_a_recipients_file_each_tells_a_person_in_both_once(tmp_path):
    dk, com = write_tenant(tmp_path)
    lines = (tmp_path / "users.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    # The .com spec's own export: Anne again (same Object Id, same primary address) and Emma.
    (tmp_path / "com-users.csv").write_text(lines[0] + lines[1] + lines[2], encoding="utf-8")
    com.write_text(com.read_text(encoding="utf-8").replace("recipients: users.csv", "recipients: com-users.csv"), encoding="utf-8")
    notes = []
    told = wave_module.load_exit([spec_module.load(dk), spec_module.load(com)], waves.ANNOUNCE, on_note=lambda *note: notes.append(note))
    assert [r.address for r in told.roster.recipients] == PEOPLE
    assert ("skipped", f"{tmp_path / 'com-users.csv'}: line 2: {ANNE}: duplicate (first on line 2 of {tmp_path / 'users.csv'})") in notes

    # Two exports that give one person different primary addresses: which one would she read?
    (tmp_path / "com-users.csv").write_text(lines[0] + lines[1].replace("SMTP:anne@nordlys-tekstil.dk+smtp:anne@nordlys-tekstil.com",
                                                                       "smtp:anne@nordlys-tekstil.dk+SMTP:anne@nordlys-tekstil.com"),
                                            encoding="utf-8")
    result = _notify(str(dk), str(com))
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"error: {tmp_path / 'com-users.csv'}: line 2: 0a1b-anne is anne@nordlys-tekstil.com here and {ANNE} in ")
