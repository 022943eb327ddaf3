"""Mail-record rules (migrate.mailauth), and the spec, lint and verify agreeing on them."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import yaml

from migrate import lint, mailauth, plan, spec as spec_module
from migrate.errors import BadInput
from migrate.verify import checks as verify_checks
from migrate.verify.evidence import Answer
from migrate.zone import RRset, txt_rdata_text

D = "example.dk."
NOW = datetime(2027, 1, 15, 7, 0, tzinfo=timezone.utc)


# -- case, as the RFCs have it ----------------------------------------------------


def test_case_handling_follows_rfc_7208_7489_and_6376():
    # RFC 7208 §4.6.1 and §12: the version and mechanism/modifier names are case-insensitive.
    assert mailauth.is_spf("V=SPF1 -all") and mailauth.is_spf("v=Spf1 mx -all")
    record = "v=spf1 INCLUDE:_Spf.Example.NET MX ReDiReCt=Other.Example ~ALL"
    assert mailauth.spf_includes(record) == ["_spf.example.net."]
    assert mailauth.spf_targets(record) == ["_spf.example.net.", "other.example."]
    assert mailauth.spf_all(record).qualifier == "~"
    assert mailauth.spf_lookup_count(record) == 3
    # RFC 7489 §6.4: tag names and the policy values are case-insensitive ...
    upper = mailauth.parse_dmarc("V=DMARC1; P=Reject; RUA=mailto:d@example.dk")
    assert upper is not None and upper.policy == "reject" and upper.tag("rua") == "mailto:d@example.dk"
    # ... but the version value must match precisely (§6.3): this is no DMARC record.
    assert not mailauth.is_dmarc("v=dmarc1; p=none")
    assert not mailauth.is_dmarc("v=Dmarc1; p=none")
    # RFC 6376 §3.2: DKIM key tags are case-sensitive; `P=` is an unknown tag, not the key.
    assert mailauth.parse_dkim_key("v=DKIM1; P=MIIB").problem == "it has no p= tag (the public key)"
    assert mailauth.parse_dkim_key("v=dkim1; p=MIIB").problem is not None


# -- SPF --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["v=spf1", "v=spf1 -all", "v=spf1  mx  -all", "v=spf1 -all "])
def test_spf_version_ends_at_a_space_or_the_end(text):
    assert mailauth.is_spf(text)


@pytest.mark.parametrize("text", ["v=spf10 -all", "v=spf1\t-all", " v=spf1 -all", "spf1 -all", "", "v=spf1;-all", "MS=ms12345678", "v=DMARC1; p=none"])
def test_not_spf(text):
    assert not mailauth.is_spf(text)


def test_terms_are_mechanisms_with_qualifiers_or_modifiers():
    record = "v=spf1 +a -mx:mail.example.net/24 ~ip4:192.0.2.0/24 ?ptr a/24 ip6:2001:db8::/32 exists:%{i}.e.example exp=why.example x-custom=1"
    terms = [(t.name, t.qualifier, t.value, t.modifier) for t in mailauth.spf_terms(record)]
    assert terms == [
        ("a", "+", "", False),
        ("mx", "-", "mail.example.net/24", False),
        ("ip4", "~", "192.0.2.0/24", False),
        ("ptr", "?", "", False),
        ("a", "+", "", False),
        ("ip6", "+", "2001:db8::/32", False),
        ("exists", "+", "%{i}.e.example", False),
        ("exp", "", "why.example", True),
        ("x-custom", "", "1", True),
    ]
    assert [t.text for t in mailauth.spf_terms(record)] == record.split()[1:]


@pytest.mark.parametrize(("record", "qualifier"), [
    ("v=spf1 mx -all", "-"),
    ("v=spf1 mx ~all", "~"),
    ("v=spf1 mx ?all", "?"),
    ("v=spf1 mx all", "+"),
    ("v=spf1 mx +all", "+"),
    ("v=spf1 -all ~all", "-"),  # evaluation stops at the first
])
def test_the_all_term_and_its_qualifier(record, qualifier):
    assert mailauth.spf_all(record).qualifier == qualifier


def test_no_all_term():
    assert mailauth.spf_all("v=spf1 mx redirect=_spf.example.net") is None
    assert mailauth.spf_all("v=spf1 allx") is None


def test_include_and_redirect_targets_are_absolute_names():
    record = "v=spf1 include:a.example. -include:B.example redirect=c.example"
    assert mailauth.spf_includes(record) == ["a.example.", "b.example."]
    assert mailauth.spf_targets(record) == ["a.example.", "b.example.", "c.example."]
    # A qualifier makes a mechanism; redirect= takes none, so `+redirect=` reads nothing.
    assert mailauth.spf_targets("v=spf1 +redirect=c.example") == []


def test_lookups_counted_per_rfc_7208_section_4_6_4():
    costly = "v=spf1 a mx ptr exists:x.example include:i.example redirect=r.example"
    assert mailauth.spf_lookup_count(costly) == 6
    free = "v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 -all exp=e.example"
    assert mailauth.spf_lookup_count(free) == 0
    # A known provider's include costs its own nested lookups too.
    assert mailauth.spf_lookup_count("v=spf1 include:_spf.google.com ~all") == 1 + mailauth.NESTED_LOOKUPS["_spf.google.com"]
    assert mailauth.spf_lookup_count("v=spf1 include:_SPF.Google.com. ~all") == 4


@pytest.mark.parametrize(("record", "expected"), [
    ("v=spf1 mx -all", "v=spf1 mx include:new.example -all"),
    ("v=spf1 mx redirect=r.example", "v=spf1 mx include:new.example redirect=r.example"),
    ("v=spf1 mx", "v=spf1 mx include:new.example"),
    ("v=spf1 include:NEW.example. ~all", "v=spf1 include:NEW.example. ~all"),  # once
    ("V=SPF1 mx ~ALL", "V=SPF1 mx include:new.example ~ALL"),  # the record keeps its spelling
])
def test_add_include(record, expected):
    assert mailauth.spf_add_include(record, "new.example") == expected


def test_new_record():
    assert mailauth.spf_new("_spf.google.com") == "v=spf1 include:_spf.google.com ~all"
    assert mailauth.spf_new("_spf.google.com", "-") == "v=spf1 include:_spf.google.com -all"


@pytest.mark.parametrize(("record", "empty"), [
    ("v=spf1", True),
    ("v=spf1 -all", True),
    ("v=spf1 ~all exp=why.example", True),
    ("v=spf1 +all", True),  # authorises everybody, but names nobody in particular
    ("v=spf1 mx -all", False),
    ("v=spf1 redirect=r.example", False),
    ("v=spf1 ip4:192.0.2.1 -all", False),
])
def test_names_no_sender(record, empty):
    assert mailauth.spf_names_no_sender(record) is empty


def _old(domain: str) -> bool:
    return domain.endswith("old.example.")


@pytest.mark.parametrize(("record", "expected"), [
    ("v=spf1 include:spf.old.example include:keep.example -all", "v=spf1 include:keep.example -all"),
    ("v=spf1 ~include:SPF.OLD.example. mx ?all", "v=spf1 mx ?all"),
    # A dropped redirect= hands the verdict to the caller's `all` ...
    ("v=spf1 ip4:192.0.2.1 redirect=spf.old.example", "v=spf1 ip4:192.0.2.1 -all"),
    # ... unless the record has its own, which overrides redirect= anyway (RFC 7208 §6.1).
    ("v=spf1 ip4:192.0.2.1 redirect=spf.old.example ~all", "v=spf1 ip4:192.0.2.1 ~all"),
    ("v=spf1 include:spf.old.example redirect=keep.example", "v=spf1 redirect=keep.example"),
    ("v=spf1 include:spf.old.example -all", "v=spf1 -all"),
])
def test_without_drops_the_chosen_targets(record, expected):
    assert mailauth.spf_without(record, _old, redirect_all="-all") == expected


def test_without_leaves_other_text_alone():
    record = "v=spf1  include:keep.example   -all"
    assert mailauth.spf_without(record, _old, redirect_all="-all") is record
    assert mailauth.spf_without("MS=ms12345678", _old, redirect_all="-all") is None
    assert mailauth.spf_without("v=spf10 include:spf.old.example", _old, redirect_all="-all") is None


def _txt(name: str, *values: str) -> Answer:
    rrset = RRset.build(name, "TXT", 300, [txt_rdata_text(v) for v in values])
    return Answer(server="192.0.2.1", qname=name, qtype="TXT", rd=True, outcome="answer", rcode="NOERROR", answer=(rrset,), at=NOW)


def test_include_loops_are_found_by_verify_not_by_the_record_rules():
    # mailauth reads one record; following includes (and loops) is the verifier's job.
    record = "v=spf1 include:a.example -all"
    assert mailauth.spf_targets(record) == ["a.example."]
    txt = {
        "a.example.": _txt("a.example.", "v=spf1 include:b.example -all"),
        "b.example.": _txt("b.example.", "v=spf1 include:a.example -all"),
    }
    count, problems = verify_checks.spf_lookups(record, txt)
    assert count == 3 and problems == ["SPF include loop through a.example."]


def test_an_include_with_two_spf_records_is_a_permerror_for_verify():
    txt = {"a.example.": _txt("a.example.", "v=spf1 mx -all", "V=SPF1 a -all", "not spf")}
    _, problems = verify_checks.spf_lookups("v=spf1 include:a.example -all", txt)
    assert problems == ["a.example. has 2 SPF records (include needs exactly one: permerror)"]


# -- DMARC ------------------------------------------------------------------------


def test_dmarc_tags_with_odd_case_and_spaces():
    record = mailauth.parse_dmarc("  v = DMARC1 ;  P = Quarantine ; rua=mailto:d@example.dk ;  ")
    assert record.tags == (("v", "DMARC1"), ("p", "Quarantine"), ("rua", "mailto:d@example.dk"))
    assert record.policy == "quarantine" and record.problem is None


@pytest.mark.parametrize("text", [
    "p=none; v=DMARC1",  # v must be the first tag
    "v=DMARC10; p=none",
    "v=DMARC1 p=none",  # no separator: the version would be "DMARC1 p=none"
    "v=spf1 -all",
    "",
])
def test_not_dmarc(text):
    assert mailauth.parse_dmarc(text) is None
    assert "v=DMARC1" in mailauth.dmarc_problem(text)


@pytest.mark.parametrize(("text", "problem"), [
    ("v=DMARC1; rua=mailto:d@example.dk", "it has no p= policy (none, quarantine or reject)"),
    ("v=DMARC1", "it has no p= policy (none, quarantine or reject)"),
    ("v=DMARC1; p=block", "p=block is not none, quarantine or reject"),
    ("v=DMARC1; p=", "p= is not none, quarantine or reject"),
    ("v=DMARC1; p=none; P=reject", "the tag p= appears more than once"),
    ("v=DMARC1; p=none; reject", "'reject' is not a tag (name=value)"),
])
def test_dmarc_without_a_usable_policy(text, problem):
    record = mailauth.parse_dmarc(text)
    assert record is not None and (record.policy is None or record.syntax)
    assert mailauth.dmarc_problem(text) == problem


@pytest.mark.parametrize("policy", ["none", "quarantine", "reject", "REJECT"])
def test_dmarc_policies(policy):
    assert mailauth.parse_dmarc(f"v=DMARC1;p={policy}").policy == policy.lower()
    assert mailauth.dmarc_problem(f"v=DMARC1;p={policy}") is None


# -- DKIM -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["v=DKIM1; k=rsa; p=MIIBIjAN", "k=rsa; p=MIIBIjAN", "p=MIIBIjAN", "v=DKIM1; p=", " p = MIIB ; t=s ;"])
def test_dkim_keys_with_and_without_v(text):
    assert mailauth.parse_dkim_key(text).problem is None


@pytest.mark.parametrize(("text", "problem"), [
    ("k=rsa; v=DKIM1; p=MIIB", "a v= tag must come first and say DKIM1"),
    ("v=DKIM2; p=MIIB", "a v= tag must come first and say DKIM1"),
    ("v=DKIM1; k=rsa", "it has no p= tag (the public key)"),
    ("v=DKIM1; p=MIIB; p=MIIC", "the tag p= appears more than once"),
    ("selector1-example-dk._domainkey.contoso.onmicrosoft.com", "'selector1-example-dk._domainkey.contoso.onmicrosoft.com' is not a tag (name=value)"),
])
def test_not_dkim_keys(text, problem):
    assert mailauth.parse_dkim_key(text).problem == problem


def test_dkim_key_tags_in_order():
    assert mailauth.parse_dkim_key("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").tags == (
        ("v", "DKIM1"), ("k", "ed25519"), ("p", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="),
    )


@pytest.mark.parametrize(("name", "dkim"), [
    ("google._domainkey.example.dk.", True),
    ("s1.eu._domainkey.example.dk.", True),
    ("Google._DomainKey.Example.DK", True),
    ("_domainkey.example.dk.", False),  # no selector
    ("google.example.dk.", False),
    ("_dmarc.example.dk.", False),
])
def test_dkim_owner(name, dkim):
    assert mailauth.is_dkim_owner(name) is dkim


# -- the users agree ----------------------------------------------------------------


def _plan(example_spec_path, dmarc_values: list[str] | None = None, apex_spf: list[str] | None = None) -> plan.Plan:
    result = plan.build(spec_module.parse(yaml.safe_load(example_spec_path.read_text()), example_spec_path))
    domain = result.spec.domain
    if dmarc_values is not None:
        result.desired.put(RRset.build("_dmarc." + domain, "TXT", 300, [txt_rdata_text(v) for v in dmarc_values]))
    if apex_spf is not None:
        result.desired.put(RRset.build(domain, "TXT", 300, [txt_rdata_text(v) for v in apex_spf]))
    return result


def _verify(result: plan.Plan, check_id: str) -> str:
    ev = verify_checks.Evidence(domain=result.spec.domain, now=NOW, desired=result.desired, expected_ns=result.spec.dns.nameservers)
    ev.spf_txt = {"_spf.google.com.": _txt("_spf.google.com.", "v=spf1 ip4:192.0.2.0/24 -all")}
    (check,) = [c for c in verify_checks.mail_checks(ev) if c.id == check_id]
    return check.status


def _lint(result: plan.Plan, prefix: str) -> list[str]:
    return [f"{f.level} {f.rule}" for f in lint.lint(result) if f.rule.startswith(prefix)]


def _spec_refuses(example_spec_path, key: str, value: str) -> bool:
    data = yaml.safe_load(example_spec_path.read_text())
    data["mail"][key] = value
    try:
        spec_module.parse(data, example_spec_path)
    except BadInput:
        return True
    return False


@pytest.mark.parametrize(("record", "valid"), [
    ("v=DMARC1; p=quarantine; rua=mailto:dmarc@nordlys-tekstil.dk", True),
    ("V=DMARC1; P=Reject", True),  # the spec used to refuse it, verify to fail it; lint took it
    ("v=DMARC1;p=none", True),
    ("v=dmarc1; p=none", False),  # lint used to take it, verify failed it
    ("v=DMARC1; rua=mailto:dmarc@nordlys-tekstil.dk", False),  # the spec used to take it, verify failed it
    ("v=DMARC1; p=none; p=reject", False),
])
def test_spec_lint_and_verify_agree_on_dmarc(example_spec_path, record, valid):
    assert _spec_refuses(example_spec_path, "dmarc", record) is not valid
    result = _plan(example_spec_path, dmarc_values=[record])
    assert _lint(result, "dmarc.") == ([] if valid else [f"warning dmarc.{'invalid' if mailauth.is_dmarc(record) else 'missing'}"])
    assert _verify(result, "mail.dmarc") == ("pass" if valid else "fail")


def test_lint_and_verify_agree_on_two_dmarc_records(example_spec_path):
    result = _plan(example_spec_path, dmarc_values=["v=DMARC1; p=none", "V=DMARC1; p=reject", "unrelated"])
    assert _lint(result, "dmarc.") == ["warning dmarc.invalid"]
    assert _verify(result, "mail.dmarc") == "fail"


@pytest.mark.parametrize(("records", "valid"), [
    (["v=spf1 include:_spf.google.com ~all"], True),
    (["V=SPF1 include:_spf.google.com ~ALL"], True),  # the spec used to refuse it
    (["v=spf1 include:_spf.google.com ~all", "V=SPF1 mx -all"], False),  # two records, whatever their case
    (["v=spf10 include:_spf.google.com ~all"], False),  # no SPF record at all
])
def test_spec_lint_and_verify_agree_on_spf(example_spec_path, records, valid):
    assert _spec_refuses(example_spec_path, "spf", records[0]) is (not mailauth.is_spf(records[0]))
    result = _plan(example_spec_path, apex_spf=records)
    assert _lint(result, "spf.") == ([] if valid else ["error spf.count"])
    assert _verify(result, "mail.spf") == ("pass" if valid else "fail")


def _spec_with_dkim(example_spec_path, record: dict):
    data = yaml.safe_load(example_spec_path.read_text())
    data["mail"]["dkim"] = [record]
    return spec_module.parse(data, example_spec_path)


@pytest.mark.parametrize("record", [
    {"name": "google._domainkey", "type": "TXT", "value": "k=rsa; p=MIIB"},  # v= may be left out
    {"name": "google._domainkey", "type": "TXT", "value": '"v=DKIM1; k=rsa; " "p=MIIB"'},  # strings joined
    {"name": "fm1._domainkey", "type": "CNAME", "value": "fm1.example.dk.dkim.fmhosted.com"},
])
def test_spec_takes_dkim_keys(example_spec_path, record):
    assert _spec_with_dkim(example_spec_path, record).mail.dkim[0].name == record["name"]


@pytest.mark.parametrize(("record", "problem"), [
    ({"name": "google._domainkey", "type": "TXT", "value": "v=DKIM1; k=rsa"}, "is not a DKIM key record: it has no p= tag"),
    ({"name": "google", "type": "TXT", "value": "v=DKIM1; p=MIIB"}, "google.nordlys-tekstil.dk. is not a DKIM key's name"),
])
def test_spec_refuses_a_dkim_record_receivers_would_not_find(example_spec_path, record, problem):
    with pytest.raises(BadInput, match=r"mail\.dkim\[0\]: .*" + re.escape(problem)):
        _spec_with_dkim(example_spec_path, record)
