"""One Unbound per lab resolver: a caching recursive resolver that knows only
the lab root (root hints), optionally validating against the lab root's key
and saying why validation failed (extended DNS errors). Unbound also plays a
network's port-53 interceptor (`interceptor_config_text`).

Options chosen so that cache behaviour is exact and easy to reason about:
no prefetch, no serve-expired, no QNAME minimisation; `do-not-query-localhost:
no` because every lab server is on 127.0.0.0/8. Remote control listens on a
unix socket in the resolver's directory so caches can be flushed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from migrate.errors import EnvironmentProblem


def _q(text: str) -> str:
    return '"' + text + '"'


def root_hints_text(hints: list[tuple[str, str]]) -> str:
    """Root hints file: (host name, address) of each lab root server."""
    lines = [f".  3600000  NS  {host}" for host in dict.fromkeys(h for h, _ in hints)]
    lines += [f"{host}  3600000  A  {addr}" for host, addr in hints]
    return "\n".join(lines) + "\n"


def _server_lines(address: str, directory: Path) -> list[str]:
    """One foreground Unbound on one loopback address, logging to its output."""
    return [
        "server:",
        f"    interface: {address}",
        "    port: 53",
        "    interface-automatic: no",
        "    do-daemonize: no",
        '    username: ""',
        '    chroot: ""',
        '    pidfile: ""',
        '    logfile: ""',
        "    use-syslog: no",
        "    verbosity: 0",
        f"    directory: {_q(str(directory))}",
    ]


def config_text(address: str, directory: Path, hints_file: Path, trust_anchor: list[str] | None) -> str:
    lines = [
        *_server_lines(address, directory),
        "    access-control: 127.0.0.0/8 allow",
        "    do-ip6: no",
        "    do-not-query-localhost: no",
        f"    root-hints: {_q(str(hints_file))}",
        "    qname-minimisation: no",
        "    harden-referral-path: no",
        "    prefetch: no",
        "    prefetch-key: no",
        "    serve-expired: no",
        "    num-threads: 1",
        "    so-reuseport: no",
        "    outgoing-range: 64",
        "    num-queries-per-thread: 32",
        "    msg-cache-size: 1m",
        "    rrset-cache-size: 1m",
        "    key-cache-size: 1m",
        "    neg-cache-size: 1m",
        "    infra-cache-numhosts: 1000",
        # remember a dead or lame server only briefly, so a server that is
        # started again is used again within the seconds a test waits
        "    infra-host-ttl: 2",
        "    edns-buffer-size: 1232",
        "    minimal-responses: no",
        # say why an answer failed (RFC 8914): "Signature Expired" beside the SERVFAIL
        "    ede: yes",
    ]
    if trust_anchor:
        lines.append('    module-config: "validator iterator"')
        lines += [f"    trust-anchor: {_q(ta)}" for ta in trust_anchor]
        lines.append("    val-log-level: 2")
        # no clock-skew allowance: a signature the lab made expired or not yet valid is bogus
        # exactly as its window says (Unbound's default forgives up to a day either side)
        lines += ["    val-sig-skew-min: 0", "    val-sig-skew-max: 0"]
    else:
        lines.append('    module-config: "iterator"')
    lines += [
        "remote-control:",
        "    control-enable: yes",
        f"    control-interface: {_q(str(directory / 'control.sock'))}",
        "    control-use-cert: no",
    ]
    return "\n".join(lines) + "\n"


# The interceptor's whole world: a root zone with nothing below it, so every name is NXDOMAIN.
EMPTY_ROOT_ZONE = (
    ".  60  IN  SOA  intercept.invalid. hostmaster.intercept.invalid. 1 60 60 60 60\n"
    ".  60  IN  NS   intercept.invalid.\n"
)


def interceptor_config_text(address: str, directory: Path, root_zone: Path) -> str:
    """A network's port-53 interceptor, as hotel and corporate networks run one: it answers
    every question itself, recursion bit or not (`allow_setrd`), from its own view (an empty
    root used as upstream data only), so its NXDOMAIN comes without the AA flag."""
    lines = [
        *_server_lines(address, directory),
        "    access-control: 127.0.0.0/8 allow_setrd",
        "    do-ip6: no",
        '    module-config: "iterator"',
        "auth-zone:",
        '    name: "."',
        f"    zonefile: {_q(str(root_zone))}",
        "    for-downstream: no",
        "    for-upstream: yes",
        "remote-control:",
        "    control-enable: no",
    ]
    return "\n".join(lines) + "\n"


def control(config: Path, *args: str, timeout: float = 10.0) -> str:
    try:
        done = subprocess.run(
            ["unbound-control", "-c", str(config), *args], capture_output=True, text=True, timeout=timeout
        )
    except FileNotFoundError:
        raise EnvironmentProblem("unbound-control is not installed: apt-get install unbound") from None
    if done.returncode != 0:
        raise EnvironmentProblem(f"unbound-control {' '.join(args)} failed: {(done.stdout + done.stderr).strip()}")
    return done.stdout
