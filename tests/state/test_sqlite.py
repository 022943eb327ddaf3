"""The SQLite layer, through the real stores: append-only evidence, WAL and synchronous=FULL, old files, errors."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from migrate import journal
from migrate.errors import EnvironmentProblem
from migrate.gate import store
from migrate.journal import Journal, Observation
from migrate.notify import ledger
from migrate.notify.ledger import Ledger
from migrate.state.schema import Schema
from migrate.state.sqlite import open_writer

D = "example.dk."
T0 = datetime(2027, 1, 15, 7, 0, tzinfo=timezone.utc)


def write_journal(state):
    answer = {"server": "192.0.2.1", "qname": D, "qtype": "MX", "rd": False, "outcome": "answer", "rcode": "NOERROR",
              "aa": True, "truncated": False, "tcp": False, "at": T0.isoformat(),
              "answer": [{"name": D, "type": "MX", "ttl": 300, "values": ["10 mx.example.net."]}]}
    with Journal.open(state) as book:
        book.record_round(domain=D, started_at=T0, finished_at=T0, status="converging", authoritative_ok=True, eta=None,
                          safe_after=T0 + timedelta(hours=1), checks=[{"id": "x", "status": "pass"}],
                          observations=[Observation("auth", answer)], old_ttls=[("record", f"{D} MX", 3600, "198.51.100.1")],
                          old_servers=["ns1.old.example."])


def write_gate(state):
    store.attest(state, "data-saved", "example.dk", "Mette", T0)
    store.record(state, T0, "example.dk", "locked", {"dns": "sha256:0"}, {"status": "locked", "generated_at": "2027-01-15T07:00:00Z"})


def write_ledger(state):
    with Ledger.open(state) as book:
        book.begin("announce", data_deadline="2027-02-22", forced=None)
        assert book.claim("announce", "anne@example.dk", "<1@example.dk>")
        book.sent("announce", "anne@example.dk")


# Each store: its schema, its file, and its real writer.
STORES = {
    "journal": (journal.SCHEMA, journal.FILENAME, write_journal),
    "gate": (store.SCHEMA, store.FILENAME, write_gate),
    "ledger": (ledger.SCHEMA, ledger.FILENAME, write_ledger),
}
EVIDENCE = [(name, table) for name, (schema, _, _) in STORES.items() for table in schema.evidence]


def written(tmp_path, name):
    _, filename, write = STORES[name]
    write(tmp_path)
    return tmp_path / filename


def test_the_evidence_tables_are_every_table_that_records_what_happened():
    assert EVIDENCE == [
        ("journal", "rounds"), ("journal", "observations"), ("journal", "old_ttls"), ("journal", "old_servers"),
        ("gate", "attestations"), ("gate", "decisions"),
        ("ledger", "events"), ("ledger", "sends"),
    ]


@pytest.mark.parametrize(("name", "table"), EVIDENCE)
def test_evidence_refuses_update_and_delete(tmp_path, name, table):
    db = sqlite3.connect(written(tmp_path, name), isolation_level=None)
    try:
        rows = db.execute(f"SELECT * FROM {table}").fetchall()
        assert rows, "the writer left a row to tamper with"
        column = db.execute(f"PRAGMA table_info({table})").fetchall()[-1][1]
        for statement in (f"UPDATE {table} SET {column} = NULL", f"DELETE FROM {table}"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)
        assert db.execute(f"SELECT * FROM {table}").fetchall() == rows
    finally:
        db.close()


def test_the_ledger_messages_stay_mutable_by_design(tmp_path):
    # The sending -> sent state machine updates its row in place; its history is the append-only `events`.
    db = sqlite3.connect(written(tmp_path, "ledger"), isolation_level=None)
    try:
        db.execute("UPDATE messages SET error = 'x'")
        assert db.execute("SELECT error FROM messages").fetchone() == ("x",)
    finally:
        db.close()


@pytest.fixture
def connections(monkeypatch):
    """(file, journal_mode, synchronous) of every connection opened while the test runs, as it closes."""
    seen = []
    connect = sqlite3.connect

    class Watched(sqlite3.Connection):
        def close(self):
            mode = self.execute("PRAGMA journal_mode").fetchone()[0]
            sync = self.execute("PRAGMA synchronous").fetchone()[0]
            seen.append((self.execute("PRAGMA database_list").fetchone()[2], mode, sync))
            super().close()

    monkeypatch.setattr(sqlite3, "connect", lambda *args, **kwargs: connect(*args, factory=Watched, **kwargs))
    return seen


@pytest.mark.parametrize("name", STORES)
def test_every_connection_of_a_writer_is_wal_and_synchronous_full(tmp_path, name, connections):
    file = written(tmp_path, name)
    assert connections and {path for path, _, _ in connections} == {str(file)}
    assert all(mode == "wal" and sync == 2 for _, mode, sync in connections), connections  # 2: FULL


# The gate store as the code before the state layer wrote it: WAL, no triggers, JSON with spaces.
OLD_GATE_SCHEMA = """
CREATE TABLE attestations (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, domain TEXT NOT NULL,
                           by TEXT NOT NULL, at TEXT NOT NULL, note TEXT);
CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, domain TEXT NOT NULL,
                        status TEXT NOT NULL, evidence TEXT NOT NULL, report TEXT NOT NULL);
"""


def test_an_old_gate_store_keeps_its_rows_and_gains_the_triggers(tmp_path):
    file = tmp_path / store.FILENAME
    old = sqlite3.connect(file, isolation_level=None)
    old.execute("PRAGMA journal_mode=WAL")
    old.executescript(OLD_GATE_SCHEMA)
    old.execute("INSERT INTO attestations (kind, domain, by, at, note) VALUES ('data-saved', 'example.dk', 'Mette', ?, NULL)",
                ("2027-01-14T06:00:00+00:00",))
    old.execute("INSERT INTO decisions (at, domain, status, evidence, report) VALUES (?, 'example.dk', 'locked', ?, ?)",
                ("2027-01-14T07:00:00+00:00", json.dumps({"dns": "sha256:0"}), json.dumps({"status": "locked", "x": "ø"})))
    old.close()
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"

    # reading opens read-only: the old file is read as it is, and left as it is
    assert [a.at for a in store.attestations(tmp_path, "example.dk")] == [T0 - timedelta(days=1, hours=1)]
    with sqlite3.connect(file) as db:
        assert db.execute(triggers).fetchall() == []

    store.attest(tmp_path, "data-saved", "example.dk", "Anne", T0)
    assert [a.by for a in store.attestations(tmp_path, "example.dk")] == ["Mette", "Anne"]
    assert [(d.status, d.evidence, d.report) for d in store.decisions(tmp_path, "example.dk")] == [
        ("locked", {"dns": "sha256:0"}, {"status": "locked", "x": "ø"})
    ]
    db = sqlite3.connect(file, isolation_level=None)
    try:
        assert [n for (n,) in db.execute(triggers)] == [
            "attestations_append_only_d", "attestations_append_only_u", "decisions_append_only_d", "decisions_append_only_u"
        ]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM decisions")
    finally:
        db.close()


def test_a_ledger_from_before_sending_runs_were_recorded_has_none_and_gains_the_table(tmp_path):
    write_ledger(tmp_path)
    db = sqlite3.connect(tmp_path / ledger.FILENAME, isolation_level=None)
    db.execute("DROP TABLE sends")  # as an older version left it (its triggers go with it) ...
    db.execute("DELETE FROM chain_heads WHERE chain = 'sends'")  # ... with no chain of sending runs either
    db.close()
    assert ledger.sends(tmp_path) == [] and sorted(ledger.delivered(tmp_path, "announce")) == ["anne@example.dk"]
    with Ledger.open(tmp_path) as book:
        book.begin("reminder", data_deadline=None, forced="outside")
    assert [(s.wave, s.forced) for s in ledger.sends(tmp_path)] == [("reminder", "outside")]


def test_readers_take_a_missing_file_as_no_evidence_and_create_nothing(tmp_path):
    state = tmp_path / "state"
    assert store.attestations(state, "example.dk") == [] and store.decisions(state, "example.dk") == []
    assert ledger.delivered(state, "announce") == {}
    assert journal.dns_evidence(state, D, T0).rounds == 0
    assert not state.exists()


READERS = {
    "journal": lambda state: journal.dns_evidence(state, D, T0).rounds,
    "gate": lambda state: store.attestations(state, "example.dk"),
    "ledger": lambda state: ledger.delivered(state, "announce"),
}


@pytest.mark.parametrize("name", STORES)
def test_a_damaged_store_is_one_line_naming_its_file(tmp_path, name):
    _, filename, write = STORES[name]
    (tmp_path / filename).write_bytes(b"this is not a database" * 100)
    for use in (READERS[name], write):
        with pytest.raises(EnvironmentProblem) as caught:
            use(tmp_path)
        assert str(tmp_path / filename) in str(caught.value) and "\n" not in str(caught.value)


SCRATCH = Schema("the scratch store", "scratch.sqlite", "CREATE TABLE IF NOT EXISTS t (v INTEGER);", evidence=("t",))


def test_a_transaction_is_all_or_nothing(tmp_path):
    db = open_writer(tmp_path / "scratch.sqlite", SCRATCH)
    try:
        with pytest.raises(RuntimeError):
            with db.transaction():
                db.execute("INSERT INTO t VALUES (1)")
                raise RuntimeError("stopped halfway")
        with db.transaction():
            db.execute("INSERT INTO t VALUES (2)")
        assert db.execute("SELECT v FROM t").fetchall() == [(2,)] and not db.in_transaction
    finally:
        db.close()


@pytest.mark.parametrize("name", STORES)
def test_a_state_folder_named_with_uri_characters_holds_its_files(tmp_path, name):
    # "?" and "#" end a SQLite URI: the journal once went to a file "odd " beside the folder
    state = tmp_path / "odd ?name#x%20y"
    _, filename, write = STORES[name]
    write(state)
    assert READERS[name](state), "the reader finds what the writer wrote"
    assert [p.name for p in tmp_path.iterdir()] == [state.name] and (state / filename).is_file()
