"""The `conformance` command line: the group and its commands.

Exit codes: 0 conformant, 1 not conformant (or incomplete), 2 unusable target or arguments; `verify` has its own.
"""

import importlib
from typing import Any

import click

from conformance.cli.certificates import certify, keys, verify
from conformance.cli.check_document import check_document
from conformance.cli.listing import listing, revoke
from conformance.cli.profiles import profiles
from conformance.cli.run import demo, run

# Loaded when named: the register's SQLAlchemy and Alembic would add half a second to every `run`.
LAZY_COMMANDS = {"marketplace": "conformance.cli.marketplace_register"}


class LazyGroup(click.Group):
    """A group whose heavier command families are imported only when invoked (click's lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> Any:
        if cmd_name in LAZY_COMMANDS:
            return getattr(importlib.import_module(LAZY_COMMANDS[cmd_name]), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.version_option(package_name="procurement-conformance")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Procurement interoperability conformance harness.

    With no command, runs the demo against the bundled reference supplier.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(demo)


for command in (run, check_document, demo, keys, certify, verify, listing, revoke, profiles):
    main.add_command(command)
