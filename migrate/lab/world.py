"""A running lab world: real knotd and unbound processes on loopback, port 53.

`World.start(spec)` writes every config and zone file under one temporary
directory, starts all daemons at once and returns when every server answers
with the data it should (polling with dnspython, never fixed sleeps). The
operations change the running world the way the Internet changes: a zone
edit at its primary (RFC 2136 or a reload) that secondaries pick up by
NOTIFY and transfer; a new delegation or DS at the parent; a server that
stops, goes silent, refuses, falls behind or has its address taken by a
network's port-53 interceptor; resolvers whose caches are kept or flushed.

Every method that changes data waits until the change is served everywhere
it should be, so a test can assert right after it.
"""

from __future__ import annotations

import atexit
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update
import dns.zone

from migrate.errors import BadInput, EnvironmentProblem
from migrate.lab import env, knot, layout, probe, procs, signer, unbound
from migrate.lab.model import Delegation, LabZone, Signatures, TsigKey, WorldSpec
from migrate.zone import RRset, Zone, canonical

_DNSSEC_TYPES = {"RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY"}
_live_worlds: weakref.WeakSet[World] = weakref.WeakSet()


@atexit.register
def _stop_live_worlds() -> None:
    """A world nobody stopped (an interrupted test, a crashed demo) goes at exit,
    files and all; procs' own hook then catches any process left."""
    for world in list(_live_worlds):
        world.stop()


class World:
    """A started lab world. Use `World.start(spec)`; stop with `stop()` or `with`."""

    def __init__(self, spec: WorldSpec, *, base_dir: Path | str | None = None, keep_files: bool = False) -> None:
        self.spec = spec
        self.keep_files = keep_files
        self._validate()
        env.check_binaries()
        self._slot = env.Slot()
        try:
            self.addresses: dict[str, str] = layout.assign_addresses(spec, self._slot.prefix)
            env.check_port_53(next(iter(self.addresses.values()), self._slot.prefix + "1"))
        except BaseException:
            self._slot.release()
            raise
        self.dir = Path(tempfile.mkdtemp(prefix=f"m365-lab-{spec.name}-", dir=base_dir))
        self.delegations: dict[str, Delegation] = layout.initial_delegations(spec)
        self._contents: dict[str, Zone] = {z.key: layout.base_content(z) for z in spec.zones}
        self._serials: dict[str, int] = {z.key: 100 for z in spec.zones}
        # the keys of each copy the lab signs itself: kept, so that re-signing keeps the DS valid
        self._keys: dict[str, signer.ZoneKeys] = {z.key: signer.ZoneKeys.generate() for z in spec.zones if z.signatures}
        self._procs: dict[str, subprocess.Popen] = {}
        self.muted: set[str] = set()
        self.stopped: set[str] = set()
        self.intercepted: set[str] = set()  # an interceptor answers at their addresses (`intercept`)
        self.refused: set[tuple[str, str]] = set()  # (server, zone key)
        self.frozen: set[tuple[str, str]] = set()
        self.standalone: dict[tuple[str, str], Zone] = {}
        self._lock = threading.RLock()
        self._closed = False
        self.startup_seconds: float | None = None
        _live_worlds.add(self)

    # -- construction ------------------------------------------------------

    @classmethod
    def start(cls, spec: WorldSpec, *, timeout: float = 20.0, **kwargs) -> World:
        world = cls(spec, **kwargs)
        try:
            world._start(timeout)
        except BaseException:
            world.stop()
            raise
        return world

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _validate(self) -> None:
        names = {s.name for s in self.spec.servers}
        keys: set[str] = set()
        for zone in self.spec.zones:
            if zone.key in keys:
                raise BadInput(f"lab: two zones have the key {zone.key!r}")
            keys.add(zone.key)
            for server in zone.servers:
                if server not in names:
                    raise BadInput(f"lab zone {zone.key}: no server named {server!r}")
        for server in self.spec.authoritative:
            origins = [z.origin for z in self.spec.zones if server.name in z.servers]
            if len(origins) != len(set(origins)):
                raise BadInput(f"lab: server {server.name} serves two copies of one zone")
        if self.spec.resolvers and "." not in {z.origin for z in self.spec.zones}:
            raise BadInput("lab: resolvers need a root zone '.' in the world")

    def _start(self, timeout: float) -> None:
        began = time.monotonic()
        deadline = began + timeout
        for server in self.spec.authoritative:
            self._write_knot(server.name, initial=True)
        validating = [r for r in self.spec.resolvers if r.validate]
        plain = [r for r in self.spec.resolvers if not r.validate]
        hints = self._write_hints()
        for server in plain:
            self._write_unbound(server.name, hints, None)
        for server in self.spec.authoritative:
            self._spawn(server.name)
        for server in plain:
            self._spawn(server.name)
        self._wait_all_synced(deadline)
        signed = [z for z in self.spec.zones if z.dnssec and z.delegated and z.origin in self.delegations]
        if signed:
            changed_parents = set()
            for zone in signed:
                self.delegations[zone.origin].ds = tuple(self.ds_of(zone.key))
                changed_parents.add(layout.parent_of(zone.origin, layout.origins(self.spec)))
            for parent in changed_parents:
                for copy in self._copies(parent):
                    self._publish(copy.key, wait=False)
            self._wait_all_synced(deadline)
        if validating:
            anchor = self._root_anchor()
            for server in validating:
                self._write_unbound(server.name, hints, anchor)
                self._spawn(server.name)
        self._wait(lambda: all(probe.answers(self.addresses[r.name]) for r in self.spec.resolvers), deadline, "resolvers to answer")
        self.startup_seconds = time.monotonic() - began

    # -- files ---------------------------------------------------------------

    def _server_dir(self, name: str) -> Path:
        path = self.dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _zone_file(self, server: str, key: str) -> Path:
        safe = key.rstrip(".").replace("/", "_") or "root"
        path = self._server_dir(server) / "db" / "zones" / f"{safe}.zone"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _role(self, server: str, zone: LabZone) -> str:
        """'primary', 'secondary' or 'standalone' for this server's copy."""
        if (server, zone.key) in self.standalone:
            return "standalone"
        if zone.replicate and server != zone.servers[0]:
            return "secondary"
        return "primary"

    def _served_zones(self, server: str) -> list[knot.ServedZone]:
        served = []
        for zone in self.spec.zones:
            if server not in zone.servers or (server, zone.key) in self.refused:
                continue
            role = self._role(server, zone)
            item = knot.ServedZone(origin=zone.origin, file=str(self._zone_file(server, zone.key)))
            if role == "secondary":
                item.master = self.addresses[zone.servers[0]]
            elif role == "primary":
                item.signed = zone.signed
                item.tsig = zone.tsig
                if zone.replicate:
                    item.notify = [
                        self.addresses[s]
                        for s in zone.servers[1:]
                        if (s, zone.key) not in self.standalone and (s, zone.key) not in self.refused
                    ]
            served.append(item)
        return served

    def _write_knot(self, server: str, initial: bool = False) -> None:
        base = self._server_dir(server)
        (base / "run").mkdir(exist_ok=True)
        if initial:
            for zone in self.spec.zones:
                if server in zone.servers and self._role(server, zone) == "primary":
                    self._render_to(server, zone)
        text = knot.config_text(self.addresses[server], base / "run", base / "db", self._served_zones(server))
        (base / "knot.conf").write_text(text)

    def _render_to(self, server: str, zone: LabZone, serial: int | None = None) -> Zone:
        rendered = layout.render(
            zone, self.spec, self.addresses, self.delegations, serial or self._serials[zone.key], self._contents[zone.key]
        )
        self._write_zone(server, zone, rendered)
        return rendered

    def _write_zone(self, server: str, zone: LabZone, rendered: Zone) -> None:
        """The zone file a server loads: signed here first when the lab signs this copy."""
        if zone.signatures is not None:
            rendered = signer.sign(rendered, self._keys[zone.key], zone.signatures, datetime.now(timezone.utc))
        self._zone_file(server, zone.key).write_text(rendered.to_text())

    def _write_hints(self) -> Path:
        hints = []
        for root in self._copies("."):
            for name in root.servers:
                for host in self.spec.server(name).hostnames:
                    hints.append((host, self.addresses[name]))
        path = self.dir / "root.hints"
        path.write_text(unbound.root_hints_text(hints))
        return path

    def _write_unbound(self, server: str, hints: Path, anchor: list[str] | None) -> None:
        base = self._server_dir(server)
        (base / "unbound.conf").write_text(unbound.config_text(self.addresses[server], base, hints, anchor))

    def _root_anchor(self) -> list[str]:
        roots = [z for z in self._copies(".") if z.signed]
        if not roots:
            raise BadInput("lab: a validating resolver needs a signed root zone")
        return [f". DS {ds}" for ds in self.ds_of(roots[0].key)]

    # -- processes -------------------------------------------------------------

    def _argv(self, server: str) -> list[str]:
        base = self._server_dir(server)
        if server in self.intercepted:
            return ["unbound", "-d", "-c", str(base / "interceptor" / "unbound.conf")]
        if self.spec.server(server).role == "resolver":
            return ["unbound", "-d", "-c", str(base / "unbound.conf")]
        return ["knotd", "-c", str(base / "knot.conf")]

    def _spawn(self, server: str) -> None:
        self._procs[server] = procs.spawn(self._argv(server), self._server_dir(server) / "log")

    def _check_alive(self) -> None:
        for name, proc in self._procs.items():
            if name not in self.stopped and proc.poll() is not None:
                log = (self._server_dir(name) / "log").read_text(errors="replace").strip().splitlines()
                tail = log[-1] if log else "no output"
                raise EnvironmentProblem(f"lab server {name} ({self._argv(name)[0]}) exited: {tail}")

    def _wait(self, ready, deadline: float, what: str) -> None:
        delay = 0.005
        while True:
            self._check_alive()
            if ready():
                return
            if time.monotonic() > deadline:
                raise EnvironmentProblem(f"lab: timed out waiting for {what} (files in {self.dir})")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _answering(self, server: str) -> bool:
        return server not in self.muted and server not in self.stopped and server not in self.intercepted

    def _in_sync(self, zone: LabZone, kick: bool) -> bool:
        """All live, non-stale servers of a copy serve the primary's serial."""
        members = [s for s in zone.servers if (s, zone.key) not in self.refused and self._answering(s)]
        primaries = [s for s in members if self._role(s, zone) == "primary"]
        if not primaries and zone.servers[0] in members:
            primaries = [zone.servers[0]]
        want = {s: probe.serial(self.addresses[s], zone.origin) for s in primaries}
        if not want:
            return True  # no live primary: nothing to wait for
        if None in want.values():
            return False
        # a reload is asynchronous: the primaries must serve what was written
        if any(serial < self._serials[zone.key] for serial in want.values()):
            return False
        target = want[primaries[0]] if zone.replicate else None
        lagging = []
        for server in members:
            if self._role(server, zone) != "secondary" or (server, zone.key) in self.frozen:
                continue
            if probe.serial(self.addresses[server], zone.origin) != target:
                lagging.append(server)
        if lagging and kick:
            for server in lagging:
                knot.knotc(self._server_dir(server) / "run", "zone-refresh", zone.origin, check=False, timeout=2)
        return not lagging

    def _wait_synced(self, keys: Iterable[str], deadline: float) -> None:
        zones = [self.spec.zone(k) for k in keys]
        started = time.monotonic()
        last_kick = started

        def ready() -> bool:
            nonlocal last_kick
            now = time.monotonic()
            # NOTIFY usually does it; a refresh kick covers a NOTIFY sent before
            # the secondary listened, without waiting for the SOA refresh timer.
            kick = now - last_kick > 0.25
            if kick:
                last_kick = now
            with ThreadPoolExecutor(max_workers=8) as pool:
                return all(pool.map(lambda z: self._in_sync(z, kick), zones))

        self._wait(ready, deadline, f"zones {', '.join(k for k in keys)} to be served")

    def _wait_all_synced(self, deadline: float) -> None:
        self._wait_synced([z.key for z in self.spec.zones], deadline)

    def stop(self) -> None:
        """Stop every process of this world and remove its files (idempotent)."""
        if getattr(self, "_closed", True):
            return
        self._closed = True
        procs.stop(list(self._procs.values()))
        self._slot.release()
        if not self.keep_files:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def running(self) -> bool:
        return not self._closed

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self._procs.items() if proc.poll() is None}

    # -- lookups -----------------------------------------------------------------

    def _copies(self, origin: str) -> list[LabZone]:
        return [z for z in self.spec.zones if z.origin == origin]

    def address(self, server: str) -> str:
        try:
            return self.addresses[server]
        except KeyError:
            raise BadInput(f"lab: no server named {server!r}") from None

    def zone_addresses(self, key: str) -> list[str]:
        """Addresses of the servers of one zone copy, primary first."""
        return [self.addresses[s] for s in self.spec.zone(key).servers]

    def primary_address(self, key: str) -> str:
        return self.addresses[self.spec.zone(key).servers[0]]

    def parent_addresses(self, origin: str) -> list[str]:
        """Addresses of every server of the zone that delegates `origin`."""
        parent = layout.parent_of(dns.name.from_text(origin).to_text().lower(), layout.origins(self.spec))
        if parent is None:
            raise BadInput(f"lab: {origin} has no parent zone in this world")
        return [self.addresses[s] for z in self._copies(parent) for s in z.servers]

    @property
    def root_addresses(self) -> list[str]:
        return [self.addresses[s] for z in self._copies(".") for s in z.servers]

    @property
    def resolver_addresses(self) -> list[str]:
        return [self.addresses[r.name] for r in self.spec.resolvers]

    @property
    def root_hints(self) -> list[tuple[str, str]]:
        """(host name, address) of each root server, as a resolver's hints."""
        return [(h, self.addresses[s]) for z in self._copies(".") for s in z.servers for h in self.spec.server(s).hostnames]

    def describe(self) -> list[str]:
        """One line per server: name, address, host names, what it serves (for logs and the demo)."""
        lines = []
        for server in self.spec.servers:
            if server.role == "resolver":
                what = "resolver" + (" (validating)" if server.validate else "")
            else:
                copies = [z for z in self.spec.zones if server.name in z.servers]
                what = ", ".join(f"{z.origin}" + (f" [{z.key}]" if z.key != z.origin else "") for z in copies)
            states = (("stopped", self.stopped), ("muted", self.muted), ("intercepted", self.intercepted))
            state = next((f" ({label})" for label, members in states if server.name in members), "")
            hosts = " ".join(server.hostnames)
            lines.append(f"{server.name:<10} {self.addresses[server.name]:<15} {hosts:<32} {what}{state}")
        return lines

    def log(self, server: str) -> str:
        """The output of one server's process (Knot and Unbound log to it)."""
        path = self._server_dir(server) / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    def tsig(self, key: str) -> TsigKey:
        zone = self.spec.zone(key)
        if zone.tsig is None:
            raise BadInput(f"lab zone {key} takes no RFC 2136 updates (no TSIG key)")
        return zone.tsig

    def content(self, key: str) -> Zone:
        """The zone copy as the lab last published it (derived records included)."""
        zone = self.spec.zone(key)
        return layout.render(zone, self.spec, self.addresses, self.delegations, self._serials[key], self._contents[key])

    def served(self, key: str, server: str | None = None, dnssec: bool = False) -> Zone:
        """What a server serves for a copy, by AXFR (DNSSEC records left out unless asked)."""
        zone = self.spec.zone(key)
        address = self.addresses[server or zone.servers[0]]
        try:
            xfr = dns.zone.from_xfr(dns.query.xfr(address, zone.origin, relativize=False, timeout=5), relativize=False)
        except (dns.exception.DNSException, OSError) as exc:
            raise EnvironmentProblem(f"lab: AXFR of {zone.origin} from {address} failed: {exc}") from None
        out = Zone(zone.origin)
        for name, rdataset in xfr.iterate_rdatasets():
            rdtype = dns.rdatatype.to_text(rdataset.rdtype)
            if rdtype in _DNSSEC_TYPES and not dnssec:
                continue
            out.add(RRset(name.to_text().lower(), rdtype, rdataset.ttl, frozenset(canonical(rdtype, r) for r in rdataset)))
        return out

    def query(self, server: str, name: str, rdtype: str = "A", **kwargs) -> dns.message.Message:
        """One query to a lab server by name (recursion on for resolvers)."""
        kwargs.setdefault("recurse", self.spec.server(server).role == "resolver")
        return probe.ask(self.address(server), name, rdtype, **kwargs)

    # -- changing zones --------------------------------------------------------------

    def _next_serial(self, zone: LabZone) -> int:
        served = probe.serial(self.primary_address(zone.key), zone.origin) if self._answering(zone.servers[0]) else None
        self._serials[zone.key] = max(self._serials[zone.key], served or 0) + 1
        return self._serials[zone.key]

    def _publish(self, key: str, wait: bool = True, timeout: float = 15.0) -> None:
        """Write the copy's file at every primary and reload it there."""
        zone = self.spec.zone(key)
        serial = self._next_serial(zone)
        for server in zone.servers:
            if self._role(server, zone) != "primary" or (server, key) in self.refused:
                continue
            self._render_to(server, zone, serial)
            if self._answering(server):
                knot.knotc(self._server_dir(server) / "run", "zone-reload", zone.origin)
        if wait:
            self.wait_synced(key, timeout)

    def wait_synced(self, key: str, timeout: float = 15.0) -> None:
        """Wait until every live, non-stale server of a copy serves its primary's serial."""
        self._wait_synced([key], time.monotonic() + timeout)

    def replace_zone(self, key: str, content: Zone | str) -> None:
        """Publish new content for a copy by rewriting its file and `knotc zone-reload`."""
        zone = self.spec.zone(key)
        with self._lock:
            self._contents[key] = layout.base_content(LabZone(zone.origin, zone.servers, content=content, key=key))
            self._publish(key)

    def update(
        self,
        key: str,
        *,
        replace: Sequence[RRset] = (),
        add: Sequence[RRset] = (),
        delete: Sequence[RRset | tuple[str, str]] = (),
        timeout: float = 5.0,
    ) -> str:
        """Send one RFC 2136 UPDATE signed with the copy's TSIG key to its primary.

        Returns the rcode text; on NOERROR the lab's own record of the content
        follows, and the call returns once the secondaries serve it.
        """
        zone = self.spec.zone(key)
        if zone.signatures is not None:
            # Knot serves the lab's signatures as they are: an update would go out unsigned
            raise BadInput(f"lab zone {key} is signed by the lab: change it with replace_zone()")
        tsig = self.tsig(key)
        message = dns.update.UpdateMessage(zone.origin, keyring=tsig.keyring, keyname=tsig.keyname, keyalgorithm=tsig.algorithm)
        for rrset in delete:
            if isinstance(rrset, RRset):
                message.delete(rrset.name, rrset.rdtype, *rrset.sorted_rdatas())
            else:
                message.delete(rrset[0], rrset[1])
        for rrset in replace:
            message.replace(rrset.name, rrset.ttl, rrset.rdtype, *rrset.sorted_rdatas())
        for rrset in add:
            message.add(rrset.name, rrset.ttl, rrset.rdtype, *rrset.sorted_rdatas())
        response = dns.query.tcp(message, self.primary_address(key), timeout=timeout)
        rcode = dns.rcode.to_text(response.rcode())
        if rcode == "NOERROR":
            with self._lock:
                content = self._contents[key]
                for rrset in delete:
                    if isinstance(rrset, RRset):
                        have = content.get(rrset.name, rrset.rdtype)
                        if have is not None:
                            left = have.rdatas - rrset.rdatas
                            content.put(have.with_rdatas(left)) if left else content.discard(*have.key)
                    else:
                        content.discard(rrset[0], rrset[1])
                for rrset in replace:
                    content.put(rrset)
                for rrset in add:
                    content.add(rrset)
            self.wait_synced(key)
        return rcode

    def resign(self, key: str, signatures: Signatures) -> None:
        """Sign a copy the lab signs again, with other validity windows (same keys, so the DS
        still matches), and serve it everywhere."""
        zone = self.spec.zone(key)
        if zone.signatures is None:
            raise BadInput(f"lab zone {key} is not signed by the lab (LabZone.signatures)")
        with self._lock:
            zone.signatures = signatures
            self._publish(key)

    # -- delegation and DS at the parent ----------------------------------------------

    def _republish_parent(self, origin: str) -> None:
        parent = layout.parent_of(origin, layout.origins(self.spec))
        if parent is None:
            raise BadInput(f"lab: {origin} has no parent zone in this world")
        for copy in self._copies(parent):
            self._publish(copy.key)

    def delegate(
        self,
        origin: str,
        to: str | Sequence[str],
        *,
        glue: dict[str, Sequence[str]] | None = None,
        ds: Sequence[str] | None = None,
        ttl: int | None = None,
    ) -> Delegation:
        """Point the parent of `origin` at a zone copy (by key) or at NS names.

        The DS set stays as it was unless `ds` is given: a registrar that moves
        the NS does not always drop the DS (the stale DS scenario).
        """
        origin = dns.name.from_text(origin).to_text().lower()
        if isinstance(to, str) and any(z.key == to for z in self.spec.zones):
            ns = layout.zone_hostnames(self.spec, self.spec.zone(to))
        else:
            ns = (to,) if isinstance(to, str) else tuple(to)
        with self._lock:
            old = self.delegations.get(origin)
            self.delegations[origin] = Delegation(
                ns=ns,
                ds=tuple(ds) if ds is not None else (old.ds if old else ()),
                glue={k: tuple(v) for k, v in glue.items()} if glue is not None else None,
                ttl=ttl if ttl is not None else (old.ttl if old else self.spec.ttl),
            )
            self._republish_parent(origin)
            return self.delegations[origin]

    def ds_of(self, key: str, digest: str = "SHA256") -> list[str]:
        """DS rdata for the KSKs a signed copy's primary publishes."""
        zone = self.spec.zone(key)
        response = probe.ask(self.primary_address(key), zone.origin, "DNSKEY", tcp=True, dnssec=True, timeout=2)
        result = []
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.DNSKEY:
                for rdata in rrset:
                    if rdata.flags & 0x0001:  # SEP bit: the KSK
                        result.append(dns.dnssec.make_ds(zone.origin, rdata, digest).to_text())
        if not result:
            raise EnvironmentProblem(f"lab: {key} publishes no KSK at {self.primary_address(key)}")
        return sorted(result)

    def set_ds(self, origin: str, ds: Sequence[str]) -> None:
        origin = dns.name.from_text(origin).to_text().lower()
        with self._lock:
            delegation = self.delegations.get(origin)
            if delegation is None:
                raise BadInput(f"lab: {origin} is not delegated")
            delegation.ds = tuple(ds)
            self._republish_parent(origin)

    def add_ds(self, origin: str, ds: Sequence[str] | None = None, *, key: str | None = None) -> list[str]:
        """Add DS rdata at the parent: given, or computed from a signed copy's KSK."""
        origin = dns.name.from_text(origin).to_text().lower()
        new = list(ds) if ds is not None else self.ds_of(key or origin)
        current = list(self.delegations[origin].ds) if origin in self.delegations else []
        self.set_ds(origin, current + [d for d in new if d not in current])
        return new

    def remove_ds(self, origin: str, ds: Sequence[str] | None = None) -> None:
        """Remove the given DS rdata (all of them when None) at the parent."""
        origin = dns.name.from_text(origin).to_text().lower()
        current = self.delegations[origin].ds if origin in self.delegations else ()
        self.set_ds(origin, [] if ds is None else [d for d in current if d not in set(ds)])

    # -- server faults -------------------------------------------------------------------

    def _server(self, name: str):
        server = self.spec.server(name)
        if name not in self._procs:
            raise BadInput(f"lab: server {name} is not running in this world")
        return server

    def stop_server(self, name: str) -> None:
        """Stop one server's process: its address then refuses connections."""
        self._server(name)
        with self._lock:
            procs.stop([self._procs[name]])
            self.stopped.add(name)
            self.muted.discard(name)
            self.intercepted.discard(name)

    def start_server(self, name: str, timeout: float = 10.0) -> None:
        """Start a stopped server again (same config, same data)."""
        server = self._server(name)
        with self._lock:
            if name not in self.stopped:
                return
            self.stopped.discard(name)
            self._spawn(name)
            deadline = time.monotonic() + timeout
            if server.role == "resolver":
                self._wait(lambda: probe.answers(self.addresses[name]), deadline, f"{name} to answer")
            else:
                self._wait_synced([z.key for z in self.spec.zones if name in z.servers], deadline)

    def mute(self, name: str) -> None:
        """Keep the address but never answer (SIGSTOP): queries time out."""
        self._server(name)
        if name in self.stopped:
            raise BadInput(f"lab: server {name} is stopped, not running")
        proc = self._procs[name]
        proc.send_signal(signal.SIGSTOP)
        self.muted.add(name)
        # SIGSTOP lands asynchronously: return only once every thread has stopped
        self._wait(lambda: procs.all_stopped(proc.pid), time.monotonic() + 5, f"{name} to stop answering")

    def unmute(self, name: str) -> None:
        self._server(name)
        if name in self.muted:
            self._procs[name].send_signal(signal.SIGCONT)
            self.muted.discard(name)

    def intercept(self, name: str, timeout: float = 10.0) -> None:
        """Put a network's port-53 interceptor at one server's address, as hotel and corporate
        networks do: an Unbound answers every question there itself, NXDOMAIN without the AA
        flag. The server is stopped meanwhile; `stop_intercepting` brings it back."""
        self._server(name)
        if name in self.stopped:
            raise BadInput(f"lab: server {name} is stopped, not running")
        with self._lock:
            procs.stop([self._procs[name]])
            self.muted.discard(name)
            self.intercepted.add(name)
            base = self._server_dir(name) / "interceptor"
            base.mkdir(exist_ok=True)
            root_zone = base / "root.zone"
            root_zone.write_text(unbound.EMPTY_ROOT_ZONE)
            (base / "unbound.conf").write_text(unbound.interceptor_config_text(self.addresses[name], base, root_zone))
            self._spawn(name)
            self._wait(lambda: probe.rcode(self.addresses[name], "intercept.invalid.") == "NXDOMAIN",
                       time.monotonic() + timeout, f"the interceptor at {name}'s address to answer")

    def stop_intercepting(self, name: str, timeout: float = 10.0) -> None:
        """Undo `intercept`: the server itself answers at its address again."""
        self._server(name)
        if name not in self.intercepted:
            return
        self.stop_server(name)
        self.start_server(name, timeout)

    def _reconfigure(self, name: str) -> None:
        self._write_knot(name)
        if self._answering(name):
            knot.knotc(self._server_dir(name) / "run", "reload")

    def refuse(self, name: str, key: str, timeout: float = 10.0) -> None:
        """The server keeps running but drops the zone: it answers REFUSED for it."""
        zone = self.spec.zone(key)
        if name not in zone.servers:
            raise BadInput(f"lab: {name} does not serve {key}")
        with self._lock:
            self.refused.add((name, key))
            self._reconfigure(name)
            # the primary must stop notifying a server that no longer has the zone
            if zone.replicate and zone.servers[0] != name:
                self._reconfigure(zone.servers[0])
            self._wait(
                lambda: probe.rcode(self.addresses[name], zone.origin) == "REFUSED",
                time.monotonic() + timeout,
                f"{name} to refuse {zone.origin}",
            )

    def unrefuse(self, name: str, key: str, timeout: float = 10.0) -> None:
        zone = self.spec.zone(key)
        with self._lock:
            self.refused.discard((name, key))
            if self._role(name, zone) == "primary":
                self._render_to(name, zone, self._serials[key])
            self._reconfigure(name)
            if zone.replicate and zone.servers[0] != name:
                self._reconfigure(zone.servers[0])
            self.wait_synced(key, timeout)

    def freeze(self, name: str, key: str) -> None:
        """Make a server stale: it keeps serving the version it has now while
        its siblings move on (`knotc zone-freeze` postpones its transfers)."""
        zone = self.spec.zone(key)
        if self._role(name, zone) != "secondary":
            raise BadInput(f"lab: {name} is not a secondary of {key}; only a secondary can fall behind")
        with self._lock:
            knot.knotc(self._server_dir(name) / "run", "zone-freeze", zone.origin)
            self.frozen.add((name, key))

    def thaw(self, name: str, key: str) -> None:
        zone = self.spec.zone(key)
        with self._lock:
            knot.knotc(self._server_dir(name) / "run", "zone-thaw", zone.origin)
            self.frozen.discard((name, key))
            self.wait_synced(key)

    def serve_stale(self, name: str, key: str, content: Zone | str, serial: int | None = None, timeout: float = 10.0) -> int:
        """Make one server of a copy serve different data from its siblings.

        The server stops following the primary and serves `content` (plus the
        derived records) with `serial`; by default one less than the primary's,
        as an old version would have. Returns the serial it serves.
        """
        zone = self.spec.zone(key)
        if name not in zone.servers:
            raise BadInput(f"lab: {name} does not serve {key}")
        with self._lock:
            if serial is None:
                current = probe.serial(self.primary_address(key), zone.origin) or self._serials[key]
                serial = max(1, current - 1)
            stale = layout.base_content(LabZone(zone.origin, zone.servers, content=content, key=key))
            self.standalone[(name, key)] = stale
            rendered = layout.render(zone, self.spec, self.addresses, self.delegations, serial, stale)
            self._write_zone(name, zone, rendered)
            self._reconfigure(name)
            if zone.replicate and zone.servers[0] != name:
                self._reconfigure(zone.servers[0])
            self._wait(
                lambda: probe.serial(self.addresses[name], zone.origin) == serial,
                time.monotonic() + timeout,
                f"{name} to serve serial {serial} of {zone.origin}",
            )
            return serial

    def resume(self, name: str, key: str) -> None:
        """Undo `serve_stale`: the server follows its primary again."""
        zone = self.spec.zone(key)
        with self._lock:
            self.standalone.pop((name, key), None)
            if self._role(name, zone) == "primary":
                self._render_to(name, zone, self._serials[key])
            self._reconfigure(name)
            if zone.replicate and zone.servers[0] != name:
                self._reconfigure(zone.servers[0])
            if self._role(name, zone) == "secondary":
                knot.knotc(self._server_dir(name) / "run", "zone-retransfer", zone.origin, check=False)
            self.wait_synced(key)

    # -- resolvers --------------------------------------------------------------------

    def _resolvers(self, names: Iterable[str] | None) -> list[str]:
        chosen = list(names) if names is not None else [r.name for r in self.spec.resolvers]
        for name in chosen:
            if self.spec.server(name).role != "resolver":
                raise BadInput(f"lab: {name} is not a resolver")
        return chosen

    def flush_resolvers(self, names: Iterable[str] | None = None) -> None:
        """Empty the caches (records, negative answers, server memory) of resolvers."""
        for name in self._resolvers(names):
            config = self._server_dir(name) / "unbound.conf"
            unbound.control(config, "flush_zone", ".")
            unbound.control(config, "flush_infra", "all")
            unbound.control(config, "flush_bogus")
            unbound.control(config, "flush_negative")
