"""The published pages in a real browser: the Nu Html Checker finds no error in any page or
the stylesheet; in the system's headless Chromium, on a phone-sized viewport, a page of each
kind has no serious or critical axe-core violation, no horizontal scrolling and no console
error. The tools are installed by .ci/run; elsewhere a missing one skips with its reason."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browsercheck import (
    AXE_JS,
    PAGES,
    PHONE,
    VNU_JAR,
    axe_violations,
    browser_available,
    build_site,
    chromium,
    console_errors,
    java,
    overflow,
    require,
    served,
    set_viewport,
)

NPM_HINT = "(cd tests/browser && npm install; .ci/run does it)"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def browser(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """One Chromium session and one server for every page: starting either is the slow part."""
    available, reason = browser_available()
    require(available, reason)
    require(AXE_JS.is_file(), f"axe-core is not installed {NPM_HINT}")
    with served(site) as root, chromium(tmp_path_factory.mktemp("profile")) as driver:
        set_viewport(driver, PHONE)
        yield driver, root


def test_the_nu_html_checker_finds_no_error(site: Path) -> None:
    require(
        java() is not None,
        "no Java runtime for the Nu Html Checker (apt-get install default-jre-headless)",
    )
    require(VNU_JAR.is_file(), f"vnu-jar is not installed {NPM_HINT}")
    pages = sorted(str(p) for p in site.rglob("*.html"))
    assert len(pages) > len(PAGES)
    result = subprocess.run(
        [
            java() or "java",
            "-jar",
            str(VNU_JAR),
            "--errors-only",
            "--also-check-css",
            "--format",
            "json",
            *pages,
            str(site / "style.css"),
        ],
        capture_output=True,
        text=True,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']}" for m in messages]
    assert errors == []
    assert result.returncode == 0


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.strip("/") or "home")
def test_a_page_passes_axe_fits_a_phone_and_logs_no_error(
    browser: tuple[Any, str], path: str
) -> None:
    driver, root = browser
    driver.get(root + path)
    assert driver.execute_script("return document.readyState") == "complete"
    serious = [
        f"{v['impact']} {v['id']}: {v['help']} at {', '.join(v['nodes'])}"
        for v in axe_violations(driver)
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert overflow(driver) == 0
    assert console_errors(driver) == []
