"""Erasure removes a person's data from every table and keeps the aggregate counts."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import String, Text, func, select

from matcher.domain.errors import Refused
from matcher.extensions import db
from matcher.models import (
    Base,
    CheckIn,
    FirstMeeting,
    Match,
    MatchEvent,
    Newcomer,
    Volunteer,
    today,
    utcnow,
)  # fmt: skip
from matcher.services.people import erasure
from tests.conftest import inside


def _all_text(app: Flask) -> str:
    """Every string value in every table, joined: what a search for a person would find."""
    chunks = []
    with inside(app):
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, String | Text)]
            if cols:
                for row in db.session.execute(select(*cols)):
                    chunks.extend(str(v) for v in row if v)
    return "\n".join(chunks)


def _with_match(app: Flask, volunteer: Volunteer, newcomer: Newcomer, agency_id: int) -> None:
    with inside(app):
        match = Match(
            agency_id=agency_id,
            volunteer_id=volunteer.id,
            newcomer_id=newcomer.id,
            status="active",
            reasons=["shares Arabic (native / fluent)"],
        )
        db.session.add(match)
        db.session.flush()
        db.session.add(
            CheckIn(agency_id=agency_id, match_id=match.id, due_on=date(2026, 12, 1),
                    note="Zilpha has trouble with the Jobcenter")
        )  # fmt: skip
        db.session.add(MatchEvent(match_id=match.id, to_status="active", note="Zilpha met Quirin"))
        # The introduction letter's first meeting: its place can name where she lives.
        db.session.add(
            FirstMeeting(agency_id=agency_id, match_id=match.id, starts_at=utcnow(),
                         place="Zilphas Unterkunft, Zi. 4")
        )  # fmt: skip
        db.session.commit()


def test_erasing_a_volunteer_removes_their_data_everywhere_and_keeps_counts(
    app: Flask, make_agency: Callable[..., Any], make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency()
    volunteer = make_volunteer(
        agency, first_name="Quirin", last_name="Zwölfer", email="quirin@example.org",
        phone="+49 221 555 0199", motivation="Ich war selbst neu hier.", postcode="50999",
    )  # fmt: skip
    other = make_volunteer(agency)
    newcomer = make_newcomer(agency, first_name="Zilpha")
    _with_match(app, volunteer, newcomer, agency.id)
    before = _all_text(app)
    assert "Quirin" in before and "quirin@example.org" in before

    with inside(app):
        erasure.erase_volunteer(db.session.get(Volunteer, volunteer.id), actor=None, on=today())
        db.session.commit()

    after = _all_text(app)
    for trace in ("Quirin", "Zwölfer", "quirin@example.org", "555 0199", "selbst neu",
                  "50999", "Zilpha has trouble", "Zilpha met"):  # fmt: skip
        assert trace not in after, trace
    with inside(app):
        assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 2
        assert db.session.scalar(select(func.count()).select_from(Match)) == 1
        match = db.session.scalars(select(Match)).one()
        assert match.status == "ended" and match.ended_at is not None
        erased = db.session.get(Volunteer, volunteer.id)
        assert erased.anonymised_at is not None and erased.languages == []
        # The other volunteer is untouched.
        assert db.session.get(Volunteer, other.id).first_name == other.first_name


def test_erasing_a_newcomer_and_erasing_twice(
    app: Flask, make_agency: Callable[..., Any], make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency()
    volunteer = make_volunteer(agency)
    newcomer = make_newcomer(agency, first_name="Zilpha", contact_note="Unterkunft Nord, Zi. 4")
    _with_match(app, volunteer, newcomer, agency.id)
    with inside(app):
        erasure.erase_newcomer(db.session.get(Newcomer, newcomer.id), actor=None, on=today())
        db.session.commit()
    with inside(app), pytest.raises(Refused):  # once erased, there is nothing left to erase
        erasure.erase_newcomer(db.session.get(Newcomer, newcomer.id), actor=None, on=today())
    after = _all_text(app)
    assert "Zilpha" not in after and "Unterkunft Nord" not in after
    with inside(app):
        n = db.session.get(Newcomer, newcomer.id)
        assert n.status == "closed" and n.languages == []
        assert db.session.scalar(select(func.count()).select_from(Match)) == 1
        assert db.session.get(Volunteer, volunteer.id).first_name == volunteer.first_name
