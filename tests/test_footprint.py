"""The Microsoft 365 footprint catalogue: every rule matches its record and no lookalike."""

from __future__ import annotations

import pytest

from migrate import footprint
from migrate.footprint import classify, is_microsoft_nameserver, probe_names, rules, strip_spf
from migrate.zone import RRset, txt_value

D = "example.dk."


def rr(owner: str, rdtype: str, *values: str) -> RRset:
    name = D if owner == "@" else f"{owner}.{D}"
    return RRset.build(name, rdtype, 3600, values)


# (rule id, owner, type, value, words the reason must contain) — one per rule and variant.
MATCHES = [
    ("verify.ms-txt", "@", "TXT", '"MS=ms48213906"', "ownership proof"),
    ("verify.ms-txt", "@", "TXT", '"ms=MS12345678"', "MS12345678"),
    ("verify.ms-mx", "@", "MX", "32767 ms48213906.msv1.invalid.", "ms48213906.msv1.invalid."),
    ("mx.exchange-online", "@", "MX", "0 example-dk.mail.protection.outlook.com.", "Exchange Online Protection"),
    ("mx.exchange-online", "@", "MX", "0 Example-DK01c.Mail.Protection.Outlook.COM.", "example-dk01c"),
    ("mx.mx-microsoft", "@", "MX", "0 example-dk.o-v1.mx.microsoft.", "mx.microsoft"),
    ("mx.legacy-sovereign", "@", "MX", "10 example-dk.mail.eo.outlook.com.", "mail.eo.outlook.com"),
    ("mx.legacy-sovereign", "@", "MX", "10 example-dk.mail.protection.outlook.de.", "outlook.de"),
    ("mx.legacy-sovereign", "@", "MX", "10 example-dk.mail.protection.partner.outlook.cn.", "partner.outlook.cn"),
    ("autodiscover.cname", "autodiscover", "CNAME", "autodiscover.outlook.com.", "Autodiscover"),
    ("autodiscover.cname", "autodiscover", "CNAME", "autodiscover.partner.outlook.cn.", "partner.outlook.cn"),
    ("autodiscover.cname", "autodiscover", "CNAME", "autodiscover-outlook.office.de.", "office.de"),
    ("autodiscover.srv", "_autodiscover._tcp", "SRV", "0 0 443 autodiscover.outlook.com.", "SRV form"),
    ("autodiscover.srv", "_autodiscover._tcp", "SRV", "0 0 443 autodiscover-outlook.office.de.", "office.de"),
    ("spf.include", "@", "TXT", '"v=spf1 include:spf.protection.outlook.com -all"', "spf.protection.outlook.com"),
    ("spf.include-sovereign", "@", "TXT", '"v=spf1 include:spf.protection.outlook.de -all"', "outlook.de"),
    ("spf.include-sovereign", "@", "TXT", '"v=spf1 include:spf.protection.partner.outlook.cn ~all"', "outlook.cn"),
    (
        "dkim.cname-legacy", "selector1._domainkey", "CNAME",
        "selector1-example-dk._domainkey.contoso.onmicrosoft.com.", "DKIM",
    ),
    (
        "dkim.cname-legacy", "selector2._domainkey", "CNAME",
        "selector2-example-dk._domainkey.contoso.partner.onmschina.cn.", "onmschina",
    ),
    (
        "dkim.cname-new", "selector2._domainkey", "CNAME",
        "selector2-example-dk._domainkey.contoso.n-v1.dkim.mail.microsoft.", "dkim.mail.microsoft",
    ),
    ("teams.sipfed-srv", "_sipfederationtls._tcp", "SRV", "100 1 5061 sipfed.online.lync.com.", "federation"),
    ("teams.sipfed-srv", "_sipfederationtls._tcp", "SRV", "100 1 5061 sipfed.online.partner.lync.cn.", "lync.cn"),
    ("teams.sipfed-srv", "_sipfederationtls._tcp", "SRV", "100 1 5061 sipfed.online.lync.de.", "lync.de"),
    ("skype.sip-srv", "_sip._tls", "SRV", "100 1 443 sipdir.online.lync.com.", "SIP"),
    ("skype.sip-srv", "_sip._tls", "SRV", "100 1 443 sipdir.online.lync.de.", "lync.de"),
    ("skype.sip-cname", "sip", "CNAME", "sipdir.online.lync.com.", "SIP"),
    ("skype.sip-cname", "sip", "CNAME", "sipdir.online.lync.de.", "lync.de"),
    ("skype.lyncdiscover-cname", "lyncdiscover", "CNAME", "webdir.online.lync.com.", "discovery"),
    ("skype.lyncdiscover-cname", "lyncdiscover", "CNAME", "webdir.online.partner.lync.cn.", "lync.cn"),
    ("skype.lyncdiscover-cname", "lyncdiscover", "CNAME", "webdir.online.skype.de.", "skype.de"),
    ("entra.enterpriseregistration", "enterpriseregistration", "CNAME", "enterpriseregistration.windows.net.", "device registration"),
    (
        "entra.enterpriseregistration", "enterpriseregistration", "CNAME",
        "enterpriseregistration.microsoftonline.de.", "microsoftonline.de",
    ),
    ("intune.enterpriseenrollment", "enterpriseenrollment", "CNAME", "enterpriseenrollment.manage.microsoft.com.", "enrolment"),
    ("intune.enterpriseenrollment", "enterpriseenrollment", "CNAME", "enterpriseenrollment-s.manage.microsoft.com.", "-s."),
    ("entra.msoid", "msoid", "CNAME", "clientconfig.microsoftonline-p.net.", "msoid"),
    ("entra.msoid", "msoid", "CNAME", "clientconfig.partner.microsoftonline-p.net.cn.", "partner"),
    ("ns.microsoft-dns", "@", "NS", "ns1.bdm.microsoftonline.com.", "DNS hosted by Microsoft 365"),
    ("ns.microsoft-dns", "@", "NS", "ns3.dns.partner.microsoftonline.cn.", "partner.microsoftonline.cn"),
    (
        "federation.exchangedelegation", "exchangedelegation", "TXT",
        '"Rd+8B1/0aQqNtrWnVX8+/WXXMB4gD5ZsCXZNdq7T6CjjqM6oytKwfgNUcUZ0==" ', "federation",
    ),
]

# (rule id it must not be mistaken for, owner, type, value): each must come back clean.
LOOKALIKES = [
    ("verify.ms-txt", "@", "TXT", '"MS=ms123"'),
    ("verify.ms-txt", "@", "TXT", '"MS=ms123456789"'),
    ("verify.ms-txt", "www", "TXT", '"MS=ms48213906"'),  # free text counts only where Microsoft asks
    ("verify.ms-mx", "@", "MX", "32767 ms4821390.msv1.invalid."),
    ("mx.exchange-online", "@", "MX", "0 example-dk.mail.protection.outlook.com.evil.net."),
    ("mx.exchange-online", "@", "MX", "10 outlook.example.com."),
    ("mx.exchange-online", "@", "MX", "10 mail.protection.outlook.com."),  # no token label
    ("mx.mx-microsoft", "@", "MX", "0 example-dk.mx.microsoft.evil.net."),
    ("mx.mx-microsoft", "@", "MX", "0 example-dk.oo-v1.mx.microsoft."),
    ("mx.legacy-sovereign", "@", "MX", "10 example-dk.mail.eo.outlook.com.example.org."),
    ("mx.legacy-sovereign", "@", "MX", "10 example-dk.mail.protection.outlook.de.evil.example."),
    ("mx.legacy-sovereign", "@", "MX", "10 example-dk.xmail.protection.outlook.de."),
    ("autodiscover.cname", "autodiscover", "CNAME", "autodiscover.outlook.com.example.org."),
    ("autodiscover.cname", "autodiscover", "CNAME", "autodiscover.example.dk."),
    ("autodiscover.cname", "autodiscover", "CNAME", "autodiscover-outlook.office.de.evil.example."),
    ("autodiscover.cname", "autodiscover", "CNAME", "xautodiscover-outlook.office.de."),
    ("autodiscover.srv", "_autodiscover._tcp", "SRV", "0 0 443 autodiscover.example.org."),
    ("autodiscover.srv", "_autodiscover._tcp", "SRV", "0 0 443 autodiscover-outlook.office.de.example.org."),
    ("spf.include", "@", "TXT", '"v=spf1 include:spf.protection.outlook.com.evil.net -all"'),
    ("spf.include", "@", "TXT", '"v=spf1 include:_spf.google.com -all"'),
    ("spf.include", "@", "TXT", '"note: include:spf.protection.outlook.com was removed"'),  # not SPF
    ("spf.include-sovereign", "@", "TXT", '"v=spf1 include:spf.protection.outlook.de.example.org ~all"'),
    ("spf.include-sovereign", "@", "TXT", '"v=spf1 include:xspf.protection.outlook.de -all"'),
    ("dkim.cname-legacy", "selector1._domainkey", "CNAME", "selector1.example-dk.dkim.example-esp.net."),
    ("dkim.cname-legacy", "selector1._domainkey", "CNAME", "selector1-example-dk._domainkey.contoso.onmicrosoft.com.evil.net."),
    ("dkim.cname-new", "selector2._domainkey", "CNAME", "selector2-example-dk._domainkey.contoso.dkim.mail.microsoft."),
    ("teams.sipfed-srv", "_sipfederationtls._tcp", "SRV", "100 1 5061 sipfed.example.dk."),
    ("teams.sipfed-srv", "_sipfederationtls._tcp", "SRV", "100 1 5061 sipfed.online.lync.de.evil.example."),
    ("skype.sip-srv", "_sip._tls", "SRV", "100 1 443 sipdir.online.lync.com.example.org."),
    ("skype.sip-srv", "_sip._tls", "SRV", "100 1 443 xsipdir.online.lync.de."),
    ("skype.sip-cname", "sip", "CNAME", "sip.voip-partner.dk."),
    ("skype.sip-cname", "sip", "CNAME", "sipdir.online.lync.de.evil.example."),
    ("skype.lyncdiscover-cname", "lyncdiscover", "CNAME", "webdir.online.lync.co."),
    ("skype.lyncdiscover-cname", "lyncdiscover", "CNAME", "webdir.online.skype.de.evil.example."),
    ("skype.lyncdiscover-cname", "lyncdiscover", "CNAME", "xwebdir.online.skype.de."),
    ("entra.enterpriseregistration", "enterpriseregistration", "CNAME", "enterpriseregistration.windows.net.example.org."),
    ("entra.enterpriseregistration", "enterpriseregistration", "CNAME", "enterpriseregistration.microsoftonline.de.evil.example."),
    ("entra.enterpriseregistration", "enterpriseregistration", "CNAME", "enterpriseregistration.microsoftonline.dev."),
    ("intune.enterpriseenrollment", "enterpriseenrollment", "CNAME", "enterpriseenrollment-x.manage.microsoft.com."),
    ("entra.msoid", "msoid", "CNAME", "clientconfig.microsoftonline-p.net.example.org."),
    ("ns.microsoft-dns", "@", "NS", "ns1.bdm.microsoftonline.com.evil.net."),
    ("ns.microsoft-dns", "@", "NS", "ada.ns.cloudflare.com."),
    ("federation.exchangedelegation", "@", "TXT", '"Rd+8B1/0aQqNtrWnVX8+/WXXMB4gD5ZsCXZNdq7T6CjjqM6oytKwfgNUcUZ0=="'),
    ("federation.exchangedelegation", "exchangedelegation", "TXT", '"hello world"'),
]


@pytest.mark.parametrize(("rule_id", "owner", "rdtype", "value", "words"), MATCHES)
def test_every_rule_matches_its_record(rule_id, owner, rdtype, value, words):
    rrset = rr(owner, rdtype, value)
    verdict = classify(rrset, D)
    assert [rid for rid, _ in verdict.reasons] == [rule_id]
    reason = verdict.reasons[0][1]
    assert words.lower() in reason.lower()
    assert verdict.removed == rrset
    assert verdict.kept is None  # nothing else is in the set (an SPF with only Microsoft is dropped)


@pytest.mark.parametrize(("rule_id", "owner", "rdtype", "value"), LOOKALIKES)
def test_lookalikes_stay(rule_id, owner, rdtype, value):
    rrset = rr(owner, rdtype, value)
    verdict = classify(rrset, D)
    assert verdict == footprint.Classification(kept=rrset, removed=None, reasons=()), rule_id


def test_every_rule_has_a_match_and_a_lookalike():
    ids = {rule.id for rule in rules()}
    assert ids == {case[0] for case in MATCHES}
    assert ids == {case[0] for case in LOOKALIKES}


def test_rule_ids_are_unique_and_sourced():
    ids = [rule.id for rule in rules()]
    assert len(ids) == len(set(ids))
    for rule in rules():
        assert rule.purpose and rule.source and rule.owner and rule.rdtype


def test_pointer_at_an_unexpected_owner_is_flagged_with_where():
    verdict = classify(rr("mail", "CNAME", "autodiscover.outlook.com."), D)
    assert verdict.kept is None
    (rule_id, reason), = verdict.reasons
    assert rule_id == "autodiscover.cname"
    assert "found at mail" in reason and "asks for it at autodiscover" in reason


def test_mx_at_a_subdomain_is_flagged():
    verdict = classify(rr("lists", "MX", "0 lists-example-dk.mail.protection.outlook.com."), D)
    assert [rid for rid, _ in verdict.reasons] == ["mx.exchange-online"]


def test_mixed_mx_set_removes_only_microsoft():
    rrset = rr(
        "@", "MX",
        "0 example-dk.mail.protection.outlook.com.",
        "10 aspmx.l.google.com.",
        "32767 ms48213906.msv1.invalid.",
    )
    verdict = classify(rrset, D)
    assert verdict.kept.rdatas == frozenset({"10 aspmx.l.google.com."})
    assert verdict.removed.rdatas == frozenset(
        {"0 example-dk.mail.protection.outlook.com.", "32767 ms48213906.msv1.invalid."}
    )
    assert sorted(rid for rid, _ in verdict.reasons) == ["mx.exchange-online", "verify.ms-mx"]
    assert verdict.kept.ttl == verdict.removed.ttl == 3600


def test_apex_txt_set_keeps_others_and_rewrites_spf():
    rrset = rr(
        "@", "TXT",
        '"MS=ms48213906"',
        '"google-site-verification=abc123"',
        '"v=spf1 include:spf.protection.outlook.com include:servers.mcsv.net -all"',
    )
    verdict = classify(rrset, D)
    assert sorted(verdict.kept.values()) == [
        "google-site-verification=abc123",
        "v=spf1 include:servers.mcsv.net -all",
    ]
    assert sorted(verdict.removed.values()) == [
        "MS=ms48213906",
        "v=spf1 include:spf.protection.outlook.com include:servers.mcsv.net -all",
    ]
    reasons = dict(verdict.reasons)
    assert set(reasons) == {"verify.ms-txt", "spf.include"}
    assert "rewritten to 'v=spf1 include:servers.mcsv.net -all'" in reasons["spf.include"]


def test_spf_with_only_microsoft_is_dropped_with_reason():
    verdict = classify(rr("@", "TXT", '"v=spf1 include:spf.protection.outlook.com ~all"'), D)
    assert verdict.kept is None
    assert "nothing else remains" in verdict.reasons[0][1]


@pytest.mark.parametrize(
    ("spf", "expected"),
    [
        ("v=spf1 include:spf.protection.outlook.com include:_spf.google.com -all", "v=spf1 include:_spf.google.com -all"),
        ("v=spf1 ip4:192.0.2.1 include:spf.protection.outlook.com ~all", "v=spf1 ip4:192.0.2.1 ~all"),
        ("v=spf1 a mx include:spf.protection.outlook.com ?all", "v=spf1 a mx ?all"),
        ("v=spf1 include:spf.protection.outlook.com redirect=_spf.example.net", "v=spf1 redirect=_spf.example.net"),
        ("v=spf1 ip4:192.0.2.1 redirect=spf.protection.outlook.com", "v=spf1 ip4:192.0.2.1 -all"),
        ("v=spf1 ip4:192.0.2.1 redirect=spf.protection.outlook.com ~all", "v=spf1 ip4:192.0.2.1 ~all"),
        ("v=spf1 include:spf.protection.outlook.de include:mail.example.net -all", "v=spf1 include:mail.example.net -all"),
        ("v=spf1 +include:spf.protection.partner.outlook.cn ip6:2001:db8::/32 -all", "v=spf1 ip6:2001:db8::/32 -all"),
        ("V=SPF1 INCLUDE:SPF.PROTECTION.OUTLOOK.COM INCLUDE:_SPF.EXAMPLE.NET -ALL", "V=SPF1 INCLUDE:_SPF.EXAMPLE.NET -ALL"),
        ("v=spf1 include:spf.protection.outlook.com. -all", "v=spf1 -all"),
        ("v=spf1 include:spf.protection.outlook.com -all", "v=spf1 -all"),
        ("v=spf1 include:_spf.google.com -all", "v=spf1 include:_spf.google.com -all"),
    ],
)
def test_strip_spf(spf, expected):
    assert strip_spf(spf) == expected


@pytest.mark.parametrize("text", ["MS=ms48213906", "v=spf10 include:spf.protection.outlook.com", "", "spf1 -all"])
def test_strip_spf_refuses_non_spf(text):
    assert strip_spf(text) is None


def test_long_spf_over_255_bytes_is_rewritten_and_resplit():
    others = " ".join(f"ip4:198.51.100.{i}" for i in range(1, 30))
    spf = f"v=spf1 {others} include:spf.protection.outlook.com include:_spf.example.net -all"
    assert len(spf) > 255
    rrset = RRset.build(D, "TXT", 300, [f'"{spf[:200]}" "{spf[200:]}"'])
    verdict = classify(rrset, D)
    (kept,) = verdict.kept.rdatas
    rewritten = f"v=spf1 {others} include:_spf.example.net -all"
    assert txt_value(kept) == rewritten
    # re-split into 255-byte character-strings, as the zone model writes them
    assert kept.count('" "') == (len(rewritten) - 1) // 255 >= 1
    assert verdict.removed == rrset


def test_obsolete_spf_type_is_handled_like_txt():
    verdict = classify(rr("@", "SPF", '"v=spf1 include:spf.protection.outlook.com mx -all"'), D)
    assert verdict.kept.values() == ["v=spf1 mx -all"]
    assert verdict.removed.rdtype == "SPF"


def test_spf_at_a_subdomain_is_rewritten():
    verdict = classify(rr("news", "TXT", '"v=spf1 include:spf.protection.outlook.com include:mailgun.org ~all"'), D)
    assert verdict.kept.values() == ["v=spf1 include:mailgun.org ~all"]


def test_clean_rrset_is_returned_as_is():
    rrset = rr("www", "A", "203.0.113.10")
    verdict = classify(rrset, D)
    assert verdict.kept is rrset and verdict.removed is None and verdict.reasons == ()


def test_mta_sts_txt_is_not_microsoft():
    rrset = rr("_mta-sts", "TXT", '"v=STSv1; id=20240101"')
    assert classify(rrset, D).removed is None


def test_idn_domain():
    domain = "xn--blbr-roah.dk."
    rrset = RRset.build(domain, "TXT", 300, ['"MS=ms11112222"'])
    assert classify(rrset, "blåbær.dk").reasons[0][0] == "verify.ms-txt"


def test_probe_names_cover_every_rule_owner():
    probes = set(probe_names("Example.DK"))
    for rule in rules():
        for owner in rule.owners:
            name = D if owner == "@" else f"{owner}.{D}"
            assert (name, rule.rdtype) in probes, rule.id
    assert (f"_mta-sts.{D}", "TXT") in probes and (f"_dmarc.{D}", "TXT") in probes
    assert len(probes) == len(probe_names(D))  # no duplicates
    assert all(name.endswith("." + D) or name == D for name, _ in probes)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("ns1.bdm.microsoftonline.com", True),
        ("NS4.BDM.MICROSOFTONLINE.COM.", True),
        ("ns2.dns.partner.microsoftonline.cn.", True),
        ("ns1.bdm.microsoftonline.com.evil.net", False),
        ("bdm.microsoftonline.com", False),
        ("ns1-04.azure-dns.com.", False),
        ("ada.ns.cloudflare.com", False),
        ("", False),
    ],
)
def test_is_microsoft_nameserver(host, expected):
    assert is_microsoft_nameserver(host) is expected


def test_mta_sts_policy_naming_microsoft():
    policy = "version: STSv1\r\nmode: enforce\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n"
    assert footprint.mta_sts_policy_names_microsoft(policy)
    assert footprint.mta_sts_microsoft_hosts(policy) == ["*.mail.protection.outlook.com"]
    mixed = "version: STSv1\nmode: testing\nmx: aspmx.l.google.com\nmx: example-dk.o-v1.mx.microsoft\nmax_age: 86400\n"
    assert footprint.mta_sts_microsoft_hosts(mixed) == ["example-dk.o-v1.mx.microsoft"]


@pytest.mark.parametrize(
    "mx_line",
    ["mx: *.google.com", "mx: *.mail.protection.outlook.com.evil.net", "mx: outlook.example.com", "mode: enforce"],
)
def test_mta_sts_policy_not_naming_microsoft(mx_line):
    policy = f"version: STSv1\nmode: enforce\n{mx_line}\nmax_age: 86400\n"
    assert not footprint.mta_sts_policy_names_microsoft(policy)
