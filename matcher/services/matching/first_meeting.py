"""The first meeting of a Patenschaft: when and where the pair meets, and the calendar file
(iCalendar, RFC 5545) the volunteer gets for it."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select

from matcher.domain import audit
from matcher.domain.errors import Invalid, Refused
from matcher.extensions import db
from matcher.models import Agency, FirstMeeting, Match, User, utcnow

#: Agencies are in Germany: the coordinator types the local time of the meeting.
TIMEZONE = ZoneInfo("Europe/Berlin")
#: Statuses in which a pair is introduced: approved, or already running.
MEETING_STATUSES = ("approved", "active", "paused")
MAX_PLACE_LENGTH = 300


def first_meeting(match: Match) -> FirstMeeting | None:
    """The match's first meeting, if the coordinator has arranged it."""
    found: FirstMeeting | None = db.session.scalar(
        select(FirstMeeting).where(FirstMeeting.match_id == match.id)
    )
    return found


def local_start(meeting: FirstMeeting) -> datetime:
    """The meeting's start in German local time."""
    return meeting.starts_at.astimezone(TIMEZONE)


def arrange(
    match: Match, on: date, at: time, place: str, actor: User, *,
    duration_minutes: int = 60, today: date,
) -> FirstMeeting:  # fmt: skip
    """Set (or move) the first meeting of a Patenschaft to a local date, time and place."""
    if match.status not in MEETING_STATUSES:
        raise Refused("wrong_status", entity="match", status=match.status)
    place = " ".join(place.split())
    if not place:
        raise Invalid("meeting_place_missing")
    if len(place) > MAX_PLACE_LENGTH:
        raise Invalid("meeting_place_too_long", limit=MAX_PLACE_LENGTH)
    if on < today:
        raise Invalid("meeting_in_past")
    if not 15 <= duration_minutes <= 480:
        raise Invalid("meeting_duration_invalid")
    starts_at = datetime.combine(on, at, tzinfo=TIMEZONE)
    meeting = first_meeting(match)
    if meeting is None:
        meeting = FirstMeeting(agency_id=match.agency_id, match_id=match.id)
        db.session.add(meeting)
    meeting.starts_at = starts_at
    meeting.duration_minutes = duration_minutes
    meeting.place = place
    meeting.updated_at = utcnow()
    meeting.updated_by_id = actor.id
    db.session.flush()
    audit.about("match.first_meeting_arranged", match, actor)
    return meeting


def calendar_file(meeting: FirstMeeting, match: Match, agency: Agency, summary: str) -> bytes:
    """The meeting as an iCalendar file for the volunteer, in Europe/Berlin time."""
    start = local_start(meeting)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//matcher//first meeting//DE")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"first-meeting-{meeting.id}-match-{match.id}@{agency.slug}.matcher")
    event.add("dtstamp", utcnow())
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=meeting.duration_minutes))
    event.add("summary", summary)
    event.add("location", meeting.place)
    if agency.privacy_contact:
        event.add("description", f"{agency.name}: {agency.privacy_contact}")
    else:
        event.add("description", agency.name)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical
