"""The one home of tracked background work (`matcher.domain.background`,
`matcher.services.platform.background`), asked directly on one kind, a matching run: the
conditional `advance()`, `touch()` and the reaper every kind shares."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from matcher.domain.background import WorkGone
from matcher.domain.runs import RUN
from matcher.extensions import db
from matcher.models import Agency, AuditEvent, MatchRun, utcnow
from matcher.services.matching.runs import RUNS
from matcher.services.platform import background
from tests.conftest import inside, persist
from tests.jobs.conftest import load_runs


def _run(app: Flask, agency: Agency, **values: Any) -> int:
    """A run of the agency in the database, as a worker left it."""
    run = MatchRun(agency_id=agency.id, **values)
    persist(app, run)
    return run.id


def _row(app: Flask, run_id: int) -> MatchRun:
    """The run as it is in the database now (detached)."""
    (run,) = [run for run in load_runs(app) if run.id == run_id]
    return run


def test_a_change_from_a_status_it_does_not_start_from_is_refused_and_writes_nothing(
    app: Flask, make_agency: Callable[..., Agency]
) -> None:
    agency = make_agency()
    run_id = _run(app, agency, status="queued")
    with inside(app):
        with pytest.raises(WorkGone) as refused:
            RUN.advance(db.session, run_id, "solve")  # solving starts from building
        db.session.commit()
    assert refused.value.work is RUN and refused.value.work_id == run_id
    assert refused.value.change == "solve"
    assert str(refused.value) == f"run {run_id} cannot solve any more"
    unchanged = _row(app, run_id)
    assert unchanged.status == "queued" and unchanged.heartbeat_at is None

    # From a status it starts from, the change is made, with a heartbeat.
    with inside(app):
        assert RUN.advance(db.session, run_id, "build") == agency.id
        db.session.commit()
    taken = _row(app, run_id)
    assert taken.status == "building" and taken.heartbeat_at is not None
    # A second worker taking the same run finds it taken.
    with inside(app), pytest.raises(WorkGone):
        RUN.advance(db.session, run_id, "build")


def test_an_unknown_failure_or_change_is_a_programming_error(
    app: Flask, make_agency: Callable[..., Agency]
) -> None:
    run_id = _run(app, make_agency(), status="solving")
    with inside(app):
        with pytest.raises(ValueError, match="^unknown failure of a run: out_of_coffee$"):
            RUN.advance(db.session, run_id, "fail", failure="out_of_coffee")
        with pytest.raises(ValueError, match="^unknown failure of a run: None$"):
            RUN.advance(db.session, run_id, "fail")
        with pytest.raises(ValueError, match="^unknown change of a run: explode$"):
            RUN.advance(db.session, run_id, "explode")
        db.session.commit()
    assert _row(app, run_id).status == "solving"

    # A known failure is recorded with its reason, its detail kept to 2000 characters.
    with inside(app):
        RUN.advance(db.session, run_id, "fail", failure="invalid_problem", detail="x" * 3000)
        db.session.commit()
    failed = _row(app, run_id)
    assert (failed.status, failed.failure) == ("failed", "invalid_problem")
    assert failed.failure_detail == "x" * 2000 and failed.finished_at is not None


def test_touch_writes_progress_only_while_the_work_is_under_way(
    app: Flask, make_agency: Callable[..., Agency]
) -> None:
    old = utcnow() - timedelta(minutes=5)
    run_id = _run(app, make_agency(), status="solving", heartbeat_at=old)
    with inside(app):
        assert RUN.touch(db.session, run_id, solver_round=3) is True
        db.session.commit()
    touched = _row(app, run_id)
    assert touched.solver_round == 3 and touched.heartbeat_at is not None
    assert touched.heartbeat_at > old

    with inside(app):
        RUN.advance(db.session, run_id, "fail", failure="worker_lost")
        assert RUN.touch(db.session, run_id, solver_round=4) is False
        db.session.commit()
    assert _row(app, run_id).solver_round == 3


def test_a_stale_heartbeat_is_reaped_once_and_a_fresh_one_is_left_alone(
    app: Flask, make_agency: Callable[..., Agency]
) -> None:
    """Every minute the consumer reaps, and every page view of work under way: a lost worker
    is recorded as failed (and audited) once, however often it is asked."""
    stale = _run(app, make_agency(), status="solving", heartbeat_at=utcnow() - timedelta(minutes=5))
    fresh = _run(app, make_agency(), status="solving", heartbeat_at=utcnow())
    with app.app_context():
        assert app.config["JOBS_STALE_SECONDS"] < 5 * 60
    for expected in ([stale], [], []):
        with inside(app):
            assert background.reap(RUNS) == expected
            db.session.commit()
    reaped = _row(app, stale)
    assert (reaped.status, reaped.failure) == ("failed", "worker_lost")
    assert (reaped.failure_detail or "").endswith("(while solving)")
    assert _row(app, fresh).status == "solving"
    with inside(app):
        audited = db.session.execute(
            select(AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id)
        ).all()
    assert [tuple(a) for a in audited] == [("match.run_failed", "match_run", stale)]
