"""Loading the demo agency: people, consents and staff logins."""

import random
import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from matcher.demo import generate
from matcher.domain import contact
from matcher.domain.vocab import CHILD_AGE_BANDS, slots_to_mask
from matcher.extensions import db
from matcher.models import (
    Agency,
    ConsentRecord,
    Newcomer,
    NewcomerLanguage,
    OnboardingDone,
    User,
    Volunteer,
    VolunteerLanguage,
)
from matcher.services.people import consents, households, onboarding
from matcher.services.platform import administration

DEMO_ADMIN = "admin@demo.example"
NOTICE_TEXT = (
    "Wir verarbeiten Ihre Angaben (Name, Kontakt, Postleitzahl, Sprachen, Zeiten, Themen) "
    "nur, um Ihnen eine passende Patenschaft vorzuschlagen. Sie können Ihre Einwilligung "
    "jederzeit widerrufen."
)


def coordinator_email(slug: str) -> str:
    """The demo coordinator's login for an agency."""
    return f"koordination@{slug}.demo.example"


def load(slug: str, n_volunteers: int, n_newcomers: int, seed: int, today: date) -> Agency | None:
    """Create the demo agency with its people; None if it already has people."""
    agency = administration.agency_by_slug(slug)
    if agency is None:
        agency = administration.create_agency(
            slug, "Integrationsagentur Köln (Demo)", city="Köln", umbrella="paritaetischer"
        )
    elif db.session.scalar(select(func.count()).where(Volunteer.agency_id == agency.id)):
        return None
    agency.privacy_contact = "datenschutz@demo.example"
    agency.privacy_notice_text = NOTICE_TEXT
    coordinator = _ensure_user(coordinator_email(slug), "coordinator", agency, "Demo-Koordination")
    _ensure_user(DEMO_ADMIN, "admin", None, "Demo-Admin")

    start = datetime.combine(today, time(9), tzinfo=UTC)
    for i, p in enumerate(generate.volunteers(n_volunteers, seed, today)):
        signed_up = start - timedelta(days=30 + i % 400)
        confirmed = p.status != "applied" or i % 2 == 0
        v = Volunteer(
            agency_id=agency.id,
            first_name=p.first_name,
            last_name=p.last_name,
            email=p.email,
            email_confirmed_at=signed_up + timedelta(hours=2) if confirmed else None,
            postcode=p.postcode,
            lat=p.lat,
            lon=p.lon,
            age_band=p.age_band,
            gender=p.gender,
            slots=slots_to_mask(p.slots),
            topics=p.topics,
            capacity=p.capacity,
            status=p.status,
            can_show_certificate=p.certificate,
            certificate_inspected_on=(signed_up + timedelta(days=14)).date()
            if p.certificate
            else None,
            certificate_issued_on=(signed_up - timedelta(days=20)).date()
            if p.certificate
            else None,
            certificate_result="clear" if p.certificate else None,
            certificate_inspected_by_id=coordinator.id if p.certificate else None,
            created_at=signed_up,
            languages=[VolunteerLanguage(code=c, level=lv) for c, lv in p.languages.items()],
        )
        db.session.add(v)
        db.session.flush()
        db.session.add(
            ConsentRecord(
                agency_id=agency.id,
                volunteer_id=v.id,
                purpose="matching",
                notice_version=agency.privacy_notice_version,
                language="de",
                given_at=signed_up,
                channel="online",
            )
        )
    _families_and_onboarding(agency, coordinator, seed)
    notices: dict[str, str] = {}  # the newcomer notice's version, per language
    household_rng = random.Random(f"households-{seed}")
    for p in generate.newcomers(n_newcomers, seed, today):
        registered = datetime.combine(p.waiting_since or today, time(10), tzinfo=UTC)
        n = Newcomer(
            agency_id=agency.id,
            first_name=p.first_name,
            contact_note="über die Koordination",
            postcode=p.postcode,
            lat=p.lat,
            lon=p.lon,
            age_band=p.age_band,
            slots=slots_to_mask(p.slots),
            topics=p.topics,
            minors=p.minors,
            mentor_gender=p.mentor_gender,
            status=p.status,
            waiting_since=p.waiting_since or today,
            created_by_id=coordinator.id,
            created_at=registered,
            languages=[NewcomerLanguage(code=c, level=lv) for c, lv in p.languages.items()],
            correspondence_language=contact.default_correspondence_language(p.languages),
        )
        _household(n, p.minors, household_rng)
        db.session.add(n)
        db.session.flush()
        language = next(iter(p.languages))  # the notice was explained in her first language
        if language not in notices:
            notices[language] = consents.notice_version_for(agency, language)
        db.session.add(
            ConsentRecord(
                agency_id=agency.id,
                newcomer_id=n.id,
                purpose="matching",
                notice_version=notices[language],
                language=language,
                given_at=registered,
                channel="in_person",
                taken_by_id=coordinator.id,
            )
        )
    db.session.flush()
    return agency


#: The demo agency requires these default onboarding steps before matching.
DEMO_REQUIRED_STEPS = ("Erstgespräch", "Unterschriebene Ehrenamtsvereinbarung")


def _families_and_onboarding(agency: Agency, coordinator: User, seed: int) -> None:
    """Households and onboarding (issue 13) for the demo's volunteers: some welcome
    families; the two required steps are done by every active volunteer, the interview by
    some who applied. Its own random numbers: the people stay as they were."""
    rng = random.Random(f"families-{seed}")
    steps = {s.name: s for s in onboarding.steps(agency)}
    for name in DEMO_REQUIRED_STEPS:
        if name in steps:
            steps[name].required_for_matching = True
    people = db.session.scalars(
        select(Volunteer).where(Volunteer.agency_id == agency.id).order_by(Volunteer.id)
    )
    for v in people:
        if rng.random() < 0.4:
            households.apply_offer(
                v,
                households.FamilyOffer(
                    families_welcome=True,
                    max_household=rng.choice((None, None, 4, 5, 6)),
                    child_age_bands=sorted(rng.sample(CHILD_AGE_BANDS, rng.randint(0, 2))),
                ),
            )
        done = list(steps.values()) if v.status != "applied" else []
        if v.status == "applied" and rng.random() < 0.5 and "Erstgespräch" in steps:
            done = [steps["Erstgespräch"]]
        for step in done:
            if step.required_for_matching or rng.random() < 0.6:
                db.session.add(
                    OnboardingDone(
                        agency_id=agency.id,
                        volunteer_id=v.id,
                        step_id=step.id,
                        done_at=v.created_at + timedelta(days=10 + step.position),
                        done_by_id=coordinator.id,
                    )
                )
    db.session.flush()


def _household(n: Newcomer, minors: bool, rng: random.Random) -> None:
    """A family for a newcomer with children (issue 13); others live alone or as a couple."""
    if minors:
        bands = sorted(rng.sample(CHILD_AGE_BANDS, rng.randint(1, 2)))
        size = rng.randint(2 + len(bands) - 1, 6)
        needs = [c for c in ("childcare", "school") if rng.random() < 0.3]
    else:
        bands, size, needs = [], rng.choice((1, 1, 1, 2)), []
    households.apply_household(n, households.Household(size, bands, needs), minors)


def _ensure_user(email: str, role: str, agency: Agency | None, name: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, role=role, agency_id=agency.id if agency else None, name=name)
        user.set_password(secrets.token_urlsafe(24))
        db.session.add(user)
        db.session.flush()
    return user


def reset_logins(slug: str) -> list[tuple[str, str, str]]:
    """Give the demo admin and coordinator fresh passwords; return (role, email, password)."""
    logins = []
    for role, email in (("admin", DEMO_ADMIN), ("coordinator", coordinator_email(slug))):
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            continue
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.session_version += 1
        user.active = True
        logins.append((role, email, password))
    return logins
