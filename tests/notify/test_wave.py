"""One wave (`migrate notify`, the demo): who is told, the outbox it is written to, sending through the ledger."""

from __future__ import annotations

from datetime import datetime, timezone
from email import message_from_bytes, policy

import pytest

from migrate import spec as spec_module
from migrate.errors import BadInput
from migrate.notify import message, outbox, send, wave as wave_module, waves
from migrate.notify.ledger import Ledger
from tests.helpers.notify import ADDRESSES, USERS_CSV, Recorder, Script, SmtpServer, write_spec


def _send(loaded, letters, state, **options):
    # Now is inside the announce wave's window: the helper's cutover is a month away.
    return wave_module.send(loaded, letters, state, wave_module.permit(loaded, state, datetime.now(timezone.utc)), **options)


def _load(folder, **options):
    notes = []
    loaded = wave_module.load(spec_module.load(write_spec(folder, **options)), waves.ANNOUNCE,
                              on_note=lambda kind, text: notes.append((kind, text)))
    return loaded, notes


def test_load_tells_what_it_skipped_and_refuses_a_roster_with_nobody_to_tell(tmp_path):
    loaded, notes = _load(tmp_path)
    assert [r.address for r in loaded.roster.recipients] == ADDRESSES
    assert notes[0] == ("skipped", "line 7: lager@nordlys-tekstil.dk: unlicensed")
    # Without notify.save_to the emails cannot name where saved files go: the admin hears why.
    assert [kind for kind, _ in notes[1:]] == ["note"] and "notify.save_to is not set" in notes[1][1]
    named, named_notes = _load(tmp_path, notify={"save_to": "Google Drive, mappen Firma"})
    assert named_notes == notes[:1] and named.facts.save_to == "Google Drive, mappen Firma"
    nobody = USERS_CSV.splitlines(keepends=True)[0] + USERS_CSV.splitlines(keepends=True)[-1]
    with pytest.raises(BadInput, match="no licensed users on nordlys-tekstil.dk to notify"):
        _load(tmp_path, users=nobody)


def test_pick_names_the_option_and_the_file(tmp_path):
    loaded, _ = _load(tmp_path)
    assert loaded.pick("EMMA@nordlys-tekstil.dk", "--only").address == "emma@nordlys-tekstil.dk"
    with pytest.raises(BadInput, match=r"--only: nobody@nordlys-tekstil.dk is not among the recipients in .*users.csv"):
        loaded.pick("nobody@nordlys-tekstil.dk", "--only")


def test_write_renders_one_eml_per_recipient_numbered_by_roster_place(tmp_path):
    loaded, _ = _load(tmp_path)
    box = tmp_path / "box"
    letters = wave_module.write(loaded, box, owned=True)
    assert [letter.path.name for letter in letters] == [outbox.filename(i, a) for i, a in enumerate(ADDRESSES, 1)]
    # Sending builds each message again: the one in the file has the Message-ID it will go out with.
    for letter in letters:
        written = message_from_bytes(letter.path.read_bytes(), policy=policy.default)
        assert written["Message-ID"] == message.message_id(loaded.spec, loaded.name, letter.recipient)
    # one recipient again: the others' files stay, its number is its place in the roster
    (single,) = wave_module.write(loaded, box, owned=True, only=loaded.pick(ADDRESSES[2], "--only"))
    assert single.path.name == outbox.filename(3, ADDRESSES[2])
    assert len(list(box.glob("*.eml"))) == len(ADDRESSES)


def test_write_clears_an_earlier_render_only_in_a_folder_the_tool_owns(tmp_path):
    loaded, _ = _load(tmp_path)
    owned = tmp_path / "owned"
    owned.mkdir()
    (owned / "999-stale@nordlys-tekstil.dk.eml").write_text("an earlier render")
    wave_module.write(loaded, owned, owned=True)
    assert not (owned / "999-stale@nordlys-tekstil.dk.eml").exists()
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "saved.eml").write_text("the user's own mail")
    with pytest.raises(BadInput, match="not empty and is not an outbox"):
        wave_module.write(loaded, theirs, owned=False)
    assert (theirs / "saved.eml").read_text() == "the user's own mail"


def test_send_delivers_once_through_the_ledger(tmp_path):
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        loaded, _ = _load(tmp_path, smtp={"port": server.port})
        letters = wave_module.write(loaded, tmp_path / "box", owned=True)
        progress = []
        first = _send(loaded, letters, tmp_path / "state", progress=progress.append)
        again = _send(loaded, letters, tmp_path / "state")
    assert first.counts() == {send.DELIVERED: 5, send.ALREADY: 0, send.UNCERTAIN: 0, send.FAILED: 0}
    assert first.missing == [] and [o.address for o in progress] == ADDRESSES
    assert again.counts()[send.ALREADY] == 5 and again.missing == []
    assert sorted(a.rcpt_tos[0] for a in recorder.arrivals) == sorted(ADDRESSES)


def test_a_refused_recipient_is_missing(tmp_path):
    recorder = Recorder(Script(rcpt={ADDRESSES[1]: ["550 no such user"]}))
    with SmtpServer(recorder) as server:
        loaded, _ = _load(tmp_path, smtp={"port": server.port})
        delivery = _send(loaded, wave_module.write(loaded, tmp_path / "box", owned=True), tmp_path / "state")
    assert [(o.address, o.status) for o in delivery.missing] == [(ADDRESSES[1], send.FAILED)]


def test_confirm_uncertain_records_only_the_uncertain_as_sent(tmp_path):
    loaded, _ = _load(tmp_path)
    letters = wave_module.write(loaded, tmp_path / "box", owned=True)
    state = tmp_path / "state"
    with Ledger.open(state) as book:
        for address in ADDRESSES[:2]:
            book.claim(waves.ANNOUNCE, address, f"<{address}>")
        book.lost(waves.ANNOUNCE, ADDRESSES[0], "connection lost during DATA")
    assert [r.address for r in wave_module.confirm_uncertain(loaded, letters, state)] == [ADDRESSES[0]]
    with Ledger.open(state) as book:
        assert book.get(waves.ANNOUNCE, ADDRESSES[0]).status == "sent"
        assert not Ledger.is_uncertain(book.get(waves.ANNOUNCE, ADDRESSES[1]))

