"""The Typer application every command module registers on."""

import typer

app = typer.Typer(
    name="migrate",
    help="Take a custom domain off Microsoft 365 without losing one email, then unlock the cancellation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
