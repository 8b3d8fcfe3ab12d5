"""Render the catalogue into a static site and put it in place as a whole.

Every link is relative and names a file (never a folder), so the site works from the file system and
from any static web server at any path. Pages carry inline CSS and JS only and a CSP that forbids
loading anything else.
"""

import json
import os
import shutil
import tempfile
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from markupsafe import Markup

from conformance.errors import UsageError
from conformance.marketplace.badges import badge_svg
from conformance.marketplace.listing import (
    CATALOGUE_NAME,
    REVOCATIONS_NAME,
    SCHEMA_NAME,
    SIGNED_CATALOGUE_NAME,
    Listed,
    catalogue_bytes,
    sign_catalogue,
)
from conformance.record import Outcome
from conformance.render.certificate import embed_json, render_html
from conformance.render.templates import templates
from conformance.timestamps import human_date
from conformance.trust.certificate import ENVELOPE_NAME, HTML_NAME


def tally(requirements: list[dict[str, Any]]) -> str:
    counts = Counter(r["outcome"] for r in requirements)
    order = (Outcome.PASS, Outcome.NOT_APPLICABLE, Outcome.FAIL, Outcome.ERROR)
    parts = ", ".join(f"{counts[o]} {o}" for o in order if counts[o])
    return f"{len(requirements)} requirements: {parts}" if requirements else "no requirements"


def badge_for(entry: dict[str, Any], profile: dict[str, Any]) -> str:
    title = (
        f"{entry['product']['name']} {entry['product']['version']} by {entry['supplier']}: {profile['title']} "
        f"{profile['version']} {profile['verdict']}, certificate {entry['certificate_id']}, "
        f"expires {human_date(entry['expires_at'])}"
    )
    return badge_svg(f"{profile['id']} {profile['version']}", profile["verdict"], title)


def profile_options(products: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each profile id once, titled as in the first product that has it, sorted by id."""
    titles: dict[str, str] = {}
    for entry in products:
        for profile in entry["profiles"]:
            titles.setdefault(profile["id"], profile["title"])
    return [{"id": pid, "title": titles[pid]} for pid in sorted(titles)]


def render_site(
    document: dict[str, Any], listed: list[Listed], revocations: bytes | None, signing_key: Ed25519PrivateKey
) -> dict[str, bytes]:
    """Every file of the site, by relative path: a pure function of the catalogue, the certificates and the key
    that signs the catalogue."""
    by_id = {entry.certificate_id: entry for entry in listed}
    env = templates()
    products = document["products"]
    catalogue_data = catalogue_bytes(document)
    site: dict[str, bytes] = {
        CATALOGUE_NAME: catalogue_data,
        SIGNED_CATALOGUE_NAME: sign_catalogue(catalogue_data, signing_key),
        SCHEMA_NAME: files("conformance").joinpath(f"schemas/{SCHEMA_NAME}").read_bytes(),
    }
    if revocations is not None:
        site[REVOCATIONS_NAME] = revocations
    index = env.get_template("listing_index.html.j2").render(
        products=[
            {"entry": e, "issued": human_date(e["issued_at"]), "expires": human_date(e["expires_at"])} for e in products
        ],
        profile_options=profile_options(products),
        revocation_list=document["revocation_list"],
    )
    site["index.html"] = index.encode("utf-8")
    for entry in products:
        source = by_id[entry["certificate_id"]]
        requirements = {p["id"]: p["requirements"] for p in source.statement["predicate"]["profiles"]}
        profiles = []
        for profile in entry["profiles"]:
            svg = badge_for(entry, profile)
            site[profile["badge"]] = svg.encode("utf-8")
            profiles.append({"entry": profile, "badge_svg": Markup(svg), "tally": tally(requirements[profile["id"]])})
        page = env.get_template("listing_product.html.j2").render(
            entry=entry,
            profiles=profiles,
            issued=human_date(entry["issued_at"]),
            expires=human_date(entry["expires_at"]),
        )
        site[entry["page"]] = page.encode("utf-8")
        folder = f"certificates/{entry['certificate_id']}"
        site[f"{folder}/{HTML_NAME}"] = render_html(source.statement, embed_json(source.envelope)).encode("utf-8")
        site[f"{folder}/{ENVELOPE_NAME}"] = json_text(source.envelope).encode("utf-8")
    return site


def json_text(envelope: dict[str, Any]) -> str:
    """Serialised exactly as `certify` writes certificate.dsse.json."""
    return json.dumps(envelope, indent=2) + "\n"


def check_replaceable(out: Path, inputs: list[Path], marker: str = CATALOGUE_NAME, name: str = "--out") -> None:
    """A site's folder is replaced as a whole, so it must be new, empty or an earlier site of its kind (one that
    holds `marker`), and hold no input. `name` is how messages call the folder."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{name} {out} exists and is not a folder")
    resolved = out.resolve()
    for path in inputs:
        if path.resolve() == resolved or resolved in path.resolve().parents:
            raise UsageError(f"{name} {out} holds the input {path}; it would be deleted when the site is replaced")
    if out.is_dir() and any(out.iterdir()) and not (out / marker).is_file():
        raise UsageError(f"{name} {out} is not empty and holds no {marker}: refusing to replace it")


def write_site(out: Path, site: dict[str, bytes]) -> None:
    """Write into a sibling folder, then swap it in: a web server never serves half a site."""
    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.building-"))
    try:
        os.chmod(building, 0o755)
        for relative, data in sorted(site.items()):
            path = building / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.old-"))
            os.replace(out, old / "site")
        try:
            os.replace(building, out)
        except OSError:
            if old is not None:
                os.replace(old / "site", out)  # put the earlier site back
            raise
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
