"""The timeline of notes and contacts: on a volunteer's, a newcomer's and a Patenschaft's page
(`coordinator/_timeline.html`), the whole of it a page at a time, and each entry with its
earlier versions, to edit or delete.

A refused save shows the coordinator's input again: a form error or a broken rule answers
400 at its field; an entry changed meanwhile answers 409 with their text still in the form
and the current version beside it (`common.back_to` renders the entry's page again).
"""

from dataclasses import dataclass
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from jinja2 import pass_context
from jinja2.runtime import Context

from matcher.domain.errors import Invalid
from matcher.domain.notes import TIMEZONE
from matcher.models import Match, Newcomer, Note, User, Volunteer
from matcher.services.people import notes
from matcher.web import common, messages
from matcher.web.coordinator import bp
from matcher.web.coordinator.note_forms import NoteDeleteForm, NoteEditForm, NoteForm


@dataclass(frozen=True)
class Place:
    """Where a subject's timeline lives: its page, the whole timeline, the add form."""

    page: str
    timeline: str
    add: str
    id_arg: str
    party: str | None

    def values(self, subject: notes.Subject) -> dict[str, int]:
        """The URL values naming the subject."""
        return {self.id_arg: subject.id}


PLACES: dict[type, Place] = {
    Volunteer: Place(
        "coordinator.volunteer",
        "coordinator.volunteer_notes",
        "coordinator.volunteer_note_add",
        "volunteer_id",
        "volunteer",
    ),
    Newcomer: Place(
        "coordinator.newcomer",
        "coordinator.newcomer_notes",
        "coordinator.newcomer_note_add",
        "newcomer_id",
        "newcomer",
    ),
    Match: Place(
        "coordinator.patenschaft",
        "coordinator.patenschaft_notes",
        "coordinator.patenschaft_note_add",
        "match_id",
        None,
    ),
}

#: Which field a rule of `matcher.domain.notes.check` is about.
FIELD_OF = {
    "note_unknown_kind": "kind",
    "note_text_empty": "text",
    "note_text_too_long": "text",
    "note_unknown_channel": "channel",
    "note_unknown_party": "party",
    "note_in_future": "on",
    "note_unknown_staff": "staff",
}


def _new_form(subject: notes.Subject, actor: User) -> NoteForm:
    """The add form: as sent when a refused POST shows its page again, else a fresh one."""
    sent = request.method == "POST" and request.endpoint == PLACES[type(subject)].add
    people = notes.staff(subject.agency_id, actor)
    if sent:
        form = NoteForm().prepare(people)
        if not notes.is_saved(subject.agency_id, form.submission_key.data or ""):
            return form
    return NoteForm(formdata=None).prepare(people).start(actor, PLACES[type(subject)].party)


def _at_field(form: NoteForm, error: Invalid) -> None:
    """Show a broken rule at the field it is about."""
    form[FIELD_OF.get(error.code, "text")].errors = [messages.text(error)]


# --------------------------------------------------------------------------- on the pages


@dataclass(frozen=True)
class Box:
    """What `coordinator/_timeline.html` shows on a subject's page."""

    subject: notes.Subject
    place: Place
    timeline: notes.Timeline
    form: NoteForm | None


def _subject_in(context: Context) -> notes.Subject | None:
    """The page's subject: a Patenschaft's page has its `detail`; a newcomer's page `n`; a
    volunteer's page `v`."""
    match, n, v = context.get("match"), context.get("n"), context.get("v")
    if isinstance(match, Match) and context.get("detail") is not None:
        return match
    if isinstance(n, Newcomer):
        return n
    if isinstance(v, Volunteer):
        return v
    return None


@pass_context
def timeline_here(context: Context) -> Box | None:
    """The timeline of the page's subject, newest first, with the add form."""
    subject = _subject_in(context)
    if subject is None:
        return None
    actor = common.actor()
    form = None if notes.is_erased(subject) else _new_form(subject, actor)
    return Box(subject, PLACES[type(subject)], notes.timeline(subject), form)


@bp.context_processor
def _timeline_helpers() -> dict[str, Any]:
    return {"timeline_here": timeline_here, "note_timezone": TIMEZONE}


# --------------------------------------------------------------------------- the whole timeline


def _timeline_page(
    subject: notes.Subject, form: NoteForm | None = None, status: int = 200
) -> ResponseReturnValue:
    actor = common.actor()
    if form is None and not notes.is_erased(subject):
        form = _new_form(subject, actor)
    page, lines = notes.page_of(subject, common.page_arg(), actor)
    return render_template(
        "coordinator/notes.html",
        subject=subject,
        place=PLACES[type(subject)],
        page=page,
        lines=lines,
        form=form,
    ), status


def _add(subject: notes.Subject) -> ResponseReturnValue:
    place = PLACES[type(subject)]
    common.back_to(place.timeline, **place.values(subject))
    actor = common.actor()
    form = NoteForm().prepare(notes.staff(subject.agency_id, actor))
    if not form.validate_on_submit():
        return _timeline_page(subject, form, 400)
    try:
        notes.add(subject, form.entry(), actor, submission_key=form.submission_key.data)
    except Invalid as e:
        _at_field(form, e)
        return _timeline_page(subject, form, 400)
    return common.done(_("Entry saved."), place.page, **place.values(subject), _anchor="timeline")


@bp.get("/volunteers/<int:volunteer_id>/notes")
def volunteer_notes(volunteer_id: int) -> ResponseReturnValue:
    """A volunteer's whole timeline of notes and contacts (the view is audited)."""
    return _timeline_page(common.one(Volunteer, volunteer_id))


@bp.post("/volunteers/<int:volunteer_id>/notes")
def volunteer_note_add(volunteer_id: int) -> ResponseReturnValue:
    """Add a note or a contact to a volunteer's timeline."""
    return _add(common.one(Volunteer, volunteer_id))


@bp.get("/newcomers/<int:newcomer_id>/notes")
def newcomer_notes(newcomer_id: int) -> ResponseReturnValue:
    """A newcomer's whole timeline of notes and contacts (the view is audited)."""
    return _timeline_page(common.one(Newcomer, newcomer_id))


@bp.post("/newcomers/<int:newcomer_id>/notes")
def newcomer_note_add(newcomer_id: int) -> ResponseReturnValue:
    """Add a note or a contact to a newcomer's timeline."""
    return _add(common.one(Newcomer, newcomer_id))


@bp.get("/patenschaften/<int:match_id>/notes")
def patenschaft_notes(match_id: int) -> ResponseReturnValue:
    """A Patenschaft's whole timeline of notes and contacts (the view is audited)."""
    return _timeline_page(common.one(Match, match_id))


@bp.post("/patenschaften/<int:match_id>/notes")
def patenschaft_note_add(match_id: int) -> ResponseReturnValue:
    """Add a note or a contact to a Patenschaft's timeline."""
    return _add(common.one(Match, match_id))


# --------------------------------------------------------------------------- one entry


def _edit_form(note: Note, actor: User) -> NoteEditForm:
    # A colleague who has left stays named on their own contacts.
    people = notes.staff(note.agency_id, actor, keep=note.staff_id)
    if request.method == "POST" and request.endpoint == "coordinator.note_save":
        # Shown again after a refusal: the coordinator's text stays; the version becomes the
        # current one, so saving again after a look replaces it knowingly.
        form = NoteEditForm()
        form.version.data = note.version
        form.version.raw_data = [str(note.version)]
    else:
        local = note.at.astimezone(TIMEZONE)
        form = NoteEditForm(
            formdata=None,
            kind=note.kind,
            on=local.date(),
            at=local.time().replace(second=0, microsecond=0),
            channel=note.channel or "",
            party=note.party or "",
            staff=note.staff_id,
            text=note.text,
            version=note.version,
        )
    return form.prepare(people)


def _entry_page(
    note: Note, form: NoteEditForm | None = None, status: int = 200
) -> ResponseReturnValue:
    actor = common.actor()
    subject = notes.subject_of(note)
    line, versions = notes.history(note, actor)
    if form is None and note.deleted_at is None:
        form = _edit_form(note, actor)
    return render_template(
        "coordinator/note.html",
        line=line,
        versions=versions,
        subject=subject,
        place=PLACES[type(subject)],
        form=form,
        delete_form=NoteDeleteForm(formdata=None, version=note.version),
        refused=request.method == "POST" and request.endpoint == "coordinator.note_save",
    ), status


@bp.get("/notes/<int:note_id>")
def note(note_id: int) -> ResponseReturnValue:
    """One entry with its earlier versions, to edit or delete (the view is audited)."""
    return _entry_page(common.one(Note, note_id))


@bp.post("/notes/<int:note_id>")
def note_save(note_id: int) -> ResponseReturnValue:
    """Save a changed entry; the version it replaces is kept."""
    entry = common.one(Note, note_id)
    common.back_to("coordinator.note", note_id=entry.id)
    actor = common.actor()
    people = notes.staff(entry.agency_id, actor, keep=entry.staff_id)
    form = NoteEditForm().prepare(people)
    if not form.validate_on_submit():
        return _entry_page(entry, form, 400)
    try:
        changed = notes.edit(entry, int(form.version.data), form.entry(), actor)
    except Invalid as e:
        _at_field(form, e)
        return _entry_page(entry, form, 400)
    subject = notes.subject_of(entry)
    place = PLACES[type(subject)]
    message = _("Entry saved; the earlier version is kept.") if changed else _("Nothing changed.")
    return common.done(message, place.page, **place.values(subject), _anchor="timeline")


@bp.post("/notes/<int:note_id>/delete")
def note_delete(note_id: int) -> ResponseReturnValue:
    """Delete an entry: who deleted it and when stay on the timeline, its text goes."""
    entry = common.one(Note, note_id)
    common.back_to("coordinator.note", note_id=entry.id)
    form = NoteDeleteForm()
    if not form.validate_on_submit():
        return _entry_page(entry, status=400)
    notes.delete_entry(entry, int(form.version.data), common.actor())
    subject = notes.subject_of(entry)
    place = PLACES[type(subject)]
    return common.done(_("Entry deleted."), place.page, **place.values(subject), _anchor="timeline")
