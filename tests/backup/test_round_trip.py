"""A backup made while volunteers keep signing up, restored into a fresh database on another
"machine": every sign-up committed before the backup began is there, the data is one
consistent snapshot, the schema is at head, and the app works — old passwords log in, and a
confirmation link mailed before the backup opens, thanks to the restored secret key."""

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import (
    Agency,
    AuditEvent,
    ConsentRecord,
    OutboxMessage,
    Volunteer,
    VolunteerLanguage,
    today,
    utcnow,
)
from matcher.models.base import Base
from matcher.services.platform import backup, demo
from tests.backup.conftest import revisions_of
from tests.conftest import agency_factory, inside, login, user_factory
from tests.forms import link_in, row_counts, signup_form

#: Rows of sent mail (2 KB of random text each) that make the copy take long enough for
#: sign-ups to commit while it runs.
FILLER_MAILS = 1500


@dataclass(frozen=True)
class SignUp:
    email: str
    started: float
    answered: float
    status: int


class Writer(threading.Thread):
    """Signs volunteers up through the app, one request — one commit — after the other."""

    def __init__(self, app: Flask, prefix: str) -> None:
        super().__init__(daemon=True)
        self.app, self.prefix = app, prefix
        self.done: list[SignUp] = []
        self.halt = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        client = self.app.test_client()
        try:
            n = 0
            while not self.halt.is_set():
                email = f"{self.prefix}{n}@example.org"
                started = time.monotonic()
                response = client.post("/signup/awo", data=signup_form(email=email))
                self.done.append(SignUp(email, started, time.monotonic(), response.status_code))
                n += 1
        except BaseException as e:  # reported by the test
            self.error = e


def wait_until(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the writers made no progress"
        time.sleep(0.01)


def seed(app: Flask) -> None:
    """An agency to sign up with, a coordinator, a demo agency's people and old sent mail."""
    agency = agency_factory(app)(slug="awo", name="AWO Köln")
    user_factory(app)("coordinator", agency, email="coord@example.org")
    with inside(app):
        demo.load("koeln", 60, 60, 1, today())
        now = utcnow()
        db.session.execute(
            OutboxMessage.__table__.insert(),
            [
                {"kind": "filler", "to_address": f"old{i}@example.org", "subject": "s",
                 "body": os.urandom(1000).hex(), "status": "sent", "attempts": 1,
                 "next_attempt_at": now, "created_at": now, "last_error": "", "sent_at": now}
                for i in range(FILLER_MAILS)
            ],
        )  # fmt: skip
        db.session.commit()


def confirmation_token(app: Flask, email: str) -> str:
    with inside(app):
        body = db.session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.to_address == email)
        ).one()
    return link_in(body).rpartition("token=")[2]


def orphans(app: Flask) -> dict[str, int]:
    """Rows whose foreign key names a row that is not there, per foreign key."""
    found = {}
    with inside(app):
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                parent = fk.column.table.alias("parent")
                child = fk.parent
                query = (
                    select(func.count())
                    .select_from(table.outerjoin(parent, child == parent.c[fk.column.name]))
                    .where(child.is_not(None), parent.c[fk.column.name].is_(None))
                )
                if count := db.session.scalar(query):
                    found[f"{table.name}.{child.name}"] = count
    return found


def test_a_backup_under_write_load_restores_every_committed_signup_into_a_fresh_database(
    new_database: Callable[[str], str], make_site: Callable[..., Flask], tmp_path: Path
) -> None:
    source = make_site(new_database("source"), "source", migrate=True)
    seed(source)
    # One sign-up alone: which rows one sign-up writes, and a link signed before the backup.
    before = row_counts(source)
    first = source.test_client().post("/signup/awo", data=signup_form(email="first@example.org"))
    assert first.status_code == 302
    base = row_counts(source)
    per_signup = {t: base[t] - before[t] for t in base}
    assert per_signup["volunteers"] == 1 and per_signup["outbox_messages"] == 1
    token = confirmation_token(source, "first@example.org")

    writers = [Writer(source, f"w{i}-") for i in range(2)]
    for w in writers:
        w.start()
    try:
        wait_until(lambda: sum(len(w.done) for w in writers) >= 6)
        began = time.monotonic()
        result = source.test_cli_runner().invoke(
            args=["backup", "create", str(tmp_path / "nightly.tar.gz")]
        )
        ended = time.monotonic()
        done_then = sum(len(w.done) for w in writers)
        wait_until(lambda: sum(len(w.done) for w in writers) >= done_then + 4)
    finally:
        for w in writers:
            w.halt.set()
        for w in writers:
            w.join(30)
    assert result.exit_code == 0, result.output
    assert all(w.error is None for w in writers), [w.error for w in writers]
    signups = [s for w in writers for s in w.done]
    assert {s.status for s in signups} == {302}  # every sign-up under load was committed
    committed_before = {s.email for s in signups if s.answered < began} | {"first@example.org"}
    during = [s for s in signups if began < s.started and s.answered < ended]
    assert during, "no sign-up committed while the backup ran; the test proves nothing"
    archive = tmp_path / "nightly.tar.gz"
    assert archive.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []

    # Another machine: a fresh, empty database and an instance folder with another key.
    target_url = new_database("restored")
    fresh = make_site(target_url, "target")
    assert fresh.config["SECRET_KEY"] != source.config["SECRET_KEY"]
    result = fresh.test_cli_runner().invoke(args=["backup", "restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert "secret key was written" in result.output
    assert "at this code's head" in result.output
    assert revisions_of(target_url) == set(backup.heads())

    restored = make_site(target_url, "target")  # restarted: reads its instance folder again
    assert restored.config["SECRET_KEY"] == source.config["SECRET_KEY"]
    with inside(restored):
        awo = select(Agency.id).where(Agency.slug == "awo").scalar_subquery()
        emails = set(db.session.scalars(select(Volunteer.email).where(Volunteer.agency_id == awo)))
    assert "first@example.org" in emails
    by_email = {s.email: s for s in signups}
    # Nothing committed before the backup began is missing, nothing never sent appears.
    assert committed_before <= emails, sorted(committed_before - emails)
    assert emails - {"first@example.org"} <= set(by_email)
    # One point in time between the start and the end of the backup: every restored sign-up
    # began before it, every committed one left out was answered after it.
    newest_in = max(by_email[e].started for e in emails - {"first@example.org"})
    missing = [s for s in signups if s.email not in emails]
    assert newest_in < ended
    assert all(s.answered > began for s in missing)
    assert all(newest_in < s.answered for s in missing)

    # Consistent: every table holds what the restored sign-ups wrote, no more, no less, and
    # no row points at a row that is not there.
    counts = row_counts(restored)
    for table, rows in base.items():
        expected = rows + (len(emails) - 1) * per_signup[table]
        if table == "audit_events":
            expected += 1  # the restore's own entry
        assert counts[table] == expected, (table, counts[table], expected)
    assert orphans(restored) == {}
    with inside(restored):
        for email in emails:
            volunteer = db.session.scalars(select(Volunteer).where(Volunteer.email == email)).one()
            assert len(volunteer.languages) == 2
            assert (
                db.session.scalar(
                    select(func.count()).where(ConsentRecord.volunteer_id == volunteer.id)
                )
                == 2
            )
            assert (
                db.session.scalar(select(func.count()).where(OutboxMessage.to_address == email))
                == 1
            )
            assert (
                db.session.scalar(
                    select(func.count()).where(
                        AuditEvent.action == "volunteer.signup",
                        AuditEvent.object_id == volunteer.id,
                    )
                )
                == 1
            )
        assert db.session.scalar(select(func.count()).select_from(VolunteerLanguage)) == (
            base["volunteer_languages"] + 2 * (len(emails) - 1)
        )
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("platform.backup%"))
        ).all()
        assert actions == ["platform.backup_restored"]
    with inside(source):
        assert db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("platform.backup%"))
        ).all() == ["platform.backup_created"]

    # The app works on it: a password from before logs in, a link from before opens — with
    # the restored key only (another installation's key refuses it).
    assert login(restored.test_client(), "coord@example.org").status_code == 302
    stranger = make_site(target_url, "stranger")
    refused = stranger.test_client().post("/signup/confirm", data={"token": token})
    assert refused.status_code == 400
    opened = restored.test_client().post("/signup/confirm", data={"token": token})
    assert opened.status_code == 200
    with inside(restored):
        confirmed = db.session.scalars(
            select(Volunteer.email_confirmed_at).where(Volunteer.email == "first@example.org")
        ).one()
        assert confirmed is not None
        newest_id = db.session.scalar(select(func.max(Volunteer.id)))
    # New rows get new ids (PostgreSQL's sequences came back too).
    again = restored.test_client().post("/signup/awo", data=signup_form(email="new@example.org"))
    assert again.status_code == 302
    with inside(restored):
        new = db.session.scalars(select(Volunteer).where(Volunteer.email == "new@example.org"))
        assert new.one().id > newest_id
