"""The user's domain in the lab: where it is delegated today, and the zone its old servers serve."""

from __future__ import annotations

import pytest

from migrate import plan
from migrate.errors import BadInput
from migrate.rehearse import world
from migrate.zone import DNSSEC
from tests.helpers.examples import EXAMPLE_ZONE, spec_with_zone

BDM = [f"ns{i}.bdm.microsoftonline.com." for i in range(1, 5)]
DOMAIN = "nordlys-tekstil.dk."


def test_the_old_name_servers_are_the_spec_s_else_the_zone_s(tmp_path):
    text = EXAMPLE_ZONE.read_text()
    user = spec_with_zone(tmp_path, text)
    assert world.old_nameservers(user, plan.current_zone(user)) == BDM  # the spec lists them
    unlisted = spec_with_zone(tmp_path, text, lambda d: d["source"].pop("nameservers"))
    assert sorted(world.old_nameservers(unlisted, plan.current_zone(unlisted))) == BDM  # the zone's apex NS
    bare = spec_with_zone(tmp_path, "\n".join(line for line in text.splitlines() if " NS " not in line),
                          lambda d: d["source"].pop("nameservers"))
    with pytest.raises(BadInput, match="source.nameservers"):
        world.old_nameservers(bare, plan.current_zone(bare))


def test_the_old_servers_serve_today_s_zone_unsigned_and_as_delegated(tmp_path):
    text = EXAMPLE_ZONE.read_text() + "@ 3600 IN RRSIG SOA 8 2 3600 20270101000000 20261201000000 1 nordlys-tekstil.dk. AAAA\n"
    user = spec_with_zone(tmp_path, text)
    current = plan.current_zone(user)
    assert any(r.rdtype in DNSSEC for r in current)
    served = world.old_zone(current, DOMAIN, BDM)
    assert not any(r.rdtype in DNSSEC for r in served)
    assert served.get(DOMAIN, "MX") == current.get(DOMAIN, "MX") and served.get(DOMAIN, "MX").ttl == 3600
    moved = world.old_zone(current, DOMAIN, ["ns1.oldhost.example."])
    assert moved.get(DOMAIN, "NS").values() == ["ns1.oldhost.example."]
    assert moved.get(DOMAIN, "NS").ttl == current.get(DOMAIN, "NS").ttl


def test_microsoft_s_name_servers_are_told_from_others():
    assert world.microsoft_hosted(DOMAIN, BDM)
    assert not world.microsoft_hosted(DOMAIN, ["ns1.simply.com.", "ns2.simply.com."])
