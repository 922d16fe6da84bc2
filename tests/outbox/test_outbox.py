"""The outbox worker: retried, never lost, never sent twice — also with two workers at once."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import OutboxMessage, utcnow
from matcher.services.platform import outbox
from tests.conftest import inside, mail_config
from tests.forms import signup_form
from tests.mailserver import MailServer, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def app_config(port: int) -> dict[str, Any]:
    return mail_config(port, OUTBOX_MAX_ATTEMPTS=3, OUTBOX_BACKOFF_SECONDS=60)


def queue(app: Flask, n: int = 1) -> list[int]:
    with inside(app):
        messages = [
            outbox.enqueue("test", f"to{i}@example.org", f"Mail {i}", f"Body {i}\n")
            for i in range(n)
        ]
        db.session.commit()
        return [m.id for m in messages]


def send(app: Flask, **kwargs: Any) -> outbox.Report:
    with inside(app):
        return outbox.send_due(**kwargs)


def message(app: Flask, message_id: int) -> OutboxMessage:
    with inside(app):
        found = db.session.get(OutboxMessage, message_id)
        db.session.expunge(found)
        return found


def test_a_server_down_at_signup_time_still_gets_the_mail_later_once(
    app: Flask, port: int, make_agency: Callable[..., Any]
) -> None:
    make_agency(slug="awo-koeln")
    assert app.test_client().post("/signup/awo-koeln", data=signup_form()).status_code == 302
    # Nobody listens on the port yet: the attempt fails and is scheduled again, not lost.
    report = send(app)
    assert (report.sent, report.retrying) == (0, 1)
    with inside(app):
        m = db.session.scalars(select(OutboxMessage)).one()
        assert (m.status, m.attempts, m.locked_until) == ("pending", 1, None)
        assert m.next_attempt_at > utcnow() + timedelta(seconds=50) and m.last_error
        message_id = m.id

    server = MailServer(port).start()
    try:
        assert send(app).claimed == 0  # not due yet: the backoff is respected
        later = utcnow() + timedelta(minutes=2)
        assert send(app, now=later).sent == 1
        for hours in (1, 24, 24 * 30):
            assert send(app, now=utcnow() + timedelta(hours=hours)).claimed == 0
        # SMTP delivery is synchronous: a mail the server accepted is in its inbox before
        # send() returns, so after the passes above nothing more can arrive.
        mails = server.messages
        assert len(mails) == 1
        assert mails[0]["To"] == "sean@example.org"
        assert mails[0]["Message-ID"].startswith(f"<outbox-{message_id}-")
    finally:
        server.stop()
    sent = message(app, message_id)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, "")
    assert sent.sent_at is not None


def test_backoff_doubles_and_the_worker_gives_up_after_max_attempts(app: Flask) -> None:
    (message_id,) = queue(app)
    now = utcnow()
    waits = []
    for _ in range(3):
        before = message(app, message_id).next_attempt_at
        now = max(now, before) + timedelta(seconds=1)
        send(app, now=now)
        after = message(app, message_id)
        waits.append(after.next_attempt_at - utcnow())
    assert waits[1] > waits[0] * 1.8 and waits[0] > timedelta(seconds=55)
    failed = message(app, message_id)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert send(app, now=utcnow() + timedelta(days=365)).claimed == 0  # given up for good


def test_a_permanent_refusal_is_given_up_at_once(app: Flask, port: int) -> None:
    (message_id,) = queue(app)
    server = MailServer(port)
    server.inbox.refuse = "550 5.1.1 no such user"
    server.start()
    try:
        assert send(app).failed == 1
    finally:
        server.stop()
    refused = message(app, message_id)
    assert (refused.status, refused.attempts) == ("failed", 1) and "550" in refused.last_error


def test_a_message_claimed_by_a_crashed_worker_is_sent_when_the_claim_runs_out(
    app: Flask, port: int
) -> None:
    ids = queue(app, 2)
    with inside(app):
        held = db.session.get(OutboxMessage, ids[0])
        held.locked_until = utcnow() + timedelta(minutes=5)  # another worker holds it
        db.session.commit()
    server = MailServer(port).start()
    try:
        assert send(app).sent == 1  # only the free one
        assert send(app, now=utcnow() + timedelta(minutes=6)).sent == 1
        assert sorted(m["To"] for m in server.wait_for(2)) == ["to0@example.org", "to1@example.org"]
    finally:
        server.stop()


def test_two_workers_at_once_send_each_message_exactly_once(app: Flask, port: int) -> None:
    ids = queue(app, 24)
    server = MailServer(port)
    server.inbox.delay = 0.03  # a slow server, so both workers are busy at the same time
    server.start()
    sent_by: dict[str, int] = {}
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with inside(app):
                start.wait()
                total = 0
                while (report := outbox.send_due(limit=3)).claimed:
                    total += report.sent
                sent_by[name] = total
                db.session.remove()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    server.stop()
    assert not errors, errors
    received = Counter(m["Message-ID"] for m in server.messages)
    assert len(received) == 24 and set(received.values()) == {1}
    assert sent_by["a"] + sent_by["b"] == 24
    assert sent_by["a"] > 0 and sent_by["b"] > 0  # both really worked
    with inside(app):
        assert db.session.scalar(
            select(func.count()).where(OutboxMessage.status == "sent", OutboxMessage.attempts == 1)
        ) == len(ids)


def test_send_once_command(app: Flask, port: int) -> None:
    queue(app, 2)
    server = MailServer(port).start()
    try:
        result = app.test_cli_runner().invoke(args=["outbox", "send-once"])
    finally:
        server.stop()
    assert result.exit_code == 0 and "sent 2" in result.output
    assert len(server.messages) == 2


def test_the_worker_prints_mail_in_console_mode_and_stops_cleanly_on_sigterm(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    queue(app, 1)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MAIL_BACKEND": "console",
        "SECRET_KEY": "worker-test",
        "MATCHER_OUTBOX_POLL_SECONDS": "0.2",
        "PYTHONUNBUFFERED": "1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with inside(app):
                if db.session.scalar(select(OutboxMessage.status)) == "sent":
                    break
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=15)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert "Subject: Mail 0" in out and "Body 0" in out and "To: to0@example.org" in out
    assert "stopped" in err
