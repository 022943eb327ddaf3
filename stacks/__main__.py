"""The Pulumi program: the desired zone of migration.yaml at the new DNS host.

The zone comes from migrate.plan, the same code `migrate plan` and the
verifier use; this file only declares resources for it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pulumi

# `main: stacks/` makes stacks/ the working directory; the package lives one up.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT_ROOT), str(Path(__file__).resolve().parent)]

from migrate import plan, spec as spec_module  # noqa: E402

config = pulumi.Config("m365-exit")
spec_path = Path(config.require("spec"))
spec = spec_module.load(spec_path if spec_path.is_absolute() else PROJECT_ROOT / spec_path)
result = plan.build(spec)
# `migrate plan` lists these as a lint error; applying without them would lose them unseen.
unheld = [f"{d.rrset.name} {d.rrset.rdtype}" for d in result.dropped if d.rule == plan.UNSUPPORTED]
if unheld:
    raise pulumi.RunError(
        f"{spec.path}: the DNS host {spec.dns.host} cannot hold {', '.join(unheld)} (lint {plan.UNSUPPORTED}); "
        "replace or remove them, or use a host that can"
    )
desired = result.desired

if spec.dns.host == "cloudflare":
    import cloudflare_stack

    cloudflare_stack.declare(spec, desired, config)
elif spec.dns.host == "rfc2136":
    import rfc2136_stack

    rfc2136_stack.declare(spec, desired, config)
else:
    raise pulumi.RunError(f"{spec.path}: dns.host {spec.dns.host!r} is not handled by this program")
