"""Real-browser tests: Debian's Chromium driven by pytest-playwright against a live server.

Screenshots go to test-output/screenshots/ (kept by CI as the journeys' evidence).
"""

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import missing_service

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip
PHONE = {"width": 390, "height": 844}


def page_width(page: Any) -> int:
    """The page's scroll width once its stylesheet has loaded: a click returns when the
    next page starts to show, and a layout measured before its CSS arrives is too wide."""
    page.wait_for_load_state("load")
    return int(page.evaluate("document.documentElement.scrollWidth"))


pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Use Debian's Chromium; Playwright's own browser download is not possible here."""
    if not shutil.which(CHROMIUM):
        missing_service("Browser tests skipped: Debian's chromium is not installed")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ARGS}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test app on 127.0.0.1 in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Any:
    """Save a full-page screenshot named after the test: `screenshot(page, "step")`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, step: str) -> Path:
        name = request.node.name.replace("[", "-").replace("]", "")
        path = SCREENSHOTS / f"{name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
