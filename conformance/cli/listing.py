"""The marketplace commands: `listing build` publishes the verified certificates, `revoke` withdraws one."""

import sys
from pathlib import Path

import click

from conformance.cli.shared import fail_usage, parse_at, printable, signing_key_option
from conformance.errors import UsageError
from conformance.marketplace.listing import Collected, catalogue, collect
from conformance.marketplace.site import check_replaceable, render_site, write_site
from conformance.trust.revocation import RevocationList, append, parse_list, read_list_bytes
from conformance.trust.signing import key_id, load_private_key, load_trust_dir
from conformance.verdicts import ExitCode


@click.group()
def listing() -> None:
    """Publish the marketplace's listing of certified products."""


@listing.command("build")
@click.argument("cert_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--trust",
    "trust_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of trusted Ed25519 public keys (*.pem).",
)
@signing_key_option("catalogue.json (its public key must be in --trust)")
@click.option(
    "--revocations",
    "revocations_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Signed revocation list to honour and publish (written by `conformance revoke`).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Site folder; replaced as a whole (it must be new, empty or an earlier listing).",
)
@click.option("--at", "at", help="Decide expiry as of this time (ISO 8601; default now). Not written to the site.")
@click.option(
    "--log", "log_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the build log to this file."
)
def build(
    cert_dir: Path,
    trust_dir: Path,
    key_path: Path,
    revocations_path: Path | None,
    out_dir: Path,
    at: str | None,
    log_path: Path | None,
) -> None:
    """Verify every certificate under CERT_DIR and write a static listing of the valid ones.

    Certificates are the files `certify` writes (certificate.html, certificate.dsse.json) and any
    NAME.dsse.json or NAME.certificate.html, in any sub-folder. Each is checked for its signature by a
    trusted key, expiry at --at, revocation and an intact visible page. The log has one line per file:
    listed, rejected (with the reason) or duplicate. catalogue.json is signed with --key into
    catalogue.dsse.json, which `verify --listing` checks. Exit code 0 whatever was rejected; 2 only when
    the input is unusable (no such folder, no trusted key, a --key that is not among them, a revocation
    list that is not trusted, an --out that cannot be replaced).
    """
    moment = parse_at(at)
    try:
        trusted = load_trust_dir(trust_dir)
        signing_key = load_private_key(key_path)
        signer = key_id(signing_key.public_key())
        if signer not in trusted:
            raise UsageError(
                f"--key {key_path} (key {signer}) is not among the trusted keys in {trust_dir}: "
                "a council trusting those keys could not check the catalogue's signature"
            )
        raw = read_list_bytes(revocations_path) if revocations_path is not None else None
        lists: list[RevocationList] = [] if raw is None else [parse_list(raw, trusted, str(revocations_path))]
        check_replaceable(out_dir, [cert_dir, trust_dir, key_path])
        collected: Collected = collect(cert_dir, trusted, lists, moment)
        revoked = sum(len(x.revocations) for x in lists)
        document = catalogue(collected.listed, list(trusted), raw, revoked)
        write_site(out_dir, render_site(document, collected.listed, raw, signing_key))
    except UsageError as exc:
        fail_usage(str(exc))
        return
    except OSError as exc:
        fail_usage(f"cannot write the listing to {out_dir}: {exc.strerror or exc}")
        return
    lines = [printable(line) for line in collected.log]
    lines.append(f"{len(collected.listed)} listed, {collected.rejected} rejected; site: {out_dir / 'index.html'}")
    for line in lines:
        click.echo(line)
    if log_path is not None:
        try:
            log_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        except OSError as exc:
            fail_usage(f"the site is written, but not the log {log_path}: {exc.strerror or exc}")
    sys.exit(ExitCode.CONFORMANT)


@click.command()
@click.argument("certificate_id")
@click.option("--reason", required=True, help="Why the certificate is withdrawn; shown to buyers.")
@signing_key_option("the revocation list")
@click.option(
    "--revocations",
    "revocations_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The signed revocation list; created when missing.",
)
def revoke(certificate_id: str, reason: str, key_path: Path, revocations_path: Path) -> None:
    """Add CERTIFICATE_ID to the signed revocation list and re-sign it.

    An existing list is only extended with the key that signed it. Revoking a certificate twice
    changes nothing. Exit code 0 when the certificate is on the list, 2 for unusable arguments.
    """
    try:
        private_key = load_private_key(key_path)
        updated, changed = append(revocations_path, certificate_id.strip().lower(), reason, private_key)
    except UsageError as exc:
        fail_usage(str(exc))
        return
    except OSError as exc:
        fail_usage(f"cannot write {revocations_path}: {exc.strerror or exc}")
        return
    entry = updated.find(certificate_id.strip().lower())
    assert entry is not None
    if changed:
        click.echo(f"revoked {entry.certificate_id} on {entry.revoked_at}: {printable(entry.reason)}")
    else:
        click.echo(
            f"{entry.certificate_id} was already revoked on {entry.revoked_at}: {printable(entry.reason)}; "
            f"{revocations_path} is unchanged"
        )
    click.echo(
        f"{revocations_path}: {len(updated.revocations)} revoked, signed by key {key_id(private_key.public_key())}"
    )
    sys.exit(ExitCode.CONFORMANT)
