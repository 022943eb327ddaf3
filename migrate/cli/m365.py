"""`migrate m365 remove-domain SPEC [--force-delete] [--keep-accounts-enabled]`.

Removes the domain from the tenant through Graph once nothing references it.
While references remain it refuses (exit 1) and lists them, unless
--force-delete is given: Graph's forceDelete then renames every reference to
the tenant's .onmicrosoft.com domain and, by Graph's default, DISABLES the
renamed user accounts; --keep-accounts-enabled sends disableUserAccounts=false.
"""

from __future__ import annotations

from typing import Annotated

import typer

from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import SpecArg, StateOpt, load
from migrate.errors import MigrateError
from migrate.graph.client import GraphClient
from migrate.names import domain_id

m365 = typer.Typer(name="m365", help="Microsoft 365 tenant actions through Graph.", no_args_is_help=True)
app.add_typer(m365, name="m365")

SHOW = 50


@m365.command("remove-domain")
def remove_domain_command(
    spec: SpecArg,
    state: StateOpt = None,
    force_delete: Annotated[
        bool, typer.Option("--force-delete", help="Use Graph forceDelete: rename every reference to the .onmicrosoft.com domain, then delete.")
    ] = False,
    keep_accounts_enabled: Annotated[
        bool, typer.Option("--keep-accounts-enabled", help="With --force-delete: do not disable the renamed user accounts.")
    ] = False,
) -> None:
    """Remove the domain from the tenant; refuses while anything references it (exit 1)."""

    def body() -> int:
        loaded = load(spec)
        name = domain_id(loaded.domain)
        if keep_accounts_enabled and not force_delete:
            output.message("note: --keep-accounts-enabled only matters with --force-delete")
        if any(ns.endswith("bdm.microsoftonline.com.") for ns in loaded.source.nameservers):
            output.message(
                "warning: the domain's old name servers are Microsoft's; switch NS at the registrar before removing the domain, "
                "or the zone Microsoft serves disappears with it"
            )
        with GraphClient.from_spec(loaded) as client:
            if client.get_domain(name) is None:
                output.message(f"{name} is not in the tenant (already removed)")
                return 0
            references = client.domain_name_references(name)
            if references and not force_delete:
                for ref in references[:SHOW]:
                    output.record(ref.kind, ref.name, ref.id)
                more = f" (first {SHOW} shown)" if len(references) > SHOW else ""
                raise MigrateError(
                    f"refused: {len(references)} objects still reference {name}{more}; move them to another domain, "
                    "or use --force-delete to have Graph rename them"
                )
            if force_delete:
                if keep_accounts_enabled:
                    output.message(f"forceDelete: {len(references)} references will be renamed to the .onmicrosoft.com domain; accounts stay enabled")
                else:
                    output.message(
                        f"WARNING: forceDelete renames {len(references)} references to the .onmicrosoft.com domain and DISABLES every "
                        "renamed user account (users cannot sign in, nor save their data); pass --keep-accounts-enabled to avoid that",
                        style="bold yellow",
                    )
                client.force_delete_domain(name, disable_user_accounts=not keep_accounts_enabled)
            else:
                client.delete_domain(name)
            if client.get_domain(name) is None:
                output.message(f"removed {name} from the tenant")
            else:
                output.message(f"{name}: deletion accepted and still in progress; `migrate gate SPEC` shows when it is gone")
        return 0

    output.run(body)
