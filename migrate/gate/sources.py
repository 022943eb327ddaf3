"""Where the gate's evidence comes from: the I/O half of the gate.

Each source is a zero-argument callable returning an evidence record, so the
engine can run them fail-closed and tests can substitute their own (the
loopback Graph server, a ledger written through the notify module, a
journal written round by round). The stores' readers verify their chains and
tell `anchors` what they saw, which checks it against the previous decision.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from migrate import journal
from migrate.errors import BadInput, MigrateError
from migrate.gate import facts as facts_module
from migrate.gate import store
from migrate.gate.anchors import Anchors
from migrate.gate.tenant import MAX_DOMAINS
from migrate.gate.evidence import (
    Attestation, DataSavedEvidence, Deadline, DnsEvidence, DomainEvidence, LicenceEvidence, NoticeEvidence, TenantDomain,
    TenantEvidence,
)
from migrate.graph.client import GraphClient
from migrate.mailfree import Proof
from migrate.names import domain_id
from migrate.spec import Spec


@dataclass
class Sources:
    licences: Callable[[], LicenceEvidence]
    domain: Callable[[], DomainEvidence]
    attestations: Callable[[], list[Attestation]]
    notice: Callable[[], NoticeEvidence]
    dns: Callable[[], DnsEvidence | None]
    promised: Callable[[], Deadline | None]
    close: Callable[[], None] = lambda: None
    anchors: Anchors = field(default_factory=Anchors)


class Shared:
    """What one gate run reads once for all its specs, on first use: a Graph client per app registration
    (so all the run's Graph work for a tenant stays within one deadline, `graph.budget`) and each facts
    file (an exit's specs usually share one)."""

    def __init__(self, factory: Callable[..., GraphClient] = GraphClient.from_spec) -> None:
        self.factory = factory
        self.clients: dict[object, GraphClient] = {}
        self.facts_files: dict[Path, facts_module.Facts] = {}

    def client(self, spec) -> GraphClient:
        key = spec.source.graph
        if key not in self.clients:
            self.clients[key] = self.factory(spec)
        return self.clients[key]

    def facts(self, path: Path) -> facts_module.Facts:
        """The facts file at `path`, read and validated once; a failed read is not kept (each asker gets the error)."""
        if path not in self.facts_files:
            self.facts_files[path] = facts_module.load(path)
        return self.facts_files[path]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def _facts(spec, shared: Shared):
    if spec.gate.facts is None:
        raise BadInput(
            f"{spec.path}: neither source.graph (an app registration) nor gate.facts (a facts file) is set: the gate has no evidence"
        )
    path = spec.resolve_path(spec.gate.facts)
    return path, shared.facts(path)


def graph_licences(client: GraphClient, tenant_id: str | None) -> LicenceEvidence:
    return LicenceEvidence(
        subscriptions=tuple(client.subscriptions()),
        skus=tuple(client.subscribed_skus()),
        source="graph",
        own_tenant_id=tenant_id,
    )


def graph_domain(client: GraphClient, domain: str) -> DomainEvidence:
    name = domain_id(domain)
    if client.get_domain(domain) is None:
        return DomainEvidence(domain=name, exists=False, source="graph")
    return DomainEvidence(domain=name, exists=True, references=tuple(client.domain_name_references(domain)), source="graph")


def notice_evidence(spec, state_dir: Path, anchors: Anchors) -> NoticeEvidence:
    """The announce wave's recipients and what the ledger says reached them."""
    from migrate.notify import ledger, recipients, waves

    return NoticeEvidence(
        wave=waves.ANNOUNCE,
        recipients=tuple(r.key for r in recipients.load(spec)),
        delivered=ledger.delivered(state_dir, waves.ANNOUNCE, anchors.saw),
    )


def promised_deadline(spec, state_dir: Path) -> Deadline | None:
    """The data deadline users were given: the latest one a delivered message named (the ledger), else the spec's.

    The spec's is what the emails would name (notify.data_deadline, else
    notify.cancel_date), for a state whose waves went out without a record of it.
    """
    from migrate.notify import ledger, promise, waves

    runs = ledger.sends(state_dir)
    sent = {wave: ledger.delivered(state_dir, wave).values() for wave in {r.wave for r in runs if r.data_deadline}}
    found = promise.promised(runs, sent, spec.tz)
    if found is not None:
        named, wave = found
        return Deadline(named, promise.ends(promise.parse(named), spec.tz), f"the {wave} wave, as the ledger records it")
    value = waves.facts(spec).data_deadline if spec.notify is not None else None
    if value is None:
        return None
    key = "notify.data_deadline" if spec.notify.data_deadline is not None else "notify.cancel_date"
    return Deadline(promise.text(value), promise.ends(value, spec.tz), f"the spec's {key}")


def data_saved(sources: Sources) -> DataSavedEvidence:
    """The attestations, with the time mail stopped reaching Microsoft 365 as the verify journal says, and the deadline users were given.

    That time is the newest round's TTL-derived safe time; without a journal
    (or a run that saw the new state) there is nothing to compare with.
    """
    dns = sources.dns()
    return DataSavedEvidence(tuple(sources.attestations()), dns.safe_after if dns is not None else None, sources.promised())


def dns_from_journal(spec, state_dir: Path, now: datetime, anchors: Anchors) -> DnsEvidence:
    """What the verify journal in `state_dir` holds for the spec's domain, read-only.

    No journal yet is evidence of nothing (no rounds): the dns check says
    to run verify, and the gate stays locked.
    """
    return journal.dns_evidence(state_dir, spec.domain, now, anchors.saw)


def default(
    spec,
    state_dir: Path,
    *,
    now: datetime | None = None,
    graph_factory: Callable[..., GraphClient] = GraphClient.from_spec,
    shared: Shared | None = None,
) -> Sources:
    """The real sources; `now` is the moment the dns evidence is read at (the gate's clock).

    With `shared` the Graph clients and facts files are the run's, closed by whoever made it; else the sources' own.
    """
    own = shared is None
    run = Shared(graph_factory) if own else shared
    anchors = Anchors()
    use_graph = spec.source.graph is not None
    tenant_id = spec.source.graph.tenant_id if use_graph else None
    # Read once per gate run, however many requirements ask: the facts file (`run`) serves
    # licences and domain_removed, the journal serves dns and data_saved (which then
    # rest on the same round). A failed read is not cached: each asker gets the error.
    read_dns = cache(lambda: dns_from_journal(spec, state_dir, now or datetime.now(timezone.utc), anchors))

    def licences() -> LicenceEvidence:
        if use_graph:
            return graph_licences(run.client(spec), tenant_id)
        path, facts = _facts(spec, run)
        return dataclasses.replace(facts.licences(path), as_of=facts.as_of)

    def domain() -> DomainEvidence:
        if use_graph:
            return graph_domain(run.client(spec), spec.domain)
        path, facts = _facts(spec, run)
        return dataclasses.replace(facts.domain(path, domain_id(spec.domain)), as_of=facts.as_of)

    return Sources(
        licences=licences,
        domain=domain,
        attestations=lambda: store.attestations(state_dir, domain_id(spec.domain), anchors.saw),
        notice=lambda: notice_evidence(spec, state_dir, anchors),
        dns=read_dns,
        promised=lambda: promised_deadline(spec, state_dir),
        close=run.close if own else lambda: None,
        anchors=anchors,
    )


# -- the tenant ---------------------------------------------------------------------


@dataclass
class TenantSources:
    """Where the tenant requirement's evidence comes from: which domains the tenant holds (with
    where that was read, and when for facts), and the mail-free proofs of the parked domains."""

    held: Callable[[], tuple[tuple[TenantDomain, ...] | None, str, datetime | None]]
    proofs: Callable[[dict[str, Spec]], dict[str, Proof]]


def parked(specs: Sequence[Spec]) -> dict[str, Spec]:
    """Each parked domain (without the trailing dot) and the spec that parks it; BadInput for one a spec of the exit migrates."""
    migrated = {domain_id(s.domain): s for s in specs}
    out: dict[str, Spec] = {}
    for spec in specs:
        for name in map(domain_id, spec.gate.parked):
            if name in migrated:
                raise BadInput(f"{spec.path}: gate.parked: {name} is the domain of {migrated[name].path}; "
                               "a domain is migrated or parked, not both")
            out.setdefault(name, spec)
    return out


def held_domains(specs: Sequence[Spec], shared: Shared) -> tuple[tuple[TenantDomain, ...] | None, str, datetime | None]:
    """The tenant's domains from Graph (the first spec with source.graph), else from a facts file's `domains:`."""
    with_graph = next((s for s in specs if s.source.graph is not None), None)
    if with_graph is not None:
        found = shared.client(with_graph).domains()
        if len(found) > MAX_DOMAINS:
            raise MigrateError(f"Graph GET /domains: {len(found)} domains, more than the {MAX_DOMAINS} one tenant can hold; giving up")
        return tuple(TenantDomain(d.id, d.is_initial, d.is_verified, d.supported_services) for d in found), "graph", None
    paths = list(dict.fromkeys(s.resolve_path(s.gate.facts) for s in specs if s.gate.facts is not None))
    for path in paths:
        facts = shared.facts(path)
        if facts.domains is not None:
            return facts.held(), f"facts:{path} {facts.dated}", facts.as_of
    where = f"no domains: in {', '.join(map(str, paths))}" if paths else "neither source.graph nor gate.facts is set"
    return None, where, None


def proofs(by_domain: dict[str, Spec]) -> dict[str, Proof]:
    """Each parked domain's mail-free proof, asked as the spec that parks it says verify asks (its root hints, timeouts)."""
    from migrate import mailfree_probe
    from migrate.verify.round import Settings

    groups: dict[int, tuple[Spec, list[str]]] = {}
    for domain, spec in by_domain.items():
        groups.setdefault(id(spec), (spec, []))[1].append(domain)
    out: dict[str, Proof] = {}
    for spec, domains in groups.values():
        out.update(mailfree_probe.prove(domains, Settings.from_spec(spec)))
    return out


def tenant_default(specs: Sequence[Spec], shared: Shared) -> TenantSources:
    return TenantSources(held=lambda: held_domains(specs, shared), proofs=proofs)


def tenant_evidence(specs: Sequence[Spec], sources: TenantSources) -> TenantEvidence:
    """What the tenant requirement judges: the exit's specs, the tenant's domains, the parked domains' proofs."""
    by_domain = parked(specs)
    held, source, as_of = sources.held()
    return TenantEvidence(held, source, {domain_id(s.domain): str(s.path) for s in specs}, sources.proofs(by_domain), as_of)
