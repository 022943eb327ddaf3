"""The page drawn from a known history in real stores: its rows and transitions, its policy, and outside text kept inert."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from migrate.history import page, run
from migrate.state import location
from migrate.state.codec import utc_text
from tests.helpers.gate import load, write_spec
from tests.helpers.report import HOSTILE_BY, HOSTILE_SERVER, KNOWN, Page, write_history

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def drawn(tmp_path, **kwargs) -> tuple[str, list[datetime]]:
    spec = load(write_spec(tmp_path, require=["dns"]))
    state = location.Folder(tmp_path / "state")
    times = write_history(state, spec, now=NOW, **kwargs)
    return run.report(spec, state, NOW + timedelta(minutes=1)), times


def test_the_timeline_has_a_row_per_server_and_the_transitions_the_rounds_recorded(tmp_path):
    html, times = drawn(tmp_path)
    parsed = Page(html)
    rows = {row["name"]: row for row in parsed.rows}
    assert {group: [r["name"] for r in parsed.rows if r["group"] == group] for group in KNOWN.rows} == KNOWN.rows
    assert {name: row["transitions"] for name, row in rows.items()} == {
        name: [(before, after) for before, after, _ in changes] for name, changes in KNOWN.transitions.items()}
    # Each transition is stamped with the finish time of the round that saw it.
    for name, changes in KNOWN.transitions.items():
        for before, after, round_id in changes:
            assert f'data-before="{before}" data-after="{after}"><time datetime="{utc_text(times[round_id - 1], zulu=True)}"' in html
    assert 'data-rows="4" data-transitions="3"' in html


def test_the_page_loads_nothing_and_allows_only_its_own_style_sheet(tmp_path):
    html, _ = drawn(tmp_path)
    parsed = Page(html)
    assert parsed.csp.startswith("default-src 'none'; ") and "script-src 'none'" in parsed.csp and "img-src 'none'" in parsed.csp
    assert parsed.style_hash() == page.csp_source(parsed.style)
    assert not {"script", "img", "link", "iframe", "object", "embed", "form", "base"} & set(parsed.tags)
    assert " style=" not in html  # no style attribute: the policy would refuse it


def test_outside_text_is_escaped_and_inert(tmp_path):
    html, _ = drawn(tmp_path, hostile=True)
    parsed = Page(html)
    text = "".join(parsed.text)
    assert not {"script", "img", "b"} & set(parsed.tags)  # none of the data's markup became an element
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;/style&gt;&lt;script&gt;alert(2)" in html
    assert "\u202e" not in html and "\r" not in html
    assert HOSTILE_SERVER.replace("\u202e", "") in [row["name"] for row in parsed.rows]
    # The attester's line break is a space: no line of the page reads as the tool's own "UNLOCKED".
    assert HOSTILE_BY.replace("\r\n", "  ").replace("\u202e", "") in text
    assert parsed.style_hash() == page.csp_source(parsed.style)


def test_a_state_with_nothing_recorded_is_drawn_as_nothing_recorded(tmp_path):
    spec = load(write_spec(tmp_path, require=["dns"]))
    html = run.report(spec, location.Folder(tmp_path / "empty"), NOW)
    parsed = Page(html)
    assert parsed.rows == []
    text = " ".join(parsed.text)
    for said in ("No verify round is recorded", "No gate decision is recorded", "No wave is recorded", "No attestation is recorded"):
        assert said in text


def test_the_moments_the_records_and_todays_checks_with_what_to_do(tmp_path):
    html, times = drawn(tmp_path)
    text = " ".join(Page(html).text)
    for said in ("gate decision #1: locked", "the announce wave sent", "data-saved attested by Mette Jensen",
                 "the new state first seen at every authoritative server", "safe time: every old TTL has run out",
                 "cutover: mail moves (the spec's date)", "nordlys-tekstil.dk. MX record 3600s (1h) 192.0.2.4"):
        assert said in text, said
    # The gate's DNS checks as of now: verified an hour ago, the 48h soak still to run, and what to do about it.
    checks = re.findall(r'<tr class="check" data-status="(\w+)"><td class="status \w+">\w+</td><td><code>([\w.-]+)</code>', html)
    assert ("pending", "timing.soak") in checks and ("pass", "dns.verified") in checks
    assert "wait until" in text and "1d22h to go" in text  # the soak's fix, and the card's time to go
    assert re.search(r'<tr class="wave"><td>announce</td><td>2</td><td>0</td><td>0</td>', html)
    assert re.findall(r'<tr class="decision" data-status="(\w+)">', html) == ["locked"]
    assert "Passed: delegation.parent-ns 1, record.match 1, resolver.fresh 1, timing.old-ttls 1." in text
