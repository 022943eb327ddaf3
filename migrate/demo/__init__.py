"""`migrate demo`: the whole exit of one Danish company from Microsoft 365, offline.

  scenario  the company: its Microsoft 365 zone, users, facts, spec, lab world
  show      how the demo prints: phase headings and one-line rows
  run       the nine phases, each calling the functions the commands call

The lab's SMTP relay, the RFC 2136 staging and the preflight checks it shares
with `migrate rehearse` live in `migrate.lab` (relay, stage, preflight).
"""
