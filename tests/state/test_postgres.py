"""The state in a real PostgreSQL database: created only by `state init`, append-only, the password never shown,
bounded time against a dead server, and the runner role's limits."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import psycopg
import pytest

from migrate import journal
from migrate.errors import BadInput, BrokenChain
from migrate.journal import Journal
from migrate.state import location
from migrate.state.access import reading
from migrate.stores import SCHEMAS
from tests.helpers.examples import ROOT
from tests.helpers.ports import closed_port
from tests.helpers.postgres import ADMIN_PASSWORD, RUNNER, RUNNER_PASSWORD
from tests.helpers.state import D, T0, init, migrate, one_line, read_all, write_all

# -- a state is created only by `state init` ------------------------------------------------


@pytest.mark.parametrize("command", [["gate", "{spec}"], ["attest", "{spec}", "data-saved", "--by", "Mette"],
                                     ["notify", "{spec}", "--wave", "announce", "--send"], ["verify", "{spec}"]])
def test_a_database_without_a_state_is_bad_input_and_stays_empty(postgres, example_spec_path, command):
    args = [a.format(spec=example_spec_path) for a in command]
    for how in (["--state", postgres.url], []):
        result = migrate(*args, *how, env={location.ENV: postgres.url})
        assert result.returncode == 2, result.stderr
        line = one_line(result)
        assert f"postgresql://admin@127.0.0.1:{postgres.server.port}/{postgres.name}" in line and "state init" in line
        assert ADMIN_PASSWORD not in result.stderr + result.stdout
    assert postgres.sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'm365%'") == []


def test_a_wrong_database_or_password_is_bad_input_without_the_password(postgres, example_spec_path):
    wrong_db = postgres.server.url("no_such_database")
    wrong_pw = postgres.server.url(postgres.name, RUNNER, "not-the-Secret-77")
    for url, secret in ((wrong_db, ADMIN_PASSWORD), (wrong_pw, "not-the-Secret-77")):
        result = migrate("gate", str(example_spec_path), "--state", url)
        assert result.returncode == 2, result.stderr
        assert secret not in result.stderr + result.stdout and "cannot connect" in one_line(result)


def test_the_password_from_pgpassword_is_never_shown_either(postgres, example_spec_path):
    url = postgres.server.url("no_such_database", password=None)
    result = migrate("gate", str(example_spec_path), "--state", url, env={"PGPASSWORD": ADMIN_PASSWORD})
    assert result.returncode == 2 and ADMIN_PASSWORD not in result.stderr + result.stdout
    assert 'database "no_such_database" does not exist' in one_line(result)


def test_init_once_then_never_again(postgres):
    init(postgres)
    again = migrate("state", "init", postgres.url)
    assert again.returncode == 2 and "already" in one_line(again)
    unknown = migrate("state", "init", postgres.server.url("postgres"), "--runner", "nobody_here")
    assert unknown.returncode == 2 and "nobody_here" in one_line(unknown)
    assert migrate("state", "init", "mysql://x@y/z").returncode == 2


def test_a_folder_named_by_the_environment_must_hold_a_state(tmp_path, example_spec_path):
    missing = tmp_path / "evicted-cache"
    result = migrate("gate", str(example_spec_path), env={location.ENV: str(missing)})
    assert result.returncode == 2 and str(missing) in one_line(result) and "state init" in one_line(result)
    assert not missing.exists()
    assert migrate("state", "init", str(missing)).returncode == 0
    assert sorted(p.name for p in missing.iterdir()) == sorted(s.file for s in SCHEMAS)
    assert migrate("attest", str(example_spec_path), "data-saved", "--by", "Mette", env={location.ENV: str(missing)}).returncode == 0


def test_psycopg_loads_only_for_a_state_in_a_database(tmp_path, example_spec_path):
    probe = ("import sys; from migrate.cli import app; from typer.testing import CliRunner; "
             "CliRunner().invoke(app, ['attest', sys.argv[1], 'data-saved', '--by', 'M', '--state', sys.argv[2]]); "
             "print('psycopg' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe, str(example_spec_path), str(tmp_path / "state")],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.strip() == "False", result.stderr
    assert (tmp_path / "state" / "gate.sqlite").exists()


# -- the stores in the database --------------------------------------------------------------


def test_the_runner_writes_and_reads_every_store(postgres):
    init(postgres)
    state = location.parse(postgres.runner_url)
    write_all(state)
    rounds, old, attested, decided, delivered, runs, digest = read_all(state)
    assert [status for _, status, _ in rounds] == ["converging"] and old[0] == ["ns1.old.example.", "ns2.old.example."]
    assert attested == [("Mette 1", T0, "copied to the new drive")] and decided == [(1, "locked")]
    assert delivered == {"user1@example.dk": T0} and digest == rounds[0][2]
    assert [(wave, deadline) for _, wave, deadline in runs] == [("announce", "2027-02-22")]


EVIDENCE = [(schema, table) for schema in SCHEMAS for table in schema.evidence]


@pytest.mark.parametrize(("schema", "table"), EVIDENCE, ids=[f"{s.name}.{t}" for s, t in EVIDENCE])
def test_evidence_refuses_update_delete_and_truncate_even_for_its_owner(postgres, schema, table):
    init(postgres)
    write_all(location.parse(postgres.url))
    qualified = f"m365_exit_{schema.name}.{table}"
    rows = postgres.sql(f"SELECT * FROM {qualified}")
    assert rows
    column = postgres.sql(f"SELECT column_name FROM information_schema.columns WHERE table_schema = 'm365_exit_{schema.name}' "
                          f"AND table_name = '{table}' AND column_name NOT IN ('id', 'rowid') ORDER BY ordinal_position DESC LIMIT 1")[0][0]
    for statement in (f"UPDATE {qualified} SET {column} = NULL", f"DELETE FROM {qualified}", f"TRUNCATE {qualified} CASCADE"):
        with pytest.raises(psycopg.Error, match="append-only"):
            postgres.sql(statement)
    assert postgres.sql(f"SELECT * FROM {qualified}") == rows


def test_the_runner_role_can_neither_delete_nor_drop_the_triggers(postgres):
    init(postgres)
    write_all(location.parse(postgres.runner_url))
    with psycopg.connect(postgres.runner_url, autocommit=True) as db:
        for statement in ("DELETE FROM m365_exit_journal.rounds", "TRUNCATE m365_exit_notify.events",
                          "DROP TRIGGER rounds_append_only ON m365_exit_journal.rounds",
                          "ALTER TABLE m365_exit_gate.decisions DISABLE TRIGGER ALL",
                          "UPDATE m365_exit_gate.attestations SET note = 'x'"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                db.execute(statement)
        # What is not evidence stays writable: the ledger's state machine, the chain heads.
        db.execute("UPDATE m365_exit_notify.messages SET error = error")


def test_a_trimmed_chain_is_detected_in_the_database(postgres):
    init(postgres)
    state = location.parse(postgres.url)
    write_all(state)
    with Journal.open(state) as book:  # a second round, then the owner deletes it behind the triggers' back
        newest = book.round(1)
        book.record_round(domain=D, started_at=T0, finished_at=T0 + timedelta(hours=1), status="failing",
                          authoritative_ok=False, eta=None, safe_after=None, checks=[], observations=[])
    assert newest.status == "converging"
    postgres.sql("ALTER TABLE m365_exit_journal.rounds DISABLE TRIGGER rounds_append_only")
    postgres.sql("DELETE FROM m365_exit_journal.rounds WHERE id = 2")
    with pytest.raises(BrokenChain, match="rows were deleted|head"):
        journal.dns_evidence(state, D, T0 + timedelta(days=1))


# -- bounded time ----------------------------------------------------------------------------


def silent_server() -> tuple[int, threading.Event]:
    """A TCP server on loopback that accepts connections and never says a word (a hung database)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()
    held = []

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue
        for conn in held:
            conn.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], stop


@pytest.mark.parametrize("kind", ["silent", "refused"])
def test_a_dead_database_ends_the_command_in_bounded_time_with_one_line(example_spec_path, kind):
    port, stop = silent_server() if kind == "silent" else (closed_port(), threading.Event())
    url = f"postgresql://ci:{RUNNER_PASSWORD}@127.0.0.1:{port}/state?connect_timeout=2"
    try:
        started = time.monotonic()
        result = migrate("gate", str(example_spec_path), "--state", url, timeout=60)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
    assert result.returncode == 1, result.stderr
    line = one_line(result)
    assert f"postgresql://ci@127.0.0.1:{port}/state" in line and RUNNER_PASSWORD not in result.stderr
    assert elapsed < 20, elapsed


def test_a_url_state_is_not_a_folder_and_an_unknown_scheme_is_bad_input():
    assert isinstance(location.parse("postgres://u:p@h/db"), location.Database)
    assert str(location.parse("postgresql://u:p%40ss@h:5/db?sslmode=require&password=q")) == "postgresql://u@h:5/db?sslmode=require"
    with pytest.raises(BadInput, match="neither a folder"):
        location.parse("sqlite://x")


def test_the_url_sets_the_bounds_and_the_password_is_nowhere_in_the_state(postgres, example_spec_path):
    init(postgres)
    url = postgres.runner_url + "?connect_timeout=3&options=-c%20statement_timeout%3D4500"
    with reading(location.parse(url), SCHEMAS[0]) as db:
        assert db.execute("SHOW statement_timeout").fetchone()[0] == "4500ms"
        assert db.execute("SHOW lock_timeout").fetchone()[0] == "30s"
        assert db.execute("SHOW search_path").fetchone()[0] == "m365_exit_journal"
    gated = migrate("gate", str(example_spec_path), "--state", url)
    assert gated.returncode == 1, gated.stderr
    attested = migrate("attest", str(example_spec_path), "data-saved", "--by", "Mette", "--state", url)
    assert attested.returncode == 0 and f"postgresql://runner@127.0.0.1:{postgres.server.port}/" in attested.stderr
    dump = "".join(str(row) for schema in SCHEMAS for table in schema.table_names()
                   for row in postgres.sql(f"SELECT * FROM m365_exit_{schema.name}.{table}"))
    assert "Mette" in dump and "locked" in dump
    assert RUNNER_PASSWORD not in dump + gated.stdout + gated.stderr + attested.stderr


@pytest.mark.parametrize("url", ["postgresql://u:s3cret-Pw@h/db?bogus=1", "postgresql://u:s3cret-Pw@127.0.0.1:notaport/db",
                                 "postgresql://u@h/db?password=s3cret-Pw&nonsense=2"])
def test_a_url_libpq_cannot_read_is_bad_input_without_the_password(example_spec_path, url):
    result = migrate("gate", str(example_spec_path), "--state", url)
    assert result.returncode == 2 and "s3cret-Pw" not in result.stderr + result.stdout
    assert "postgresql://u@" in one_line(result)
