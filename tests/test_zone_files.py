"""Zone files as people actually have them (the plan on such zones: tests/test_plan_unusual_zones.py).

The desired zone must never lose a non-Microsoft record silently: a record is
either carried, or removed with a rule id, or the input is refused with one
line naming it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate import lint, plan
from migrate.errors import BadInput
from migrate.zone import Zone
from tests.helpers.examples import spec_with_zone

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "migration.yaml"
ZONE = EXAMPLE.parent / "zones" / "nordlys-tekstil.dk.zone"
DOMAIN = "nordlys-tekstil.dk."


def parse(text: str) -> Zone:
    return Zone.from_text(text, DOMAIN, source="export.zone")


# -- records that would have vanished --------------------------------------------------


def test_records_under_another_origin_are_refused_not_dropped():
    # A file exported for the wrong zone (or with a stray $ORIGIN) lost every record silently.
    text = ZONE.read_text().replace("$ORIGIN nordlys-tekstil.dk.", "$ORIGIN other.dk.")
    with pytest.raises(BadInput) as info:
        parse(text)
    message = str(info.value)
    assert message.startswith("export.zone: ") and "other.dk." in message and "outside the zone" in message


def test_a_record_for_another_zone_is_refused_by_name():
    with pytest.raises(BadInput, match=r"^export\.zone: www\.other\.dk\. is outside the zone nordlys-tekstil\.dk\."):
        parse(ZONE.read_text() + "www.other.dk. 300 IN A 192.0.2.9\n")


def test_generate_and_ttl_directives_still_work():
    zone = parse("$TTL 1h\n@ IN A 192.0.2.1\n$GENERATE 1-3 host$ A 192.0.2.$\n$ORIGIN sub.nordlys-tekstil.dk.\nx 60 IN A 192.0.2.9\n")
    assert zone.get("host2.nordlys-tekstil.dk.", "A").rdatas == {"192.0.2.2"}
    assert zone.get(DOMAIN, "A").ttl == 3600
    assert zone.get("x.sub.nordlys-tekstil.dk.", "A").ttl == 60


def test_include_is_still_refused():
    with pytest.raises(BadInput, match=r"export\.zone.*\$INCLUDE"):
        parse("$INCLUDE /etc/passwd\n")


# -- what exports really look like ---------------------------------------------------------


def test_txt_strings_longer_than_255_bytes_are_re_split():
    # The README promises it; the zone-file reader refused with "string too long".
    key = "v=DKIM1; k=rsa; p=" + "A" * 400
    zone = parse(f'google._domainkey 300 IN TXT "{key}"\nother 300 IN TXT "a" "{"b" * 300}"\n')
    rrset = zone.get("google._domainkey.nordlys-tekstil.dk.", "TXT")
    assert rrset.values() == [key]
    assert zone.get("other.nordlys-tekstil.dk.", "TXT").values() == ["a" + "b" * 300]


def test_long_txt_with_escapes_and_utf8_splits_on_whole_characters():
    text = 'x 300 IN TXT "' + '\\"q\\\\' * 60 + "æ" * 100 + '"  ; a comment with a " quote\n'
    zone = parse(text)
    assert zone.get("x.nordlys-tekstil.dk.", "TXT").values() == ['"q\\' * 60 + "æ" * 100]


def test_a_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "export.zone"
    path.write_bytes(b"\xef\xbb\xbf" + ZONE.read_bytes())
    assert Zone.from_file(path, DOMAIN) == Zone.from_file(ZONE, DOMAIN)


def test_crlf_line_ends_are_fine():
    assert parse(ZONE.read_text().replace("\n", "\r\n")) == parse(ZONE.read_text())


def test_a_cname_beside_other_data_names_the_owner():
    with pytest.raises(BadInput) as info:
        parse("www 300 IN CNAME example.net.\nwww 300 IN A 192.0.2.1\n")
    assert "www.nordlys-tekstil.dk." in str(info.value) and "CNAME" in str(info.value)


def test_a_ttl_over_the_rfc_2181_maximum_is_refused_by_record():
    with pytest.raises(BadInput, match=r"big\.nordlys-tekstil\.dk\. A.*TTL 4294967295"):
        parse("big 4294967295 IN A 192.0.2.1\n")


# -- size -----------------------------------------------------------------------------------


def test_a_big_zone_plans_and_lints(tmp_path):
    # Zone.at() sorted the whole zone on every call: lint was quadratic with a costly
    # sort key, and a 20,000-record zone took hours. Not a timing assertion: without
    # the fix this test does not finish.
    text = "".join(f"h{i} 300 IN A 192.0.2.{i % 250}\nh{i} 300 IN TXT \"n{i}\"\n" for i in range(20000))
    spec = spec_with_zone(tmp_path, text)
    result = plan.build(spec)
    findings = lint.lint(result)
    assert result.desired.get("h19999.nordlys-tekstil.dk.", "A") is not None
    assert not any(f.rule.startswith("cname") for f in findings)


def test_zone_at_and_names_stay_correct_after_changes():
    zone = parse("a 300 IN A 192.0.2.1\na 300 IN TXT \"x\"\nb 300 IN A 192.0.2.2\n")
    zone.discard("a.nordlys-tekstil.dk.", "TXT")
    zone.put(next(iter(parse("c 300 IN MX 10 mx.example.net.\n"))))
    assert [r.rdtype for r in zone.at("a.nordlys-tekstil.dk.")] == ["A"]
    assert zone.names() == ["a.nordlys-tekstil.dk.", "b.nordlys-tekstil.dk.", "c.nordlys-tekstil.dk."]
    copy = zone.copy()
    copy.discard("b.nordlys-tekstil.dk.", "A")
    assert zone.at("b.nordlys-tekstil.dk.") and not copy.at("b.nordlys-tekstil.dk.")
