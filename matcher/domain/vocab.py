"""The fixed vocabularies of the domain, shared by models, forms and the database's CHECKs.

The engine owns the problem format's vocabulary (language levels, weekly slots, weight
keys); the domain takes it from there, so the two can never disagree.
"""

from typing import Final

from matcher.engine.vocab import DAYS, DEFAULT_WEIGHTS, LEVELS, PARTS, SLOTS, TANDEM_GENDERS

__all__ = [
    "ACTIVE_IMPORT_STATUSES",
    "ACTIVE_RUN_STATUSES",
    "AGE_BANDS",
    "ALL_SLOTS_MASK",
    "CERTIFICATE_RESULTS",
    "CHECKIN_LIGHTS",
    "CHILD_AGE_BANDS",
    "CLOSING_END_REASONS",
    "CONSENT_CHANNELS",
    "CONSENT_PURPOSES",
    "CONTACT_CHANNELS",
    "CONTACT_CHANNELS_BY_PHONE",
    "DAYS",
    "DECIDED_MATCH_STATUSES",
    "DEFAULT_WEIGHTS",
    "END_REASONS",
    "GENDERS",
    "HOUSEHOLD_NEEDS",
    "HOUSEHOLD_SIZE_MAX",
    "IMPORT_FAILURES",
    "IMPORT_KINDS",
    "IMPORT_STATUSES",
    "INTERPRETER_ROLES",
    "LEVELS",
    "PAIR_RULE_KINDS",
    "TANDEM_GENDERS",
    "MATCH_ATTENTIONS",
    "MATCH_STATUSES",
    "NEWCOMER_STATUSES",
    "OPEN_MATCH_STATUSES",
    "PARTS",
    "ROLES",
    "RUN_FAILURES",
    "RUN_STATUSES",
    "SLOTS",
    "TOPICS",
    "UMBRELLAS",
    "VOLUNTEER_STATUSES",
    "mask_to_slots",
    "slots_to_mask",
]

ALL_SLOTS_MASK: Final = (1 << len(SLOTS)) - 1

AGE_BANDS: Final = ("under_18", "18_25", "26_35", "36_50", "51_65", "over_65")
GENDERS: Final = ("female", "male", "diverse")
TOPICS: Final = (
    "authorities",
    "german",
    "homework",
    "housing",
    "work",
    "health_appointments",
    "leisure",
    "children",
)
UMBRELLAS: Final = ("awo", "caritas", "diakonie", "paritaetischer", "drk", "jewish", "other")

ROLES: Final = ("admin", "coordinator")
#: How a staff sign-in attempt ended (`matcher.models.staff_session.SignIn`): signed in with
#: the password (and a code where the user has a second factor), or with a recovery code;
#: or refused.
SIGN_IN_OUTCOMES: Final = (
    "success", "recovery_code", "wrong_password", "wrong_code", "inactive", "unknown_account",
)  # fmt: skip
#: Why a staff session ended: the person logged out or ended it in the list, an admin ended
#: it, it was unused too long, or it reached its lifetime.
SESSION_END_REASONS: Final = ("logout", "ended", "admin", "idle", "expired")
#: The sign-in outcomes that were refused.
SIGN_IN_FAILURES: Final = frozenset({"wrong_password", "wrong_code", "inactive", "unknown_account"})
VOLUNTEER_STATUSES: Final = ("applied", "active", "paused", "inactive")
NEWCOMER_STATUSES: Final = ("waiting", "matched", "paused", "closed")
MATCH_STATUSES: Final = ("proposed", "approved", "active", "paused", "ended", "rejected")
OPEN_MATCH_STATUSES: Final = ("proposed", "approved", "active", "paused")
#: Statuses of a Patenschaft a person decided on: they take a volunteer's place, and the
#: engine gets them as pinned pairs, so a re-run never undoes a human decision.
DECIDED_MATCH_STATUSES: Final = ("approved", "active", "paused")
END_REASONS: Final = (
    "goal_reached",
    "drifted_apart",
    "conflict",
    "no_time",
    "illness",
    "moved_away",
    "other",
)
#: End reasons after which the newcomer does not wait for another volunteer.
CLOSING_END_REASONS: Final = ("goal_reached", "moved_away")
#: Why a running Patenschaft needs the coordinator's eye (shown until they clear it).
MATCH_ATTENTIONS: Final = (
    "volunteer_withdrew_consent",
    "newcomer_withdrew_consent",
    # The volunteer paused in their profile, or deleted their data, while it was open.
    "volunteer_paused",
    "volunteer_left",
)
CERTIFICATE_RESULTS: Final = ("clear", "entries")
CONSENT_PURPOSES: Final = ("matching", "contact_sharing")
CONSENT_CHANNELS: Final = ("online", "paper", "in_person", "interpreter")
#: Who interpreted when the notice was explained through an interpreter: a role, never a
#: name (data minimisation). "language_mediator" is a community language mediator
#: (Sprachmittler:in).
INTERPRETER_ROLES: Final = (
    "professional",
    "language_mediator",
    "social_worker",
    "family_or_friend",
    "other",
)
CHECKIN_LIGHTS: Final = ("green", "yellow", "red")
#: How a newcomer prefers to be reached (most have no e-mail): by phone call, SMS, WhatsApp,
#: through their social worker, or in person (e.g. at the shelter's office hours).
CONTACT_CHANNELS: Final = ("phone", "sms", "whatsapp", "social_worker", "in_person")
#: The channels that need the newcomer's phone number.
CONTACT_CHANNELS_BY_PHONE: Final = ("phone", "sms", "whatsapp")
#: A matching run: queued, then a worker builds the problem, solves it and stores the
#: proposals; it ends finished or failed (`matcher.domain.runs` has the transitions).
RUN_STATUSES: Final = ("queued", "building", "solving", "storing", "finished", "failed")
#: Statuses of a run still under way: at most one per agency (a partial unique index).
ACTIVE_RUN_STATUSES: Final = ("queued", "building", "solving", "storing")
#: Why a run failed: the engine refused the problem; an error in the task; the worker
#: stopped giving signs of life (killed); the job was lost before a worker took it; the
#: queue could not be reached; an approval took a newcomer while storing; the worker
#: was stopped before the run was done.
RUN_FAILURES: Final = (
    "invalid_problem",
    "error",
    "worker_lost",
    "not_picked_up",
    "queue_unavailable",
    "changed_meanwhile",
    "interrupted",
)

#: The lists an import reads.
IMPORT_KINDS: Final = ("volunteers", "newcomers")
#: An import job (a dry run or an import of a large list): queued, then a worker checks
#: every row and, for an import whose rows are all fine, writes them; it ends finished or
#: failed (`matcher.domain.import_jobs` has the transitions).
IMPORT_STATUSES: Final = ("queued", "checking", "importing", "finished", "failed")
#: Statuses of an import job still under way: at most one per agency (a partial unique
#: index), so a double submit finds the one under way.
ACTIVE_IMPORT_STATUSES: Final = ("queued", "checking", "importing")
#: Why an import job failed: an error in the task; the worker stopped giving signs of life
#: (killed); the job was lost before a worker took it; the queue could not be reached; the
#: worker was stopped before it was done; someone imported some of the same people
#: meanwhile; the uploaded file was gone when the worker looked for it.
IMPORT_FAILURES: Final = (
    "error",
    "worker_lost",
    "not_picked_up",
    "queue_unavailable",
    "interrupted",
    "rows_taken",
    "upload_gone",
)


#: Children's ages in a newcomer's household, and the ages a volunteer likes to meet.
CHILD_AGE_BANDS: Final = ("0-2", "3-5", "6-11", "12-17")
#: What a family needs besides the Patenschaft itself.
HOUSEHOLD_NEEDS: Final = ("childcare", "school", "accessibility")
#: The most people a household (a newcomer's, or the most a volunteer meets) counts.
HOUSEHOLD_SIZE_MAX: Final = 15


def slots_to_mask(slots: list[str] | tuple[str, ...] | set[str]) -> int:
    """Encode slot names such as "mon-evening" as a bitmask."""
    mask = 0
    for slot in slots:
        mask |= 1 << SLOTS.index(slot)
    return mask


def mask_to_slots(mask: int) -> list[str]:
    """Decode a slot bitmask into slot names in week order."""
    return [slot for i, slot in enumerate(SLOTS) if mask >> i & 1]


# -- issue 13: control over the matching (engine helper) --------------------------------
#: A coordinator's rule about one pair: "pin" (always propose it) or "forbid" (never).
PAIR_RULE_KINDS: Final = ("pin", "forbid")
#: Longest interest an agency may define; and how many.
INTEREST_MAX_LENGTH: Final = 60
MAX_INTERESTS: Final = 50
