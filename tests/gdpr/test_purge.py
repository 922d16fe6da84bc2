"""The retention job: past retention is anonymised, the rest stays, a second run changes nothing."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Match, Newcomer, Volunteer, utcnow
from matcher.services.people import gdpr
from tests.conftest import inside
from tests.security.routes import snapshot

LONG_AGO = utcnow() - timedelta(days=400)  # the agency keeps data for 12 months
RECENTLY = utcnow() - timedelta(days=100)


def _match(app: Flask, agency: Any, v: Any, n: Any, **values: Any) -> None:
    with inside(app):
        db.session.add(Match(agency_id=agency.id, volunteer_id=v.id, newcomer_id=n.id, **values))
        db.session.commit()


def test_purge_anonymises_what_is_past_retention_keeps_the_rest_and_is_idempotent(
    app: Flask, runner: FlaskCliRunner, make_agency: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency(retention_months=12)
    old = {"created_at": LONG_AGO, "updated_at": LONG_AGO}
    # Applicants who never became active, long ago: anonymised.
    stale_applicant = make_volunteer(agency, first_name="Stale", status="applied", **old)
    # The same, but recently touched: stays.
    fresh_applicant = make_volunteer(agency, first_name="Fresh", status="applied",
                                     created_at=LONG_AGO, updated_at=RECENTLY)  # fmt: skip
    # An active volunteer in the pool who never had a Patenschaft: stays.
    pool_volunteer = make_volunteer(agency, first_name="Pool", status="active", **old)
    # A Patenschaft that ended long ago: both people are anonymised.
    done_volunteer = make_volunteer(agency, first_name="Done", status="inactive", **old)
    done_newcomer = make_newcomer(agency, first_name="DoneN", status="closed", **old)
    _match(app, agency, done_volunteer, done_newcomer, status="ended", end_reason="goal_reached",
           proposed_at=LONG_AGO, started_at=LONG_AGO, ended_at=LONG_AGO + timedelta(days=5))  # fmt: skip
    # A Patenschaft still running since long ago: both stay.
    running_volunteer = make_volunteer(agency, first_name="Running", **old)
    running_newcomer = make_newcomer(agency, first_name="RunningN", status="matched", **old)
    _match(app, agency, running_volunteer, running_newcomer, status="active",
           proposed_at=LONG_AGO, started_at=LONG_AGO)  # fmt: skip
    # A newcomer still waiting: stays; one closed without a match long ago: anonymised.
    waiting = make_newcomer(agency, first_name="Waiting", status="waiting", **old)
    closed = make_newcomer(agency, first_name="Closed", status="closed", **old)
    # A volunteer who left recently still has a certificate record: it goes, the person stays.
    left = make_volunteer(agency, first_name="Left", status="inactive",
                          certificate_inspected_on=date(2026, 1, 5),
                          certificate_issued_on=date(2025, 12, 1), certificate_result="clear",
                          created_at=RECENTLY, updated_at=RECENTLY)  # fmt: skip
    # Another agency that keeps data for 10 years: nothing of it goes.
    patient = make_agency(retention_months=120)
    patient_applicant = make_volunteer(patient, first_name="Patient", status="applied", **old)

    result = runner.invoke(args=["gdpr", "purge"])
    assert result.exit_code == 0, result.output
    assert "Anonymised 2 volunteers and 2 newcomers" in result.output
    assert "removed 1 certificate records" in result.output

    with inside(app):

        def volunteer(v: Any) -> Volunteer:
            return db.session.get(Volunteer, v.id)

        def newcomer(n: Any) -> Newcomer:
            return db.session.get(Newcomer, n.id)

        for gone in (volunteer(stale_applicant), volunteer(done_volunteer)):
            assert (
                gone.anonymised_at is not None
                and gone.first_name == ""
                and gone.email.endswith("@invalid")
            )
        for gone in (newcomer(done_newcomer), newcomer(closed)):
            assert gone.anonymised_at is not None and gone.first_name == ""
        for kept in (fresh_applicant, pool_volunteer, running_volunteer, left, patient_applicant):
            assert (
                volunteer(kept).first_name == kept.first_name
                and volunteer(kept).anonymised_at is None
            )
        for kept in (running_newcomer, waiting):
            assert newcomer(kept).first_name == kept.first_name
        assert volunteer(left).certificate_inspected_on is None
        assert volunteer(left).certificate_result is None
        # Its own change does not restart the person's retention period.
        assert volunteer(left).updated_at.date() == RECENTLY.date()
        # The Patenschaften still count.
        assert len(db.session.scalars(select(Match)).all()) == 2

    before = snapshot(app)
    again = runner.invoke(args=["gdpr", "purge"])
    assert again.exit_code == 0
    assert "Anonymised 0 volunteers and 0 newcomers; removed 0 certificate records" in again.output
    assert snapshot(app) == before


def test_purge_deletes_unconfirmed_sign_ups_after_the_configured_days(
    app: Flask, make_agency: Callable[..., Any], make_volunteer: Callable[..., Any]
) -> None:
    agency = make_agency()
    old = utcnow() - timedelta(days=30)
    unconfirmed = make_volunteer(agency, email_confirmed_at=None, status="applied", created_at=old)
    new = make_volunteer(agency, email_confirmed_at=None, status="applied")
    confirmed = make_volunteer(agency, created_at=old)
    with inside(app):
        report = gdpr.purge(unconfirmed_days=14)
        assert report.unconfirmed_deleted == 1
        assert db.session.get(Volunteer, unconfirmed.id) is None
        assert db.session.get(Volunteer, new.id) is not None
        assert db.session.get(Volunteer, confirmed.id) is not None
        assert gdpr.purge(unconfirmed_days=14).total == 0


def test_past_retention_rules() -> None:
    cutoff = datetime(2026, 1, 1, tzinfo=UTC)
    before, after = cutoff - timedelta(days=1), cutoff + timedelta(days=1)
    applicant = Volunteer(status="applied", created_at=before, updated_at=before)
    assert gdpr.past_retention(applicant, [], cutoff)
    applicant.updated_at = after
    assert not gdpr.past_retention(applicant, [], cutoff)
    pool = Volunteer(status="active", created_at=before, updated_at=before)
    assert not gdpr.past_retention(pool, [], cutoff)
    ended = Match(status="ended", proposed_at=before, started_at=before, ended_at=before)
    assert gdpr.past_retention(pool, [ended], cutoff)
    open_match = Match(status="paused", proposed_at=before, started_at=before)
    assert not gdpr.past_retention(pool, [ended, open_match], cutoff)
