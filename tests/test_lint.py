"""Every lint rule: one plan that trips it and the example that does not."""

from __future__ import annotations

from pathlib import Path

import yaml

from migrate import lint, plan, spec as spec_module

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "migration.yaml"


def example_plan(mutate=None) -> plan.Plan:
    data = yaml.safe_load(EXAMPLE.read_text())
    if mutate:
        mutate(data)
    return plan.build(spec_module.parse(data, EXAMPLE))


def rules(result: plan.Plan) -> dict[str, lint.Finding]:
    return {f.rule: f for f in lint.lint(result)}


def test_example_is_clean():
    assert lint.lint(example_plan()) == []


def test_spf_must_be_exactly_one():
    result = example_plan()
    apex = result.desired.get(result.spec.domain, "TXT")
    result.desired.put(apex.with_rdatas(apex.rdatas | {'"v=spf1 a -all"'}))
    finding = rules(result)["spf.count"]
    assert finding.level == "error" and "2 SPF records" in finding.message
    result.desired.put(apex.with_rdatas({t for t in apex.rdatas if "spf1" not in t}))
    assert "no SPF record" in rules(result)["spf.count"].message


def test_spf_lookup_limit():
    many = "v=spf1 " + " ".join(f"include:s{i}.example.net" for i in range(11)) + " -all"
    found = rules(example_plan(lambda d: d["mail"].update(spf=many)))
    assert found["spf.lookups"].level == "error" and "11 DNS lookups" in found["spf.lookups"].message
    # Ten is allowed; Google's include counts its own nested lookups.
    assert "spf.lookups" not in rules(example_plan(lambda d: d["mail"].update(spf="v=spf1 " + " ".join(f"include:s{i}.example.net" for i in range(10)) + " -all")))
    assert "spf.lookups" in rules(example_plan(lambda d: d["mail"].update(spf="v=spf1 include:_spf.google.com " + " ".join(f"a:h{i}.example.net" for i in range(7)) + " -all")))


def test_cname_at_apex_and_beside_other_data():
    found = rules(example_plan(lambda d: d["dns"]["records"].extend([
        {"name": "@", "type": "CNAME", "value": "web.example.net"},
        {"name": "shop", "type": "CNAME", "value": "shops.example.net"},
    ])))
    assert found["cname.apex"].level == "error"
    assert found["cname.exclusive"].level == "error"
    assert "cname.exclusive" in {f.rule for f in lint.lint(example_plan(lambda d: d["dns"]["records"].append({"name": "shop", "type": "CNAME", "value": "x.example.net"})))}


def test_mx_and_ns_targets_must_not_be_cnames():
    def custom(d):
        d["mail"] = {"provider": "custom", "mx": [{"priority": 10, "host": "mail.nordlys-tekstil.dk"}], "spf": "v=spf1 mx -all"}
        d["dns"]["records"].append({"name": "mail", "type": "CNAME", "value": "mailhost.example.net"})
        d["dns"]["records"].append({"name": "sub", "type": "NS", "value": "alias.nordlys-tekstil.dk"})
        d["dns"]["records"].append({"name": "alias", "type": "CNAME", "value": "ns.example.net"})

    found = rules(example_plan(custom))
    assert found["mx.target-cname"].level == "error"
    assert found["ns.target-cname"].level == "error"


def test_missing_mx_is_an_error():
    result = example_plan()
    result.desired.discard(result.spec.domain, "MX")
    assert rules(result)["mx.missing"].level == "error"


def test_missing_dmarc_is_a_warning():
    result = example_plan()
    result.desired.discard("_dmarc." + result.spec.domain, "TXT")
    finding = rules(result)["dmarc.missing"]
    assert finding.level == "warning"
    assert not lint.has_errors([finding])


def test_changing_records_with_long_ttls_are_warned():
    result = example_plan()
    mx = result.current.get(result.spec.domain, "MX")
    result.current.put(mx.with_ttl(86400))
    kept = result.current.get("vpn." + result.spec.domain, "A")
    result.current.put(kept.with_ttl(86400))
    result.desired.put(kept.with_ttl(86400))
    findings = [f for f in lint.lint(result) if f.rule == "ttl.high"]
    assert [f.subject for f in findings] == [f"{result.spec.domain} MX"]
    assert "86400" in findings[0].message and findings[0].level == "warning"
