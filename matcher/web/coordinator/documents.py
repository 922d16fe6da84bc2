"""Documents for newcomers, printed in their language with German alongside, and the texts
the agency owns: versions, reviews of translations, and which language stands where.

Kinds and languages come as query arguments (`?kind=…&language=…`), never as path parts: the
only path parameters are ids, which the tenancy tests walk. Every page works on the
agency of the coordinator area (`matcher.web.acting`).
"""

from typing import Any

from flask import abort, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from matcher import labels
from matcher.domain import audit, documents, locales
from matcher.domain.errors import Invalid
from matcher.domain.vocab import CONSENT_PURPOSES
from matcher.models import Match, Newcomer, today
from matcher.services.matching import first_meeting
from matcher.services.platform import document_texts
from matcher.web import acting, common, pdf
from matcher.web.coordinator import bp
from matcher.web.coordinator.document_forms import MeetingForm, ReviewForm, TextForm

#: The documents printed from a newcomer's page (the letter belongs to a Patenschaft).
NEWCOMER_KINDS = ("privacy_notice", "consent_form", "patenschaft_sheet")


def _language(default: str) -> str:
    """The ?language= argument (a document language), or the default; else 400."""
    code = request.args.get("language", default)
    if len(code) > 8:
        raise Invalid("document_language_unknown", language=code[:8])
    return documents.check_language(code)


def _kind() -> str:
    kind = request.args.get("kind", "")
    return documents.check_kind(kind[:40])


def _agency_values() -> dict[str, str]:
    agency = acting.agency()
    return {
        "agency_name": agency.name,
        "agency_city": agency.city,
        "agency_contact": agency.privacy_contact or agency.name,
        "retention_months": str(agency.retention_months),
    }


def _columns(kind: str, language: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The document in the chosen language and, unless that is German, in German beside it.
    `values` may hold a callable per placeholder that takes the column's language."""
    out: list[dict[str, Any]] = []
    for code in dict.fromkeys((language, "de")):
        text = document_texts.current_version(acting.agency(), kind, code)
        filled = {k: (v(code) if callable(v) else v) for k, v in values.items()}
        out.append(
            {
                "language": code,
                "dir": locales.direction(code),
                "name": locales.ENDONYMS[code],
                "text": text,
                "sections": documents.render(text.body, filled),
                "draft_note": documents.DRAFT_NOTES[code] if text.state.draft else "",
            }
        )
    if len(out) == 2 and out[0]["text"].state.draft:
        # The German column says it too: whoever reads the paper in German sees it is a draft.
        out[1]["draft_note"] = documents.DRAFT_NOTES["de"]
    return out


def _render_document(kind: str, language: str, values: dict[str, Any], **context: Any) -> str:
    columns = _columns(kind, language, values)
    return render_template(
        "coordinator/documents/document.html",
        kind=kind,
        language=language,
        columns=columns,
        languages=locales.DOCUMENT_LANGUAGES,
        endonyms=locales.ENDONYMS,
        directions={code: locales.direction(code) for code in locales.DOCUMENT_LANGUAGES},
        text_dir=locales.direction(language),
        **context,
    )


@bp.get("/newcomers/<int:newcomer_id>/documents")
def newcomer_document(newcomer_id: int) -> str:
    """A document for one newcomer (?kind=, ?language=, for the consent form ?purpose=), in her
    language with German alongside; the language defaults to the one her letters are written in."""
    return _newcomer_document(newcomer_id)[0]


@bp.get("/newcomers/<int:newcomer_id>/documents.pdf")
def newcomer_document_pdf(newcomer_id: int) -> Response:
    """The same document as an A4 PDF file to download."""
    html, kind, language = _newcomer_document(newcomer_id, for_pdf=True)
    return pdf.download(html, f"{kind}-{language}-{newcomer_id}.pdf".replace("_", "-"))


def _newcomer_document(newcomer_id: int, for_pdf: bool = False) -> tuple[str, str, str]:
    """The page of a newcomer's document (for the PDF: without its tools), its kind and
    language."""
    newcomer = common.one(Newcomer, newcomer_id)
    kind = request.args.get("kind", "privacy_notice")[:40]
    if kind not in NEWCOMER_KINDS:
        raise Invalid("document_kind_unknown", kind=kind)
    default = newcomer.correspondence_language  # the language of her letters
    language = _language(default)
    purposes: tuple[str, ...] = CONSENT_PURPOSES
    if kind == "consent_form" and request.args.get("purpose"):
        purpose = request.args.get("purpose", "")[:40]
        if purpose not in CONSENT_PURPOSES:
            raise Invalid("consent_purpose_unknown", purpose=purpose)
        purposes = (purpose,)
    values: dict[str, Any] = {
        **_agency_values(),
        "newcomer_name": newcomer.first_name,
    }
    audit.about("newcomer.document_printed", newcomer, common.actor())
    html = _render_document(
        kind,
        language,
        values,
        pdf=for_pdf,
        pdf_link=url_for(
            "coordinator.newcomer_document_pdf",
            newcomer_id=newcomer.id,
            kind=kind,
            language=language,
            purpose=purposes[0] if len(purposes) == 1 else None,
        ),
        purposes=purposes,
        default_language=default,
        back=url_for("coordinator.newcomer", newcomer_id=newcomer.id),
        here=url_for("coordinator.newcomer_document", newcomer_id=newcomer.id),
        hidden={"kind": kind, **({"purpose": purposes[0]} if len(purposes) == 1 else {})},
        purpose_links=[
            (
                purpose,
                url_for(
                    "coordinator.newcomer_document",
                    newcomer_id=newcomer.id,
                    kind=kind,
                    language=language,
                    purpose=purpose,
                ),
            )  # fmt: skip
            for purpose in (None, *CONSENT_PURPOSES)
        ],
        purpose_label=_purpose_label,
        others=[
            (
                other,
                url_for(
                    "coordinator.newcomer_document",
                    newcomer_id=newcomer.id,
                    kind=other,
                    language=language,
                ),
            )  # fmt: skip
            for other in NEWCOMER_KINDS
        ],
    )
    return html, kind, language


def _purpose_label(purpose: str | None) -> str:
    """A purpose of consent as the consent form's menu names it (None: all of them)."""
    if purpose is None:
        return str(_("all purposes"))
    return str(labels.DOCUMENT_SECTION_LABELS[purpose])


def _introduction_values(match: Match, meeting: Any) -> dict[str, Any]:
    volunteer = match.volunteer
    contact = ""
    # The volunteer's contact goes to the newcomer only with the volunteer's consent.
    if volunteer.consents_to("contact_sharing"):
        contact = volunteer.phone or volunteer.email
    values: dict[str, Any] = {
        **_agency_values(),
        "newcomer_first_name": match.newcomer.first_name,
        "volunteer_first_name": volunteer.first_name,
        "volunteer_contact": contact,
    }
    if meeting is None:
        # Not arranged yet: lines to write on by hand rather than raw placeholders.
        for name in ("meeting_date", "meeting_time", "meeting_place"):
            values[name] = "____________"
    else:
        start = first_meeting.local_start(meeting)
        values["meeting_date"] = lambda code: document_texts.format_meeting(start, code)[0]
        values["meeting_time"] = lambda code: document_texts.format_meeting(start, code)[1]
        values["meeting_place"] = meeting.place
    return values


@bp.get("/patenschaften/<int:match_id>/introduction")
def introduction(match_id: int, form: MeetingForm | None = None) -> str:
    """The introduction letter for the first meeting, and the form that arranges it."""
    return _introduction(match_id, form)[0]


@bp.get("/patenschaften/<int:match_id>/introduction.pdf")
def introduction_pdf(match_id: int) -> Response:
    """The introduction letter as an A4 PDF file to download."""
    html, language = _introduction(match_id, None, for_pdf=True)
    return pdf.download(html, f"introduction-letter-{language}-{match_id}.pdf")


def _introduction(
    match_id: int, form: MeetingForm | None, for_pdf: bool = False
) -> tuple[str, str]:
    match = common.one(Match, match_id)
    meeting = first_meeting.first_meeting(match)
    default = match.newcomer.correspondence_language  # the language of her letters
    language = _language(default)
    if form is None:
        form = MeetingForm(formdata=None)
        if meeting is not None:
            start = first_meeting.local_start(meeting)
            form.on.data, form.at.data = start.date(), start.time().replace(tzinfo=None)
            form.duration.data, form.place.data = meeting.duration_minutes, meeting.place
    values = _introduction_values(match, meeting)
    shares_contact = bool(values["volunteer_contact"])
    if not shares_contact:
        values.pop("volunteer_contact")
    audit.about("newcomer.document_printed", match.newcomer, common.actor())
    html = _render_document(
        "introduction_letter",
        language,
        values,
        pdf=for_pdf,
        pdf_link=url_for("coordinator.introduction_pdf", match_id=match.id, language=language),
        match=match,
        meeting=meeting,
        meeting_form=form,
        shares_contact=shares_contact,
        default_language=default,
        back=url_for("coordinator.patenschaft", match_id=match.id),
        here=url_for("coordinator.introduction", match_id=match.id),
        hidden={},
        others=[],
    )
    return html, language


@bp.post("/patenschaften/<int:match_id>/introduction")
def arrange_meeting(match_id: int) -> ResponseReturnValue:
    """Set or move the first meeting the letter and the calendar file announce."""
    match = common.one(Match, match_id)
    common.back_to("coordinator.introduction", match_id=match.id)
    form = MeetingForm()
    if not form.validate_on_submit():
        return make_response(introduction(match.id, form=form), 400)
    assert form.on.data and form.at.data and form.duration.data is not None  # validated
    first_meeting.arrange(
        match, form.on.data, form.at.data, form.place.data or "", common.actor(),
        duration_minutes=form.duration.data, today=today(),
    )  # fmt: skip
    return common.done(
        _("First meeting saved."),
        "coordinator.introduction",
        match_id=match.id,
        language=request.args.get("language", "")[:8] or None,
    )


@bp.get("/patenschaften/<int:match_id>/introduction.ics")
def introduction_calendar(match_id: int) -> Response:
    """The first meeting as a calendar file (iCalendar) for the volunteer."""
    match = common.one(Match, match_id)
    meeting = first_meeting.first_meeting(match)
    if meeting is None:
        abort(404, _("No first meeting has been arranged yet."))
    summary = _("First meeting of the Patenschaft with %(name)s", name=match.newcomer.first_name)
    body = first_meeting.calendar_file(meeting, match, acting.agency(), summary)
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="first-meeting-{match.id}.ics"'
    return response


# --------------------------------------------------------------------------- agency texts


@bp.get("/documents")
def document_coverage() -> str:
    """Every document × language: shipped or own version, draft, reviewed, outdated."""
    states = document_texts.coverage(acting.agency())
    table = {(s.kind, s.language): s for s in states}
    return render_template(
        "coordinator/documents/coverage.html",
        kinds=documents.KINDS,
        languages=locales.DOCUMENT_LANGUAGES,
        table=table,
        endonyms=locales.ENDONYMS,
        directions={code: locales.direction(code) for code in locales.DOCUMENT_LANGUAGES},
    )


@bp.get("/documents/text")
def document_text(form: TextForm | None = None) -> str:
    """One document in one language: the current text to edit, its versions, its review."""
    kind, language = _kind(), _language("")
    agency = acting.agency()
    current = document_texts.current_version(agency, kind, language)
    if form is None:
        form = TextForm(formdata=None, body=current.body, based_on=str(current.version))
    return render_template(
        "coordinator/documents/text.html",
        kind=kind,
        language=language,
        current=current,
        german=document_texts.current_version(agency, kind, "de"),
        history=document_texts.history(agency, kind, language),
        form=form,
        review_form=ReviewForm(formdata=None, based_on=str(current.version)),
        placeholders=documents.PLACEHOLDERS[kind],
        sections=documents.SECTIONS[kind],
        text_dir=locales.direction(language),
    )


def _based_on(value: str | None) -> int:
    if not value or not value.isdigit() or len(value) > 9:
        raise Invalid("bad_details")
    return int(value)


@bp.post("/documents/text")
def save_document_text() -> ResponseReturnValue:
    """Save the edited text as the next version (the old ones stay readable)."""
    kind, language = _kind(), _language("")
    common.back_to("coordinator.document_text")
    form = TextForm()
    if not form.validate_on_submit():
        return make_response(document_text(form=form), 400)
    row = document_texts.save_text(
        acting.agency(), kind, language, form.body.data or "", common.actor(),
        based_on=_based_on(form.based_on.data), reviewed=bool(form.reviewed.data),
    )  # fmt: skip
    return common.done(
        _("Saved as version %(version)d.", version=row.version),
        "coordinator.document_text", kind=kind, language=language,
    )  # fmt: skip


@bp.post("/documents/text/review")
def review_document_text() -> ResponseReturnValue:
    """Confirm that someone at the agency reviewed the current translation."""
    kind, language = _kind(), _language("")
    common.back_to("coordinator.document_text")
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    row = document_texts.confirm_review(
        acting.agency(), kind, language, common.actor(), based_on=_based_on(form.based_on.data)
    )
    return common.done(
        _("Review recorded as version %(version)d.", version=row.version),
        "coordinator.document_text", kind=kind, language=language,
    )  # fmt: skip


@bp.get("/documents/text/version")
def document_version() -> str:
    """One saved version as it was (version 0: the shipped text)."""
    kind, language = _kind(), _language("")
    number = request.args.get("version", "")
    if not number.isdigit() or len(number) > 9:
        raise Invalid("document_version_unknown", version=number[:12])
    text = document_texts.version(acting.agency(), kind, language, int(number))
    return render_template(
        "coordinator/documents/version.html",
        kind=kind,
        language=language,
        text=text,
        text_dir=locales.direction(language),
    )
