"""The weekly digest: opted-in coordinators get one German mail per ISO week with the counts
of "Heute zu tun" and links, through the outbox to a real SMTP server."""

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from matcher import jobs_tasks, tenancy
from matcher.extensions import db
from matcher.models import OutboxMessage, User, today
from matcher.services.matching import digest
from matcher.services.platform import outbox
from tests.conftest import inside, login, mail_config
from tests.mailserver import body_of

Factory = Callable[..., Any]


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return mail_config(smtp_server.port)


def _outbox(app: Flask) -> list[tuple[str, str, str]]:
    with inside(app):
        return [
            (m.to_address, m.subject, m.body)
            for m in db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "weekly_digest")
                .order_by(OutboxMessage.id)
            )
        ]


def test_iso_week() -> None:
    assert digest.iso_week(date(2026, 11, 29)) == "2026-W48"  # a Sunday
    assert digest.iso_week(date(2026, 11, 30)) == "2026-W49"
    assert digest.iso_week(date(2027, 1, 1)) == "2026-W53"


def test_opted_in_coordinators_get_one_digest_a_week_that_opens_their_dashboard(
    app: Flask,
    smtp_server: Any,
    make_agency: Factory,
    make_user: Factory,
    make_volunteer: Factory,
) -> None:
    a, b = make_agency(name="Agentur A"), make_agency(name="Agentur B")
    kim = make_user("coordinator", a, name="Kim", email="kim@example.org")
    make_user("coordinator", a, name="Lou", email="lou@example.org")  # never opted in
    bea = make_user("coordinator", b, email="bea@example.org", weekly_digest=True)
    make_volunteer(a, first_name="Sina", status="applied")
    for name in ("Ben", "Bo"):
        make_volunteer(b, first_name=name, status="applied")

    client = app.test_client()
    login(client, kim)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert (
        'name="weekly_digest"' in dashboard
        and "checked" not in dashboard.split('name="weekly_digest"')[1].split(">")[0]
    )
    assert client.post("/today/digest", data={"weekly_digest": "y"}).status_code == 302
    with inside(app):
        assert db.session.get(User, kim.id).weekly_digest is True  # type: ignore[union-attr]

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["digest", "send", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "kim@example.org" in dry.output and "bea@example.org" in dry.output
    assert "lou@example.org" not in dry.output and "Would queue 2 digest(s)." in dry.output
    assert _outbox(app) == []

    sent = runner.invoke(args=["digest", "send"])
    assert sent.exit_code == 0 and "Queued 2 digest(s)." in sent.output, sent.output
    again = runner.invoke(args=["digest", "send"])
    assert "Queued 0 digest(s)." in again.output  # the same week: nothing more
    assert jobs_tasks.task(jobs_tasks.SEND_DIGESTS, app)() is None  # the periodic job
    mails = _outbox(app)
    assert [to for to, _, _ in mails] == ["kim@example.org", "bea@example.org"]

    with inside(app):
        outbox.send_due()
    received = {m["To"]: m for m in smtp_server.wait_for(2)}
    mail = received["kim@example.org"]
    assert mail["Subject"] == "Ihre Woche in matcher: 1 Aufgabe"
    body = body_of(mail)
    assert "Agentur A" in body and "Neue Anmeldungen warten auf ein Gespräch: 1" in body
    assert "Sina" not in body and "Ben" not in body  # counts and links, no names
    assert "Neue Anmeldungen warten auf ein Gespräch: 2" in body_of(received["bea@example.org"])
    links = re.findall(r"http://matcher\.test(/\S*)", body)
    assert "/dashboard" in links and "/today?kind=signups" in links

    reader = app.test_client()
    assert reader.get("/dashboard").status_code == 302  # the link asks for a login first
    login(reader, kim)
    page = reader.get("/dashboard")
    assert page.status_code == 200 and "Heute zu tun" in page.get_data(as_text=True)
    listed = reader.get("/today?kind=signups").get_data(as_text=True)
    assert "Sina" in listed and "Ben" not in listed

    # Next week brings the next digest; opting out stops it.
    with inside(app):
        assert len(digest.send(today() + timedelta(weeks=1), stale_days=7)) == 2
        db.session.commit()
    assert client.post("/today/digest", data={}).status_code == 302
    with app.app_context(), tenancy.all_agencies():
        assert [u.email for u in digest.due(today() + timedelta(weeks=2))] == [bea.email]


def test_a_week_with_nothing_to_do_sends_no_digest_until_something_comes_up(
    app: Flask, make_agency: Factory, make_user: Factory, make_volunteer: Factory
) -> None:
    agency = make_agency()
    make_user("coordinator", agency, email="ruhig@example.org", weekly_digest=True)
    runner = app.test_cli_runner()
    quiet = runner.invoke(args=["digest", "send"])
    assert quiet.exit_code == 0 and "Queued 0 digest(s)." in quiet.output, quiet.output
    assert _outbox(app) == []
    make_volunteer(agency, first_name="Nora", status="applied")  # a sign-up to call
    later = runner.invoke(args=["digest", "send"])
    assert "Queued 1 digest(s)." in later.output, later.output
    assert [to for to, _, _ in _outbox(app)] == ["ruhig@example.org"]


def test_only_coordinators_opt_in(app: Flask, make_user: Factory) -> None:
    admin = make_user("admin")
    client = app.test_client()
    login(client, admin)
    # Without an agency chosen the area sends an admin to choose one; never a digest.
    assert client.post("/today/digest", data={"weekly_digest": "y"}).status_code in (302, 403)
    with inside(app):
        assert db.session.get(User, admin.id).weekly_digest is False  # type: ignore[union-attr]
