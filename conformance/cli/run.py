"""`conformance run` tests a supplier's API (or container image); `conformance demo` tests the bundled one."""

import dataclasses
import sys
from typing import Any

import click

from conformance.cli.shared import print_summary, run_options, run_or_exit, run_settings, target_options
from conformance.run.settings import RunSettings


def finish(settings: RunSettings) -> None:
    """Run, print the verdicts, and exit with the documented code."""
    session = run_or_exit(settings)
    print_summary(session)
    sys.exit(session.exit_code())


@click.command()
@target_options
@run_options
def run(**options: Any) -> None:
    """Test a supplier's API (or its container image, with --image) against the conformance profiles."""
    finish(run_settings(options))


@click.command()
@run_options
def demo(**options: Any) -> None:
    """Start the bundled reference supplier on a free loopback port and test it."""
    from conformance.demo import serve

    with serve("conformant") as supplier:
        click.echo(f"reference supplier at {supplier.spec_url}", err=True)
        settings = RunSettings.from_options(
            {
                **options,
                "spec": supplier.spec_url,
                "headers": (f"Authorization: Bearer {supplier.token}",),
                "peer_headers": (f"Authorization: Bearer {supplier.peer_token}",),
            }
        )
        finish(dataclasses.replace(settings, ca_bundle=settings.ca_bundle or supplier.ca_bundle))
