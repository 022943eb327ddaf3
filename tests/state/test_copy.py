"""`migrate state copy`: a folder into a database and back, row for row, verified; never into a state, never a broken one."""

from __future__ import annotations

import sqlite3

from migrate.gate import store
from migrate.state import location
from tests.helpers.postgres import ADMIN_PASSWORD
from tests.helpers.tamper import tamper
from tests.helpers.state import D, T0, init, migrate, one_line, read_all, write_all


def test_a_folder_into_a_database_and_back_reads_the_same_everywhere(tmp_path, postgres):
    folder, back = tmp_path / "state", tmp_path / "back"
    write_all(folder)
    write_all(folder, 2)  # two of everything: ids, links and heads past the first
    init(postgres)

    there = migrate("state", "copy", str(folder), postgres.url)
    assert there.returncode == 0, there.stderr
    assert "every table matches" in there.stderr and ADMIN_PASSWORD not in there.stderr
    assert read_all(location.parse(postgres.url)) == read_all(folder)

    again = migrate("state", "copy", str(back), postgres.url)  # nothing in `back` to copy
    assert again.returncode == 2 and str(back) in one_line(again)
    home = migrate("state", "copy", postgres.url, str(back))
    assert home.returncode == 0, home.stderr
    assert read_all(back) == read_all(folder)
    for name in ("journal.sqlite", "gate.sqlite", "notify.sqlite"):  # the same rows, links included, as the original files
        rows = [sqlite3.connect(f / name).execute("SELECT * FROM chain_heads ORDER BY chain").fetchall() for f in (folder, back)]
        assert rows[0] == rows[1] and rows[0]

    # The copy goes on as a state of its own: new rows continue after the copied ones.
    write_all(location.parse(postgres.url), 3)
    assert len(read_all(location.parse(postgres.url))[0]) == 3


def test_a_folder_written_before_chains_copies_and_reads_the_same(tmp_path, postgres):
    folder = tmp_path / "old"
    folder.mkdir()
    old = sqlite3.connect(folder / "gate.sqlite", isolation_level=None)
    old.executescript("CREATE TABLE attestations (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, domain TEXT "
                      "NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, note TEXT);"
                      "CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, domain TEXT NOT NULL,"
                      " status TEXT NOT NULL, evidence TEXT NOT NULL, report TEXT NOT NULL);")
    old.execute("INSERT INTO attestations (kind, domain, by, at) VALUES ('data-saved', 'example.dk', 'Mette', ?)",
                ("2027-01-14T06:00:00+00:00",))
    old.close()
    init(postgres)
    result = migrate("state", "copy", str(folder), postgres.url)
    assert result.returncode == 0, result.stderr
    state = location.parse(postgres.url)
    assert [a.by for a in store.attestations(state, "example.dk")] == ["Mette"]
    store.attest(state, "data-saved", "example.dk", "Anne", T0)  # the legacy row is the chain's prefix from now on
    assert [a.by for a in store.attestations(state, "example.dk")] == ["Mette", "Anne"]


def test_copy_refuses_a_target_that_holds_a_state(tmp_path, postgres):
    folder = tmp_path / "state"
    write_all(folder)
    init(postgres)
    write_all(location.parse(postgres.url))
    into_database = migrate("state", "copy", str(folder), postgres.url)
    assert into_database.returncode == 2 and "holds a state already" in one_line(into_database)
    into_folder = migrate("state", "copy", postgres.url, str(folder))
    assert into_folder.returncode == 2 and "holds a state already" in one_line(into_folder)
    assert len(read_all(location.parse(postgres.url))[0]) == 1


def test_copy_refuses_a_broken_source_and_writes_nothing(tmp_path, postgres):
    folder = tmp_path / "state"
    write_all(folder)
    tamper(folder / "journal.sqlite", "UPDATE rounds SET status = 'verified'")
    init(postgres)
    result = migrate("state", "copy", str(folder), postgres.url)
    assert result.returncode == 2 and "verify rounds for example.dk" in one_line(result)
    assert postgres.sql("SELECT count(*) FROM m365_exit_journal.rounds") == [(0,)]


def test_copy_into_a_database_that_was_never_initialised_is_bad_input(tmp_path, postgres):
    write_all(tmp_path / "state")
    result = migrate("state", "copy", str(tmp_path / "state"), postgres.url)
    assert result.returncode == 2 and "state init" in one_line(result)
    assert D  # the round written above is the one the copy would have moved
