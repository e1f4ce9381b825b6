"""The merchant page in Debian's Chromium (Playwright, headless, ``--no-sandbox``), against the
app served for real on 127.0.0.1 (werkzeug in its own thread).

A failed test leaves a screenshot of each page it opened in ``STOREFLOW_SCREENSHOT_DIR``
(default ``/tmp/storeflow-browser-failures``), named after the test. axe-core (npm, MPL-2.0,
650 kB: not vendored) is installed at test time into a folder outside the repository
(``STOREFLOW_AXE_DIR``, default ``~/.cache/storeflow-axe``) with ``npm install``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
LOCAL_NETWORK_CHECKS = "LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests"
SCREENSHOTS = Path(os.environ.get("STOREFLOW_SCREENSHOT_DIR", "/tmp/storeflow-browser-failures"))
AXE_DIR = Path(os.environ.get("STOREFLOW_AXE_DIR", Path.home() / ".cache" / "storeflow-axe"))
AXE_VERSION = "4.14.1"
# Shopify's CDN is not reached from tests: its scripts are answered by the tests' stubs.
POLARIS = "https://cdn.shopify.com/shopifycloud/polaris.js"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture()
def live_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture()
def cookieless_browser(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A Chromium profile whose cookie setting is "block" (chrome://settings/cookies); each
    page it opened is photographed when the test fails."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    prefs = {"profile": {"default_content_setting_values": {"cookies": 2}}}
    (profile / "Default" / "Preferences").write_text(json.dumps(prefs))
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            viewport={"width": 1200, "height": 900},
            # Our test server is on 127.0.0.1 while the "WordPress admin" framing it is a
            # public https origin: Chromium's local-network-access checks would block the
            # frame, which a real deployment (a public service) never meets.
            args=["--no-sandbox", f"--disable-features={LOCAL_NETWORK_CHECKS}"],
        )
        context.route(POLARIS, lambda r: r.fulfill(body="", content_type="text/javascript"))
        try:
            yield context
        finally:
            report = getattr(request.node, "report_call", None)
            if report is not None and report.failed:
                _screenshots(context, request.node.name)
            context.close()


def _screenshots(context: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(context.pages):
        if page.url == "about:blank":
            continue
        path = SCREENSHOTS / f"{name}-{n}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            print(f"screenshot of the failed page: {path}")
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"no screenshot of page {n}: {exc}")


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's browser build, installed with npm outside the repository when missing."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is needed to install axe-core for the accessibility check")
        subprocess.run(
            [
                npm,
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(AXE_DIR),
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return script


def serious_violations(page: Any, axe_script: Path) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA violations of impact serious or critical on the page."""
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate(
        """async () => await axe.run(document, {
             runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
           })"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium missing")
