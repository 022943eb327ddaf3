"""The cancel gate: unlock only on evidence.

- `evidence`: the records each check reasons about (`DnsEvidence` is what
  the verify journal says, read by `migrate.journal`).
- `checks`: pure functions evidence -> `migrate.report.Check`s; `tenant`: the
  tenant requirement's (every domain of the tenant covered, or parked: proven
  mail-free by `migrate.mailfree` and removed).
- `sources`: gathering evidence (Graph, gate.facts, gate.sqlite, notify ledger, journal).
- `engine`: evaluate fail-closed, decide and audit.
- `facts`, `store`, `runbook`: the facts file, the gate's SQLite, the cancel runbook.
- `run`: one gate run (decide, audit, bad input, runbook), for `migrate gate` and the demo;
  `run_exit` decides an exit of several specs once, for the tenant.
"""
