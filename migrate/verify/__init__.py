"""The propagation verifier: is the new DNS what every part of the Internet sees?

Modules, each with one job:
- `query`: the only network I/O (UDP, TCP on truncation, retries, pacing);
- `delegation`: iteration from the root hints (never a local resolver);
- `checks`: observations -> check results (pure);
- `timing`: the TTL-derived safe time (pure);
- `round`: one round, in order, written to the journal;
- `report`: the JSON report (DESIGN.md "Reports");
- `watch`: rounds until verified or the deadline (`verify --watch`, the demo).
"""
