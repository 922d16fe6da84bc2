"""Valid form payloads for sign-up, intake and self-service, and helpers to read the results."""

import re
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import Base
from tests.conftest import inside


def signup_form(**overrides: Any) -> dict[str, Any]:
    """A complete, valid sign-up."""
    data: dict[str, Any] = {
        "first_name": "Seán",
        "last_name": "O'Brien",
        "email": "sean@example.org",
        "phone": "0221 123456",
        "postcode": "50823",
        "age_band": "36_50",
        "gender": "",
        "languages-0-code": "de",
        "languages-0-level": "native",
        "languages-1-code": "ar",
        "languages-1-level": "basic",
        "slots": ["mon-evening", "sat-morning"],
        "topics": ["german", "authorities"],
        "capacity": "2",
        "motivation": "Ich war selbst neu hier.",
        "consent_matching": "y",
        "consent_contact_sharing": "y",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def newcomer_form(**overrides: Any) -> dict[str, Any]:
    """A complete, valid newcomer intake."""
    data: dict[str, Any] = {
        "first_name": "Amal",
        "contact_note": "über die Unterkunft Nord",
        "postcode": "50825",
        "age_band": "26_35",
        "languages-0-code": "ar",
        "languages-0-level": "native",
        "languages-1-code": "de",
        "languages-1-level": "basic",
        "slots": ["sat-morning", "wed-afternoon"],
        "topics": ["housing"],
        "minors": "y",
        "mentor_gender": "female",
        "consent_matching": "y",
        "consent_language": "ar",
        "consent_channel": "in_person",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def profile_form(**overrides: Any) -> dict[str, Any]:
    """A valid self-service profile update."""
    data: dict[str, Any] = {
        "languages-0-code": "de",
        "languages-0-level": "native",
        "languages-1-code": "uk",
        "languages-1-level": "good",
        "slots": ["tue-morning"],
        "topics": ["homework"],
        "capacity": "3",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def row_counts(app: Flask) -> dict[str, int]:
    """Rows per table, to show a refused request stored nothing half-way."""
    with inside(app):
        return {
            t.name: db.session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


def errors(html: str) -> list[str]:
    """The error messages shown next to fields."""
    return [m.strip() for m in re.findall(r'class="error"[^>]*>([^<]+)<', html)]


def link_in(body: str) -> str:
    """The first link in a mail body."""
    match = re.search(r"https?://\S+", body)
    assert match, body
    return match.group(0)


def path_of(link: str) -> str:
    """The path and query of a link (tests talk to the app, not to the public address)."""
    return re.sub(r"^https?://[^/]+", "", link)
