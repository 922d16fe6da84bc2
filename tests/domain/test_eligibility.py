"""Each eligibility rule's SQL expression and its Python twin agree, on both databases."""

import itertools
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from matcher.domain.eligibility import certificate_cutoff, certificate_expires_on
from matcher.extensions import db
from matcher.models import (
    ConsentRecord,
    Match,
    Newcomer,
    OnboardingDone,
    OnboardingStep,
    Volunteer,
    utcnow,
)
from tests.conftest import inside

DAYS = [date(2026, 11, 29), date(2028, 2, 29), date(2029, 2, 28), date(2031, 3, 1)]


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
       st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)))  # fmt: skip
def test_a_certificate_counts_until_five_years_after_issue(issued: date, on: date) -> None:
    """The plain-date cutoff the database compares with says what the issue-date rule says,
    29 February included."""
    assert (issued > certificate_cutoff(on)) == (on < certificate_expires_on(issued))


def _volunteers(app: Flask, agency: Any, make_volunteer: Callable[..., Any]) -> list[int]:
    """Volunteers in every combination that decides a rule."""
    ids = []
    combos = itertools.product(
        ("applied", "active", "paused", "inactive"),
        (True, False),  # confirmed
        (True, False),  # consent to matching in force
        (None, "clear-new", "clear-old", "entries", "clear-undated"),
    )
    for n, (status, confirmed, consent, certificate) in enumerate(combos):
        values: dict[str, Any] = {"status": status, "capacity": 1 + n % 3}
        if not confirmed:
            values["email_confirmed_at"] = None
        if certificate:
            values["certificate_inspected_on"] = date(2026, 1, 5)
            values["certificate_result"] = "entries" if certificate == "entries" else "clear"
            values["certificate_issued_on"] = {
                "clear-new": date(2025, 12, 1),
                "clear-old": date(2021, 3, 1),
                "entries": date(2025, 12, 1),
                "clear-undated": None,
            }[certificate]
        volunteer = make_volunteer(agency, **values)
        ids.append(volunteer.id)
        if not consent:
            with inside(app):
                record = db.session.scalars(
                    select(ConsentRecord).where(ConsentRecord.volunteer_id == volunteer.id)
                ).one()
                record.withdrawn_at = utcnow()
                db.session.commit()
    with inside(app):
        erased = db.session.get(Volunteer, ids[1])
        assert erased is not None
        erased.anonymised_at = utcnow()
        db.session.commit()
    return ids


def test_volunteer_rules_agree_in_sql_and_python(
    app: Flask,
    make_agency: Callable[..., Any],
    make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> None:
    agency = make_agency()
    ids = _volunteers(app, agency, make_volunteer)
    holders = ids[::7]
    newcomers = [make_newcomer(agency) for _ in holders]
    with inside(app):  # some places taken by decided Patenschaften, some by proposals only
        for volunteer_id, newcomer, status in zip(
            holders, newcomers, itertools.cycle(("active", "proposed"))
        ):
            db.session.add(Match(agency_id=agency.id, volunteer_id=volunteer_id,
                                 newcomer_id=newcomer.id, status=status))  # fmt: skip
            db.session.commit()  # one open match per newcomer: one at a time
    with inside(app):
        people = db.session.scalars(select(Volunteer).order_by(Volunteer.id)).all()
        rules: dict[str, Any] = {
            "takes_part": Volunteer.takes_part,
            "available": Volunteer.available,
            "in_pool": Volunteer.in_pool,
            "consents": Volunteer.consents_to("matching"),
        }
        for name, expression in rules.items():
            in_sql = set(db.session.scalars(select(Volunteer.id).where(expression)))
            twin = name if name != "consents" else None
            in_python = {
                v.id for v in people
                if (v.consents_to("matching") if twin is None else getattr(v, twin))
            }  # fmt: skip
            assert in_sql == in_python, name
            assert 0 < len(in_sql) < len(people), name  # the rule tells people apart
        taken = dict(db.session.execute(select(Volunteer.id, Volunteer.places_taken)).all())
        assert taken == {v.id: v.places_taken for v in people}
        for day in DAYS:
            valid = set(
                db.session.scalars(select(Volunteer.id).where(Volunteer.certificate_valid_on(day)))
            )
            assert valid == {v.id for v in people if v.certificate_valid_on(day)}, day
        # By 2031 every certificate here has run out (2021's already by 2026).
        assert valid == set()
        in_2026 = {v.id for v in people if v.certificate_valid_on(DAYS[0])}
        assert in_2026 and all(
            v.certificate_issued_on == date(2025, 12, 1) and v.certificate_result == "clear"
            for v in people if v.id in in_2026
        )  # fmt: skip


def test_newcomer_and_pair_rules_agree_in_sql_and_python(
    app: Flask,
    make_agency: Callable[..., Any],
    make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> None:
    agency = make_agency()
    volunteer = make_volunteer(agency)
    for status, minors, age_band, consents in itertools.product(
        ("waiting", "matched", "paused", "closed"),
        (True, False),
        ("under_18", "26_35"),
        (("matching",), ("contact_sharing",), ()),
    ):
        make_newcomer(agency, status=status, minors=minors, age_band=age_band, consents=consents)
    with inside(app):
        people = db.session.scalars(select(Newcomer).order_by(Newcomer.id)).all()
        for name in ("needs_certificate", "waits_for_match"):
            in_sql = set(db.session.scalars(select(Newcomer.id).where(getattr(Newcomer, name))))
            assert in_sql == {n.id for n in people if getattr(n, name)}, name
            assert 0 < len(in_sql) < len(people), name
        for purpose in ("matching", "contact_sharing"):
            in_sql = set(
                db.session.scalars(select(Newcomer.id).where(Newcomer.consents_to(purpose)))
            )
            assert in_sql == {n.id for n in people if n.consents_to(purpose)}, purpose
        for n, status in zip(people, ("proposed", "approved", "rejected", "ended", "active")):
            db.session.add(Match(agency_id=agency.id, volunteer_id=volunteer.id,
                                 newcomer_id=n.id, status=status,
                                 end_reason="no_time" if status == "ended" else None))  # fmt: skip
        db.session.commit()
        matches = db.session.scalars(select(Match)).all()
        in_sql = set(db.session.scalars(select(Match.id).where(Match.rules_out_pair)))
        assert in_sql == {m.id for m in matches if m.rules_out_pair}
        assert {m.status for m in matches if m.id in in_sql} == {"rejected", "ended"}


def test_a_certificate_issued_on_29_february_runs_out_with_28_february() -> None:
    issued = date(2024, 2, 29)
    assert certificate_expires_on(issued) == date(2029, 2, 28)
    assert issued > certificate_cutoff(date(2029, 2, 27))
    assert not issued > certificate_cutoff(date(2029, 2, 28))
    assert certificate_cutoff(date(2029, 2, 28)) == date(2024, 2, 29)
    # No certificate was issued on 29 February 2023: that day adds no expiry.
    assert certificate_cutoff(date(2028, 2, 29)) == certificate_cutoff(date(2028, 2, 28))


# --------------------------------------------------------------------------- onboarding


def _steps(app: Flask, agency: Any, *specs: tuple[str, bool, bool]) -> list[int]:
    """Onboarding steps (name, required, archived) of the agency; their ids."""
    with inside(app):
        rows = [
            OnboardingStep(agency_id=agency.id, name=name, required_for_matching=required,
                           position=i, archived_at=utcnow() if archived else None)
            for i, (name, required, archived) in enumerate(specs)
        ]  # fmt: skip
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def _tick(app: Flask, volunteer_id: int, step_ids: list[int]) -> None:
    with inside(app):
        v = db.session.get(Volunteer, volunteer_id)
        assert v is not None
        for step_id in step_ids:
            db.session.add(
                OnboardingDone(agency_id=v.agency_id, volunteer_id=v.id, step_id=step_id)
            )
        db.session.commit()


def test_takes_part_requires_every_required_step_in_sql_and_python(
    app: Flask, make_agency: Callable[..., Any], make_volunteer: Callable[..., Any]
) -> None:
    agency, other = make_agency(), make_agency()
    interview, training, agreement, old = _steps(
        app, agency,
        ("Erstgespräch", True, False), ("Schulung", False, False),
        ("Vereinbarung", True, False), ("Alt", True, True),
    )  # fmt: skip
    # Another agency's required step never counts here (and ours never there).
    _steps(app, other, ("Fremd", True, False))
    ids = []
    for done in itertools.chain.from_iterable(
        itertools.combinations((interview, training, agreement, old), k) for k in range(5)
    ):
        v = make_volunteer(agency)
        _tick(app, v.id, list(done))
        ids.append((v.id, set(done)))
    outsider = make_volunteer(other)
    with inside(app):
        people = db.session.scalars(select(Volunteer).where(Volunteer.agency_id == agency.id)).all()
        for rule in ("takes_part", "available"):
            in_sql = set(db.session.scalars(
                select(Volunteer.id).where(getattr(Volunteer, rule), Volunteer.agency_id == agency.id)
            ))  # fmt: skip
            assert in_sql == {v.id for v in people if getattr(v, rule)}, rule
        expected = {vid for vid, done in ids if {interview, agreement} <= done}
        assert in_sql == expected and 0 < len(expected) < len(ids)
        # The archived required step and the optional one do not matter.
        missing = {v.id: [s.name for s in v.missing_onboarding()] for v in people}
        assert missing[ids[0][0]] == ["Erstgespräch", "Vereinbarung"]
        assert db.session.get(Volunteer, outsider.id).takes_part is False
        assert db.session.get(Volunteer, outsider.id).refusal() == "volunteer_onboarding_missing"
