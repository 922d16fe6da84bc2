"""The timeline pages, through the test client: adding on each page, the rules at their
fields (400), stale and doubled forms (409, nothing lost), deletion, and another agency's
coordinator finding nothing (404) on every note route."""

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from matcher.domain.notes import TEXT_MAX, TIMEZONE
from matcher.extensions import db
from matcher.models import AuditEvent, Note, utcnow
from tests.conftest import inside, login
from tests.security.routes import snapshot


def form(people: dict[str, Any], text: str, **values: str) -> dict[str, str]:
    """The add form as a browser sends it: a phone call with the newcomer, today."""
    now = utcnow().astimezone(TIMEZONE)
    return {
        "kind": "contact",
        "on": now.date().isoformat(),
        "at": "09:30",
        "channel": "phone",
        "party": "newcomer",
        "staff": str(people["coordinator"].id),
        "text": text,
    } | values


def coordinator(app: Flask, people: dict[str, Any]) -> FlaskClient:
    client = app.test_client()
    assert login(client, people["coordinator"]).status_code == 302
    return client


def count_notes(app: Flask) -> int:
    with inside(app):
        return int(db.session.scalar(select(func.count(Note.id))) or 0)


def body(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_each_page_shows_its_own_timeline_newest_first_with_show_all(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    a = two_agencies["a"]
    client = coordinator(app, a)
    pages = {
        "newcomer": (f"/newcomers/{a['newcomer'].id}", "Anruf bei Nadia wegen Kita"),
        "volunteer": (f"/volunteers/{a['volunteer'].id}", "Vera hat im Januar Urlaub"),
        "match": (f"/patenschaften/{a['match'].id}", "Erstes Treffen im Stadtteilcafé"),
    }
    for page, text in pages.values():
        shown = body(client.get(page))
        assert "Notizen und Kontakte" in shown and 'name="submission_key"' in shown
        sent = client.post(page + "/notes", data=form(a, text, party="both"))
        assert sent.status_code == 302 and sent.location.endswith(page + "#timeline")
    for page, text in pages.values():
        shown = body(client.get(page))
        assert text in shown
        assert all(t not in shown for p, t in pages.values() if p != page)
    # Newest first; five on the page, then "show all" (the fixture's call and seven more).
    newcomer, _ = pages["newcomer"]
    for i in range(6):
        day = (utcnow() - timedelta(days=10 - i)).astimezone(TIMEZONE).date().isoformat()
        client.post(newcomer + "/notes", data=form(a, f"Eintrag Nummer {i}", on=day))
    shown = body(client.get(newcomer))
    assert "Alle 8 Einträge anzeigen" in shown
    listed = re.findall(r"Eintrag Nummer (\d)", shown)
    # Today's two (the fixture's call and the one above) are newer than the six.
    assert listed == ["5", "4", "3"] and "Termin beim Jobcenter" in shown
    everything = body(client.get(newcomer + "/notes"))
    assert re.findall(r"Eintrag Nummer (\d)", everything) == ["5", "4", "3", "2", "1", "0"]
    assert "Termin beim Jobcenter" in everything and "Anruf bei Nadia" in everything
    with inside(app):
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("note.created") == 9 and "newcomer.timeline_view" in actions


def test_bad_input_answers_400_with_the_reason_at_its_field_and_keeps_the_input(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    a = two_agencies["a"]
    client = coordinator(app, a)
    url = f"/newcomers/{a['newcomer'].id}/notes"
    tomorrow = (utcnow().astimezone(TIMEZONE) + timedelta(days=1)).date().isoformat()
    cases = [
        ({"text": "  "}, "Bitte schreiben Sie, worum es geht."),
        ({"text": "x" * (TEXT_MAX + 1)}, "höchstens 4000 Zeichen"),
        ({"on": tomorrow}, "nicht nach heute liegen"),
        ({"channel": "telegram"}, "Bitte wählen Sie, wie der Kontakt stattfand."),
        ({"party": "neighbour"}, "Bitte wählen Sie, mit wem der Kontakt war."),
        ({"on": "31.02.2026"}, "Bitte prüfen Sie die markierten Felder."),
    ]
    before = count_notes(app)
    for values, message in cases:
        response = client.post(url, data=form(a, "Rückruf vereinbart") | values)
        assert response.status_code == 400, values
        assert message in body(response), values
        if "text" not in values:
            assert "Rückruf vereinbart" in body(response)  # the typed text is not lost
    assert count_notes(app) == before


def test_a_stale_edit_and_a_doubled_form_answer_409_and_nothing_is_lost(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    a = two_agencies["a"]
    client = coordinator(app, a)
    note = f"/notes/{a['note'].id}"
    page = body(client.get(note))
    assert 'name="version" type="hidden" value="1"' in page
    first = client.post(note, data=form(a, "Termin beim Jobcenter: Dienstag", version="1"))
    assert first.status_code == 302
    stale = client.post(note, data=form(a, "Termin beim Jobcenter: Mittwoch", version="1"))
    assert stale.status_code == 409
    shown = body(stale)
    assert "Dieser Eintrag wurde inzwischen geändert" in shown
    assert "Termin beim Jobcenter: Mittwoch" in shown  # their text, still in the form
    assert "Termin beim Jobcenter: Dienstag" in shown  # the current version beside it
    assert 'name="version" type="hidden" value="2"' in shown  # saving again is a choice
    with inside(app):
        assert db.session.get(Note, a["note"].id).text == "Termin beim Jobcenter: Dienstag"  # type: ignore[union-attr]
    again = client.post(note, data=form(a, "Termin beim Jobcenter: Mittwoch", version="2"))
    assert again.status_code == 302
    history = body(client.get(note))
    assert "Termin beim Jobcenter: Dienstag" in history and "Fassung 2" in history

    # The same add form sent twice: one entry, and a clear answer to the second.
    sent = form(a, "Dolmetscherin gebucht", submission_key="ab" * 16)
    url = f"/newcomers/{a['newcomer'].id}/notes"
    assert client.post(url, data=sent).status_code == 302
    twice = client.post(url, data=sent)
    assert twice.status_code == 409 and "schon gespeichert" in body(twice)
    with inside(app):
        assert (
            db.session.scalar(
                select(func.count(Note.id)).where(Note.text == "Dolmetscherin gebucht")
            )
            == 1
        )

    # Deleting: a stale form is refused; then the text goes, who and when stay.
    assert client.post(note + "/delete", data={"version": "2"}).status_code == 409
    deleted = client.post(note + "/delete", data={"version": "3"})
    assert deleted.status_code == 302
    timeline = body(client.get(f"/newcomers/{a['newcomer'].id}/notes"))
    assert "Mittwoch" not in timeline and "Eintrag gelöscht von" in timeline
    assert client.post(note, data=form(a, "zurück", version="4")).status_code == 409
    assert "Mittwoch" not in body(client.get(note))


def test_another_agency_gets_404_on_every_note_route_and_nothing_changes(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    a, b = two_agencies["a"], two_agencies["b"]
    client = coordinator(app, a)
    before = snapshot(app, skip=("audit_events",))
    routes = [
        f"/newcomers/{b['newcomer'].id}/notes",
        f"/volunteers/{b['volunteer'].id}/notes",
        f"/patenschaften/{b['match'].id}/notes",
    ]
    for url in routes:
        assert client.get(url).status_code == 404, url
        assert client.post(url, data=form(a, "fremd")).status_code == 404, url
    note = f"/notes/{b['note'].id}"
    assert client.get(note).status_code == 404
    assert client.post(note, data=form(a, "fremd", version="1")).status_code == 404
    assert client.post(note + "/delete", data={"version": "1"}).status_code == 404
    # Naming another agency's staff member on one's own newcomer is refused too.
    own = client.post(
        f"/newcomers/{a['newcomer'].id}/notes",
        data=form(a, "fremd", staff=str(b["coordinator"].id)),
    )
    assert own.status_code == 400
    assert snapshot(app, skip=("audit_events",)) == before
    # The own agency's entry is there for its coordinator, with its text.
    assert "Termin beim Jobcenter" in body(client.get(f"/notes/{a['note'].id}"))


def test_the_admin_s_art_15_export_has_them_and_the_coordinator_s_erasure_removes_them(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    a = two_agencies["a"]
    client = coordinator(app, a)
    match_notes = f"/patenschaften/{a['match'].id}/notes"
    sent = client.post(match_notes, data=form(a, "Treffen im Café war gut", party="both"))
    assert sent.status_code == 302
    admin = app.test_client()
    login(admin, two_agencies["admin"])
    exported = admin.post(f"/admin/privacy/newcomer/{a['newcomer'].id}/data.json")
    assert exported.status_code == 200
    texts = [e["text"] for e in exported.get_json()["notes_and_contacts"]]
    assert sorted(texts) == ["Termin beim Jobcenter besprochen", "Treffen im Café war gut"]
    assert a["volunteer"].email not in body(exported)

    erased = client.post(f"/newcomers/{a['newcomer'].id}/erase", data={"confirm": "y"})
    assert erased.status_code == 302
    with inside(app):
        left = db.session.scalars(select(Note.agency_id)).all()
    assert left == [two_agencies["b"]["agency"].id]  # only the other agency's entry is left
    assert "Treffen im Café" not in body(client.get(match_notes))
