"""The cancel gate: unlock only on evidence.

- `evidence`: the records each check reasons about (`DnsEvidence` is what
  the verify journal says, read by `migrate.journal`).
- `checks`: pure functions evidence -> `migrate.report.Check`s.
- `sources`: gathering evidence (Graph, gate.facts, gate.sqlite, notify ledger, journal).
- `engine`: evaluate fail-closed, decide and audit.
- `facts`, `store`, `runbook`: the facts file, the gate's SQLite, the cancel runbook.
- `run`: one gate run (decide, audit, bad input, runbook), for `migrate gate` and the demo.
"""
