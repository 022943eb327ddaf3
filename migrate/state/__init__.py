"""The state layer: how everything under --state is written and read.

- `codec`: times as UTC text, canonical JSON and digests; every store and
  every report encodes through it, so a time or a row is written one way.
- `location`: where the state lives (`--state DIR|URL`, M365_EXIT_STATE): a
  `Folder` of SQLite files or a PostgreSQL `Database`; what commands pass on.
- `access`: a store opened at a location (`writing`, `reading`), its errors
  as one line naming it, verifying and sealing a whole store.
- `schema`: a store's tables, evidence and chains, declared once.
- `db`: one connection to one store, whichever backend: the write lock,
  consistent snapshots, new ids, columns.
- `sqlite`: a store file in the state folder (WAL, synchronous=FULL, a busy
  timeout, the schema, append-only triggers), read-only readers, the lock
  file.
- `postgres`: the shared database (a namespace per store, triggers, advisory
  locks, timeouts, `init` with a runner role), loaded only when used.
- `copying`: `migrate state copy`, verified by digests on both sides.
- `chain`: hash chains, pure: the link and head formulas and their checks.
- `chained`: chained tables in a store: appending linked rows, and
  reading a chain only once it verified whole.
- `keys`: the key that makes the chains HMACs (M365_EXIT_STATE_KEY).

Each store (`migrate.journal`, `migrate.gate.store`, `migrate.notify.ledger`)
declares its tables and its evidence in one `Schema` and opens only through
`access`: both backends open the same schemas with the same guarantees, and
the stores have one way to open.
"""
