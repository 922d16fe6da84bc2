"""Translatable labels for the Patenschaft lifecycle's vocabularies."""

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
