"""Before any record is created: the records already in the Cloudflare zone, against the ones this stack declares.

Cloudflare's add-site scan copies the domain's old records into the new zone,
Microsoft 365's among them. A copy of a record this stack declares makes its
create fail half-way through `pulumi up` (an identical record, or a CNAME
beside another record, is refused); a copy the plan does not declare stays
and keeps answering once the zone is live: an old MX sends mail to
Microsoft, an old autodiscover keeps Outlook there. So the program lists the
zone (GET /zones/{zone_id}/dns_records, every page, bounded in time, size
and pages) and, when any record there is not this stack's own, fails
`pulumi preview` and `pulumi up` with one message naming each record and
what to do: `pulumi import` for a copy of a declared record, delete the rest.

The records this stack creates carry MARK as their comment: those are
Pulumi's to update or delete, and the check leaves them alone, as it leaves
the ones the user imported and listed in `m365-exit:adopted` (an import
keeps the record's old comment until the next `pulumi up` sets MARK). The
records wait for the check: their zone_id is its result.

The listing uses the provider's credentials (an API token, or the legacy key
and e-mail); without any the provider cannot create anything either, so
there is nothing to check and the check says so.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass

import httpx
import pulumi

from cloudflare_records import CloudflareRecord
from migrate import footprint, secrets, text
from migrate.errors import MigrateError
from migrate.zone import RRset

MARK = "m365-exit: managed by Pulumi; do not edit"
API = "https://api.cloudflare.com/client/v4"
PER_PAGE = 100  # Cloudflare's documented default page size
MAX_PAGES = 100  # 10,000 records: more than any zone a self-service exit concerns
MAX_PAGE_BYTES = 8 * 1024 * 1024
DEADLINE = 60.0  # seconds for the whole listing
READ_TIMEOUT = 15.0
SHOWN = 200  # records named in the message; the rest counted
IMPORT = "pulumi import cloudflare:index/dnsRecord:DnsRecord"

# Cloudflare's ids are 32 hex digits; anything else with a character for a URL path or a shell is refused.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_HOSTNAME_TYPES = {"CNAME", "MX", "NS", "PTR"}


class PreflightError(pulumi.RunError):
    """The zone could not be listed, or holds records to deal with first: the program stops with this message, no traceback."""


@dataclass(frozen=True)
class Credentials:
    token: str | None = None
    key: str | None = None
    email: str | None = None

    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        return {"X-Auth-Key": self.key or "", "X-Auth-Email": self.email or ""}

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.token, self.key) if s)


# -- listing the zone ------------------------------------------------------------


def _get(client: httpx.Client, url: str, params: dict, creds: Credentials, end: float) -> tuple[int, bytes]:
    """One exchange, body included, ended by `end` (a monotonic time) and MAX_PAGE_BYTES.

    httpx bounds each read, not an exchange: a server dripping a byte at a
    time never trips a read timeout. So the exchange runs in a worker and
    the caller waits no longer than the time left; then the client is
    closed, which ends the worker's socket.
    """
    outcome: dict = {}

    def exchange() -> None:
        try:
            with client.stream("GET", url, params=params, headers=creds.headers()) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_PAGE_BYTES:
                        raise PreflightError(f"Cloudflare's answer is larger than {MAX_PAGE_BYTES // 2**20} MiB a page; giving up")
                outcome["answer"] = (response.status_code, bytes(body))
        except Exception as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=exchange, name="cloudflare-list", daemon=True)
    worker.start()
    worker.join(max(0.0, end - time.monotonic()))
    if worker.is_alive():
        client.close()
        raise PreflightError(f"Cloudflare did not list the zone's records within {DEADLINE:g} s; giving up")
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, PreflightError):
            raise error
        raise PreflightError(f"cannot reach Cloudflare: {type(error).__name__}: {error}")
    return outcome["answer"]


def _page(status: int, body: bytes) -> tuple[list, int]:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise PreflightError(f"Cloudflare answered HTTP {status} with something that is not its JSON envelope")
    if status != 200 or data.get("success") is not True:
        errors = data.get("errors") if isinstance(data.get("errors"), list) else []
        said = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors if isinstance(e, dict)) or "no error given"
        raise PreflightError(f"Cloudflare refused to list the zone's records (HTTP {status}: {said}); the token needs Zone:DNS:Read or Edit on the zone")
    result, info = data.get("result"), data.get("result_info")
    pages = info.get("total_pages") if isinstance(info, dict) else None
    if not isinstance(result, list) or not isinstance(pages, int) or isinstance(pages, bool):
        raise PreflightError("Cloudflare's answer has no `result` list or `result_info.total_pages`")
    return [r for r in result if isinstance(r, dict)], pages


def existing(base_url: str, zone_id: str, creds: Credentials) -> list[dict]:
    """Every DNS record in the zone, as Cloudflare lists them."""
    if not _ID.match(zone_id):
        raise PreflightError(f"the zone id {zone_id!r} is not a Cloudflare id")
    url = f"{base_url.rstrip('/')}/zones/{zone_id}/dns_records"
    end = time.monotonic() + DEADLINE
    records: list[dict] = []
    timeout = httpx.Timeout(READ_TIMEOUT)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": "m365-exit"}) as client:
            page, pages = 1, 1
            while page <= pages:
                if page > MAX_PAGES:
                    raise PreflightError(f"the zone lists more than {MAX_PAGES} pages of {PER_PAGE} records; giving up")
                found, pages = _page(*_get(client, url, {"page": page, "per_page": PER_PAGE}, creds, end))
                records += found
                page += 1
    except PreflightError as error:
        raise PreflightError(secrets.scrub(str(error), *creds.secrets())) from None
    return records


# -- comparing -------------------------------------------------------------------


def _host(value: object) -> str:
    return str(value).rstrip(".").lower()


def _same_value(a: object, b: object) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return _host(a) == _host(b)


def _matches(record: dict, declared: CloudflareRecord) -> bool:
    """The listed record is the declared one: name, type and value (content, priority or data)."""
    if (_host(record.get("name", "")), str(record.get("type", ""))) != (declared.name.lower(), declared.type):
        return False
    if declared.content is not None:
        content = str(record.get("content", ""))
        same = _host(content) == _host(declared.content) if declared.type in _HOSTNAME_TYPES else content.strip('"') == declared.content.strip('"')
        if not same:
            return False
    if declared.priority is not None and not _same_value(record.get("priority"), declared.priority):
        return False
    data = record.get("data") if isinstance(record.get("data"), dict) else {}
    return all(_same_value(data.get(key), value) for key, value in (declared.data or {}).items())


def _microsoft(record: dict, domain: str) -> bool:
    kind, content = str(record.get("type", "")), str(record.get("content", ""))
    priority = record.get("priority", 0)
    value = {"MX": f"{priority} {content}.", "SRV": f"{priority} {content}.", "CNAME": f"{content}.", "NS": f"{content}.", "TXT": content}.get(kind)
    if value is None:
        return False
    try:
        return bool(footprint.classify(RRset.build(_host(record.get("name", "")) + ".", kind, 300, [value]), domain).removed)
    except (MigrateError, ValueError):
        return False


def _shown(record: dict) -> str:
    kind = str(record.get("type", ""))
    value = record.get("content", "")
    if kind in ("MX", "URI") or (kind == "SRV" and not value):
        value = f"{record.get('priority', '')} {value}".strip()
    return text.line(f"{record.get('name', '')} {kind} {value}")[:300]


def problems(records: list[dict], declared: list[CloudflareRecord], zone_id: str, domain: str, adopted: frozenset[str] = frozenset()) -> list[str]:
    """One line per record this stack does not manage, saying what to do with it."""
    lines = []
    slot = len(adopted)  # the next free index in m365-exit:adopted
    for record in records:
        if record.get("comment") == MARK or record.get("id") in adopted:
            continue
        ident = text.line(str(record.get("id", "")))
        twin = next((d for d in declared if _matches(record, d)), None)
        # Only an id of Cloudflare's shape goes into a command line for the user to paste.
        if twin is not None and _ID.match(ident):
            fix = (
                f"the plan declares this record: adopt it with `{IMPORT} '{twin.logical_name}' '{zone_id}/{ident}'` "
                f"and `pulumi config set --path 'm365-exit:adopted[{slot}]' {ident}`, or delete it and let Pulumi create it"
            )
            slot += 1
        elif _microsoft(record, domain):
            fix = "a Microsoft 365 record the plan removes: delete it"
        else:
            fix = "not in the plan: delete it, or add it to dns.records in the spec to keep it"
        lines.append(f"{_shown(record)} (id {ident}): {fix}")
    return lines


def message(lines: list[str], zone_id: str) -> str:
    shown = "\n".join(f"  - {line}" for line in lines[:SHOWN])
    more = f"\n  ... and {len(lines) - SHOWN} more" if len(lines) > SHOWN else ""
    return (
        f"the Cloudflare zone {zone_id} already holds {len(lines)} record(s) this stack does not manage "
        "(Cloudflare's add-site scan copies the old zone, Microsoft 365's records included). Nothing was created. "
        f"Deal with each (delete: Cloudflare dashboard > DNS > Records), then run Pulumi again:\n{shown}{more}"
    )


# -- in the Pulumi program ---------------------------------------------------------


def _credentials(config: pulumi.Config) -> pulumi.Output:
    """The provider's credentials as it finds them: stack config first, then its environment variables."""

    def pick(name: str, env: str) -> pulumi.Output:
        return config.get_secret(name) or pulumi.Output.from_input(os.environ.get(env))

    return pulumi.Output.all(pick("apiToken", "CLOUDFLARE_API_TOKEN"), pick("apiKey", "CLOUDFLARE_API_KEY"), pick("email", "CLOUDFLARE_EMAIL")).apply(
        lambda values: Credentials(*values)
    )


def checked(zone_id: pulumi.Output, declared: list[CloudflareRecord], domain: str, stack_config: pulumi.Config) -> pulumi.Output:
    """`zone_id`, once the zone holds no record this stack does not manage; the program fails otherwise."""
    config = pulumi.Config("cloudflare")
    base_url = config.get("baseUrl") or API
    adopted = stack_config.get_object("adopted") or []
    if not isinstance(adopted, list) or not all(isinstance(i, str) for i in adopted):
        raise PreflightError("m365-exit:adopted: give a list of Cloudflare record ids")

    def check(args: list) -> str:
        zone, creds = args
        if not (creds.token or (creds.key and creds.email)):
            pulumi.log.warn("no Cloudflare credentials: the zone's existing records are not checked (the provider cannot create any either)")
            return zone
        found = problems(existing(base_url, zone, creds), declared, zone, domain, frozenset(adopted))
        if found:
            raise PreflightError(message(found, zone))
        return zone

    # The credentials are secret; the zone id they let us check is not.
    return pulumi.Output.unsecret(pulumi.Output.all(zone_id, _credentials(config)).apply(check))
