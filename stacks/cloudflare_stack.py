"""Cloudflare resources for the desired zone (pulumi-cloudflare v6 `DnsRecord`)."""

from __future__ import annotations

import pulumi
import pulumi_cloudflare as cloudflare

import cloudflare_records


def _zone(spec, config: pulumi.Config):
    zone_id = config.get("zoneId") or spec.dns.cloudflare.zone_id
    if zone_id:
        return cloudflare.get_zone_output(zone_id=zone_id)
    return cloudflare.get_zone_output(filter={"name": spec.domain.rstrip("."), "match": "all"})


def declare(spec, desired, config: pulumi.Config) -> list:
    zone = _zone(spec, config)
    declared = []
    for record in cloudflare_records.records(desired, cloudflare_records.proxied_names(spec)):
        declared.append(
            cloudflare.DnsRecord(
                record.logical_name,
                zone_id=zone.zone_id,
                **record.args(),
            )
        )
    pulumi.export("zone_id", zone.zone_id)
    pulumi.export("name_servers", zone.name_servers)
    pulumi.export("record_count", len(declared))
    pulumi.export("expected_name_servers", [ns.rstrip(".") for ns in spec.dns.nameservers])
    return declared
