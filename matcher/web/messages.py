"""The one message table: a service's error code and parameters → a sentence for the user.

Services raise `matcher.domain.errors.ServiceError(code, **params)`; `matcher.web.errors`
answers with `text(error)` and a status by the error's kind. Nothing else turns an error
into words, and nothing parses an exception's text.
"""

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _gettext
from flask_babel import ngettext as _ngettext

from matcher import labels
from matcher.domain import documents, locales
from matcher.domain.errors import ServiceError
from matcher.domain.vocab import CONSENT_PURPOSES

Render = Callable[[Mapping[str, Any]], str]


def gettext(text: str, **params: Any) -> str:
    """Translate (flask_babel's gettext, typed)."""
    return str(_gettext(text, **params))


def ngettext(singular: str, plural: str, num: int, **params: Any) -> str:
    """Translate with a plural (flask_babel's ngettext, typed)."""
    return str(_ngettext(singular, plural, num, **params))


def _status(params: Mapping[str, Any]) -> str:
    entity, status = str(params.get("entity", "")), str(params.get("status", ""))
    table: Mapping[str, Any] = {
        "match": labels.MATCH_STATUS_LABELS,
        "volunteer": labels.VOLUNTEER_STATUS_LABELS,
        "newcomer": labels.NEWCOMER_STATUS_LABELS,
    }.get(entity, {})
    return str(table.get(status, status))


def _wrong_status(params: Mapping[str, Any]) -> str:
    status = _status(params)
    if params.get("entity") == "volunteer":
        return gettext("This is not possible: the volunteer is now “%(status)s”.", status=status)
    if params.get("entity") == "newcomer":
        return gettext("This is not possible: the newcomer is now “%(status)s”.", status=status)
    return gettext("This is not possible: the Patenschaft is now “%(status)s”.", status=status)


def _capacity(params: Mapping[str, Any]) -> str:
    places = int(params.get("capacity") or 0)
    return ngettext(
        "The volunteer has no free place any more (%(num)d place, taken).",
        "The volunteer has no free place any more (all %(num)d places are taken).",
        places,
    )


def _infeasible(params: Mapping[str, Any]) -> str:
    from matcher.web.coordinator.reasons import unmatched_text

    return gettext(
        "The pair no longer meets the requirements: %(why)s",
        why=unmatched_text(params.get("unmatched") or {}),
    )


def _table() -> dict[str, Render]:
    changed = gettext(
        "Someone else has changed this meanwhile. Please reload the page and try again."
    )
    return {
        # Status changes (matcher.domain.transitions)
        "stale": lambda p: changed,
        "changed_meanwhile": lambda p: changed,
        "wrong_status": _wrong_status,
        "unknown_change": lambda p: gettext("This change does not exist."),
        "end_match_first": lambda p: gettext("Please end the Patenschaft first."),
        "bad_reason": lambda p: gettext("Please choose a reason."),
        # Who can be matched (matcher.domain.eligibility)
        "volunteer_not_active": lambda p: gettext("The volunteer is not active any more."),
        "volunteer_not_confirmed": lambda p: gettext(
            "The volunteer has not confirmed their email address yet."
        ),
        "volunteer_no_consent": lambda p: gettext(
            "The volunteer has not consented to the matching (or has withdrawn the consent)."
        ),
        "volunteer_onboarding_missing": lambda p: gettext(
            "The volunteer has not done every onboarding step required before matching yet: "
            "%(steps)s.",
            steps=", ".join(str(step) for step in p.get("steps") or ()),
        ),
        # Households and onboarding (services.people.households, .onboarding)
        "household_children_need_size": lambda p: gettext(
            "With children in the household, it counts at least two people."
        ),
        "onboarding_step_name": lambda p: gettext(
            "Please give the step a name of at most %(max)d characters.", max=p.get("max", 0)
        ),
        "onboarding_step_exists": lambda p: gettext(
            "The checklist already has a step “%(name)s”.", name=p.get("name", "")
        ),
        "onboarding_too_many_steps": lambda p: gettext(
            "The checklist has the most steps it can have (%(max)d).", max=p.get("max", 0)
        ),
        "form_field": lambda p: gettext(
            "%(field)s: %(problem)s", field=p.get("field", ""), problem=p.get("problem", "")
        ),
        "onboarding_step_archived": lambda p: gettext("This step is archived."),
        "onboarding_note_too_long": lambda p: gettext(
            "The note is longer than %(max)d characters.", max=p.get("max", 0)
        ),
        "newcomer_not_waiting": lambda p: gettext(
            "The newcomer is no longer waiting for a volunteer."
        ),
        "newcomer_no_consent": lambda p: gettext("The newcomer has no consent to matching."),
        "capacity": _capacity,
        "taken_meanwhile": lambda p: gettext(
            "Someone else approved a conflicting proposal meanwhile. Please reload the page."
        ),
        "infeasible": _infeasible,
        "not_a_proposal": lambda p: gettext("Only open proposals can be approved together."),
        # Check-ins
        "checkin_done": lambda p: gettext("This check-in has been recorded already."),
        "bad_light": lambda p: gettext("Please choose how it is going."),
        "checkin_in_future": lambda p: gettext("The conversation cannot be in the future."),
        # Certificates of good conduct
        "certificate_in_future": lambda p: gettext("The inspection date cannot be in the future."),
        "certificate_issued_after_inspection": lambda p: gettext(
            "The certificate cannot be issued after it was inspected."
        ),
        "certificate_too_old": lambda p: gettext(
            "This certificate is more than five years old; please ask for a new one."
        ),
        "certificate_unknown_result": lambda p: gettext("Please choose the result."),
        # People
        "erased": lambda p: gettext("This person's data has been erased."),
        "bad_details": lambda p: gettext("Please check the marked fields."),
        # Data quality (matcher.services.people.profiles, duplicates)
        "volunteer_email_taken": lambda p: gettext(
            "Another volunteer of this agency has this email address. If it is the same "
            "person, merge the two records instead."
        ),
        "merge_same": lambda p: gettext("A record cannot be merged with itself."),
        "merge_open_matches": lambda p: gettext(
            "Both newcomers have an open proposal or Patenschaft, and a newcomer can have only "
            "one. Please end or reject one of them first, then merge."
        ),
        "merge_capacity": lambda p: gettext(
            "Together the two volunteers have more than three open proposals or Patenschaften. "
            "Please end or reject some first, then merge."
        ),
        "merge_conflict": lambda p: gettext(
            "The two records cannot be merged: some of their entries would clash. Nothing "
            "was changed."
        ),
        # Reaching a newcomer (matcher.domain.contact)
        "bad_phone": lambda p: gettext(
            "Please enter a phone number, e.g. 0221 123456 or +963 11 223 4567 "
            "(with the country code if it is not a German number)."
        ),
        "channel_needs_phone": lambda p: gettext(
            "“%(channel)s” needs a phone number: please enter it, or choose another way.",
            channel=labels.CONTACT_CHANNEL_LABELS.get(str(p.get("channel")), ""),
        ),
        "channel_needs_social_worker": lambda p: gettext(
            "Please say how to reach the social worker (name, organisation, phone)."
        ),
        "interpreter_without_language": lambda p: gettext(
            "Please choose the language the interpreter is needed for."
        ),
        "message_unknown": lambda p: gettext("Please choose a message."),
        "message_needs_patenschaft": lambda p: gettext(
            "This message names the volunteer: it needs an approved Patenschaft."
        ),
        "no_consent_in_force": lambda p: gettext("There is no consent in force to withdraw."),
        "consent_in_force": lambda p: gettext(
            "There is a consent in force for this purpose already (perhaps someone recorded it "
            "meanwhile)."
        ),
        # Matching runs
        "run_failed": lambda p: gettext(
            "The matching could not run: %(error)s", error=p.get("error", "")
        ),
        # Agencies, users and accounts
        "slug_invalid": lambda p: gettext("Only lower-case letters, digits and dashes."),
        "slug_reserved": lambda p: gettext("This short name is reserved."),
        "slug_taken": lambda p: gettext("An agency with this short name exists already."),
        "weights_invalid": lambda p: gettext("Every weight is needed and none may be negative."),
        "weights_all_zero": lambda p: gettext("At least one weight must be above zero."),
        "cannot_deactivate_self": lambda p: gettext("You cannot deactivate yourself."),
        "email_taken": lambda p: gettext("A user with this email address exists already."),
        "coordinator_needs_agency": lambda p: gettext("Coordinators need an agency."),
        "password_too_short": lambda p: gettext(
            "The new password must have at least %(num)d characters.", num=p.get("minimum", 0)
        ),
        "password_too_common": lambda p: gettext(
            "This password is too easy to guess (a common word, a pattern or your own name). "
            "Please choose a longer one, e.g. four words that do not belong together."
        ),
        "current_password_wrong": lambda p: gettext("The current password is wrong."),
        "two_factor_code_wrong": lambda p: gettext(
            "This code is wrong. Please check the time on your phone and enter the code the "
            "app shows now."
        ),
        "two_factor_enrolled_already": lambda p: gettext(
            "Two-factor sign-in is on for this account already."
        ),
        "not_found": lambda p: gettext("This page does not exist (any more)."),
        "session_not_found": lambda p: gettext(
            "This session has ended already (or belongs to someone else)."
        ),
        # Documents for newcomers (matcher.services.platform.document_texts, first_meeting)
        "pdf_unavailable": lambda p: gettext(
            "PDF files cannot be made on this server (its Pango library is missing). Use the "
            "print view and your browser's \u201cSave as PDF\u201d."
        ),
        "document_kind_unknown": lambda p: gettext(
            "There is no document of this kind. Known: %(kinds)s.",
            kinds=", ".join(documents.KINDS),
        ),
        "document_language_unknown": lambda p: gettext(
            "Documents are not written in this language. Languages: %(codes)s.",
            codes=", ".join(locales.DOCUMENT_LANGUAGES),
        ),
        "consent_purpose_unknown": lambda p: gettext(
            "There is no such purpose of consent. Purposes: %(purposes)s.",
            purposes=", ".join(CONSENT_PURPOSES),
        ),
        "document_text_too_long": lambda p: gettext(
            "The text may have at most %(num)d characters.", num=p.get("limit", 0)
        ),
        "document_text_empty": lambda p: gettext("The text is empty."),
        "document_text_unchanged": lambda p: gettext(
            "The text is unchanged: nothing to save as a new version."
        ),
        "document_section_unknown": lambda p: gettext(
            "This document has no section [%(name)s].", name=p.get("name", "")
        ),
        "document_placeholder_unknown": lambda p: gettext(
            "This document has no placeholder %(name)s. Write a brace as {{ or }}.",
            name="{" + str(p.get("name", "")) + "}",
        ),
        "document_placeholder_outside": lambda p: gettext(
            "The placeholder %(name)s may only stand in the section [%(section)s].",
            name="{" + str(p.get("name", "")) + "}",
            section=p.get("section", ""),
        ),
        "document_changed_meanwhile": lambda p: gettext(
            "Someone saved this text meanwhile. Please look at the new version and try again."
        ),
        "document_review_german": lambda p: gettext(
            "The German text is the original: only translations are reviewed."
        ),
        "document_version_unknown": lambda p: gettext("There is no such version of this text."),
        "meeting_place_missing": lambda p: gettext("Please enter the place of the meeting."),
        "meeting_place_too_long": lambda p: gettext(
            "The place may have at most %(num)d characters.", num=p.get("limit", 0)
        ),
        "meeting_in_past": lambda p: gettext("The first meeting cannot be in the past."),
        "meeting_duration_invalid": lambda p: gettext(
            "A meeting lasts between 15 minutes and 8 hours."
        ),
        # Lists: imports, exports, figures (matcher.services.lists)
        "file_unsupported_type": lambda p: gettext("Please upload a CSV or an XLSX file."),
        "file_empty": lambda p: gettext("The file has no rows."),
        "file_too_many_rows": lambda p: gettext("The file has too many rows (at most 20,000)."),
        "file_too_many_columns": lambda p: gettext("The file has too many columns (at most 100)."),
        "file_not_text": lambda p: gettext("This is not a CSV text file."),
        "file_too_large_unpacked": lambda p: gettext(
            "Unpacked, this workbook is far larger than any list (it may be a “zip bomb”). "
            "Please save the list again as an Excel workbook (XLSX) or as CSV."
        ),
        "file_bad_csv": lambda p: gettext("The CSV file cannot be read."),
        "file_bad_xlsx": lambda p: gettext(
            "The file could not be read. Please save it again as an Excel workbook (XLSX) or as "
            "CSV."
        ),
        "import_unknown_list": lambda p: gettext("Unknown list."),
        "import_upload_expired": lambda p: gettext(
            "This upload is unknown or has expired; please upload again."
        ),
        "import_mapping_mismatch": lambda p: gettext("The column mapping does not fit the file."),
        "import_rows_taken": lambda p: gettext("Some rows were imported meanwhile; check again."),
        "export_unknown_list": lambda p: gettext("This list cannot be exported."),
        "export_unknown_format": lambda p: gettext("Please choose XLSX or CSV."),
        "export_wrong_status": lambda p: gettext("This status does not apply to this list."),
        "export_bad_delimiter": lambda p: gettext(
            "The CSV delimiter must be a semicolon or a comma."
        ),
        "period_reversed": lambda p: gettext("The end is before the start."),
        # Control over the matching: pinned and forbidden pairs, must-rules (issue 13)
        "pair_forbidden": lambda p: gettext(
            "This pair is marked as never to be proposed. Lift that rule first."
        ),
        "pair_pinned": lambda p: gettext("This pair is pinned. Lift the pin first."),
        "pinned_elsewhere": lambda p: gettext(
            "This newcomer is pinned to %(name)s already. Lift that pin first.",
            name=p.get("name", ""),
        ),
        "newcomer_matched": lambda p: gettext(
            "This newcomer has an approved or running Patenschaft with %(name)s already.",
            name=p.get("name", ""),
        ),
        "pair_matched": lambda p: gettext(
            "This pair has an approved or running Patenschaft: end it instead."
        ),
        "pair_ruled_out": lambda p: gettext(
            "This pair was rejected or its Patenschaft ended before: it cannot be pinned."
        ),
        "pin_needs_certificate": lambda p: gettext(
            "The newcomer needs a volunteer with a valid certificate of good conduct; this "
            "volunteer has none."
        ),
        "pair_rule_reason_missing": lambda p: gettext(
            "Please give a reason why this pair must never be proposed."
        ),
        "pair_rule_reason_too_long": lambda p: gettext(
            "The reason may have at most %(num)d characters.", num=p.get("limit", 0)
        ),
        "must_rule_invalid": lambda p: gettext(
            "This matching rule has a value out of range: %(rule)s.", rule=p.get("rule", "")
        ),
        "interest_too_long": lambda p: gettext(
            "An interest may have at most %(num)d characters.", num=p.get("limit", 0)
        ),
        "too_many_interests": lambda p: gettext(
            "At most %(num)d interests.", num=p.get("limit", 0)
        ),
        # Notes and the contact log (matcher.services.people.notes)
        "note_unknown_kind": lambda p: gettext("Please choose: a contact or a note."),
        "note_text_empty": lambda p: gettext("Please write what the entry is about."),
        "note_text_too_long": lambda p: gettext(
            "The text may have at most %(num)d characters.", num=p.get("limit", 0)
        ),
        "note_unknown_channel": lambda p: gettext("Please choose how the contact took place."),
        "note_unknown_party": lambda p: gettext("Please choose with whom the contact was."),
        "note_in_future": lambda p: gettext(
            "A contact is recorded after it took place: the date cannot be after today."
        ),
        "note_unknown_staff": lambda p: gettext("Please choose a staff member of this agency."),
        "note_saved_already": lambda p: gettext(
            "This entry has been saved already (the form was sent twice). It is on the "
            "timeline once."
        ),
        "note_changed_meanwhile": lambda p: gettext(
            "This entry was changed meanwhile (by someone else, or by sending the form twice). "
            "Your text was not saved: it is still in the form below. Please compare it with "
            "the current version and save again."
        ),
        "note_deleted": lambda p: gettext("This entry has been deleted."),
    }


def text(error: ServiceError) -> str:
    """The sentence for an error, in the user's language."""
    render = _table().get(error.code)
    if render is None:
        return gettext("This is not possible right now.")
    return str(render(error.params))


def known_codes() -> frozenset[str]:
    """Every code the table has words for (a test checks services raise no other)."""
    return frozenset(_table())


# Matching runs: why a run failed (`MatchRun.failure`), with its technical detail.


def run_failure_text(failure: str, detail: str) -> str:
    """Why a matching run failed, in the user's language; unknown codes read as an error."""
    render = _run_failure_table().get(failure) or _run_failure_table()["error"]
    return str(render({"detail": detail}))


def _run_failure_table() -> dict[str, Render]:
    return {
        "invalid_problem": lambda p: gettext(
            "The matching could not run: %(error)s", error=p.get("detail", "")
        ),
        "error": lambda p: gettext(
            "An unexpected error stopped the matching. No proposals were changed. Please "
            "start it again; if it fails again, tell your administrator."
        ),
        "worker_lost": lambda p: gettext(
            "The background worker doing the matching stopped before it was done (it was "
            "ended or restarted). No proposals were changed. Please start the matching again."
        ),
        "not_picked_up": lambda p: gettext(
            "The matching was lost before a background worker could take it. No proposals "
            "were changed. Please start the matching again."
        ),
        "queue_unavailable": lambda p: gettext(
            "The matching could not be handed to a background worker: the job queue cannot "
            "be reached. Please try again later, or tell your administrator."
        ),
        "changed_meanwhile": lambda p: gettext(
            "Someone approved a proposal while the matching was saving its results, so none "
            "were saved. Please start the matching again."
        ),
        "interrupted": lambda p: gettext(
            "The background worker was stopped before the matching was done. No proposals "
            "were changed. Please start the matching again."
        ),
    }


# Import jobs: why a dry run or import of a large list failed (`ImportJob.failure`).


def import_failure_text(failure: str, detail: str) -> str:
    """Why an import job failed, in the user's language; unknown codes read as an error."""
    render = _import_failure_table().get(failure) or _import_failure_table()["error"]
    return str(render({"detail": detail}))


def import_failure_codes() -> frozenset[str]:
    """Every failure of an import job the table has words for."""
    return frozenset(_import_failure_table())


def _import_failure_table() -> dict[str, Render]:
    return {
        "error": lambda p: gettext(
            "An unexpected error stopped the import. Nothing was imported. Please try again; "
            "if it fails again, tell your administrator."
        ),
        "worker_lost": lambda p: gettext(
            "The background worker doing the import stopped before it was done (it was ended "
            "or restarted). Nothing was imported. Please start it again."
        ),
        "not_picked_up": lambda p: gettext(
            "The import was lost before a background worker could take it. Nothing was "
            "imported. Please start it again."
        ),
        "queue_unavailable": lambda p: gettext(
            "The import could not be handed to a background worker: the job queue cannot be "
            "reached. Nothing was imported. Please try again later, or tell your administrator."
        ),
        "interrupted": lambda p: gettext(
            "The background worker was stopped before the import was done. Nothing was "
            "imported. Please start it again."
        ),
        "rows_taken": lambda p: gettext(
            "Some of these people were imported by someone else meanwhile, so nothing was "
            "imported. Please check the file again."
        ),
        "upload_gone": lambda p: gettext(
            "The uploaded file was no longer there when the import began. Nothing was "
            "imported. Please upload it again."
        ),
    }


# Lists: imports, exports, figures — the problems of one row of an imported list.


def _cell_table() -> dict[str, Render]:
    return {
        # A cell the import cannot read (matcher.services.lists.import_fields)
        "control_characters": lambda p: gettext("contains control characters"),
        "hidden_characters": lambda p: gettext(
            "contains invisible or direction-changing characters (e.g. U+202E)"
        ),
        "email_local_part_too_long": lambda p: gettext("more than 64 characters before the @"),
        "email_mixed_alphabets": lambda p: gettext(
            "mixes letters of different alphabets (e.g. Latin and Cyrillic)"
        ),
        "too_long": lambda p: gettext("longer than %(n)d characters", n=p.get("n", 0)),
        "bad_email": lambda p: gettext("not a valid email address"),
        "bad_phone": lambda p: gettext("not a phone number (German, or with a country code)"),
        "unknown_contact_channel": lambda p: gettext(
            "unknown way of contact (Telefon, SMS, WhatsApp, Sozialarbeit: …, persönlich)"
        ),
        "channel_needs_phone": lambda p: gettext("needs a phone number in the phone column"),
        "channel_needs_social_worker": lambda p: gettext(
            "needs the social worker's contact, e.g. “Sozialarbeit: Frau Yilmaz, 0221 123456”"
        ),
        "interpreter_without_language": lambda p: gettext(
            "name the language, e.g. “Tigrinya” (or “nein”)"
        ),
        "bad_postcode": lambda p: gettext("not a German postcode (5 digits)"),
        "unknown_postcode": lambda p: gettext("unknown postcode"),
        "unknown_age_band": lambda p: gettext("unknown age band"),
        "unknown_gender": lambda p: gettext("unknown gender (use w, m or d)"),
        "unknown_language": lambda p: gettext(
            "unknown language “%(name)s”", name=p.get("name", "")
        ),
        "unknown_level": lambda p: gettext("unknown level “%(level)s”", level=p.get("level", "")),
        "no_language": lambda p: gettext("at least one language is needed"),
        "unknown_slot": lambda p: gettext("unknown time slot “%(slot)s”", slot=p.get("slot", "")),
        "unknown_topic": lambda p: gettext("unknown topic “%(topic)s”", topic=p.get("topic", "")),
        "bad_capacity": lambda p: gettext("must be a number from 1 to 3"),
        "bad_household_size": lambda p: gettext(
            "must be a number of people from 1 to %(max)d", max=p.get("max", 0)
        ),
        "bad_max_household": lambda p: gettext(
            "must be a number of people from 2 to %(max)d, or empty for any size",
            max=p.get("max", 0),
        ),
        "unknown_child_age_band": lambda p: gettext(
            "unknown age band “%(band)s” (use 0-2, 3-5, 6-11, 12-17)", band=p.get("band", "")
        ),
        "unknown_household_need": lambda p: gettext(
            "unknown need “%(need)s” (use Kinderbetreuung, Schule, Barrierefreiheit)",
            need=p.get("need", ""),
        ),
        "children_need_household": lambda p: gettext(
            "with children in the household, it counts at least two people"
        ),
        "family_details_without_welcome": lambda p: gettext(
            "a household size or children's ages need “ja” here"
        ),
        "unknown_status": lambda p: gettext("unknown status"),
        "bad_flag": lambda p: gettext("use ja or nein"),
        "one_language": lambda p: gettext("give one language"),
        "date_out_of_range": lambda p: gettext("date out of range"),
        "bad_date": lambda p: gettext("not a date (use 31.12.2025)"),
        # A row as a whole (matcher.services.lists.imports)
        "column_not_assigned": lambda p: gettext("required column not assigned"),
        "empty": lambda p: gettext("empty"),
        "same_person": lambda p: gettext("the same person as in row %(row)d", row=p.get("row", 0)),
        "consent_without_date": lambda p: gettext(
            "consent on paper, but not when: give the day it was given (or “nein”)"
        ),
        "consent_without_language": lambda p: gettext(
            "consent on paper, but not in which language the notice was explained (or “nein”)"
        ),
    }


def cell_text(code: str, params: Mapping[str, Any]) -> str:
    """The words for a problem in one row of an imported list, in the user's language."""
    render = _cell_table().get(code)
    if render is None:
        return gettext("This value cannot be used.")
    return str(render(params))


def cell_codes() -> frozenset[str]:
    """Every row problem the table has words for (a test checks the import uses no other)."""
    return frozenset(_cell_table())
