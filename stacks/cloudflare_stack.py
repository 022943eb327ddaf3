"""Cloudflare resources for the desired zone (pulumi-cloudflare v6 `DnsRecord`)."""

from __future__ import annotations

import pulumi
import pulumi_cloudflare as cloudflare

import cloudflare_preflight
import cloudflare_records


def _zone(spec, config: pulumi.Config):
    zone_id = config.get("zoneId") or spec.dns.cloudflare.zone_id
    if zone_id:
        return cloudflare.get_zone_output(zone_id=zone_id)
    return cloudflare.get_zone_output(filter={"name": spec.domain.rstrip("."), "match": "all"})


def declare(spec, desired, config: pulumi.Config) -> list:
    zone = _zone(spec, config)
    records = cloudflare_records.records(desired, cloudflare_records.proxied_names(spec))
    # Nothing is created before the zone's existing records are checked: every record waits for this zone id.
    zone_id = cloudflare_preflight.checked(zone.zone_id, records, spec.domain, config)
    declared = []
    for record in records:
        declared.append(
            cloudflare.DnsRecord(
                record.logical_name,
                zone_id=zone_id,
                comment=cloudflare_preflight.MARK,
                **record.args(),
            )
        )
    pulumi.export("zone_id", zone.zone_id)
    pulumi.export("name_servers", zone.name_servers)
    pulumi.export("record_count", len(declared))
    pulumi.export("expected_name_servers", [ns.rstrip(".") for ns in spec.dns.nameservers])
    return declared
