"""Two agencies with people for the reports: Köln, whose coordinator looks, and Berlin,
whose people must never show up in Köln's files, figures or map."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from matcher.domain.contact import default_correspondence_language
from matcher.extensions import db
from matcher.models import (
    Agency,
    ConsentRecord,
    Newcomer,
    NewcomerLanguage,
    User,
    Volunteer,
    VolunteerLanguage,
    utcnow,
)
from tests.conftest import PASSWORD_HASH, inside, persist

EARLIER = datetime(2024, 6, 1, 12, tzinfo=UTC)


@dataclass
class Offices:
    """Köln (with its coordinator) and Berlin."""

    koeln: Agency
    berlin: Agency
    coordinator: User
    berlin_coordinator: User


def add_people(app: Flask, agency: Agency, volunteers: list[dict[str, Any]],
               newcomers: list[dict[str, Any]]) -> None:  # fmt: skip
    """Add volunteers and newcomers in one transaction (consenting to matching)."""
    with inside(app):
        for n, values in enumerate(volunteers):
            languages = values.pop("languages", {"de": "native", "ar": "fluent"})
            fields = {"first_name": f"Vera{n}", "last_name": "Muster",
                      "email": f"{agency.slug}-v{n}@example.org", "email_confirmed_at": utcnow(),
                      "postcode": "50733", "age_band": "36_50", "slots": 3, "topics": [],
                      "capacity": 1, "status": "active", **values}  # fmt: skip
            person = Volunteer(
                agency_id=agency.id,
                languages=[VolunteerLanguage(code=c, level=lv) for c, lv in languages.items()],
                **fields,
            )
            db.session.add(person)
            db.session.flush()
            db.session.add(ConsentRecord(agency_id=agency.id, volunteer_id=person.id,
                                         purpose="matching", notice_version="1", language="de",
                                         channel="online"))  # fmt: skip
        for n, values in enumerate(newcomers):
            languages = values.pop("languages", {"ar": "native", "de": "basic"})
            fields = {"first_name": f"Nadia{n}", "postcode": "50733", "age_band": "26_35",
                      "slots": 3, "topics": [], "status": "waiting",
                      "correspondence_language": default_correspondence_language(languages),
                      **values}  # fmt: skip
            newcomer = Newcomer(
                agency_id=agency.id,
                languages=[NewcomerLanguage(code=c, level=lv) for c, lv in languages.items()],
                **fields,
            )
            db.session.add(newcomer)
            db.session.flush()
            db.session.add(ConsentRecord(agency_id=agency.id, newcomer_id=newcomer.id,
                                         purpose="matching", notice_version="1", language="ar",
                                         channel="online"))  # fmt: skip
        db.session.commit()


@pytest.fixture
def offices(app: Flask) -> Offices:
    """Köln: free volunteers 507xx 12, 508xx 2, 509xx 7 (and one inactive); waiting
    newcomers 507xx 6, 508xx 9, 509xx 3 (and one closed). Berlin: 6 and 6 in 101xx, all
    called Zora."""
    koeln = Agency(slug="koeln", name="Integrationshilfe Köln", city="Köln")
    berlin = Agency(slug="berlin", name="Patenschaften Berlin", city="Berlin")
    persist(app, koeln, berlin)
    coordinator = User(email="k@example.org", role="coordinator", agency_id=koeln.id,
                       password_hash=PASSWORD_HASH)  # fmt: skip
    berlin_coordinator = User(email="b@example.org", role="coordinator", agency_id=berlin.id,
                              password_hash=PASSWORD_HASH)  # fmt: skip
    persist(app, coordinator, berlin_coordinator)
    volunteers: list[dict[str, Any]] = []
    volunteers += [{"postcode": "50733", "gender": "female" if i < 8 else "male",
                    "created_at": EARLIER} for i in range(12)]  # fmt: skip
    volunteers += [{"postcode": "50823", "gender": "diverse", "age_band": "over_65",
                    "languages": {"de": "native", "ti": "native"}} for _ in range(2)]  # fmt: skip
    volunteers += [{"postcode": "50935"} for _ in range(7)]
    volunteers.append({"postcode": "50935", "status": "inactive", "first_name": "Ina"})
    newcomers: list[dict[str, Any]] = []
    newcomers += [{"postcode": "50733"} for _ in range(6)]
    newcomers += [{"postcode": "50823", "age_band": "18_25"} for _ in range(9)]
    newcomers += [{"postcode": "50935"} for _ in range(3)]
    newcomers.append({"postcode": "50935", "status": "closed", "first_name": "Clara"})
    add_people(app, koeln, volunteers, newcomers)
    add_people(app, berlin,
               [{"postcode": "10115", "first_name": "Zora"} for _ in range(6)],
               [{"postcode": "10115", "first_name": "Zora"} for _ in range(6)])  # fmt: skip
    return Offices(koeln, berlin, coordinator, berlin_coordinator)
