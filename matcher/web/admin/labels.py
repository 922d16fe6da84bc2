"""Labels the admin pages need beyond `matcher.web.labels`: match statuses and end reasons."""

from flask_babel import lazy_gettext as _l

from matcher.web.labels import END_REASON_LABELS, MATCH_STATUS_LABELS

__all__ = ["END_REASON_LABELS", "MATCH_STATUS_LABELS", "WAIT_BUCKET_LABELS", "reason_labels"]

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
