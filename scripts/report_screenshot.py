"""Remake docs/images/report.png: a real report of the reference supplier's server-error variant, in Chromium.

    python scripts/report_screenshot.py [--variant NAME] [--out docs/images/report.png]

Runs the harness against the bundled supplier on loopback (as `conformance run` does), then photographs the top
of report.html at a desktop width with the headless Chromium the browser tests use.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from conformance.demo import serve

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1100, "height": 1500}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="server-error")
    parser.add_argument("--profile", default="open-standard-export")
    parser.add_argument("--out", type=Path, default=Path("docs/images/report.png"))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, serve(options.variant) as supplier:
        reports = Path(folder) / "report"
        command = [sys.executable, "-m", "conformance", "run", *supplier.harness_args()]
        command += ["--seed", "1", "--profile", options.profile, "--out", str(reports)]
        subprocess.run(command, check=False, capture_output=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            page = browser.new_page(viewport=VIEWPORT)
            page.goto((reports / "report.html").as_uri(), wait_until="load")
            options.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(options.out))
            browser.close()
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
