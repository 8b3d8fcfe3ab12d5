"""The certificate commands: `keys generate`, `certify` and `verify`.

`certify` is `run` plus signing: it reuses the same options, run and summary, and signs only a
complete, conformant run record.
"""

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from conformance.cli.shared import (
    fail_usage,
    parse_at,
    print_summary,
    printable,
    run_options,
    run_or_exit,
    run_settings,
    signing_key_option,
    target_options,
)
from conformance.errors import UsageError
from conformance.http import read_past_cap
from conformance.marketplace.council import CatalogueRefused, Listing, open_listing
from conformance.marketplace.council import check as council_check
from conformance.target import tls_verify
from conformance.trust.certificate import (
    ENVELOPE_NAME,
    HTML_NAME,
    MAX_CERTIFICATE_BYTES,
    NotCertifiable,
    Reason,
    Verification,
    VerifyExit,
    issue,
    summary_lines,
    verify_certificate,
)
from conformance.trust.revocation import RevocationList, load_list
from conformance.trust.revocation import apply as apply_revocations
from conformance.trust.signing import generate_keys, key_id, load_private_key, load_public_key, load_trust_dir
from conformance.verdicts import ExitCode

MAX_LABEL = 500


@click.group()
def keys() -> None:
    """Manage the Ed25519 keys that sign certificates."""


@keys.command("generate")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Key folder.")
@click.option("--name", default="signing", show_default=True, help="File name stem for the key files.")
def generate(out_dir: Path, name: str) -> None:
    """Write NAME.private.pem (mode 0600), NAME.public.pem and NAME.keyid; never overwrite.

    The key id is the sha256 of the public key's DER encoding. Share the public key (or its key id)
    with anyone who verifies certificates; keep the private key on the certifying runner.
    """
    try:
        files = generate_keys(out_dir, name)
    except UsageError as exc:
        fail_usage(str(exc))
        return
    click.echo(f"private key: {files.private} (mode 0600; keep it secret)")
    click.echo(f"public key:  {files.public}")
    click.echo(f"key id:      {files.key_id}  (also in {files.key_id_file})")


def _label(value: str, option: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_LABEL:
        fail_usage(f"{option} must be 1 to {MAX_LABEL} characters")
    return value


@click.command()
@target_options
@run_options
@signing_key_option("the certificate")
@click.option("--supplier", required=True, help="Supplier name printed on the certificate.")
@click.option("--product", required=True, help="Product name printed on the certificate.")
@click.option("--product-version", required=True, help="Product version printed on the certificate.")
@click.option(
    "--valid-days",
    type=click.IntRange(min=1, max=3660),
    default=365,
    show_default=True,
    help="Days until the certificate expires.",
)
def certify(
    key_path: Path,
    supplier: str,
    product: str,
    product_version: str,
    valid_days: int,
    **options: Any,
) -> None:
    """Run the profiles and, when every selected profile is conformant, sign a certificate.

    Writes certificate.html and certificate.dsse.json beside the report. A run that is not
    conformant, or incomplete, gets no certificate and exit code 1; unusable arguments give 2.
    """
    labels = [
        _label(v, o)
        for v, o in ((supplier, "--supplier"), (product, "--product"), (product_version, "--product-version"))
    ]
    if options.get("insecure"):
        fail_usage("--insecure runs are never certified; trust the supplier's CA with --ca-bundle instead")
    if options.get("read_only"):
        fail_usage("--read-only runs are never certified: certification exercises writes against a test system")
    settings = run_settings(options)
    try:
        # The key is checked before the run: a refused key should not cost a full fuzzing run.
        private_key = load_private_key(key_path)
    except UsageError as exc:
        fail_usage(str(exc))
    session = run_or_exit(settings)
    print_summary(session)
    assert session.record is not None
    try:
        statement = issue(
            session.record,
            private_key,
            session.out_dir,
            supplier=labels[0],
            product=labels[1],
            product_version=labels[2],
            valid_days=valid_days,
        )
    except NotCertifiable as exc:
        for stale in (session.out_dir / HTML_NAME, session.out_dir / ENVELOPE_NAME):
            stale.unlink(missing_ok=True)  # an older certificate must not sit beside this failing report
        click.echo("no certificate issued:")
        for failure in exc.failures:
            click.echo(f"  {failure}")
        sys.exit(ExitCode.NOT_CONFORMANT)
    predicate = statement["predicate"]
    click.echo(f"certificate: {session.out_dir / HTML_NAME}")
    click.echo(f"envelope: {session.out_dir / ENVELOPE_NAME}")
    click.echo(f"certificate id: {predicate['certificate_id']}, signed by key {key_id(private_key.public_key())}")
    click.echo(f"valid: {predicate['issued_at']} to {predicate['expires_at']}")
    image = session.record.target.image
    if image is not None:
        note = " (the image id: built locally, no registry digest)" if image.digest_source == "image-id" else ""
        click.echo(f"image: {image.name} {image.digest}{note}")
    sys.exit(ExitCode.CONFORMANT)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_paths",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Trusted Ed25519 public key (PEM), repeatable.",
)
@click.option(
    "--trust",
    "trust_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of trusted Ed25519 public keys (*.pem).",
)
@click.option("--at", "at", help="Verify as of this date or time (ISO 8601, UTC unless an offset is given).")
@click.option(
    "--revocations",
    "revocations_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Signed revocation list (revocations.dsse.json); it must be signed by a trusted key.",
)
@click.option(
    "--listing",
    "listing_location",
    help="Published listing (URL or folder): check its revocation list and that it lists the certificate.",
)
@click.option(
    "--ca-bundle",
    type=click.Path(dir_okay=False),
    help="Trust this private CA (PEM) for an https --listing instead of the system's CAs.",
)
def verify(
    file: Path,
    key_paths: tuple[Path, ...],
    trust_dir: Path | None,
    at: str | None,
    revocations_path: Path | None = None,
    listing_location: str | None = None,
    ca_bundle: str | None = None,
) -> None:
    """Verify a certificate (certificate.html or certificate.dsse.json) offline.

    \b
    Exit codes:
      0  valid
      2  unusable arguments (no such file, no trusted key, bad --at)
      3  malformed: not a certificate or not a DSSE envelope
      4  unknown key: not signed by a trusted key
      5  bad signature: the signed content or the signature was changed
      6  expired
      7  not yet valid
      8  visible page edited: the HTML differs from the view of the signed statement
      9  revoked (--revocations or --listing)
      10 not listed (--listing): genuine and current, but not in the listing
      11 listing refused (--listing): its catalogue.json is not signed by a trusted key (signature
         missing, invalid or by another key) or was changed after signing

    A revocation list or listing that cannot be read, or whose revocation list is not signed by a
    trusted key, is refused with exit code 2.
    """
    moment = parse_at(at)
    if not key_paths and trust_dir is None:
        fail_usage("give the issuer's public key with --key PUBLIC.pem or a folder of trusted keys with --trust DIR")
    if ca_bundle and listing_location is None:
        fail_usage("--ca-bundle is for fetching an https --listing; give --listing too")
    try:
        trusted = load_trust_dir(trust_dir) if trust_dir is not None else {}
        for path in key_paths:
            public = load_public_key(path)
            trusted[key_id(public)] = public
        data = read_past_cap(file, MAX_CERTIFICATE_BYTES)
        lists = [load_list(revocations_path, trusted)] if revocations_path is not None else []
        published = (
            open_listing(listing_location, trusted, tls_verify(ca_bundle, insecure=False))
            if listing_location is not None
            else None
        )
    except UsageError as exc:
        fail_usage(str(exc))
        return
    except OSError as exc:
        fail_usage(f"cannot read {file}: {exc.strerror or exc}")
        return
    except CatalogueRefused as exc:
        click.echo(f"LISTING REFUSED: {printable(str(exc))[:500]}")
        sys.exit(VerifyExit.LISTING_UNSIGNED)
    result = verify_certificate(data, trusted, moment)
    if published is not None:
        council_report(file, result, lists, published, moment)
    result = apply_revocations(result, lists)
    if result.reason is Reason.VALID and result.statement is not None:
        click.echo(f"VALID: {file}")
        for line in summary_lines(result.statement):
            click.echo(f"  {printable(line)}")
    else:
        click.echo(f"INVALID: {printable(result.message)[:500]}")
    sys.exit(result.exit_code)


def council_report(
    file: Path, result: Verification, lists: list[RevocationList], published: Listing, moment: datetime
) -> None:
    """The verdict line, then genuine / current / not revoked / listed, one line each; exits."""
    if published.revocations is not None:
        lists = [*lists, published.revocations]
    answer = council_check(result, lists, published, moment)
    verdict = answer.verdict
    if verdict.reason is Reason.VALID:
        click.echo(f"VALID AND LISTED: {file}")
    else:
        click.echo(f"INVALID: {printable(verdict.message)[:500]}")
    for line in answer.answers:
        click.echo(f"  {printable(line.line())[:500]}")
    if verdict.reason is Reason.VALID and verdict.statement is not None:
        for line in summary_lines(verdict.statement):
            click.echo(f"  {printable(line)}")
    sys.exit(verdict.exit_code)
