"""The desired zone on a server that takes RFC 2136 updates (BIND, Knot, PowerDNS).

One Pulumi dynamic resource per RRset. Its provider's create, update and
delete are single TSIG-signed UPDATE messages (migrate.rfc2136), read asks the
server what it serves now (so `pulumi refresh` finds out-of-band edits), and a
change of server, zone, name or type replaces the resource, deleting first.

Why the provider class is built inside a function: Pulumi stores the provider
in the state by pickling it with dill, and the provider host that later
unpickles it does not run from stacks/, so it cannot import this module. A
class dill can find by name is pickled by reference (and then fails to load);
a class created in a function cannot be found by name, so dill pickles it by
value, methods and all. The methods import dnspython and migrate (an installed
package) when they run, so the pickle carries no socket, no client and no
secret: the TSIG secret is read from the environment at the moment of the
update.
"""

from __future__ import annotations

import pulumi
import pulumi.dynamic

# The server keeps the SOA serial and, when it signs the zone, every DNSSEC
# record: the resources never manage those types.
from migrate.zone import HOST_MANAGED

RESOURCE_MODULE = "rfc2136"
RESOURCE_NAME = "RRset"
RESOURCE_TYPE = f"pulumi-python:dynamic/{RESOURCE_MODULE}:{RESOURCE_NAME}"


def _make_provider_class():
    class Rfc2136Provider(pulumi.dynamic.ResourceProvider):
        """CRUD of one RRset by RFC 2136. Inputs (all plain, none secret):
        server, zone, key_name, key_algorithm, secret_env, timeout, name, type, ttl, rdatas."""

        serialize_as_secret_always = False  # nothing secret is captured; see the module docstring

        SETTINGS = ("server", "zone", "key_name", "key_algorithm", "secret_env", "timeout")
        # A change of any of these is another RRset: replace it, deleting the old one
        # first, so two resources never fight over one name and type.
        REPLACE = ("server", "zone", "name", "type")

        # -- helpers (static, so they travel with the pickled class) ----------

        @staticmethod
        def normalise(props: dict) -> dict:
            """Canonical inputs; raises MigrateError naming the property (via its message)."""
            from migrate import rfc2136
            from migrate.zone import RRset

            client = rfc2136.Client(
                server=str(props["server"]),
                zone=str(props["zone"]),
                key_name=str(props["key_name"]),
                key_algorithm=str(props.get("key_algorithm") or "hmac-sha256"),
                secret_env=str(props.get("secret_env") or rfc2136.DEFAULT_SECRET_ENV),
                timeout=float(props.get("timeout") or 10.0),
            )
            name, rdtype = client.record_key(str(props["name"]), str(props["type"]))
            if rdtype in rfc2136.SERVER_MANAGED:
                from migrate.errors import BadInput

                raise BadInput(f"{client.where(name, rdtype)}: {rdtype} is maintained by the server")
            rrset = RRset.build(name, rdtype, int(float(props["ttl"])), list(props["rdatas"]))
            return {
                "server": client.server,
                "zone": client.zone,
                "key_name": client.key_name,
                "key_algorithm": client.key_algorithm,
                "secret_env": client.secret_env,
                "timeout": client.timeout,
                "name": rrset.name,
                "type": rrset.rdtype,
                "ttl": rrset.ttl,
                "rdatas": rrset.sorted_rdatas(),
            }

        @staticmethod
        def client(props: dict):
            from migrate import rfc2136

            return rfc2136.Client(
                server=str(props["server"]),
                zone=str(props["zone"]),
                key_name=str(props["key_name"]),
                key_algorithm=str(props["key_algorithm"]),
                secret_env=str(props["secret_env"]),
                timeout=float(props["timeout"]),
            )

        @staticmethod
        def rrset(props: dict):
            from migrate.zone import RRset

            return RRset.build(str(props["name"]), str(props["type"]), int(float(props["ttl"])), list(props["rdatas"]))

        @staticmethod
        def outs(props: dict) -> dict:
            keys = ("server", "zone", "key_name", "key_algorithm", "secret_env", "timeout", "name", "type", "ttl", "rdatas")
            return {key: props[key] for key in keys}

        @staticmethod
        def resource_id(props: dict) -> str:
            return f"{props['server']}/{props['zone']}/{props['name']}/{props['type']}"

        @staticmethod
        def comparable(props: dict, key: str):
            value = props.get(key)
            if key == "rdatas":
                return frozenset(value or ())
            if key == "ttl":
                return None if value is None else int(float(value))
            if key == "timeout":
                return None if value is None else float(value)
            return value

        # -- the provider protocol -------------------------------------------------

        def check(self, _olds: dict, news: dict) -> pulumi.dynamic.CheckResult:
            from migrate.errors import MigrateError

            missing = [k for k in ("server", "zone", "key_name", "name", "type", "ttl", "rdatas") if news.get(k) in (None, "", [])]
            if missing:
                failures = [pulumi.dynamic.CheckFailure(k, f"{k} is required") for k in missing]
                return pulumi.dynamic.CheckResult(news, failures)
            try:
                return pulumi.dynamic.CheckResult(self.normalise(news), [])
            except MigrateError as exc:
                return pulumi.dynamic.CheckResult(news, [pulumi.dynamic.CheckFailure("rdatas", str(exc))])

        def diff(self, _id: str, olds: dict, news: dict) -> pulumi.dynamic.DiffResult:
            keys = self.SETTINGS + ("name", "type", "ttl", "rdatas")
            changed = [k for k in keys if self.comparable(olds, k) != self.comparable(news, k)]
            replaces = [k for k in self.REPLACE if k in changed]
            return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

        def create(self, props: dict) -> pulumi.dynamic.CreateResult:
            client, want = self.client(props), self.rrset(props)
            # Adopt what is already there: whatever the server had for this name and
            # type is replaced (the apex NS too, which needs its old rdata named).
            have = client.read(want.name, want.rdtype)
            client.replace(want, previous=have)
            return pulumi.dynamic.CreateResult(self.resource_id(props), self.outs(props))

        def read(self, id_: str, props: dict) -> pulumi.dynamic.ReadResult:
            client = self.client(props)
            have = client.read(str(props["name"]), str(props["type"]))
            if have is None:
                return pulumi.dynamic.ReadResult("", {})  # gone: refresh drops it from the state
            outs = self.outs(props)
            outs["ttl"] = have.ttl
            outs["rdatas"] = have.sorted_rdatas()
            return pulumi.dynamic.ReadResult(id_ or self.resource_id(props), outs)

        def update(self, _id: str, olds: dict, news: dict) -> pulumi.dynamic.UpdateResult:
            client, want = self.client(news), self.rrset(news)
            previous = None
            if (olds.get("name"), olds.get("type")) == (want.name, want.rdtype) and olds.get("rdatas"):
                previous = self.rrset({**olds, "ttl": olds.get("ttl", want.ttl)})
            client.replace(want, previous=previous)
            return pulumi.dynamic.UpdateResult(self.outs(news))

        def delete(self, _id: str, props: dict) -> None:
            self.client(props).delete(str(props["name"]), str(props["type"]))

    return Rfc2136Provider


Rfc2136Provider = _make_provider_class()


class RRsetResource(pulumi.dynamic.Resource, module=RESOURCE_MODULE, name=RESOURCE_NAME):
    """One RRset at an RFC 2136 server (type pulumi-python:dynamic/rfc2136:RRset)."""

    def __init__(self, name: str, props: dict, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(Rfc2136Provider(), name, dict(props), opts)


def resource_inputs(spec, desired) -> list[tuple[str, dict]]:
    """(logical name, inputs) of every resource for the desired zone: plain data, no Pulumi.

    One per RRset, except the SOA and DNSSEC records, which the server keeps.
    The inputs name the environment variable of the TSIG secret, never the secret.
    """
    settings = spec.dns.rfc2136
    if settings is None:
        raise pulumi.RunError(f"{spec.path}: dns.rfc2136 is required when dns.host is rfc2136")
    zone = settings.zone or spec.domain
    out = []
    for rrset in desired:
        if rrset.rdtype in HOST_MANAGED:
            continue
        inputs = {
            "server": settings.server,
            "zone": zone,
            "key_name": settings.key_name,
            "key_algorithm": settings.key_algorithm,
            "secret_env": settings.secret_env,
            "timeout": settings.timeout,
            "name": rrset.name,
            "type": rrset.rdtype,
            "ttl": rrset.ttl,
            "rdatas": rrset.sorted_rdatas(),
        }
        out.append((f"{rrset.rdtype}-{rrset.name.rstrip('.') or '.'}", inputs))
    return out


def declare(spec, desired, config: pulumi.Config) -> list:
    declared = [
        RRsetResource(logical, inputs, pulumi.ResourceOptions(delete_before_replace=True))
        for logical, inputs in resource_inputs(spec, desired)
    ]
    settings = spec.dns.rfc2136
    pulumi.export("server", settings.server)
    pulumi.export("zone", settings.zone or spec.domain)
    pulumi.export("record_count", len(declared))
    pulumi.export("expected_name_servers", [ns.rstrip(".") for ns in spec.dns.nameservers])
    return declared
