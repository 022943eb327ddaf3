"""The user's spec as the lab runs it: the same migration, pointed at loopback.

Everything that decides the outcome is the user's (domain, dates, mail
provider, records, name servers, notify wording and recipients, gate
requirements and soak). Only where it would reach the Internet does the lab
stand in: the new DNS host becomes the lab's (RFC 2136, as for any
`dns.host`), verify asks the lab's root and resolvers, the waves go to the
lab's SMTP relay, Graph is left out and the facts are the rehearsal's own
(simulated). Paths are made absolute, since the lab's copy lives elsewhere.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import yaml

from migrate import limits, spec as spec_module
from migrate.spec import Spec

FACTS = "facts.simulated.yaml"
SECRET_ENV = "M365_EXIT_REHEARSE_TSIG_SECRET"


@dataclass(frozen=True)
class Lab:
    """Where the lab's stand-ins answer."""

    rfc2136_server: str
    tsig_name: str
    root_hints: list[str]
    resolvers: list[str]
    smtp_port: int
    old_nameservers: list[str]


def raw(path: Path) -> dict:
    """The spec file's data as written (after `spec.load` has accepted it)."""
    return spec_module.yaml_data(limits.read_text(path, limits.SPEC_BYTES, "spec file"), path)


def _absolute(user: Spec, value) -> str | None:
    return None if value is None else str(user.resolve_path(Path(value)).resolve())


def data(written: dict, user: Spec, lab: Lab, folder: Path) -> dict:
    """The lab's spec data: the user's, with the lab's stand-ins; its own files (the facts) in `folder`."""
    out = copy.deepcopy(written)
    source = out.setdefault("source", {})
    source.pop("graph", None)  # no tenant to ask: the facts are simulated
    source["nameservers"] = [n.rstrip(".") for n in lab.old_nameservers]
    dns = out["dns"]
    dns["host"] = "rfc2136"
    dns.pop("cloudflare", None)
    dns["zone_file"] = _absolute(user, user.dns.zone_file)
    dns["rfc2136"] = {"server": lab.rfc2136_server, "key_name": lab.tsig_name, "secret_env": SECRET_ENV, "timeout": 5}
    notify = out.get("notify")
    if notify is not None:
        for key in ("recipients", "templates"):
            if notify.get(key) is not None:
                notify[key] = _absolute(user, notify[key])
        notify["smtp"] = {"host": "127.0.0.1", "port": lab.smtp_port, "starttls": False, "timeout": 10,
                          "rate_per_minute": 60000, "retries": 1, "retry_delay": "1s"}
    # Quick to give up on a lab server, fast to ask: the lab answers in microseconds.
    out["verify"] = {"resolvers": lab.resolvers, "root_hints": lab.root_hints, "timeout": "1s", "retries": 1,
                     "resolver_rate": 500, "server_rate": 1000, "parent_rate": 1000}  # every server is the lab's
    out.setdefault("gate", {})["facts"] = str((folder / FACTS).resolve())
    return out


def write(folder: Path, written: dict, user: Spec) -> Spec:
    """The lab's spec, kept in `folder` for the record; it answers to the user's file name, so that a
    message about one of its keys names the file the user wrote."""
    header = "# The spec as `migrate rehearse` ran it: the user's, with the lab's stand-ins (loopback addresses).\n"
    (folder / "migration.yaml").write_text(header + yaml.safe_dump(written, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return spec_module.parse(written, user.path)
