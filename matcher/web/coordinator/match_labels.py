"""Translatable labels for the Patenschaft lifecycle's vocabularies."""

from flask_babel import lazy_gettext as _l

from matcher.web.labels import END_REASON_LABELS, MATCH_STATUS_LABELS

__all__ = [
    "COMPONENT_LABELS",
    "END_REASON_LABELS",
    "LIGHT_LABELS",
    "MATCH_STATUS_LABELS",
]

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
