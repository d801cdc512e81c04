"""What the browser tests and the screenshot script share: a sample site published from the
publish fixtures (with a retracted brève and older list pages), served on 127.0.0.1 by
`brevefeed serve`'s own server, and the system's Chromium driven by Selenium.

The validators come from npm (tests/browser/package.json, installed by .ci/run); Chromium and
its driver from Debian, because no browser build can be downloaded here."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from brevefeed.archive import open_archive
from brevefeed.archive.breves import retract
from brevefeed.publish import publish
from brevefeed.publish.serve import local_url, make_server
from test_publish_run import BASE, BREVES, NOW, load, make_config

NODE_MODULES = Path(__file__).parent / "browser" / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
RETRACTED = "breves/cantines-la-commune-passe-au-bio-a-60/"
# One page of each template and kind: home, a brève, a retracted brève, a tag, the subscribe
# page and an older (full, frozen) list page.
PAGES = [
    "",
    "breves/piste-cyclable-du-quai-les-travaux-reportes-a-l-automne/",
    RETRACTED,
    "tags/sante/",
    "abonnement/",
    "pages/1/",
]
DESKTOP = (1280, 900)
PHONE = (375, 812)
# Fresh profile, nothing that talks to the network on its own: the pages are all we load.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require(available: bool, message: str) -> None:
    """Skip when a tool is missing, except in CI, where .ci/run installs it: there a missing
    tool is a broken set-up that must not pass as a skip."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def build_site(folder: Path) -> Path:
    """Publish the fixture brèves into ``folder/public``, then retract one: every template
    and state a reader can meet. Returns the output folder."""
    config = make_config(folder)
    archive = open_archive(f"sqlite:///{folder / 'archive.sqlite3'}")
    try:
        load(archive, BREVES)
        publish(archive, config, now=NOW)
        with archive.session() as session:
            retract(
                session,
                RETRACTED.removeprefix("breves/").rstrip("/"),
                reason="Chiffres erronés",
                editor="test",
                now=datetime(2024, 6, 26, 9, tzinfo=UTC),
            )
        publish(archive, config, now=datetime(2024, 6, 27, tzinfo=UTC))
    finally:
        archive.close()
    return folder / "public"


@contextmanager
def served(out: Path) -> Iterator[str]:
    """``out`` served under base_url's path as `brevefeed serve` does; yields its root URL."""
    server = make_server(out, BASE, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield local_url(server, BASE)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """One headless Chromium session (the system's), with its console log kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def browser_available() -> tuple[bool, str]:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False, "selenium is not installed (pip install -e '.[test]')"
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        return False, "no system Chromium (apt-get install chromium chromium-driver; .ci/run)"
    return True, ""


def set_viewport(driver: Any, size: tuple[int, int]) -> None:
    """An exact CSS viewport (a window size would include whatever the browser draws around
    it); ``mobile`` makes the page's viewport meta count, as on a phone."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def console_errors(driver: Any) -> list[str]:
    """The console errors since the last call (reading the log empties it)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def overflow(driver: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scrolling)."""
    width: int = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
    r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(' '))}))),
    e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the loaded page."""
    driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
    driver.set_script_timeout(30)
    violations: list[dict[str, Any]] = driver.execute_async_script(AXE_RUN)
    return violations


def java() -> str | None:
    return shutil.which("java")
