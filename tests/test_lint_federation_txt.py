"""`m365.possible-federation-txt`: an opaque apex token in a zone that held Microsoft 365 is named for a person to decide."""

from __future__ import annotations

from migrate import lint, plan
from tests.helpers.examples import EXAMPLE_ZONE, spec_with_zone

RULE = "m365.possible-federation-txt"
# EXTDNS's example of the apex proof, and the base64 form Get-FederatedDomainProof prints.
PROOFS = ["Y96nu89138789315669824", "Rd+8B1/0aQqNtrWnVX8+/WXXMB4gD5ZsCXZNdq7T6CjjqM6oytKwfgNUcUZ0=="]


def findings(tmp_path, zone_text: str) -> list[lint.Finding]:
    return [f for f in lint.lint(plan.build(spec_with_zone(tmp_path, zone_text))) if f.rule == RULE]


def test_every_opaque_apex_token_in_a_microsoft_zone_is_named(tmp_path):
    text = EXAMPLE_ZONE.read_text() + "".join(f'@ 3600 IN TXT "{proof}"\n' for proof in PROOFS)
    found = findings(tmp_path, text)
    assert [f.level for f in found] == ["warning", "warning"]
    assert sorted(p for f in found for p in PROOFS if repr(p) in f.message) == sorted(PROOFS)
    assert all(f.subject == "nordlys-tekstil.dk." and "delete it from the zone file" in f.message for f in found)


def test_the_token_is_carried_until_the_person_removes_it(tmp_path):
    """The lint warns; it does not guess: the plan still carries the token."""
    result = plan.build(spec_with_zone(tmp_path, EXAMPLE_ZONE.read_text() + f'@ 3600 IN TXT "{PROOFS[0]}"\n'))
    assert PROOFS[0] in result.desired.get("nordlys-tekstil.dk.", "TXT").values()


def test_prefixed_proofs_and_short_strings_are_not_named(tmp_path):
    others = ['"google-site-verification=4kTz9pQw2Lr8sVb1nXc7yHd3fJm6gKa0"', '"apple-domain-verification=Zx81kq"', '"hello"']
    text = EXAMPLE_ZONE.read_text() + "".join(f"@ 3600 IN TXT {value}\n" for value in others)
    assert findings(tmp_path, text) == []


def test_a_zone_without_microsoft_365_is_not_warned_about(tmp_path):
    text = (
        "$ORIGIN nordlys-tekstil.dk.\n$TTL 3600\n"
        "@ IN SOA ns1.example.net. hostmaster.example.net. 1 3600 300 2419200 300\n"
        "@ IN NS ns1.example.net.\n@ IN MX 10 mx.example.net.\n"
        f'@ IN TXT "{PROOFS[0]}"\n'
    )
    assert findings(tmp_path, text) == []
