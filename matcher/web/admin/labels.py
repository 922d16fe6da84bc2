"""Labels the admin pages need beyond `matcher.web.labels`: match statuses and end reasons."""

from flask_babel import lazy_gettext as _l

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
WAIT_BUCKET_LABELS = {
    "under_1": _l("under 1 month"),
    "1_3": _l("1–3 months"),
    "3_6": _l("3–6 months"),
    "6_12": _l("6–12 months"),
    "over_12": _l("over a year"),
}


def reason_labels() -> dict[str, str]:
    """End reasons with their labels in the current language."""
    return {key: str(label) for key, label in END_REASON_LABELS.items()}
