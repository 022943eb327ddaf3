"""A zone set up for Microsoft Cloud Deutschland goes through import and plan with every Microsoft form removed."""

from __future__ import annotations

from migrate import footprint, importer, plan
from migrate.zone import Zone
from tests.helpers.examples import spec_with_zone

D = "nordlys-tekstil.dk."
# The records Microsoft's "Add DNS records" page asked German-cloud tenants for (o365-germany section).
GERMAN = {
    (D, "MX"): "@ MX 0 nordlystekstil-dk.mail.protection.outlook.de.",
    ("autodiscover." + D, "CNAME"): "autodiscover CNAME autodiscover-outlook.office.de.",
    ("lyncdiscover." + D, "CNAME"): "lyncdiscover CNAME webdir.online.skype.de.",
    ("sip." + D, "CNAME"): "sip CNAME sipdir.online.lync.de.",
    ("_sip._tls." + D, "SRV"): "_sip._tls SRV 100 1 443 sipdir.online.lync.de.",
    ("_sipfederationtls._tcp." + D, "SRV"): "_sipfederationtls._tcp SRV 100 1 5061 sipfed.online.lync.de.",
    ("enterpriseregistration." + D, "CNAME"): "enterpriseregistration CNAME enterpriseregistration.microsoftonline.de.",
    ("enterpriseenrollment." + D, "CNAME"): "enterpriseenrollment CNAME enterpriseenrollment-s.manage.microsoft.com.",
}
ZONE = (
    f"$ORIGIN {D}\n$TTL 3600\n"
    "@ SOA ns1.example.net. hostmaster.example.net. 2021060101 3600 300 2419200 300\n"
    "@ NS ns1.example.net.\n@ NS ns2.example.net.\n"
    + "\n".join(GERMAN.values()) + "\n"
    '@ TXT "v=spf1 include:spf.protection.outlook.de include:servers.mcsv.net -all"\n'
    '@ TXT "MS=ms48213906"\n'
    "@ A 203.0.113.10\n"
    f"www CNAME {D}\n"
    "_sip._udp SRV 10 60 5060 voip.telefoni-partner.dk.\n"
)


def test_german_cloud_records_are_marked_at_import_and_removed_by_the_plan(tmp_path):
    spec = spec_with_zone(tmp_path, ZONE)
    imported = importer.from_zonefile(spec.domain, tmp_path / "current.zone")
    notes = importer.annotations(imported)
    for key in GERMAN:
        (rdata,) = imported.get(*key).rdatas
        assert notes[(*key, rdata)].startswith("microsoft365: "), key
    snapshot = Zone.from_text(importer.snapshot_text(imported, "test"), spec.domain)

    result = plan.build(spec, snapshot)
    removed = {r.rrset.key for r in result.microsoft365}
    assert set(GERMAN) | {(D, "TXT")} <= removed
    for rrset in result.desired:
        assert footprint.classify(rrset, D).removed is None, rrset
    assert "v=spf1 include:servers.mcsv.net include:_spf.google.com -all" in result.desired.get(D, "TXT").values()
    for kept in [(D, "A"), ("www." + D, "CNAME"), ("_sip._udp." + D, "SRV")]:
        assert result.desired.get(*kept) == imported.get(*kept), kept
