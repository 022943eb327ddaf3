"""Hash chains: the pure link and head rules, then every chained store as its real writers and readers use it."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from migrate import journal, sealing
from migrate.cli import app
from migrate.errors import BadInput, BrokenChain, EnvironmentProblem
from migrate.gate import store
from migrate.journal import Journal, Observation
from migrate.notify import ledger
from migrate.notify.ledger import Ledger
from migrate.state import chain
from migrate.state.chain import KEYED, PLAIN, Head
from migrate.state.keys import ENV
from tests.helpers.gate import write_spec
from tests.helpers.tamper import recompute, swap, tamper

D = "example.dk."
T0 = datetime(2027, 1, 15, 7, 0, tzinfo=timezone.utc)
KEY = "k" * 32


# -- the rules, pure ----------------------------------------------------------------


def linked(contents, kind=PLAIN, key=None, previous="", start=1):
    rows = []
    for position, text in enumerate(contents, start=start):
        previous = chain.link(kind, key, previous, position, text)
        rows.append((text, previous, kind))
    return rows


def test_each_link_covers_its_row_its_place_and_its_predecessor():
    rows = linked(["a", "b", "c", "d"])
    assert chain.verify(rows, None).head == Head(4, rows[-1][1])
    edited = [rows[0], ("B", *rows[1][1:]), *rows[2:]]
    moved = [rows[0], rows[2], rows[1], rows[3]]
    gap = [rows[0], rows[2], rows[3]]
    for broken, where in ((edited, 2), (moved, 2), (gap, 2)):
        with pytest.raises(chain.Broken) as caught:
            chain.verify(broken, None)
        assert caught.value.position == where
    # The newest row deleted leaves a valid shorter chain: only the head tells.
    shorter = chain.verify(rows[:3], None)
    with pytest.raises(chain.Broken, match="holds 3, but its head says 4"):
        chain.check_head("t", shorter, (Head(4, rows[-1][1]), PLAIN, chain.seal("t", Head(4, rows[-1][1]), PLAIN, None)), None)


def test_the_first_stored_link_covers_the_legacy_rows_before_it():
    legacy = [("a", None, None), ("b", None, None)]
    prefix = chain.verify(legacy, None)
    rows = [*legacy, *linked(["c"], previous=prefix.links[-1], start=3)]
    assert chain.verify(rows, None).links[:2] == prefix.links
    with pytest.raises(chain.Broken) as caught:
        chain.verify(rows[1:], None)  # a legacy row trimmed
    assert caught.value.position == 2
    with pytest.raises(chain.Broken, match="no link, after rows that have one"):
        chain.verify([*rows, ("d", None, None)], None)


def test_keyed_links_need_the_key_and_never_turn_plain_again():
    key = KEY.encode()
    rows = linked(["a", "b"], KEYED, key)
    assert chain.verify(rows, key).links == tuple(r[1] for r in rows)
    with pytest.raises(chain.KeyNeeded):
        chain.verify(rows, None)
    with pytest.raises(chain.Broken, match="no longer matches"):
        chain.verify(rows, b"another key, just as long")
    downgraded = [*rows, *linked(["c"], previous=rows[-1][1], start=3)]
    with pytest.raises(chain.Broken, match="plain sha256 after keyed"):
        chain.verify(downgraded, key)
    upgraded = [*linked(["a"]), *linked(["b"], KEYED, key, previous=linked(["a"])[0][1], start=2)]
    assert len(chain.verify(upgraded, key).links) == 2


def test_with_the_key_a_head_must_be_sealed_with_it():
    key = KEY.encode()
    plain = chain.verify(linked(["a", "b"]), key)
    head = plain.head
    unkeyed = (head, PLAIN, chain.seal("t", head, PLAIN, None))
    chain.check_head("t", plain, unkeyed, None)
    with pytest.raises(chain.Unsealed):
        chain.check_head("t", plain, unkeyed, key)
    chain.check_head("t", plain, unkeyed, key, adopting=True)
    chain.check_head("t", plain, (head, KEYED, chain.seal("t", head, KEYED, key)), key)
    with pytest.raises(chain.Broken, match="does not match its seal"):
        chain.check_head("t", plain, (head, KEYED, chain.seal("other", head, KEYED, key)), key)
    with pytest.raises(chain.Broken, match="head is missing"):
        chain.check_head("t", plain, None, None)
    legacy = chain.verify([("a", None, None)], None)
    chain.check_head("t", legacy, None, None)  # an old file, never written since
    with pytest.raises(chain.Unsealed):
        chain.check_head("t", legacy, None, key)


def test_a_chain_extends_an_anchor_only_by_appending():
    rows = linked(["a", "b", "c"])
    now = chain.verify(rows, None)
    assert now.extends(Head(2, rows[1][1])) is None and now.extends(chain.EMPTY) is None
    assert "3 entries now, 4 then" in now.extends(Head(4, "x"))
    assert "entry 2 is not the one seen" in now.extends(Head(2, "x"))


# -- the stores ---------------------------------------------------------------------


def answer(i: int) -> dict:
    return {"server": "192.0.2.1", "qname": D, "qtype": "MX", "rd": False, "outcome": "answer", "rcode": "NOERROR",
            "aa": True, "truncated": False, "tcp": False, "at": T0.isoformat(),
            "answer": [{"name": D, "type": "MX", "ttl": 300, "values": [f"{i} mx.example.net."]}]}


def rounds(state, *minutes: int, status: str = "verified", ok: bool = True) -> None:
    with Journal.open(state) as book:
        for m in minutes:
            at = T0 + timedelta(minutes=m)
            book.record_round(domain=D, started_at=at, finished_at=at, status=status, authoritative_ok=ok, eta=None,
                              safe_after=T0, checks=[{"id": "x", "status": "pass"}], observations=[Observation("auth", answer(m))],
                              old_ttls=[("record", f"{D} MX", 3600, "198.51.100.1")], old_servers=[f"ns{m}.old.example."])


def attestations(state, *names: str) -> None:
    for name in names:
        store.attest(state, "data-saved", "example.dk", name, T0)


def decisions(state, *statuses: str) -> None:
    for status in statuses:
        store.record(state, T0, "example.dk", status, {"dns": "sha256:0"}, {"status": status}, {"journal": Head(1, "ab")})


def events(state, *addresses: str) -> None:
    with Ledger.open(state) as book:
        for address in addresses:
            book.claim("announce", address, f"<{address}>")
            book.sent("announce", address, at=T0)


def remembered(state, what: str):
    with Journal.open(state) as book:
        return getattr(book, what)(D)


# Each chained table: its file, how its real writer adds three rows, how its real reader reads it.
CHAINS = {
    "rounds": (journal.FILENAME, lambda s: rounds(s, 0, 60, 120), lambda s: journal.dns_evidence(s, D, T0)),
    "old_ttls": (journal.FILENAME, lambda s: rounds(s, 0, 60, 120), lambda s: remembered(s, "old_ttls")),
    "old_servers": (journal.FILENAME, lambda s: rounds(s, 0, 60, 120), lambda s: remembered(s, "old_servers")),
    "attestations": (store.FILENAME, lambda s: attestations(s, "Anne", "Bo", "Mette"), lambda s: store.attestations(s, "example.dk")),
    "decisions": (store.FILENAME, lambda s: decisions(s, "locked", "locked", "unlocked"), lambda s: store.decisions(s, "example.dk")),
    "events": (ledger.FILENAME, lambda s: events(s, "anne@example.dk", "bo@example.dk"), lambda s: ledger.delivered(s, "announce")),
}
# How each store's writer goes on after a read failed (it must refuse too).
WRITERS = {
    journal.FILENAME: lambda s: rounds(s, 180),
    store.FILENAME: lambda s: (attestations(s, "Eve"), decisions(s, "unlocked")),
    ledger.FILENAME: lambda s: events(s, "eve@example.dk"),
}


def newest(file, table) -> int:
    with sqlite3.connect(file) as db:
        return db.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]


@pytest.mark.parametrize("table", CHAINS)
def test_written_chains_read_back(tmp_path, table):
    _, write, read = CHAINS[table]
    write(tmp_path)
    assert read(tmp_path)


@pytest.mark.parametrize("table", CHAINS)
def test_the_newest_row_deleted_is_caught_on_the_next_read_and_write(tmp_path, table):
    filename, write, read = CHAINS[table]
    write(tmp_path)
    file = tmp_path / filename
    tamper(file, f"DELETE FROM {table} WHERE rowid = {newest(file, table)}")
    for use in (read, WRITERS[filename]):
        with pytest.raises(BrokenChain) as caught:
            use(tmp_path)
        assert str(file) in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("table", CHAINS)
def test_an_edited_row_is_caught(tmp_path, table):
    filename, write, read = CHAINS[table]
    write(tmp_path)
    file = tmp_path / filename
    column = {"rounds": "status", "old_ttls": "ttl", "old_servers": "first_seen", "attestations": "by",
              "decisions": "status", "events": "detail"}[table]
    with sqlite3.connect(file) as db:
        first = db.execute(f"SELECT min(rowid) FROM {table}").fetchone()[0]
    tamper(file, (f"UPDATE {table} SET {column} = ? WHERE rowid = ?", ("1", first)))
    with pytest.raises(BrokenChain, match="entry 1 of .* no longer matches its link"):
        read(tmp_path)


def test_rows_swapped_whole_are_caught(tmp_path):
    rounds(tmp_path, 0, 60, 120)
    swap(tmp_path / journal.FILENAME, "rounds", 2, 3)
    with pytest.raises(BrokenChain, match=r"entry 2 of 3 \(#2\)"):
        journal.dns_evidence(tmp_path, D, T0)


def test_a_deleted_head_is_caught(tmp_path):
    attestations(tmp_path, "Anne", "Bo")
    file = tmp_path / store.FILENAME
    tamper(file, f"DELETE FROM attestations WHERE id = {newest(file, 'attestations')}", "DELETE FROM chain_heads")
    with pytest.raises(BrokenChain, match="head is missing"):
        store.attestations(tmp_path, "example.dk")


def test_an_edited_round_with_its_digest_recomputed_is_caught(tmp_path):
    rounds(tmp_path, 0, 60)
    rounds(tmp_path, 120, status="failing", ok=False)
    file = tmp_path / journal.FILENAME
    with sqlite3.connect(file) as db:
        row = db.execute("SELECT started_at, finished_at, eta, safe_after, checks FROM rounds WHERE id = 3").fetchone()
        texts = [t for (t,) in db.execute("SELECT answer FROM observations WHERE round_id = 3")]
    forged = journal._digest(texts, journal._verdict("verified", True, row[0], row[1], row[2], row[3], row[4]))
    tamper(file, ("UPDATE rounds SET status = 'verified', authoritative_ok = 1, digest = ? WHERE id = 3", (forged,)))
    with Journal.open(tmp_path) as book:
        assert book.verify_digest(3)  # the round agrees with its digest again...
    with pytest.raises(BrokenChain, match="entry 3 of 3 .* no longer matches its link"):
        journal.dns_evidence(tmp_path, D, T0)  # ...but not with its link


def test_an_edited_observation_is_caught_in_any_round(tmp_path):
    rounds(tmp_path, 0, 60, 120)
    tamper(tmp_path / journal.FILENAME, "UPDATE observations SET answer = replace(answer, '60 mx', '61 mx') WHERE round_id = 2")
    with pytest.raises(BrokenChain, match="round #2: its observations or verdict no longer hash"):
        journal.dns_evidence(tmp_path, D, T0)


def test_without_the_key_a_recomputed_chain_passes_the_store_itself(tmp_path):
    """The documented limit: whoever can write the file can recompute a plain chain (the gate's anchors still catch it)."""
    rounds(tmp_path, 0, 60, 120)
    file = tmp_path / journal.FILENAME
    tamper(file, "DELETE FROM observations WHERE round_id = 3", "DELETE FROM rounds WHERE id = 3")
    recompute(file, journal.ROUNDS, D)
    assert journal.dns_evidence(tmp_path, D, T0).rounds == 2


# -- the ledger anchors itself ------------------------------------------------------


def opened(state) -> None:
    """Open the ledger as a sending run does."""
    with Ledger.open(state):
        pass


@pytest.mark.parametrize(("statement", "why"), [
    ("DELETE FROM messages", "its row is gone"),
    ("DELETE FROM messages WHERE address = 'bo@example.dk'", "bo@example.dk .* its row is gone"),
    ("UPDATE messages SET status = 'failed' WHERE address = 'anne@example.dk'", "its row says failed, its newest event says sent"),
    ("UPDATE messages SET phase = 'envelope', status = 'sending'", "its row says sending"),
    ("UPDATE messages SET sent_at = '2026-01-01T00:00:00+00:00'", "its row was edited"),
    ("INSERT INTO messages (wave, address, message_id, status, claimed_at) VALUES ('announce', 'eve@example.dk', '<e>', 'sent', 'x')",
     "eve@example.dk .* has no event"),
])
def test_messages_that_are_not_what_the_events_say_stop_the_ledger(tmp_path, statement, why):
    events(tmp_path, "anne@example.dk", "bo@example.dk")
    tamper(tmp_path / ledger.FILENAME, statement)
    for use in (lambda: ledger.delivered(tmp_path, "announce"), lambda: opened(tmp_path)):
        with pytest.raises(BrokenChain, match=why):
            use()


# -- the key ------------------------------------------------------------------------


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv(ENV, KEY)


def test_a_keyed_chain_rejects_one_recomputed_without_the_key(tmp_path, keyed):
    rounds(tmp_path, 0, 60, 120)
    file = tmp_path / journal.FILENAME
    tamper(file, "DELETE FROM observations WHERE round_id = 3", "DELETE FROM rounds WHERE id = 3")
    recompute(file, journal.ROUNDS, D)
    with pytest.raises(BrokenChain, match=f"not sealed with the key in {ENV}"):
        journal.dns_evidence(tmp_path, D, T0)
    with pytest.raises(BrokenChain, match="not sealed"):
        rounds(tmp_path, 180)  # and verify does not launder it by writing a keyed round after it


def test_a_keyed_chain_stripped_to_look_legacy_is_refused(tmp_path, keyed):
    attestations(tmp_path, "Anne", "Bo")
    tamper(tmp_path / store.FILENAME, "UPDATE attestations SET link = NULL, link_kind = NULL", "DELETE FROM chain_heads")
    with pytest.raises(BrokenChain, match="not sealed"):
        store.attestations(tmp_path, "example.dk")


def test_a_keyed_chain_needs_the_key_to_be_read_or_extended(tmp_path, keyed, monkeypatch):
    events(tmp_path, "anne@example.dk")
    monkeypatch.delenv(ENV)
    for use in (lambda: ledger.delivered(tmp_path, "announce"), lambda: events(tmp_path, "bo@example.dk")):
        with pytest.raises(EnvironmentProblem, match=f"set {ENV}"):
            use()
    monkeypatch.setenv(ENV, "another key of the same length!!")
    with pytest.raises(BrokenChain, match="no longer matches its link"):
        ledger.delivered(tmp_path, "announce")


def test_a_short_key_is_bad_input(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "short")
    with pytest.raises(BadInput, match="at least 16"):
        attestations(tmp_path, "Anne")


def test_every_link_written_with_the_key_is_keyed(tmp_path, keyed):
    rounds(tmp_path, 0, 60)
    with sqlite3.connect(tmp_path / journal.FILENAME) as db:
        assert {k for (k,) in db.execute("SELECT link_kind FROM rounds UNION SELECT link_kind FROM old_ttls")} == {KEYED}
        assert {k for (k,) in db.execute("SELECT kind FROM chain_heads")} == {KEYED}


# -- files written before the chains ------------------------------------------------


def old_journal(state) -> None:
    """A journal as the code before the chains wrote it: no link columns, no heads."""
    db = sqlite3.connect(state / journal.FILENAME, isolation_level=None)
    db.executescript(journal._TABLES)
    for i in range(3):
        at = (T0 + timedelta(hours=i)).isoformat()
        text = json.dumps(answer(i), sort_keys=True, separators=(",", ":"))
        verdict = journal._verdict("verified", True, at, at, None, T0.isoformat(), '[{"id":"x","status":"pass"}]')
        db.execute("INSERT INTO rounds (domain, started_at, finished_at, status, authoritative_ok, eta, safe_after, digest,"
                   " observations, checks) VALUES (?, ?, ?, 'verified', 1, NULL, ?, ?, 1, ?)",
                   (D, at, at, T0.isoformat(), journal._digest([text], verdict), '[{"id":"x","status":"pass"}]'))
        db.execute("INSERT INTO observations (round_id, at, role, server, qname, qtype, rd, outcome, aa, tc, tcp, answer)"
                   " VALUES (?, ?, 'auth', '192.0.2.1', ?, 'MX', 0, 'answer', 1, 0, 0, ?)", (i + 1, at, D, text))
    db.close()


def columns(file, table) -> set[str]:
    with sqlite3.connect(file) as db:
        return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def test_an_old_journal_reads_as_it_is_then_its_first_link_anchors_it(tmp_path):
    old_journal(tmp_path)
    file = tmp_path / journal.FILENAME
    assert journal.dns_evidence(tmp_path, D, T0).rounds == 3
    assert "link" not in columns(file, "rounds")  # a reader changed nothing
    rounds(tmp_path, 240)
    assert "link" in columns(file, "rounds") and journal.dns_evidence(tmp_path, D, T0).rounds == 4
    tamper(file, "DELETE FROM observations WHERE round_id = 1", "DELETE FROM rounds WHERE id = 1")
    with pytest.raises(BrokenChain, match="entry 3 of 3"):
        journal.dns_evidence(tmp_path, D, T0)


def test_an_old_journal_with_the_key_is_refused_until_sealed_on_purpose(tmp_path, keyed):
    old_journal(tmp_path)
    with pytest.raises(BrokenChain, match="migrate state seal"):
        journal.dns_evidence(tmp_path, D, T0)
    with pytest.raises(BrokenChain, match="migrate state seal"):
        rounds(tmp_path, 240)
    assert sealing.seal(tmp_path) == {"journal": 1, "gate store": 0, "ledger": 0}
    rounds(tmp_path, 240)
    assert journal.dns_evidence(tmp_path, D, T0).rounds == 4
    assert not (tmp_path / store.FILENAME).exists()  # sealing makes no store that was not there


def test_sealing_refuses_a_state_that_does_not_verify_and_changes_nothing(tmp_path, monkeypatch):
    events(tmp_path, "anne@example.dk")
    file = tmp_path / ledger.FILENAME
    tamper(file, "DELETE FROM messages")
    with pytest.raises(BadInput, match=ENV):
        sealing.seal(tmp_path)
    monkeypatch.setenv(ENV, KEY)
    with pytest.raises(BrokenChain, match="its row is gone"):
        sealing.seal(tmp_path)
    with sqlite3.connect(file) as db:
        assert db.execute("SELECT kind FROM chain_heads").fetchall() == [(PLAIN,)]


def test_an_old_ledger_compares_the_status_its_old_events_recorded(tmp_path):
    db = sqlite3.connect(tmp_path / ledger.FILENAME, isolation_level=None)
    db.executescript(ledger._TABLES)
    db.execute("INSERT INTO messages (wave, address, message_id, status, attempts, claimed_at, sent_at)"
               " VALUES ('announce', 'anne@example.dk', '<a>', 'sent', 1, ?, ?)", (T0.isoformat(), T0.isoformat()))
    for status in ("sending", "sent"):
        db.execute("INSERT INTO events (at, wave, address, status) VALUES (?, 'announce', 'anne@example.dk', ?)", (T0.isoformat(), status))
    db.close()
    assert ledger.delivered(tmp_path, "announce") == {"anne@example.dk": T0}
    events(tmp_path, "bo@example.dk")
    assert set(ledger.delivered(tmp_path, "announce")) == {"anne@example.dk", "bo@example.dk"}
    tamper(tmp_path / ledger.FILENAME, "UPDATE messages SET status = 'failed' WHERE address = 'anne@example.dk'")
    with pytest.raises(BrokenChain, match="anne@example.dk .* its row says failed"):
        ledger.delivered(tmp_path, "announce")


def test_two_domains_keep_two_chains(tmp_path):
    rounds(tmp_path, 0)
    with Journal.open(tmp_path) as book:
        book.record_round(domain="other.dk.", started_at=T0, finished_at=T0, status="failing", authoritative_ok=False, eta=None,
                          safe_after=None, checks=[], observations=[])
    tamper(tmp_path / journal.FILENAME, "DELETE FROM rounds WHERE domain = 'other.dk.'")
    assert journal.dns_evidence(tmp_path, D, T0).rounds == 1  # this domain's evidence is whole
    with pytest.raises(BrokenChain, match="verify rounds for other.dk"):
        journal.dns_evidence(tmp_path, "other.dk.", T0)


def test_migrate_state_seal_is_one_command_and_one_line(tmp_path, monkeypatch):
    spec = write_spec(tmp_path, require=["dns"])
    state = tmp_path / "state"
    state.mkdir()
    old_journal(state)
    refused = CliRunner().invoke(app, ["state", "seal", str(spec), "--state", str(state)])
    assert refused.exit_code == 2 and f"{ENV} is not set" in refused.stderr
    monkeypatch.setenv(ENV, KEY)
    done = CliRunner().invoke(app, ["state", "seal", str(spec), "--state", str(state)])
    assert done.exit_code == 0, done.output
    assert done.stderr.strip().splitlines() == [f"sealed with {ENV} in {state}: journal 1 chain(s), gate store 0 chain(s), ledger 0 chain(s)"]
    assert journal.dns_evidence(state, D, T0).rounds == 3


def test_a_reader_racing_a_writer_never_sees_a_broken_chain(tmp_path):
    """Each read is one snapshot: a send committed between reading the events and their head, or the events and
    the messages, would otherwise look like a trimmed ledger (and a verify round like a trimmed journal)."""
    events(tmp_path, "seed@example.dk")
    rounds(tmp_path, 0)
    done = threading.Event()

    def write() -> None:
        try:
            with Ledger.open(tmp_path) as book:
                for n in range(200):
                    book.claim("announce", f"u{n}@example.dk", f"<{n}>")
                    book.sent("announce", f"u{n}@example.dk")
            for n in range(1, 40):
                rounds(tmp_path, n)
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    reads = 0
    while not done.is_set():
        ledger.delivered(tmp_path, "announce")
        journal.dns_evidence(tmp_path, D, T0)
        reads += 1
    writer.join()
    assert reads > 1 and len(ledger.delivered(tmp_path, "announce")) == 201
