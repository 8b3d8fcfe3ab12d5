"""One product's re-validation: the run `conformance run` would do, retried on harness-side failures, then
concluded in the register. Everything it takes and returns is plain data, so a queue's task can call it.

Retried: a target that could not be reached or used at all (the errors that end `run` with exit code 2) and
a run that lost its target part-way. Never retried: a verdict, whatever it is. A run stopped part-way (its time
limit on a queue, or a stop) is the harness's doing, not the supplier's: an error, no verdict.

A queued job carries a job id: the register keeps one run per job, so a job delivered again after its worker
died records nothing twice; it reports the run the first delivery recorded.
"""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.catalogue import select_profiles
from conformance.container import ContainerRequest
from conformance.errors import UsageError
from conformance.marketplace.register.consequences import (
    CONFORMANT,
    ERROR,
    INCOMPLETE,
    NOT_CONFORMANT,
    AlreadyConcluded,
    Decision,
    RunResult,
    conclude,
)
from conformance.marketplace.register.products import Product, Register
from conformance.marketplace.register.publishing import Marketplace
from conformance.progress import Progress
from conformance.record import Verdict
from conformance.run.execution import execute
from conformance.run.settings import RunSettings
from conformance.timestamps import parse_time

OUTCOMES = {Verdict.CONFORMANT: CONFORMANT, Verdict.NOT_CONFORMANT: NOT_CONFORMANT, Verdict.INCOMPLETE: INCOMPLETE}


@dataclass(frozen=True)
class RunPolicy:
    """How each product is run: the run's own limits, and how harness-side failures are retried."""

    max_examples: int
    max_time: float | None = None
    attempts: int = 3
    backoff: float = 30.0  # seconds before the second attempt; doubled before each later one


@dataclass(frozen=True)
class Revalidated:
    """What a worker reports back: the run and the status it led to."""

    key: str
    outcome: str
    attempts: int
    status: str
    changed: bool
    report: str
    problem: str


def run_settings(product: Product, policy: RunPolicy, out: Path) -> RunSettings:
    """The settings `conformance run` would build for this product; credentials are read here, at run time."""
    headers = tuple(ref.resolve() for ref in product.credentials if ref.kind == "header")
    peer_headers = tuple(ref.resolve() for ref in product.credentials if ref.kind == "peer-header")
    container = ContainerRequest(image=product.image) if product.image else None
    settings = RunSettings(
        spec=product.spec or "",
        base_url=product.base_url,
        headers=headers,
        peer_headers=peer_headers,
        profiles=product.profiles,
        out=str(out),
        max_examples=policy.max_examples,
        max_time=policy.max_time,
        ca_bundle=product.ca_bundle,
        container=container,
    )
    settings.check()
    return settings


def run_with_retries(product: Product, policy: RunPolicy, out: Path) -> RunResult:
    """Run until a verdict, or until the attempts are spent on harness-side failures.

    The register's own problems (an unset credential, an unknown profile) are not the supplier's: no run.
    """
    try:
        select_profiles(product.profiles)
        settings = run_settings(product, policy, out)
    except UsageError as exc:
        return RunResult(product.key, ERROR, 0, None, None, f"not run: {exc}")
    problem = ""
    for attempt in range(1, policy.attempts + 1):
        if attempt > 1:
            time.sleep(policy.backoff * 2 ** (attempt - 2))
        try:
            session = execute(settings, Progress())
        except UsageError as exc:
            problem = str(exc)
            continue
        assert session.record is not None
        if session.interrupted:
            return RunResult(product.key, ERROR, attempt, None, None, "the run was stopped before it finished")
        if session.target_lost and attempt < policy.attempts:
            problem = "the target stopped answering during the run"
            continue
        results = (out / "results.json").read_text("utf-8")
        outcome = OUTCOMES[session.record.verdict]
        reason = (session.record.run.incomplete_reason or "") if outcome == INCOMPLETE else ""
        return RunResult(product.key, outcome, attempt, str(out), results, reason)
    return RunResult(product.key, ERROR, policy.attempts, None, None, problem)


def revalidate_product(
    database: str, marketplace: Marketplace, key: str, at: str, policy: RunPolicy, job: str | None = None
) -> Revalidated:
    """Run one product and conclude it in the register (the unit a local worker or a queue's task runs)."""
    register = Register(database)
    try:
        product = register.product(key)
        if job is not None and (earlier := register.concluded(job)) is not None:
            return already(product, earlier)
        moment = parse_time(at)
        out = fresh_folder(marketplace.reports / key / moment.strftime("%Y%m%dT%H%M%SZ"))
        result = run_with_retries(product, policy, out)
        try:
            decision: Decision = conclude(register, marketplace, result, moment, job)
        except AlreadyConcluded:  # a twin delivery concluded first (its lease had lapsed): keep its run
            return already(product, register.concluded(job or ""))
    finally:
        register.engine.dispose()
    return Revalidated(
        key=key,
        outcome=result.outcome,
        attempts=result.attempts,
        status=decision.status,
        changed=decision.changes(product),
        report=result.report,
        problem=result.problem,
    )


def already(product: Product, run: dict[str, Any] | None) -> Revalidated:
    """What the delivery that concluded job's run reported (its run and the status it led to)."""
    assert run is not None
    moved = run["moved_to"]
    return Revalidated(
        key=product.key,
        outcome=run["outcome"],
        attempts=run["attempts"],
        status=moved or product.status,
        changed=moved is not None,
        report=RunResult(product.key, run["outcome"], run["attempts"], run["report_dir"]).report,
        problem=run["problem"],
    )


def fresh_folder(base: Path) -> Path:
    """A report folder no earlier run of this product used (two runs given the same --at keep both)."""
    folder, counter = base, 1
    while folder.exists():
        counter += 1
        folder = base.with_name(f"{base.name}-{counter}")
    return folder
