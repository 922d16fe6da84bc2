"""Two coordinators approve conflicting proposals at the same moment: exactly one wins."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from matcher.domain.errors import Conflict, ServiceError
from matcher.extensions import db
from matcher.models import Match, Newcomer, User, Volunteer, today
from matcher.services.matching import lifecycle
from tests.conftest import inside
from tests.matching.conftest import Office


def _race(app: Flask, monkeypatch: pytest.MonkeyPatch, jobs: list[tuple[int, int]],
          actor_id: int) -> list[Any]:  # fmt: skip
    """Approve each (match id, version) in its own thread and connection, released together.

    Both threads have read their proposal when the barrier opens; the first to take the
    locks then holds them a moment, so without locking the second would read the same,
    stale capacity and approve too.
    """
    barrier = threading.Barrier(len(jobs), timeout=20)
    real_lock = lifecycle.lock_people

    def lock_after_barrier(*args: Any) -> None:
        barrier.wait()
        real_lock(*args)
        time.sleep(0.3)

    monkeypatch.setattr(lifecycle, "lock_people", lock_after_barrier)
    results: list[Any] = [None] * len(jobs)

    def approve(i: int, match_id: int, version: int) -> None:
        with inside(app):
            actor = db.session.get(User, actor_id)
            try:  # one unit of work, as a request is: commit at the end, or roll back
                lifecycle.approve([lifecycle.Approval(match_id, version)], actor, on=today())
                db.session.commit()
                results[i] = "approved"
            except ServiceError as e:
                db.session.rollback()
                results[i] = e
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(i, m, v)) for i, (m, v) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_two_approvals_for_the_last_place_of_a_volunteer(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    volunteer = make_volunteer(office.agency, capacity=1)
    one, two = make_newcomer(office.agency), make_newcomer(office.agency)
    first, second = propose(volunteer, one), propose(volunteer, two)

    results = _race(app, monkeypatch, [(first, 1), (second, 1)], office.coordinator.id)

    assert results.count("approved") == 1
    (loser,) = [r for r in results if r != "approved"]
    assert isinstance(loser, Conflict) and loser.code == "capacity"  # a 409 on the page
    with inside(app):
        decided = db.session.scalar(
            select(func.count()).where(
                Match.volunteer_id == volunteer.id,
                Match.status.in_(("approved", "active", "paused")),
            )
        )
        assert decided == 1  # capacity never exceeded
        waiting = db.session.scalars(select(Newcomer.status).order_by(Newcomer.id)).all()
        assert sorted(waiting) == ["matched", "waiting"]


def test_two_approvals_of_the_same_proposal(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    volunteer = make_volunteer(office.agency, capacity=3)
    match_id = propose(volunteer, make_newcomer(office.agency))

    results = _race(app, monkeypatch, [(match_id, 1), (match_id, 1)], office.coordinator.id)

    assert results.count("approved") == 1
    (loser,) = [r for r in results if r != "approved"]
    assert isinstance(loser, Conflict) and loser.code == "stale"  # a 409 on the page
    with inside(app):
        match = db.session.get(Match, match_id)
        assert match is not None and match.status == "approved" and match.version == 2
        assert len(match.events) == 2  # proposed, approved — once
