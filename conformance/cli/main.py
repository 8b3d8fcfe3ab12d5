"""The `conformance` command line: the group and its commands.

Exit codes: 0 conformant, 1 not conformant (or incomplete), 2 unusable target or arguments; `verify` has its own.
"""

import click

from conformance.cli.certificates import certify, keys, verify
from conformance.cli.check_document import check_document
from conformance.cli.listing import listing, revoke
from conformance.cli.marketplace_register import marketplace
from conformance.cli.profiles import profiles
from conformance.cli.run import demo, run


@click.group(invoke_without_command=True)
@click.version_option(package_name="procurement-conformance")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Procurement interoperability conformance harness.

    With no command, runs the demo against the bundled reference supplier.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(demo)


for command in (run, check_document, demo, keys, certify, verify, listing, revoke, profiles, marketplace):
    main.add_command(command)
