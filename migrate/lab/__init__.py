"""A local DNS world made of real servers: Knot for every authoritative role,
Unbound as caching resolvers, each on its own 127.53.N.x address, port 53.

    spec = WorldSpec(servers=[...], zones=[...])      # plain data
    with World.start(spec) as world:                  # real processes
        world.delegate("example.dk.", "new")          # change the Internet
        world.query("resolver1", "example.dk.", "MX")

`migration_world(...)` builds and starts the standard Microsoft 365 exit
scenario (root, TLDs, Microsoft's name servers, a new host, resolvers);
`cutover_spec(...)` the world of one domain's own cutover (the demo's, a
rehearsal's). Around a world: `relay` (an SMTP server that keeps what it
gets), `stage` (a zone applied through the Pulumi RFC 2136 provider) and
`preflight` (a lab that can start, a usable --out folder).
"""

from migrate.lab.model import EXPIRED, FUTURE, VALID, Delegation, LabZone, Server, Signatures, TsigKey, Window, WorldSpec
from migrate.lab.procs import pids_under
from migrate.lab.scenario import BDM_NAMESERVERS, MigrationWorld, cutover_spec, migration_spec, migration_world
from migrate.lab.world import World

__all__ = [
    "BDM_NAMESERVERS",
    "EXPIRED",
    "FUTURE",
    "VALID",
    "Delegation",
    "LabZone",
    "MigrationWorld",
    "Server",
    "Signatures",
    "TsigKey",
    "Window",
    "World",
    "WorldSpec",
    "cutover_spec",
    "migration_spec",
    "migration_world",
    "pids_under",
]
