"""The Pulumi program's pre-flight: the records Cloudflare's add-site scan left in the zone are
found before anything is created, each named with what to do.

The program runs under Pulumi's mock runtime; the zone is listed from a loopback server
answering as Cloudflare's list-records API documents (pages described by result_info)."""

from __future__ import annotations

import sys
import time

import pytest

from tests.helpers.cloudflare_api import TOKEN, ZONE_ID, record
from tests.helpers.examples import EXAMPLE, STACKS
from tests.helpers.pulumi_mocks import Recorder, run_program

sys.path.insert(0, str(STACKS))
import cloudflare_preflight  # noqa: E402

DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
DOMAIN = "nordlys-tekstil.dk"


@pytest.fixture(autouse=True)
def quiet_failed_programs(event_loop_for_pulumi):
    """The mock runtime leaves a failed program's future unretrieved; asyncio would print it at exit."""

    def handler(loop, context):
        if not isinstance(context.get("exception"), cloudflare_preflight.PreflightError):
            loop.default_exception_handler(context)

    event_loop_for_pulumi.set_exception_handler(handler)


def config(api, **more) -> dict:
    return {"m365-exit:spec": str(EXAMPLE), "m365-exit:zoneId": ZONE_ID, "cloudflare:baseUrl": api.url, "cloudflare:apiToken": TOKEN, **more}


def declared(mocks: Recorder) -> list[dict]:
    return [r for r in mocks.resources.values() if r["resource_type"] == DNS_RECORD]


def scan_copies() -> list[dict]:
    """What the add-site scan copies from a Microsoft 365 domain, plus one record the plan also declares."""
    return [
        record("0a1", DOMAIN, "MX", "nordlystekstil-dk.mail.protection.outlook.com", priority=0),
        record("0a2", f"autodiscover.{DOMAIN}", "CNAME", "autodiscover.outlook.com"),
        record("0a3", DOMAIN, "TXT", '"MS=ms12345678"'),
        record("0a4", f"ftp.{DOMAIN}", "A", "198.51.100.7"),
        record("0a5", f"www.{DOMAIN}", "CNAME", DOMAIN),  # the plan declares www CNAME nordlys-tekstil.dk too
        record("0a6", f"shop.{DOMAIN}", "A", "203.0.113.99", comment=cloudflare_preflight.MARK),  # this stack's own
    ]


def test_scan_copies_fail_the_program_before_any_record_is_created(cloudflare_api, event_loop_for_pulumi):
    cloudflare_api.records = scan_copies()
    mocks = Recorder()
    with pytest.raises(Exception) as raised:
        run_program(config(cloudflare_api), event_loop_for_pulumi, mocks)
    text = str(raised.value)
    assert isinstance(raised.value, cloudflare_preflight.PreflightError)
    assert declared(mocks) == []  # every record waits for the check: none was registered
    # Every page was read, though the server's pages are smaller than asked for.
    assert [r["query"]["page"] for r in cloudflare_api.requests] == ["1", "2", "3"]
    assert {r["auth"] for r in cloudflare_api.requests} == {f"Bearer {TOKEN}"}
    assert f"the Cloudflare zone {ZONE_ID} already holds 5 record(s)" in text and "Nothing was created" in text
    lines = {line.split(" (id ")[0].strip(" -"): line for line in text.splitlines() if line.startswith("  - ")}
    assert "a Microsoft 365 record the plan removes: delete it" in lines[f"{DOMAIN} MX 0 nordlystekstil-dk.mail.protection.outlook.com"]
    assert "Microsoft 365" in lines[f"autodiscover.{DOMAIN} CNAME autodiscover.outlook.com"]
    assert "Microsoft 365" in lines[f'{DOMAIN} TXT "MS=ms12345678"']
    assert "not in the plan: delete it, or add it to dns.records" in lines[f"ftp.{DOMAIN} A 198.51.100.7"]
    www = lines[f"www.{DOMAIN} CNAME {DOMAIN}"]
    assert "pulumi import cloudflare:index/dnsRecord:DnsRecord 'CNAME-www.nordlys-tekstil.dk-" in www and f"'{ZONE_ID}/0a5'" in www
    assert "pulumi config set --path 'm365-exit:adopted[0]' 0a5" in www
    assert not any("shop" in line for line in lines)  # MARKed: Pulumi's own
    assert TOKEN not in text


def test_a_zone_of_this_stacks_own_and_adopted_records_passes(cloudflare_api, event_loop_for_pulumi):
    cloudflare_api.records = [r for r in scan_copies() if r["id"] in ("0a5", "0a6")]
    mocks = run_program(config(cloudflare_api, **{"m365-exit:adopted": '["0a5"]'}), event_loop_for_pulumi)
    records = declared(mocks)
    assert records and {r["zoneId"] for r in records} == {ZONE_ID}
    assert {r["comment"] for r in records} == {cloudflare_preflight.MARK}  # how the next run knows them


def test_a_refused_listing_fails_with_cloudflares_words_and_never_the_token(cloudflare_api, event_loop_for_pulumi):
    cloudflare_api.mode = "forbidden"
    mocks = Recorder()
    with pytest.raises(Exception) as raised:
        run_program(config(cloudflare_api), event_loop_for_pulumi, mocks)
    text = str(raised.value)
    assert "HTTP 403: 9109: Invalid access token" in text and "Zone:DNS:Read" in text
    assert TOKEN not in text and "***" in text
    assert declared(mocks) == []


def test_without_credentials_there_is_nothing_to_check(cloudflare_api, event_loop_for_pulumi):
    settings = config(cloudflare_api)
    del settings["cloudflare:apiToken"]
    mocks = run_program(settings, event_loop_for_pulumi)
    assert cloudflare_api.requests == [] and declared(mocks)


def creds() -> cloudflare_preflight.Credentials:
    return cloudflare_preflight.Credentials(token=TOKEN)


def test_the_listing_is_bounded_in_time(cloudflare_api, monkeypatch):
    cloudflare_api.mode = "drip"
    monkeypatch.setattr(cloudflare_preflight, "DEADLINE", 2.0)
    started = time.monotonic()
    with pytest.raises(cloudflare_preflight.PreflightError, match="within 2 s"):
        cloudflare_preflight.existing(cloudflare_api.url, ZONE_ID, creds())
    assert time.monotonic() - started < 6


def test_the_listing_is_bounded_in_size_and_pages(cloudflare_api, monkeypatch):
    cloudflare_api.mode = "huge"
    with pytest.raises(cloudflare_preflight.PreflightError, match="larger than 8 MiB"):
        cloudflare_preflight.existing(cloudflare_api.url, ZONE_ID, creds())
    cloudflare_api.mode = "endless"
    cloudflare_api.records = scan_copies()
    monkeypatch.setattr(cloudflare_preflight, "MAX_PAGES", 4)
    with pytest.raises(cloudflare_preflight.PreflightError, match="more than 4 pages"):
        cloudflare_preflight.existing(cloudflare_api.url, ZONE_ID, creds())
    assert len(cloudflare_api.requests) == 1 + 4


def test_a_zone_id_is_never_a_path(cloudflare_api):
    with pytest.raises(cloudflare_preflight.PreflightError, match="not a Cloudflare id"):
        cloudflare_preflight.existing(cloudflare_api.url, "../../user/tokens", creds())
    assert cloudflare_api.requests == []


def test_outside_text_in_a_listed_record_stays_on_its_line():
    hostile = record("0b1\n  - forged", f"evil.{DOMAIN}\x1b[2J", "TXT", '"a\nb"')
    (line,) = cloudflare_preflight.problems([hostile], [], ZONE_ID, DOMAIN)
    assert "\n" not in line and "\x1b" not in line
    assert "pulumi import" not in line  # an id of another shape never goes into a command line
