"""The new host as the lab stands it in: Cloudflare's proxy answers for the names the stack proxies."""

from __future__ import annotations

from migrate import plan
from migrate.rehearse import host
from migrate.zone import Zone
from tests.helpers.examples import EXAMPLE_ZONE, spec_with_zone

DOMAIN = "nordlys-tekstil.dk."


def test_a_proxied_name_answers_with_an_address_and_nothing_else_changes(tmp_path):
    def proxy_mail_too(data):
        data["dns"]["records"].append({"name": "autodiscover", "type": "CNAME", "value": "mail.example.net", "proxied": True})

    user = spec_with_zone(tmp_path, EXAMPLE_ZONE.read_text(), proxy_mail_too)
    desired = plan.build(user).desired
    served, proxied = host.stand_in(user, desired)
    assert proxied == [f"www.{DOMAIN}"]  # the stack never proxies a mail name, whatever the spec says
    assert served.get(f"www.{DOMAIN}", "CNAME") is None
    assert served.get(f"www.{DOMAIN}", "A").values() == [host.EDGE]
    assert {r.key for r in served} - {(f"www.{DOMAIN}", "A")} == {r.key for r in desired} - {(f"www.{DOMAIN}", "CNAME")}


def test_an_rfc2136_host_gets_the_desired_zone_as_it_is(tmp_path):
    user = spec_with_zone(tmp_path, EXAMPLE_ZONE.read_text(), lambda d: d["dns"].update(
        host="rfc2136", rfc2136={"server": "192.0.2.53", "key_name": "k"}))
    desired = plan.build(user).desired
    assert host.stand_in(user, desired) == (desired, [])


def test_the_names_a_zone_points_into_itself():
    zone = Zone.from_text(EXAMPLE_ZONE.read_text(), DOMAIN)
    inside = {(rrset.name, rrset.rdtype, target) for rrset, target in host.inside_targets(zone)}
    assert inside == {(f"www.{DOMAIN}", "CNAME", DOMAIN)}  # the MX, SRV and NS targets all lie outside
