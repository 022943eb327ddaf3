"""The state layer: how everything under --state is written and read.

- `codec`: times as UTC text, canonical JSON and digests; every store and
  every report encodes through it, so a time or a row is written one way.
- `sqlite`: opening a store file in the state folder (WAL, synchronous=FULL,
  a busy timeout, the schema, append-only triggers on the tables a store
  names as evidence), read-only opening for readers, one transaction helper,
  and sqlite errors as one line naming the file.
- `chain`: hash chains, pure: the link and head formulas and their checks.
- `chained`: chained tables in a store's file: appending linked rows, and
  reading a chain only once it verified whole.
- `keys`: the key that makes the chains HMACs (M365_EXIT_STATE_KEY).

Each store (`migrate.journal`, `migrate.gate.store`, `migrate.notify.ledger`)
declares its tables and its evidence in one `Schema` and opens only through
here: another backend (PostgreSQL) plugs in by opening the same schemas with
the same guarantees, without the stores learning a second way to open.
"""
