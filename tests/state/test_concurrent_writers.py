"""Writers in separate processes appending to one state at once: every row there once, every chain whole.

Each process writes a verify round, an attestation, a gate decision and a
sent message per step, through the stores' own writers, all starting at
the same moment. SQLite serialises them with its write lock; PostgreSQL
with each store's advisory lock. Without it two writers would read the same
chain head and link two rows to it: the chain would break on the next read.
"""

from __future__ import annotations

import subprocess
import sys
import time

from migrate.state import location
from migrate.state.access import reading, verify
from migrate.stores import SCHEMAS
from tests.helpers.examples import ROOT
from tests.helpers.state import read_all

WRITERS, EACH = 4, 25


def test_concurrent_writers_never_lose_or_duplicate_a_row(shared_state):
    start = time.time() + 3  # every process imported and waiting by then
    code = "import sys; from tests.helpers.state import append_many; append_many(sys.argv[1], int(sys.argv[2]), {}, {})"
    writers = [subprocess.Popen([sys.executable, "-c", code.format(EACH, start), shared_state, str(n)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(1, WRITERS + 1)]
    for writer in writers:
        _, err = writer.communicate(timeout=240)
        assert writer.returncode == 0, err

    state = location.parse(shared_state)
    rounds, (old_servers, old_ttls), attested, decided, delivered, runs, _ = read_all(state)  # every chain verified on the way
    total = WRITERS * EACH
    assert len(rounds) == len({r[0] for r in rounds}) == len({r[2] for r in rounds}) == total
    assert len(old_ttls) == total and old_servers == ["ns1.old.example.", "ns2.old.example."]
    assert sorted(a[0] for a in attested) == sorted(f"Mette {w * 1000 + i}" for w in range(1, WRITERS + 1) for i in range(EACH))
    assert [d[0] for d in decided] == list(range(total - 49, total + 1))  # decisions() shows the newest 50
    assert len(delivered) == total and len(runs) == total
    chains = {}
    for schema in SCHEMAS:
        with reading(state, schema) as db:
            chains[schema.name] = verify(db, schema, None)
    assert chains == {"journal": 3, "gate": 2, "notify": 2}  # notify: events and sending runs
