"""Screenshots of the published pages for a person to look at: the home page, a brève page and
a retracted brève's page, each on a desktop (1280 px) and a phone (375 px) viewport, taken in
the system's headless Chromium from the sample site the browser tests build.

    PYTHONPATH=src python tests/browser/screenshots.py [FOLDER]

writes FOLDER/{home,breve,retracted}-{desktop,phone}.png (default FOLDER: screenshots/, which
git ignores) and prints each path."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

# The sample site and the browser set-up live with the tests they serve.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from browsercheck import (
    DESKTOP,
    PAGES,
    PHONE,
    RETRACTED,
    build_site,
    chromium,
    served,
    set_viewport,
)

SHOTS = {"home": PAGES[0], "breve": PAGES[1], "retracted": RETRACTED}


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="brevefeed-shots-") as work:
        out = build_site(Path(work))
        with served(out) as root, chromium(Path(work) / "profile") as driver:
            for device, size in (("desktop", DESKTOP), ("phone", PHONE)):
                set_viewport(driver, size)
                for name, path in SHOTS.items():
                    driver.get(root + path)
                    # The whole page, not only what fits in the viewport.
                    height = driver.execute_script("return document.documentElement.scrollHeight")
                    set_viewport(driver, (size[0], max(size[1], height)))
                    target = folder / f"{name}-{device}.png"
                    driver.save_screenshot(str(target))
                    set_viewport(driver, size)
                    print(target)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots"))
