"""Shared pieces of the data-quality tests."""

import html as html_lib
import re
from typing import Any

from flask.testing import FlaskClient


def value_of(html: str, name: str) -> str:
    """The value of the input called `name` on a page."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert tag, f"no input {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html_lib.unescape(value.group(1)) if value else ""


def volunteer_edit(client: FlaskClient, volunteer_id: int, **overrides: Any) -> dict[str, Any]:
    """The coordinator's edit form of a volunteer as loaded now, with some fields changed
    (languages, times, topics and places as the test factory makes them)."""
    page = client.get(f"/volunteers/{volunteer_id}/edit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    data: dict[str, Any] = {
        name: value_of(html, name)
        for name in ("first_name", "last_name", "email", "phone", "postcode", "loaded_at", "loaded")
    }
    data.update(
        {
            "gender": "",
            "languages-0-code": "ar",
            "languages-0-level": "fluent",
            "languages-1-code": "de",
            "languages-1-level": "native",
            "slots": ["mon-evening", "sat-morning"],
            "topics": ["authorities", "german"],
            "capacity": "1",
        }
    )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
