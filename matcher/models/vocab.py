"""The fixed vocabularies of the domain, shared by models, forms and the database's CHECKs."""

from typing import Final

LEVELS: Final = ("basic", "good", "fluent", "native")
DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS: Final = ("morning", "afternoon", "evening")
SLOTS: Final = tuple(f"{d}-{p}" for d in DAYS for p in PARTS)
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
VOLUNTEER_STATUSES: Final = ("applied", "active", "paused", "inactive")
NEWCOMER_STATUSES: Final = ("waiting", "matched", "paused", "closed")
MATCH_STATUSES: Final = ("proposed", "approved", "active", "paused", "ended", "rejected")
OPEN_MATCH_STATUSES: Final = ("proposed", "approved", "active", "paused")
END_REASONS: Final = (
    "goal_reached",
    "drifted_apart",
    "conflict",
    "no_time",
    "illness",
    "moved_away",
    "other",
)
CERTIFICATE_RESULTS: Final = ("clear", "entries")
CONSENT_PURPOSES: Final = ("matching", "contact_sharing")
CONSENT_CHANNELS: Final = ("online", "paper", "in_person")
CHECKIN_LIGHTS: Final = ("green", "yellow", "red")
RUN_STATUSES: Final = ("running", "finished", "failed")


def slots_to_mask(slots: list[str] | tuple[str, ...] | set[str]) -> int:
    """Encode slot names such as "mon-evening" as a bitmask."""
    mask = 0
    for slot in slots:
        mask |= 1 << SLOTS.index(slot)
    return mask


def mask_to_slots(mask: int) -> list[str]:
    """Decode a slot bitmask into slot names in week order."""
    return [slot for i, slot in enumerate(SLOTS) if mask >> i & 1]
