"""Data quality: a coordinator edits a volunteer's details (with history), likely
duplicates are flagged, and two records of one person are merged after a preview.

The person pages show the history and the flags through one partial
(`coordinator/_profile_history.html`), which asks `profile_history_of` and
`duplicates_of` below.
"""

from datetime import datetime
from typing import Any

from flask import abort, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matcher import labels
from matcher.domain import phones
from matcher.domain.errors import Conflict, Invalid
from matcher.domain.vocab import mask_to_slots
from matcher.models import Newcomer, ProfileChange, Volunteer
from matcher.services.people import duplicates, merging, profile_history, profiles
from matcher.services.platform import vocabulary
from matcher.web import common, messages
from matcher.web.coordinator import bp
from matcher.web.coordinator.quality_forms import (
    MergeForm,
    NotDuplicateForm,
    VolunteerEditForm,
)
from matcher.web.coordinator.reasons import slot_text

FIELD_LABELS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "postcode": _l("Postcode"),
    "gender": _l("Gender"),
    "languages": _l("Languages"),
    "slots": _l("Times"),
    "capacity": _l("Places"),
    "topics": _l("Topics"),
    "contact_note": _l("Contact"),
    "contact_channel": _l("Best way to reach them"),
    "social_worker_contact": _l("Social worker"),
    "interpreter_needed": _l("Interpreter needed"),
    "interpreter_language": _l("Interpreter for"),
    "correspondence_language": _l("Letters and messages in"),
    "age_band": _l("Age"),
    "minors": _l("Children in the household"),
    "mentor_gender": _l("Mentor's gender"),
    "merged_from": _l("Merged with another record"),
    "merged_into": _l("Merged into another record"),
}
SOURCE_LABELS = {
    "coordinator": _l("coordinator"),
    "self": _l("the volunteer themselves"),
    "merge": _l("merge"),
}
#: What moves on a merge, by table (a table added later is named by its own name).
TABLE_LABELS = {
    "matches": _l("Proposals and Patenschaften"),
    "consent_records": _l("Consents"),
    "profile_changes": _l("Entries in the history of the details"),
    "audit_events": _l("Entries in the audit log"),
}
REASON_LABELS = {
    "email": _l("same email address"),
    "phone": _l("same phone number"),
    "name_postcode": _l("same name and postcode"),
}


def describe(field: str, value: str) -> str:
    """A recorded value as the page shows it."""
    if not value:
        return "—"
    items = [v for v in value.split(", ") if v]
    if field == "languages":
        return ", ".join(
            f"{vocabulary.language_name(code)} ({labels.LEVEL_LABELS.get(level, level)})"
            for code, _sep, level in (item.partition(":") for item in items)
        )
    if field == "slots":
        return ", ".join(slot_text(s) for s in items)
    if field == "topics":
        return ", ".join(str(labels.TOPIC_LABELS.get(t, t)) for t in items)
    if field in ("gender", "mentor_gender"):
        return str(labels.GENDER_LABELS.get(value, value))
    if field == "age_band":
        return str(labels.AGE_BAND_LABELS.get(value, value))
    if field == "contact_channel":
        return str(labels.CONTACT_CHANNEL_LABELS.get(value, value))
    if field in ("interpreter_language", "correspondence_language"):
        return vocabulary.language_name(value)
    if field in ("minors", "interpreter_needed"):
        return str(_("yes") if value == "yes" else _("no"))
    if field == "phone":
        return phones.display(value)
    return value


@bp.context_processor
def _quality_helpers() -> dict[str, Any]:
    return {
        "profile_history_of": profile_history.history,
        "duplicates_of": duplicates.of,
        "other_in": duplicates.other_in,
        "describe_change": describe,
        "change_labels": FIELD_LABELS,
        "change_sources": SOURCE_LABELS,
        "duplicate_reasons": REASON_LABELS,
    }


# --------------------------------------------------------------------------- edit


def _fill(form: VolunteerEditForm, v: Volunteer) -> None:
    form.first_name.data = v.first_name
    form.last_name.data = v.last_name
    form.email.data = v.email
    form.phone.data = phones.display(v.phone) if v.phone else ""
    form.postcode.data = v.postcode
    form.gender.data = v.gender or ""
    form.languages.fill({lang.code: lang.level for lang in v.languages})
    form.slots.data = mask_to_slots(v.slots)
    form.topics.data = list(v.topics)
    form.capacity.data = str(max(v.capacity, 1))
    form.loaded_at.data = v.updated_at.isoformat()
    form.loaded.data = profiles.fingerprint(v)


def _edit_page(
    form: VolunteerEditForm,
    v: Volunteer,
    status: int = 200,
    meanwhile: list[ProfileChange] | None = None,
) -> ResponseReturnValue:
    return (
        render_template(
            "coordinator/volunteer_form.html", form=form, v=v, meanwhile=meanwhile or []
        ),
        status,
    )


def _loaded_at(form: VolunteerEditForm) -> datetime | None:
    try:
        loaded_at = datetime.fromisoformat(form.loaded_at.data) if form.loaded_at.data else None
    except ValueError:
        abort(400)
    if loaded_at is not None and loaded_at.tzinfo is None:
        abort(400)
    return loaded_at


@bp.route("/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
def volunteer_edit(volunteer_id: int) -> ResponseReturnValue:
    """Change a volunteer's details; every changed field goes into their history."""
    v = common.one(Volunteer, volunteer_id)
    if v.anonymised_at is not None:
        abort(404)
    if request.method == "GET":
        form = VolunteerEditForm(formdata=None)
        _fill(form, v)
        return _edit_page(form, v)
    form = VolunteerEditForm()
    if form.add_language.data:
        if len(form.languages.entries) < form.languages.max_entries:
            form.languages.append_entry()
        return _edit_page(form, v)
    if not form.validate_on_submit():
        return _edit_page(form, v, 400)
    loaded_at = _loaded_at(form)
    details = profiles.VolunteerDetails(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        email=form.email.data,
        postcode=form.postcode.data,
        languages=form.languages.as_dict(),
        slots=list(form.slots.data),
        capacity=int(form.capacity.data),
        topics=list(form.topics.data or []),
        phone=form.phone.data or "",
        gender=form.gender.data or None,
    )
    try:
        changed = profiles.update_volunteer(v, details, common.actor(), loaded_at, form.loaded.data)
    except Conflict as e:
        # Someone saved meanwhile: keep what was typed, show what they changed; saving
        # again (on purpose) writes over it.
        meanwhile = profile_history.since(v, loaded_at)
        form.loaded_at.data = v.updated_at.isoformat()
        form.loaded.data = profiles.fingerprint(v)
        form.phone.data = phones.display(form.phone.data) if form.phone.data else ""
        flash(messages.text(e), "error")
        return _edit_page(form, v, 409, meanwhile)
    except Invalid as e:
        if e.code == "volunteer_email_taken":
            form.email.errors = [messages.text(e)]
            return _edit_page(form, v, 400)
        raise
    if not changed:
        return common.done(_("Nothing was changed."), "coordinator.volunteer", volunteer_id=v.id)
    return common.done(_("Changes saved."), "coordinator.volunteer", volunteer_id=v.id)


# --------------------------------------------------------------------------- duplicates


@bp.route("/duplicates")
def duplicates_page() -> str:
    """The agency's likely duplicates, volunteers and newcomers."""
    return render_template(
        "coordinator/duplicates.html",
        found=duplicates.find_all(),
        dismiss=NotDuplicateForm(formdata=None),
    )


def _pair(
    model: type[Volunteer] | type[Newcomer], person_id: int, other_id: str | None
) -> tuple[Any, Any]:
    """The person of the path and the other one (both the agency's, neither erased)."""
    person = common.one(model, person_id)
    if other_id is None or not other_id.isdigit() or not 0 < int(other_id) < 10**18:
        abort(404)
    other = common.one(model, int(other_id))
    if person.anonymised_at is not None or other.anonymised_at is not None:
        abort(404)
    return person, other


def _posted_other(model: type[Volunteer] | type[Newcomer], person_id: int, form: Any) -> str:
    """The other record named by a POSTed form (the path's person is checked first)."""
    common.one(model, person_id)
    if not form.validate_on_submit():
        abort(400)
    return str(form.other.data)


def _merge_view(model: type[Volunteer] | type[Newcomer], person_id: int) -> ResponseReturnValue:
    kind = "volunteer" if model is Volunteer else "newcomer"
    endpoint = f"coordinator.{kind}"
    if request.method == "GET" and "with" not in request.args:
        person = common.one(model, person_id)
        if person.anonymised_at is not None:
            abort(404)
        return render_template(
            "coordinator/duplicates.html",
            found={kind: duplicates.of(person)},
            person=person,
            dismiss=NotDuplicateForm(formdata=None),
        )
    if request.method == "GET":
        kept, other = _pair(model, person_id, request.args.get("with"))
        form = MergeForm(formdata=None)
        form.other.data = str(other.id)
        plan = merging.plan(kept, other)
        return render_template(
            "coordinator/merge.html",
            plan=plan,
            blocked=messages.text(Conflict(plan.blocked)) if plan.blocked else None,
            form=form,
            kind=kind,
            describe=describe,
            table_labels=TABLE_LABELS,
        )
    form = MergeForm()
    kept, other = _pair(model, person_id, _posted_other(model, person_id, form))
    common.back_to(f"coordinator.{kind}_merge", **{f"{kind}_id": kept.id})
    merging.merge(kept, other, common.actor())
    return common.done(
        _("The two records are merged into this one."), endpoint, **{f"{kind}_id": kept.id}
    )


@bp.route("/volunteers/<int:volunteer_id>/merge", methods=["GET", "POST"])
def volunteer_merge(volunteer_id: int) -> ResponseReturnValue:
    """Likely duplicates of a volunteer; ?with=<id>: preview of the merge; POST: merge."""
    return _merge_view(Volunteer, volunteer_id)


@bp.route("/newcomers/<int:newcomer_id>/merge", methods=["GET", "POST"])
def newcomer_merge(newcomer_id: int) -> ResponseReturnValue:
    """Likely duplicates of a newcomer; ?with=<id>: preview of the merge; POST: merge."""
    return _merge_view(Newcomer, newcomer_id)


def _not_duplicate(model: type[Volunteer] | type[Newcomer], person_id: int) -> ResponseReturnValue:
    form = NotDuplicateForm()
    first, second = _pair(model, person_id, _posted_other(model, person_id, form))
    duplicates.dismiss(first, second, common.actor())
    return common.done(_("Marked as two different people."), "coordinator.duplicates_page")


@bp.route("/volunteers/<int:volunteer_id>/not-duplicate", methods=["POST"])
def volunteer_not_duplicate(volunteer_id: int) -> ResponseReturnValue:
    """Two volunteers are two people: stop flagging them."""
    return _not_duplicate(Volunteer, volunteer_id)


@bp.route("/newcomers/<int:newcomer_id>/not-duplicate", methods=["POST"])
def newcomer_not_duplicate(newcomer_id: int) -> ResponseReturnValue:
    """Two newcomers are two people: stop flagging them."""
    return _not_duplicate(Newcomer, newcomer_id)
