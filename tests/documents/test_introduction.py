"""The introduction letter for the first meeting and the volunteer's calendar file."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from flask import Flask
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import ConsentRecord, FirstMeeting, today
from tests.conftest import inside, login

BERLIN = ZoneInfo("Europe/Berlin")


def _client(app: Flask, two_agencies: dict[str, Any]) -> Any:
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    return client


def test_arranging_the_meeting_gives_a_calendar_file_in_berlin_time(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = _client(app, two_agencies)
    match = two_agencies["a"]["match"]
    on = today() + timedelta(days=20)
    response = client.post(
        f"/patenschaften/{match.id}/introduction?language=ar",
        data={"on": on.isoformat(), "at": "17:30", "duration": "90", "place": "Café  Mitte,\nKöln"},
    )
    assert response.status_code == 302 and "language=ar" in response.location
    ics = client.get(f"/patenschaften/{match.id}/introduction.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert "attachment" in ics.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(ics.data)
    [event] = calendar.walk("VEVENT")
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start == datetime(on.year, on.month, on.day, 17, 30, tzinfo=BERLIN)
    assert start.tzinfo is not None and str(start.tzinfo) == "Europe/Berlin"
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert end - start == timedelta(minutes=90)
    assert str(event["LOCATION"]) == "Café Mitte, Köln"
    assert str(event["SUMMARY"]) == "Erstes Treffen der Patenschaft mit NewA"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    # The letter shows the meeting in the newcomer's language and in German.
    letter = client.get(f"/patenschaften/{match.id}/introduction?language=ar").get_data(
        as_text=True
    )
    assert "Café Mitte, Köln" in letter and "17:30" in letter
    assert "ديسمبر" in letter or "نوفمبر" in letter or "يناير" in letter  # an Arabic month name
    with inside(app):
        meeting = db.session.scalars(
            select(FirstMeeting).where(FirstMeeting.match_id == match.id)
        ).one()
        assert meeting.duration_minutes == 90 and meeting.place == "Café Mitte, Köln"


def test_the_volunteers_contact_is_printed_only_with_their_consent(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = _client(app, two_agencies)
    a = two_agencies["a"]
    url = f"/patenschaften/{a['match'].id}/introduction?language=uk"
    without = client.get(url).get_data(as_text=True)
    assert a["volunteer"].email not in without
    assert "nicht zugestimmt" in without
    with inside(app):
        db.session.add(
            ConsentRecord(
                agency_id=a["agency"].id, volunteer_id=a["volunteer"].id,
                purpose="contact_sharing", notice_version="1", language="de", channel="online",
            )
        )  # fmt: skip
        db.session.commit()
    with_consent = client.get(url).get_data(as_text=True)
    assert a["volunteer"].email in with_consent
    assert "Як зв&#39;язатися з VolA" in with_consent or "Як зв'язатися з VolA" in with_consent


def test_bad_meeting_input_is_a_clear_400_and_changes_nothing(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = _client(app, two_agencies)
    match = two_agencies["a"]["match"]
    url = f"/patenschaften/{match.id}/introduction"
    yesterday = (today() - timedelta(days=1)).isoformat()
    cases = [
        (
            {"on": "2026-13-45", "at": "17:00", "duration": "60", "place": "Café"},
            "Kein gültiges Datum",
        ),
        ({"on": "2099-01-01", "at": "25:99", "duration": "60", "place": "Café"}, "wie 17:30"),
        ({"on": yesterday, "at": "17:00", "duration": "60", "place": "Café"}, "Vergangenheit"),
        ({"on": "2099-01-01", "at": "17:00", "duration": "60", "place": "   "}, "wird benötigt"),
        (
            {"on": "2099-01-01", "at": "17:00", "duration": "9999", "place": "Café"},
            "zwischen 15 und 480",
        ),
    ]
    mine = select(FirstMeeting).where(FirstMeeting.match_id == match.id)
    with inside(app):
        before = db.session.scalars(mine).one().starts_at
    for data, word in cases:
        response = client.post(url, data=data)
        assert response.status_code == 400, data
        assert word in response.get_data(as_text=True), data
    with inside(app):
        assert db.session.scalars(mine).one().starts_at == before
    # Another agency's Patenschaft is not found, and nothing is arranged for it.
    other = two_agencies["b"]["match"]
    foreign = client.post(f"/patenschaften/{other.id}/introduction",
                          data={"on": "2099-01-01", "at": "17:00", "duration": "60", "place": "X"})  # fmt: skip
    assert foreign.status_code == 404
