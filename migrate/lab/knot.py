"""One knotd per authoritative lab server: its config file and its control.

Each instance has its own rundir (control socket, pid file), storage (zone
files, journal, KASP and timer databases) and listens on one address, so
many instances and many worlds run side by side.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from migrate.errors import EnvironmentProblem
from migrate.lab.model import TsigKey


@dataclass
class ServedZone:
    """How one server serves one zone copy."""

    origin: str
    file: str
    master: str | None = None  # address of the primary when this is a secondary
    notify: list[str] = field(default_factory=list)  # secondaries to NOTIFY
    signed: bool = False
    tsig: TsigKey | None = None


def _rid(address: str) -> str:
    return "r_" + address.replace(".", "_")


def _kid(key: TsigKey) -> str:
    return "upd_" + key.name.rstrip(".").replace(".", "_").replace("-", "_")


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_text(address: str, rundir: Path, storage: Path, zones: list[ServedZone]) -> str:
    keys = {z.tsig.name: z.tsig for z in zones if z.tsig is not None}
    remotes = sorted({z.master for z in zones if z.master} | {a for z in zones for a in z.notify})
    lines = [
        "server:",
        f"    rundir: {_q(str(rundir))}",
        f"    listen: {address}@53",
        # one worker of each kind: a lab server answers a handful of queries
        "    udp-workers: 1",
        "    tcp-workers: 1",
        "    background-workers: 1",
        # answers above 1232 bytes truncate over UDP (DNS Flag Day 2020)
        "    udp-max-payload: 1232",
        "log:",
        "  - target: stderr",
        "    any: warning",
        "database:",
        f"    storage: {_q(str(storage))}",
    ]
    if keys:
        lines.append("key:")
        for key in keys.values():
            lines += [f"  - id: {key.name}", f"    algorithm: {key.algorithm}", f"    secret: {key.secret}"]
    if remotes:
        lines.append("remote:")
        for remote in remotes:
            lines += [f"  - id: {_rid(remote)}", f"    address: {remote}@53", f"    via: {address}"]
    lines += [
        "acl:",
        # transfers and NOTIFY between lab servers only (all on loopback)
        "  - id: lab_xfr",
        "    address: 127.0.0.0/8",
        "    action: [transfer, notify]",
    ]
    for key in keys.values():
        lines += [f"  - id: {_kid(key)}", f"    key: {key.name}", "    action: update"]
    if any(z.signed for z in zones):
        lines += [
            "policy:",
            "  - id: lab",
            "    algorithm: ecdsap256sha256",
            "    dnskey-ttl: 2",
            "    zone-max-ttl: 3600",
            "    propagation-delay: 0",
        ]
    lines += [
        # the server's own query counters (`knotc stats`), read by migrate.lab.counters; counting
        # the queries that carry an NSID option tells the verifier's (it asks for NSID) from the rest
        "mod-stats:",
        "  - id: lab",
        "    request-edns-option: on",
        "template:",
        "  - id: default",
        "    global-module: mod-stats/lab",
        f"    storage: {_q(str(storage / 'zones'))}",
        # lab zones may be broken on purpose (a CNAME at the apex, stale glue)
        "    semantic-checks: off",
        "    zonefile-sync: 0",
        "    journal-content: changes",
        "    retry-min-interval: 1",
        "    retry-max-interval: 2",
        "    refresh-min-interval: 2",
        "zone:",
    ]
    for zone in zones:
        lines += [f"  - domain: {_q(zone.origin)}", f"    file: {_q(zone.file)}"]
        acl = ["lab_xfr"] + ([_kid(zone.tsig)] if zone.tsig and not zone.master else [])
        lines.append(f"    acl: [{', '.join(acl)}]")
        if zone.master:
            lines.append(f"    master: {_rid(zone.master)}")
        if zone.notify:
            lines.append(f"    notify: [{', '.join(_rid(a) for a in zone.notify)}]")
        if zone.signed and not zone.master:
            lines += ["    dnssec-signing: on", "    dnssec-policy: lab"]
    return "\n".join(lines) + "\n"


def knotc(rundir: Path, *args: str, timeout: float = 10.0, check: bool = True) -> str:
    """Run one knotc command against this instance's control socket."""
    argv = ["knotc", "-s", str(rundir / "knot.sock"), "-t", str(max(1, int(timeout))), *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 5)
    except FileNotFoundError:
        raise EnvironmentProblem("knotc is not installed: apt-get install knot") from None
    if check and (done.returncode != 0 or "error" in done.stdout.lower()):
        raise EnvironmentProblem(f"knotc {' '.join(args)} failed: {(done.stdout + done.stderr).strip()}")
    return done.stdout
