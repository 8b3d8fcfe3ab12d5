"""A certificate is a signed in-toto statement about a run record; its HTML page is a view of the statement.

`issue` signs only a complete, conformant record. `verify_certificate` checks, in order, form, key, signature,
statement, visible page (re-rendered from the payload, see conformance.render.certificate) and validity window.
"""

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

import jsonschema
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.record import Outcome, RunMode, RunRecord, Verdict
from conformance.render.certificate import CERTIFICATE_VIEWS, CURRENT_VIEW, embed_json, render_html
from conformance.schemas_loader import validate
from conformance.timestamps import format_time, parse_time
from conformance.trust.signing import BadSignature, EnvelopeError, UnknownKey, key_id, sign_envelope, verify_envelope

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://conformance.example/predicates/certificate/v1"
HTML_NAME = "certificate.html"
ENVELOPE_NAME = "certificate.dsse.json"
MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024
ENVELOPE_ELEMENT = re.compile(
    r'<script type="application/json" id="conformance-envelope">(?P<json>.*?)</script>', re.DOTALL
)


class NotCertifiable(Exception):
    """The run does not support a certificate; `failures` says why, one line each."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("; ".join(failures))
        self.failures = failures


class Reason(StrEnum):
    VALID = "valid"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown-key"
    BAD_SIGNATURE = "bad-signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    PAGE_EDITED = "page-edited"
    REVOKED = "revoked"
    NOT_LISTED = "not-listed"


class VerifyExit(IntEnum):
    """`conformance verify` exit codes; 1 is unused and 2 stays "unusable arguments" as for every command."""

    VALID = 0
    MALFORMED = 3
    UNKNOWN_KEY = 4
    BAD_SIGNATURE = 5
    EXPIRED = 6
    NOT_YET_VALID = 7
    PAGE_EDITED = 8
    REVOKED = 9
    NOT_LISTED = 10
    LISTING_UNSIGNED = 11  # --listing: its catalogue's signature is missing, invalid, untrusted, or it was edited


@dataclass
class Verification:
    reason: Reason
    message: str
    statement: dict[str, Any] | None = None

    @property
    def exit_code(self) -> int:
        return int(VerifyExit[self.reason.name])


# --- issuing ----------------------------------------------------------------------------------


def certification_failures(record: RunRecord) -> list[str]:
    """Why this run record must not become a certificate; empty when it may."""
    failures = []
    if record.target.spec_sha256 is None:
        failures.append("the OpenAPI document could not be read, so nothing names what was tested")
    if not record.target.tls_verified:
        failures.append("TLS certificates were not verified (--insecure): such a run is never certified")
    if record.run.read_only:
        failures.append("the run was read-only: requirements that need writes were not tested")
    if record.run.mode == RunMode.DOCUMENT_ONLY:
        failures.append("only the OpenAPI document was checked (check-document): the live API was not tested")
    if not record.run.complete:
        failures.append(f"the run is incomplete: {record.run.incomplete_reason or 'unknown reason'}")
    for profile in record.profiles:
        if profile.verdict != Verdict.CONFORMANT:
            failed = [f"{r.id} {r.level} {r.outcome}" for r in profile.requirements if r.outcome != Outcome.PASS]
            failures.append(f"{profile.id} {profile.version} is {profile.verdict}: {', '.join(failed)}")
    if record.verdict != Verdict.CONFORMANT and not failures:
        failures.append(f"the overall verdict is {record.verdict}")
    return failures


def subjects(record: RunRecord) -> list[dict[str, Any]]:
    """The tested OpenAPI document and, when a container image was tested, its digest."""
    target = record.target
    found: list[dict[str, Any]] = [{"name": target.spec, "digest": {"sha256": target.spec_sha256}}]
    image = target.image
    if image is not None and image.digest.startswith("sha256:"):
        found.append({"name": image.name, "digest": {"sha256": image.digest[len("sha256:") :]}})
    return found


def build_statement(
    record: RunRecord,
    *,
    supplier: str,
    product: str,
    product_version: str,
    valid_days: int,
    issuer_key_id: str,
    issued: datetime,
) -> dict[str, Any]:
    """The in-toto Statement v1 for a conformant, complete run; raises NotCertifiable otherwise."""
    failures = certification_failures(record)
    if failures:
        raise NotCertifiable(failures)
    issued = issued.astimezone(UTC).replace(microsecond=0)
    target, run, harness, fuzzing = record.target, record.run, record.harness, record.fuzzing
    predicate = {
        "certificate_id": str(uuid.uuid4()),
        "supplier": supplier,
        "product": {"name": product, "version": product_version},
        "target": {
            "spec": target.spec,
            "spec_sha256": target.spec_sha256,
            "spec_format": target.spec_format,
            "base_url": target.base_url,
            "api_title": target.api_title,
            "api_version": target.api_version,
        },
        "verdict": record.verdict.value,
        "profiles": [
            {
                "id": p.id,
                "version": p.version,
                "title": p.title,
                "verdict": p.verdict.value,
                "advisories": list(p.advisories),
                "requirements": [
                    {"id": r.id, "level": r.level.value, "statement": r.statement, "outcome": r.outcome.value}
                    for r in p.requirements
                ],
            }
            for p in record.profiles
        ],
        "fuzzing": {
            "cases": fuzzing.cases,
            "operations_tested": fuzzing.operations_tested,
            "operations_total": fuzzing.operations_total,
            "max_examples": run.max_examples,
        },
        "run": {"seed": run.seed, "started_at": run.started_at, "finished_at": run.finished_at},
        "harness": {"name": harness.name, "version": harness.version, "schemathesis": harness.schemathesis},
        "issued_at": format_time(issued),
        "expires_at": format_time(issued + timedelta(days=valid_days)),
        "issuer_key_id": issuer_key_id,
        "view": CURRENT_VIEW,
    }
    statement = {
        "_type": STATEMENT_TYPE,
        "subject": subjects(record),
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }
    check_statement(statement)
    return statement


def canonical(statement: dict[str, Any]) -> bytes:
    """The exact bytes that are signed: sorted keys, no whitespace, UTF-8."""
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def issue(
    record: RunRecord,
    private_key: Ed25519PrivateKey,
    out_dir: Path,
    *,
    supplier: str,
    product: str,
    product_version: str,
    valid_days: int,
    issued: datetime | None = None,
) -> dict[str, Any]:
    """Sign a statement for the run and write certificate.dsse.json and certificate.html into out_dir."""
    statement = build_statement(
        record,
        supplier=supplier,
        product=product,
        product_version=product_version,
        valid_days=valid_days,
        issuer_key_id=key_id(private_key.public_key()),
        issued=issued or datetime.now(UTC),
    )
    envelope = sign_envelope(canonical(statement), private_key)
    (out_dir / ENVELOPE_NAME).write_text(json.dumps(envelope, indent=2) + "\n", encoding="utf-8")
    (out_dir / HTML_NAME).write_text(render_html(statement, embed_json(envelope)), encoding="utf-8")
    return statement


# --- verifying --------------------------------------------------------------------------------


def check_statement(statement: Any) -> None:
    """Raise ValueError (or jsonschema.ValidationError) unless this is a well-formed certificate statement."""
    if not isinstance(statement, dict) or set(statement) != {"_type", "subject", "predicateType", "predicate"}:
        raise ValueError("the payload is not an in-toto Statement")
    if statement["_type"] != STATEMENT_TYPE:
        raise ValueError(f"_type is {statement['_type']!r}, expected {STATEMENT_TYPE!r}")
    if statement["predicateType"] != PREDICATE_TYPE:
        raise ValueError(f"predicateType is {statement['predicateType']!r}, expected {PREDICATE_TYPE!r}")
    subject = statement["subject"]
    if not isinstance(subject, list) or not subject:
        raise ValueError("the statement has no subject")
    for item in subject:
        if not (isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("digest"), dict)):
            raise ValueError("a subject has no name or digest")
    validate(statement["predicate"], "certificate-predicate")
    predicate = statement["predicate"]
    if subject[0]["digest"].get("sha256") != predicate["target"]["spec_sha256"]:
        raise ValueError("the subject digest and the predicate's spec digest differ")
    if parse_time(predicate["issued_at"]) >= parse_time(predicate["expires_at"]):
        raise ValueError("the certificate expires before it is issued")


def read_certificate(data: bytes) -> tuple[dict[str, Any], str | None, str | None]:
    """(envelope, page text normalised, raw embedded JSON) from an HTML certificate or a bare envelope."""
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise ValueError("the file is too large to be a certificate")
    text = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return json.loads(stripped), None, None
    matches = list(ENVELOPE_ELEMENT.finditer(text))
    if len(matches) != 1:
        raise ValueError("no single embedded envelope: this is neither a certificate page nor a DSSE envelope")
    raw = matches[0].group("json")
    return json.loads(raw), text, raw


def verify_certificate(data: bytes, trusted: dict[str, Ed25519PublicKey], at: datetime) -> Verification:
    """Check, in order: form, key, signature, statement, visible page, validity window."""
    try:
        envelope, page, raw = read_certificate(data)
        payload, signer = verify_envelope(envelope, trusted)
    except (ValueError, UnicodeDecodeError, RecursionError, EnvelopeError) as exc:
        return Verification(Reason.MALFORMED, f"malformed: {exc}")
    except UnknownKey as exc:
        return Verification(Reason.UNKNOWN_KEY, f"unknown key: {exc}")
    except BadSignature as exc:
        return Verification(Reason.BAD_SIGNATURE, f"bad signature: {exc}")
    try:
        statement = json.loads(payload.decode("utf-8"))
        check_statement(statement)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return Verification(Reason.MALFORMED, f"malformed: the signed statement is not a certificate: {exc}")
    except jsonschema.ValidationError as exc:
        return Verification(Reason.MALFORMED, f"malformed: the signed predicate breaks its schema: {exc.message}")
    predicate = statement["predicate"]
    if predicate["issuer_key_id"] != signer:
        return Verification(
            Reason.BAD_SIGNATURE, f"bad signature: signed by key {signer} but names issuer {predicate['issuer_key_id']}"
        )
    if page is not None and predicate["view"] not in CERTIFICATE_VIEWS:
        return Verification(
            Reason.MALFORMED,
            f"malformed: the page uses certificate view {predicate['view']}, which this version of the harness "
            "does not know; upgrade it, or verify the certificate.dsse.json file instead",
        )
    if page is not None and raw is not None and page != render_html(statement, raw):
        return Verification(
            Reason.PAGE_EDITED, "visible page edited: the page differs from the view of the signed certificate"
        )
    at = at.astimezone(UTC)
    if at < parse_time(predicate["issued_at"]):
        return Verification(
            Reason.NOT_YET_VALID,
            f"not yet valid: issued {predicate['issued_at']}, checked as of {format_time(at)}",
            statement,
        )
    if at >= parse_time(predicate["expires_at"]):
        return Verification(
            Reason.EXPIRED, f"expired: expired {predicate['expires_at']}, checked as of {format_time(at)}", statement
        )
    return Verification(Reason.VALID, "valid", statement)


def summary_lines(statement: dict[str, Any]) -> list[str]:
    """What a council needs from a valid certificate, a line each."""
    p = statement["predicate"]
    lines = [
        f"product: {p['product']['name']} {p['product']['version']} by {p['supplier']}",
        *(f"profile: {x['id']} {x['version']}: {x['verdict'].upper()}" for x in p["profiles"]),
        f"spec: {p['target']['spec']} sha256:{p['target']['spec_sha256']}",
        f"tested: {p['target']['base_url']} ({p['fuzzing']['cases']} fuzzed cases, seed {p['run']['seed']})",
        f"valid: {p['issued_at']} to {p['expires_at']}",
        f"issuer key: {p['issuer_key_id']}",
        f"certificate: {p['certificate_id']}",
    ]
    return lines
