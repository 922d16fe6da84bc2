"""Translatable labels for the domain's vocabularies."""

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

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


def choices(labels: Mapping[str, Any], blank: Any = None) -> list[SelectChoice]:
    """SelectField choices from a label mapping, optionally after a blank "all/none" entry."""
    out = [SelectChoice("", blank)] if blank is not None else []
    return out + [SelectChoice(value, label) for value, label in labels.items()]
