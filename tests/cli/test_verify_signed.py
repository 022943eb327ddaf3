"""`migrate verify` against a signed new host whose record signatures expired yesterday (issue 9)."""

from __future__ import annotations

import json

from migrate.lab import EXPIRED, Signatures
from tests.cli.test_verify import migrate
from tests.helpers.verify_lab import DOMAIN, TTL, load, write_spec


def test_expired_record_signatures_exit_1_naming_the_signature(tmp_path, lab_migration):
    path = write_spec(tmp_path)
    spec, current, desired = load(path)
    world = lab_migration(DOMAIN, current, desired, ttl=TTL, resolvers=0, new_signatures=Signatures(records=EXPIRED))
    world.move_delegation(ds=world.ds_of("new"))
    flags = [*(f"--root-hint={a}" for a in world.root_addresses), "--state", str(tmp_path / "state")]

    result = migrate("verify", str(path), "--json", *flags)
    assert result.returncode == 1, result.stderr
    checks = json.loads(result.stdout)["checks"]
    mx = [c for c in checks if c["id"] == "dnssec.rrsig" and c["subject"] == f"{DOMAIN} MX"]
    assert mx and all(c["status"] == "fail" and "expired" in c["detail"] for c in mx)
    assert set(mx[0]["observed"]) == {"signer", "key_tag", "algorithm", "inception", "expiration"}
    assert all(c["status"] == "pass" for c in checks if c["id"] == "dnssec.signature")

    table = migrate("verify", str(path), *flags)
    assert table.returncode == 1 and "dnssec.rrsig" in table.stdout
