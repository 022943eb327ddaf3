"""A real PostgreSQL server from Debian's packages, on loopback, once per test session; a fresh database per test.

The server runs from /usr/lib/postgresql/*/bin (initdb, pg_ctl) in a folder
of its own under the system's temporary folder, listening on 127.0.0.1 at a
free port with a private socket folder. PostgreSQL refuses to run as root,
so as root it runs as the `postgres` system user (the package creates it).
Durability settings are relaxed (fsync off): the tests kill clients, never
the server.

Two roles: `admin` (the superuser, who runs `migrate state init`) and
`runner`, which init grants only what a CI runner needs (SELECT, INSERT;
UPDATE on the ledger's messages and the chain heads). Both log in over TCP
with a password, so the tests see the password handled as in real use.

Missing binaries fail the session with what to install: CI installs them
(`make debs`), and a skipped test would prove nothing.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.helpers.ports import free_port

ADMIN, ADMIN_PASSWORD = "admin", "adm-Secret-9f2c"
RUNNER, RUNNER_PASSWORD = "runner", "run-Secret-4b7e"
_names = itertools.count(1)


def _bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        pytest.fail("PostgreSQL is not installed: the state tests need Debian's postgresql package "
                    "(`make debs` as root, or apt-get install postgresql)", pytrace=False)
    return found[-1].parent


@dataclass(frozen=True)
class Server:
    port: int

    def url(self, database: str, user: str = ADMIN, password: str | None = ADMIN_PASSWORD) -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True)


def _run(command: list[str], user: str | None, *, check: bool = True) -> bool:
    prefix = ["runuser", "-u", user, "--"] if user else []
    done = subprocess.run(prefix + command, capture_output=True, text=True, timeout=120)
    if done.returncode and check:
        pytest.fail(f"{' '.join(command)} failed: {done.stderr.strip() or done.stdout.strip()}", pytrace=False)
    return done.returncode == 0


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    binaries = _bin()
    user = "postgres" if os.geteuid() == 0 else None
    # Under /tmp, not the checkout: a `mktemp -d` checkout is 0700 and the server's user could not enter it.
    home = Path(tempfile.mkdtemp(prefix="m365-exit-pg-"))
    data, sockets, logs = home / "data", home / "sockets", home / "logs"
    pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data)]
    try:
        home.chmod(0o755)
        for folder in (data, sockets, logs):
            folder.mkdir(mode=0o700)
            if user:
                shutil.chown(folder, user, pwd.getpwnam(user).pw_gid)
        password_file = home / "password"
        password_file.write_text(ADMIN_PASSWORD + "\n")
        password_file.chmod(0o644)
        _run([str(binaries / "initdb"), "-D", str(data), "-U", ADMIN, f"--pwfile={password_file}", "--auth-local=trust",
              "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], user)
        for attempt in (1, 2, 3):  # a free port may be taken before the server binds it: another one then
            port = free_port()
            settings = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={sockets} -c fsync=off "
                        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
            if _run([*pg_ctl, "-l", str(logs / "server.log"), "-w", "-t", "60", "-o", settings, "start"], user,
                    check=attempt == 3):
                break
        server = Server(port)
        with server.admin() as db:
            db.execute(f"CREATE ROLE {RUNNER} LOGIN PASSWORD '{RUNNER_PASSWORD}'")
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            _run([*pg_ctl, "-m", "immediate", "-w", "stop"], user, check=False)
        shutil.rmtree(home, ignore_errors=True)


@dataclass(frozen=True)
class Database:
    """One test's database: its name, and the URLs each role reaches it by."""

    server: Server
    name: str

    @property
    def url(self) -> str:
        return self.server.url(self.name)

    @property
    def runner_url(self) -> str:
        return self.server.url(self.name, RUNNER, RUNNER_PASSWORD)

    def sql(self, statement: str, args: tuple = ()) -> list[tuple]:
        """Run one statement as the admin; its rows (none for a statement that returns none)."""
        with psycopg.connect(self.url, autocommit=True) as db:
            cursor = db.execute(statement, args or None)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture
def postgres(postgres_server: Server) -> Iterator[Database]:
    """A fresh, empty database on the session's server (no state in it: `migrate state init` makes one)."""
    name = f"m365_test_{os.getpid()}_{next(_names)}"
    with postgres_server.admin() as db:
        db.execute(f"CREATE DATABASE {name}")
    yield Database(postgres_server, name)
    with postgres_server.admin() as db:
        db.execute(f"DROP DATABASE {name} WITH (FORCE)")
