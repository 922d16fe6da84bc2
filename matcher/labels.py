"""Translatable labels for the domain's vocabularies: what a page, mail or file calls a code.

One table per vocabulary, used by the web pages, the mails and the export files alike.
"""

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from matcher.domain import vocab

VOLUNTEER_STATUS_LABELS = {
    "applied": _l("applied"),
    "active": _l("active"),
    "paused": _l("paused"),
    "inactive": _l("inactive"),
}
NEWCOMER_STATUS_LABELS = {
    "waiting": _l("waiting"),
    "matched": _l("matched"),
    "paused": _l("paused"),
    "closed": _l("closed"),
}
RUN_STATUS_LABELS = {
    "queued": _l("queued"),
    "building": _l("reading the data"),
    "solving": _l("calculating"),
    "storing": _l("saving"),
    "finished": _l("finished"),
    "failed": _l("failed"),
}
LEVEL_LABELS = {
    "basic": _l("basic"),
    "good": _l("good"),
    "fluent": _l("fluent"),
    "native": _l("native"),
}
AGE_BAND_LABELS = {
    "under_18": _l("under 18"),
    "18_25": _l("18–25"),
    "26_35": _l("26–35"),
    "36_50": _l("36–50"),
    "51_65": _l("51–65"),
    "over_65": _l("over 65"),
}
#: Children's ages in a household (matcher.domain.vocab.CHILD_AGE_BANDS).
CHILD_AGE_BAND_LABELS = {
    "0-2": _l("0–2 years"),
    "3-5": _l("3–5 years"),
    "6-11": _l("6–11 years"),
    "12-17": _l("12–17 years"),
}
#: What a family needs besides the Patenschaft (matcher.domain.vocab.HOUSEHOLD_NEEDS).
HOUSEHOLD_NEED_LABELS = {
    "childcare": _l("childcare"),
    "school": _l("school"),
    "accessibility": _l("accessibility"),
}
GENDER_LABELS = {"female": _l("female"), "male": _l("male"), "diverse": _l("diverse")}
TOPIC_LABELS = {
    "authorities": _l("visits to authorities"),
    "german": _l("practising German"),
    "homework": _l("homework"),
    "housing": _l("flat search"),
    "work": _l("job search"),
    "health_appointments": _l("doctor's appointments"),
    "leisure": _l("leisure"),
    "children": _l("children"),
}
DAY_LABELS = {
    "mon": _l("Mon"),
    "tue": _l("Tue"),
    "wed": _l("Wed"),
    "thu": _l("Thu"),
    "fri": _l("Fri"),
    "sat": _l("Sat"),
    "sun": _l("Sun"),
}
MATCH_STATUS_LABELS = {
    "proposed": _l("proposed"),
    "approved": _l("approved"),
    "active": _l("active"),
    "paused": _l("paused"),
    "ended": _l("ended"),
    "rejected": _l("rejected"),
}
END_REASON_LABELS = {
    "goal_reached": _l("goal reached"),
    "drifted_apart": _l("drifted apart"),
    "conflict": _l("conflict"),
    "no_time": _l("no time"),
    "illness": _l("illness"),
    "moved_away": _l("moved away"),
    "other": _l("other reason"),
}
PART_LABELS = {"morning": _l("morning"), "afternoon": _l("afternoon"), "evening": _l("evening")}
LIGHT_LABELS = {
    "green": _l("fine"),
    "yellow": _l("needs attention"),
    "red": _l("in trouble"),
}
COMPONENT_LABELS = {
    "language": _l("Language"),
    "distance": _l("Distance"),
    "availability": _l("Shared times"),
    "topics": _l("Topics"),
    "waiting": _l("Waiting time"),
}
ATTENTION_LABELS = {
    "volunteer_withdrew_consent": _l(
        "The volunteer has withdrawn their consent to matching. Please talk with both and "
        "decide whether the Patenschaft goes on or ends."
    ),
    "newcomer_withdrew_consent": _l(
        "The newcomer has withdrawn their consent to matching. Please talk with both and "
        "decide whether the Patenschaft goes on or ends."
    ),
    "volunteer_paused": _l(
        "The volunteer has paused in their profile while this Patenschaft runs. Please talk "
        "with both and decide whether it pauses, goes on or ends."
    ),
    "volunteer_left": _l(
        "The volunteer has deleted their data; this Patenschaft was ended. Please tell the "
        "newcomer and look for a new volunteer."
    ),
}
#: Short names of the attention flags, for the work queue on the dashboard.
ATTENTION_SHORT_LABELS = {
    "volunteer_withdrew_consent": _l("volunteer withdrew consent"),
    "newcomer_withdrew_consent": _l("newcomer withdrew consent"),
    "volunteer_paused": _l("volunteer paused"),
    "volunteer_left": _l("volunteer left"),
}
WAIT_BUCKET_LABELS = {
    "under_1": _l("under 1 month"),
    "1_3": _l("1–3 months"),
    "3_6": _l("3–6 months"),
    "6_12": _l("6–12 months"),
    "over_12": _l("over a year"),
}
UMBRELLA_LABELS = {
    "awo": "AWO",
    "caritas": "Caritas",
    "diakonie": "Diakonie",
    "paritaetischer": _l("Der Paritätische"),
    "drk": "DRK",
    "jewish": _l("Jewish community"),
    "other": _l("other"),
}
#: The buttons of the status changes (matcher.domain.transitions), per entity.
VOLUNTEER_CHANGE_LABELS = {
    "activate": _l("Activate (interview done)"),
    "pause": _l("Pause"),
    "deactivate": _l("Deactivate"),
}
NEWCOMER_CHANGE_LABELS = {
    "pause": _l("Pause"),
    "resume": _l("Resume"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
}
CONSENT_PURPOSE_LABELS = {
    "matching": _l("Matching"),
    "contact_sharing": _l("Passing on contact details"),
}
CONSENT_CHANNEL_LABELS = {
    "online": _l("online"),
    "paper": _l("on paper"),
    "in_person": _l("in person"),
    "interpreter": _l("through an interpreter"),
}
#: Who interpreted a privacy notice: a role, never a name.
INTERPRETER_ROLE_LABELS = {
    "professional": _l("professional interpreter"),
    "language_mediator": _l("community language mediator"),
    "social_worker": _l("social worker"),
    "family_or_friend": _l("family member or friend"),
    "other": _l("other"),
}

#: How a newcomer prefers to be reached (matcher.domain.vocab.CONTACT_CHANNELS).
CONTACT_CHANNEL_LABELS = {
    "phone": _l("phone call"),
    "sms": _l("SMS"),
    "whatsapp": _l("WhatsApp"),
    "social_worker": _l("through their social worker"),
    "in_person": _l("in person"),
}

#: The messages a coordinator copies for a newcomer (matcher.services.people.contact_messages).
MESSAGE_TEMPLATE_LABELS = {
    "first_call": _l("First call: the volunteer will call"),
    "first_meeting": _l("First meeting: date, time and place"),
    "appointment_reminder": _l("Appointment reminder"),
    "check_in": _l("How are you? (check-in)"),
}


#: The lists an agency imports and exports, as the pages and the files name them.
LIST_LABELS = {
    "matches": _l("Patenschaften"),
    "volunteers": _l("Volunteers"),
    "newcomers": _l("Newcomers"),
}
YES_NO_LABELS = {True: _l("yes"), False: _l("no")}
#: The fields of an imported list (matcher.services.lists.import_fields).
IMPORT_FIELD_LABELS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "postcode": _l("Postcode"),
    "age_band": _l("Age band"),
    "gender": _l("Gender"),
    "languages": _l("Languages"),
    "slots": _l("Availability"),
    "topics": _l("Topics"),
    "capacity": _l("Places"),
    "status": _l("Status"),
    "consent": _l("Consent on paper"),
    "consent_date": _l("Consent given on"),
    "consent_language": _l("Notice explained in"),
    "external_ref": _l("Reference number"),
    "contact_note": _l("Contact"),
    "minors": _l("Children in the household"),
    "mentor_gender": _l("Wanted gender of the volunteer"),
    "waiting_since": _l("Waiting since"),
    "contact_channel": _l("Preferred contact"),
    "interpreter": _l("Interpreter"),
    "household_size": _l("Household size"),
    "child_age_bands": _l("Children (age bands)"),
    "household_needs": _l("Family needs"),
    "families_welcome": _l("Families welcome"),
    "max_household": _l("Household up to (people)"),
}
#: The column headers of the export files (matcher.services.lists.exports).
EXPORT_COLUMN_LABELS = {
    "number": _l("No."),
    "status": _l("Status"),
    "volunteer": _l("Volunteer"),
    "volunteer_email": _l("Volunteer email"),
    "newcomer": _l("Newcomer"),
    "patenschaft": _l("Patenschaft"),
    "proposed_on": _l("Proposed on"),
    "approved_on": _l("Approved on"),
    "started_on": _l("Started on"),
    "trial_until": _l("Trial until"),
    "ended_on": _l("Ended on"),
    "end_reason": _l("End reason"),
    "proposed_in": _l("Proposed in"),
    "started_in": _l("Started in"),
    "ended_in": _l("Ended in"),
    "score": _l("Score"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "contact": _l("Contact"),
    "postcode": _l("Postcode"),
    "postcode_area": _l("Postcode area"),
    "age_band": _l("Age band"),
    "gender": _l("Gender"),
    "languages": _l("Languages"),
    "topics": _l("Topics"),
    "minors": _l("Children in the household"),
    "places": _l("Places"),
    "current_patenschaften": _l("Current Patenschaften"),
    "certificate_inspected_on": _l("Certificate inspected on"),
    "email_confirmed": _l("Email confirmed"),
    "registered_on": _l("Registered on"),
    "registered_in": _l("Registered in"),
    "waiting_since": _l("Waiting since"),
    "contact_channel": _l("Preferred contact"),
    "social_worker_contact": _l("Social worker"),
    "interpreter_language": _l("Interpreter for"),
    "correspondence_language": _l("Letters in"),
    "household_size": _l("Household size"),
    "child_age_bands": _l("Children (age bands)"),
    "household_needs": _l("Family needs"),
    "families_welcome": _l("Families welcome"),
    "max_household": _l("Household up to (people)"),
    "onboarding": _l("Onboarding steps done"),
}
#: The fixed words of the funder report's file (matcher.services.lists.figures).
REPORT_FILE_LABELS = {
    "title": _l("Funder report"),
    "figure": _l("Figure"),
    "count": _l("Count"),
    "agency": _l("Agency"),
    "period": _l("Period"),
}


def choices(labels: Mapping[str, Any], blank: Any = None) -> list[SelectChoice]:
    """SelectField choices from a label mapping, optionally after a blank "all/none" entry."""
    out = [SelectChoice("", blank)] if blank is not None else []
    return out + [SelectChoice(value, label) for value, label in labels.items()]


#: The newcomers' documents (matcher.domain.documents.KINDS).
DOCUMENT_KIND_LABELS = {
    "privacy_notice": _l("Privacy notice"),
    "consent_form": _l("Consent form"),
    "introduction_letter": _l("Introduction letter"),
    "patenschaft_sheet": _l("What is a Patenschaft?"),
}
#: Sections of a document's text (consent purposes, the letter's contact and closing).
DOCUMENT_SECTION_LABELS = {
    "matching": _l("consent to matching"),
    "contact_sharing": _l("consent to passing on contact details"),
    "signatures": _l("signature lines, one per list item"),
    "contact": _l("the volunteer's contact, printed only with the volunteer's consent"),
    "closing": _l("closing words"),
}


#: The figures of the demographics (matcher.services.lists.demographics.DIMENSIONS).
DEMOGRAPHIC_LABELS = {
    "age_band": _l("Age band"),
    "gender": _l("Gender"),
    "languages": _l("Languages"),
    "districts": _l("District (postcode area)"),
    "registered": _l("Registered"),
}
#: The groups of the "registered" figure, and people whose answer is not stated.
DEMOGRAPHIC_GROUP_LABELS = {
    "new": _l("new in the period"),
    "earlier": _l("before the period"),
    "": _l("not stated"),
}
#: The fixed words of the demographics sheet of the coordinator's funder report.
DEMOGRAPHIC_FILE_LABELS = {
    "title": _l("Demographics"),
    "figure": _l("Figure"),
    "group": _l("Group"),
    "volunteers": _l("Volunteers"),
    "newcomers": _l("Newcomers"),
    "total": _l("Total"),
    "from": _l("From"),
    "to": _l("To"),
    "not_recorded": _l("not recorded"),
    "hidden": _l(
        "An empty cell: fewer than 5 people, or hidden so that such a small number "
        "cannot be worked out from the total."
    ),
}

# -- issue 13: control over the matching (engine helper) ------------------------------------
TANDEM_GENDER_LABELS = {
    "same": _l("same gender (where both are known)"),
    "women_only": _l("women only"),
}
#: The engine's hard rules in the order it applies them (`matcher.engine.explain.ALL_STAGES`).
MATCHING_STAGE_LABELS = {
    "language": _l("… sharing a language"),
    "level": _l("… at the minimum language level"),
    "distance": _l("… within the distance (the agency's or the newcomer's own)"),
    "slots": _l("… with enough shared times"),
    "gender": _l("… of the wished gender"),
    "tandem": _l("… same-gender or women-only tandem"),
    "certificate": _l("… with a valid certificate where one is needed"),
    "household": _l("… welcoming the household's size"),
    "forbidden": _l("… not rejected, ended or forbidden before"),
    "score": _l("… reaching the minimum score"),
}
PAIR_RULE_LABELS = {"pin": _l("pinned"), "forbid": _l("never proposed")}
#: The kinds of "Heute zu tun" on the dashboard and in the weekly digest
#: (matcher/services/matching/workqueue.py).
WORK_QUEUE_LABELS = {
    "signups": _l("New sign-ups waiting for an interview"),
    "certificates": _l("Certificates of good conduct to renew"),
    "checkins": _l("Check-ins overdue or not going well"),
    "attention": _l("Patenschaften that need your decision"),
    "proposals": _l("Proposals waiting for a decision"),
    "no_volunteer": _l("Newcomers with no possible volunteer"),
}
#: What "none" looks like for each kind.
WORK_QUEUE_EMPTY = {
    "signups": _l("No sign-up is waiting."),
    "certificates": _l("No certificate runs out within eight weeks."),
    "checkins": _l("No check-in is overdue or yellow or red."),
    "attention": _l("Nothing to decide."),
    "proposals": _l("No proposal is waiting that long."),
    "no_volunteer": _l("Every waiting newcomer had a possible volunteer in the last run."),
}
#: Notes and the contact log (matcher.domain.notes): an entry's kind, channel, and with whom.
NOTE_KIND_LABELS = {
    "contact": _l("Contact"),
    "note": _l("Note"),
}
NOTE_CHANNEL_LABELS = {
    "phone": _l("phone call"),
    "sms": _l("SMS"),
    "whatsapp": _l("WhatsApp"),
    "email": _l("Email"),
    "in_person": _l("in person"),
    "video": _l("video call"),
    "letter": _l("letter"),
    "interpreter": _l("via an interpreter"),
    "social_worker": _l("through the social worker"),
    "other": _l("another way"),
}
NOTE_PARTY_LABELS = {
    "volunteer": _l("with the volunteer"),
    "newcomer": _l("with the newcomer"),
    "both": _l("with both"),
    "other": _l("with someone else (e.g. social worker, school)"),
}
#: How a staff sign-in attempt ended (the sign-in log, matcher.services.platform.staff_sessions).
SIGN_IN_OUTCOME_LABELS = {
    "success": _l("signed in"),
    "recovery_code": _l("signed in with a recovery code"),
    "wrong_password": _l("wrong password"),
    "wrong_code": _l("wrong code"),
    "inactive": _l("account deactivated"),
    "unknown_account": _l("unknown e-mail address"),
}
#: The sign-in log's outcomes that were refused (for the templates).
SIGN_IN_FAILURES = vocab.SIGN_IN_FAILURES
