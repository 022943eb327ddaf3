"""Where the state lives: a folder of SQLite files, or a PostgreSQL database named by URL.

`--state DIR|URL`, or M365_EXIT_STATE (CI keeps a URL there, as a secret),
gives the place; `parse` makes it a `Folder` or a `Database`, and the
commands pass that value on. Opening a store, the one-sender lock, creating
a state (`init`) and asking whether one is there are the location's: the
stores never learn which backend holds them.

A state named by URL or by the environment must already exist: found
missing (an evicted CI cache, an empty database, a wrong URL) it is bad
input, never a fresh start. A folder given with --state, or the default
one, is created as it always was.

A URL's password never leaves here: `str()` names the URL without it, and
PostgreSQL's messages are scrubbed of it (and of PGPASSWORD).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from migrate.errors import BadInput
from migrate.state import sqlite
from migrate.state.db import Db
from migrate.state.schema import Schema

ENV = "M365_EXIT_STATE"
SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class Folder:
    """SQLite files in a folder (the default backend)."""

    path: Path
    named: bool = False  # named by the environment: it must hold a state already

    def __str__(self) -> str:
        return str(self.path)

    def file(self, schema: Schema) -> Path:
        return self.path / schema.file

    def writer(self, schema: Schema) -> Db:
        return sqlite.open_writer(self.file(schema), schema)

    def reader(self, schema: Schema) -> Db | None:
        return sqlite.open_reader(self.file(schema), schema)

    def exclusive(self, name: str, busy: str) -> AbstractContextManager[None]:
        return sqlite.exclusive(self.path, name, busy)

    def holds(self, schemas: Sequence[Schema]) -> bool:
        return any(self.file(schema).exists() for schema in schemas)

    def check(self, schemas: Sequence[Schema]) -> None:
        if self.named and not self.holds(schemas):
            raise BadInput(f"{ENV}: {self} holds no m365-exit state (a lost cache, or a wrong path?); "
                           f"if it is to be a new one, create it once with `migrate state init {self}`")

    def init(self, schemas: Sequence[Schema], runner: str | None) -> None:
        if runner:
            raise BadInput("--runner: roles are PostgreSQL's; a folder's permissions are the file system's")
        if self.holds(schemas):
            raise BadInput(f"{self}: holds an m365-exit state already; nothing changed")
        for schema in schemas:
            self.writer(schema).close()

    def empty(self, schemas: Sequence[Schema]) -> bool:
        return not self.holds(schemas)


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database (`migrate.state.postgres`), shared by CI runners and people."""

    url: str = field(repr=False)

    def __str__(self) -> str:
        return redact(self.url)

    def __repr__(self) -> str:
        return f"Database({self})"

    @property
    def secrets(self) -> tuple[str, ...]:
        """The password, from the URL or PGPASSWORD: what no message may show."""
        parts = urlsplit(self.url)
        given = [unquote(parts.password or ""), *(v for k, v in parse_qsl(parts.query) if k == "password"),
                 os.environ.get("PGPASSWORD", "")]
        return tuple(p for p in given if p)

    def _args(self) -> tuple[str, str, tuple[str, ...]]:
        return self.url, str(self), self.secrets

    def writer(self, schema: Schema) -> Db:
        from migrate.state import postgres  # psycopg loads only for a state that is a database

        return postgres.connect(*self._args(), schema, write=True)

    def reader(self, schema: Schema) -> Db:
        from migrate.state import postgres

        return postgres.connect(*self._args(), schema, write=False)

    def exclusive(self, name: str, busy: str) -> AbstractContextManager[None]:
        from migrate.state import postgres

        return postgres.exclusive(*self._args(), name, busy)

    def check(self, schemas: Sequence[Schema]) -> None:
        from migrate.state import postgres

        postgres.connect(*self._args(), None, write=False).close()  # bad input when the database holds no state

    def init(self, schemas: Sequence[Schema], runner: str | None) -> None:
        from migrate.state import postgres

        postgres.init(*self._args(), schemas, runner)

    def empty(self, schemas: Sequence[Schema]) -> bool:
        from migrate.state import postgres

        return postgres.empty(*self._args(), schemas)


Location = Folder | Database


def redact(url: str) -> str:
    """`url` without its password (in the user part or as a `password=` parameter)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, hosts = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{hosts}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def parse(value: str, *, origin: str = "--state", named: bool = False) -> Location:
    """The place `value` names: a postgresql:// URL, or a folder. `origin` is how messages name where it came from."""
    scheme, sep, _ = value.partition("://")
    if not sep:
        return Folder(Path(value), named=named)
    if scheme.lower() not in SCHEMES:
        raise BadInput(f"{origin}: {redact(value)} is neither a folder nor a postgresql:// URL")
    return Database(value)


def of(value: Location | Path | str) -> Location:
    """A location, from a location or a folder (what the stores' callers and tests pass)."""
    return value if isinstance(value, (Folder, Database)) else parse(str(value)) if isinstance(value, str) else Folder(Path(value))
