"""axe-core on the pages the browser journeys visit: no violation of any impact.

axe-core comes inside the axe-playwright-python wheel (pinned in requirements.lock), so
nothing is fetched; it is evaluated in the page, which the app's CSP does not apply to.
"""

import json
import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.conftest import SCREENSHOTS

AXE = Axe()
REPORTS = SCREENSHOTS.parent / "axe"


def assert_accessible(page: Page, name: str) -> None:
    """Run every axe-core rule on the page as it is now; fail with a readable report.

    A page with violations also leaves its raw results in test-output/axe/<name>.json.
    """
    results = AXE.run(page)
    if results.violations_count == 0:
        return
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / (re.sub(r"[^\w.-]+", "_", name) + ".json")
    path.write_text(json.dumps(results.response["violations"], indent=2, ensure_ascii=False))
    raise AssertionError(f"{name} ({page.url}): {results.generate_report()}\nraw: {path}")
